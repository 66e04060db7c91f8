"""The ``cspy`` command (python -m cspy): --help, --version, run, examples."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cspy
from cspy.live import LINE_RE

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import cspy

    def main():
        return len(cspy.stats().procs)

    procs = cspy.run(main)
    print(json.dumps({
        "argv": sys.argv,
        "procs": procs,
        "name": __name__,
        "env": {k: os.environ.get(k) for k in ("CSPY_PROCS", "CSPY_LIVE", "CSPY_SCHEDTRACE")},
    }))
    sys.exit(int(os.environ.get("EXIT_WITH", "0")))
    """
)


def cspy_cmd(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CSPY_") or k == "CSPY_PURE_PYTHON"}  # (keep the build)
    full_env.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "cspy", *args], capture_output=True, text=True, env=full_env, timeout=50
    )


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "prog.py"
    path.write_text(SCRIPT)
    return path


def test_help_and_version() -> None:
    h = cspy_cmd("--help")
    assert h.returncode == 0
    for word in ("run", "examples", "CSPY_PROCS", "CSPY_LIVE", "CSPY_SCHEDTRACE", "CSPY_TRACEBACK", "USR1", "exit status"):
        assert word in h.stdout
    assert cspy_cmd().stdout == h.stdout, "no command: the help"
    v = cspy_cmd("--version")
    assert v.returncode == 0 and v.stdout.startswith(f"cspy {cspy.__version__} ({cspy.build.BUILD}: ")
    r = cspy_cmd("run", "--help")
    assert r.returncode == 0 and "--procs N" in r.stdout and "--schedtrace MS" in r.stdout and "--live" in r.stdout


def test_run_passes_the_script_its_own_arguments(script: Path) -> None:
    p = cspy_cmd("run", str(script), "--port", "8080", "x", "--procs", "3", "--", "--live")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["argv"] == [str(script), "--port", "8080", "x", "--live"]
    assert got["name"] == "__main__"
    assert got["procs"] == 3
    assert got["env"] == {"CSPY_PROCS": "3", "CSPY_LIVE": None, "CSPY_SCHEDTRACE": None}


def test_run_returns_the_script_exit_status(script: Path) -> None:
    assert cspy_cmd("run", str(script), EXIT_WITH="3").returncode == 3


def test_run_schedtrace(tmp_path: Path) -> None:
    # Runs until its stdin closes, which happens once three lines are out (no time window).
    waits = tmp_path / "waits.py"
    waits.write_text("import sys, cspy\ncspy.run(cspy.blocking, sys.stdin.read)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPY_") or k == "CSPY_PURE_PYTHON"}  # (keep the build)
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.Popen(
        [sys.executable, "-m", "cspy", "run", str(waits), "--schedtrace", "20", "--procs", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert p.stdin is not None and p.stderr is not None
    lines: list[str] = []
    for line in p.stderr:  # pytest-timeout bounds this if no line ever comes
        lines.append(line.rstrip("\n"))
        if len(lines) >= 3:
            break
    p.stdin.close()
    lines += p.stderr.read().splitlines()
    assert p.wait(timeout=30) == 0, lines
    assert len(lines) >= 3 and all(LINE_RE.match(ln) for ln in lines), lines
    assert all(LINE_RE.match(ln)["procs"] == "2" for ln in lines)  # type: ignore[index]


def test_run_live_without_a_terminal_says_so(script: Path) -> None:
    p = cspy_cmd("run", str(script), "--live")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["env"]["CSPY_LIVE"] == "1"
    assert p.stderr.count("the live view needs a terminal") == 1


def test_run_bad_input_is_explained(tmp_path: Path) -> None:
    missing = cspy_cmd("run", str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "no such script" in missing.stderr
    bad = cspy_cmd("run", str(tmp_path / "nope.py"), "--procs", "zero")
    assert bad.returncode == 2 and "--procs: must be a positive integer" in bad.stderr
    none = cspy_cmd("run")
    assert none.returncode == 2 and "SCRIPT.py" in none.stderr
    unknown = cspy_cmd("frobnicate")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


def test_examples_is_delegated_to_the_gallery() -> None:
    p = cspy_cmd("examples", "--help")
    if importlib.util.find_spec("cspy.gallery") is None:
        assert p.returncode == 2
        assert "the example gallery (cspy.gallery) is not part of this installation" in p.stderr
    else:
        assert p.returncode == 0, p.stderr

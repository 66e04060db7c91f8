"""The gallery runner (cspy/gallery.py): discovery, listing, running one example, the tour."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cspy import gallery

REPO = Path(__file__).resolve().parents[2]


def cspy_command(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(
        [sys.executable, "-m", "cspy", "examples", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )


def test_discovery_finds_every_chapter_in_order_with_unique_names() -> None:
    examples = gallery.discover()
    names = [ex.name for ex in examples]
    assert len(names) == len(set(names)) >= 30
    assert [ex.chapter for ex in examples] == sorted(
        (ex.chapter for ex in examples), key=gallery.CHAPTERS.index
    )
    assert names[:3] == ["tasks", "channels", "buffering"]
    for required in ("context", "daisy_chain", "prime_sieve", "google_search", "singleflight_cache",
                     "circuit_breaker", "rate_limiters", "batch_chunks", "task_pool"):
        assert required in names


def test_every_example_file_is_listed_and_self_describing() -> None:
    root = gallery.examples_root()
    files = sorted(p for p in root.glob("*/*.py") if p.name != "__init__.py")
    assert len(files) == len(gallery.discover())  # no file escapes the NN_name.py pattern
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        assert doc, f"{path} has no docstring"
        assert "Go idiom" in doc, f"{path}: the docstring should name the Go idiom it mirrors"
        assert "Live view" in doc, f"{path}: the docstring should say what to watch in the live view"
        assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body), path
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        internal = {m for m in imported if m.startswith("cspy.") and m not in ("cspy.x", "cspy.net")}
        assert not internal, f"{path} imports internals {internal}: examples use the public API"


def test_find_names_close_matches() -> None:
    assert gallery.find("prime_sieve").chapter == "patterns"
    with pytest.raises(LookupError, match="did you mean .*prime_sieve"):
        gallery.find("sieve")


def test_split_run_args_takes_only_the_runner_flags() -> None:
    assert gallery._split_run_args(["--n", "5", "--procs", "2", "--live"]) == (2, True, ["--n", "5"])
    assert gallery._split_run_args(["--procs=4", "--x"]) == (4, False, ["--x"])
    with pytest.raises(ValueError, match="positive integer"):
        gallery._split_run_args(["--procs", "0"])
    with pytest.raises(ValueError, match="needs a number"):
        gallery._split_run_args(["--procs"])


def test_listing_groups_by_chapter(capsys: pytest.CaptureFixture[str]) -> None:
    assert gallery.main([]) == 0
    out = capsys.readouterr().out
    titles = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert [t.split(":")[0] for t in titles[:3]] == ["Basics", "Patterns", "Cookbook"]
    assert re.search(r"^  daisy_chain +Daisy chain: ", out, re.M)


@pytest.mark.timeout(60)
def test_run_passes_flags_and_procs_to_the_example() -> None:
    proc = cspy_command("run", "prime_sieve", "--n", "5", "--procs", "2", timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "2 3 5 7 11"


@pytest.mark.timeout(60)
def test_run_unknown_example_says_how_to_list_them() -> None:
    proc = cspy_command("run", "no_such_example", timeout=30)
    assert proc.returncode == 2
    assert "no example called 'no_such_example'" in proc.stderr
    assert "cspy examples" in proc.stderr


@pytest.mark.timeout(60)
def test_tour_reports_failures_and_hangs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chapter = tmp_path / "basics"
    chapter.mkdir()
    (chapter / "__init__.py").write_text('"""Basics: a test chapter."""\n')
    (chapter / "01_fine.py").write_text('"""Fine: exits 0."""\nprint("hello")\n')
    (chapter / "02_broken.py").write_text('"""Broken: exits 3."""\nraise SystemExit(3)\n')
    (chapter / "03_hangs.py").write_text('"""Hangs: never ends."""\nimport time\ntime.sleep(60)\n')
    assert [ex.name for ex in gallery.discover(tmp_path)] == ["fine", "broken", "hangs"]
    assert gallery.tour(None, timeout=3, root=tmp_path) == 1
    captured = capsys.readouterr()
    status = dict(re.findall(r"^(\w+)\s+(ok|FAIL)\s+[\d.]+s$", captured.out, re.M))
    assert status == {"fine": "ok", "broken": "FAIL", "hangs": "FAIL"}
    assert "exit code 3" in captured.err
    assert "timed out after 3 s" in captured.err
    assert "tour: 1 passed, 2 failed" in captured.out


@pytest.mark.timeout(240)
def test_tour_runs_every_example_ok() -> None:
    proc = cspy_command("tour", timeout=200)
    lines = re.findall(r"^(\w+)\s+(ok|FAIL)\s+[\d.]+s$", proc.stdout, re.M)
    assert {name for name, _ in lines} == {ex.name for ex in gallery.discover()}
    failed = [name for name, status in lines if status != "ok"]
    assert not failed, f"failed: {failed}\n{proc.stderr}"
    assert proc.returncode == 0
    assert re.search(rf"^tour: {len(lines)} passed, 0 failed in [\d.]+s$", proc.stdout, re.M)

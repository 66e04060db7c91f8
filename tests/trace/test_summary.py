"""``cspy run --trace`` then ``cspy trace summary``: the command a user types, end to end."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _cspy(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CSPY_TRACE", None)
    return subprocess.run([sys.executable, "-m", "cspy", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("procs", [1, 2])
def test_run_trace_then_summary(tmp_path: pathlib.Path, procs: int) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            import time, cspy
            def main():
                jobs = cspy.Chan(name="jobs")
                def slow():
                    cspy.blocking(time.sleep, 0.03)
                    jobs.send(1)
                cspy.go(slow, name="slow-producer")
                print(jobs.recv())
            cspy.run(main)
            """
        )
    )
    res = _cspy("run", str(app), "--trace", "out.json", "--procs", str(procs), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "1"
    doc = json.loads((tmp_path / "out.json").read_text())
    assert {t["name"] for t in doc["cspyTasks"]} == {"main", "slow-producer"}
    res = _cspy("trace", "summary", "out.json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    row = next(line for line in lines if " main " in line)
    sync_ms = float(row.split()[4])  # running, runnable, sync, ...
    assert sync_ms >= 20.0, row  # main waited ~30 ms on the channel
    prod = next(line for line in lines if "slow-producer" in line)
    assert float(prod.split()[6]) >= 20.0, prod  # ~30 ms in a blocking call
    assert any(line.strip().startswith("chan receive") for line in lines)
    assert sum(1 for line in lines if "running tasks" in line) == procs
    assert "wake-ups between tasks (flows): 1" in res.stdout


def test_summary_errors(tmp_path: pathlib.Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps({"traceEvents": []}))
    res = _cspy("trace", "summary", "other.json", cwd=tmp_path)
    assert res.returncode == 2 and "not a trace written by cspy" in res.stderr
    res = _cspy("trace", "summary", "missing.json", cwd=tmp_path)
    assert res.returncode == 2 and "missing.json" in res.stderr
    (tmp_path / "app.py").write_text("import cspy\ncspy.run(lambda: None)\n")
    res = _cspy("run", "app.py", "--trace", "out.txt", cwd=tmp_path)
    assert res.returncode == 2 and "--trace" in res.stderr and ".pftrace" in res.stderr
    assert not (tmp_path / "out.txt").exists()

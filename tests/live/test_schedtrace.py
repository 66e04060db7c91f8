"""schedtrace lines: the documented format, and the writer thread."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

import cspy
from cspy.live import LINE_RE, Rates, Sample, Schedtrace, format_line
from cspy.scheduler import ProcStats, Stats, TaskInfo

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parents[2]


def proc(pid: int, state: str, runq: int, runnext: bool) -> ProcStats:
    nxt = TaskInfo(99, "task-99", "runnable", None) if runnext else None
    return ProcStats(pid, f"cspy-P{pid}", state, None, nxt, runq, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_format_line_matches_the_documented_format() -> None:
    stats = Stats(
        running=True,
        procs=[proc(0, "running", 3, True), proc(1, "idle", 0, False)],
        uptime=1.0042,
        global_queue=5,
        tasks=12,
        runnable=4,
        waiting=8,
        steals=7,
        spinning=1,
    )
    line = format_line(Sample(stats, at=0.0, threads=6), Rates(switches=12345.4, handoffs=120.2))
    assert line == (
        "SCHED 1004ms: procs=2 idleprocs=1 spinningprocs=1 threads=6 runqueue=5 [4 0] "
        "tasks=12 runnable=4 waiting=8 steals=7 switches/s=12345 handoffs/s=120"
    )
    m = LINE_RE.match(line)
    assert m and m["local"] == "4 0" and m["switches"] == "12345"
    assert m["spinningprocs"] == "1" and m["handoffs"] == "120"


def test_writer_prints_lines_while_the_runtime_runs() -> None:
    out = io.StringIO()
    trace = Schedtrace(5, out=out)

    def main() -> None:  # until a few lines are out (a loaded machine may delay the writer)
        deadline = time.monotonic() + 30
        while trace.lines < 3 and time.monotonic() < deadline:
            cspy.sleep(0.01)

    trace.start()
    try:
        cspy.run(main)
    finally:
        trace.stop()
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3 and trace.lines == len(lines)
    assert all(LINE_RE.match(ln) for ln in lines)


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive number of milliseconds"):
        Schedtrace(0)


def test_env_var_turns_it_on() -> None:
    # The program runs until its stdin closes, which the test does once two lines are out: no
    # time window to fit the lines in, however slow the machine.
    code = "import sys, cspy; cspy.run(cspy.blocking, sys.stdin.read)"
    p = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(ROOT), "CSPY_SCHEDTRACE": "20", "PATH": ""},
    )
    assert p.stdin is not None and p.stderr is not None
    lines = read_lines_until(p.stderr, 2)
    p.stdin.close()
    lines += p.stderr.read().splitlines()
    assert p.wait(timeout=25) == 0, lines
    assert len(lines) >= 2 and all(LINE_RE.match(ln) for ln in lines), lines


def read_lines_until(stream: IO[str], n: int) -> list[str]:
    """Lines read from ``stream`` until ``n`` have been read or it ends (pytest-timeout bounds it)."""
    lines: list[str] = []
    for line in stream:
        lines.append(line.rstrip("\n"))
        if len(lines) >= n:
            break
    return lines

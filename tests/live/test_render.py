"""The dashboard and summary, rendered to text from a known snapshot (render.py is pure)."""

from __future__ import annotations

import pytest
from rich.console import Console, RenderableType

from cspy.live import Peaks, Rates, Sample, dashboard, summary
from cspy.live.channels import ChanRow
from cspy.live.render import bar, human
from cspy.scheduler import ProcStats, Stats, TaskInfo
from cspy.scheduler.runtime import LongRunning

pytestmark = pytest.mark.timeout(10)


def proc(pid: int, **kw: object) -> ProcStats:
    base: dict[str, object] = dict(
        id=pid, thread=f"cspy-P{pid}", state="idle", current=None, runnext=None, runq=0, runq_new=0,
        inbox=0, timers=0, ticks=0, switches=0, steals_in=0, steals_out=0, spawned=0, finished=0,
    )
    base.update(kw)
    return ProcStats(**base)  # type: ignore[arg-type]


def known_sample() -> Sample:
    stats = Stats(
        running=True,
        procs=[
            proc(0, thread="MainThread", state="running", current=TaskInfo(7, "worker-3", "running", None),
                 runnext=TaskInfo(9, "task-9", "runnable", None), runq=12, runq_new=4, inbox=1,
                 steals_out=5),
            proc(1, state="scheduling", runq=0, inbox=3, steals_in=5),
            proc(2, state="spinning", spinning=True, handoffs_in=17),
        ],
        uptime=12.34,
        global_queue=6,
        tasks=57,
        runnable=19,
        waiting=36,
        parked={"chan receive": 30, "sleep": 4, "sync.WaitGroup.Wait": 2},
        spawned=900,
        finished=843,
        steals=5,
        handoffs=17,
        spinning=1,
        switches=123456,
        timers=4,
        long_running=2,
        long_running_recent=[LongRunning(11, "cruncher", 1, 0.042, 100.0 + 3.2)],
    )
    chans = (ChanRow("jobs", 64, 48, 0, 0), ChanRow("#12", 0, 0, 3, 0), ChanRow("done", 1, 0, 0, 2, closed=True))
    return Sample(stats=stats, at=50.0, clock=100.0 + 12.34, threads=6, channels=chans)


def text(r: RenderableType) -> str:
    console = Console(record=True, width=120, color_system=None)
    console.print(r)
    return console.export_text()


def test_dashboard_shows_every_part() -> None:
    out = text(dashboard(known_sample(), Rates(switches=45_600, spawns=1200, steals=3, handoffs=250)))
    # header
    assert "up 12.3s" in out and "procs 3" in out
    assert "tasks 57 (running 1, runnable 19, waiting 36)" in out
    assert "switches/s 45.6k" in out and "spawns/s 1.2k" in out and "steals/s 3" in out
    assert "hand-offs/s 250" in out
    # one row per processor: thread, state, current, runnext, local queue (runnext counted), inbox, steals
    rows: dict[str, str] = {}
    for line in out.splitlines():
        cells = line.strip("│ ").split()
        if cells and cells[0] in ("P0", "P1", "P2"):
            rows[cells[0]] = line
    assert set(rows) == {"P0", "P1", "P2"}
    assert "MainThread" in rows["P0"] and "running" in rows["P0"] and "7 worker-3" in rows["P0"]
    assert " 9 " in rows["P0"] and "█" in rows["P0"] and " 13 " in rows["P0"] and "0 / 5" in rows["P0"]
    assert "scheduling" in rows["P1"] and "5 / 0" in rows["P1"]
    assert "spinning" in rows["P2"] and "cspy-P2" in rows["P2"]
    assert [line for line in out.splitlines() if "global queue" in line and " 6 " in line]
    # parked histogram, busiest channels, sysmon warnings
    for reason in ("chan receive", "sleep", "sync.WaitGroup.Wait"):
        assert reason in out
    assert "parked by reason" in out and "busiest channels" in out
    assert [line for line in out.splitlines() if "jobs" in line and "64" in line and "48" in line]
    assert "#12" in out and "done (closed)" in out
    assert "sysmon: 2 task(s) held a processor > 10 ms" in out
    assert "task 11 'cruncher' held P1 for 42 ms (at 3.2s)" in out


def test_dashboard_with_nothing_parked_and_no_channels() -> None:
    sample = Sample(stats=Stats(running=True, procs=[proc(0)], uptime=0.5), at=1.0)
    out = text(dashboard(sample, Rates()))
    assert "P0" in out and "none tracked" in out and "none" in out
    assert "sysmon" not in out


def test_summary_shows_totals_and_peaks() -> None:
    sample = known_sample()
    peaks = Peaks()
    peaks.add(sample, Rates(switches=50_000))
    out = text(summary(sample, peaks))
    assert "12.34s on 3 processor(s)" in out
    assert "900 spawned, 843 finished, peak 57" in out
    assert "123456" in out and "50.0k/s peak" in out
    assert "P0 0 in / 5 out" in out and "P1 5 in / 0 out" in out
    assert "global 6; local P0 13, P1 0, P2 0; inbox P0 1, P1 3, P2 0" in out
    assert "2 task(s) held a processor > 10 ms" in out
    assert "17 tasks readied from another processor's thread" in out


def test_bar_scales_and_prints_the_value() -> None:
    assert bar(8, 16, width=10).plain == "█████      8"
    assert bar(0, 16, width=4).plain == "     0"
    assert bar(100, 16, width=4).plain == "████ 100"  # clipped at full scale, true number shown
    assert human(999) == "999" and human(1500) == "1.5k" and human(2_500_000) == "2.5M"

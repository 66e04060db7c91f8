"""schedtrace: one line per interval about the scheduler on stderr, like Go's GODEBUG=schedtrace.

Turned on by ``CSPY_SCHEDTRACE=<ms>``, ``cspy.run(main, schedtrace=<ms>)`` or
``cspy run SCRIPT.py --schedtrace <ms>``; also what the live view falls back to when neither
stdout nor stderr is a terminal. The line format (one line per interval, fields in this order)::

    SCHED 1004ms: procs=2 idleprocs=1 spinningprocs=0 threads=6 runqueue=0 [3 0] tasks=12 runnable=3 waiting=9 steals=4 switches/s=12345 handoffs/s=120

- ``SCHED <ms>ms``: milliseconds since the runtime started;
- ``procs``: processors (Go's gomaxprocs); ``idleprocs``: of which idle (sleeping, no work);
  ``spinningprocs``: of which looking for work before they sleep (Go's spinningthreads; only on
  builds without the GIL);
- ``threads``: Python threads alive in the process (processors, sysmon, offload pool, netpoller,
  the program's own threads and this observer);
- ``runqueue``: the global run queue; ``[a b ...]``: each processor's local queue, ``runnext``
  included (as Go counts it);
- ``tasks``: tasks alive (``cspy.num_tasks()``); ``runnable``: queued to run (new or woken);
  ``waiting``: parked;
- ``steals``: tasks stolen between processors since the start (total);
- ``switches/s``: task switches per second over the last interval (0 on the first line);
- ``handoffs/s``: tasks readied from another processor's thread (or an offload or netpoll
  thread) per second: each is a cross-thread hand-off, the cost of tasks that talk across
  processors. A program that scales has few of them per unit of work.

A pattern that parses it is ``LINE_RE`` (the tests use it). The writer runs on its own thread and
only reads snapshots, like every observer (see sample.py).
"""

from __future__ import annotations

import re
import sys
import threading
from typing import TextIO

from cspy.live.sample import Rates, Sample, Sampler, local_queue

__all__ = ["Schedtrace", "format_line", "LINE_RE"]

LINE_RE = re.compile(
    r"^SCHED (?P<ms>\d+)ms: procs=(?P<procs>\d+) idleprocs=(?P<idleprocs>\d+) "
    r"spinningprocs=(?P<spinningprocs>\d+) "
    r"threads=(?P<threads>\d+) runqueue=(?P<runqueue>\d+) \[(?P<local>\d+(?: \d+)*)\] "
    r"tasks=(?P<tasks>\d+) runnable=(?P<runnable>\d+) waiting=(?P<waiting>\d+) "
    r"steals=(?P<steals>\d+) switches/s=(?P<switches>\d+) handoffs/s=(?P<handoffs>\d+)$"
)

# How often the writer checks whether the runtime has started yet (it may print no line before).
ATTACH_POLL = 0.002


def format_line(sample: Sample, rates: Rates) -> str:
    """The schedtrace line for one sample (no newline)."""
    s = sample.stats
    idle = sum(1 for p in s.procs if p.state == "idle")
    local = " ".join(str(local_queue(p.runq, p.runnext is not None)) for p in s.procs)
    return (
        f"SCHED {s.uptime * 1000:.0f}ms: procs={len(s.procs)} idleprocs={idle} "
        f"spinningprocs={s.spinning} "
        f"threads={sample.threads} runqueue={s.global_queue} [{local}] "
        f"tasks={s.tasks} runnable={s.runnable} waiting={s.waiting} "
        f"steals={s.steals} switches/s={rates.switches:.0f} handoffs/s={rates.handoffs:.0f}"
    )


class Schedtrace:
    """Writes a schedtrace line every ``interval_ms`` while the runtime runs.

    ``out`` defaults to ``sys.stderr`` looked up at each write (so a live display that redirects
    stderr still places the lines above itself).
    """

    def __init__(self, interval_ms: int, out: TextIO | None = None, sampler: Sampler | None = None) -> None:
        if interval_ms <= 0:
            raise ValueError(f"schedtrace interval must be a positive number of milliseconds, got {interval_ms}")
        self.interval = interval_ms / 1000
        self.out = out
        self.sampler = sampler if sampler is not None else Sampler(channels=0)
        self.lines = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cspy-schedtrace", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while self.sampler.attach() is None:
            if self._stop.wait(ATTACH_POLL):
                return
        self.sampler.take()  # the baseline for the first rate
        while not self._stop.wait(self.interval):
            taken = self.sampler.take()
            if taken is not None:
                self._write(format_line(*taken))

    def _write(self, line: str) -> None:
        out = self.out if self.out is not None else sys.stderr
        try:
            out.write(line + "\n")
            out.flush()
        except (OSError, ValueError):  # stderr closed: the trace is lost, the program is not
            self._stop.set()
        self.lines += 1

"""Sampling the running runtime for the observers (live view, schedtrace, the end-of-run summary).

An observer runs on a thread of its own and *pulls*: every refresh it asks its ``Sampler`` for a
``Sample`` -- a ``cspy.stats()`` snapshot plus the busiest tracked channels and the thread
count -- and renders it. Nothing is pushed from the scheduler, so observing costs the hot path
nothing but the lock-free reads ``snapshot`` already does.

Finding the runtime: ``cspy.run`` starts the observers *before* the scheduler's ``run`` (the
scheduler has no start/stop hooks, and must not import this layer), so a sampler polls
``running()`` until the runtime appears and then keeps that object: after ``run`` returns the
final sample still reads its counters (the totals for the summary).

Rates (switches/s, ...) are differences between two samples divided by the time between them;
peaks are the largest values *observed* at sampling time, so a burst shorter than the refresh
interval may be missed (said so in the summary).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from cspy.live.channels import ChanRow, busiest_channels
from cspy.scheduler import Runtime, Stats, running, snapshot

__all__ = ["Sample", "Rates", "Peaks", "Sampler"]


@dataclass(frozen=True)
class Sample:
    """One observation: the scheduler's stats, the busiest channels, when it was taken."""

    stats: Stats
    at: float  # time.monotonic() when taken (for rates)
    clock: float = 0.0  # the runtime's clock when taken (to place sysmon warnings in time)
    threads: int = 0  # threading.active_count()
    channels: tuple[ChanRow, ...] = ()


@dataclass(frozen=True)
class Rates:
    """Per-second rates between two samples (zero for the first one)."""

    switches: float = 0.0
    spawns: float = 0.0
    steals: float = 0.0
    handoffs: float = 0.0  # tasks readied across processors (from another thread)

    @staticmethod
    def between(prev: Sample | None, cur: Sample) -> Rates:
        if prev is None:
            return Rates()
        dt = cur.at - prev.at
        if dt <= 0:
            return Rates()
        a, b = prev.stats, cur.stats
        return Rates(
            switches=max(0, b.switches - a.switches) / dt,
            spawns=max(0, b.spawned - a.spawned) / dt,
            steals=max(0, b.steals - a.steals) / dt,
            handoffs=max(0, b.handoffs - a.handoffs) / dt,
        )


@dataclass
class Peaks:
    """The largest values seen over a run (at sampling instants)."""

    tasks: int = 0
    runnable: int = 0
    waiting: int = 0
    global_queue: int = 0
    runq: list[int] = field(default_factory=list)  # per processor (runnext included)
    inbox: list[int] = field(default_factory=list)
    switches_per_s: float = 0.0
    samples: int = 0

    def add(self, sample: Sample, rates: Rates) -> None:
        s = sample.stats
        self.samples += 1
        self.tasks = max(self.tasks, s.tasks)
        self.runnable = max(self.runnable, s.runnable)
        self.waiting = max(self.waiting, s.waiting)
        self.global_queue = max(self.global_queue, s.global_queue)
        self.switches_per_s = max(self.switches_per_s, rates.switches)
        if len(self.runq) < len(s.procs):
            grow = len(s.procs) - len(self.runq)
            self.runq.extend([0] * grow)
            self.inbox.extend([0] * grow)
        for i, p in enumerate(s.procs):
            self.runq[i] = max(self.runq[i], local_queue(p.runq, p.runnext is not None))
            self.inbox[i] = max(self.inbox[i], p.inbox)


def local_queue(runq: int, has_runnext: bool) -> int:
    """A processor's local queue as Go counts it for schedtrace: the queue plus ``runnext``."""
    return runq + (1 if has_runnext else 0)


class Sampler:
    """Takes samples of the runtime started by the ``cspy.run`` it was created for.

    Create it before the runtime starts (nothing may run yet); ``take`` returns None until the
    runtime appears. Keeps the previous sample (for rates) and the peaks. Thread-safe: the live
    view's refresh thread and the thread that prints the summary may both call it.
    """

    def __init__(self, channels: int = 8) -> None:
        self.channels = channels  # how many of the busiest channels a sample lists
        self.rt: Runtime | None = None
        self.prev: Sample | None = None
        self.first: Sample | None = None
        self.peaks = Peaks()
        self._lock = threading.Lock()

    def attach(self) -> Runtime | None:
        """The runtime being observed, once it has started."""
        if self.rt is None:
            self.rt = running()
        return self.rt

    def take(self) -> tuple[Sample, Rates] | None:
        """A new sample and the rates since the previous one; None before the runtime starts."""
        rt = self.attach()
        if rt is None:
            return None
        with self._lock:
            sample = Sample(
                stats=snapshot(rt),
                at=time.monotonic(),
                clock=rt.clock(),
                threads=threading.active_count(),
                channels=tuple(busiest_channels(self.channels)) if self.channels else (),
            )
            rates = Rates.between(self.prev, sample)
            self.peaks.add(sample, rates)
            if self.first is None:
                self.first = sample
            self.prev = sample
            return sample, rates

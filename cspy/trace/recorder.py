"""The execution-trace recording: per-thread event buffers, and what an event is.

Who writes where (the invariant that makes recording lock-free, also without the GIL): each
processor's events go to that processor's buffer and are appended only by its own thread (a
started task never leaves its thread, and the scheduler's hooks run on the processor's thread);
every other thread that records -- a waker on an offload thread, the netpoll, a garbage
collection on some thread -- appends to a buffer of its own, found through a ``threading.local``
and registered once under ``lock``. Appending to a list (or a bounded deque) is one C call.

An event is a tuple whose first two items are the time (``perf_counter_ns``) and the kind; the
rest depends on the kind (the constants below say what). Tasks and wait objects are kept by
reference and described only when the trace is exported, so recording formats nothing.

Flight mode (Go 1.25's ``FlightRecorder``) keeps each buffer in a ``deque`` bounded by a share
of ``max_bytes`` (EVENT_BYTES per event, measured); events older than ``seconds`` are dropped
when the window is written. Full mode keeps everything until ``stop``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspy.scheduler import Runtime

__all__ = ["Buffer", "Recording", "EVENT_BYTES", "now_ns"]

now_ns = time.perf_counter_ns

# Event kinds.                    fields after (time, kind):
RUN = 0  # P starts running       task
STOP = 1  # the task stops        task, why (WaitReason or "yield"), waiting on
SWITCH = 2  # STOP then RUN       task, why, waiting on, next task
HUB = 3  # P is scheduling        run-queue length
END = 4  # the task returned      task
CREATE = 5  # go()                parent, child, "file:line" of the go() call
READY = 6  # made runnable        waker task (None: not a task), task, through (object)
IDLE = 7  # P sleeps              -
BUSY = 8  # P woke                -
SPIN = 9  # P spins or stops      True/False
STEAL = 10  # P took new tasks    victim P id, the task it runs
GC = 11  # a collection           end time, generation, collected
REGION = 12  # user region        task, name, True (begin) / False (end)
LOG = 13  # user log              task, category, message
TIMER = 14  # a sleep's timer     task (made runnable by its timer)
META = 15  # recording info       text

# Bytes one recorded event holds, for the flight recorder's bound: a tuple of 4-6 references
# plus its time int and the slot pointing to it, measured with sys.getsizeof: 72-88 + 32 + 8 on
# CPython 3.11, 88 + 48 + 8 on free-threaded 3.13 (its objects carry more header).
EVENT_BYTES = 144


class Buffer:
    """One thread's events. Appended by its own thread only (``append`` is the bound method)."""

    __slots__ = ("events", "append", "pid", "thread")

    def __init__(self, pid: int | None, thread: str, maxlen: int | None) -> None:
        self.events: Any = [] if maxlen is None else deque(maxlen=maxlen)
        self.append = self.events.append
        self.pid = pid  # the processor, or None for another thread
        self.thread = thread

    def snapshot(self) -> list[tuple[Any, ...]]:
        """Any thread: a copy (list() of a list or deque is one C call, atomic with the GIL and
        under the object's own lock without it)."""
        for _ in range(100):
            try:
                return list(self.events)
            except RuntimeError:  # mutated while copied
                continue
        return []


class Recording:
    """The events of one runtime, full or bounded (``max_bytes``/``seconds`` for flight mode)."""

    def __init__(self, rt: Runtime, *, max_bytes: int | None = None, seconds: float | None = None) -> None:
        self.rt = rt
        self.t0 = now_ns()
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.lock = threading.Lock()
        self.local = threading.local()
        nbuf = len(rt.ps) + 4
        self.maxlen = None if max_bytes is None else max(1024, max_bytes // EVENT_BYTES // nbuf)
        self.procs = [Buffer(p.id, "", self.maxlen) for p in rt.ps]
        self.others: list[Buffer] = []
        self.stopped_at: int | None = None
        # Tasks alive when recording started: their names and states (a snapshot, read once).
        self.initial = rt.all_tasks()

    def proc_buffer(self, pid: int) -> Buffer:
        return self.procs[pid]

    def thread_buffer(self) -> Buffer:
        """The calling thread's buffer (not a processor's), created on first use."""
        buf: Buffer | None = getattr(self.local, "buf", None)
        if buf is None:
            buf = Buffer(None, threading.current_thread().name, self.maxlen)
            self.local.buf = buf
            with self.lock:
                self.others.append(buf)
        return buf

    def buffers(self) -> Iterable[Buffer]:
        with self.lock:
            others = list(self.others)
        return [*self.procs, *others]

    def events(self, since_ns: int | None = None) -> list[tuple[Buffer, list[tuple[Any, ...]]]]:
        """Every buffer with a copy of its events (those at or after ``since_ns``)."""
        out = []
        for b in self.buffers():
            evs = b.snapshot()
            if since_ns is not None:
                evs = [e for e in evs if e[0] >= since_ns]
            out.append((b, evs))
        return out

    def window_start(self) -> int | None:
        """Flight mode: the oldest time a written window shows (now - seconds)."""
        if self.seconds is None:
            return None
        return max(self.t0, now_ns() - int(self.seconds * 1e9))

"""Per-processor timers (Go 1.14+ keeps a timer heap on each P).

Invariants:
- A heap belongs to one processor. Only the owner pushes and pops it, and only the owner runs
  the callbacks, on its own thread, from its scheduling loop. So a callback that readies a task
  of the same processor needs no cross-thread hand-off, and ``sleep`` costs one heap push.
- A timer may be *cancelled* from any thread. Cancellation only flips the timer's state, under
  the heap's lock, and leaves the entry in the heap; the owner drops cancelled entries when they
  reach the top. The lock makes "stop() returns whether it stopped a pending timer" exact: firing
  and cancelling claim the timer with the same compare-and-set.
- ``live`` counts pending (not fired, not cancelled) timers, so deadlock detection can tell a
  processor that will wake up by itself from one that never will. A timer at an infinite
  deadline (``sleep(inf)``, a context without end) is never due: it is not queued or counted.

Compiled (``timers.pxd``): both classes are C structs, the lock is cspy's C lock (lock.py; in
pure Python ``threading.Lock``), and a cancelling thread drops the callback's references after
releasing the lock, so no finalizer ever runs with it held. Without the GIL: ``state`` and
``live`` are C integers written under the lock; ``fn``/``arg`` are written only by whoever
claimed the timer (fired or cancelled it), or under the lock.

Why not one global heap: every ``sleep`` would take a runtime-wide lock, and the earliest timer
of *this* processor is exactly the timeout its idle wait needs.
"""

from __future__ import annotations

import heapq
from typing import Any
from collections.abc import Callable

from cspy.scheduler.lock import Lock

__all__ = ["Timer", "TimerHeap"]

PENDING, FIRED, CANCELLED = 0, 1, 2
_PENDING, _FIRED, _CANCELLED = PENDING, FIRED, CANCELLED  # (compiled: C constants)

_INF = float("inf")


class Timer:
    """One pending callback. ``cancel()`` may be called from any thread."""

    __slots__ = ("when", "seq", "fn", "arg", "state", "heap")

    def __init__(self, when: float, seq: int, fn: Callable[[Any], None], arg: Any, heap: TimerHeap):
        self.when = when
        self.seq = seq
        self.fn: Callable[[Any], None] | None = fn
        self.arg = arg
        self.state = _PENDING
        self.heap = heap

    def __lt__(self, other: Timer) -> bool:
        when = other.when
        return self.when < when or (self.when == when and self.seq < other.seq)

    def cancel(self) -> bool:
        """Stop the timer. True if it was pending (so its callback will never run)."""
        heap = self.heap
        lock = heap.lock
        lock.acquire()
        if self.state != _PENDING:
            lock.release()
            return False
        self.state = _CANCELLED
        if self.when != _INF:
            heap.live -= 1
        fn, arg = self.fn, self.arg  # dropped below, with the lock released
        self.fn = self.arg = None
        lock.release()
        del fn, arg
        if heap.on_cancel is not None:
            heap.on_cancel()
        return True

    @property
    def pending(self) -> bool:
        return self.state == _PENDING


class TimerHeap:
    """A min-heap of timers ordered by deadline, then by creation (FIFO for equal deadlines)."""

    __slots__ = ("heap", "lock", "live", "seq", "on_cancel")

    def __init__(self, on_cancel: Callable[[], None] | None = None) -> None:
        self.heap: list[Timer] = []
        self.lock = Lock()
        self.live = 0
        self.seq = 0
        # Called after a cancellation, so an idle owner sleeping until that deadline can
        # re-evaluate (and, if nothing else is pending, let deadlock detection see it).
        self.on_cancel = on_cancel

    def add(self, when: float, fn: Callable[[Any], None], arg: Any) -> Timer:
        """Owner only: schedule ``fn(arg)`` at monotonic time ``when``."""
        self.seq += 1
        t = Timer(when, self.seq, fn, arg, self)
        if when == _INF:  # never due: pending, but not future work (see ``live``)
            return t
        lock = self.lock
        lock.acquire()
        self.live += 1
        lock.release()
        heapq.heappush(self.heap, t)
        return t

    def next_deadline(self) -> float | None:
        """Owner only: the earliest pending deadline, dropping cancelled entries on top."""
        heap = self.heap
        while heap:
            top = heap[0]
            if top.state == _PENDING:
                return top.when
            heapq.heappop(heap)
        return None

    def run_due(self, now: float) -> int:
        """Owner only: run every timer due at ``now``, earliest first. Returns how many fired."""
        heap = self.heap
        lock = self.lock
        fired = 0
        while heap:
            t = heap[0]
            if t.when > now:
                break
            heapq.heappop(heap)
            lock.acquire()
            if t.state != _PENDING:
                lock.release()
                continue
            t.state = _FIRED
            self.live -= 1
            lock.release()
            fn, arg = t.fn, t.arg
            t.fn = t.arg = None
            assert fn is not None
            fn(arg)
            fired += 1
        return fired

    def clear(self) -> None:
        """Owner only, at shutdown."""
        lock = self.lock
        lock.acquire()
        timers = self.heap[:]
        for t in timers:
            if t.state == _PENDING:
                t.state = _CANCELLED
        self.heap.clear()
        self.live = 0
        lock.release()
        for t in timers:  # (a timer cancelled elsewhere had its references dropped under the lock)
            t.fn = t.arg = None

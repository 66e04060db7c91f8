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

Why not one global heap: every ``sleep`` would take a runtime-wide lock, and the earliest timer
of *this* processor is exactly the timeout its idle wait needs.
"""

from __future__ import annotations

import heapq
import threading
from typing import Any
from collections.abc import Callable

__all__ = ["Timer", "TimerHeap"]

PENDING, FIRED, CANCELLED = 0, 1, 2

_INF = float("inf")


class Timer:
    """One pending callback. ``cancel()`` may be called from any thread."""

    __slots__ = ("when", "seq", "fn", "arg", "state", "heap")

    def __init__(self, when: float, seq: int, fn: Callable[[Any], None], arg: Any, heap: TimerHeap):
        self.when = when
        self.seq = seq
        self.fn: Callable[[Any], None] | None = fn
        self.arg = arg
        self.state = PENDING
        self.heap = heap

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)

    def cancel(self) -> bool:
        """Stop the timer. True if it was pending (so its callback will never run)."""
        heap = self.heap
        with heap.lock:
            if self.state != PENDING:
                return False
            self.state = CANCELLED
            if self.when != _INF:
                heap.live -= 1
        self.fn = self.arg = None  # drop references early
        if heap.on_cancel is not None:
            heap.on_cancel()
        return True

    @property
    def pending(self) -> bool:
        return self.state == PENDING


class TimerHeap:
    """A min-heap of timers ordered by deadline, then by creation (FIFO for equal deadlines)."""

    __slots__ = ("heap", "lock", "live", "seq", "on_cancel")

    def __init__(self, on_cancel: Callable[[], None] | None = None) -> None:
        self.heap: list[Timer] = []
        self.lock = threading.Lock()
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
        with self.lock:
            self.live += 1
        heapq.heappush(self.heap, t)
        return t

    def next_deadline(self) -> float | None:
        """Owner only: the earliest pending deadline, dropping cancelled entries on top."""
        heap = self.heap
        while heap:
            top = heap[0]
            if top.state == PENDING:
                return top.when
            heapq.heappop(heap)
        return None

    def run_due(self, now: float) -> int:
        """Owner only: run every timer due at ``now``, earliest first. Returns how many fired."""
        heap = self.heap
        fired = 0
        while heap and heap[0].when <= now:
            t = heapq.heappop(heap)
            with self.lock:
                if t.state != PENDING:
                    continue
                t.state = FIRED
                self.live -= 1
            fn, arg = t.fn, t.arg
            t.fn = t.arg = None
            assert fn is not None
            fn(arg)
            fired += 1
        return fired

    def clear(self) -> None:
        """Owner only, at shutdown."""
        with self.lock:
            for t in self.heap:
                t.state = CANCELLED
                t.fn = t.arg = None
            self.heap.clear()
            self.live = 0

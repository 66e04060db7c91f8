"""Block and mutex profiles: buckets of (stack, labels) -> contentions and delay, Go's sampling.

Go's semantics (runtime/mprof.go), which these follow exactly, times in nanoseconds:

- **Block** (``SetBlockProfileRate(rate)``): an event that blocked ``delay`` ns is kept if
  ``delay >= rate``, else with probability ``delay / rate``; a kept short event is *de-biased*
  (counted ``rate / delay`` times with ``rate`` ns of delay: its expected share of the real
  total, CL 299991), so the profile estimates the true totals at any rate. ``rate`` 1 keeps
  every event as it was; 0 (or less) records nothing.
- **Mutex** (``SetMutexProfileFraction(n)``): one contention in ``n`` is kept, at random, and
  scaled by ``n`` (count ``n``, delay ``n * delay``). The delay is the time the woken waiter
  waited, charged at the unlocker's stack (cspy/trace/hook.py). 0 turns it off.

As in Go, a profile accumulates from when its rate was first set, across runs, until the process
ends; turning the rate to 0 stops recording and keeps what was recorded. ``snapshot`` copies the
buckets (the endpoint's ``seconds=N`` is the difference of two snapshots).

Buckets are written from every processor's thread under one lock: an event is kept at most once
per blocking operation, so the lock is cold next to what it measures.
"""

from __future__ import annotations

import random
import threading

from cspy.trace.stacks import Stack

__all__ = ["EventProfile", "Labels", "Records"]

Labels = tuple[tuple[str, str], ...]
Records = dict[tuple[Stack, Labels], tuple[float, int]]  # -> (count, delay ns)


class EventProfile:
    """The block profile (``kind="block"``) or the mutex profile (``kind="mutex"``)."""

    def __init__(self, kind: str) -> None:
        assert kind in ("block", "mutex")
        self.kind = kind
        self.rate = 0
        self._lock = threading.Lock()
        self._buckets: dict[tuple[Stack, Labels], list[float]] = {}
        self._rand = random.Random()

    def sampled(self, delay: int = 0) -> bool:
        """Any thread: keep this event? (block: by its delay; mutex: one in ``rate``)."""
        rate = self.rate
        if rate <= 0:
            return False
        if self.kind == "block":
            return rate <= delay or self._rand.randrange(rate) <= delay
        return rate == 1 or self._rand.randrange(rate) == 0

    def add(self, delay: int, stack: Stack, labels: Labels) -> None:
        """Any thread: record a kept event, scaled as Go scales it."""
        delay = max(delay, 1)
        rate = self.rate
        if rate <= 0:
            return
        if self.kind == "block" and delay < rate:
            count, cycles = rate / delay, float(rate)
        elif self.kind == "mutex":
            count, cycles = float(rate), float(rate) * delay
        else:
            count, cycles = 1.0, float(delay)
        key = (stack, labels)
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                self._buckets[key] = [count, cycles]
            else:
                b[0] += count
                b[1] += cycles

    def snapshot(self) -> Records:
        with self._lock:
            return {k: (v[0], int(v[1])) for k, v in self._buckets.items()}

    def reset(self) -> None:
        """Forget what was recorded (for tests)."""
        with self._lock:
            self._buckets.clear()


def delta(before: Records, after: Records) -> Records:
    """What ``after`` recorded that ``before`` had not (the endpoint's ``seconds=N``)."""
    out: Records = {}
    for k, (count, cycles) in after.items():
        c0, d0 = before.get(k, (0.0, 0))
        if count - c0 > 0 or cycles - d0 > 0:
            out[k] = (count - c0, cycles - d0)
    return out

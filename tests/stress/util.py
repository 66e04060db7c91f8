"""Helpers shared by the stress tests (a checked ``run``, an exactly-once tally) and by any test
that must wait for a state instead of sleeping and hoping (``settle``, ``wait_parked``)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import cspy
from cspy.scheduler import Task, TaskState, WaitReason, now

T = TypeVar("T")

# One processor cannot race with itself; 2 is the machine's core count, 4 oversubscribes it.
PROCS = [2, 4]


def run(main: Callable[..., T], *args: Any, procs: int, **kwargs: Any) -> T:
    """``cspy.run`` that also checks no thread outlives it (active_count back where it was)."""
    before = threading.active_count()
    result = cspy.run(main, *args, procs=procs, **kwargs)
    after = threading.active_count()
    assert after == before, (
        f"{after - before} thread(s) outlived cspy.run: "
        f"{[t.name for t in threading.enumerate()]}"
    )
    return result


class Tally:
    """Counts items seen from any thread; ``check`` asserts each expected item exactly once."""

    __slots__ = ("_lock", "_seen", "_sum")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: Counter[Hashable] = Counter()
        self._sum = 0

    def add(self, item: Hashable, weight: int = 0) -> None:
        with self._lock:
            self._seen[item] += 1
            self._sum += weight

    def keys(self) -> set[Hashable]:
        """The distinct items seen so far."""
        with self._lock:
            return set(self._seen)

    def count(self) -> int:
        """How many items were seen so far, repeats included."""
        with self._lock:
            return sum(self._seen.values())

    def check(self, expected: Iterable[Hashable], checksum: int | None = None) -> None:
        with self._lock:
            seen, total = Counter(self._seen), self._sum
        want = Counter(expected)
        dup = sorted(repr(k) for k, n in seen.items() if n > 1)[:10]
        missing = sorted(repr(k) for k in want if k not in seen)[:10]
        extra = sorted(repr(k) for k in seen if k not in want)[:10]
        assert not dup, f"seen more than once: {dup}"
        assert not missing, f"never seen ({len(want) - len(seen)} short): {missing}"
        assert not extra, f"seen but never sent: {extra}"
        assert sum(seen.values()) == sum(want.values())
        if checksum is not None:
            assert total == checksum, f"checksum {total} != {checksum}"


def settle(pred: Callable[[], bool], seconds: float = 5.0) -> bool:
    """In a task: sleep in small steps until ``pred()`` holds or ``seconds`` pass; return it.

    For facts that become true shortly after a wake-up (a finished task's bookkeeping runs after
    its last statement); the caller asserts the result, never the time it took.
    """
    deadline = now() + seconds
    while not pred():
        if now() > deadline:
            return pred()
        cspy.sleep(0.001)
    return True


def wait_parked(task: Task, reason: WaitReason, seconds: float = 10.0) -> None:
    """In a task: return once ``task`` is parked on ``reason``; fail after ``seconds``.

    For tests of a wake-up (a close that ends a blocked read, a cancel, an unlock): acting before
    the task waits would pass without exercising the wake-up at all. ``task.state`` is set under
    the primitive's lock before the task switches away, so WAITING means it has queued itself.
    Read through ``snapshot``, as every reader on another thread must (cspy/scheduler/task.py).
    """
    if not settle(lambda: task.snapshot()[:2] == (TaskState.WAITING, reason), seconds):
        raise AssertionError(f"{task!r} did not park on {reason.value!r} within {seconds} s")

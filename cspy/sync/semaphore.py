"""Semaphore: a weighted counting semaphore (golang.org/x/sync/semaphore).

State, under ``_lock`` (the scheduler's ``Lock``: compiled, a C lock): ``size`` (the capacity),
``_cur`` (units held), ``_waiters`` (FIFO of ``[k, task]`` records, parked in ``acquire``).

- ``acquire(k)`` takes ``k`` units at once if they are free **and nobody is waiting**; else it
  queues. Checking the queue keeps it FIFO: a newcomer never overtakes a parked task.
- ``release(k)`` returns units and then admits waiters from the head for as long as the head
  fits. It stops at the first that does not fit even if a later, smaller one would: letting
  small requests pass would starve a large one forever (Go's notifyWaiters does the same).
- Admission is a hand-off: the releaser adds the waiter's ``k`` to ``_cur`` before readying it,
  so a woken task never re-checks.

Both counts are at most ``sys.maxsize`` (Go's are int64), so the compiled build keeps them as C
integers, which any thread may read: ``held()`` and ``repr`` take no lock.

Misuse is an error, never a silent corruption: ``k`` above ``size`` could never be granted
(``ValueError`` at once instead of hanging forever), and releasing more than is held raises
``RuntimeError`` as Go's ``panic("semaphore: released more than held")`` does.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Any

from cspy.scheduler.lock import Lock
from cspy.scheduler.park import park, ready, task_to_park
from cspy.scheduler.task import Task, WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["Semaphore"]

_SEMAPHORE = WaitReason.SEMAPHORE
_MAX = sys.maxsize


def _check_units(what: str, k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"Semaphore.{what}() needs an int number of units, got {k!r}")
    if k < 0:
        raise ValueError(f"Semaphore.{what}() needs k >= 0, got {k}")
    return k


class Semaphore:
    """A counting semaphore of ``n`` units: ``acquire(k=1)``, ``release(k=1)``, ``with sem:``.

    >>> def main():
    ...     sem, active, peak = cspy.Semaphore(2), [0], [0]
    ...     def work():
    ...         with sem:
    ...             active[0] += 1
    ...             peak[0] = max(peak[0], active[0])
    ...             cspy.sleep(0.001)
    ...             active[0] -= 1
    ...     wg = cspy.WaitGroup()
    ...     for _ in range(6):
    ...         wg.add(1)
    ...         cspy.go(lambda: (work(), wg.done()))
    ...     wg.wait()
    ...     return peak[0]
    >>> cspy.run(main)
    2
    """

    __slots__ = ("size", "_cur", "_lock", "_waiters")

    def __init__(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"Semaphore(n) needs an int number of units, got {n!r}")
        if n < 0:
            raise ValueError(f"Semaphore(n) needs n >= 0, got {n}")
        if n > _MAX:
            raise ValueError(f"Semaphore(n) needs n <= sys.maxsize, got {n}")
        self.size = n
        self._cur = 0
        self._lock = Lock()
        self._waiters: deque[list[Any]] = deque()  # [k, task]

    def acquire(self, k: int = 1) -> None:
        """Block the task until ``k`` units are free, and take them (FIFO with other waiters)."""
        _check_units("acquire", k)
        if k > self.size:
            raise ValueError(
                f"Semaphore.acquire({k}) can never succeed: the semaphore has only {self.size} units"
            )
        lk = self._lock
        lk.acquire()
        if self.size - self._cur >= k and not self._waiters:
            self._cur += k
            lk.release()
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()
            return
        task = task_to_park(lk, "Semaphore.acquire()")
        entry = [k, task]
        self._waiters.append(entry)
        try:
            park(_SEMAPHORE, lk, self, task)  # release() counted our k in ``_cur``
        except BaseException:  # unwound while waiting (the runtime is shutting down)
            with lk:
                queued = entry in self._waiters
                if queued:
                    self._waiters.remove(entry)
            # Granted: give the units back. Queued: the waiters behind us may fit now.
            self._release(0 if queued else k)
            raise

    def try_acquire(self, k: int = 1) -> bool:
        """Take ``k`` units if they are free and nobody is waiting; never blocks."""
        _check_units("try_acquire", k)
        with self._lock:
            ok = self.size - self._cur >= k and not self._waiters
            if ok:
                self._cur += k
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()
        return ok

    def release(self, k: int = 1) -> None:
        """Return ``k`` units and admit waiters that now fit. More than held: ``RuntimeError``."""
        _check_units("release", k)
        lk = self._lock
        lk.acquire()
        if k > self._cur:
            held = self._cur
            lk.release()
            raise RuntimeError(
                f"semaphore: released more than held (release({k}) with {held} units held); "
                "release only what acquire took"
            )
        lk.release()
        self._release(k)
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def _release(self, k: int) -> None:
        """Return ``k`` units (0: none) and admit the waiters at the head that now fit."""
        lk = self._lock
        lk.acquire()
        self._cur -= k
        woken: list[Task] = []
        waiters = self._waiters
        while waiters and self.size - self._cur >= waiters[0][0]:
            need, task = waiters.popleft()
            self._cur += need
            woken.append(task)
        lk.release()
        for task in woken:
            ready(task)

    def held(self) -> int:
        """Units held now (a snapshot)."""
        return self._cur

    def __enter__(self) -> Semaphore:
        self.acquire(1)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release(1)

    def __repr__(self) -> str:
        return f"<Semaphore {self._cur}/{self.size} held, waiters={len(self._waiters)}>"

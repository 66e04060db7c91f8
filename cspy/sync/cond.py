"""Cond (Go's ``sync.Cond``): tasks wait for a condition guarded by a lock.

``wait`` must register the task as a waiter *before* it unlocks the user's lock: a task that
changes the condition and signals does so holding that lock, so it either runs before we
registered (and we re-check the condition, still holding the lock) or sees us registered. Go's
``notifyList`` gets the same ordering with tickets; here the registration and the park share
``_lock`` (ours), which is held across ``locker.unlock()``. Lock order: ``_lock`` then the
locker's own internals; ``signal``/``broadcast`` take only ``_lock``, so the order never inverts.

Waiters are woken FIFO. As in Go, a woken task must re-check its condition in a loop: another
task may have changed it between the signal and the wake-up.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from cspy.scheduler.lock import Lock
from cspy.scheduler.park import park, ready, task_to_park
from cspy.scheduler.task import Task, WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["Cond", "Locker"]

_COND = WaitReason.COND


class Locker(Protocol):
    """Anything with ``lock()`` and ``unlock()``: a Mutex, an RWMutex, ``rw.rlocker()``."""

    def lock(self) -> None: ...

    def unlock(self) -> None: ...


class Cond:
    """A condition variable bound to ``locker`` (a Mutex, RWMutex or ``rw.rlocker()``).

    >>> def main():
    ...     mu = cspy.Mutex()
    ...     cond, items = cspy.Cond(mu), []
    ...     def produce():
    ...         with mu:
    ...             items.append(1)
    ...             cond.signal()
    ...     cspy.go(produce)
    ...     with mu:
    ...         while not items:
    ...             cond.wait()
    ...         return items
    >>> cspy.run(main)
    [1]
    """

    __slots__ = ("locker", "_lock", "_waiters")

    def __init__(self, locker: Locker) -> None:
        if not (callable(getattr(locker, "lock", None)) and callable(getattr(locker, "unlock", None))):
            raise TypeError(
                f"Cond needs a lock with lock() and unlock() (a cspy.Mutex or RWMutex), got {locker!r}"
            )
        self.locker = locker
        self._lock = Lock()
        self._waiters: deque[Task] = deque()

    def wait(self) -> None:
        """Caller holds ``locker``. Unlock it, park until signalled, lock it again.

        Always call it in a loop that re-checks the condition.
        """
        lk = self._lock
        lk.acquire()
        task = task_to_park(lk, "Cond.wait()")
        self._waiters.append(task)
        try:
            self.locker.unlock()
        except BaseException:
            self._waiters.remove(task)
            lk.release()
            raise
        try:
            park(_COND, lk, self, task)
        except BaseException:  # unwound while waiting (the runtime is shutting down)
            with lk:
                if task in self._waiters:
                    self._waiters.remove(task)
            raise
        self.locker.lock()

    def signal(self) -> None:
        """Wake the task that has waited longest, if any."""
        lk = self._lock
        lk.acquire()
        if self._waiters:
            task = self._waiters.popleft()
            lk.release()
            ready(task)
        else:
            lk.release()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def broadcast(self) -> None:
        """Wake every waiting task."""
        lk = self._lock
        lk.acquire()
        waiters = list(self._waiters)
        self._waiters.clear()
        lk.release()
        for task in waiters:
            ready(task)
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def __repr__(self) -> str:
        return f"<Cond waiters={len(self._waiters)}>"

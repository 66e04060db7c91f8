"""Cond (Go's ``sync.Cond``): tasks wait for a condition guarded by a lock.

``wait`` must register the task as a waiter *before* it unlocks the user's lock: a task that
changes the condition and signals does so holding that lock, so it either runs before we
registered (and we re-check the condition, still holding the lock) or sees us registered.

Between that unlock and the park, no lock of ours is held: ``locker.unlock()`` is user-visible
code (a scheduling point in exploration, which may switch tasks; any object with ``unlock``),
and a lock held across a switch would block the processor's thread. So, as Go's ``notifyList``
does with tickets, each waiter is a record with a state, under ``_lock``:

Each record is a list ``[task, state]`` (cheaper than an object in pure Python):

- ``_QUEUED``: registered, not parked yet. A signal that takes it marks it ``_SIGNALLED``
  instead of readying it, and ``wait`` then returns without parking.
- ``_PARKED``: ``wait`` set it under ``_lock`` and parked (``park`` releases ``_lock`` once the
  task is marked waiting), so a signal that takes it readies the task: exactly one ``ready``
  per ``park``.

A waiter that leaves without a wake-up (its ``unlock`` raised, or it was unwound at shutdown)
after a signal took it passes the signal on to the next, so no signal is lost.

Waiters are woken FIFO. As in Go, a woken task must re-check its condition in a loop: another
task may have changed it between the signal and the wake-up.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from cspy.scheduler.lock import Lock
from cspy.scheduler.park import park, ready, task_to_park
from cspy.scheduler.task import Task, WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["Cond", "Locker"]

_COND = WaitReason.COND

# A waiter's state, ``w[1]`` of its record ``[task, state]`` (the module comment); written and
# read under the Cond's ``_lock``.
_QUEUED, _PARKED, _SIGNALLED = 0, 1, 2


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
        self._waiters: deque[list[Any]] = deque()  # [task, state]

    def wait(self) -> None:
        """Caller holds ``locker``. Unlock it, park until signalled, lock it again.

        Always call it in a loop that re-checks the condition.
        """
        lk = self._lock
        lk.acquire()
        task = task_to_park(lk, "Cond.wait()")
        w: list[Any] = [task, _QUEUED]
        self._waiters.append(w)
        lk.release()
        try:
            self.locker.unlock()  # not under ``_lock`` (module comment)
        except BaseException:
            self._leave(w)
            raise
        lk.acquire()
        if w[1] == _SIGNALLED:  # signalled since we unlocked: no need to park
            lk.release()
        else:
            w[1] = _PARKED
            try:
                park(_COND, lk, self, task)
            except BaseException:  # unwound while waiting (the runtime is shutting down)
                self._leave(w)
                raise
        self.locker.lock()

    def _leave(self, w: list[Any]) -> None:
        """``w`` leaves ``wait`` without a wake-up: drop it, or pass on a signal it took."""
        lk = self._lock
        lk.acquire()
        if w in self._waiters:
            self._waiters.remove(w)
            lk.release()
        else:
            self._wake_head()

    def _wake_head(self) -> None:
        """Caller holds ``_lock``: wake the waiter that has waited longest, if any. Releases it."""
        lk = self._lock
        if not self._waiters:
            lk.release()
            return
        task, state = w = self._waiters.popleft()
        if state == _PARKED:
            lk.release()
            ready(task)
        else:
            w[1] = _SIGNALLED  # it has not parked yet: it sees this instead of parking
            lk.release()

    def signal(self) -> None:
        """Wake the task that has waited longest, if any."""
        self._lock.acquire()
        self._wake_head()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def broadcast(self) -> None:
        """Wake every waiting task."""
        lk = self._lock
        lk.acquire()
        parked: list[Task] = []
        for w in self._waiters:
            if w[1] == _PARKED:
                parked.append(w[0])
            else:
                w[1] = _SIGNALLED
        self._waiters.clear()
        lk.release()
        for task in parked:
            ready(task)
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def __repr__(self) -> str:
        return f"<Cond waiters={len(self._waiters)}>"

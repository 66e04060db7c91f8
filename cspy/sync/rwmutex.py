"""RWMutex (Go's ``sync.RWMutex``): many readers or one writer, and writers are not starved.

State, all under ``_lock`` (the scheduler's ``Lock``: compiled, a C lock; any processor may call
any method):

- ``_readers``: tasks holding a read lock; ``_writer``: a task holds the write lock.
- ``_rwait``: readers parked; ``_wwait``: writers parked, FIFO.

Rules (Go's, expressed as direct hand-offs instead of Go's atomic counters):

- A reader enters only if no writer holds the lock **and none is waiting**: a waiting writer
  blocks new readers, so a steady stream of readers cannot starve it (writer preference).
- A writer enters when there is no reader, no writer and no writer ahead of it.
- ``unlock`` (writer leaving) admits *every* parked reader at once if there are any -- they
  arrived while the writer held the lock -- otherwise hands the lock to the next writer. So
  readers and writers alternate under contention and neither side starves.
- The last reader leaving hands the lock to the next writer.

A hand-off sets the state for the woken task before readying it (``_readers += n`` or
``_writer = True``), so a woken task never re-checks and newcomers cannot slip in between.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from cspy.scheduler.lock import Lock
from cspy.scheduler.park import park, ready, task_to_park
from cspy.scheduler.task import Task, WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["RWMutex", "RLocker"]

_READ, _WRITE = WaitReason.RWMUTEX_R, WaitReason.RWMUTEX_W


class RWMutex:
    """A reader/writer mutex: ``rlock()``/``runlock()`` for readers, ``lock()``/``unlock()`` for
    the writer; ``with rw:`` takes the write lock, ``with rw.rlocker():`` a read lock.

    >>> def main():
    ...     rw, data = cspy.RWMutex(), {"x": 1}
    ...     with rw:
    ...         data["x"] = 2
    ...     with rw.rlocker():
    ...         return data["x"]
    >>> cspy.run(main)
    2
    """

    __slots__ = ("_lock", "_readers", "_writer", "_rwait", "_wwait", "_rlocker")

    def __init__(self) -> None:
        self._lock = Lock()
        self._readers = 0
        self._writer = False
        self._rwait: list[Task] = []
        self._wwait: deque[Task] = deque()
        self._rlocker = RLocker(self)

    # ---- readers ------------------------------------------------------------------------

    def rlock(self) -> None:
        """Block the task until it holds a read lock (shared with other readers)."""
        lk = self._lock
        lk.acquire()
        if not self._writer and not self._wwait:
            self._readers += 1
            lk.release()
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()
            return
        task = task_to_park(lk, "RWMutex.rlock()")
        self._rwait.append(task)
        try:
            park(_READ, lk, self, task)  # the waker counted us in ``_readers``
        except BaseException:  # unwound while waiting (the runtime is shutting down)
            with lk:
                queued = task in self._rwait
                if queued:
                    self._rwait.remove(task)
            if not queued:  # it had been granted: give it back
                self.runlock()
            raise

    def try_rlock(self) -> bool:
        """Take a read lock if that needs no waiting. True if taken."""
        with self._lock:
            if self._writer or self._wwait:
                return False
            self._readers += 1
            return True

    def runlock(self) -> None:
        """Release a read lock. Without a matching ``rlock``: ``RuntimeError``."""
        lk = self._lock
        lk.acquire()
        if self._readers <= 0:
            lk.release()
            raise RuntimeError("sync: runlock of unlocked RWMutex (runlock() without a matching rlock())")
        self._readers -= 1
        if self._readers == 0 and self._wwait:
            self._writer = True
            task = self._wwait.popleft()
            lk.release()
            ready(task)
        else:
            lk.release()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def rlocker(self) -> RLocker:
        """A lock object whose ``lock``/``unlock`` and ``with`` take and release a read lock."""
        return self._rlocker

    # ---- the writer ---------------------------------------------------------------------

    def lock(self) -> None:
        """Block the task until it holds the write lock (no readers, no other writer)."""
        lk = self._lock
        lk.acquire()
        if not self._writer and self._readers == 0 and not self._wwait:
            self._writer = True
            lk.release()
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()
            return
        task = task_to_park(lk, "RWMutex.lock()")
        self._wwait.append(task)
        try:
            park(_WRITE, lk, self, task)  # the waker set ``_writer`` for us
        except BaseException:  # unwound while waiting (the runtime is shutting down)
            self._abandon_write(task)
            raise

    def _abandon_write(self, task: Task) -> None:
        """``task`` was unwound while waiting to write: leave the queue, or give back the lock
        it had been handed, so that an RWMutex outliving this ``cspy.run`` still works."""
        lk = self._lock
        lk.acquire()
        if task not in self._wwait:
            lk.release()
            self.unlock()
            return
        self._wwait.remove(task)
        woken: list[Task] = []
        if not self._writer and not self._wwait and self._rwait:
            # Readers were held back only by waiting writers, and none is left.
            woken = self._rwait[:]
            self._rwait.clear()
            self._readers += len(woken)
        lk.release()
        for t in woken:
            ready(t)

    def try_lock(self) -> bool:
        """Take the write lock if that needs no waiting. True if taken."""
        with self._lock:
            if self._writer or self._readers or self._wwait:
                return False
            self._writer = True
            return True

    def unlock(self) -> None:
        """Release the write lock. Without a matching ``lock``: ``RuntimeError``."""
        lk = self._lock
        lk.acquire()
        if not self._writer:
            lk.release()
            raise RuntimeError("sync: unlock of unlocked RWMutex (unlock() without a matching lock())")
        woken: list[Task]
        if self._rwait:  # readers that arrived during our turn go next, all together
            woken = self._rwait[:]  # (the list stays: repr reads it from any thread)
            self._rwait.clear()
            self._readers = len(woken)
            self._writer = False
        elif self._wwait:
            woken = [self._wwait.popleft()]  # ``_writer`` stays True: it moves to that task
        else:
            woken = []
            self._writer = False
        lk.release()
        for task in woken:
            ready(task)
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def __enter__(self) -> RWMutex:
        self.lock()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unlock()

    def __repr__(self) -> str:
        return (
            f"<RWMutex readers={self._readers} writer={self._writer} "
            f"waiting readers={len(self._rwait)} writers={len(self._wwait)}>"
        )


class RLocker:
    """The read side of an :class:`RWMutex` as a lock: ``lock``/``unlock`` and ``with``.

    Useful where a lock object is expected, e.g. ``cspy.Cond(rw.rlocker())``.
    """

    __slots__ = ("_rw",)

    def __init__(self, rw: RWMutex) -> None:
        self._rw = rw

    def lock(self) -> None:
        """Take a read lock."""
        self._rw.rlock()

    def unlock(self) -> None:
        """Release a read lock."""
        self._rw.runlock()

    def __enter__(self) -> RLocker:
        self._rw.rlock()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._rw.runlock()

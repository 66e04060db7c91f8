"""Mutex (Go's ``sync.Mutex``): mutual exclusion for tasks, with Go's starvation mode.

State, all under ``_lock`` (the scheduler's ``Lock``: compiled, a C lock; any processor may
lock or unlock, so every field is guarded by it):

- ``_locked``: the mutex is held. Set by ``lock``, cleared by ``unlock``; a hand-off (below)
  leaves it set, since ownership moves straight to the woken waiter.
- ``_waiters``: parked tasks, FIFO, except that a woken waiter that lost the race goes back to
  the *front* (it has waited longest).
- ``_woken``: a waiter has been readied and is on its way to retry. While one is, ``unlock`` does
  not wake another: waking a crowd that can only queue again is pure cost.
- ``_starving``: hand-off mode (below).

The fast path of ``lock`` is the lock, one test and one store: compiled, a C lock's atomic
acquire and release around a C flag, with no Python call at all.

Two modes, as in Go (see the comment at the top of Go's sync/mutex.go):

- **Normal**: ``unlock`` frees the mutex and wakes the head waiter, which then *competes* with
  tasks arriving at ``lock``. Newcomers usually win -- they are already running -- so a task
  can lock and unlock many times without a switch. That is why normal mode is fast, and why it
  is unfair.
- **Starvation**: a woken waiter that fails to get the mutex after waiting more than
  ``STARVATION_THRESHOLD`` switches the mutex to starvation mode. Then ``unlock`` hands
  ownership straight to the head waiter (``_locked`` stays True across the hand-off), and
  newcomers queue at the tail: strict FIFO, so no waiter waits behind more than the queue that
  was ahead of it. The waiter that receives the mutex switches back to normal mode if it is the
  last waiter or if it waited less than the threshold: starvation mode costs a switch per lock.

Why no wake-up is lost: a task queues itself and parks (``park`` releases ``_lock`` once the
task is marked waiting) only after it saw ``_locked`` set under ``_lock``, and ``unlock`` clears
``_locked`` and looks for waiters under ``_lock``; so ``unlock`` either sees the waiter or ran
before its test.

Invariants (under ``_lock``): ``_starving`` implies ``_waiters`` is not empty and ``_locked``
is set (a hand-off never frees the mutex), so a newcomer's fast path fails and it queues behind
the starving waiters.

Why not a plain ``threading.Lock`` as the mutex: it would block the processor's thread, and every
other task on that processor with it. Here a blocked ``lock`` parks only the task.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from cspy.scheduler.lock import Lock
from cspy.scheduler.park import now, park, ready, task_to_park
from cspy.scheduler.processor import Processor
from cspy.scheduler.task import Task, WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["Mutex", "STARVATION_THRESHOLD"]

# Go's starvationThresholdNs: a waiter that has waited 1 ms is treated as starving. Short enough
# that no waiter waits much longer than the queue ahead of it; long enough that the fast normal
# mode handles ordinary contention.
STARVATION_THRESHOLD = 0.001

_HANDOFF = "handoff"  # task.val of a waiter that was given the mutex by unlock
_MUTEX = WaitReason.MUTEX

_UNLOCK_UNLOCKED = "sync: unlock of unlocked mutex (unlock() without a matching lock())"


class Mutex:
    """A mutual exclusion lock for tasks: ``lock()``/``unlock()`` or ``with mu:``.

    Not re-entrant, not owned: any task may unlock it (as in Go).

    >>> def main():
    ...     mu, total = cspy.Mutex(), [0]
    ...     def add():
    ...         with mu:
    ...             total[0] += 1
    ...     wg = cspy.WaitGroup()
    ...     for _ in range(10):
    ...         wg.add(1)
    ...         cspy.go(lambda: (add(), wg.done()))
    ...     wg.wait()
    ...     return total[0]
    >>> cspy.run(main)
    10
    """

    __slots__ = ("_lock", "_locked", "_starving", "_woken", "_waiters")

    def __init__(self) -> None:
        self._lock = Lock()
        self._locked = False
        self._starving = False
        self._woken = False
        self._waiters: deque[Task] = deque()

    def lock(self) -> None:
        """Block the task until it owns the mutex."""
        lk = self._lock
        lk.acquire()
        if self._locked:
            self._lock_slow()  # releases ``_lock``; returns owning the mutex
        else:
            self._locked = True
            lk.release()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def try_lock(self) -> bool:
        """Take the mutex if it is free; never blocks. True if taken."""
        lk = self._lock
        lk.acquire()
        ok = not self._locked
        self._locked = True
        lk.release()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()
        return ok

    def unlock(self) -> None:
        """Release the mutex. Unlocking an unlocked mutex raises ``RuntimeError``."""
        lk = self._lock
        lk.acquire()
        if not self._locked:
            lk.release()
            raise RuntimeError(_UNLOCK_UNLOCKED)
        if self._starving or (self._waiters and not self._woken):
            self._unlock_slow()  # a waiter to wake or to hand the mutex to; releases ``_lock``
        else:
            self._locked = False
            lk.release()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def _lock_slow(self) -> None:
        """Caller holds ``_lock`` and saw the mutex held: queue, park, and retry or receive the
        mutex. Releases ``_lock``."""
        lk = self._lock
        task = task_to_park(lk, "Mutex.lock()")
        started = now()
        self._waiters.append(task)
        while True:
            task.val = None
            try:
                park(_MUTEX, lk, self, task)
            except BaseException:  # unwound while waiting (the runtime is shutting down)
                self._abandon(task)
                raise
            lk.acquire()
            if task.val is _HANDOFF:  # unlock gave us the mutex (starvation mode)
                task.val = None
                if not self._waiters or now() - started < STARVATION_THRESHOLD:
                    self._starving = False
                lk.release()
                return
            self._woken = False  # we are the woken waiter; compete for the mutex
            if not self._locked:
                self._locked = True
                lk.release()
                return
            if now() - started > STARVATION_THRESHOLD:
                self._starving = True
            self._waiters.appendleft(task)  # woken but lost the race: first in line again

    def _abandon(self, task: Task) -> None:
        """``task`` was unwound while waiting: forget it, so that a mutex that outlives this
        ``cspy.run`` still works in the next one."""
        lk = self._lock
        lk.acquire()
        if task in self._waiters:
            self._waiters.remove(task)
        elif task.val is _HANDOFF:  # unlock had handed it the mutex: pass it on, freed
            self._locked = False
        else:  # it was the woken waiter, on its way to retry
            self._woken = False
        task.val = None
        if not self._waiters:
            self._starving = False
        lk.release()

    def _unlock_slow(self) -> None:
        """Caller holds ``_lock``; the mutex is held and starving (so has waiters), or has
        waiters and none woken. Releases ``_lock``."""
        task: Task = self._waiters.popleft()
        if self._starving:
            task.val = _HANDOFF  # ``_locked`` stays set: ownership moves to ``task``
            if not self._waiters:
                self._starving = False  # nobody left to starve
        else:
            self._locked = False
            self._woken = True  # until it retries, unlock wakes nobody else (see module comment)
        home: Processor = task.home  # type: ignore[assignment]  # a parked task has a home
        obs = home.trace  # cspy.pprof's mutex profile, if on
        if obs is not None:
            obs.unlock(self, task, self._waiters)  # charged to this unlock's stack, as Go does
        self._lock.release()
        ready(task)

    def locked(self) -> bool:
        """Whether some task holds the mutex now (a snapshot, for tests and debugging)."""
        return self._locked

    def __enter__(self) -> Mutex:
        self.lock()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unlock()

    def __repr__(self) -> str:
        mode = " starving" if self._starving else ""
        state = "locked" if self._locked else "unlocked"
        return f"<Mutex {state}{mode} waiters={len(self._waiters)}>"

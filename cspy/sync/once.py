"""Once (Go's ``sync.Once``): run a function exactly once, however many tasks ask.

State, under ``_lock``: ``_state`` is NOT_STARTED, RUNNING or DONE; ``_waiters`` are the tasks
that called ``do`` while the function was running. They park until it finishes -- "do returns
only after fn has returned" is the guarantee that makes Once useful for lazy initialisation.

As in Go, a function that raises still counts as done: the exception propagates to the caller
that ran it, every other caller returns normally, and ``do`` never runs anything again. (Go's
``sync.OnceFunc`` re-panics in every caller; plain ``Once.Do`` does not.)

The state is read under the lock even on the fast path: a bare flag read would rely on the
interpreter for visibility of what ``fn`` wrote, and the lock costs ~65 ns.
"""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Callable

from cspy.scheduler import Task, WaitReason, park, ready, task_to_park
from cspy.scheduler.testpoint import hook

__all__ = ["Once"]

NOT_STARTED, RUNNING, DONE = 0, 1, 2


class Once:
    """Run a function once: ``once.do(fn)``. Later and concurrent calls wait for it, then return.

    >>> def main():
    ...     once, calls = cspy.Once(), []
    ...     for _ in range(3):
    ...         once.do(lambda: calls.append("init"))
    ...     return calls
    >>> cspy.run(main)
    ['init']
    """

    __slots__ = ("_lock", "_state", "_waiters")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = NOT_STARTED
        self._waiters: list[Task] = []

    def do(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` if no call of ``do`` on this Once has; otherwise wait until that call
        has finished. Calling ``do`` on the same Once from inside ``fn`` deadlocks, as in Go."""
        lk = self._lock
        lk.acquire()
        state = self._state
        if state == DONE:
            lk.release()
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()
            return
        if state == RUNNING:
            task = task_to_park(lk, "Once.do()")
            self._waiters.append(task)
            try:
                park(WaitReason.ONCE, lk, self, task)
            except BaseException:  # unwound while waiting (the runtime is shutting down)
                with lk:
                    if task in self._waiters:
                        self._waiters.remove(task)
                raise
            return
        self._state = RUNNING
        lk.release()
        try:
            fn()
        finally:
            with lk:
                self._state = DONE
                waiters, self._waiters = self._waiters, []
            for task in waiters:
                ready(task)
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()

    def done(self) -> bool:
        """Whether the function has run to completion (or raised)."""
        with self._lock:
            return self._state == DONE

    def __repr__(self) -> str:
        return f"<Once {('not started', 'running', 'done')[self._state]}>"

"""WaitGroup (Go's ``sync.WaitGroup``): wait for a collection of tasks to finish.

State: a counter and the tasks parked in ``wait``, both under ``_lock`` (the scheduler's ``Lock``:
compiled, a C lock; any processor may call any method). When the counter reaches zero every
waiter is readied. Blocking parks the task, never the processor. The counter is at most
``sys.maxsize`` (Go's is 32 bits): the compiled build keeps it as a C integer, which ``repr``
may read from any thread without the lock (and the waiter list is never replaced, only cleared).

``go(fn)`` is Go 1.25's ``WaitGroup.Go``: ``add(1)`` before the task exists (so a ``wait``
that follows cannot miss it), ``done()`` in a ``finally`` around ``fn`` (so a task that raises
still counts down; the exception then fails the run, as a panic ends a Go program).
"""

from __future__ import annotations

import sys
from typing import Any
from collections.abc import Callable

from cspy.scheduler.lock import Lock
from cspy.scheduler.park import go, park, ready, task_to_park
from cspy.scheduler.task import Task, WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["WaitGroup"]

_WAITGROUP = WaitReason.WAITGROUP
_MAX = sys.maxsize


class WaitGroup:
    """Wait for tasks to finish: ``add(n)`` before starting them, ``done()`` in each, ``wait()``.

    >>> def main():
    ...     wg, out = cspy.WaitGroup(), []
    ...     for i in range(3):
    ...         wg.add(1)
    ...         cspy.go(lambda i=i: (out.append(i), wg.done()))
    ...     wg.wait()
    ...     return sorted(out)
    >>> cspy.run(main)
    [0, 1, 2]
    """

    __slots__ = ("_count", "_waiters", "_lock")

    def __init__(self) -> None:
        self._count = 0
        self._waiters: list[Task] = []
        self._lock = Lock()

    def add(self, n: int = 1) -> None:
        """Add ``n`` (may be negative) to the counter. Below zero: ``ValueError``."""
        self._add(n)
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def _add(self, n: int) -> None:
        """``add`` without the scheduling point."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"WaitGroup.add() needs an int, got {n!r}")
        lk = self._lock
        lk.acquire()
        count = self._count + n
        if not 0 <= count <= _MAX:
            lk.release()
            if count < 0:
                raise ValueError("sync: negative WaitGroup counter (more done() than add())")
            raise OverflowError(f"sync: WaitGroup counter above sys.maxsize (add({n}))")
        self._count = count
        if count == 0 and self._waiters:
            waiters = self._waiters[:]  # (the list stays: repr reads it from any thread)
            self._waiters.clear()
            lk.release()
            for task in waiters:
                ready(task)
        else:
            lk.release()

    def done(self) -> None:
        """Decrement the counter by one."""
        self.add(-1)

    def go(self, fn: Callable[..., Any], /, *args: Any, name: str | None = None, **kwargs: Any) -> Task:
        """Run ``fn(*args, **kwargs)`` in a new task counted by this group (Go's
        ``WaitGroup.Go``): ``add(1)``, spawn, ``done()`` when ``fn`` returns or raises.

        ``name`` names the task, as in ``cspy.go``. Returns the task.

        >>> def main():
        ...     wg, out = cspy.WaitGroup(), []
        ...     for i in range(3):
        ...         wg.go(out.append, i)
        ...     wg.wait()
        ...     return sorted(out)
        >>> cspy.run(main)
        [0, 1, 2]
        """
        if not callable(fn):
            raise TypeError(f"WaitGroup.go() needs a callable, got {fn!r}")
        self.add(1)
        try:
            return go(self._run, fn, args, kwargs, name=name)
        except BaseException:  # no task was started (e.g. no runtime running)
            self.add(-1)
            raise

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            fn(*args, **kwargs)
        finally:
            self._add(-1)  # no scheduling point: the task's end, just after, is one

    def wait(self) -> None:
        """Block the task until the counter is zero."""
        lk = self._lock
        lk.acquire()
        if self._count == 0:
            lk.release()
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()
            return
        task = task_to_park(lk, "WaitGroup.wait()")
        self._waiters.append(task)
        try:
            park(_WAITGROUP, lk, self, task)
        except BaseException:  # unwound while waiting (the runtime is shutting down)
            with lk:
                _forget(self._waiters, task)
            raise

    def __repr__(self) -> str:
        return f"<WaitGroup count={self._count} waiters={len(self._waiters)}>"


def _forget(waiters: list[Task], task: Task) -> None:
    """Caller holds the lock: drop an unwound waiter, so a WaitGroup that outlives this
    ``cspy.run`` does not keep (or later ready) a task of a finished runtime."""
    if task in waiters:
        waiters.remove(task)

"""errgroup (golang.org/x/sync/errgroup): run tasks as a group; the first error wins.

A Group is a WaitGroup plus the first exception raised by any of its functions. ``wait`` waits
for every function, then raises that first exception (later ones are dropped, as in Go). A group
made by ``with_context`` also cancels its context on the first error, so siblings that watch
``ctx.done()`` stop early; ``wait`` cancels it too, once everything has returned.

``set_limit(n)`` bounds how many functions run at once with a Semaphore: ``go`` blocks the
*caller* until a slot frees (Go's behaviour), ``try_go`` returns False instead.

A function's exception is caught in its task: it belongs to the group, not to the runtime (an
uncaught task exception would end the program). ``BaseException``s that are not ``Exception``
(GreenletExit at shutdown, KeyboardInterrupt) are not caught.
"""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Callable

from cspy import context
from cspy.scheduler import go as spawn
from cspy.sync import Semaphore, WaitGroup

__all__ = ["Group", "with_context"]


class Group:
    """Run functions in tasks and wait for all; ``wait()`` raises the first exception.

    >>> from cspy.x import errgroup

    >>> def main():
    ...     g = errgroup.Group()
    ...     results = [0] * 3
    ...     for i in range(3):
    ...         g.go(lambda i=i: results.__setitem__(i, i * i))
    ...     g.wait()
    ...     return results
    >>> cspy.run(main)
    [0, 1, 4]
    """

    __slots__ = ("_wg", "_lock", "_err", "_cancel", "_sem")

    def __init__(self) -> None:
        self._wg = WaitGroup()
        self._lock = threading.Lock()
        self._err: BaseException | None = None
        self._cancel: context.CancelFunc | None = None
        self._sem: Semaphore | None = None

    def set_limit(self, n: int) -> None:
        """Run at most ``n`` functions at once (``n < 0``: no limit). Only while none run."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"errgroup: set_limit() needs an int, got {n!r}")
        if n == 0:
            raise ValueError("errgroup: set_limit(0) would block every go(); use n >= 1, or n < 0 for no limit")
        sem = self._sem
        if sem is not None and sem.held():
            raise RuntimeError(
                f"errgroup: set_limit() while {sem.held()} functions are running; set it before go()"
            )
        self._sem = None if n < 0 else Semaphore(n)

    def go(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run ``fn(*args)`` in a new task. With a limit, blocks until a slot is free."""
        sem = self._sem
        if sem is not None:
            sem.acquire()
        self._start(fn, args, sem)

    def try_go(self, fn: Callable[..., Any], /, *args: Any) -> bool:
        """Like ``go`` but never blocks: False (and ``fn`` not started) if the limit is reached."""
        sem = self._sem
        if sem is not None and not sem.try_acquire():
            return False
        self._start(fn, args, sem)
        return True

    def wait(self) -> None:
        """Wait for every function; then cancel the group's context and raise the first error."""
        self._wg.wait()
        if self._cancel is not None:
            self._cancel()
        if self._err is not None:
            raise self._err

    def _start(self, fn: Callable[..., Any], args: tuple[Any, ...], sem: Semaphore | None) -> None:
        self._wg.add(1)
        spawn(self._run, fn, args, sem, name="errgroup")

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], sem: Semaphore | None) -> None:
        try:
            fn(*args)
        except Exception as exc:
            with self._lock:
                first = self._err is None
                if first:
                    self._err = exc
            if first and self._cancel is not None:
                self._cancel()
        finally:
            if sem is not None:
                sem.release()
            self._wg.done()


def with_context(ctx: context.Context) -> tuple[Group, context.Context]:
    """A Group and a child of ``ctx`` that is cancelled when a function fails or ``wait`` returns.

    >>> from cspy.x import errgroup

    >>> def main():
    ...     g, ctx = errgroup.with_context(cspy.context.background())
    ...     def fail():
    ...         raise ValueError("boom")
    ...     g.go(fail)
    ...     g.go(lambda: ctx.done().recv_ok())  # stops when the sibling fails
    ...     try:
    ...         g.wait()
    ...     except ValueError as e:
    ...         return str(e), type(ctx.err()).__name__
    >>> cspy.run(main)
    ('boom', 'Canceled')
    """
    child, cancel = context.with_cancel(ctx)
    g = Group()
    g._cancel = cancel
    return g, child

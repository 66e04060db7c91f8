"""pool: a fixed set of worker tasks fed by a bounded channel (a task pool).

``Pool(workers, queue_size)`` starts ``workers`` tasks that receive jobs from a channel of
capacity ``queue_size``. ``submit`` sends a job and returns a ``Future``; when the queue is full
it blocks the submitting *task* -- backpressure instead of an unbounded backlog. At most
``workers`` jobs run at once, because only the workers run jobs.

``close()`` closes the channel: workers finish every job already queued (the channel drains
before ``for job in jobs`` ends), then exit; ``close`` waits for that. A ``submit`` after
``close`` -- or racing with it -- raises ``PoolClosed``; it never loses a job silently: a job
is either rejected by ``submit`` or run exactly once.

A job's exception is stored in its Future and re-raised by ``result()``; it never reaches the
worker, so one failing job neither kills a worker nor ends the program.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar
from collections.abc import Callable

from cspy.channel import Chan, RecvChan
from cspy.errors import ChannelClosed
from cspy.scheduler import go
from cspy.sync import WaitGroup

__all__ = ["Pool", "Future", "PoolClosed"]

T = TypeVar("T")


class PoolClosed(RuntimeError):
    """``submit`` on a pool that is closed (or closing)."""


class Future(Generic[T]):
    """The outcome of one submitted job. ``result()`` blocks the task until the job ran.

    ``done_chan()`` is closed when the job has finished, for use in ``cspy.select``.
    """

    __slots__ = ("_done", "_value", "_exc")

    def __init__(self) -> None:
        self._done = Chan[None]()
        self._value: Any = None
        self._exc: BaseException | None = None

    def result(self) -> T:
        """Wait for the job; return its value or re-raise its exception."""
        self._done.recv_ok()
        if self._exc is not None:
            raise self._exc
        return self._value  # type: ignore[no-any-return]

    def exception(self) -> BaseException | None:
        """Wait for the job; return its exception, or None if it returned."""
        self._done.recv_ok()
        return self._exc

    def done(self) -> bool:
        """Whether the job has finished (never blocks)."""
        return self._done.closed

    def done_chan(self) -> RecvChan[None]:
        """A channel closed when the job has finished."""
        return self._done.recv_only()

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self._value = fn(*args, **kwargs)
        except Exception as exc:
            self._exc = exc
        finally:
            self._done.close()  # publishes _value/_exc: close takes the channel's lock


class Pool:
    """``workers`` tasks running submitted jobs from a queue of ``queue_size``.

    >>> from cspy.x import pool

    >>> def main():
    ...     p = pool.Pool(workers=2, queue_size=4)
    ...     futures = [p.submit(pow, i, 2) for i in range(5)]
    ...     out = [f.result() for f in futures]
    ...     p.close()
    ...     return out
    >>> cspy.run(main)
    [0, 1, 4, 9, 16]
    """

    __slots__ = ("workers", "_jobs", "_wg", "_lock", "_closed")

    def __init__(self, workers: int, queue_size: int = 0) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"pool.Pool needs workers >= 1, got {workers!r}")
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 0:
            raise ValueError(f"pool.Pool needs queue_size >= 0 (0: hand each job to a free worker), got {queue_size!r}")
        self.workers = workers
        self._jobs = Chan[tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]](queue_size)
        self._wg = WaitGroup()
        self._lock = threading.Lock()
        self._closed = False
        self._wg.add(workers)
        for i in range(workers):
            go(self._worker, name=f"pool-worker-{i}")

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)``; blocks the task while the queue is full.

        Raises ``PoolClosed`` once ``close`` has been called.
        """
        if not callable(fn):
            raise TypeError(f"pool.submit() needs a callable, got {fn!r}")
        if self._closed:
            raise PoolClosed("submit on a closed pool: create a new Pool, or submit before close()")
        fut: Future[T] = Future()
        try:
            self._jobs.send((fut, fn, args, kwargs))
        except ChannelClosed:
            raise PoolClosed("submit on a closed pool: the pool was closed while this job waited") from None
        return fut

    def close(self) -> None:
        """Stop accepting jobs, let the workers finish every queued job, and wait for them.

        Calling it again just waits.
        """
        with self._lock:
            first = not self._closed
            self._closed = True
        if first:
            self._jobs.close()
        self._wg.wait()

    @property
    def closed(self) -> bool:
        return self._closed

    def queued(self) -> int:
        """Jobs waiting in the queue now (a snapshot)."""
        return len(self._jobs)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _worker(self) -> None:
        try:
            for fut, fn, args, kwargs in self._jobs:
                fut._run(fn, args, kwargs)
        finally:
            self._wg.done()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<pool.Pool {state} workers={self.workers} queued={len(self._jobs)}>"

"""The trio thread behind ``call_async``: one trio event loop for the life of the runtime.

Sockets do not use it (they wait on the runtime's own netpoll, cspy/scheduler/netpoll.py); it
runs async libraries (``call_async``) that tasks use as if they were blocking calls. It cannot
run on a processor's thread: a processor's thread belongs to its scheduling loop and its
greenlets, and trio's loop wants a thread of its own.

What crosses threads, and how:

- **task -> poller**: ``submit(fn, arg)`` appends ``(fn, arg)`` to ``_queue`` under ``_lock``.
  Only a submission into an *empty* queue asks trio to drain it (``TrioToken.run_sync_soon``,
  a write to trio's wake-up socket); ``_drain`` then runs every queued ``fn(arg)`` on the poller
  thread. A burst of submissions costs the poller one wake-up.
- **poller -> task**: the outcome goes into the task's wait record (``task.val``/``task.ok``),
  then ``ready(task)`` pushes it to its home processor's inbox (safe from any thread).

Invariants:

- Everything trio -- the nursery, cancel scopes, ``wait_readable``, ``notify_closing``, closing
  a socket that trio may be waiting on -- happens on the poller thread only.
- ``inflight`` counts tasks parked on the poller that it still has to ready. While it is above
  zero the runtime holds *one* pending operation for the poller (``op_begin`` on 0 -> 1,
  ``op_end`` on 1 -> 0, both under ``_lock``, and ``op_end`` only after the last ``ready``):
  deadlock detection sees I/O in flight, and a read does not take the runtime's lock.
- The thread starts lazily on first use and is stopped and joined by ``run`` (``rt.on_stop``)
  after every processor has stopped. No thread outlives ``cspy.run``.
"""

from __future__ import annotations

import inspect
import threading
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Awaitable, Callable

import trio

from cspy.scheduler import WaitReason, current_task, park, ready, running

if TYPE_CHECKING:
    from cspy.scheduler import Runtime, Task

__all__ = ["Netpoller", "netpoller", "call_async"]

T = TypeVar("T")

_pollers_lock = threading.Lock()


class Netpoller:
    """The runtime's trio thread. Methods say which thread may call them."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lock = threading.Lock()
        self._queue: list[tuple[Callable[[Any], None], Any]] = []
        self._token: trio.lowlevel.TrioToken | None = None
        self._kicked = False  # a drain is scheduled (or the loop is starting and will drain)
        self._stopped = False
        self.nursery: trio.Nursery | None = None  # poller thread only
        self.inflight = 0
        # Counters, for the benchmark and stats: submissions, and poller wake-ups (drains).
        self.submits = 0
        self.drains = 0
        self._thread = threading.Thread(target=self._main, name="cspy-netpoll", daemon=True)

    # ---- any thread ------------------------------------------------------------------------

    def submit(self, fn: Callable[[Any], None], arg: Any) -> None:
        """Run ``fn(arg)`` on the poller thread soon. ``fn`` must not block or raise."""
        with self._lock:
            self._queue.append((fn, arg))
            self.submits += 1
            if self._kicked or self._token is None:
                return
            self._kicked = True
            token = self._token
        self._kick(token)

    def submit_wait(self, fn: Callable[[Any], None], arg: Any) -> None:
        """Like ``submit``, for a caller that parks next and is readied by ``finish``."""
        with self._lock:
            self._queue.append((fn, arg))
            self.submits += 1
            self.inflight += 1
            if self.inflight == 1:
                self.rt.op_begin()
            if self._kicked or self._token is None:
                return
            self._kicked = True
            token = self._token
        self._kick(token)

    def finish(self, task: Task) -> None:
        """Ready ``task``, whose outcome is stored, and retire its pending operation."""
        ready(task)
        with self._lock:
            self.inflight -= 1
            if self.inflight == 0:
                self.rt.op_end()  # after ready(): see runtime.py on pending operations

    def _kick(self, token: trio.lowlevel.TrioToken) -> None:
        try:
            token.run_sync_soon(self._drain)
        except trio.RunFinishedError:
            raise RuntimeError("cspy.net: the network poller has stopped (the runtime is ending)") from None

    # ---- life cycle (the runtime's threads) -------------------------------------------------

    def start(self) -> None:
        self.rt.on_stop.append(self.stop)
        self._thread.start()

    def stop(self) -> None:
        """``run``'s thread, after every processor stopped: end the loop, close sockets, join."""
        with self._lock:
            self._stopped = True
        self.submit(self._cancel_all, None)
        self._thread.join()
        with _pollers_lock:
            if self.rt.netpoller is self:
                self.rt.netpoller = None

    # ---- the poller thread ------------------------------------------------------------------

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # a bug in the poller: end the program with it
            self.rt.fail(None, exc)

    async def _serve(self) -> None:
        token = trio.lowlevel.current_trio_token()
        try:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                with self._lock:
                    self._token = token
                    self._kicked = True
                self._drain()  # what was submitted while the loop was starting
                await trio.sleep_forever()
        finally:
            self.nursery = None

    def _drain(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
            self._kicked = False
            self.drains += 1
        for fn, arg in batch:
            fn(arg)

    def _cancel_all(self, _: object) -> None:
        assert self.nursery is not None
        self.nursery.cancel_scope.cancel()

    def start_call(self, arg: tuple[Task, Callable[..., Awaitable[Any]], tuple[Any, ...]]) -> None:
        assert self.nursery is not None
        self.nursery.start_soon(self._call, *arg)

    async def _call(self, task: Task, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        try:
            aw = fn(*args)
            if not inspect.isawaitable(aw):
                raise TypeError(
                    f"cspy.call_async() needs an async function, but {fn!r} returned {aw!r}: "
                    "for a blocking function use cspy.blocking()"
                )
            task.val, task.ok = await aw, True
        except trio.Cancelled:
            raise  # only the poller's shutdown cancels: the task is gone already
        except BaseException as exc:  # re-raised in the calling task
            task.val, task.ok = exc, False
        self.finish(task)


def netpoller() -> Netpoller:
    """From a task: the running runtime's poller, started on first use."""
    rt = running()
    if rt is None:
        raise RuntimeError(
            "cspy.net and cspy.call_async need a running runtime: start the program with "
            "cspy.run(main) and use them from a task"
        )
    p: Netpoller | None = rt.netpoller
    if p is not None:
        return p
    with _pollers_lock:
        p = rt.netpoller
        if p is not None:
            return p
        if rt.stopping:
            raise RuntimeError("cspy.net: the runtime is stopping; the network poller is not available")
        p = rt.netpoller = Netpoller(rt)
        p.start()
    return p


def call_async(async_fn: Callable[..., Awaitable[T]], /, *args: Any) -> T:
    """Run ``await async_fn(*args)`` on the runtime's trio thread; only the calling task waits.

    Any trio-compatible async function works (trio's own, or a library built on trio or anyio).
    Returns its result or re-raises its exception in the task. While it runs the call is
    pending work, so a program waiting on it is not reported as deadlocked. (An async function
    that itself uses ``trio.to_thread`` leaves trio's idle worker threads behind ``run`` for a
    few seconds: trio caches them; prefer ``cspy.blocking`` for blocking work.)

    >>> import trio
    >>> cspy.run(lambda: cspy.call_async(trio.sleep, 0.01) or "slept")
    'slept'
    """
    if not callable(async_fn):
        raise TypeError(f"cspy.call_async() needs an async function, got {async_fn!r}")
    task = current_task()
    poller = netpoller()
    poller.submit_wait(poller.start_call, (task, async_fn, args))
    park(WaitReason.IO_WAIT, None, on=async_fn)
    val, task.val = task.val, None
    if task.ok:
        return val  # type: ignore[no-any-return]
    task.ok = True
    raise val

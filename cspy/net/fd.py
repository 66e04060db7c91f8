"""FD: a non-blocking socket that tasks use as if it blocked (Go's ``netFD`` + ``pollDesc``).

The Go way, kept: a task first tries the system call itself (``recv``, ``send``, ``accept``,
``connect``) on the non-blocking socket, on its own thread. Only when the kernel says "would
block" does it park and ask the netpoller to wait for readiness (trio's ``wait_readable`` /
``wait_writable``); readied, it retries the call. So a read whose data is already there costs no
thread hop at all, and the trio thread only ever *waits*; it never moves bytes.

Directions: READ (recv, accept) and WRITE (send, connect). Per direction:

- a *turn*: one task at a time uses a direction (trio allows one waiter per fd and direction;
  Go serialises with ``fdMutex``). Others queue in ``turnq`` and are handed the turn in FIFO
  order;
- a deadline (absolute, ``time.monotonic`` seconds, or None). A wait in progress picks up a new
  deadline at once (Go: a deadline applies to pending I/O too);
- while a wait is in progress on the poller: its trio ``CancelScope`` (poller thread only) and a
  sequence number, so that a late context cancellation cannot cancel a later wait.

Closing: ``close()`` marks the FD closed under ``lock`` (every later or retried call then raises
``ClosedError``), wakes tasks queued for a turn, and asks the poller to ``notify_closing`` (which
wakes a task waiting for readiness) and close the socket. The socket is closed only on the poller
thread, after trio forgot it, and a task only touches the socket while holding ``lock`` with
``closed`` false: a file descriptor is never used after close, nor closed under a waiter.

Outcome of a wait, in the waiting task's ``val``: READY, TIMEOUT, CLOSED, or an exception to raise
(a context's error, or an OSError from the poller).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import trio

from cspy.net.errors import ClosedError, Timeout
from cspy.scheduler import WaitReason, current_task, park, ready

if TYPE_CHECKING:
    from cspy.net.netpoller import Netpoller
    from cspy.scheduler import Task

__all__ = ["FD", "READ", "WRITE", "deadline_after"]

READ, WRITE = 0, 1
_VERB = ("read", "write")

# Outcomes of a wait (stored in task.val by the poller).
READY, TIMEOUT, CLOSED = "ready", "timeout", "closed"

_monotonic = time.monotonic


def deadline_after(seconds: float | None, what: str) -> float | None:
    """``seconds`` from now as a monotonic deadline; None stays None (no deadline)."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} needs a number of seconds or None, got {seconds!r}")
    if seconds != seconds:
        raise ValueError(f"{what} got NaN seconds")
    return _monotonic() + seconds


class FD:
    """A non-blocking socket registered with the netpoller. Any thread unless a method says."""

    __slots__ = (
        "sock",
        "fileno",
        "poller",
        "lock",
        "closed",
        "name",
        "busy",
        "turnq",
        "deadline",
        "waiter",
        "seq",
        "scope",
        "cancel",
    )

    def __init__(self, sock: socket.socket, poller: Netpoller, name: str) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.fileno = sock.fileno()
        self.poller = poller
        self.lock = threading.Lock()
        self.closed = False
        self.name = name  # "tcp 127.0.0.1:5000->127.0.0.1:41234", for messages
        self.busy = [False, False]
        self.turnq: tuple[deque[Task], deque[Task]] = (deque(), deque())
        self.deadline: list[float | None] = [None, None]
        self.waiter: list[Task | None] = [None, None]
        self.seq = [0, 0]
        self.scope: list[trio.CancelScope | None] = [None, None]  # poller thread only
        self.cancel: list[tuple[int, BaseException] | None] = [None, None]  # poller thread only
        poller.register(self)

    def __repr__(self) -> str:
        return f"<fd {self.fileno} {self.name}{' closed' if self.closed else ''}>"

    # ---- turns -------------------------------------------------------------------------------

    def begin(self, mode: int, verb: str) -> None:
        """Take ``mode``'s turn, waiting behind other tasks. Raises ClosedError if closed."""
        lock = self.lock
        lock.acquire()
        if self.closed:
            lock.release()
            raise ClosedError(f"{verb} {self.name}")
        if not self.busy[mode]:
            self.busy[mode] = True
            lock.release()
            return
        task = current_task()
        self.turnq[mode].append(task)
        task.val = None
        park(WaitReason.IO_WAIT, lock, on=self)
        outcome, task.val = task.val, None
        if outcome is CLOSED:
            raise ClosedError(f"{verb} {self.name}")

    def end(self, mode: int) -> None:
        """Give ``mode``'s turn to the next queued task, if any."""
        with self.lock:
            q = self.turnq[mode]
            if not q:
                self.busy[mode] = False
                return
            nxt = q.popleft()
        nxt.val = READY  # busy stays True: the turn is handed over
        ready(nxt)

    # ---- the calls, under lock -----------------------------------------------------------------

    def enter(self, mode: int, verb: str) -> None:
        """Take ``lock`` to make a call on the socket: raises if closed or past the deadline."""
        self.lock.acquire()
        if self.closed:
            self.lock.release()
            raise ClosedError(f"{verb} {self.name}")
        dl = self.deadline[mode]
        if dl is not None and _monotonic() >= dl:
            self.lock.release()
            raise Timeout(f"{verb} {self.name}")

    # ---- waiting for readiness ---------------------------------------------------------------

    def wait(self, mode: int, verb: str, ctx: Any = None) -> None:
        """Park until the socket is ready for ``mode`` (caller holds the turn, not ``lock``).

        Raises Timeout past the deadline, ClosedError if closed meanwhile, the context's error if
        ``ctx`` is cancelled first.
        """
        task = current_task()
        with self.lock:
            if self.closed:
                raise ClosedError(f"{verb} {self.name}")
            self.seq[mode] += 1
            seq = self.seq[mode]
            self.waiter[mode] = task
        fin = _watch(ctx, self, mode, seq) if ctx is not None else None
        task.val = None
        self.poller.submit_wait(self._start_wait, (mode, task, seq))
        try:
            park(WaitReason.IO_WAIT, None, on=self)
        finally:
            if fin is not None:
                fin.close()
        outcome, task.val = task.val, None
        if outcome is READY:
            return
        if outcome is TIMEOUT:
            raise Timeout(f"{verb} {self.name}")
        if outcome is CLOSED:
            raise ClosedError(f"{verb} {self.name}")
        raise outcome

    def set_deadline(self, mode: int, deadline: float | None) -> None:
        """Set ``mode``'s deadline; a wait in progress is re-timed on the poller."""
        with self.lock:
            self.deadline[mode] = deadline
            pending = self.waiter[mode] is not None and not self.closed
        if pending:
            self.poller.submit(self._retime, mode)

    def cancel_wait(self, mode: int, seq: int, exc: BaseException) -> None:
        """Wake wait number ``seq`` of ``mode`` (if still in progress) with ``exc``."""
        self.poller.submit(self._cancel, (mode, seq, exc))

    # ---- closing --------------------------------------------------------------------------------

    def close(self) -> bool:
        """Close (False if it already was). Wakes every task waiting on this socket."""
        with self.lock:
            if self.closed:
                return False
            self.closed = True
            queued = [*self.turnq[READ], *self.turnq[WRITE]]
            self.turnq[READ].clear()
            self.turnq[WRITE].clear()
        for t in queued:
            t.val = CLOSED
            ready(t)
        self.poller.submit(self._close, None)
        return True

    # ---- the poller thread ---------------------------------------------------------------------

    def _start_wait(self, arg: tuple[int, Task, int]) -> None:
        assert self.poller.nursery is not None
        self.poller.nursery.start_soon(self._wait, *arg)

    async def _wait(self, mode: int, task: Task, seq: int) -> None:
        with self.lock:
            closed, dl = self.closed, self.deadline[mode]
        outcome: Any = READY
        pending = self.cancel[mode]
        if closed:
            outcome = CLOSED
        elif pending is not None and pending[0] == seq:
            outcome = pending[1]
        else:
            scope = trio.CancelScope(deadline=_trio_deadline(dl))
            self.scope[mode] = scope
            try:
                with scope:
                    if mode == READ:
                        await trio.lowlevel.wait_readable(self.fileno)
                    else:
                        await trio.lowlevel.wait_writable(self.fileno)
            except trio.ClosedResourceError:
                outcome = CLOSED
            except OSError as exc:
                outcome = exc
            finally:
                self.scope[mode] = None
            if scope.cancelled_caught:
                pending = self.cancel[mode]
                outcome = pending[1] if pending is not None and pending[0] == seq else TIMEOUT
        self.cancel[mode] = None
        with self.lock:
            self.waiter[mode] = None
        task.val = outcome
        self.poller.finish(task)

    def _retime(self, mode: int) -> None:
        scope = self.scope[mode]
        if scope is not None:
            with self.lock:
                dl = self.deadline[mode]
            scope.deadline = _trio_deadline(dl)

    def _cancel(self, arg: tuple[int, int, BaseException]) -> None:
        mode, seq, exc = arg
        with self.lock:
            current = self.waiter[mode] is not None and self.seq[mode] == seq
        if not current:
            return  # that wait is over
        self.cancel[mode] = (seq, exc)
        scope = self.scope[mode]
        if scope is not None:
            scope.cancel()
        # else: the wait has not started; it sees the cancellation when it does

    def _close(self, _: object) -> None:
        self.close_now()
        self.poller.unregister(self)

    def close_now(self) -> None:
        """Poller thread only: wake trio's waiters on this socket, then close it."""
        with self.lock:
            self.closed = True
        try:
            trio.lowlevel.notify_closing(self.fileno)
        except (OSError, ValueError):  # pragma: no cover - nothing registered
            pass
        self.sock.close()


def _trio_deadline(deadline: float | None) -> float:
    if deadline is None:
        return float("inf")
    now: float = trio.current_time()
    return now + (deadline - _monotonic())


def _watch(ctx: Any, fd: FD, mode: int, seq: int) -> Any:
    """Start a task that cancels wait ``seq`` when ``ctx`` is done; returns the channel to close
    when the wait is over (which ends that task)."""
    from cspy.channel import Chan, Recv, select
    from cspy.scheduler import go

    fin: Chan[None] = Chan()

    def watcher() -> None:
        index, _, _ = select(Recv(ctx.done()), Recv(fin))
        if index == 0:
            fd.cancel_wait(mode, seq, _ctx_error(ctx))

    go(watcher, name="cspy.net ctx watcher")
    return fin


def _ctx_error(ctx: Any) -> BaseException:
    err = ctx.err()
    if isinstance(err, type) and issubclass(err, BaseException):
        return err()
    if isinstance(err, BaseException):
        return err
    return ClosedError("context done")  # pragma: no cover - a context without an error


def ctx_check(ctx: Any) -> None:
    """Raise ``ctx``'s error if it is already done."""
    if ctx is not None and ctx.err() is not None:
        raise _ctx_error(ctx)

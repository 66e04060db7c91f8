"""FD: a non-blocking socket that tasks use as if it blocked (Go's ``netFD`` + ``pollDesc``).

The Go way, kept: a task first tries the system call itself (``recv``, ``send``, ``accept``,
``connect``) on the non-blocking socket, on its own thread. Only when the kernel says "would
block" does it park on the runtime's netpoll (cspy/scheduler/netpoll.py: an epoll that the
processors poll themselves, as Go's scheduler does); readied, it retries the call. So a read whose
data is already there costs no wait at all, and a wait crosses no thread unless the task's
processor is not the one that polled.

Directions: READ (recv, accept) and WRITE (send, connect). Per direction:

- a *turn*: one task at a time uses a direction (the netpoll allows one waiter per descriptor and
  direction; Go serialises with ``fdMutex``). Others queue in ``turnq`` and are handed the turn
  in FIFO order;
- a deadline (absolute, ``time.monotonic`` seconds, or None). A wait picks it up when it starts;
  a new deadline set during a wait wakes the wait, which then re-checks and waits again with the
  new one (Go: a deadline applies to pending I/O too).

Wake-ups may be spurious (see netpoll.py): every caller retries its call, and ``wait`` checks
``closed`` and the deadline before it parks.

Closing: ``close()`` marks the FD closed under ``lock`` (every later or retried call then raises
``ClosedError``), wakes tasks queued for a turn, makes the netpoll forget the descriptor (which
wakes a task waiting for readiness with CLOSED), and only then closes the socket. A task only
touches the socket while holding ``lock`` with ``closed`` false: a file descriptor is never used
after close, nor closed under a waiter.

Outcome of a wait: READY, TIMEOUT, CLOSED, or an exception to raise (a context's error).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from cspy.net.errors import ClosedError, Timeout
from cspy.scheduler import WaitReason, current_task, park, ready, running
from cspy.scheduler.netpoll import CLOSED, READ, READY, TIMEOUT, WRITE, netpoll

if TYPE_CHECKING:
    from cspy.scheduler import Task
    from cspy.scheduler.netpoll import Netpoll

__all__ = ["FD", "READ", "WRITE", "deadline_after", "runtime_netpoll"]

_VERB = ("read", "write")

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
    """A non-blocking socket registered with the netpoll. Any thread unless a method says."""

    __slots__ = ("sock", "fileno", "np", "pd", "lock", "closed", "name", "busy", "turnq", "deadline")

    def __init__(self, sock: socket.socket, np: Netpoll, name: str) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.fileno = sock.fileno()
        self.np = np
        self.lock = threading.Lock()
        self.closed = False
        self.name = name  # "tcp 127.0.0.1:5000->127.0.0.1:41234", for messages
        self.busy = [False, False]
        self.turnq: tuple[deque[Task], deque[Task]] = (deque(), deque())
        self.deadline: list[float | None] = [None, None]
        self.pd = np.open(self.fileno, self.close_now)

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
        """Park until the socket may be ready for ``mode`` (caller holds the turn, not ``lock``).

        Returns early on a spurious wake-up (the caller retries its call). Raises Timeout past
        the deadline, ClosedError if closed meanwhile, the context's error if ``ctx`` is
        cancelled first.
        """
        with self.lock:
            if self.closed:
                raise ClosedError(f"{verb} {self.name}")
            dl = self.deadline[mode]
        if dl is not None and _monotonic() >= dl:
            raise Timeout(f"{verb} {self.name}")
        task = current_task()
        np, pd = self.np, self.pd
        seq = np.prepare(pd, mode, task)
        if seq is READY:
            return
        if seq is CLOSED:
            raise ClosedError(f"{verb} {self.name}")
        assert isinstance(seq, int)
        fin = _watch(ctx, self, mode, seq) if ctx is not None else None
        try:
            outcome = np.park_wait(pd, task, mode, seq, dl, self)
        finally:
            if fin is not None:
                fin.close()
        if outcome is READY:
            return
        if outcome is TIMEOUT:
            raise Timeout(f"{verb} {self.name}")
        if outcome is CLOSED:
            raise ClosedError(f"{verb} {self.name}")
        raise outcome

    def set_deadline(self, mode: int, deadline: float | None) -> None:
        """Set ``mode``'s deadline. A wait in progress is woken to wait again under it."""
        with self.lock:
            self.deadline[mode] = deadline
            closed = self.closed
        if not closed:
            self.np.claim(self.pd, mode, 0, READY)

    def cancel_wait(self, mode: int, seq: int, exc: BaseException) -> None:
        """Wake wait number ``seq`` of ``mode`` (if still in progress) with ``exc``."""
        self.np.claim(self.pd, mode, seq, exc)

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
        self.np.forget(self.pd)  # before closing: the descriptor number may be reused at once
        self.sock.close()
        return True

    def close_now(self) -> None:
        """At the end of the run (the netpoll's ``close``): close the socket if still open."""
        with self.lock:
            self.closed = True
        self.sock.close()


def runtime_netpoll() -> Netpoll:
    """From a task: the running runtime's netpoll, created on first use."""
    rt = running()
    if rt is None:
        raise RuntimeError(
            "cspy.net needs a running runtime: start the program with cspy.run(main) and use it "
            "from a task"
        )
    return netpoll(rt)


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

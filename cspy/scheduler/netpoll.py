"""netpoll: the runtime's own readiness poller (Go's ``netpoll`` + ``pollDesc``).

A task whose non-blocking socket said "would block" parks here until the kernel reports the
socket ready, its deadline passes, or the socket is closed. No thread of its own polls; the
processors do, as Go's ``findrunnable`` does:

- a processor that runs out of work polls with timeout 0 before stealing or sleeping (unless
  another processor is blocked in the poll: that one sees every event at once anyway);
- *one* idle processor at a time blocks in the poll, up to its earliest timer, instead of
  sleeping on its event. ``Processor.kick`` (any wake-up of an idle processor) calls
  ``interrupt``, which writes a byte to a wake-up pipe, so that poll returns at once;
- sysmon polls with timeout 0 when nobody has polled for ~10 ms, so tasks waiting on I/O are not
  starved by processors that never run out of work.

Readiness is edge-triggered (epoll with EPOLLET, as Go does): a socket is registered once, for
both directions, when it is opened, and never modified, so a wait costs no ``epoll_ctl``. An edge
that finds no waiter is remembered (``PollDesc.ready``) and consumed by the next wait, which then
returns at once: a wait always follows a system call that said "would block", and the edge may
fall between the two. So wake-ups can be spurious (an edge remembered from before the call, an
event for a recycled descriptor number); callers retry the call and wait again, as Go's do.

Invariants:

- ``lock`` is a leaf: nothing else is locked while it is held, so it may be taken anywhere, even
  under the runtime's or a processor's lock (``kick`` does). ``ready`` and timer cancellation
  take other locks, so they always run after it is released.
- Per PollDesc and direction at most one waiter (callers serialise, like Go's ``fdMutex``). A
  waiter is *claimed* exactly once -- by readiness, its deadline timer, ``cancel``, ``wake`` or
  ``forget`` (close) -- by whoever clears ``waiter`` under ``lock`` with the right ``seq``; only
  the claimer stores the outcome in ``task.val`` and readies the task.
- ``inflight`` counts registered waiters not yet readied. While it is above zero the runtime
  holds one pending operation (``op_begin`` on 0 -> 1, ``op_end`` on 1 -> 0, after the ``ready``),
  so deadlock detection sees I/O in flight.
- At most one processor is ``blocked`` in the poll, and only it reads the wake-up pipe (a poller
  with timeout 0 leaves the byte there: the pipe is level-triggered, so the blocked poll still
  returns). ``kicked``: a byte is in the pipe, so a burst of wake-ups writes once.
"""

from __future__ import annotations

import os
import select
import threading
import time
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from cspy.scheduler.park import add_timer, park, ready
from cspy.scheduler.task import Task, WaitReason

if TYPE_CHECKING:
    from cspy.scheduler.processor import Processor
    from cspy.scheduler.runtime import Runtime

__all__ = ["Netpoll", "PollDesc", "netpoll", "READ", "WRITE", "READY", "TIMEOUT", "CLOSED"]

READ, WRITE = 0, 1

# Outcomes of a wait, in the task's ``val`` (or an exception given to ``cancel``).
READY, TIMEOUT, CLOSED = "ready", "timeout", "closed"

MAX_EVENTS = 512
# epoll takes milliseconds in a C int: beyond ~24 days, wait forever (-1) and let a kick end it.
_WAIT_MAX = 2_000_000.0

_EV_READ = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
_EV_WRITE = select.EPOLLOUT | select.EPOLLHUP | select.EPOLLERR
_EV_REGISTER = select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET


class PollDesc:
    """One registered descriptor (Go's ``pollDesc``). Fields are guarded by ``Netpoll.lock``."""

    __slots__ = ("fd", "closing", "ready", "waiter", "seq", "close_fn")

    def __init__(self, fd: int, close_fn: Callable[[], None]) -> None:
        self.fd = fd
        self.closing = False
        self.ready = [False, False]  # an edge came while nobody waited
        self.waiter: list[Task | None] = [None, None]
        self.seq = [0, 0]  # numbers the waits, so a late timer or cancel cannot claim a later one
        self.close_fn = close_fn  # closes the resource if it is still open when the run ends


class Netpoll:
    """The runtime's epoll and its waiters. Any thread unless a method says."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.lock = threading.Lock()
        self.ep = select.epoll()
        self.rfd, self.wfd = os.pipe()
        os.set_blocking(self.rfd, False)
        os.set_blocking(self.wfd, False)
        self.ep.register(self.rfd, select.EPOLLIN)
        self.pds: dict[int, PollDesc] = {}
        self.inflight = 0
        # Of ``inflight``, the waits of system tasks (``task.system``, the debug endpoint's): not
        # future work for deadlock detection, so the pending operation counts only the others.
        self.system_inflight = 0
        self.blocked: Processor | None = None
        self.kicked = False
        self.closed = False
        # Counters (read without the lock by sysmon and benchmarks).
        self.polls = 0
        self.blocks = 0
        self.readied = 0

    # ---- registering --------------------------------------------------------------------------

    def open(self, fd: int, close_fn: Callable[[], None]) -> PollDesc:
        """Register ``fd`` (non-blocking) for both directions; ``close_fn`` closes it at the end
        of the run if nobody has by then."""
        pd = PollDesc(fd, close_fn)
        with self.lock:
            if self.closed:
                raise RuntimeError("cspy: the runtime has stopped; no new sockets")
            self.ep.register(fd, _EV_REGISTER)
            self.pds[fd] = pd
        return pd

    def forget(self, pd: PollDesc) -> None:
        """Before closing ``pd``'s descriptor: unregister it and wake its waiters with CLOSED."""
        claimed: list[Task] = []
        with self.lock:
            if pd.closing:
                return
            pd.closing = True
            for mode in (READ, WRITE):
                task = pd.waiter[mode]
                if task is not None:
                    pd.waiter[mode] = None
                    task.val = CLOSED
                    claimed.append(task)
            if self.pds.get(pd.fd) is pd:
                del self.pds[pd.fd]
                if not self.closed:
                    try:
                        self.ep.unregister(pd.fd)
                    except OSError:  # pragma: no cover - already closed by its owner
                        pass
        if claimed:
            self._done(claimed)

    # ---- waiting (from the waiting task) ------------------------------------------------------

    def prepare(self, pd: PollDesc, mode: int, task: Task) -> int | str:
        """Register ``task`` as ``mode``'s waiter: the wait's number, to pass to ``park_wait``;
        or READY (an edge came meanwhile: retry the call) or CLOSED, without registering."""
        with self.lock:
            if pd.closing:
                return CLOSED
            if pd.ready[mode]:
                pd.ready[mode] = False
                return READY
            if pd.waiter[mode] is not None:
                raise RuntimeError(f"cspy: two tasks wait on descriptor {pd.fd} in one direction")
            pd.seq[mode] += 1
            seq = pd.seq[mode]
            pd.waiter[mode] = task
            task.val = None
            self.inflight += 1
            if getattr(task, "system", False):  # set once, never while the task waits here
                self.system_inflight += 1
                first = False
            else:
                first = self.inflight - self.system_inflight == 1
        if first:
            self.rt.op_begin()
        return seq

    def park_wait(self, pd: PollDesc, task: Task, mode: int, seq: int, deadline: float | None, on: object) -> Any:
        """Park ``task``, the current task, registered by ``prepare``, until claimed; the outcome.

        ``deadline`` is ``time.monotonic`` seconds or None; a timer on this processor claims
        the wait with TIMEOUT when it passes.
        """
        timer = None
        if deadline is not None:
            timer = add_timer(deadline - time.monotonic(), _expire, (self, pd, mode, seq))
        try:
            park(WaitReason.IO_WAIT, None, on=on, task=task)
        finally:
            if timer is not None:
                timer.cancel()
        outcome, task.val = task.val, None
        return outcome

    # ---- claiming (any thread) ----------------------------------------------------------------

    def claim(self, pd: PollDesc, mode: int, seq: int, outcome: Any) -> bool:
        """Wake wait number ``seq`` of ``mode`` with ``outcome`` if it is still in progress;
        ``seq`` 0 means whichever wait is in progress. True if this call woke it."""
        with self.lock:
            task = pd.waiter[mode]
            if task is None or (seq and pd.seq[mode] != seq):
                return False
            pd.waiter[mode] = None
            task.val = outcome
        self._done([task])
        return True

    def _done(self, tasks: list[Task]) -> None:
        system = sum(1 for t in tasks if getattr(t, "system", False)) if self.system_inflight else 0
        for t in tasks:
            ready(t)
        with self.lock:
            before = self.inflight - self.system_inflight
            self.inflight -= len(tasks)
            self.system_inflight -= system
            self.readied += len(tasks)
            last = before > 0 and self.inflight == self.system_inflight
        if last:
            self.rt.op_end()  # after ready(): see runtime.py on pending operations

    # ---- polling (processors, sysmon) ---------------------------------------------------------

    def poll(self) -> int:
        """Collect readiness without blocking and ready the waiters; how many were readied."""
        return self._poll(0.0, False)

    def block(self, p: Processor, timeout: float | None) -> bool:
        """Hub of idle ``p``: wait in the poll for up to ``timeout`` seconds (None: until woken),
        instead of on ``p.wake``. False if another processor already blocks here or nobody
        waits for I/O (then sleep on the event as usual)."""
        with self.lock:
            if self.blocked is not None or self.inflight == 0 or self.closed:
                return False
            if p.wake.is_set():  # woken since it went idle (see ``interrupt``)
                return True
            self.blocked = p
            self.blocks += 1
        try:
            self._poll(-1.0 if timeout is None or timeout > _WAIT_MAX else timeout, True)
        finally:
            with self.lock:
                self.blocked = None
        return True

    def interrupt(self, p: Processor) -> None:
        """After ``p.wake.set()``: if ``p`` blocks in the poll, make the poll return.

        No lost wake-up: ``block`` checks ``p.wake`` and sets ``blocked`` in one locked section;
        the caller set ``p.wake`` before taking the lock here, so either ``block`` saw the event
        or this sees ``blocked``."""
        with self.lock:
            if self.blocked is not p or self.kicked:
                return
            self.kicked = True
        try:
            os.write(self.wfd, b"\0")
        except OSError:  # pragma: no cover - closed at the end of the run
            pass

    def _poll(self, timeout: float, blocking: bool) -> int:
        try:
            events = self.ep.poll(timeout, MAX_EVENTS)
        except (OSError, ValueError):  # closed at the end of the run
            return 0
        claimed: list[Task] = []
        with self.lock:
            self.polls += 1
            rfd, pds = self.rfd, self.pds
            for fd, ev in events:
                if fd == rfd:
                    if blocking:
                        self._drain_wakeups()
                    continue
                pd = pds.get(fd)
                if pd is None:
                    continue  # forgotten meanwhile
                if ev & _EV_READ:
                    _edge(pd, READ, claimed)
                if ev & _EV_WRITE:
                    _edge(pd, WRITE, claimed)
        if claimed:
            self._done(claimed)
        return len(claimed)

    def _drain_wakeups(self) -> None:
        """Caller holds ``lock`` and is the blocked poller."""
        try:
            while os.read(self.rfd, 512):
                pass
        except BlockingIOError:
            pass
        self.kicked = False

    def sysmon_poll(self, polls_seen: int) -> int:
        """Sysmon, every interval: poll if nobody has since the last look (``polls_seen``).
        Returns the poll count to pass next time."""
        polls = self.polls
        if polls == polls_seen and self.inflight and self.blocked is None:
            self.poll()
        return self.polls

    # ---- life cycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """``run``'s thread, once every processor has stopped: close what is still registered."""
        with self.lock:
            self.closed = True
            pds = list(self.pds.values())
            self.pds.clear()
        for pd in pds:
            pd.close_fn()
        self.ep.close()
        os.close(self.rfd)
        os.close(self.wfd)


def _edge(pd: PollDesc, mode: int, claimed: list[Task]) -> None:
    task = pd.waiter[mode]
    if task is None:
        pd.ready[mode] = True
        return
    pd.waiter[mode] = None
    task.val = READY
    claimed.append(task)


def _expire(arg: tuple[Netpoll, PollDesc, int, int]) -> None:
    np, pd, mode, seq = arg
    np.claim(pd, mode, seq, TIMEOUT)


def netpoll(rt: Runtime) -> Netpoll:
    """The runtime's poller, created on first use."""
    np: Netpoll | None = rt.netpoll
    if np is not None:
        return np
    with rt.lock:
        if rt.netpoll is None:
            if rt.stopping:
                raise RuntimeError("cspy: the runtime is stopping; no new sockets")
            rt.netpoll = Netpoll(rt)
        return rt.netpoll  # type: ignore[no-any-return]

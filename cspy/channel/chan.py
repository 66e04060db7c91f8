"""Chan: Go's ``hchan`` -- a lock, a ring buffer, and queues of blocked senders and receivers.

Terms: ``buf`` is the buffer (a deque bounded by ``cap``; empty forever when ``cap == 0``),
``sendq``/``recvq`` the FIFO queues of blocked senders/receivers (waitq.py: intrusive lists of
plain tasks or select sudogs; the shared empty ``NO_WAITERS`` until a side first has a waiter).

Invariants (all state below is guarded by ``_lock``, a ``Lock`` (lock.py); any processor, timer
callback or foreign thread may call any method, and nothing relies on the GIL):
- At least one of ``sendq`` and ``recvq`` is empty (ignoring dead sudogs, see waitq.py).
- ``recvq`` non-empty implies ``buf`` is empty; ``sendq`` non-empty implies ``buf`` is full.
- Once ``closed``, both queues are empty and stay empty; ``buf`` only drains.

Operations, as in Go's chan.go:
- send with a receiver waiting: hand the value straight to it and ready it; the buffer is not
  touched (so a value never waits in the buffer while a receiver waits).
- recv from a full buffer with a sender waiting: take the head, move the sender's value to the
  tail, ready the sender. FIFO order of values is kept, and the sender need not run to finish.
- close: every receiver wakes with "closed" (``ok`` False), every sender wakes and raises
  ``ChannelClosed``. Buffered values are still delivered after close.

The blocked task is its own waiter record (``task.val``/``task.ok``), so a plain blocking
send/recv allocates nothing; the partner readies it with ``ready()``, which puts it in the
processor's ``runnext`` slot, so a ping-pong pair hands the processor back and forth directly.

Hot path: ``send``/``recv`` handle the common cases first (a plain waiting partner, buffer room
or a buffered value); everything else goes through the ``*_locked`` helpers that select shares.
The plain hand-off open-codes ``WaitQ.pop``/``push`` and ``_wake``: compiled (cspy/build.py,
``chan.pxd``) they would be C calls either way, but in pure Python the calls cost 8% of a
ping-pong round trip (measured in instructions), and the pure build must not get slower. Locks are not elided on one processor: to stay
correct, elision would need a per-operation check that the caller is P0's thread (a channel can
outlive a runtime, and offload threads may use it), and that check (~40 ns) costs most of what
the uncontended lock does (~65 ns).

Observability: ``len(ch)``, ``waiting_senders`` and ``waiting_receivers`` read the buffer's
length and the queues' ``n`` counters without the lock (a best-effort snapshot, as Go's debug
views are). ``track_channels(True)`` makes new channels register in a WeakSet for the live view;
off by default, so creating a channel costs one global read.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, TypeVar
from collections.abc import Iterator

from cspy.channel.directional import RecvChan, RecvOnly, SendChan, SendOnly
from cspy.channel import tracking
from cspy.channel.waitq import NO_WAITERS, Sudog, WaitQ, Waiter, dequeue
from cspy.errors import ChannelClosed
from cspy.scheduler import WaitReason
from cspy.scheduler.testpoint import hook
from cspy.scheduler.lock import Lock
from cspy.scheduler.park import current_task, park, ready
from cspy.scheduler.task import Task

__all__ = ["Chan"]

T = TypeVar("T")

CHAN_SEND, CHAN_RECEIVE = WaitReason.CHAN_SEND, WaitReason.CHAN_RECEIVE

_ids_lock = threading.Lock()
_last_id = 0

# Stands in for the buffer of an unbuffered channel (see Chan.__init__). Reading it works like an
# empty deque; any attempt to add to it fails loudly instead of losing a value.
_EMPTY: Any = ()


def _new_id() -> int:
    global _last_id
    with _ids_lock:
        _last_id += 1
        return _last_id


class _HChan:
    """A channel's state (Go's ``hchan``), and its checks of what a channel is made with.

    A base class of :class:`Chan` rather than Chan's own slots so that the compiled build
    (``chan.pxd``) lays the state out as C fields: Chan's other bases, the send and receive
    interfaces, add only methods.
    """

    __slots__ = ("_lock", "_buf", "_cap", "_limit", "_closed", "_sendq", "_recvq", "id", "name", "__weakref__")

    def __init__(self, capacity: int = 0, *, name: str | None = None) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"channel capacity must be an int >= 0, got {capacity!r}")
        if capacity < 0:
            raise ValueError(f"channel capacity must be >= 0, got {capacity} (0 is unbuffered)")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"channel name must be a str or None, got {name!r}")
        self._lock = Lock()
        # Parked tasks cost memory: an unbuffered channel never stores a value (so it holds no
        # deque, ~760 bytes), and a wait queue is made when its side first gets a waiter.
        self._buf: deque[Any] = deque() if capacity else _EMPTY
        self._cap = capacity
        self._limit = capacity  # what ``len(buf)`` must stay below to buffer: -1 once closed
        self._closed = False
        self._sendq: WaitQ = NO_WAITERS
        self._recvq: WaitQ = NO_WAITERS
        self.id = _new_id()  # unique; also the global order in which select locks channels
        self.name = name
        if tracking.on:
            tracking.remember(self)  # type: ignore[arg-type]  # self is a Chan


class Chan(_HChan, SendChan[T], RecvChan[T]):
    """A channel of values of type ``T`` (Go's ``chan T``); safe across processors.

    ``capacity=0`` is unbuffered: a send waits for a receiver (rendezvous). ``name`` is an
    optional display name for the task dump and the live view.

    >>> def main():
    ...     ch = cspy.Chan[int](2)
    ...     ch.send(1); ch.send(2); ch.close()
    ...     return [v for v in ch]
    >>> cspy.run(main)
    [1, 2]
    """

    # ``Chan[int](10)`` is how programs make channels. The parameter is for the type checker; at
    # run time ``Chan[int]`` is Chan itself (directional.py's ``__class_getitem__``): typing's
    # alias would only add a call through an extra object (~0.8 us per channel, and a slotted
    # channel cannot keep ``__orig_class__`` anyway).

    __slots__ = ()  # the state is _HChan's

    # ---- send ------------------------------------------------------------------------------

    def send(self, value: T) -> None:
        """Block until ``value`` is buffered or handed to a receiver.

        Raises ``ChannelClosed`` if the channel is closed, or is closed while this task waits.

        >>> def main():
        ...     ch = cspy.Chan[str]()
        ...     cspy.go(ch.send, "ping")
        ...     return ch.recv()
        >>> cspy.run(main)
        'ping'
        """
        lock = self._lock
        lock.acquire()
        w = self._recvq.first
        if w is not None:  # (a closed channel has none)
            if type(w) is Task:  # a plain receiver waits: hand over directly
                t = w  # (compiled: a typed local; recvq.pop() and _wake() open-coded below:
                recvq = self._recvq  # two calls less per hand-off in pure Python, 8% of a ping-pong)
                nxt = t.wnext
                recvq.first = nxt
                if nxt is None:
                    recvq.last = None
                else:
                    nxt.wprev = None
                    t.wnext = None
                recvq.n -= 1
                lock.release()
                t.val = value
                t.ok = True
                ready(t)
                if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                    hook.point()
                return
        else:
            buf = self._buf
            if len(buf) < self._limit:  # room, and open (``_limit`` is -1 once closed)
                buf.append(value)
                lock.release()
                if hook.point is not None:
                    hook.point()
                return
            if not self._closed:  # no receiver, no room: wait for one
                self._wait_to_send(lock, value)
                return
        self._send_locked(value)
        if hook.point is not None:
            hook.point()

    def _send_locked(self, value: T) -> None:
        """Caller holds the lock (released here): the general send, blocking if need be."""
        lock = self._lock
        if self._closed:
            lock.release()
            raise ChannelClosed(f"send on closed channel {self!r}")
        if self.try_send_locked(value):
            lock.release()
            return
        self._wait_to_send(lock, value)

    def _wait_to_send(self, lock: Any, value: T) -> None:
        """Caller holds ``lock``; the channel is open and nobody can take ``value`` now: queue
        this task as a sender and park (which releases the lock) until a receiver takes it."""
        try:  # (not a helper: one call less per blocking hand-off)
            task = current_task()
        except RuntimeError:
            lock.release()
            raise _no_task("send on a channel") from None
        task.val = value
        sendq = self._sendq
        if sendq is NO_WAITERS:
            sendq = self._sendq = WaitQ()
        last = sendq.last  # sendq.push(task), open-coded (task.wprev is None: in no queue)
        if last is None:
            sendq.first = task
        else:
            last.wnext = task
            task.wprev = last
        sendq.last = task
        sendq.n += 1
        try:
            park(CHAN_SEND, lock, self, task)
        except BaseException:
            self._forget(sendq, task)  # unwound while waiting (runtime shutdown)
            raise
        if not task.ok:
            task.ok = True
            raise ChannelClosed(f"send on closed channel {self!r} (closed while the sender waited)")

    def try_send_locked(self, value: T) -> bool:
        """Caller holds the lock and checked the channel is open: send without blocking.

        Hands ``value`` to a waiting receiver (readying it) or buffers it; False if neither can be
        done now.
        """
        w = dequeue(self._recvq)
        if w is not None:
            _wake(w, value, True)
            return True
        buf = self._buf
        if len(buf) < self._limit:
            buf.append(value)
            return True
        return False

    # ---- receive ---------------------------------------------------------------------------

    def recv(self) -> T:
        """Block until a value arrives and return it.

        Buffered values sent before ``close`` are still delivered; once the channel is closed and
        drained, raises ``ChannelClosed``.

        >>> def main():
        ...     ch = cspy.Chan[int](1)
        ...     ch.send(7)
        ...     return ch.recv()
        >>> cspy.run(main)
        7
        """
        lock = self._lock
        lock.acquire()
        buf = self._buf
        w = self._sendq.first
        if buf:
            if w is None:
                v: T = buf.popleft()
                lock.release()
                if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                    hook.point()
                return v
        elif w is not None:
            if type(w) is Task:  # unbuffered, a plain sender waits: take its value
                t = w  # (compiled: a typed local; sendq.pop() and _wake() open-coded, as in send)
                sendq = self._sendq
                nxt = t.wnext
                sendq.first = nxt
                if nxt is None:
                    sendq.last = None
                else:
                    nxt.wprev = None
                    t.wnext = None
                sendq.n -= 1
                lock.release()
                v = t.val
                t.val = None
                t.ok = True
                ready(t)
                if hook.point is not None:
                    hook.point()
                return v
        elif not self._closed:  # nothing to take: wait for a sender
            got, ok = self._wait_to_recv(lock)
            if ok:
                return got  # type: ignore[return-value]
            raise ChannelClosed(f"receive from closed channel {self!r}")
        r, ok = self._recv_locked()
        if hook.point is not None:
            hook.point()
        if ok:
            return r  # type: ignore[return-value]
        raise ChannelClosed(f"receive from closed channel {self!r}")

    def recv_ok(self) -> tuple[T | None, bool]:
        """Go's ``v, ok := <-ch``: ``(value, True)``, or ``(None, False)`` once closed and drained.

        >>> def main():
        ...     ch = cspy.Chan[int](1)
        ...     ch.send(1); ch.close()
        ...     return ch.recv_ok(), ch.recv_ok()
        >>> cspy.run(main)
        ((1, True), (None, False))
        """
        self._lock.acquire()
        r = self._recv_locked()
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()
        return r

    def _recv_locked(self) -> tuple[T | None, bool]:
        """Caller holds the lock (released here): the general receive, blocking if need be."""
        lock = self._lock
        r = self.try_recv_locked()
        if r is not None:
            lock.release()
            return r
        return self._wait_to_recv(lock)

    def _wait_to_recv(self, lock: Any) -> tuple[T | None, bool]:
        """Caller holds ``lock``; nothing can be received now: queue this task as a receiver and
        park (which releases the lock). ``(value, True)``, or ``(None, False)`` if closed."""
        try:  # (not a helper: one call less per blocking hand-off)
            task = current_task()
        except RuntimeError:
            lock.release()
            raise _no_task("receive from a channel") from None
        recvq = self._recvq
        if recvq is NO_WAITERS:
            recvq = self._recvq = WaitQ()
        last = recvq.last  # recvq.push(task), open-coded (task.wprev is None: in no queue)
        if last is None:
            recvq.first = task
        else:
            last.wnext = task
            task.wprev = last
        recvq.last = task
        recvq.n += 1
        try:
            park(CHAN_RECEIVE, lock, self, task)
        except BaseException:
            self._forget(recvq, task)  # unwound while waiting (runtime shutdown)
            raise
        v, ok = task.val, task.ok
        task.val = None
        task.ok = True
        return v, ok

    def try_recv_locked(self) -> tuple[T | None, bool] | None:
        """Caller holds the lock: receive without blocking; None if nothing can be received now.

        ``(None, False)`` when closed and drained.
        """
        buf = self._buf
        if buf:
            v = buf.popleft()
            w = dequeue(self._sendq)
            if w is not None:  # the buffer was full: the sender's value joins the tail
                buf.append(w.val)
                _wake(w, None, True)
            return v, True
        w = dequeue(self._sendq)
        if w is not None:  # unbuffered: take the value from the sender itself
            v = w.val
            _wake(w, None, True)
            return v, True
        if self._closed:
            return None, False
        return None

    # ---- close -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the channel: no more sends. Waiting receivers wake with "closed"; waiting
        senders raise ``ChannelClosed``. Closing a closed channel raises ``ChannelClosed``.

        >>> def main():
        ...     ch = cspy.Chan[int]()
        ...     ch.close()
        ...     return ch.recv_ok()
        >>> cspy.run(main)
        (None, False)
        """
        lock = self._lock
        lock.acquire()
        if self._closed:
            lock.release()
            raise ChannelClosed(f"close of closed channel {self!r}")
        self._closed = True
        self._limit = -1
        woken: list[Waiter] = []
        for q in (self._recvq, self._sendq):
            while True:
                w = dequeue(q)
                if w is None:
                    break
                woken.append(w)
        lock.release()
        for w in woken:
            _wake(w, None, False)
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()

    def _enqueue_waiter(self, w: Waiter, sending: bool) -> None:
        """Caller holds the lock: add a select's waiter record to the send or receive queue."""
        if sending:
            if self._sendq is NO_WAITERS:
                self._sendq = WaitQ()
            self._sendq.push(w)
        else:
            if self._recvq is NO_WAITERS:
                self._recvq = WaitQ()
            self._recvq.push(w)

    # ---- iteration, size, views ----------------------------------------------------------------

    def __iter__(self) -> Iterator[T]:
        """Receive until the channel is closed and drained (Go's ``for v := range ch``)."""
        recv = self.recv
        while True:
            try:
                v = recv()
            except ChannelClosed:
                return
            yield v

    def __len__(self) -> int:
        """Values buffered now (a snapshot)."""
        return len(self._buf)

    @property
    def cap(self) -> int:
        """The buffer's capacity (0: unbuffered)."""
        return self._cap

    @property
    def closed(self) -> bool:
        """Whether ``close`` has been called."""
        return self._closed

    @property
    def waiting_senders(self) -> int:
        """Senders blocked now (a lock-free snapshot, for the live view)."""
        return self._sendq.n

    @property
    def waiting_receivers(self) -> int:
        """Receivers blocked now (a lock-free snapshot, for the live view)."""
        return self._recvq.n

    def send_only(self) -> SendChan[T]:
        """A view of this channel with only ``send``, ``close``, ``len``, ``cap``, ``closed``.

        >>> ch = cspy.Chan[int](1)
        >>> out = ch.send_only()
        >>> out.send(1); len(ch)
        1
        """
        return SendOnly(self)

    def recv_only(self) -> RecvChan[T]:
        """A view of this channel with only ``recv``, ``recv_ok``, iteration, ``len``, ``cap``,
        ``closed``.

        >>> ch = cspy.Chan[int](1)
        >>> ch.send(5)
        >>> ch.recv_only().recv()
        5
        """
        return RecvOnly(self)

    def __repr__(self) -> str:
        label = repr(self.name) if self.name is not None else f"#{self.id}"
        state = " closed" if self._closed else ""
        return (
            f"<Chan {label} cap={self._cap} len={len(self._buf)} "
            f"senders={self._sendq.n} receivers={self._recvq.n}{state}>"
        )

    # ---- helpers -------------------------------------------------------------------------------

    def _forget(self, q: WaitQ, w: Waiter) -> None:
        """Remove ``w`` from ``q`` if it is still there (its task is being unwound)."""
        self._lock.acquire()
        try:
            q.remove(w)
        finally:
            self._lock.release()


def _wake(w: Waiter, val: Any, ok: bool) -> None:
    """Complete a dequeued waiter's operation: store the outcome in its task and ready it.

    ``w`` was returned by ``dequeue`` (a plain task, or a sudog whose select we claimed).
    """
    task: Task = w.task if type(w) is Sudog else w  # type: ignore[assignment]
    task.val = val
    task.ok = ok
    ready(task)


def _no_task(what: str) -> RuntimeError:
    return RuntimeError(
        f"{what} would block outside a cspy task (e.g. in a cspy.blocking() thread): "
        "only tasks can wait; use a buffered channel with room, or do it from a task"
    )

"""HostPool: the kept-alive connections to one host, and the cap on how many may be open (Go's
``Transport`` idle pool with ``MaxConnsPerHost``).

A *slot* is the right to have one connection open. ``total`` counts the slots taken: idle
connections plus connections in use plus dials in progress; it never exceeds ``cap``.

- ``get`` returns an idle connection (most recently used first: it is the least likely to have
  been closed by the server's idle timeout), or None meaning "you hold a new slot: dial". At the
  cap it waits, FIFO, on a channel of its own, until a connection is handed over (``put``) or a
  slot frees up (``release``); the wait gives up when ``ctx`` is done or ``deadline`` passes.
- ``put`` hands a connection that is still good to the first waiter, else keeps it idle.
- ``release`` gives up a slot (the connection was closed, or a dial failed): to the first waiter
  (which then dials), else ``total`` drops.

Invariant: a waiter is in ``waiters`` until something is sent on its channel, and that send
happens under ``lock`` right after removing it. So a waiter that gives up takes the lock and
either removes itself, or finds the hand-over already in its channel and passes it on -- a slot
is never lost or counted twice. Channel sends under ``lock`` never block (each channel has room
for its one value). Idle connections older than ``idle_timeout`` are closed, not reused.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Generic, TypeVar

from cspy.channel import Chan, Recv, select
from cspy.net import Timeout
from cspy.time import Timer

__all__ = ["HostPool", "PooledConn"]


class PooledConn:
    """What the pool keeps: anything with ``close()`` and an ``idle_since`` timestamp."""

    __slots__ = ("idle_since",)

    def __init__(self) -> None:
        self.idle_since = 0.0

    def close(self) -> None:
        raise NotImplementedError


C = TypeVar("C", bound=PooledConn)


class HostPool(Generic[C]):
    __slots__ = ("name", "cap", "idle_timeout", "lock", "idle", "total", "waiters", "closed")

    def __init__(self, name: str, cap: int, idle_timeout: float | None) -> None:
        self.name = name  # "127.0.0.1:8080", for messages
        self.cap = cap
        self.idle_timeout = idle_timeout
        self.lock = threading.Lock()
        self.idle: list[C] = []
        self.total = 0
        self.waiters: deque[Chan[C | None]] = deque()
        self.closed = False

    def get(self, deadline: float | None, ctx: Any) -> C | None:
        """An idle connection, or None: a slot is yours, dial one. Waits at the cap."""
        stale: list[C] = []
        try:
            with self.lock:
                if self.closed:
                    raise RuntimeError("cspy.http: the Client is closed")
                idle = self.idle
                limit = None if self.idle_timeout is None else time.monotonic() - self.idle_timeout
                while idle:
                    c = idle.pop()
                    if limit is None or c.idle_since >= limit:
                        return c
                    stale.append(c)
                    self.total -= 1
                if self.total < self.cap:
                    self.total += 1
                    return None
                w: Chan[C | None] = Chan(1)
                self.waiters.append(w)
        finally:
            for c in stale:
                c.close()
        return self._wait(w, deadline, ctx)

    def _wait(self, w: Chan[C | None], deadline: float | None, ctx: Any) -> C | None:
        cases: list[Recv[Any]] = [Recv(w)]
        timer = None
        if deadline is not None:
            timer = Timer(deadline - time.monotonic())
            cases.append(Recv(timer.c))
        if ctx is not None:
            cases.append(Recv(ctx.done()))
        index, value, _ = select(*cases)
        if timer is not None:
            timer.stop()
        if index == 0:
            got: C | None = value
            return got
        with self.lock:
            try:
                self.waiters.remove(w)
                handed = False
            except ValueError:
                handed = True  # a connection or a slot was sent to us meanwhile: pass it on
        if handed:
            got, _ = w.recv_ok()
            if got is None:
                self.release()
            else:
                self.put(got)
        if index == 1 and timer is not None:
            raise Timeout(f"waiting for a connection to {self.name} (max_conns_per_host={self.cap})")
        err = ctx.err()
        raise err if isinstance(err, BaseException) else RuntimeError("context done")

    def put(self, c: C) -> None:
        """``c`` finished an exchange and may be reused."""
        c.idle_since = time.monotonic()
        with self.lock:
            if self.waiters:
                self.waiters.popleft().send(c)
                return
            if not self.closed:
                self.idle.append(c)
                return
            self.total -= 1
        c.close()

    def release(self) -> None:
        """Give up a slot: its connection was closed (or never opened)."""
        with self.lock:
            if self.waiters:
                self.waiters.popleft().send(None)  # the waiter now holds the slot: it dials
            else:
                self.total -= 1

    def close_idle(self, closing: bool = False) -> None:
        """Close the idle connections; with ``closing``, keep none from now on."""
        with self.lock:
            idle, self.idle = self.idle, []
            self.total -= len(idle)
            if closing:
                self.closed = True
        for c in idle:
            c.close()

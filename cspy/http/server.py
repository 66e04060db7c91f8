"""Server and serve: HTTP/1.1 over a ``cspy.net`` listener, a task per connection (Go's
``http.Server`` and ``http.Serve``), with graceful shutdown (Go's ``Server.Shutdown``).

``Server.serve(listener)`` is the accept loop: each accepted connection gets a task
(serverconn.py) and an entry in ``_conns``. Connections are NEW (accepted, nothing read yet),
ACTIVE (a request is being read, handled or answered) or IDLE (between requests), as in Go's
``ConnState``.

Shutdown -- when ``ctx`` is cancelled, the listener is closed, or ``shutdown()`` is called:

1. stop accepting (the listener is closed, so a blocked ``accept`` wakes);
2. under ``lock``, set ``closing`` and close every NEW or IDLE connection. From then on a
   connection cannot become ACTIVE (``activate`` refuses), so the set of requests in flight only
   shrinks; each of those finishes, its response carries ``connection: close``, and the
   connection closes when it would go IDLE (``idle`` refuses);
3. wait for the connection tasks to end, at most ``grace`` seconds; past that, close the
   remaining connections and cancel their requests' contexts (a handler that ignores its
   context still runs to its end, but can no longer write), and wait for the tasks to end.

The invariant behind "no request lost, none cut": a connection is closed by the shutdown only
while it is NEW or IDLE -- no request of it has been read -- and the move to ACTIVE happens under
the same lock, after the request's first bytes were read. A request whose bytes arrive after the
shutdown began is not answered; the client sees its idle connection closed, which HTTP clients
retry when the request is idempotent (Go's behaviour too).

Idle connections: ``idle`` stamps ``idle_since``; one *reaper* task per serving server looks
every ``idle_timeout / REAP_TICKS`` (5 ms to 1 s) and closes the IDLE connections whose time is
up, marking them REAPED under ``lock`` first so that ``activate`` refuses them. A connection is
so closed between ``idle_timeout`` and one look later -- never early. This replaces a read
deadline per kept-alive wait (a timer per request, and a deadline update): the reaper's cost
does not grow with the request rate.

``serve`` returns once every connection task (and the reaper) has ended, so nothing it started
outlives it.
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from typing import Any

from cspy.channel import Chan, Recv, select
from cspy.context import Context
from cspy.http.message import Request, Response
from cspy.http.serverconn import ACTIVE, IDLE, REAPED, ServerConn, log
from cspy.net import ClosedError, Listener
from cspy.scheduler import go, sleep
from cspy.time import Ticker, Timer

__all__ = ["Handler", "Server", "serve"]

Handler = Callable[[Request], Response]

# Go's DefaultMaxHeaderBytes is 1 MB; a request head is rarely over a few KiB, and h11 keeps an
# incomplete head in memory, so 64 KiB is ample and bounds what a slow client can pin.
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
# Bodies are read in full before the handler runs: bound the memory one request can take.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
# The reaper looks this many times per idle_timeout (bounded to 5 ms .. 1 s between looks).
REAP_TICKS = 10
# Accept errors such as EMFILE are retried after a pause that doubles up to 1 s (as Go does).
_ACCEPT_BACKOFF = (0.005, 1.0)


def _seconds(value: Any, what: str, *, none_ok: bool = False) -> Any:
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value <= 0:
        raise ValueError(f"cspy.http: {what} must be a positive number of seconds, got {value!r}")
    return float(value)


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"cspy.http: {what} must be a positive int, got {value!r}")
    return value


class Server:
    """An HTTP/1.1 server (Go's ``http.Server``): the handler and the limits; ``serve`` runs it.

    - ``read_timeout``: the whole request, head and body, from its first byte (for the first
      request of a connection: from the accept);
    - ``write_timeout``: from the end of the request head to the end of the response;
    - ``idle_timeout``: how long a kept-alive connection may wait for its next request;
    - ``max_requests_per_conn``: the last one is answered with ``connection: close``;
    - ``max_header_bytes`` (431 beyond), ``max_body_bytes`` (413 beyond);
    - ``handler_timeout``: if set, ``request.ctx`` has that deadline (None: no deadline);
    - ``grace``: how long a shutdown waits for requests in flight before closing them.

    >>> def main():
    ...     ln = cspy.net.listen("127.0.0.1", 0)
    ...     srv = cspy.http.Server(lambda req: cspy.http.Response(body="hi"))
    ...     cspy.go(srv.serve, ln)
    ...     with cspy.http.Client() as client:
    ...         body = client.get(f"http://127.0.0.1:{ln.addr[1]}/").body
    ...     srv.shutdown()
    ...     return body
    >>> cspy.run(main)
    b'hi'
    """

    def __init__(
        self,
        handler: Handler,
        *,
        read_timeout: float = 5.0,
        write_timeout: float | None = 5.0,
        idle_timeout: float = 60.0,
        max_requests_per_conn: int = 1000,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        handler_timeout: float | None = None,
        grace: float = 5.0,
    ) -> None:
        if not callable(handler):
            raise TypeError(f"cspy.http: the handler must be callable(request) -> Response, got {handler!r}")
        self.handler = handler
        self.read_timeout: float = _seconds(read_timeout, "read_timeout")
        self.write_timeout: float | None = _seconds(write_timeout, "write_timeout", none_ok=True)
        self.idle_timeout: float = _seconds(idle_timeout, "idle_timeout")
        self.handler_timeout: float | None = _seconds(handler_timeout, "handler_timeout", none_ok=True)
        self.grace: float = _seconds(grace, "grace")
        self.max_requests_per_conn = _count(max_requests_per_conn, "max_requests_per_conn")
        self.max_header_bytes = _count(max_header_bytes, "max_header_bytes")
        self.max_body_bytes = _count(max_body_bytes, "max_body_bytes")
        self.lock = threading.Lock()  # closing, _conns and each ServerConn.state
        self.closing = False
        self.accepted = 0  # connections accepted so far (all serve calls)
        self._conns: set[ServerConn] = set()
        self._listeners: list[Listener] = []
        self._drained: Chan[None] | None = None  # closed when closing and no connection is left
        self._serving = 0
        self._stopped: Chan[None] = Chan()  # closed once serving ended after a shutdown

    # ---- the accept loop ------------------------------------------------------------------------

    def serve(self, listener: Listener, ctx: Context | None = None) -> None:
        """Serve ``listener`` until it is closed, ``ctx`` is cancelled or ``shutdown()`` is called;
        then shut down gracefully and return once every connection task has ended."""
        with self.lock:
            if self.closing:
                listener.close()
                return
            self._listeners.append(listener)
            self._serving += 1
        fin: Chan[None] | None = None
        if ctx is not None:
            fin = Chan()
            go(self._close_on_done, ctx, listener, fin, name="cspy.http ctx watcher")
        stop_reaper: Chan[None] = Chan()
        reaper_done: Chan[None] = Chan()
        go(self._reap, stop_reaper, reaper_done, name="cspy.http idle reaper")
        backoff = 0.0
        try:
            while True:
                try:
                    conn = listener.accept()
                except ClosedError:
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM,
                                         errno.ECONNABORTED):
                        raise
                    backoff = min(_ACCEPT_BACKOFF[1], max(_ACCEPT_BACKOFF[0], backoff * 2))
                    log.error("cspy.http: accept on %s failed: %s; retrying in %g s", listener, exc, backoff)
                    sleep(backoff)
                    continue
                backoff = 0.0
                sc = ServerConn(self, conn)
                with self.lock:
                    if self.closing:
                        conn.close()
                        continue
                    self._conns.add(sc)
                    self.accepted += 1
                go(sc.run, name=f"cspy.http conn {conn.remote_addr[0]}:{conn.remote_addr[1]}")
        finally:
            if fin is not None:
                fin.close()
            self._shutdown_and_wait()
            stop_reaper.close()
            reaper_done.recv_ok()

    def _reap(self, stop: Chan[None], done: Chan[None]) -> None:
        """Close IDLE connections past ``idle_timeout`` (see the module's comment)."""
        ticker = Ticker(min(1.0, max(0.005, self.idle_timeout / REAP_TICKS)))
        try:
            while True:
                index, _, _ = select(Recv(stop), Recv(ticker.c))
                if index == 0:
                    return
                limit = time.monotonic() - self.idle_timeout
                with self.lock:
                    expired = [sc for sc in self._conns if sc.state == IDLE and sc.idle_since <= limit]
                    for sc in expired:
                        sc.state = REAPED
                for sc in expired:
                    sc.conn.close()  # its task wakes with ClosedError and ends quietly
        finally:
            ticker.stop()
            done.close()

    def _close_on_done(self, ctx: Context, listener: Listener, fin: Chan[None]) -> None:
        index, _, _ = select(Recv(ctx.done()), Recv(fin))
        if index == 0:
            self.shutdown(wait=False)

    # ---- connection states (called by the connection tasks) --------------------------------

    def activate(self, sc: ServerConn) -> bool:
        """A request's first bytes arrived: ACTIVE, unless a shutdown began (then: drop it)."""
        with self.lock:
            if self.closing or sc.state == REAPED:
                return False
            sc.state = ACTIVE
            return True

    def idle(self, sc: ServerConn) -> bool:
        """A response is out and the connection is kept alive: IDLE, unless shutting down."""
        with self.lock:
            if self.closing:
                return False
            sc.state = IDLE
            sc.idle_since = time.monotonic()
            return True

    def forget(self, sc: ServerConn) -> None:
        """A connection task ended."""
        with self.lock:
            self._conns.discard(sc)
            if self._drained is not None and not self._conns and not self._drained.closed:
                self._drained.close()  # never blocks: it only readies the shutdown's wait

    # ---- shutdown -------------------------------------------------------------------------------

    def shutdown(self, wait: bool = True) -> None:
        """Go's ``Server.Shutdown``: stop accepting, close idle connections, let the requests in
        flight finish (at most ``grace`` seconds). With ``wait``, return when serving ended --
        so not from a handler, which would wait for itself. A server shut down stays closed.
        """
        with self.lock:
            self.closing = True
            listeners = list(self._listeners)
            serving = self._serving
        for ln in listeners:
            ln.close()  # each serve loop wakes, and drains in _shutdown_and_wait
        if wait and serving:
            self._stopped.recv_ok()  # returns once closed

    def _shutdown_and_wait(self) -> None:
        with self.lock:
            self.closing = True
            self._serving -= 1
            last_loop = self._serving == 0
            idle = [sc for sc in self._conns if sc.state != ACTIVE]
            if self._drained is None:
                self._drained = Chan()
            if not self._conns and not self._drained.closed:
                self._drained.close()
            drained = self._drained
        for sc in idle:
            sc.conn.close()  # its task wakes with ClosedError and ends
        timer = Timer(self.grace)
        index, _, _ = select(Recv(drained), Recv(timer.c))
        timer.stop()
        if index == 1:
            with self.lock:
                left = list(self._conns)
            if left:
                log.warning("cspy.http: %d request(s) still in flight %g s into the shutdown: "
                            "closing their connections", len(left), self.grace)
            for sc in left:
                sc.abort()
            drained.recv_ok()
        if last_loop:
            with self.lock:
                if not self._stopped.closed:
                    self._stopped.close()

    @property
    def connections(self) -> int:
        """Connections open now."""
        with self.lock:
            return len(self._conns)


def serve(
    listener: Listener,
    handler: Handler,
    *,
    read_timeout: float = 5.0,
    write_timeout: float | None = 5.0,
    idle_timeout: float = 60.0,
    max_requests_per_conn: int = 1000,
    ctx: Context | None = None,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    handler_timeout: float | None = None,
    grace: float = 5.0,
) -> None:
    """Serve HTTP/1.1 on ``listener`` with ``handler`` until the listener is closed or ``ctx`` is
    cancelled (Go's ``http.Serve``); the requests in flight finish first. See :class:`Server`
    for the options.

    >>> def main():
    ...     ln = cspy.net.listen("127.0.0.1", 0)
    ...     ctx, stop = cspy.context.with_cancel(cspy.context.background())
    ...     cspy.go(cspy.http.serve, ln, lambda req: cspy.http.Response(body=req.path), ctx=ctx)
    ...     with cspy.http.Client() as client:
    ...         text = client.get(f"http://127.0.0.1:{ln.addr[1]}/hello").text
    ...     stop()
    ...     return text
    >>> cspy.run(main)
    '/hello'
    """
    Server(
        handler,
        read_timeout=read_timeout,
        write_timeout=write_timeout,
        idle_timeout=idle_timeout,
        max_requests_per_conn=max_requests_per_conn,
        max_header_bytes=max_header_bytes,
        max_body_bytes=max_body_bytes,
        handler_timeout=handler_timeout,
        grace=grace,
    ).serve(listener, ctx)

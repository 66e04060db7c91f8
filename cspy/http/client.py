"""Client: HTTP/1.1 requests from tasks, over kept-alive pooled connections (Go's ``http.Client``
with its default ``Transport``).

One :class:`~cspy.http.pool.HostPool` per ``host:port`` holds the idle connections and caps the
open ones at ``max_conns_per_host`` (Go's ``Transport.MaxConnsPerHost``): a task over the cap
waits for a connection to come back. Each exchange is h11 on a ``cspy.net.Conn``: the request
goes out in one write, the response is read in full; the connection returns to the pool when
both sides are done and neither asked to close, else it is closed.

Deadlines: ``timeout`` bounds the whole request (waiting for a connection, dial, write, reading
the response: Go's ``Client.Timeout``); ``ctx`` cancels it and its deadline bounds it too. Past
either, ``cspy.net.Timeout`` (a ``TimeoutError``) or the context's error is raised and the
connection is closed.

Retries (Go's ``Transport`` rule): a kept-alive connection may have been closed by the server
while it sat idle, and the request written to it then fails before any byte of a response came
back. Only then, and only for a request that is safe to repeat (idempotent methods, RFC 9110
section 9.2.2, or an ``Idempotency-Key`` header), is it sent again on another connection.
Anything else -- a fresh connection failing, a response cut short -- is raised.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import h11

from cspy.context import Context, DeadlineExceeded
from cspy.http.headers import Headers, HeadersLike
from cspy.http.message import Response
from cspy.http.pool import HostPool, PooledConn
from cspy.net import ClosedError, Conn, Timeout, dial
from cspy.scheduler import now

__all__ = ["Client", "ProtocolError"]

READ_SIZE = 65536
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_USER_AGENT = b"cspy.http"
# Parsed URLs, by their text: a client often asks the same few URLs many times.
_URL_CACHE_SIZE = 256


class ProtocolError(Exception):
    """The server's answer was not valid HTTP/1.1 (or ended before it was complete)."""


class _Stale(Exception):
    """A reused connection failed before any byte of the response arrived."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _ClientConn(PooledConn):
    __slots__ = ("conn", "h", "reused")

    def __init__(self, conn: Conn) -> None:
        super().__init__()
        self.conn = conn
        self.h = h11.Connection(h11.CLIENT)
        self.reused = False

    def close(self) -> None:
        self.conn.close()


class Client:
    """An HTTP/1.1 client with per-host connection pools (Go's ``http.Client``).

    Safe to share between tasks; ``close()`` (or ``with``) closes its idle connections.
    ``idle_timeout``: an idle connection older than this is closed, not reused (Go's
    ``Transport.IdleConnTimeout``, 90 s).

    >>> def main():
    ...     ln = cspy.net.listen("127.0.0.1", 0)
    ...     srv = cspy.http.Server(lambda req: cspy.http.Response(201, req.body.upper()))
    ...     cspy.go(srv.serve, ln)
    ...     with cspy.http.Client(timeout=5.0) as client:
    ...         r = client.request("POST", f"http://127.0.0.1:{ln.addr[1]}/", body=b"abc")
    ...     srv.shutdown()
    ...     return r.status, r.body
    >>> cspy.run(main)
    (201, b'ABC')
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_conns_per_host: int = 100,
        idle_timeout: float | None = 90.0,
    ) -> None:
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not timeout > 0):
            raise ValueError(f"cspy.http.Client: timeout must be a positive number of seconds or None, got {timeout!r}")
        if isinstance(max_conns_per_host, bool) or not isinstance(max_conns_per_host, int) or max_conns_per_host < 1:
            raise ValueError(f"cspy.http.Client: max_conns_per_host must be a positive int, got {max_conns_per_host!r}")
        self.timeout = None if timeout is None else float(timeout)
        self.max_conns_per_host = max_conns_per_host
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._pools: dict[tuple[str, int], HostPool[_ClientConn]] = {}
        self._urls: dict[str, tuple[str, int, bytes, bytes]] = {}
        self._closed = False

    # ---- the public calls -----------------------------------------------------------------------

    def get(self, url: str, *, headers: HeadersLike = None, ctx: Context | None = None) -> Response:
        """``GET url``; see :meth:`request`."""
        return self.request("GET", url, headers=headers, ctx=ctx)

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | str = b"",
        headers: HeadersLike = None,
        ctx: Context | None = None,
    ) -> Response:
        """Send a request and return the response (status, headers, body read in full).

        Any status is a response, not an error (as in Go). Raises ``cspy.net.Timeout`` past
        ``timeout``, the context's error when ``ctx`` ends first, ``ConnectionError`` subclasses
        when the server cannot be reached, :class:`ProtocolError` for a malformed answer.
        """
        if not isinstance(method, str) or not method.isalpha():
            raise ValueError(f"cspy.http.Client: bad method {method!r} (use e.g. 'GET')")
        method = method.upper()
        host, port, hostport, target = self._split(url)
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = bytes(body)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        by_ctx = False  # the context's deadline is the nearer one: its passing is its error
        if ctx is not None:
            err = ctx.err()
            if err is not None:
                raise err
            ctx_deadline = ctx.deadline()
            if ctx_deadline is not None:
                d = time.monotonic() + (ctx_deadline - now())
                by_ctx = deadline is None or d <= deadline
                deadline = d if by_ctx else deadline
        try:
            return self._send(method, host, port, hostport, target, body, headers, deadline, ctx)
        except Timeout:
            if by_ctx:
                assert ctx is not None
                err = ctx.err()
                raise err if isinstance(err, DeadlineExceeded) else DeadlineExceeded(
                    "context deadline exceeded") from None
            raise

    def _send(
        self,
        method: str,
        host: str,
        port: int,
        hostport: bytes,
        target: bytes,
        body: bytes,
        headers: HeadersLike,
        deadline: float | None,
        ctx: Context | None,
    ) -> Response:
        fields = self._fields(method, hostport, body, headers)
        replayable = method in _IDEMPOTENT or any(
            name in (b"idempotency-key", b"x-idempotency-key") for name, _ in fields)
        pool = self._pool(host, port)
        retries = 0
        while True:
            c = pool.get(deadline, ctx)
            if c is None:
                try:
                    c = _ClientConn(dial(host, port, _remaining(deadline, hostport), ctx=ctx))
                except BaseException:
                    pool.release()
                    raise
            try:
                resp, keep = _exchange(c, method, target, fields, body, deadline, ctx)
            except _Stale as stale:
                c.close()
                pool.release()
                if replayable and retries <= pool.cap:
                    retries += 1
                    continue
                raise stale.cause from None
            except BaseException:
                c.close()
                pool.release()
                raise
            if keep:
                c.reused = True
                pool.put(c)
            else:
                c.close()
                pool.release()
            return resp

    def close(self) -> None:
        """Close the idle connections; connections in use close when their request ends."""
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
        for pool in pools:
            pool.close_idle(closing=True)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- helpers --------------------------------------------------------------------------------

    def _pool(self, host: str, port: int) -> HostPool[_ClientConn]:
        key = (host, port)
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError("cspy.http: the Client is closed")
                pool = self._pools.get(key)
                if pool is None:
                    pool = HostPool(f"{host}:{port}", self.max_conns_per_host, self.idle_timeout)
                    self._pools[key] = pool
        return pool

    def _split(self, url: str) -> tuple[str, int, bytes, bytes]:
        hit = self._urls.get(url)
        if hit is not None:
            return hit
        if not isinstance(url, str):
            raise TypeError(f"cspy.http.Client: the URL must be a str, got {url!r}")
        parts = urlsplit(url)
        if parts.scheme != "http":
            what = "https is not supported (no TLS in cspy.net)" if parts.scheme == "https" else \
                f"the URL needs the http:// scheme, got {url!r}"
            raise ValueError(f"cspy.http.Client: {what}")
        host = parts.hostname
        if not host:
            raise ValueError(f"cspy.http.Client: no host in the URL {url!r}")
        try:
            port = parts.port or 80
        except ValueError:
            raise ValueError(f"cspy.http.Client: bad port in the URL {url!r}") from None
        shown = f"[{host}]" if ":" in host else host
        hostport = (shown if port == 80 else f"{shown}:{port}").encode("idna")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        out = (host, port, hostport, target.encode("ascii"))
        if len(self._urls) >= _URL_CACHE_SIZE:
            self._urls.clear()
        self._urls[url] = out
        return out

    @staticmethod
    def _fields(method: str, hostport: bytes, body: bytes, headers: HeadersLike) -> list[tuple[bytes, bytes]]:
        fields = [(b"host", hostport), (b"user-agent", _USER_AGENT)]
        if body or method in _WITH_BODY:
            fields.append((b"content-length", str(len(body)).encode("ascii")))
        if headers:
            given = headers.raw if isinstance(headers, Headers) else Headers(headers).raw
            names = {name for name, _ in given}
            fields = [f for f in fields if f[0] not in names] + list(given)
        return fields


def _remaining(deadline: float | None, what: bytes) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise Timeout(f"request to {what.decode()}")
    return left


def _exchange(
    c: _ClientConn,
    method: str,
    target: bytes,
    fields: list[tuple[bytes, bytes]],
    body: bytes,
    deadline: float | None,
    ctx: Context | None,
) -> tuple[Response, bool]:
    """One request and its response on ``c``; (response, keep the connection)."""
    conn, h = c.conn, c.h
    if deadline is not None:
        conn.set_deadline(_remaining(deadline, target))
    got_any = False
    try:
        data = h.send(h11.Request(method=method, target=target, headers=fields))
        if body:
            data += h.send(h11.Data(data=body))
        data += h.send(h11.EndOfMessage())
        conn.write(data, ctx=ctx)
        while True:
            ev = h.next_event()
            if ev is h11.NEED_DATA:
                chunk = conn.read(READ_SIZE, ctx=ctx)
                got_any = got_any or bool(chunk)
                h.receive_data(chunk)
            elif type(ev) is h11.Response:
                break
            elif type(ev) is not h11.InformationalResponse:  # 1xx: the real answer follows
                raise ProtocolError(f"unexpected {type(ev).__name__} from {conn.remote_addr}")
        head = ev
        parts: list[bytes] = []
        while True:
            ev = h.next_event()
            if ev is h11.NEED_DATA:
                h.receive_data(conn.read(READ_SIZE, ctx=ctx))
            elif type(ev) is h11.Data:
                parts.append(ev.data)
            elif type(ev) is h11.EndOfMessage:
                break
            else:
                raise ProtocolError(f"unexpected {type(ev).__name__} from {conn.remote_addr}")
    except h11.RemoteProtocolError as exc:
        if c.reused and not got_any:
            raise _Stale(ConnectionResetError(f"{conn}: server closed the idle connection")) from None
        raise ProtocolError(f"{conn}: {exc}") from None
    except (ConnectionError, ClosedError) as exc:
        if c.reused and not got_any:
            raise _Stale(exc) from None
        raise
    keep = h.our_state is h11.DONE and h.their_state is h11.DONE
    if keep:
        h.start_next_cycle()
        if deadline is not None:
            conn.set_deadline(None)
    resp = Response.received(head.status_code, head.reason.decode("latin-1"),
                             Headers.from_raw(head.headers),  # type: ignore[arg-type]
                             b"".join(parts), head.http_version.decode("ascii"))
    return resp, keep

"""One server connection: the task that reads requests off a ``cspy.net.Conn`` with h11, calls the
handler and writes the responses (Go's ``http.conn.serve``).

The loop, per request:

1. *wait*: nothing of the next request is buffered. The first request must arrive within
   ``read_timeout`` of the accept (a read deadline); later ones within ``idle_timeout`` of the
   previous response (Go's IdleTimeout), enforced by the server's reaper, which closes IDLE
   connections (server.py) -- so a kept-alive connection's wait has no deadline, no timer, and
   takes the read's fast path. A timeout, a close or end of stream here ends the connection
   quietly. The first bytes mark the connection ACTIVE with the server (``Server.activate``),
   which refuses once a shutdown began or the reaper took it: such a request was not yet in
   flight and is dropped, as Go drops it.
2. *read*: the head and the whole body must arrive within ``read_timeout`` of the first byte
   (Go's ReadTimeout; a slowloris client is cut off here). The deadline is set only when a
   request does not arrive in one read, so the common case costs no deadline call. h11 raises
   for a malformed request (answered 400) or a head over ``max_header_bytes`` (431); a body over
   ``max_body_bytes`` is answered 413. ``Expect: 100-continue`` gets its ``100 Continue`` before
   the body is read, unless the declared length is already too large.
3. *handle*: the write deadline is set (``write_timeout`` from the end of the head, Go's
   WriteTimeout), the handler runs in this task; an exception is logged with this task's name
   and answered 500.
4. *write*: the response, with ``connection: close`` on the last one (``max_requests_per_conn``,
   a shutdown, or the client asked); then the connection goes IDLE again, or closes.

``request.ctx`` is created only if the handler asks for it. Its first ``done()`` or ``err()``
starts a *peer watcher* (Go's ``backgroundRead``): a task that reads the connection while the
handler runs, and cancels the context at end of stream -- the client went away. Bytes it reads
instead (a pipelined request) are kept and handed to h11 afterwards. It is stopped after the
response by a read deadline in the past, and joined; so no watcher outlives its request.

Invariants: only this task and (while a request's handler runs) its peer watcher read the
connection, never both at once; only this task writes. ``state`` changes under the server's
lock (see server.py). Errors on the socket end the connection, never the server.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import h11

from cspy.channel import Chan
from cspy.context import Context, background, with_cancel, with_deadline
from cspy.http.headers import Headers
from cspy.http.message import Request, Response, reason_phrase
from cspy.net import ClosedError, Conn, Timeout
from cspy.scheduler import current_task, go, now

if TYPE_CHECKING:
    from cspy.channel import RecvChan
    from cspy.http.server import Server

__all__ = ["ServerConn", "NEW", "IDLE", "ACTIVE", "REAPED", "log"]

log = logging.getLogger("cspy.http")

NEW, IDLE, ACTIVE, REAPED = "new", "idle", "active", "reaped"

# One read: a whole request head (or a good part of a body) on a typical connection.
READ_SIZE = 65536
# After an error response (400, 413, 431) the rest of the request is drained for at most this
# long before the close, so the client reads the answer instead of a reset (Go's lingering close).
LINGER_SECONDS = 0.5
LINGER_BYTES = 256 * 1024

_METHODS = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")}
_NO_BODY_STATUS = frozenset({204, 304})

_date_cache: list[Any] = [0, b""]


def http_date() -> bytes:
    """The ``date`` header value, formatted at most once a second."""
    sec = int(time.time())
    if _date_cache[0] != sec:
        _date_cache[1] = email.utils.formatdate(sec, usegmt=True).encode("ascii")
        _date_cache[0] = sec
    return _date_cache[1]  # type: ignore[no-any-return]


class _Reply(Exception):
    """Answer ``status`` with a short text and close the connection (a request we refuse)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class RequestContext(Context):
    """``request.ctx``: a cancel context whose first ``done()`` or ``err()`` starts the peer
    watcher. Derived contexts watch it through ``done()`` (cspy.context does so for a parent
    that is not one of its own), so they see a disconnect too."""

    __slots__ = ("_inner", "_sc")

    def __init__(self, inner: Context, sc: ServerConn) -> None:
        self._inner = inner
        self._sc = sc

    def done(self) -> RecvChan[None]:
        self._sc.watch_peer()
        return self._inner.done()

    def err(self) -> BaseException | None:
        self._sc.watch_peer()
        return self._inner.err()

    def deadline(self) -> float | None:
        return self._inner.deadline()

    def value(self, key: object) -> Any:
        return self._inner.value(key)

    def __repr__(self) -> str:
        return f"<request context {self._inner!r}>"


class ServerConn:
    """The state of one server connection; ``run`` is its task."""

    __slots__ = ("server", "conn", "h", "state", "served", "lock", "ctx", "cancel", "t_request",
                 "watching", "req_done", "watch_done", "pending", "peer_gone", "aborted", "name",
                 "idle_since", "rdl", "current", "buffered")

    def __init__(self, server: Server, conn: Conn) -> None:
        self.server = server
        self.conn = conn
        self.h = h11.Connection(h11.SERVER, max_incomplete_event_size=server.max_header_bytes)
        self.state = NEW
        self.served = 0
        self.lock = threading.Lock()  # the request context and its watcher (several tasks)
        self.ctx: RequestContext | None = None
        self.cancel: Any = None
        self.t_request = 0.0
        self.watching = False
        self.req_done = False
        self.watch_done: Chan[None] | None = None
        self.pending = b""
        self.peer_gone = False
        self.aborted = False  # force-closed by a shutdown past its grace period
        self.name = ""
        self.idle_since = 0.0  # when it last went IDLE (time.monotonic), for the reaper
        self.rdl = True  # a read deadline may be set (the accept's; a slow request's; the watcher's)
        self.current: Request | None = None  # the request being handled
        self.buffered = False  # h11 holds bytes of the next request

    # ---- the task -------------------------------------------------------------------------------

    def run(self) -> None:
        self.name = current_task().name
        conn = self.conn
        try:
            conn.set_read_deadline(self.server.read_timeout)  # the first request: from the accept
            while self._serve_one():
                pass
        except (ClosedError, Timeout, ConnectionError, h11.LocalProtocolError):
            pass  # the peer went away, a deadline passed, or a shutdown closed us: just close
        except Exception:  # a bug in cspy.http: log it, never take the program down
            log.exception("cspy.http: connection %s failed (task %s)", conn, self.name)
        finally:
            self._end_request()
            conn.close()
            self.server.forget(self)

    def _serve_one(self) -> bool:
        """Read, handle and answer one request; False when the connection is to be closed."""
        srv, h = self.server, self.h
        try:
            req = self._read_request()
        except h11.RemoteProtocolError as exc:
            status = exc.error_status_hint
            self._error_reply(status, "request header fields too large" if status == 431 else str(exc))
            return False
        except _Reply as reply:
            self._error_reply(reply.status, reply.text)
            return False
        if req is None:
            return False
        last = self.served >= srv.max_requests_per_conn or srv.closing
        method = req.method
        try:
            resp = srv.handler(req)
            if not isinstance(resp, Response):
                raise TypeError(f"the handler returned {type(resp).__name__}, not a cspy.http.Response")
        except Exception:
            log.exception("cspy.http: handler failed on %s %s from %s (task %s)", method, req.target,
                          _addr(req.remote_addr), self.name)
            resp = Response(500, "internal server error\n")
        try:
            if not self._write_response(method, resp, last):
                return False
        finally:
            self._end_request()
        if last or self.peer_gone or h.our_state is not h11.DONE or h.their_state is not h11.DONE:
            return False
        h.start_next_cycle()
        if self.pending:
            h.receive_data(self.pending)
            self.pending = b""
        self.buffered = bool(h.trailing_data[0])  # a pipelined request already read
        return srv.idle(self)

    # ---- reading --------------------------------------------------------------------------------

    def _read_request(self) -> Request | None:
        """The next request with its body read in full; None when the connection should close
        quietly (end of stream or a timeout between requests, a shutdown)."""
        srv, h, conn = self.server, self.h, self.conn
        timed = self.served == 0  # the first request's deadline was set at the accept
        # Nothing buffered (the usual case between requests): h11 would only say NEED_DATA.
        ev = h.next_event() if self.buffered else h11.NEED_DATA
        if ev is h11.NEED_DATA:
            if self.served and self.rdl:  # idle: no deadline (the reaper enforces idle_timeout)
                conn.set_read_deadline(None)
                self.rdl = False
            try:
                data = conn.read(READ_SIZE)
            except (Timeout, ClosedError, ConnectionError):
                return None
            if not data or not srv.activate(self):
                return None
            h.receive_data(data)
            received = len(data)
            ev = h.next_event()
        elif not srv.activate(self):
            return None
        else:
            received = srv.max_header_bytes + 1  # pipelined: its size is unknown, so measure it
        t_first = time.monotonic()
        while ev is h11.NEED_DATA:
            if not timed:
                conn.set_read_deadline(srv.read_timeout - (time.monotonic() - t_first))
                timed = self.rdl = True
            data = conn.read(READ_SIZE)
            received += len(data)
            h.receive_data(data)
            ev = h.next_event()
        if type(ev) is not h11.Request:
            return None  # ConnectionClosed: the client closed between requests
        # h11 enforces max_header_bytes only on a head still incomplete; one that arrived whole
        # is measured here (only when enough bytes came for it to be too large).
        if received > srv.max_header_bytes and _head_size(ev) > srv.max_header_bytes:
            raise _Reply(431, "request header fields too large")
        if srv.write_timeout is not None:
            self.conn.set_write_deadline(srv.write_timeout)
        if srv.handler_timeout is not None:
            self.t_request = now()
        body = self._read_body(ev, timed, t_first)
        with self.lock:
            self.served += 1
            self.req_done = False
        method = _METHODS.get(ev.method) or ev.method.decode("ascii")
        req = self.current = Request(
            method,
            ev.target.decode("latin-1"),
            headers=Headers.from_raw(ev.headers),  # type: ignore[arg-type]
            body=body,
            http_version=ev.http_version.decode("ascii"),
            remote_addr=self.conn.remote_addr,
            ctx_source=self.request_ctx,
        )
        return req

    def _read_body(self, req: h11.Request, timed: bool, t_first: float) -> bytes:
        srv, h, conn = self.server, self.h, self.conn
        ev = h.next_event()
        if type(ev) is h11.EndOfMessage:
            return b""  # no body (most requests): nothing to check, nobody waits for a 100
        limit = srv.max_body_bytes
        for name, value in req.headers:
            if name == b"content-length" and int(value) > limit:
                raise _Reply(413, f"request body larger than {limit} bytes")
        if h.they_are_waiting_for_100_continue:
            conn.write(h.send(h11.InformationalResponse(status_code=100, headers=[],
                                                        reason=b"Continue")))
        parts: list[bytes] = []
        size = 0
        while True:
            if ev is h11.NEED_DATA:
                if not timed:
                    conn.set_read_deadline(srv.read_timeout - (time.monotonic() - t_first))
                    timed = self.rdl = True
                h.receive_data(conn.read(READ_SIZE))
            elif type(ev) is h11.Data:
                size += len(ev.data)
                if size > limit:
                    raise _Reply(413, f"request body larger than {limit} bytes")
                parts.append(ev.data)
            elif type(ev) is h11.EndOfMessage:
                break
            ev = h.next_event()
        if not parts:
            return b""
        return parts[0] if len(parts) == 1 else b"".join(parts)

    # ---- writing --------------------------------------------------------------------------------

    def _write_response(self, method: str, resp: Response, last: bool) -> bool:
        """Write ``resp``; False if the handler's response could not be framed (answered 500)."""
        h, conn = self.h, self.conn
        status = resp.status
        headers = list(resp.headers.raw)
        stream = resp.stream
        if stream is None and status not in _NO_BODY_STATUS and status >= 200:
            for name, _ in headers:
                if name == b"content-length":
                    break
            else:
                headers.append((b"content-length", str(len(resp.body)).encode("ascii")))
        headers.append((b"date", http_date()))
        if last:
            headers.append((b"connection", b"close"))
        try:
            head = h11.Response(status_code=status, headers=headers, reason=reason_phrase(status))
            data = h.send(head)
            if stream is None:
                if resp.body and method != "HEAD" and status not in _NO_BODY_STATUS:
                    data += h.send(h11.Data(data=resp.body))
                data += h.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:
            log.error("cspy.http: the handler's response %r cannot be sent: %s (task %s)", resp, exc,
                      self.name)
            self._error_reply(500, "the handler's response cannot be sent")
            return False
        if stream is None:
            conn.write(data)
            return True
        try:
            conn.write(data)
            if method != "HEAD" and status not in _NO_BODY_STATUS:
                for chunk in stream:
                    if chunk:
                        conn.write(h.send(h11.Data(data=bytes(chunk))))
            conn.write(h.send(h11.EndOfMessage()))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # a generator stopped half-way runs its finally blocks now
        return True

    def _error_reply(self, status: int, text: str) -> None:
        """Answer a refused request and close, draining what the client still sends."""
        h, conn = self.h, self.conn
        body = f"{status} {reason_phrase(status).decode()}: {text}\n".encode("utf-8", "replace")
        headers = [(b"content-type", b"text/plain; charset=utf-8"),
                   (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                   (b"date", http_date())]
        try:
            if h.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                data = h.send(h11.Response(status_code=status, headers=headers,
                                           reason=reason_phrase(status)))
                data += h.send(h11.Data(data=body)) + h.send(h11.EndOfMessage())
            else:  # h11 cannot frame a response now: nothing of ours was sent, so write it raw
                raise h11.LocalProtocolError("no response possible")
        except h11.LocalProtocolError:
            data = (b"HTTP/1.1 %d %s\r\n" % (status, reason_phrase(status))
                    + b"".join(b"%s: %s\r\n" % kv for kv in headers) + b"\r\n" + body)
        try:
            conn.write(data)
            conn.close_write()
            conn.set_read_deadline(LINGER_SECONDS)
            drained = 0
            while drained < LINGER_BYTES and (chunk := conn.read(READ_SIZE)):
                drained += len(chunk)
        except OSError:
            pass

    # ---- the request context and its peer watcher ---------------------------------------------

    def request_ctx(self, req: Request) -> Context:
        """``req.ctx`` (created on first use; a request already answered gets a cancelled
        context)."""
        with self.lock:
            if req is not self.current or self.req_done:
                ctx, cancel = with_cancel(background())
                cancel()
                return ctx
            if self.ctx is None:
                srv = self.server
                if srv.handler_timeout is None:
                    inner, self.cancel = with_cancel(background())
                else:
                    inner, self.cancel = with_deadline(background(), self.t_request + srv.handler_timeout)
                self.ctx = RequestContext(inner, self)
                if self.aborted:
                    self.cancel()
            return self.ctx

    def watch_peer(self) -> None:
        """Start the peer watcher, once per request, while the request is being handled."""
        with self.lock:
            if self.watching or self.req_done:
                return
            self.watching = True
            self.watch_done = Chan[None](1)
            self.conn.set_read_deadline(None)
            self.rdl = True  # _end_request leaves it in the past
        go(self._watch, name=f"{self.name} peer watcher")

    def _watch(self) -> None:
        assert self.watch_done is not None
        try:
            data: bytes | None = self.conn.read(READ_SIZE)
        except Timeout:
            data = None  # stopped: the response is out
        except OSError:
            data = b""  # reset or closed: the client is gone
        if data:
            self.pending = data  # a pipelined request: the connection task feeds it to h11
        elif data is not None:
            self.peer_gone = True
            if self.cancel is not None:
                self.cancel()
        self.watch_done.send(None)

    def _end_request(self) -> None:
        """After a response: stop and join the peer watcher, cancel the request context."""
        with self.lock:
            self.req_done = True
            watching, self.watching = self.watching, False
            cancel, self.cancel, self.ctx = self.cancel, None, None
            if watching:
                self.conn.set_read_deadline(-1.0)  # wakes the watcher's read with Timeout
        if watching:
            assert self.watch_done is not None
            self.watch_done.recv()
        if cancel is not None:
            cancel()

    def abort(self) -> None:
        """From the server, past the shutdown's grace period: cancel the request and close."""
        with self.lock:
            self.aborted = True
            cancel = self.cancel
        if cancel is not None:
            cancel()
        self.conn.close()


def _head_size(req: h11.Request) -> int:
    """The size of ``req``'s head as sent (request line and fields, with their line ends)."""
    size = len(req.method) + len(req.target) + 12
    for name, value in req.headers:
        size += len(name) + len(value) + 4
    return size + 2


def _addr(addr: tuple[Any, ...]) -> str:
    return f"{addr[0]}:{addr[1]}" if addr else "?"

"""cspy.http.serve / Server (cspy/http/server.py) against real clients -- curl (a child
process), http.client, urllib and raw sockets on an offload thread: keep-alive on one
connection, the idle reaper, graceful shutdown, options. Timeouts are short parameters; waits
poll with a deadline. Speed is never asserted; only lower bounds on time are (a loaded machine
only makes them later)."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.request

import pytest

import cspy
from cspy.http import Request, Response
from tests.http.conftest import curl, poll, raw_connect, read_until_closed, task_poll, with_server

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 2]


def echo(req: Request) -> Response:
    return Response(200, f"{req.method} {req.path} q={dict(req.query)} n={len(req.body)}")


def hostport(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


@pytest.mark.parametrize("procs", PROCS)
def test_curl_gets_an_answer(procs: int) -> None:
    def client(base: str, srv: cspy.http.Server) -> str:
        out = curl("-i", f"{base}/a%20b/c?x=1&y=2")
        assert out.returncode == 0, out.stderr
        return out.stdout

    out = with_server(echo, client, procs=procs)
    head, _, body = out.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200 OK")
    assert re.search(r"^content-length: \d+\r$", head, re.M | re.I)
    assert re.search(r"^date: \w{3}, ", head, re.M | re.I)
    assert body == "GET /a b/c q={'x': '1', 'y': '2'} n=0"


@pytest.mark.parametrize("procs", PROCS)
def test_keep_alive_one_connection_for_many_requests(procs: int) -> None:
    peers: list[tuple[str, int]] = []

    def handler(req: Request) -> Response:
        peers.append(req.remote_addr)
        return Response(body=str(len(peers)))

    def client(base: str, srv: cspy.http.Server) -> tuple[int, list[str]]:
        conn = http.client.HTTPConnection(*hostport(base), timeout=10)
        bodies = []
        for _ in range(20):
            conn.request("GET", "/")
            resp = conn.getresponse()
            bodies.append(resp.read().decode())
            assert resp.status == 200 and not resp.will_close
        conn.close()
        return srv.accepted, bodies

    accepted, bodies = with_server(handler, client, procs=procs)
    assert bodies == [str(i) for i in range(1, 21)]
    assert accepted == 1  # checked on the server side: one TCP connection...
    assert len(set(peers)) == 1 and len(peers) == 20  # ...from one client port, for all 20


def test_curl_reuses_the_connection_for_several_urls() -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[int, str]:
        out = curl("-v", f"{base}/1", f"{base}/2", f"{base}/3")
        assert out.returncode == 0, out.stderr
        return srv.accepted, out.stdout

    accepted, stdout = with_server(echo, client)
    assert stdout == "GET /1 q={} n=0GET /2 q={} n=0GET /3 q={} n=0"
    assert accepted == 1


def test_idle_timeout_closes_a_kept_alive_connection() -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[bytes, bytes, float]:
        sock = raw_connect(base)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        t0 = time.monotonic()
        rest = read_until_closed(sock)  # returns when the server closes the idle connection
        idle = time.monotonic() - t0
        sock.close()
        poll(lambda: srv.connections == 0, what="the server to forget the connection")
        return first, rest, idle

    first, rest, idle = with_server(echo, client, idle_timeout=0.5)
    assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b"n=0")
    assert rest == b""  # closed quietly, with no further bytes
    # Not before the idle timeout: a lower bound (with room for the client thread to be late in
    # taking its clock reading after the answer), which a loaded machine cannot break.
    assert idle >= 0.3


@pytest.mark.parametrize("procs", PROCS)
@pytest.mark.timeout(90)
def test_graceful_shutdown_finishes_every_request_in_flight(procs: int) -> None:
    n = 12
    inside = cspy.AtomicInt()
    release = threading.Event()

    def handler(req: Request) -> Response:
        inside.add(1)
        while not release.is_set():  # in flight until the shutdown has begun
            cspy.sleep(0.005)
        cspy.sleep(0.05)
        if req.path == "/idle":
            return Response(body="idle")
        return Response(body=f"done {req.path}" + "x" * 100_000)

    def clients(base: str) -> list[tuple[int, str, bool]]:
        results: list[tuple[int, str, bool]] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            with urllib.request.urlopen(f"{base}/{i}", timeout=30) as r:
                body = r.read().decode()
            with lock:
                results.append((r.status, body[: len(f"done /{i}")], len(body) == len(f"done /{i}") + 100_000))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def main() -> tuple[list[tuple[int, str, bool]], bytes, bool]:
        ln = cspy.net.listen("127.0.0.1", 0, backlog=64)
        base = f"http://127.0.0.1:{ln.addr[1]}"
        ctx, stop = cspy.context.with_cancel(cspy.context.background())
        srv = cspy.http.Server(handler, grace=20.0)
        served = cspy.Chan[None]()

        def serve() -> None:
            srv.serve(ln, ctx)
            served.close()

        cspy.go(serve)
        # An idle keep-alive connection, which the shutdown must close.
        idle = cspy.blocking(raw_connect, base)
        cspy.blocking(idle.sendall, b"GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
        task_poll(lambda: inside.load() == 1, what="the idle connection's request")
        release.set()
        cspy.blocking(idle.recv, 65536)
        release.clear()
        inside.store(0)
        got: cspy.Chan[list[tuple[int, str, bool]]] = cspy.Chan(1)
        cspy.go(lambda: got.send(cspy.blocking(clients, base)))
        task_poll(lambda: inside.load() == n, what="every request to be in its handler")
        stop()  # shutdown with n requests in flight
        task_poll(lambda: srv.closing, what="the shutdown to begin")
        release.set()
        served.recv_ok()  # serve returned: every request in flight was answered first
        idle_rest = cspy.blocking(read_until_closed, idle)
        refused = False
        try:
            cspy.net.dial("127.0.0.1", ln.addr[1], timeout=5).close()
        except ConnectionRefusedError:
            refused = True
        return got.recv(), idle_rest, refused

    results, idle_rest, refused = cspy.run(main, procs=procs)
    assert sorted(results) == sorted((200, f"done /{i}", True) for i in range(n))  # none lost, none cut
    assert idle_rest == b""  # the idle connection was closed, quietly
    assert refused  # no longer accepting


def test_shutdown_past_grace_closes_stuck_requests_and_cancels_their_ctx() -> None:
    seen: list[str] = []

    def handler(req: Request) -> Response:
        index, _, _ = cspy.select(cspy.Recv(req.ctx.done()), cspy.Recv(cspy.after(30)))
        seen.append("ctx cancelled" if index == 0 else "waited 30 s")
        return Response(body="too late")

    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        srv = cspy.http.Server(handler, grace=0.2)
        served = cspy.Chan[None]()
        cspy.go(lambda: (srv.serve(ln), served.close()))
        sock = cspy.blocking(raw_connect, f"http://127.0.0.1:{ln.addr[1]}")
        cspy.blocking(sock.sendall, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        task_poll(lambda: srv.connections == 1 and srv.accepted == 1, what="the request")
        cspy.sleep(0.05)
        srv.shutdown()
        served.recv_ok()
        return cspy.blocking(read_until_closed, sock)

    assert cspy.run(main) == b""  # cut after the grace period: closed without an answer
    assert seen == ["ctx cancelled"]


def test_bad_options_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="read_timeout must be a positive number"):
        cspy.http.Server(echo, read_timeout=0)
    with pytest.raises(ValueError, match="max_requests_per_conn must be a positive int"):
        cspy.http.Server(echo, max_requests_per_conn=0)
    with pytest.raises(TypeError, match="handler must be callable"):
        cspy.http.Server("not a handler")  # type: ignore[arg-type]


def test_the_reaper_closes_only_idle_connections() -> None:
    def handler(req: Request) -> Response:
        cspy.sleep(0.3)  # three idle timeouts: ACTIVE meanwhile, so not reaped
        return Response(body="slow but answered")

    def client(base: str, srv: cspy.http.Server) -> tuple[bytes, bytes, bytes]:
        sock = raw_connect(base)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(sock)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # at once: still kept alive
        second = read_response(sock)
        rest = read_until_closed(sock)  # then idle: reaped
        sock.close()
        return first, second, rest

    first, second, rest = with_server(handler, client, idle_timeout=0.1)
    assert first.endswith(b"slow but answered") and second.endswith(b"slow but answered")
    assert rest == b""


def test_shutdown_closes_connections_that_sent_nothing() -> None:
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        srv = cspy.http.Server(echo)
        served = cspy.Chan[None]()
        cspy.go(lambda: (srv.serve(ln), served.close()))
        sock = cspy.blocking(raw_connect, f"http://127.0.0.1:{ln.addr[1]}")
        task_poll(lambda: srv.connections == 1, what="the connection to be accepted")
        srv.shutdown()
        served.recv_ok()
        return cspy.blocking(read_until_closed, sock)

    assert cspy.run(main) == b""


def read_response(sock: socket.socket) -> bytes:
    """One response with a content-length (enough for these tests)."""
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I)[1])  # type: ignore[index]
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body

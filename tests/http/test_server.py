"""cspy.http.serve / Server against real clients: curl (a child process), http.client, urllib
and raw sockets on an offload thread. Timeouts are short parameters; waits poll with a deadline.
Speed is never asserted; a few lower bounds on time are (a loaded machine only makes them
later)."""

from __future__ import annotations

import http.client
import logging
import re
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


@pytest.mark.parametrize("procs", PROCS)
def test_max_requests_per_conn_closes_after_the_last(procs: int) -> None:
    peers: list[tuple[str, int]] = []

    def handler(req: Request) -> Response:
        peers.append(req.remote_addr)
        return Response(body="ok")

    def client(base: str, srv: cspy.http.Server) -> tuple[list[bool], int]:
        conn = http.client.HTTPConnection(*hostport(base), timeout=10)
        closes = []
        for _ in range(7):  # http.client reconnects by itself after a "connection: close"
            conn.request("GET", "/")
            resp = conn.getresponse()
            assert resp.read() == b"ok"
            closes.append(resp.getheader("connection") == "close")
        conn.close()
        return closes, srv.accepted

    closes, accepted = with_server(handler, client, procs=procs, max_requests_per_conn=3)
    assert closes == [False, False, True, False, False, True, False]
    assert accepted == 3
    assert [peers.count(p) for p in dict.fromkeys(peers)] == [3, 3, 1]


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

    first, rest, idle = with_server(echo, client, idle_timeout=0.3)
    assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b"n=0")
    assert rest == b""  # closed quietly, with no further bytes
    assert idle >= 0.25  # not before the idle timeout (the lower bound cannot flake)


@pytest.mark.parametrize("procs", PROCS)
def test_slowloris_headers_are_cut_by_read_timeout(procs: int) -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[bytes, float, bool, int]:
        sock = raw_connect(base)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        sock.settimeout(0.05)
        got = b""
        closed = False
        while time.monotonic() - t0 < 10:  # one header byte every 50 ms, never finishing
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
            if not data:
                closed = True
                break
            got += data
        cut = time.monotonic() - t0
        sock.close()
        # Meanwhile and afterwards the server serves others.
        with urllib.request.urlopen(f"{base}/after", timeout=10) as r:
            assert r.read() == b"GET /after q={} n=0"
        return got, cut, closed, srv.accepted

    got, cut, closed, accepted = with_server(echo, client, procs=procs, read_timeout=0.4)
    assert closed and got == b""
    assert cut >= 0.35
    assert accepted == 2


def test_read_timeout_covers_the_body_too() -> None:
    def client(base: str, srv: cspy.http.Server) -> bytes:
        sock = raw_connect(base)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        return read_until_closed(sock)

    assert with_server(echo, client, read_timeout=0.3) == b""


def test_oversized_headers_get_431() -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[str, str]:
        big = curl("-i", "-H", "X-Big: " + "a" * 20000, f"{base}/")
        ok = curl(f"{base}/fine")
        return big.stdout, ok.stdout

    big, ok = with_server(echo, client, max_header_bytes=8192)
    assert big.startswith("HTTP/1.1 431 Request Header Fields Too Large")
    assert ok == "GET /fine q={} n=0"


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_gets_413(chunked: bool) -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[str, str]:
        extra = ["-H", "Transfer-Encoding: chunked"] if chunked else []
        big = curl("-i", *extra, "--data-binary", "x" * 5000, f"{base}/")
        small = curl(*extra, "--data-binary", "x" * 1000, f"{base}/")
        return big.stdout, small.stdout

    big, small = with_server(echo, client, max_body_bytes=1000)
    assert re.search(r"^HTTP/1.1 413 Request Entity Too Large|^HTTP/1.1 413 Content Too Large", big, re.M), big
    assert small == "POST / q={} n=1000"


def test_expect_100_continue() -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[str, bytes]:
        ok = curl("-i", "-H", "Expect: 100-continue", "--data-binary", "y" * 3000, f"{base}/up")
        # Too large: refused at once with 413, without a 100 and without waiting for the body.
        sock = raw_connect(base)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n")
        refused = read_until_closed(sock)
        sock.close()
        return ok.stdout, refused

    ok, refused = with_server(echo, client, max_body_bytes=10000)
    assert ok.startswith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), ok
    assert ok.endswith("POST /up q={} n=3000")
    assert refused.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in refused


@pytest.mark.parametrize("procs", PROCS)
def test_malformed_request_line_gets_400_and_the_server_lives(procs: int) -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[bytes, bytes, str]:
        answers = []
        for garbage in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nNo colon\r\n\r\n"):
            sock = raw_connect(base)
            sock.sendall(garbage)
            answers.append(read_until_closed(sock))
            sock.close()
        after = curl(f"{base}/still")
        return answers[0], answers[2], after.stdout

    first, third, after = with_server(echo, client, procs=procs)
    assert first.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"connection: close" in first
    assert third.startswith(b"HTTP/1.1 400 ")
    assert after == "GET /still q={} n=0"


@pytest.mark.parametrize("procs", PROCS)
def test_handler_exception_is_500_logged_with_the_task_name(procs: int, caplog: pytest.LogCaptureFixture) -> None:
    def handler(req: Request) -> Response:
        if req.path == "/boom":
            raise ZeroDivisionError("boom")
        return Response(body="fine")

    def client(base: str, srv: cspy.http.Server) -> tuple[str, str]:
        boom = curl("-i", f"{base}/boom")
        fine = curl(f"{base}/fine")
        return boom.stdout, fine.stdout

    with caplog.at_level(logging.ERROR, logger="cspy.http"):
        boom, fine = with_server(handler, client, procs=procs)
    assert boom.startswith("HTTP/1.1 500 Internal Server Error")
    assert fine == "fine"
    records = [r for r in caplog.records if r.name == "cspy.http"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "GET /boom" in message and "task cspy.http conn 127.0.0.1:" in message
    assert records[0].exc_info and records[0].exc_info[0] is ZeroDivisionError


def test_chunked_request_and_streamed_response() -> None:
    def handler(req: Request) -> Response:
        n = len(req.body)

        def parts():  # an iterable body: sent chunk by chunk
            for i in range(3):
                yield f"part{i}:{n};".encode()

        return Response(body=parts())

    def client(base: str, srv: cspy.http.Server) -> tuple[str, bytes]:
        out = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "z" * 7000, f"{base}/")
        sock = raw_connect(base)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = read_until_closed(sock)
        sock.close()
        return out.stdout, raw

    text, raw = with_server(handler, client)
    assert text == "part0:7000;part1:7000;part2:7000;"
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower() and b"content-length" not in head.lower()
    assert body == b"8\r\npart0:0;\r\n8\r\npart1:0;\r\n8\r\npart2:0;\r\n0\r\n\r\n"


def test_head_pipelining_and_http10() -> None:
    def client(base: str, srv: cspy.http.Server) -> tuple[bytes, bytes, bytes]:
        sock = raw_connect(base)
        sock.sendall(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        pipelined = read_until_closed(sock)
        sock.close()
        sock = raw_connect(base)
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        old = read_until_closed(sock)  # HTTP/1.0 without keep-alive: closed after the answer
        sock.close()
        head = curl("-I", f"{base}/h").stdout.encode()
        return pipelined, old, head

    pipelined, old, head = with_server(echo, client)
    answers = pipelined.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(answers) == 3
    assert answers[0].endswith(b"GET /1 q={} n=0")
    assert answers[1].endswith(b"\r\n\r\n")  # HEAD: headers (with the GET's length), no body
    assert b"content-length: 16" in answers[1]
    assert answers[2].endswith(b"GET /3 q={} n=0") and b"connection: close" in answers[2].lower()
    assert old.startswith(b"HTTP/1.1 200 OK") and old.endswith(b"GET /old q={} n=0")
    assert head.startswith(b"HTTP/1.1 200 OK") and head.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("procs", PROCS)
def test_request_ctx_is_cancelled_when_the_client_goes_away(procs: int) -> None:
    seen: list[str] = []

    def handler(req: Request) -> Response:
        index, _, _ = cspy.select(cspy.Recv(req.ctx.done()), cspy.Recv(cspy.after(20)))
        seen.append("cancelled" if index == 0 else "not cancelled")
        seen.append(type(req.ctx.err()).__name__)
        return Response(body="late")

    def client(base: str, srv: cspy.http.Server) -> int:
        sock = raw_connect(base)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        poll(lambda: srv.connections == 1 and srv.accepted == 1, what="the request to arrive")
        time.sleep(0.05)  # not needed for correctness: lets the handler park first
        sock.close()  # the client gives up
        poll(lambda: len(seen) == 2, what="the handler to see its context cancelled")
        return srv.accepted

    with_server(handler, client, procs=procs)
    assert seen == ["cancelled", "Canceled"]


def test_handler_timeout_gives_request_ctx_a_deadline() -> None:
    def handler(req: Request) -> Response:
        index, _, _ = cspy.select(cspy.Recv(req.ctx.done()), cspy.Recv(cspy.after(20)))
        if index == 0 and isinstance(req.ctx.err(), TimeoutError):
            return Response(504, "deadline passed")
        return Response(body="no deadline?")

    def client(base: str, srv: cspy.http.Server) -> str:
        return curl("-i", f"{base}/").stdout

    out = with_server(handler, client, handler_timeout=0.2)
    assert out.startswith("HTTP/1.1 504 Gateway Timeout") and out.endswith("deadline passed")


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


def test_a_handler_returning_the_wrong_type_is_a_500() -> None:
    def client(base: str, srv: cspy.http.Server) -> str:
        return curl("-i", f"{base}/").stdout

    out = with_server(lambda req: "just a str", client)  # type: ignore[arg-type,return-value]
    assert out.startswith("HTTP/1.1 500 ")

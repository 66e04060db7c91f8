"""One server connection (cspy/http/serverconn.py) against real clients -- curl, http.client,
urllib and raw sockets: read timeouts, header and body limits, 100-continue, chunked bodies,
pipelining, max_requests_per_conn, malformed requests, handler failures, request contexts.
Timeouts are short parameters; waits poll with a deadline; only lower bounds on time are
asserted (a loaded machine only makes them later)."""

from __future__ import annotations

import http.client
import logging
import re
import time
import urllib.request

import pytest

import cspy
from cspy.http import Request, Response
from tests.http.conftest import curl, poll, raw_connect, read_until_closed, with_server
from tests.http.test_server import echo, hostport

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 2]


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

    got, cut, closed, accepted = with_server(echo, client, procs=procs, read_timeout=0.5)
    assert closed and got == b""
    assert cut >= 0.3  # the deadline counts from the accept, a little before the client's clock
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


def test_a_handler_returning_the_wrong_type_is_a_500() -> None:
    def client(base: str, srv: cspy.http.Server) -> str:
        return curl("-i", f"{base}/").stdout

    out = with_server(lambda req: "just a str", client)  # type: ignore[arg-type,return-value]
    assert out.startswith("HTTP/1.1 500 ")

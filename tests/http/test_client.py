"""cspy.http.Client against a plain ``http.server`` thread (the standard library's server, no
cspy in it) and against cspy.http itself: keep-alive reuse, the per-host cap, timeouts and
contexts, and the retry rule for a pooled connection the server closed while idle."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

import cspy
from cspy.http import Client, Request, Response
from tests.http.conftest import task_poll

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 2]


class StdlibServer:
    """``http.server`` in a thread of its own, HTTP/1.1 with keep-alive; records client ports."""

    def __init__(self) -> None:
        peers: list[int] = []
        self.peers = peers

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: bytes, chunked: bool = False) -> None:
                self.send_response(status)
                self.send_header("X-Method", self.command)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 3):
                        part = body[i : i + 3]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                peers.append(self.client_address[1])
                if self.path == "/missing":
                    self._answer(404, b"no such thing")
                elif self.path == "/chunked":
                    self._answer(200, b"streamed in pieces", chunked=True)
                else:
                    self._answer(200, f"got {self.path} ua={self.headers['User-Agent']}".encode())

            def do_POST(self) -> None:
                peers.append(self.client_address[1])
                n = int(self.headers["Content-Length"])
                self._answer(201, self.rfile.read(n)[::-1])

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="stdlib http.server")
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def stdlib() -> Iterator[StdlibServer]:
    server = StdlibServer()
    yield server
    server.close()


@pytest.mark.parametrize("procs", PROCS)
def test_against_http_server_keeps_one_connection_alive(stdlib: StdlibServer, procs: int) -> None:
    def main() -> list[tuple[int, bytes]]:
        with Client(timeout=10) as client:
            out = []
            for i in range(10):
                r = client.get(f"{stdlib.base}/item/{i}")
                out.append((r.status, r.body))
            assert r.headers["x-method"] == "GET" and r.headers["Content-Length"] == str(len(r.body))
            return out

    out = cspy.run(main, procs=procs)
    assert out == [(200, f"got /item/{i} ua=cspy.http".encode()) for i in range(10)]
    assert len(set(stdlib.peers)) == 1  # one TCP connection for the ten


def test_against_http_server_statuses_bodies_and_chunked(stdlib: StdlibServer) -> None:
    def main() -> tuple[Response, Response, Response]:
        with Client(timeout=10) as client:
            missing = client.get(f"{stdlib.base}/missing")
            posted = client.request("POST", f"{stdlib.base}/p", body="héllo")
            chunked = client.get(f"{stdlib.base}/chunked")
            return missing, posted, chunked

    missing, posted, chunked = cspy.run(main)
    assert (missing.status, missing.body, missing.reason) == (404, b"no such thing", "Not Found")
    assert (posted.status, posted.body) == (201, "héllo".encode()[::-1])
    assert chunked.body == b"streamed in pieces" and chunked.headers["transfer-encoding"] == "chunked"


def test_head_204_and_header_overrides() -> None:
    def handler(req: Request) -> Response:
        if req.path == "/empty":
            return Response(204)
        return Response(body=f"{req.headers['user-agent']} {req.headers.get('x-extra', '-')}")

    def main() -> tuple[Response, Response, Response, Response]:
        srv, base = serve_in_task(handler)
        with Client(timeout=10) as client:
            head = client.request("HEAD", f"{base}/x")
            empty = client.get(f"{base}/empty")
            custom = client.get(f"{base}/x", headers={"User-Agent": "mine", "X-Extra": "1"})
            after = client.get(f"{base}/x")  # the connection survived the bodiless answers
        srv.shutdown()
        return head, empty, custom, after

    head, empty, custom, after = cspy.run(main)
    assert head.status == 200 and head.body == b"" and head.headers["content-length"] == str(len("cspy.http -"))
    assert empty.status == 204 and empty.body == b"" and "content-length" not in empty.headers
    assert custom.body == b"mine 1"
    assert after.body == b"cspy.http -"


def test_a_refused_connection_raises_connection_refused() -> None:
    def main() -> None:
        ln = cspy.net.listen("127.0.0.1", 0)
        port = ln.addr[1]
        ln.close()
        with Client(timeout=5) as client:
            client.get(f"http://127.0.0.1:{port}/")

    with pytest.raises(ConnectionRefusedError):
        cspy.run(main)


def serve_in_task(handler: object, **options: object) -> tuple[cspy.http.Server, str]:
    ln = cspy.net.listen("127.0.0.1", 0, backlog=256)
    srv = cspy.http.Server(handler, **options)  # type: ignore[arg-type]
    cspy.go(srv.serve, ln, name="test server")
    return srv, f"http://127.0.0.1:{ln.addr[1]}"


@pytest.mark.parametrize("procs", PROCS)
def test_against_cspy_http_many_tasks_share_the_pool(procs: int) -> None:
    def main() -> tuple[list[bytes], int]:
        srv, base = serve_in_task(lambda req: Response(body=req.path.encode()))
        client = Client(timeout=10)
        results = cspy.Chan[bytes](200)
        wg = cspy.WaitGroup()
        for t in range(20):
            wg.go(lambda t=t: [results.send(client.get(f"{base}/{t}/{i}").body) for i in range(10)])
        wg.wait()
        results.close()
        client.close()
        srv.shutdown()
        return sorted(results), srv.accepted

    bodies, accepted = cspy.run(main, procs=procs)
    assert bodies == sorted(f"/{t}/{i}".encode() for t in range(20) for i in range(10))
    assert accepted <= 20  # connections are reused: at most one per concurrent task


@pytest.mark.parametrize("procs", PROCS)
def test_max_conns_per_host_makes_tasks_wait_for_a_connection(procs: int) -> None:
    inside = cspy.AtomicInt()
    peak = cspy.AtomicInt()

    def handler(req: Request) -> Response:
        now = inside.add(1)
        while (seen := peak.load()) < now and not peak.compare_and_swap(seen, now):
            pass
        cspy.sleep(0.02)
        inside.add(-1)
        return Response(body="ok")

    def main() -> tuple[int, int, int]:
        srv, base = serve_in_task(handler)
        with Client(timeout=30, max_conns_per_host=3) as client:
            wg = cspy.WaitGroup()
            ok = cspy.AtomicInt()
            for _ in range(12):
                wg.go(lambda: ok.add(int(client.get(base).body == b"ok")))
            wg.wait()
        srv.shutdown()
        return ok.load(), peak.load(), srv.accepted

    ok, peak_seen, accepted = cspy.run(main, procs=procs)
    assert ok == 12
    assert peak_seen <= 3 and accepted <= 3  # never more than the cap open at once


def test_timeout_and_ctx_bound_the_request() -> None:
    def handler(req: Request) -> Response:
        index, _, _ = cspy.select(cspy.Recv(req.ctx.done()), cspy.Recv(cspy.after(10)))
        return Response(body="slow")

    def main() -> tuple[str, str, str]:
        srv, base = serve_in_task(handler)
        outcomes = []
        with Client(timeout=0.2) as client:
            try:
                client.get(base)
            except TimeoutError as exc:
                outcomes.append(type(exc).__name__)
        with Client() as client:
            ctx, cancel = cspy.context.with_timeout(cspy.context.background(), 0.2)
            try:
                client.get(base, ctx=ctx)
            except TimeoutError as exc:
                outcomes.append(type(exc).__name__)
            cancel()
            ctx, cancel = cspy.context.with_cancel(cspy.context.background())
            cspy.go(lambda: (cspy.sleep(0.1), cancel()))
            try:
                client.get(base, ctx=ctx)
            except cspy.context.Canceled as exc:
                outcomes.append(type(exc).__name__)
        srv.shutdown()
        return outcomes[0], outcomes[1], outcomes[2]

    assert cspy.run(main) == ("Timeout", "DeadlineExceeded", "Canceled")


def test_waiting_for_a_connection_at_the_cap_times_out() -> None:
    release = cspy.Chan[None]()

    def handler(req: Request) -> Response:
        release.recv_ok()
        return Response(body="held")

    def main() -> tuple[str, bytes]:
        srv, base = serve_in_task(handler)
        with Client(max_conns_per_host=1) as client:
            held = cspy.Chan[bytes](1)
            cspy.go(lambda: held.send(client.get(base).body))
            task_poll(lambda: srv.accepted == 1, what="the first request")
            ctx, cancel = cspy.context.with_timeout(cspy.context.background(), 0.1)
            try:
                client.get(base, ctx=ctx)
                outcome = "got a connection over the cap"
            except TimeoutError as exc:
                outcome = type(exc).__name__
            cancel()
            release.close()
            body = held.recv()
        srv.shutdown()
        return outcome, body

    assert cspy.run(main) == ("DeadlineExceeded", b"held")


@pytest.mark.parametrize("procs", PROCS)
def test_idempotent_requests_are_retried_on_a_connection_closed_while_idle(procs: int) -> None:
    def main() -> tuple[bytes, bytes, str, int]:
        srv, base = serve_in_task(lambda req: Response(body=f"{req.method} {len(req.body)}"), idle_timeout=0.2)
        with Client(timeout=10) as client:
            first = client.get(base).body
            task_poll(lambda: srv.connections == 0, what="the server to close the idle connection")
            again = client.get(base).body  # the pooled connection is dead: retried on a new one
            task_poll(lambda: srv.connections == 0, what="the server to close the idle connection")
            try:
                client.request("POST", base, body=b"once")  # not idempotent: never sent twice
                post = "sent"
            except ConnectionError as exc:
                post = type(exc).__name__
        srv.shutdown()
        return first, again, post, srv.accepted

    first, again, post, accepted = cspy.run(main, procs=procs)
    assert first == again == b"GET 0"
    assert post in ("ConnectionResetError", "BrokenPipeError")
    assert accepted == 2  # the POST reached no server: it failed on the dead connection


def test_bad_urls_and_a_closed_client_are_refused() -> None:
    def main() -> list[str]:
        client = Client()
        errors = []
        for url in ("https://example.org/", "ftp://x/", "http:///nohost"):
            try:
                client.get(url)
            except ValueError as exc:
                errors.append(str(exc))
        client.close()
        try:
            client.get("http://127.0.0.1:9/")
        except RuntimeError as exc:
            errors.append(str(exc))
        return errors

    errors = cspy.run(main)
    assert "https is not supported" in errors[0]
    assert "http:// scheme" in errors[1]
    assert "no host" in errors[2]
    assert "Client is closed" in errors[3]
    with pytest.raises(ValueError, match="max_conns_per_host"):
        Client(max_conns_per_host=0)

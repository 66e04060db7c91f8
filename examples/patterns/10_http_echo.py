"""HTTP echo server: the echo server over HTTP/1.1, with kept-alive connections and every byte checked.

Go idiom: `http.HandleFunc("/echo", func(w, r) { io.Copy(w, r.Body) })` and
`http.Serve(ln, nil)` -- a task per connection, each parked on "I/O wait" between requests
(keep-alive), and Go's `Server.Shutdown` at the end: stop accepting, let the requests in flight
finish, close the idle connections. --clients tasks share one `cspy.http.Client` (Go's
`http.Client`), whose pool keeps one connection per concurrent task and reuses it; each sends
--messages POSTs of random sizes up to --size bytes and checks the echo. Every other echo comes
back streamed (`?stream=1`: the handler returns an iterable, sent with chunked encoding).

Try it with curl: `cspy examples run http_echo --serve 8080`, then
`curl --data-binary 'hello' http://127.0.0.1:8080/echo` or
`curl -v --data-binary @/etc/hostname 'http://127.0.0.1:8080/echo?stream=1'` (chunked);
Ctrl-C stops it.

Live view (`cspy examples run http_echo --live --clients 500 --messages 200`): one task per
client and one per connection, nearly all parked on "I/O wait"; connections stay open between
requests, so the count of connection tasks stays at the number of clients.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterator

import cspy
from cspy import context, http

MAX_SIZE = 1 << 20  # bodies are read in full on both sides: keep one echo well under the limits


class EchoServer:
    """POST /echo answers the body back; counts requests and bytes. Go's `http.Server`."""

    def __init__(self, port: int = 0) -> None:
        self.listener = cspy.net.listen("127.0.0.1", port, backlog=512)
        self.server = http.Server(self.handle, max_body_bytes=MAX_SIZE)
        self.requests = cspy.AtomicInt()
        self.bytes = cspy.AtomicInt()
        self.ctx, self.stop = context.with_cancel(context.background())
        self.stopped = cspy.Chan[None]()
        cspy.go(self.serve, name="http echo server")

    def serve(self) -> None:
        self.server.serve(self.listener, self.ctx)
        self.stopped.close()

    def handle(self, req: http.Request) -> http.Response:
        if req.path != "/echo":
            return http.Response(404, "POST something to /echo\n")
        self.requests.add(1)
        self.bytes.add(len(req.body))
        if req.query.get("stream") == "1":
            return http.Response(body=chunks(req.body, 4096))
        return http.Response(body=req.body, headers={"content-type": "application/octet-stream"})

    def shutdown(self) -> None:
        """Go's `Server.Shutdown`: returns once every connection task has ended."""
        self.stop()
        self.stopped.recv_ok()


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def client(http_client: http.Client, url: str, cid: int, messages: int, size: int,
           results: cspy.Chan[tuple[int, int, bool, list[float]]]) -> None:
    """POST `messages` bodies, check each echo; report (messages, bytes, all equal, rtts)."""
    rng = random.Random(cid)  # reproducible sizes and contents per client
    sent_bytes, intact, rtts = 0, True, []
    for seq in range(messages):
        header = f"{cid}:{seq}:".encode()  # makes a misrouted or reordered echo visible
        message = header + rng.randbytes(rng.randint(0, max(0, size - len(header))))
        t0 = time.monotonic()
        reply = http_client.request("POST", url + ("?stream=1" if seq % 2 else ""), body=message)
        rtts.append(time.monotonic() - t0)
        intact &= reply.status == 200 and reply.body == message
        sent_bytes += len(message)
    results.send((messages, sent_bytes, intact, rtts))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def program(clients: int, messages: int, size: int, serve_port: int | None) -> None:
    server = EchoServer(serve_port or 0)
    host, port = server.listener.addr
    url = f"http://{host}:{port}/echo"
    if serve_port is not None:
        print(f"http echo server on {url} -- try: curl --data-binary hello {url}  (Ctrl-C stops)",
              flush=True)
        server.stopped.recv_ok()  # until interrupted
        return
    print(f"http echo server listening on {host}:{port}")
    http_client = http.Client(timeout=30.0, max_conns_per_host=clients)
    results = cspy.Chan[tuple[int, int, bool, list[float]]](clients)
    start = time.monotonic()
    for cid in range(clients):
        cspy.go(client, http_client, url, cid, messages, size, results)
    reports = [results.recv() for _ in range(clients)]
    elapsed = time.monotonic() - start
    http_client.close()
    server.shutdown()

    total_messages = sum(r[0] for r in reports)
    total_bytes = sum(r[1] for r in reports)
    rtts = sorted(rtt for r in reports for rtt in r[3])
    print(f"{clients} clients, {total_messages} requests, {total_bytes} bytes each way in {elapsed:.2f}s")
    print(f"round trip: p50 {percentile(rtts, 0.50) * 1e3:.2f} ms, p99 {percentile(rtts, 0.99) * 1e3:.2f} ms")
    print(f"server: {server.server.accepted} connections accepted for {server.requests.load()} requests "
          f"(kept alive), {server.bytes.load()} bytes echoed, all connection tasks finished")
    in_order = all(r[2] for r in reports) and server.bytes.load() == total_bytes
    print(f"every byte echoed in order: {in_order}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="client tasks (default 20)")
    parser.add_argument("--messages", type=int, default=50, help="requests per client (default 50)")
    parser.add_argument("--size", type=int, default=8192, help="largest body in bytes (default 8192)")
    parser.add_argument("--serve", type=int, metavar="PORT", default=None,
                        help="serve on PORT for curl until Ctrl-C (0: any free port)")
    args = parser.parse_args(argv)
    if not 16 <= args.size <= MAX_SIZE:
        parser.error(f"--size must be between 16 and {MAX_SIZE} bytes, got {args.size}")
    if args.clients < 1:
        parser.error(f"--clients must be at least 1, got {args.clients}")
    try:
        cspy.run(program, args.clients, args.messages, args.size, args.serve)
    except KeyboardInterrupt:
        if args.serve is None:
            raise
        print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()

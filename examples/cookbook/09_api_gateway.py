"""API gateway: an HTTP front door that fans each request out to two HTTP backends, with a deadline.

Go idiom: an `http.Handler` that calls the users and orders services concurrently with
`errgroup.WithContext(r.Context())` under `context.WithTimeout`, merges the answers, and returns
504 if the deadline passes -- the gateway's latency is the slower backend's, not the sum.
Everything is HTTP/1.1 on 127.0.0.1 through `cspy.http`: `serve` runs a task per connection
(Go's `http.Serve`), one shared `Client` keeps connections to the backends alive (Go's
`http.Client` with `Transport.MaxConnsPerHost`), and the clients reuse theirs too.
--slow-every makes every Nth orders call hang; the gateway gives up at its deadline and hangs
up, which cancels the backend's `request.ctx` (the client went away), so the hung handler ends
at once instead of holding its task. `gateway_overload` continues it: the same front door
defending itself against more load than it can serve.

Try it with curl: `cspy examples run api_gateway --serve 8080`, then
`curl -i http://127.0.0.1:8080/user/7` (200 with both answers), and
`for i in $(seq 25); do curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:8080/user/$i; done`
(the 25th orders call hangs: one 504 after 200 ms); Ctrl-C stops it.

Live view (`cspy examples run api_gateway --live --clients 200 --requests 50`): tasks parked
on "I/O wait" (kept-alive connections waiting for their next request) and "select"; the
connection count stays flat because connections are reused.
"""

from __future__ import annotations

import argparse
import sys
import time

import cspy
from cspy import context, http
from cspy.x import errgroup


def start(handler: http.Handler, port: int = 0) -> tuple[str, context.CancelFunc, cspy.Chan[None]]:
    """Serve `handler` on 127.0.0.1:`port` in a task: (base URL, stop, closed when stopped)."""
    listener = cspy.net.listen("127.0.0.1", port)
    ctx, stop = context.with_cancel(context.background())
    stopped = cspy.Chan[None]()

    def run() -> None:
        http.serve(listener, handler, ctx=ctx, read_timeout=2.0, idle_timeout=65.0)
        stopped.close()  # serve returned: every request in flight was answered

    cspy.go(run, name=f"http server :{listener.addr[1]}")
    return f"http://127.0.0.1:{listener.addr[1]}", stop, stopped


def backend(name: str, latency: float, slow_every: int) -> http.Handler:
    """A service answering `NAME:<id>` after `latency`; every `slow_every`th call hangs."""
    calls = cspy.AtomicInt()

    def handle(req: http.Request) -> http.Response:
        user = req.path.rsplit("/", 1)[-1]
        n = calls.add(1)
        hang = slow_every > 0 and n % slow_every == 0
        # Wait out the latency -- or, hung, until the caller hangs up (its ctx is cancelled).
        timer = cspy.Timer(30.0 if hang else latency)
        cspy.select(cspy.Recv(req.ctx.done()), cspy.Recv(timer.c))
        timer.stop()
        return http.Response(body=f"{name}:{user}")

    return handle


def gateway(users: str, orders: str, timeout: float, client: http.Client) -> http.Handler:
    def handle(req: http.Request) -> http.Response:
        parts = req.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "user":
            return http.Response(404, "try /user/<id>\n")
        user = parts[1]
        ctx, cancel = context.with_timeout(req.ctx, timeout)
        try:
            g, gctx = errgroup.with_context(ctx)
            answers = ["", ""]

            def fetch(i: int, base: str) -> None:
                r = client.get(f"{base}/{user}", ctx=gctx)
                if r.status != 200:
                    raise ConnectionError(f"{base} answered {r.status}")
                answers[i] = r.text

            g.go(fetch, 0, users)
            g.go(fetch, 1, orders)
            g.wait()
            return http.Response(200, f"{answers[0]} {answers[1]}")
        except TimeoutError:  # context.DeadlineExceeded or cspy.net.Timeout
            return http.Response(504, "gateway timeout")
        except OSError as exc:  # a backend refused or reset the connection
            return http.Response(502, f"bad gateway: {exc}")
        finally:
            cancel()

    return handle


def program(clients: int, requests: int, latency: float, timeout: float, slow_every: int,
            serve_port: int | None) -> None:
    backends = http.Client(timeout=5.0, max_conns_per_host=clients + 10)
    users, stop_users, users_done = start(backend("users", latency, 0))
    orders, stop_orders, orders_done = start(backend("orders", latency, slow_every))
    front, stop_front, front_done = start(gateway(users, orders, timeout, backends), serve_port or 0)
    if serve_port is not None:
        print(f"gateway listening on {front} -- try: curl -i {front}/user/7  (Ctrl-C stops)", flush=True)
        front_done.recv_ok()  # until interrupted
        return

    results = cspy.Chan[tuple[int, int, str, float]](clients * requests)
    client = http.Client(timeout=5.0)

    def run_client(cid: int) -> None:
        for r in range(requests):
            user = cid * requests + r
            t0 = time.monotonic()
            reply = client.get(f"{front}/user/{user}")
            results.send((user, reply.status, reply.text, time.monotonic() - t0))

    start_time = time.monotonic()
    for cid in range(clients):
        cspy.go(run_client, cid)
    total = clients * requests
    replies = [results.recv() for _ in range(total)]
    elapsed = time.monotonic() - start_time
    ok = [r for r in replies if r[1] == 200]
    correct = all(text == f"users:{u} orders:{u}" for u, _, text, _ in ok)
    timeouts = sum(1 for r in replies if r[1] == 504 and r[2] == "gateway timeout")
    latencies = sorted(r[3] for r in ok)
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    users_answered = sorted(u for u, _, _, _ in replies)
    print(f"{total} requests from {clients} clients in {elapsed:.2f}s "
          f"({total / elapsed:,.0f} req/s): {len(ok)} ok, {timeouts} timed out (504)")
    print(f"every request answered exactly once: {users_answered == list(range(total))}; "
          f"answers correct: {correct}")
    print(f"ok latency p50 {p50 * 1000:.1f} ms (each backend takes {latency * 1000:g} ms, "
          f"in parallel); timeout {timeout * 1000:g} ms")
    client.close()
    backends.close()
    for stop, done in ((stop_front, front_done), (stop_users, users_done), (stop_orders, orders_done)):
        stop()  # Go's Server.Shutdown: stop accepting, finish what is in flight
        done.recv_ok()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="client tasks (default 10)")
    parser.add_argument("--requests", type=int, default=10, help="requests per client (default 10)")
    parser.add_argument("--latency", type=float, default=0.01, help="backend latency (default 0.01 s)")
    parser.add_argument("--timeout", type=float, default=0.2, help="gateway deadline (default 0.2 s)")
    parser.add_argument("--slow-every", type=int, default=25, help="every Nth orders call hangs (default 25; 0: never)")
    parser.add_argument("--serve", type=int, metavar="PORT", default=None,
                        help="serve the gateway on PORT for curl until Ctrl-C (0: any free port)")
    args = parser.parse_args(argv)
    try:
        cspy.run(program, args.clients, args.requests, args.latency, args.timeout, args.slow_every, args.serve)
    except KeyboardInterrupt:
        if args.serve is None:
            raise
        print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()

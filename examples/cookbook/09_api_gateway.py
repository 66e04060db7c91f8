"""API gateway: one TCP front door that fans each request out to two backends, with a deadline.

Go idiom: an `http.Handler` that calls the users and orders services concurrently with
`errgroup.WithContext(ctx)` under `context.WithTimeout`, merges the answers, and returns 504 if
the deadline passes -- the gateway's latency is the slower backend's, not the sum. Everything
is real TCP on 127.0.0.1 through `cspy.net`: `listen`, `accept` in a loop,
a task per connection (Go's `go handle(conn)`), and `dial` with a timeout. --slow-every makes
every Nth orders call hang past the deadline, so some requests show the timeout path.
`gateway_overload` continues it: the same front door defending itself against more load than
it can serve.

Live view (`cspy examples run api_gateway --live --clients 200 --requests 50`): tasks parked
on "I/O wait" (sockets) and "select"; the task count breathes with the connections.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import cspy
from cspy import context, net
from cspy.x import errgroup


def read_all(conn: net.Conn) -> bytes:
    chunks = []
    while chunk := conn.read(4096):  # b"" at EOF: the peer closed its side
        chunks.append(chunk)
    return b"".join(chunks)


def serve(listener: net.Listener, handle: Callable[[net.Conn], None]) -> None:
    """Accept until the listener closes; a task per connection (Go: `go handle(conn)`)."""
    while True:
        try:
            conn = listener.accept()
        except net.ClosedError:
            return  # the program closed the listener: stop serving
        cspy.go(handle, conn)


def backend(name: str, latency: float, slow_every: int) -> net.Listener:
    """A service answering `NAME:<id>` after `latency`; every `slow_every`th call hangs."""
    listener = net.listen("127.0.0.1", 0)
    calls = cspy.AtomicInt()

    def handle(conn: net.Conn) -> None:
        with conn:
            user = conn.read(64).decode().strip()
            n = calls.add(1)
            hang = slow_every > 0 and n % slow_every == 0
            cspy.sleep(1.0 if hang else latency)
            try:
                conn.write(f"{name}:{user}".encode())
            except OSError:
                pass  # the caller gave up and hung up: nobody to answer

    cspy.go(serve, listener, handle)
    return listener


def call(addr: tuple[str, int], ctx: context.Context, payload: str) -> str:
    """One backend call that gives up when `ctx` ends (the dial and read share its deadline)."""
    deadline = ctx.deadline()
    remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
    with net.dial(addr[0], addr[1], timeout=remaining) as conn:
        if remaining is not None:
            conn.set_deadline(remaining)
        conn.write(payload.encode())
        return read_all(conn).decode()


def gateway(users: tuple[str, int], orders: tuple[str, int], timeout: float) -> net.Listener:
    listener = net.listen("127.0.0.1", 0)

    def handle(conn: net.Conn) -> None:
        with conn:
            user = conn.read(64).decode().strip()
            ctx, cancel = context.with_timeout(context.background(), timeout)
            try:
                g, gctx = errgroup.with_context(ctx)
                answers = ["", ""]

                def fetch(i: int, addr: tuple[str, int]) -> None:
                    answers[i] = call(addr, gctx, user)

                g.go(fetch, 0, users)
                g.go(fetch, 1, orders)
                g.wait()
                conn.write(f"200 {answers[0]} {answers[1]}".encode())
            except (net.Timeout, context.DeadlineExceeded):
                conn.write(b"504 gateway timeout")
            except OSError as exc:  # a backend refused or reset the connection
                conn.write(f"502 bad gateway: {exc}".encode())
            finally:
                cancel()

    cspy.go(serve, listener, handle)
    return listener


def program(clients: int, requests: int, latency: float, timeout: float, slow_every: int) -> None:
    users = backend("users", latency, 0)
    orders = backend("orders", latency, slow_every)
    front = gateway(users.addr[:2], orders.addr[:2], timeout)
    host, port = front.addr[:2]

    results = cspy.Chan[tuple[int, str, float]](clients * requests)

    def client(cid: int) -> None:
        for r in range(requests):
            user = cid * requests + r
            start = time.monotonic()
            with net.dial(host, port, timeout=5) as conn:
                conn.write(f"{user}\n".encode())
                reply = read_all(conn).decode()
            results.send((user, reply, time.monotonic() - start))

    start = time.monotonic()
    for cid in range(clients):
        cspy.go(client, cid)
    total = clients * requests
    replies = [results.recv() for _ in range(total)]
    elapsed = time.monotonic() - start
    ok = [r for r in replies if r[1].startswith("200 ")]
    correct = all(reply == f"200 users:{u} orders:{u}" for u, reply, _ in ok)
    timeouts = sum(1 for r in replies if r[1] == "504 gateway timeout")
    latencies = sorted(r[2] for r in ok)
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    users_answered = sorted(u for u, _, _ in replies)
    print(f"{total} requests from {clients} clients in {elapsed:.2f}s "
          f"({total / elapsed:,.0f} req/s): {len(ok)} ok, {timeouts} timed out (504)")
    print(f"every request answered exactly once: {users_answered == list(range(total))}; "
          f"answers correct: {correct}")
    print(f"ok latency p50 {p50 * 1000:.1f} ms (each backend takes {latency * 1000:g} ms, "
          f"in parallel); timeout {timeout * 1000:g} ms")
    for listener in (front, users, orders):
        listener.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="client tasks (default 10)")
    parser.add_argument("--requests", type=int, default=10, help="requests per client (default 10)")
    parser.add_argument("--latency", type=float, default=0.01, help="backend latency (default 0.01 s)")
    parser.add_argument("--timeout", type=float, default=0.2, help="gateway deadline (default 0.2 s)")
    parser.add_argument("--slow-every", type=int, default=25, help="every Nth orders call hangs (default 25; 0: never)")
    args = parser.parse_args(argv)
    cspy.run(program, args.clients, args.requests, args.latency, args.timeout, args.slow_every)


if __name__ == "__main__":
    main()

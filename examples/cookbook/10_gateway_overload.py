"""Gateway under overload: a rate limiter, a concurrency limit, a circuit breaker and deadlines.

Go idiom: the middleware chain of a Go API gateway -- `if !lim.Allow() { 503 }`
(`golang.org/x/time/rate`), `select { case sem <- struct{}{}: default: 503 }` (a bounded
number of requests in flight), `cb.Execute(...)` around the backend call (gobreaker), and
`context.WithTimeout` on the call, answering 504 when the deadline passes. Here: `rate.Limiter`,
`Semaphore.try_acquire`, `breaker.CircuitBreaker` and `context.with_timeout`, all over real TCP
on 127.0.0.1. Clients offer --overload times the admitted rate; the backend hangs from --down-at
for --down-for seconds, so the breaker opens, probes, and closes again once the backend is back.
Every request gets exactly one answer: 200, 503 (limiter, concurrency or open breaker) or 504.

Live view (`cspy examples run gateway_overload --live --seconds 10 --down-at 3 --down-for 3`):
while the backend hangs, the handlers parked on "I/O wait" stay at the concurrency limit; once
the breaker opens they vanish -- rejected requests never wait.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Callable

import cspy
from cspy import context, net
from cspy.x import breaker, rate

REASONS = ("ok", "rate-limited", "overloaded", "breaker-open", "timeout", "bad-gateway")


def read_all(conn: net.Conn, ctx: context.Context | None = None) -> bytes:
    chunks = []
    while chunk := conn.read(4096, ctx=ctx):  # b"" at EOF: the peer closed its side
        chunks.append(chunk)
    return b"".join(chunks)


def serve(listener: net.Listener, handle: Callable[[net.Conn], None]) -> None:
    """Accept until the listener closes; a task per connection (Go: `go handle(conn)`)."""
    while True:
        try:
            conn = listener.accept()
        except net.ClosedError:
            return
        cspy.go(handle, conn)


class Backend:
    """A service answering `order:<id>` after `latency`; during its down window it hangs."""

    def __init__(self, latency: float, start: float, down_at: float, down_for: float) -> None:
        self.latency = latency
        self.down = (start + down_at, start + down_at + down_for)
        self.calls = cspy.AtomicInt()
        self.listener = net.listen("127.0.0.1", 0)
        cspy.go(serve, self.listener, self.handle)

    def handle(self, conn: net.Conn) -> None:
        with conn:
            rid = conn.read(64).decode().strip()
            self.calls.add(1)
            hung = self.down[0] <= time.monotonic() < self.down[1]
            cspy.sleep(5.0 if hung else self.latency)  # hung: far past any caller's deadline
            try:
                conn.write(f"order:{rid}".encode())
            except OSError:
                pass  # the caller gave up and hung up


class Gateway:
    """Admission in Go middleware order: rate limit, concurrency limit, breaker, deadline."""

    def __init__(self, backend: tuple[str, int], limiter: rate.Limiter, max_inflight: int,
                 cb: breaker.CircuitBreaker, timeout: float) -> None:
        self.backend, self.limiter, self.cb, self.timeout = backend, limiter, cb, timeout
        self.inflight = cspy.Semaphore(max_inflight)
        self.answered = cspy.AtomicInt()
        self.listener = net.listen("127.0.0.1", 0)
        cspy.go(serve, self.listener, self.handle)

    def handle(self, conn: net.Conn) -> None:
        with conn:
            rid = conn.read(64).decode().strip()
            status, reason, body = self.answer(rid)
            self.answered.add(1)
            conn.write(f"{status} {reason} {rid} {body}".encode())

    def answer(self, rid: str) -> tuple[int, str, str]:
        if not self.limiter.allow():
            return 503, "rate-limited", ""
        if not self.inflight.try_acquire():  # never queue: a queue only adds latency
            return 503, "overloaded", ""
        ctx, cancel = context.with_timeout(context.background(), self.timeout)
        try:
            return 200, "ok", self.cb.call(self.fetch, ctx, rid)
        except breaker.BreakerOpen:
            return 503, "breaker-open", "fallback:cached"
        except TimeoutError:  # net.Timeout or context.DeadlineExceeded: the deadline passed
            return 504, "timeout", ""
        except OSError as exc:
            return 502, "bad-gateway", type(exc).__name__
        finally:
            cancel()
            self.inflight.release()

    def fetch(self, ctx: context.Context, rid: str) -> str:
        """The backend call: dial, write and read all give up when `ctx` ends."""
        with net.dial(*self.backend, ctx=ctx) as conn:
            conn.write(f"{rid}\n".encode(), ctx=ctx)
            return read_all(conn, ctx).decode()


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def program(clients: int, seconds: float, limit: float, burst: int, max_inflight: int,
            overload: float, timeout: float, down_at: float, down_for: float) -> None:
    start = time.monotonic()
    opened, closed = cspy.AtomicInt(), cspy.AtomicInt()  # on_change runs in many tasks

    def on_change(old: breaker.State, new: breaker.State) -> None:
        if new is not breaker.State.HALF_OPEN:
            (opened if new is breaker.State.OPEN else closed).add(1)
        print(f"  {time.monotonic() - start:5.2f}s  circuit {old.value} -> {new.value}")

    backend = Backend(latency=0.02, start=start, down_at=down_at, down_for=down_for)
    cb = breaker.CircuitBreaker(5, open_timeout=0.1, on_change=on_change)
    front = Gateway(backend.listener.addr, rate.Limiter(limit, burst), max_inflight, cb, timeout)
    per_client = limit * overload / clients
    print(f"offering {limit * overload:g} req/s from {clients} clients for {seconds:g}s; admitting "
          f"{limit:g} req/s (burst {burst}), {max_inflight} in flight, deadline {timeout * 1000:g} ms; "
          f"backend hangs {down_at:g}s..{down_at + down_for:g}s")

    done = cspy.Chan[list[tuple[int, str, float]]](clients)

    def client(cid: int) -> None:
        records: list[tuple[int, str, float]] = []
        cspy.sleep(cid / (clients * per_client))  # spread the clients' requests over a period
        ticker = cspy.Ticker(1 / per_client)
        n = 0
        while time.monotonic() - start < seconds:
            rid = cid * 1_000_000 + n
            n += 1
            t0 = time.monotonic()
            with net.dial(*front.listener.addr, timeout=5) as conn:
                conn.write(f"{rid}\n".encode())
                records.append((rid, read_all(conn).decode(), time.monotonic() - t0))
            ticker.c.recv()
        ticker.stop()
        done.send(records)

    for cid in range(clients):
        cspy.go(client, cid)
    replies = [record for _ in range(clients) for record in done.recv()]
    elapsed = time.monotonic() - start
    front.listener.close()
    backend.listener.close()

    counts = dict.fromkeys(REASONS, 0)
    matched = True
    for rid, reply, _ in replies:
        status, reason, echoed, body = reply.split(" ", 3)
        counts[reason] += 1
        matched &= echoed == str(rid) and (status != "200" or body == f"order:{rid}")
    rids = {rid for rid, _, _ in replies}
    latencies = sorted(lat for _, reply, lat in replies if reply.startswith("200 "))
    rejected = counts["rate-limited"] + counts["overloaded"] + counts["breaker-open"]
    print(f"sent {len(replies)} in {elapsed:.2f}s: accepted {counts['ok']}, rejected {rejected} "
          f"(limiter {counts['rate-limited']}, concurrency {counts['overloaded']}, "
          f"breaker {counts['breaker-open']}), timed out {counts['timeout']}, "
          f"failed {counts['bad-gateway']}")
    once = len(rids) == len(replies) == front.answered.load()
    print(f"every request answered exactly once: {once}; "
          f"answers match their requests: {matched}")
    p50, p90, p99 = (percentile(latencies, q) * 1000 for q in (0.50, 0.90, 0.99))
    print(f"accepted latency: p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms "
          f"(backend 20 ms, deadline {timeout * 1000:g} ms)")
    print(f"breaker: opened {opened.load()}, closed {closed.load()}, final state {cb.state.value}; "
          f"{backend.calls.load()} calls reached the backend")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30, help="client tasks (default 30)")
    parser.add_argument("--seconds", type=float, default=1.2, help="duration of the load (default 1.2)")
    parser.add_argument("--rate", type=float, default=150, help="admitted per second (default 150)")
    parser.add_argument("--burst", type=int, default=15, help="token bucket burst (default 15)")
    parser.add_argument("--inflight", type=int, default=4, help="concurrency limit (default 4)")
    parser.add_argument("--overload", type=float, default=2, help="offered load / rate (default 2)")
    parser.add_argument("--timeout", type=float, default=0.1, help="backend deadline (default 0.1 s)")
    parser.add_argument("--down-at", type=float, default=0.3, help="backend hangs from (default 0.3 s)")
    parser.add_argument("--down-for", type=float, default=0.4, help="... for (default 0.4 s)")
    args = parser.parse_args(argv)
    cspy.run(program, args.clients, args.seconds, args.rate, args.burst, args.inflight,
             args.overload, args.timeout, args.down_at, args.down_for)


if __name__ == "__main__":
    main()

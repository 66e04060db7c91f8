"""Gateway under overload: a rate limiter, a concurrency limit, a circuit breaker and deadlines.

Go idiom: the middleware chain of a Go API gateway -- `if !lim.Allow() { 503 }`
(`golang.org/x/time/rate`), `select { case sem <- struct{}{}: default: 503 }` (a bounded
number of requests in flight), `cb.Execute(...)` around the backend call (gobreaker), and
`context.WithTimeout` on the call, answering 504 when the deadline passes. Here: `rate.Limiter`,
`Semaphore.try_acquire`, `breaker.CircuitBreaker` and `context.with_timeout` in a `cspy.http`
handler, in front of an HTTP backend reached through a pooled, kept-alive `cspy.http.Client`.
Clients offer --overload times the admitted rate; the backend hangs from --down-at for
--down-for seconds, so the breaker opens, probes, and closes again once the backend is back.
Every request gets exactly one HTTP answer: 200, 503 (limiter, concurrency or open breaker) or
504, with the reason in its body.

Try it with curl: `cspy examples run gateway_overload --serve 8080`, then
`curl -i http://127.0.0.1:8080/order/1`, or offer more than the 150 req/s it admits:
`curl -s -o /dev/null -w '%{http_code} ' --parallel --parallel-max 50 "http://127.0.0.1:8080/order/[1-300]"`
(a mix of 200 and 503); Ctrl-C stops it.

Live view (`cspy examples run gateway_overload --live --seconds 10 --down-at 3 --down-for 3`):
while the backend hangs, the handlers parked on "select" stay at the concurrency limit; once
the breaker opens they vanish -- rejected requests never wait.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import cspy
from cspy import context, http
from cspy.x import breaker, rate

REASONS = ("ok", "rate-limited", "overloaded", "breaker-open", "timeout", "bad-gateway")


def serve_on(handler: http.Handler, port: int) -> tuple[str, context.CancelFunc, cspy.Chan[None], int]:
    """Serve `handler` on 127.0.0.1:`port` in a task: (base URL, stop, closed when stopped, port)."""
    listener = cspy.net.listen("127.0.0.1", port, backlog=512)
    ctx, stop = context.with_cancel(context.background())
    stopped = cspy.Chan[None]()

    def run() -> None:
        http.serve(listener, handler, ctx=ctx, read_timeout=2.0)
        stopped.close()

    cspy.go(run, name=f"http server :{listener.addr[1]}")
    return f"http://127.0.0.1:{listener.addr[1]}", stop, stopped, listener.addr[1]


class Backend:
    """A service answering `order:<id>` after `latency`; during its down window it hangs."""

    def __init__(self, latency: float, start: float, down_at: float, down_for: float) -> None:
        self.latency = latency
        self.down = (start + down_at, start + down_at + down_for)
        self.calls = cspy.AtomicInt()

    def handle(self, req: http.Request) -> http.Response:
        rid = req.path.rsplit("/", 1)[-1]
        self.calls.add(1)
        hung = self.down[0] <= time.monotonic() < self.down[1]
        # Hung: far past any caller's deadline -- until the caller hangs up (ctx cancelled).
        timer = cspy.Timer(5.0 if hung else self.latency)
        cspy.select(cspy.Recv(req.ctx.done()), cspy.Recv(timer.c))
        timer.stop()
        return http.Response(body=f"order:{rid}")


class Gateway:
    """Admission in Go middleware order: rate limit, concurrency limit, breaker, deadline."""

    def __init__(self, backend: str, limiter: rate.Limiter, max_inflight: int,
                 cb: breaker.CircuitBreaker, timeout: float) -> None:
        self.backend, self.limiter, self.cb, self.timeout = backend, limiter, cb, timeout
        self.inflight = cspy.Semaphore(max_inflight)
        self.answered = cspy.AtomicInt()
        self.client = http.Client(timeout=5.0)

    def handle(self, req: http.Request) -> http.Response:
        rid = req.path.rsplit("/", 1)[-1]
        status, reason, body = self.answer(req, rid)
        self.answered.add(1)
        return http.Response(status, f"{reason} {rid} {body}")

    def answer(self, req: http.Request, rid: str) -> tuple[int, str, str]:
        if not self.limiter.allow():
            return 503, "rate-limited", ""
        if not self.inflight.try_acquire():  # never queue: a queue only adds latency
            return 503, "overloaded", ""
        ctx, cancel = context.with_timeout(req.ctx, self.timeout)
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
        """The backend call: waiting for a connection, writing and reading end with `ctx`."""
        r = self.client.get(f"{self.backend}/order/{rid}", ctx=ctx)
        if r.status != 200:
            raise ConnectionError(f"backend answered {r.status}")
        return r.text


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def program(clients: int, seconds: float, limit: float, burst: int, max_inflight: int,
            overload: float, timeout: float, down_at: float, down_for: float,
            serve_port: int | None = None) -> None:
    start = time.monotonic()
    opened, closed = cspy.AtomicInt(), cspy.AtomicInt()  # on_change runs in many tasks

    def on_change(old: breaker.State, new: breaker.State) -> None:
        if new is not breaker.State.HALF_OPEN:
            (opened if new is breaker.State.OPEN else closed).add(1)
        print(f"  {time.monotonic() - start:5.2f}s  circuit {old.value} -> {new.value}")

    backend = Backend(latency=0.02, start=start, down_at=down_at, down_for=down_for)
    backend_url, stop_backend, backend_done, _ = serve_on(backend.handle, 0)
    cb = breaker.CircuitBreaker(5, open_timeout=0.1, on_change=on_change)
    front = Gateway(backend_url, rate.Limiter(limit, burst), max_inflight, cb, timeout)
    front_url, stop_front, front_done, _ = serve_on(front.handle, serve_port or 0)
    if serve_port is not None:
        print(f"gateway listening on {front_url} -- try: curl -i {front_url}/order/1  (Ctrl-C stops)",
              flush=True)
        front_done.recv_ok()  # until interrupted
        return
    per_client = limit * overload / clients
    print(f"offering {limit * overload:g} req/s from {clients} clients for {seconds:g}s; admitting "
          f"{limit:g} req/s (burst {burst}), {max_inflight} in flight, deadline {timeout * 1000:g} ms; "
          f"backend hangs {down_at:g}s..{down_at + down_for:g}s")

    done = cspy.Chan[list[tuple[int, int, str, float]]](clients)
    users = http.Client(timeout=5.0)

    def client(cid: int) -> None:
        records: list[tuple[int, int, str, float]] = []
        cspy.sleep(cid / (clients * per_client))  # spread the clients' requests over a period
        ticker = cspy.Ticker(1 / per_client)
        n = 0
        while time.monotonic() - start < seconds:
            rid = cid * 1_000_000 + n
            n += 1
            t0 = time.monotonic()
            reply = users.get(f"{front_url}/order/{rid}")
            records.append((rid, reply.status, reply.text, time.monotonic() - t0))
            ticker.c.recv()
        ticker.stop()
        done.send(records)

    for cid in range(clients):
        cspy.go(client, cid)
    replies = [record for _ in range(clients) for record in done.recv()]
    elapsed = time.monotonic() - start
    users.close()
    stop_front()  # Go's Server.Shutdown: stop accepting, finish what is in flight
    front_done.recv_ok()
    front.client.close()
    stop_backend()
    backend_done.recv_ok()

    counts = dict.fromkeys(REASONS, 0)
    matched = True
    for rid, status, text, _ in replies:
        reason, echoed, body = text.split(" ", 2)
        counts[reason] += 1
        expected = {"ok": 200, "timeout": 504, "bad-gateway": 502}.get(reason, 503)
        matched &= echoed == str(rid) and status == expected and (status != 200 or body == f"order:{rid}")
    rids = {rid for rid, _, _, _ in replies}
    latencies = sorted(lat for _, status, _, lat in replies if status == 200)
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
    parser.add_argument("--serve", type=int, metavar="PORT", default=None,
                        help="serve the gateway on PORT for curl until Ctrl-C (0: any free port)")
    args = parser.parse_args(argv)
    try:
        cspy.run(program, args.clients, args.seconds, args.rate, args.burst, args.inflight,
                 args.overload, args.timeout, args.down_at, args.down_for, args.serve)
    except KeyboardInterrupt:
        if args.serve is None:
            raise
        print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()

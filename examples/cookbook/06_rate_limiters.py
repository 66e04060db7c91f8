"""Rate limiters: a token bucket and a sliding window under 3x overload, admitted vs rejected.

Go idiom: `golang.org/x/time/rate` -- `lim := rate.NewLimiter(100, 10)` and `if !lim.Allow() {
http.Error(w, "slow down", 429) }` -- here `cspy.x.rate.Limiter(rate, burst)`. The token bucket
admits a burst at once, then exactly `rate` per second on average. The sliding window
(`rate.SlidingWindow(limit, window_seconds)`) admits at most `limit` in *any* window, with no
burst above it. Clients offer --overload times the rate; the table shows what each admits per
--slot seconds, and the totals show the steady rate each one holds to.

Live view (`cspy examples run rate_limiters --live --seconds 10 --clients 200`): many client
tasks waking from "sleep" at a steady pace; the admitted counters grow at the limiter's rate.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import cspy
from cspy.x import rate


def offer_load(allow: Callable[[], bool], clients: int, per_client: float, seconds: float,
               slot: float) -> tuple[list[int], list[int]]:
    """`clients` tasks each call `allow` `per_client` times a second for `seconds`;
    the admitted and rejected counts per `slot`."""
    slots = int(round(seconds / slot))
    admitted, rejected = [0] * slots, [0] * slots
    counters = cspy.Mutex()
    wg = cspy.WaitGroup()
    start = time.monotonic()

    def client(offset: float) -> None:
        try:
            cspy.sleep(offset)  # spread the clients' requests evenly over the period
            ticker = cspy.Ticker(1 / per_client)
            while True:
                at = time.monotonic() - start
                if at >= seconds:
                    break
                ok = allow()
                with counters:
                    (admitted if ok else rejected)[min(int(at / slot), slots - 1)] += 1
                ticker.c.recv()
            ticker.stop()
        finally:
            wg.done()

    for i in range(clients):
        wg.add(1)
        cspy.go(client, i / (clients * per_client))
    wg.wait()
    return admitted, rejected


def report(name: str, admitted: list[int], rejected: list[int], seconds: float, slot: float,
           steady: float, expected: float) -> None:
    cells = "  ".join(f"{a:>3}/{r:<3}" for a, r in zip(admitted, rejected))
    print(f"{name:<15} admitted/rejected per {slot:g}s: {cells}")
    print(f"{'':<15} total admitted {sum(admitted)}, rejected {sum(rejected)} in {seconds:g}s; "
          f"steady rate {steady:.1f}/s (limit {expected:g}/s)")


def program(limit: float, burst: int, overload: float, seconds: float, clients: int, slot: float) -> None:
    per_client = limit * overload / clients
    print(f"offered load: {limit * overload:g} requests/s from {clients} clients for {seconds:g}s")

    bucket = rate.Limiter(limit, burst)
    admitted, rejected = offer_load(bucket.allow, clients, per_client, seconds, slot)
    steady = (sum(admitted) - burst) / seconds  # the burst is a one-off; the rest is the rate
    report("token bucket", admitted, rejected, seconds, slot, steady, limit)

    window = rate.SlidingWindow(int(limit * slot), window_seconds=slot)
    admitted, rejected = offer_load(window.allow, clients, per_client, seconds, slot)
    report("sliding window", admitted, rejected, seconds, slot, sum(admitted) / seconds, limit)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100, help="admitted per second (default 100)")
    parser.add_argument("--burst", type=int, default=10, help="token bucket burst (default 10)")
    parser.add_argument("--overload", type=float, default=3, help="offered load / rate (default 3)")
    parser.add_argument("--seconds", type=float, default=1.0, help="duration of each run (default 1)")
    parser.add_argument("--clients", type=int, default=10, help="client tasks (default 10)")
    parser.add_argument("--slot", type=float, default=0.25, help="seconds per table column (default 0.25)")
    args = parser.parse_args(argv)
    cspy.run(program, args.rate, args.burst, args.overload, args.seconds, args.clients, args.slot)


if __name__ == "__main__":
    main()

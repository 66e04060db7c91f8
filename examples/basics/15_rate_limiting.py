"""Rate limiting: pace requests with a ticker, and allow bursts with a buffered token channel.

Go idiom (Go by Example, "Rate Limiting"): `limiter := time.Tick(200 * time.Millisecond)` and
`<-limiter` before each request; for bursts, `burstyLimiter := make(chan time.Time, 3)`
pre-filled with three tokens and refilled by a goroutine from a ticker. (cspy.x.rate has
ready-made limiters: see the cookbook's `rate_limiters`.)

Live view (`cspy examples run rate_limiting --live --period 0.5`): main parked on "chan
receive" between requests; the refill task wakes each period.
"""

from __future__ import annotations

import argparse

import cspy


def program(n: int, period: float, burst: int) -> None:
    start = cspy.now()
    requests = cspy.Chan[int](n)
    for i in range(1, n + 1):
        requests.send(i)
    requests.close()

    limiter = cspy.tick(period)
    for req in requests:
        limiter.recv()  # one request per tick
        print(f"request {req} at {cspy.now() - start:.3f}s")
    print(f"steady: {n} requests took {cspy.now() - start:.3f}s (>= {n * period:.3f}s)")

    bursty = cspy.Chan[float](burst)
    for _ in range(burst):
        bursty.send(cspy.now())  # tokens for an initial burst

    def refill() -> None:
        for t in cspy.tick(period):
            bursty.send(t)  # blocks while the bucket is full

    cspy.go(refill)
    start = cspy.now()
    for req in range(1, n + 1):
        bursty.recv()
        print(f"bursty request {req} at {cspy.now() - start:.3f}s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5, help="requests per phase (default 5)")
    parser.add_argument("--period", type=float, default=0.05, help="seconds per token (default 0.05)")
    parser.add_argument("--burst", type=int, default=3, help="burst size (default 3)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n, args.period, args.burst)


if __name__ == "__main__":
    main()

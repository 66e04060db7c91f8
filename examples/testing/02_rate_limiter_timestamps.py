"""Rate limiter at exact timestamps: a token bucket checked against the virtual clock.

Go idiom: `golang.org/x/time/rate`'s `rate.NewLimiter(r, b)` and `lim.Wait(ctx)`, tested under
`testing/synctest` so the test can say *when* each request is admitted, not merely that it was
"about" right. Here `cspy.x.rate.Limiter(5, burst=3)` reads the runtime clock, so under
`cspy.testing.run` eight requests from four tasks are admitted at exactly 0, 0, 0, then every
0.2 s -- and a request whose context deadline comes before its turn fails at once with
`DeadlineExceeded`, also at an exact instant. No sleep-and-hope margins, no flaky timing.

Live view: not useful here -- the whole program runs at a handful of virtual instants.
"""

from __future__ import annotations

import argparse

import cspy
from cspy.x import rate


def test_program(rate_per_s: float, burst: int, requests: int) -> tuple[list[float], tuple[float, str]]:
    lim = rate.Limiter(rate_per_s, burst)
    admitted = cspy.Chan[float](requests)
    wg = cspy.WaitGroup()

    def client(n: int) -> None:
        for _ in range(n):
            lim.wait()
            admitted.send(cspy.now())

    per, extra = divmod(requests, 4)
    for i in range(4):
        wg.go(client, per + (1 if i < extra else 0))
    wg.wait()
    admitted.close()
    times = sorted(admitted)

    # One more request that may wait at most 0.1 s: its turn is 1/rate away, so it is refused.
    start = cspy.now()
    ctx, cancel = cspy.context.with_timeout(cspy.context.background(), 0.1)
    try:
        lim.wait(ctx)
        outcome = "admitted"
    except cspy.context.DeadlineExceeded:
        outcome = "DeadlineExceeded"
    finally:
        cancel()
    return times, (cspy.now() - start, outcome)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5.0, help="tokens per second")
    parser.add_argument("--burst", type=int, default=3)
    parser.add_argument("--requests", type=int, default=8)
    args = parser.parse_args(argv)
    times, (waited, outcome) = cspy.testing.run(test_program, args.rate, args.burst, args.requests)
    expected = [0.0] * args.burst + [
        (i + 1) / args.rate for i in range(args.requests - args.burst)
    ]
    print(f"admitted at virtual seconds: {', '.join(f'{t:.6g}' for t in times)}")
    assert all(abs(a - b) < 1e-9 for a, b in zip(times, expected, strict=True)), (times, expected)
    print(f"exactly the burst of {args.burst} at 0 s, then one every {1 / args.rate:g} s")
    print(f"a request with a 0.1 s deadline: {outcome} after {waited:g} s")
    assert outcome == "DeadlineExceeded" and waited == 0.0


if __name__ == "__main__":
    main()

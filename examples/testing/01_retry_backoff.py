"""Retry with backoff: an hour of exponential backoff, tested in milliseconds of virtual time.

Go idiom: a retry loop with `time.Sleep(backoff)` doubling up to a cap, tested with Go 1.25's
`testing/synctest` (`synctest.Test(t, func(t *testing.T) { ... })`), whose fake clock jumps to
the next timer once every goroutine is blocked. Here the same loop runs under
`cspy.testing.run`: `cspy.now()` starts at 0.0 and moves only when every task is durably
blocked, so the test can assert the exact moment of every attempt -- 1, 3, 7, 15, ... seconds --
and an hour of backoff costs only the CPU of the loop itself.

The loop reads `cspy.now()`, never `time.monotonic()`: that is what makes it testable.

Live view: not useful here -- in virtual time the whole hour passes between two refreshes.
"""

from __future__ import annotations

import argparse
import time

import cspy


class Flaky:
    """A dependency that fails until `healthy_at` (runtime clock seconds)."""

    def __init__(self, healthy_at: float) -> None:
        self.healthy_at = healthy_at
        self.calls: list[float] = []

    def call(self) -> str:
        self.calls.append(cspy.now())
        if cspy.now() < self.healthy_at:
            raise ConnectionError("service unavailable")
        return "ok"


def retry(fn: object, *, first: float, factor: float, cap: float, deadline: float) -> str:
    """Call `fn` until it succeeds, sleeping `first`, `first*factor`, ... (at most `cap`)
    between attempts; give up once `deadline` seconds have passed."""
    start = cspy.now()
    delay = first
    while True:
        try:
            return fn()  # type: ignore[operator,no-any-return]
        except ConnectionError:
            if cspy.now() - start + delay > deadline:
                raise TimeoutError(f"gave up after {cspy.now() - start:.0f} s") from None
            cspy.sleep(delay)
            delay = min(delay * factor, cap)


def test_program(healthy_at: float) -> tuple[str, list[float]]:
    service = Flaky(healthy_at)
    result = retry(service.call, first=1, factor=2, cap=600, deadline=7200)
    return result, service.calls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy-at", type=float, default=3600.0,
                        help="virtual second at which the service recovers (default: an hour)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    result, calls = cspy.testing.run(test_program, args.healthy_at)
    real_ms = (time.perf_counter() - t0) * 1000
    print(f"attempts at virtual seconds: {', '.join(f'{t:g}' for t in calls)}")
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    expected = [min(2.0 ** i, 600.0) for i in range(len(gaps))]
    assert gaps == expected, (gaps, expected)
    assert calls[-1] >= args.healthy_at > calls[-2]
    print(f"backoff gaps exactly {', '.join(f'{g:g}' for g in gaps)} s")
    print(f"result {result!r} after {len(calls)} attempts, {calls[-1]:g} s of virtual time "
          f"({calls[-1] / 3600:.2f} h) in {real_ms:.0f} ms of real time")


if __name__ == "__main__":
    main()

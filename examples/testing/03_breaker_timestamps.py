"""Circuit breaker at exact timestamps: open, half-open and closed at the instants they must.

Go idiom: `sony/gobreaker` with `Settings{ReadyToTrip, Timeout}`, tested with `testing/synctest`
so that "the breaker half-opens after Timeout" is checked at exactly Timeout. Here a
`cspy.x.breaker.CircuitBreaker(3, open_timeout=30)` wraps a dependency that is down from 10 s
to 100 s; a client calls it every 5 s. Under `cspy.testing.run` every state change is recorded
at its exact virtual time: open after the third failure, a trial every 30 s while the
dependency is down, closed at the first trial after it recovers. Two and a half minutes of
calls take milliseconds.

Live view: not useful here -- the whole program runs at a handful of virtual instants.
"""

from __future__ import annotations

import argparse

import cspy
from cspy.x import breaker


def test_program(down_from: float, down_until: float, period: float, until: float) -> list[tuple[float, str]]:
    changes: list[tuple[float, str]] = []

    def on_change(old: breaker.State, new: breaker.State) -> None:
        changes.append((cspy.now(), f"{old.value} -> {new.value}"))

    def dependency() -> str:
        if down_from <= cspy.now() < down_until:
            raise ConnectionError("down")
        return "ok"

    cb = breaker.CircuitBreaker(3, 30.0, fallback=lambda exc: "fallback", on_change=on_change)
    while cspy.now() < until:
        cb.call(dependency)
        cspy.sleep(period)
    return changes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down-from", type=float, default=10.0)
    parser.add_argument("--down-until", type=float, default=100.0)
    args = parser.parse_args(argv)
    changes = cspy.testing.run(test_program, args.down_from, args.down_until, 5.0, 150.0)
    for t, what in changes:
        print(f"  {t:6g} s  circuit {what}")
    # Failures at 10, 15, 20 open it at 20; trials at 50 and 80 fail; the trial at 110 succeeds.
    if (args.down_from, args.down_until) == (10.0, 100.0):
        assert changes == [
            (20.0, "closed -> open"),
            (50.0, "open -> half-open"), (50.0, "half-open -> open"),
            (80.0, "open -> half-open"), (80.0, "half-open -> open"),
            (110.0, "open -> half-open"), (110.0, "half-open -> closed"),
        ], changes
        print("every state change at its exact virtual instant")


if __name__ == "__main__":
    main()

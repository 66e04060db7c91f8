"""Tickers: a cspy.Ticker delivers the time on its channel every --period seconds until stopped.

Go idiom (Go by Example, "Tickers"): `ticker := time.NewTicker(500 * time.Millisecond)`, a
goroutine that `select`s on `done` and `ticker.C`, and `ticker.Stop()` after a while. A ticker
never queues up missed ticks: a slow receiver gets at most one pending tick (Go semantics).

Live view (`cspy examples run tickers --live --period 0.5 --ticks 20`): the ticking task wakes
every period from "select"; one timer stays armed until the ticker stops.
"""

from __future__ import annotations

import argparse

import cspy


def program(period: float, ticks: int) -> None:
    start = cspy.now()
    ticker = cspy.Ticker(period)
    done = cspy.Chan[bool]()
    count = cspy.Chan[int](1)

    def listen() -> None:
        seen = 0
        while True:
            index, t, _ok = cspy.select(cspy.Recv(done), cspy.Recv(ticker.c))
            if index == 0:
                count.send(seen)
                return
            seen += 1
            print(f"tick at {t - start:.3f}s")

    cspy.go(listen)
    cspy.sleep(period * (ticks + 0.5))
    ticker.stop()
    done.send(True)
    print(f"ticker stopped after {count.recv()} ticks (expected about {ticks})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", type=float, default=0.05, help="seconds (default 0.05)")
    parser.add_argument("--ticks", type=int, default=5, help="ticks to wait for (default 5)")
    args = parser.parse_args(argv)
    cspy.run(program, args.period, args.ticks)


if __name__ == "__main__":
    main()

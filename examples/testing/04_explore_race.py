"""Explore and replay: a race that every plain run hides, found by exploring schedules.

Go idiom: what `go test -race` cannot show you -- an ordering bug with no data race -- found
the way Rust's shuttle and .NET's Coyote find it: run the test under many schedules (PCT,
probabilistic concurrency testing), and print a token that replays the failing one exactly.
The program is a bank account whose `withdraw` checks the balance, logs the withdrawal on a
buffered channel (never blocks), then debits. Two withdrawals of 70 from 100 both pass the
check in some schedules and the balance goes negative. `cspy.run` and `cspy.testing.run` pass
every time (a task runs until it blocks); `cspy.testing.explore` puts a scheduling point after
every channel operation and finds the bug; `cspy.testing.replay` reproduces it from the token.

Live view: not useful here -- each explored run takes well under a millisecond.
"""

from __future__ import annotations

import argparse

import cspy


def bank() -> None:
    balance = [100]
    audit = cspy.Chan[str](10)
    wg = cspy.WaitGroup()

    def withdraw(amount: int) -> None:
        if balance[0] >= amount:  # check ...
            audit.send(f"withdraw {amount}")  # ... a channel operation in between ...
            balance[0] -= amount  # ... then act
        wg.done()

    wg.add(2)
    cspy.go(withdraw, 70)
    cspy.go(withdraw, 70)
    wg.wait()
    assert balance[0] >= 0, f"overdrawn: balance {balance[0]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="schedules to explore")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for _ in range(20):
        cspy.run(bank)
        cspy.testing.run(bank)
    print("plain runs: 20 of 20 pass (the bug hides)")
    try:
        cspy.testing.explore(bank, runs=args.runs, seed=args.seed, depth=2)
    except cspy.testing.ScheduleFailure as failure:
        print(f"explore: run {failure.run} fails: {failure.__cause__}")
        print(f"token: {failure.token}")
        reproduced = 0
        for _ in range(20):
            try:
                cspy.testing.replay(bank, failure.token)
            except AssertionError as exc:
                reproduced += "overdrawn" in str(exc)
        print(f"replay: {reproduced} of 20 reproduce it")
        assert reproduced == 20
    else:
        raise SystemExit(f"explore found nothing in {args.runs} runs")


if __name__ == "__main__":
    main()

"""Ping-pong: two players hit one ball back and forth over an unbuffered channel.

Go idiom (Sameer Ajmani, "Advanced Go Concurrency Patterns"): `table := make(chan *Ball)`;
each player loops `ball := <-table; ball.hits++; table <- ball`. Only the task holding the ball
touches it: ownership moves with the value, so the ball needs no lock. Main serves, lets them
play --hits hits, and takes the ball off the table.

Live view (`cspy examples run ping_pong --live --hits 5000000`): two tasks, one running and
one parked on "chan receive", swapping every hit (a pure channel hand-off benchmark).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import cspy


@dataclass
class Ball:
    hits: int = 0
    by: dict[str, int] = field(default_factory=dict)


def player(name: str, table: cspy.Chan[Ball], limit: int, show: int, wg: cspy.WaitGroup) -> None:
    try:
        play(name, table, limit, show)
    finally:
        wg.done()


def play(name: str, table: cspy.Chan[Ball], limit: int, show: int) -> None:
    for ball in table:
        if ball.hits == limit:
            table.close()  # game over: the other player's loop ends too
            return
        ball.hits += 1
        ball.by[name] = ball.by.get(name, 0) + 1
        if ball.hits <= show:
            print(f"{name} {ball.hits}")
        table.send(ball)


def program(hits: int, show: int) -> None:
    table = cspy.Chan[Ball]()
    done = cspy.WaitGroup()
    for name in ("ping", "pong"):
        done.add(1)
        cspy.go(player, name, table, hits, show, done)
    ball = Ball()
    table.send(ball)  # serve
    done.wait()
    print(f"{ball.hits} hits: {ball.by}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=10_000, help="hits to play (default 10000)")
    parser.add_argument("--show", type=int, default=6, help="hits to print (default 6)")
    args = parser.parse_args(argv)
    cspy.run(program, args.hits, args.show)


if __name__ == "__main__":
    main()

"""Select: wait on several channel operations at once with cspy.select.

Go idiom (Go by Example, "Select"): `select { case m := <-c1: ...; case m := <-c2: ... }` takes
whichever is ready first. Two tasks reply after --delay and 2x--delay seconds; main selects
twice and gets both in about 2x--delay in total, not 3x: the waits overlap. When several cases
are ready at once, select picks one uniformly at random -- the second half counts the picks.

Live view (`cspy examples run select --live --rounds 1000000`): main parked on "select";
the two feeders alternate on "chan send".
"""

from __future__ import annotations

import argparse

import cspy


def reply_after(seconds: float, ch: cspy.SendChan[str], msg: str) -> None:
    cspy.sleep(seconds)
    ch.send(msg)


def feed_forever(ch: cspy.SendChan[int], value: int) -> None:
    while True:
        ch.send(value)


def program(delay: float, rounds: int) -> None:
    c1, c2 = cspy.Chan[str](), cspy.Chan[str]()
    cspy.go(reply_after, delay, c1.send_only(), "one")
    cspy.go(reply_after, 2 * delay, c2.send_only(), "two")
    start = cspy.now()
    for _ in range(2):
        index, msg, _ok = cspy.select(cspy.Recv(c1), cspy.Recv(c2))
        print(f"received {msg} (case {index})")
    print(f"both in {cspy.now() - start:.2f}s (the waits overlap)")

    # Both channels always ready: select chooses at random, about half each.
    a, b = cspy.Chan[int](1), cspy.Chan[int](1)
    cspy.go(feed_forever, a.send_only(), 0)
    cspy.go(feed_forever, b.send_only(), 1)
    picks = [0, 0]
    cspy.sleep(0.01)  # let both buffers fill
    for _ in range(rounds):
        index, _value, _ok = cspy.select(cspy.Recv(a), cspy.Recv(b))
        picks[index] += 1
    print(f"with both ready, {rounds} selects picked a={picks[0]} b={picks[1]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.1, help="first reply delay (default 0.1 s)")
    parser.add_argument("--rounds", type=int, default=10_000, help="selects to count (default 10000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.delay, args.rounds)


if __name__ == "__main__":
    main()

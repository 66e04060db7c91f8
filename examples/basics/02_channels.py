"""Channels: tasks hand values to each other over a cspy.Chan, Go's `chan T`.

Go idiom (Go by Example, "Channels"): `messages := make(chan string)`, `go func() { messages
<- "ping" }()`, `msg := <-messages`. An unbuffered channel is a rendezvous: the send blocks
until main receives, so no other synchronisation is needed. The second half streams --n
numbers from a producer task to main and checks that every one arrived once, in order.

Live view (`cspy examples run channels --live --n 2000000`): two tasks, one parked on the
channel at any moment (chan send / chan receive); the switch counter climbs by ~2 per value.
"""

from __future__ import annotations

import argparse

import cspy


def produce(out: cspy.Chan[int], n: int) -> None:
    for i in range(n):
        out.send(i)  # blocks until main takes it
    out.close()


def program(n: int) -> None:
    messages = cspy.Chan[str]()
    cspy.go(messages.send, "ping")
    print(f"received {messages.recv()!r}")

    numbers = cspy.Chan[int]()
    cspy.go(produce, numbers, n)
    received = [v for v in numbers]
    in_order = received == list(range(n))
    print(f"received {len(received)} numbers, sum {sum(received)}, in order: {in_order}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="numbers to stream (default 100000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()

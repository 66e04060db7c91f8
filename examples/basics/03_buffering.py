"""Buffering: a buffered channel accepts --cap values with no receiver waiting.

Go idiom (Go by Example, "Channel Buffering"): `messages := make(chan string, 2)` takes two
sends without a receiver; a third would block. Here `cspy.Chan[str](2)`; `len(ch)` and
`ch.cap` report the fill as in Go. The second half shows the producer running ahead of a
slow consumer by exactly the buffer's capacity.

Live view (`cspy examples run buffering --live --cap 1000 --n 200000`): the channel table
shows the buffer at capacity while the consumer lags, and the producer parked on "chan send".
"""

from __future__ import annotations

import argparse

import cspy


def program(cap: int, n: int) -> None:
    messages = cspy.Chan[str](cap)
    for i in range(cap):
        messages.send(f"buffered {i}")  # no receiver yet, and no blocking
    print(f"sent {cap} values with no receiver: len={len(messages)} cap={messages.cap}")
    for _ in range(cap):
        print(messages.recv())

    # How far can a producer run ahead of a consumer? Exactly the buffer's capacity.
    ch = cspy.Chan[int](cap)

    def producer() -> None:
        for i in range(n):
            ch.send(i)  # blocks once the buffer is full
        ch.close()

    cspy.go(producer)
    cspy.sleep(0.01)  # a slow consumer: the producer fills the buffer, then parks
    print(f"while main slept the producer ran ahead by len={len(ch)} values (cap {ch.cap})")
    print(f"received sum {sum(ch)} of {n} values")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=2, help="buffer capacity (default 2)")
    parser.add_argument("--n", type=int, default=1000, help="values to stream (default 1000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.cap, args.n)


if __name__ == "__main__":
    main()

"""Range over channels: `for v in ch` receives until the channel is closed and drained.

Go idiom (Go by Example, "Range over Channels"): `for elem := range queue { ... }`. Closing a
non-empty channel is fine: the remaining values are still received, then the loop ends. The
second half ranges over a producer task's channel while it is still sending.

Live view (`cspy examples run range_over_channels --live --n 1000000`): producer and main
hand the processor back and forth; the loop ends when the producer closes the channel.
"""

from __future__ import annotations

import argparse

import cspy


def count_to(n: int, out: cspy.SendChan[int]) -> None:
    for i in range(1, n + 1):
        out.send(i)
    out.close()  # ends the consumer's `for` loop


def program(n: int) -> None:
    queue = cspy.Chan[str](2)
    queue.send("one")
    queue.send("two")
    queue.close()
    for elem in queue:
        print(elem)

    numbers = cspy.Chan[int](16)
    cspy.go(count_to, n, numbers.send_only())
    total = 0
    for v in numbers:
        total += v
    print(f"ranged over {n} values from a producer: sum {total}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="values to produce (default 10000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()

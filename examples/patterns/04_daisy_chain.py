"""Daisy chain: 100,000 tasks in a row, each passing a number one step left, plus one.

Go idiom (Rob Pike, "Go Concurrency Patterns", "Chinese whispers"): `for i := 0; i < n; i++ {
right = make(chan int); go f(left, right); left = right }`, then `go func(c chan int) { c <- 1
}(right)` and `fmt.Println(<-leftmost)` prints 100001. Tasks are cheap: a greenlet each, created
lazily and reused from a pool, so a hundred thousand of them fit in a few hundred MB.

Live view (`cspy examples run daisy_chain --live --n 1000000`): the task count climbs to --n,
all parked on "chan receive", then collapses as the whisper runs down the chain.
"""

from __future__ import annotations

import argparse
import time

import cspy


def whisper(left: cspy.Chan[int], right: cspy.Chan[int]) -> None:
    left.send(1 + right.recv())


def program(n: int) -> None:
    start = time.monotonic()
    leftmost: cspy.Chan[int] = cspy.Chan()
    left = leftmost
    for _ in range(n):
        right: cspy.Chan[int] = cspy.Chan()
        cspy.go(whisper, left, right)
        left = right
    built = time.monotonic() - start
    peak = cspy.num_tasks()
    cspy.go(left.send, 1)  # the whisper starts at the right end
    print(leftmost.recv())
    print(f"{n} tasks in the chain (peak {peak} alive): built in {built:.2f}s, "
          f"whispered through in {time.monotonic() - start - built:.2f}s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="tasks in the chain (default 100000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()

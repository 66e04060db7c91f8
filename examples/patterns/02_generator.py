"""Generator: a function that returns a channel and fills it from a task of its own.

Go idiom (Rob Pike, "Go Concurrency Patterns"): `func boring(msg string) <-chan string { c :=
make(chan string); go func() { ... c <- ... }(); return c }`. The caller gets a receive-only
channel -- a handle on a running service. Several generators run independently; a pipeline of
them composes like Python generators, but every stage runs as its own task.

Live view (`cspy examples run generator --live --n 1000000`): one task per generator, parked
on "chan send" until the consumer asks for the next value.
"""

from __future__ import annotations

import argparse

import cspy


def fibonacci(n: int) -> cspy.RecvChan[int]:
    """The first n Fibonacci numbers, produced by a task of their own."""
    out = cspy.Chan[int]()

    def produce() -> None:
        a, b = 0, 1
        for _ in range(n):
            out.send(a)
            a, b = b, a + b
        out.close()

    cspy.go(produce)
    return out.recv_only()


def boring(msg: str) -> cspy.RecvChan[str]:
    """Pike's `boring`: an endless stream of numbered messages."""
    out = cspy.Chan[str]()

    def produce() -> None:
        i = 0
        while True:
            out.send(f"{msg} {i}")
            i += 1

    cspy.go(produce)
    return out.recv_only()


def squares(src: cspy.RecvChan[int]) -> cspy.RecvChan[int]:
    out = cspy.Chan[int]()

    def produce() -> None:
        for v in src:
            out.send(v * v)
        out.close()

    cspy.go(produce)
    return out.recv_only()


def program(n: int) -> None:
    fibs = list(fibonacci(n))
    print(f"fibonacci: {fibs[:15]}{' ...' if n > 15 else ''} ({len(fibs)} values)")

    joe, ann = boring("joe"), boring("ann")  # two independent services
    for _ in range(3):
        print(joe.recv())  # lockstep: joe, then ann
        print(ann.recv())

    print(f"sum of squares of 0..{n - 1}: {sum(squares(count(n)))}")


def count(n: int) -> cspy.RecvChan[int]:
    """0..n-1 as a generator (Go's `gen(nums ...int) <-chan int`)."""
    out = cspy.Chan[int](16)

    def produce() -> None:
        for i in range(n):
            out.send(i)
        out.close()

    cspy.go(produce)
    return out.recv_only()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="values per generator (default 20)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()

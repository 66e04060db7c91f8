"""Mutexes: guard shared state with cspy.Mutex, and see the lost updates without one.

Go idiom (Go by Example, "Mutexes"): a `Container` with a `sync.Mutex` and a map of counters;
`c.mu.Lock(); defer c.mu.Unlock()` around each increment. Here `with self.mu:`. The unsafe
version reads, yields (as any blocking call inside would), then writes -- and other tasks'
updates in between are lost. A task switch can happen wherever a task blocks.

Live view (`cspy examples run mutexes --live --n 200000`): tasks parked on "sync.Mutex.Lock"
queue up behind the holder.
"""

from __future__ import annotations

import argparse

import cspy


class Container:
    def __init__(self) -> None:
        self.mu = cspy.Mutex()
        self.counters = {"a": 0, "b": 0}

    def inc(self, name: str) -> None:
        with self.mu:
            value = self.counters[name]
            cspy.gosched()  # a switch inside the critical section is harmless: we hold the lock
            self.counters[name] = value + 1

    def inc_unsafe(self, name: str) -> None:
        value = self.counters[name]
        cspy.gosched()  # another task runs here and its update is overwritten below
        self.counters[name] = value + 1


def run_counters(n: int, safe: bool) -> dict[str, int]:
    c = Container()
    wg = cspy.WaitGroup()

    def do_increment(name: str) -> None:
        try:
            for _ in range(n):
                c.inc(name) if safe else c.inc_unsafe(name)
        finally:
            wg.done()

    for name in ("a", "a", "b"):
        wg.add(1)
        cspy.go(do_increment, name)
    wg.wait()
    return c.counters


def program(n: int) -> None:
    print(f"with the mutex:    {run_counters(n, safe=True)} (expected a={2 * n} b={n})")
    print(f"without the mutex: {run_counters(n, safe=False)} (updates lost)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="increments per task (default 10000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()

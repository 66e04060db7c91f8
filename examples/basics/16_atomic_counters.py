"""Atomic counters: many tasks bump one cspy.AtomicInt, Go's `sync/atomic`.

Go idiom (Go by Example, "Atomic Counters"): 50 goroutines each `ops.Add(1)` 1000 times; the
total is exactly 50,000. AtomicInt is atomic across processors (run with `--procs 2`), with no
lock to take or forget. The tasks yield now and then so their increments really interleave.

Live view (`cspy examples run atomic_counters --live --tasks 1000 --ops 10000`): a thousand
runnable tasks take turns; with `--procs 2` work stealing spreads them over both processors.
"""

from __future__ import annotations

import argparse

import cspy


def bump(ops: cspy.AtomicInt, times: int, wg: cspy.WaitGroup) -> None:
    try:
        for i in range(times):
            ops.add(1)
            if i % 100 == 0:
                cspy.gosched()  # let the other tasks in between our increments
    finally:
        wg.done()


def program(tasks: int, times: int) -> None:
    ops = cspy.AtomicInt(0)
    wg = cspy.WaitGroup()
    for _ in range(tasks):
        wg.add(1)
        cspy.go(bump, ops, times, wg)
    wg.wait()
    print(f"ops: {ops.load()} (expected {tasks * times})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50, help="tasks (default 50)")
    parser.add_argument("--ops", type=int, default=1000, help="increments each (default 1000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.tasks, args.ops)


if __name__ == "__main__":
    main()

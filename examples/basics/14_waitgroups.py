"""WaitGroups: wait for a set of tasks with cspy.WaitGroup, Go's `sync.WaitGroup`.

Go idiom (Go by Example, "WaitGroups"): `wg.Add(1)` before each `go`, `defer wg.Done()` inside,
`wg.Wait()` in main. Add before spawning (not inside the task), or Wait may see zero too early.
Here `try/finally` plays `defer`, so a worker that fails still counts down.

Live view (`cspy examples run waitgroups --live --n 10000 --work 1`): --n workers parked on
"sleep", main parked on "sync.WaitGroup.Wait" until the counter reaches zero.
"""

from __future__ import annotations

import argparse

import cspy


def worker(wid: int, work: float, wg: cspy.WaitGroup, quiet: bool) -> None:
    try:  # Go: defer wg.Done()
        if not quiet:
            print(f"worker {wid} starting")
        cspy.sleep(work)
        if not quiet:
            print(f"worker {wid} done")
    finally:
        wg.done()


def program(n: int, work: float) -> None:
    wg = cspy.WaitGroup()
    quiet = n > 20
    for wid in range(1, n + 1):
        wg.add(1)  # before the go statement, never inside the task
        cspy.go(worker, wid, work, wg, quiet)
    wg.wait()
    print(f"all {n} workers done")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5, help="workers (default 5)")
    parser.add_argument("--work", type=float, default=0.1, help="seconds each (default 0.1)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n, args.work)


if __name__ == "__main__":
    main()

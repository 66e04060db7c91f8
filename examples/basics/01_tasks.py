"""Tasks: run functions concurrently with cspy.go, Go's `go f(x)`.

Go idiom (Go by Example, "Goroutines"): `go f("goroutine")` starts f in a new goroutine and
returns at once; here `cspy.go(f, "task")` starts a task. An ordinary call runs to completion
first; the tasks then take turns, so their lines interleave. A WaitGroup (see `waitgroups`)
lets main wait for them instead of sleeping.

Live view (`cspy examples run tasks --live --n 20000 --steps 50`): the spawned counter jumps
by --n, the run queue fills, then drains as the tasks finish; `tasks` falls back to 1 (main).
"""

from __future__ import annotations

import argparse

import cspy


def say(name: str, steps: int, quiet: bool) -> None:
    for step in range(steps):
        if not quiet:
            print(f"{name}: step {step}")
        cspy.gosched()  # give the processor to the next task: the output interleaves


def task(name: str, steps: int, quiet: bool, wg: cspy.WaitGroup) -> None:
    try:
        say(name, steps, quiet)
    finally:
        wg.done()  # Go: defer wg.Done()


def program(n: int, steps: int) -> None:
    say("direct call", steps, quiet=False)  # an ordinary call, finished before the tasks start

    wg = cspy.WaitGroup()
    quiet = n > 10  # big runs are for the live view, not for reading
    for i in range(n):
        wg.add(1)
        cspy.go(task, f"task {i}", steps, quiet, wg)  # Go: go task(...)
    print(f"spawned {n} tasks; tasks alive now: {cspy.num_tasks()}")
    wg.wait()
    print(f"done: {n} tasks ran {steps} steps each; tasks alive now: {cspy.num_tasks()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3, help="tasks to start (default 3)")
    parser.add_argument("--steps", type=int, default=3, help="steps per task (default 3)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n, args.steps)


if __name__ == "__main__":
    main()

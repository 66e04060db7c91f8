"""Synchronization: wait for a task to finish by receiving from its done channel.

Go idiom (Go by Example, "Channel Synchronization"): `done := make(chan bool, 1)`; the worker
does `done <- true` when finished and main blocks on `<-done`. Without that receive, main would
return and the program would end before the worker finished (tasks are abandoned, as in Go).

Live view (`cspy examples run synchronization --live --n 50 --work 2`): --n workers parked in
"sleep", main parked on "chan receive" until each done channel fires.
"""

from __future__ import annotations

import argparse

import cspy


def worker(i: int, work: float, done: cspy.SendChan[bool]) -> None:
    print(f"worker {i}: working...")
    cspy.sleep(work)
    print(f"worker {i}: done")
    done.send(True)  # "I am finished"


def program(n: int, work: float) -> None:
    dones = []
    for i in range(n):
        done = cspy.Chan[bool](1)
        cspy.go(worker, i, work, done.send_only())
        dones.append(done)
    for done in dones:
        done.recv()  # block until that worker says it finished
    print(f"main: all {n} workers finished")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1, help="workers (default 1)")
    parser.add_argument("--work", type=float, default=0.1, help="seconds of work (default 0.1)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n, args.work)


if __name__ == "__main__":
    main()

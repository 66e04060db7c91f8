"""Closing channels: close() tells the receiver that no more values will come.

Go idiom (Go by Example, "Closing Channels"): the worker loops on `j, more := <-jobs` and stops
when `more` is false; main `close(jobs)` after the last send. Here `jobs.recv_ok()` returns
`(value, True)` or `(None, False)` once the channel is closed and drained. Values buffered before
the close are still delivered; a receive on a drained closed channel never blocks.

Live view (`cspy examples run closing_channels --live --n 1000000`): the worker alternates
between running and "chan receive"; after the close both tasks end.
"""

from __future__ import annotations

import argparse

import cspy


def worker(jobs: cspy.RecvChan[int], done: cspy.SendChan[int], quiet: bool) -> None:
    received = 0
    while True:
        job, more = jobs.recv_ok()
        if not more:
            print(f"received all jobs ({received})")
            done.send(received)
            return
        received += 1
        if not quiet:
            print(f"received job {job}")


def program(n: int) -> None:
    jobs = cspy.Chan[int](5)
    done = cspy.Chan[int]()
    quiet = n > 20
    cspy.go(worker, jobs.recv_only(), done.send_only(), quiet)
    for j in range(1, n + 1):
        jobs.send(j)
        if not quiet:
            print(f"sent job {j}")
    jobs.close()
    print("sent all jobs")
    count = done.recv()

    _value, ok = jobs.recv_ok()
    print(f"worker counted {count}; received more jobs: {ok}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3, help="jobs (default 3)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()

"""Worker pools: --workers tasks share one jobs channel; results come back on another.

Go idiom (Go by Example, "Worker Pools"): `for w := 1; w <= 3; w++ { go worker(w, jobs,
results) }`, each worker ranging over `jobs`. Five one-"second" jobs on three workers take two
"seconds", not five. Every job is done by exactly one worker: a channel delivers each value once.

Live view (`cspy examples run worker_pools --live --workers 100 --jobs 10000 --work 0.01`): the
workers alternate between "sleep" (working) and "chan receive" (idle, waiting for a job).
"""

from __future__ import annotations

import argparse
import time

import cspy


def worker(wid: int, jobs: cspy.RecvChan[int], results: cspy.SendChan[tuple[int, int]],
           work: float, quiet: bool) -> None:
    for job in jobs:
        if not quiet:
            print(f"worker {wid} started  job {job}")
        cspy.sleep(work)  # the "expensive" part
        if not quiet:
            print(f"worker {wid} finished job {job}")
        results.send((job, job * 2))


def program(workers: int, n_jobs: int, work: float) -> None:
    jobs = cspy.Chan[int](n_jobs)
    results = cspy.Chan[tuple[int, int]](n_jobs)
    quiet = n_jobs > 20
    start = time.monotonic()
    for wid in range(1, workers + 1):
        cspy.go(worker, wid, jobs.recv_only(), results.send_only(), work, quiet)
    for job in range(1, n_jobs + 1):
        jobs.send(job)
    jobs.close()  # the workers' `for job in jobs` loops end once the queue is drained

    done = dict(results.recv() for _ in range(n_jobs))
    elapsed = time.monotonic() - start
    print(f"{n_jobs} jobs on {workers} workers: {len(done)} results, "
          f"all doubled: {all(done[j] == 2 * j for j in done)}, "
          f"{elapsed:.2f}s (serial would take {n_jobs * work:.2f}s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3, help="workers (default 3)")
    parser.add_argument("--jobs", type=int, default=5, help="jobs (default 5)")
    parser.add_argument("--work", type=float, default=0.1, help="seconds per job (default 0.1)")
    args = parser.parse_args(argv)
    cspy.run(program, args.workers, args.jobs, args.work)


if __name__ == "__main__":
    main()

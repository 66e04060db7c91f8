"""Task pool vs unbounded spawning: the same jobs, the same throughput, 50x fewer tasks.

Go idiom: `for _, j := range jobs { go handle(j) }` is easy and unbounded -- a burst of a
million requests is a million goroutines, all queueing on whatever the real bottleneck is (here
a downstream service that serves --capacity requests at a time, like a connection pool). A
worker pool (`cspy.x.pool.Pool`: a fixed set of workers fed by a bounded channel) does the same
work at the same rate with --workers tasks, and its bounded queue pushes back on the producer.
Printed side by side: jobs/s, peak tasks alive, peak jobs in flight.

Live view (`cspy examples run task_pool --live --jobs 200000`): unbounded, the task count
shoots up to --jobs with nearly all parked on "semacquire"; pooled, it stays at --workers.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import cspy
from cspy.x import pool


class Downstream:
    """A service that handles `capacity` requests at once, each taking `latency` seconds."""

    def __init__(self, capacity: int, latency: float) -> None:
        self.slots = cspy.Semaphore(capacity)
        self.latency = latency
        self.in_flight = cspy.AtomicInt()
        self.peak_in_flight = cspy.AtomicInt()
        self.peak_tasks = cspy.AtomicInt()

    def handle(self, job: int) -> int:
        raise_peak(self.peak_tasks, cspy.num_tasks())
        raise_peak(self.peak_in_flight, self.in_flight.add(1))  # jobs started, not finished
        try:
            with self.slots:  # the real bottleneck: a connection, a CPU, a disk
                cspy.sleep(self.latency)
            return job * 2
        finally:
            self.in_flight.add(-1)


def raise_peak(peak: cspy.AtomicInt, now: int) -> None:
    seen = peak.load()
    while now > seen and not peak.compare_and_swap(seen, now):
        seen = peak.load()


def unbounded(service: Downstream, jobs: int, _workers: int) -> int:
    results = cspy.Chan[int](jobs)
    for job in range(jobs):
        cspy.go(lambda job=job: results.send(service.handle(job)))  # Go: go handle(j)
    return sum(results.recv() for _ in range(jobs))


def pooled(service: Downstream, jobs: int, workers: int) -> int:
    p = pool.Pool(workers=workers, queue_size=workers)
    futures = [p.submit(service.handle, job) for job in range(jobs)]  # blocks when the queue is full
    total = sum(f.result() for f in futures)
    p.close()
    return total


def program(jobs: int, workers: int, capacity: int, latency: float) -> None:
    strategies: list[tuple[str, Callable[[Downstream, int, int], int]]] = [
        ("unbounded spawn", unbounded),
        (f"pool of {workers}", pooled),
    ]
    print(f"{jobs} jobs, downstream capacity {capacity}, {latency * 1000:g} ms each")
    print(f"{'strategy':<16} {'jobs/s':>9} {'peak tasks':>11} {'peak in flight':>15}  result")
    for name, strategy in strategies:
        service = Downstream(capacity, latency)
        start = time.monotonic()
        total = strategy(service, jobs, workers)
        rate = jobs / (time.monotonic() - start)
        ok = total == jobs * (jobs - 1)
        print(f"{name:<16} {rate:>9,.0f} {service.peak_tasks.load():>11} "
              f"{service.peak_in_flight.load():>15}  {'ok' if ok else 'WRONG'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="jobs (default 2000)")
    parser.add_argument("--workers", type=int, default=20, help="pool workers (default 20)")
    parser.add_argument("--capacity", type=int, default=20, help="downstream capacity (default 20)")
    parser.add_argument("--latency", type=float, default=0.001, help="seconds per job (default 0.001)")
    args = parser.parse_args(argv)
    cspy.run(program, args.jobs, args.workers, args.capacity, args.latency)


if __name__ == "__main__":
    main()

"""Measure what several processors buy: CPU-bound fan-out and cross-processor ping-pong.

Not a test (pytest does not collect it): a measurement, meant for free-threaded CPython, where
processors run Python code in parallel. Run it with the interpreter to measure:

    python -m tests.stress.parallelism            # all measurements, 3 runs each
    python -m tests.stress.parallelism --quick    # smaller sizes

What it prints:
- baseline: the same jobs on 1 and 2 plain threads, without cspy: the ceiling this machine
  offers at the moment (on a shared machine, other load can take the second core away);
- fan-out: JOBS pure-Python jobs fed through one channel to WORKERS tasks (and, without
  channels, one task per job joined by a WaitGroup); wall time for procs 1, 2, 4 and the
  speed-up over procs=1 (best of the runs);
- ping-pong: round-trip latency of two tasks exchanging a value over two unbuffered channels,
  both on one processor (procs=1) and on two different processors (procs=2, tasks placed on
  different threads on purpose).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from typing import Any

import cspy


def work(n: int) -> int:
    """A pure-Python CPU-bound job (no C call that releases the interpreter).

    Only small-int constants (-5..256 are immortal): on CPython 3.13t a constant of a function
    loaded from a .pyc is a shared, reference-counted object, and two threads running the same
    function then contend on its reference count -- with ``% 1_000_003`` two threads here took
    *twice as long* as one. That measures the interpreter, not the scheduler.
    """
    acc = 0
    for i in range(n):
        acc = (acc + i * i) % 251
    return acc


def fanout_chan(procs: int, jobs: int, size: int, workers: int) -> float:
    def main() -> int:
        todo = cspy.Chan[int](jobs)
        done = cspy.Chan[int](jobs)

        def worker() -> None:
            for n in todo:
                done.send(work(n))

        for _ in range(workers):
            cspy.go(worker)
        for _ in range(jobs):
            todo.send(size)
        todo.close()
        return sum(done.recv() for _ in range(jobs))

    t0 = time.perf_counter()
    total = cspy.run(main, procs=procs)
    dt = time.perf_counter() - t0
    assert total == jobs * work(size)
    return dt


def fanout_go(procs: int, jobs: int, size: int) -> float:
    out: list[int] = []
    lock = threading.Lock()

    def job(wg: cspy.WaitGroup) -> None:
        r = work(size)
        with lock:
            out.append(r)
        wg.done()

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(jobs)
        for _ in range(jobs):
            cspy.go(job, wg)
        wg.wait()

    t0 = time.perf_counter()
    cspy.run(main, procs=procs)
    dt = time.perf_counter() - t0
    assert len(out) == jobs
    return dt


def threads_baseline(nthreads: int, jobs: int, size: int) -> float:
    """The same jobs on plain threads, no cspy: the parallelism the machine offers right now."""

    def run_share(k: int) -> None:
        for _ in range(k):
            work(size)

    shares = [jobs // nthreads + (i < jobs % nthreads) for i in range(nthreads)]
    threads = [threading.Thread(target=run_share, args=(k,)) for k in shares]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def pingpong(procs: int, rounds: int) -> tuple[float, bool]:
    """Seconds per round trip, and whether the two tasks ran on different threads."""

    def main() -> tuple[float, bool]:
        where = cspy.Chan[tuple[int, Any]](64)
        # Candidates report their thread and wait for a role; with procs > 1 pick two that run
        # on different threads (started tasks never move, so they stay there).
        roles: list[cspy.Chan[Any]] = []

        def candidate(i: int) -> None:
            # Hold the processor a little without yielding, so that the candidates still
            # queued behind this one are stolen by another processor.
            end = time.perf_counter() + 0.002
            while time.perf_counter() < end:
                pass
            role = cspy.Chan[Any](1)
            roles.append(role)
            where.send((threading.get_ident(), role))
            job = role.recv()
            if job is not None:
                job()

        n = 1 if procs == 1 else 32
        for i in range(n):
            cspy.go(candidate, i)
        seen: dict[int, cspy.Chan[Any]] = {}
        others: list[cspy.Chan[Any]] = []
        for _ in range(n):
            tid, role = where.recv()
            if tid in seen or len(seen) == 2:
                others.append(role)
            else:
                seen[tid] = role
        for r in others:
            r.send(None)
        ping, pong = cspy.Chan[int](), cspy.Chan[int]()
        result: cspy.Chan[float] = cspy.Chan(1)

        def pinger() -> None:
            for i in range(100):  # warm up
                ping.send(i)
                pong.recv()
            t0 = time.perf_counter()
            for i in range(rounds):
                ping.send(i)
                pong.recv()
            result.send((time.perf_counter() - t0) / rounds)
            ping.close()

        def ponger() -> None:
            for v in ping:
                pong.send(v)

        jobs = [pinger, ponger]
        places = list(seen.values())
        if len(places) == 2:
            places[0].send(pinger)
            places[1].send(ponger)
            split = True
        else:  # one thread only (procs=1, or no steal happened)
            places[0].send(pinger)
            cspy.go(jobs[1])
            split = False
        return result.recv(), split

    return cspy.run(main, procs=procs)


def best(xs: list[float]) -> float:
    return min(xs)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    jobs, size, workers = (32, 20_000, 8) if args.quick else (64, 100_000, 8)
    rounds = 2_000 if args.quick else 20_000
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"python {sys.version.split()[0]}  GIL {'on' if gil else 'off'}  "
          f"jobs={jobs} x work({size})  workers={workers}  runs={args.runs} (best shown)")
    t1 = best([work_time(size) for _ in range(3)])
    print(f"one job alone: {t1 * 1e3:.1f} ms; serial estimate for all jobs: {t1 * jobs:.2f} s")
    base = None
    for n in (1, 2):
        t = best([threads_baseline(n, jobs, size) for _ in range(args.runs)])
        base = base or t
        print(f"{'plain threads (no cspy)':26s} threads={n}: {t:.3f} s  speed-up x{base / t:.2f}")
    for name, fn in (("fan-out via channel", lambda p: fanout_chan(p, jobs, size, workers)),
                     ("fan-out via go+WaitGroup", lambda p: fanout_go(p, jobs, size))):
        base = None
        for procs in (1, 2, 4):
            t = best([fn(procs) for _ in range(args.runs)])
            base = base or t
            print(f"{name:26s} procs={procs}: {t:.3f} s  speed-up x{base / t:.2f}")
    for procs in (1, 2):
        lat = []
        splits = []
        for _ in range(args.runs):
            s, split = pingpong(procs, rounds)
            lat.append(s)
            splits.append(split)
        where = "two threads" if all(splits) else ("one thread" if not any(splits) else "mixed")
        print(f"ping-pong procs={procs} ({where}): best {best(lat) * 1e6:.1f} us, "
              f"median {statistics.median(lat) * 1e6:.1f} us per round trip")


def work_time(size: int) -> float:
    t0 = time.perf_counter()
    work(size)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main(sys.argv[1:])

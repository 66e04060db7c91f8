"""Throughput workloads: many small jobs (pool vs a task per job) and a CPU-bound fan-out.

Small jobs: 100,000 jobs of a few bytecodes each. ``go`` per job pays a spawn per job; a fixed
set of workers fed from one channel (Go's worker-pool idiom) pays a channel hand-off per job
instead; ``cspy.x.pool.Pool`` is measured once it exists.

CPU fan-out: workers fed from one channel, each job a pure-Python loop. On a GIL build a second
processor cannot add throughput (only one thread runs Python at a time), so procs=2 shows the
cost of the extra processor; a free-threaded build is where it should approach 2x, and there
the table holds procs=2 to at least 1.7x the speed of procs=1.
"""

from __future__ import annotations

from time import perf_counter

from benchmarks.spec import Impl, Measurement, Target, Workload, check, gil_enabled

WORKERS = 8
CPU_WORKERS = 4
CPU_LOOP = 20_000  # iterations per CPU job: ~1 ms of pure Python here


def small_job(x: int, out: list[int]) -> None:
    out[0] += x


def cpu_job(x: int) -> int:
    """Pure Python, and only small-int constants (-5..256 are immortal). On CPython 3.13t a
    function's other constants are shared, reference-counted objects: with ``& 0xFFFF`` here,
    two processors contended on that constant's count and ran this 1.5x *slower* than one --
    a measure of the interpreter, not of the scheduler."""
    acc = x & 0xFF
    for i in range(CPU_LOOP):
        acc = (acc * 31 + i) & 0xFF
    return acc


# ---- 10. worker pool vs one task per job ------------------------------------------------------


def jobs_go_per_job(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        out = [0]
        wg = cspy.WaitGroup()
        done = wg.done

        def run(x: int) -> None:
            small_job(x, out)
            done()

        go = cspy.go
        t0 = perf_counter()
        wg.add(n)
        for x in range(n):
            go(run, x)
        wg.wait()
        total = perf_counter() - t0
        check(out[0] == n * (n - 1) // 2, "every job ran once")
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def jobs_chan_workers(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        out = [0]
        jobs = cspy.Chan(128)  # type: ignore[attr-defined]
        wg = cspy.WaitGroup()

        def worker() -> None:
            for x in jobs:
                small_job(x, out)
            wg.done()

        t0 = perf_counter()
        wg.add(WORKERS)
        for _ in range(WORKERS):
            cspy.go(worker)
        send = jobs.send
        for x in range(n):
            send(x)
        jobs.close()
        wg.wait()
        total = perf_counter() - t0
        check(out[0] == n * (n - 1) // 2, "every job ran once")
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def jobs_x_pool(n: int, procs: int) -> Measurement:
    """``cspy.x.pool.Pool(workers)``: ``submit`` per job (a Future each), ``close`` drains."""
    import cspy
    from cspy.x.pool import Pool

    def main() -> Measurement:
        out = [0]
        pool = Pool(WORKERS)
        submit = pool.submit
        t0 = perf_counter()
        for x in range(n):
            submit(small_job, x, out)
        pool.close()  # waits until every queued job has run
        total = perf_counter() - t0
        check(out[0] == n * (n - 1) // 2, "every job ran once")
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def jobs_gevent_pool(n: int) -> Measurement:
    from gevent.pool import Pool

    out = [0]
    pool = Pool(WORKERS)
    spawn = pool.spawn
    t0 = perf_counter()
    for x in range(n):
        spawn(small_job, x, out)
    pool.join()
    total = perf_counter() - t0
    check(out[0] == n * (n - 1) // 2, "every job ran once")
    return {"total": total, "ops": n}


# ---- CPU-bound fan-out ------------------------------------------------------------------------


def cpu_fanout_cspy(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        jobs = cspy.Chan(128)  # type: ignore[attr-defined]
        results = cspy.Chan(128)  # type: ignore[attr-defined]

        def worker() -> None:
            for x in jobs:
                results.send(cpu_job(x))

        def feed() -> None:
            for x in range(n):
                jobs.send(x)
            jobs.close()

        t0 = perf_counter()
        for _ in range(CPU_WORKERS):
            cspy.go(worker)
        cspy.go(feed)
        got = sum(results.recv() for _ in range(n))
        total = perf_counter() - t0
        check(got == sum(cpu_job(x) for x in range(n)), "every job's result arrived once")
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def cpu_plain_loop(n: int) -> Measurement:
    t0 = perf_counter()
    got = sum(cpu_job(x) for x in range(n))
    total = perf_counter() - t0
    check(got >= 0, "ran")
    return {"total": total, "ops": n}


_P1, _P2 = "cspy procs=1", "cspy procs=2"


WORKLOADS = (
    Workload(
        name="jobs",
        title="100,000 small jobs: go per job vs worker pools",
        n=100_000,
        quick_n=1_000,
        impls=(
            Impl("cspy go per job", jobs_go_per_job, {"procs": 1}, note="procs=1, WaitGroup"),
            Impl(
                "cspy chan workers",
                jobs_chan_workers,
                {"procs": 1},
                requires=("cspy:Chan",),
                note=f"procs=1, {WORKERS} workers on Chan(128)",
            ),
            Impl(
                "cspy x.pool",
                jobs_x_pool,
                {"procs": 1},
                requires=("cspy.x.pool:Pool",),
                note=f"procs=1, Pool({WORKERS})",
            ),
            Impl("gevent pool", jobs_gevent_pool, requires=("gevent",), note=f"Pool({WORKERS})"),
        ),
        baseline="cspy go per job",
    ),
    Workload(
        name="cpu_fanout",
        title=f"CPU-bound fan-out: {CPU_WORKERS} workers on one channel, per job",
        n=400,
        quick_n=10,
        impls=(
            Impl(_P1, cpu_fanout_cspy, {"procs": 1}, requires=("cspy:Chan",)),
            Impl(_P2, cpu_fanout_cspy, {"procs": 2}, requires=("cspy:Chan",)),
            Impl("plain loop", cpu_plain_loop, note="no runtime, one thread"),
        ),
        baseline=_P1,
        # Without the GIL two processors must be at least 1.7x faster than one (2 cores here);
        # with it they take turns, and there is nothing to hold them to.
        target=None if gil_enabled() else Target(_P1, 0.59, (_P2,)),
    ),
)

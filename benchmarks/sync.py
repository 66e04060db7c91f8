"""Sync workloads: a contended mutex.

100 tasks each do ``n`` increments of a shared counter under one lock, yielding inside the
critical section on every 10th increment, so waiters really queue up on the lock (without the
yield a cooperative scheduler never sees contention at all). One op is one increment.
The threading peer runs 100 OS threads on a tenth of the increments (``time.sleep(0)`` is its
yield), because each contended hand-off between threads costs a GIL hand-off.
"""

from __future__ import annotations

import threading
import time
from time import perf_counter

from benchmarks.spec import Impl, Measurement, Target, Workload, check

TASKS = 100
YIELD_EVERY = 10


def mutex_cspy(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        mu = cspy.Mutex()  # type: ignore[attr-defined]
        wg = cspy.WaitGroup()
        count = 0

        def worker() -> None:
            nonlocal count
            lock, unlock, gosched = mu.lock, mu.unlock, cspy.gosched
            for i in range(n):
                lock()
                count += 1
                if i % YIELD_EVERY == 0:
                    gosched()
                unlock()
            wg.done()

        t0 = perf_counter()
        wg.add(TASKS)
        for _ in range(TASKS):
            cspy.go(worker)
        wg.wait()
        total = perf_counter() - t0
        check(count == TASKS * n, f"counter is {TASKS * n}")
        return {"total": total, "ops": TASKS * n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def mutex_gevent(n: int) -> Measurement:
    import gevent
    from gevent.lock import Semaphore

    mu = Semaphore(1)
    count = 0

    def worker() -> None:
        nonlocal count
        acquire, release, sleep = mu.acquire, mu.release, gevent.sleep
        for i in range(n):
            acquire()
            count += 1
            if i % YIELD_EVERY == 0:
                sleep(0)
            release()

    t0 = perf_counter()
    gevent.joinall([gevent.spawn(worker) for _ in range(TASKS)])
    total = perf_counter() - t0
    check(count == TASKS * n, f"counter is {TASKS * n}")
    return {"total": total, "ops": TASKS * n}


def mutex_asyncio(n: int) -> Measurement:
    import asyncio

    async def main() -> Measurement:
        mu = asyncio.Lock()
        count = 0

        async def worker() -> None:
            nonlocal count
            acquire, release, sleep = mu.acquire, mu.release, asyncio.sleep
            for i in range(n):
                await acquire()
                count += 1
                if i % YIELD_EVERY == 0:
                    await sleep(0)
                release()

        t0 = perf_counter()
        await asyncio.gather(*[worker() for _ in range(TASKS)])
        total = perf_counter() - t0
        check(count == TASKS * n, f"counter is {TASKS * n}")
        return {"total": total, "ops": TASKS * n}

    return asyncio.run(main())


def mutex_trio(n: int) -> Measurement:
    import trio

    async def main() -> Measurement:
        mu = trio.Lock()
        count = 0

        async def worker() -> None:
            nonlocal count
            acquire, release, sleep = mu.acquire, mu.release, trio.sleep
            for i in range(n):
                await acquire()
                count += 1
                if i % YIELD_EVERY == 0:
                    await sleep(0)
                release()

        t0 = perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(TASKS):
                nursery.start_soon(worker)
        total = perf_counter() - t0
        check(count == TASKS * n, f"counter is {TASKS * n}")
        return {"total": total, "ops": TASKS * n}

    return trio.run(main)  # type: ignore[no-any-return]


def mutex_threading(n: int) -> Measurement:
    mu = threading.Lock()
    count = 0

    def worker() -> None:
        nonlocal count
        acquire, release, sleep = mu.acquire, mu.release, time.sleep
        for i in range(n):
            acquire()
            count += 1
            if i % YIELD_EVERY == 0:
                sleep(0)
            release()

    threads = [threading.Thread(target=worker) for _ in range(TASKS)]
    t0 = perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = perf_counter() - t0
    check(count == TASKS * n, f"counter is {TASKS * n}")
    return {"total": total, "ops": TASKS * n}


_P1, _P2 = "cspy procs=1", "cspy procs=2"

WORKLOADS = (
    Workload(
        name="mutex",
        title=f"mutex contention: {TASKS} tasks x N increments, yield every {YIELD_EVERY}th",
        n=1_000,
        quick_n=10,
        impls=(
            Impl(_P1, mutex_cspy, {"procs": 1}, requires=("cspy:Mutex",)),
            Impl(_P2, mutex_cspy, {"procs": 2}, requires=("cspy:Mutex",)),
            Impl("gevent", mutex_gevent, requires=("gevent",), note="lock.Semaphore(1)"),
            Impl("asyncio", mutex_asyncio, note="asyncio.Lock"),
            Impl("trio", mutex_trio, requires=("trio",), note="trio.Lock"),
            Impl("threading", mutex_threading, scale=0.1, note="100 threads, 1/10 increments"),
        ),
        target=Target("gevent", 1.0, (_P1,)),
    ),
)

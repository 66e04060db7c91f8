"""Sync workloads: a contended mutex, a shared map, a pool of buffers.

mutex: 100 tasks each do ``n`` increments of a shared counter under one lock, yielding inside
the critical section on every 10th increment, so waiters really queue up on the lock (without
the yield a cooperative scheduler never sees contention at all). One op is one increment.
The threading peer runs 100 OS threads on a tenth of the increments (``time.sleep(0)`` is its
yield), because each contended hand-off between threads costs a GIL hand-off.

map: 8 tasks share one map of 1,024 keys (all present from the start) and do ``n`` operations
each, read-mostly as Go's sync.Map intends: 9 loads to 1 store, keys from a per-task seeded
sequence. The tasks never yield: a processor takes new tasks only from a busy one (one that ran
500 us without a scheduling point), so at procs=2 this is what puts tasks on both processors at
once, and ``steals`` in the JSON shows it did. Three ways to share it: ``cspy.sync.Map`` (lock-free
loads, locked writes), one dict behind one ``cspy.Mutex`` (every operation locks), and 16
dicts each behind its own ``cspy.Mutex`` (a striped map). One op is one load or store; ratios
are to the Mutex dict on one processor. Every load must hit.

sync_pool: 8 tasks each take two 64 KiB ``bytearray`` buffers ``n`` times, write to them and
give them back (no yields, as in map): through a ``cspy.sync.Pool``, or by allocating new ones
each time. One op is one buffer got and put back (or allocated); ratios are to allocating on one
processor. The pool must have allocated no more
than a buffer per task plus what the processors' caches can hold.
"""

from __future__ import annotations

import random
import threading
import time
from time import perf_counter
from typing import Any

from benchmarks.spec import PURE, Impl, Measurement, Target, Workload, check

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


# ---- map -----------------------------------------------------------------------------------------

MAP_TASKS = 8
MAP_KEYS = 1024
MAP_SHARDS = 16
STORE_EVERY = 10  # 1 store per 10 operations: read-mostly


def _map_run(n: int, procs: int, make: Any) -> Measurement:
    """Run the map workload against ``make() -> (load, store)``; ``load(k)`` returns the value."""
    import cspy

    def main() -> Measurement:
        load, store = make(cspy)
        for k in range(MAP_KEYS):
            store(k, k)
        hits = cspy.AtomicInt()
        wg = cspy.WaitGroup()
        seqs = [[random.Random(t).randrange(MAP_KEYS) for _ in range(n)] for t in range(MAP_TASKS)]

        def worker(keys: list[int]) -> None:
            found = 0
            for i, k in enumerate(keys):
                if i % STORE_EVERY == 0:
                    store(k, k + MAP_KEYS * i)
                elif load(k) % MAP_KEYS == k:
                    found += 1
            hits.add(found)

        t0 = perf_counter()
        for keys in seqs:
            wg.go(worker, keys)
        wg.wait()
        total = perf_counter() - t0
        loads = MAP_TASKS * (n - len(range(0, n, STORE_EVERY)))
        check(hits.load() == loads, f"every one of {loads} loads hit ({hits.load()})")
        st = cspy.stats()
        return {"total": total, "ops": MAP_TASKS * n, "switches": st.switches, "steals": st.steals}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def map_sync(n: int, procs: int) -> Measurement:
    def make(cspy: Any) -> Any:
        m = cspy.sync.Map()
        mload = m.load

        def load(k: int) -> int:
            return mload(k)[0]  # type: ignore[no-any-return]

        return load, m.store

    return _map_run(n, procs, make)


def map_mutex(n: int, procs: int) -> Measurement:
    def make(cspy: Any) -> Any:
        mu, d = cspy.Mutex(), {}
        lock, unlock = mu.lock, mu.unlock

        def load(k: int) -> int:
            lock()
            v = d[k]
            unlock()
            return v  # type: ignore[no-any-return]

        def store(k: int, v: int) -> None:
            lock()
            d[k] = v
            unlock()

        return load, store

    return _map_run(n, procs, make)


def map_sharded(n: int, procs: int) -> Measurement:
    def make(cspy: Any) -> Any:
        shards = [(cspy.Mutex(), {}) for _ in range(MAP_SHARDS)]
        mask = MAP_SHARDS - 1

        def load(k: int) -> int:
            mu, d = shards[k & mask]
            mu.lock()
            v = d[k]
            mu.unlock()
            return v  # type: ignore[no-any-return]

        def store(k: int, v: int) -> None:
            mu, d = shards[k & mask]
            mu.lock()
            d[k] = v
            mu.unlock()

        return load, store

    return _map_run(n, procs, make)


# ---- sync_pool ----------------------------------------------------------------------------------

POOL_TASKS = 8
BUF_SIZE = 64 * 1024


def _buffers_run(n: int, procs: int, pooled: bool) -> Measurement:
    import cspy
    from cspy.sync.pool import LOCAL_CAP

    def main() -> Measurement:
        made = cspy.AtomicInt()

        def new() -> bytearray:
            made.add(1)
            return bytearray(BUF_SIZE)

        if pooled:
            pool = cspy.sync.Pool(new)
            get, put = pool.get, pool.put
        else:
            get, put = new, lambda b: None
        wg = cspy.WaitGroup()
        done = cspy.AtomicInt()

        def worker(t: int) -> None:
            for i in range(n):
                a = get()
                b = get()  # two out at once
                a[i & 0xFFF] = b[i & 0xFFF] = t
                put(b)
                put(a)
            done.add(2 * n)

        t0 = perf_counter()
        for t in range(POOL_TASKS):
            wg.go(worker, t)
        wg.wait()
        total = perf_counter() - t0
        check(done.load() == 2 * POOL_TASKS * n, f"{2 * POOL_TASKS * n} buffers used")
        if pooled:
            bound = 2 * POOL_TASKS + LOCAL_CAP * procs
            check(made.load() <= bound, f"the pool allocated at most {bound} ({made.load()})")
        else:
            check(made.load() == 2 * POOL_TASKS * n, "one allocation per use")
        st = cspy.stats()
        return {"total": total, "ops": 2 * POOL_TASKS * n, "allocated": made.load(),
                "switches": st.switches, "steals": st.steals}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def pool_get_put(n: int, procs: int) -> Measurement:
    return _buffers_run(n, procs, True)


def pool_allocate(n: int, procs: int) -> Measurement:
    return _buffers_run(n, procs, False)


_P1, _P2 = "cspy procs=1", "cspy procs=2"
_PURE1 = "cspy pure procs=1"  # the pure-Python build (CSPY_PURE_PYTHON=1), same run
_MAP_BASE = "dict+Mutex procs=1"
_ALLOC_BASE = "allocate procs=1"

WORKLOADS = (
    Workload(
        name="mutex",
        title=f"mutex contention: {TASKS} tasks x N increments, yield every {YIELD_EVERY}th",
        n=1_000,
        quick_n=10,
        impls=(
            Impl(_P1, mutex_cspy, {"procs": 1}, requires=("cspy:Mutex",)),
            Impl(_PURE1, mutex_cspy, {"procs": 1}, requires=("cspy:Mutex",), env=PURE),
            Impl(_P2, mutex_cspy, {"procs": 2}, requires=("cspy:Mutex",)),
            Impl("gevent", mutex_gevent, requires=("gevent",), note="lock.Semaphore(1)"),
            Impl("asyncio", mutex_asyncio, note="asyncio.Lock"),
            Impl("trio", mutex_trio, requires=("trio",), note="trio.Lock"),
            Impl("threading", mutex_threading, scale=0.1, note="100 threads, 1/10 increments"),
        ),
        target=Target("gevent", 1.0, (_P1,)),
    ),
    Workload(
        name="map",
        title=f"shared map, {MAP_TASKS} tasks, 9 loads : 1 store on {MAP_KEYS} keys",
        n=50_000,
        quick_n=200,
        impls=(
            Impl("sync.Map procs=1", map_sync, {"procs": 1}, requires=("cspy.sync:Map",)),
            Impl("sync.Map procs=2", map_sync, {"procs": 2}, requires=("cspy.sync:Map",)),
            Impl(_MAP_BASE, map_mutex, {"procs": 1}, note="one dict, one cspy.Mutex"),
            Impl("dict+Mutex procs=2", map_mutex, {"procs": 2}, note="one dict, one cspy.Mutex"),
            Impl("dict+Mutex pure procs=1", map_mutex, {"procs": 1}, env=PURE,
                 note="one dict, one cspy.Mutex; pure-Python build"),
            Impl(f"sharded x{MAP_SHARDS} procs=1", map_sharded, {"procs": 1},
                 note=f"{MAP_SHARDS} dicts, a cspy.Mutex each"),
            Impl(f"sharded x{MAP_SHARDS} procs=2", map_sharded, {"procs": 2},
                 note=f"{MAP_SHARDS} dicts, a cspy.Mutex each"),
        ),
        baseline=_MAP_BASE,
    ),
    Workload(
        name="sync_pool",
        title=f"{BUF_SIZE // 1024} KiB buffers, {POOL_TASKS} tasks: sync.Pool get+put vs allocating",
        n=50_000,
        quick_n=200,
        impls=(
            Impl("Pool procs=1", pool_get_put, {"procs": 1}, requires=("cspy.sync:Pool",)),
            Impl("Pool procs=2", pool_get_put, {"procs": 2}, requires=("cspy.sync:Pool",)),
            Impl(_ALLOC_BASE, pool_allocate, {"procs": 1}, note=f"bytearray({BUF_SIZE})"),
            Impl("allocate procs=2", pool_allocate, {"procs": 2}, note=f"bytearray({BUF_SIZE})"),
        ),
        baseline=_ALLOC_BASE,
    ),
)

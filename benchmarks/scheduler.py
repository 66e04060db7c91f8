"""Scheduler workloads: the switch floor, yield, spawn-and-finish, and memory per parked task.

The raw greenlet rows are floors, not competitors: they do the least work that can express the
operation (a switch, a create+switch, a suspended greenlet) and show what the runtime adds.
"""

from __future__ import annotations

import gc
from time import perf_counter
from typing import Any

from benchmarks.spec import PURE, Impl, Measurement, Target, Workload, check, rss_bytes

# ---- 1. raw greenlet switch round trip ---------------------------------------------------------


def switch_greenlet(n: int) -> Measurement:
    from greenlet import getcurrent, greenlet

    main = getcurrent()

    def partner() -> None:
        back = main.switch
        while True:
            back()

    g = greenlet(partner)
    g.switch()  # start it: from here on each g.switch() is one round trip
    sw = g.switch
    t0 = perf_counter()
    for _ in range(n):
        sw()
    return {"total": perf_counter() - t0, "ops": n}


# ---- 2. yield -----------------------------------------------------------------------------------


def yield_cspy(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        gosched = cspy.gosched
        t0 = perf_counter()
        for _ in range(n):
            gosched()
        total = perf_counter() - t0
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def yield_gevent(n: int) -> Measurement:
    import gevent

    sleep = gevent.sleep
    t0 = perf_counter()
    for _ in range(n):
        sleep(0)
    return {"total": perf_counter() - t0, "ops": n}


def yield_asyncio(n: int) -> Measurement:
    import asyncio

    async def main() -> Measurement:
        sleep = asyncio.sleep
        t0 = perf_counter()
        for _ in range(n):
            await sleep(0)
        return {"total": perf_counter() - t0, "ops": n}

    return asyncio.run(main())


def yield_trio(n: int) -> Measurement:
    import trio

    async def main() -> Measurement:
        sleep = trio.sleep
        t0 = perf_counter()
        for _ in range(n):
            await sleep(0)
        return {"total": perf_counter() - t0, "ops": n}

    return trio.run(main)  # type: ignore[no-any-return]


# ---- 3. spawn + finish --------------------------------------------------------------------------


def spawn_cspy(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        wg = cspy.WaitGroup()
        go, done = cspy.go, wg.done
        t0 = perf_counter()
        wg.add(n)
        for _ in range(n):
            go(done)
        wg.wait()
        total = perf_counter() - t0
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def _noop() -> None:
    pass


def spawn_gevent(n: int) -> Measurement:
    import gevent

    spawn = gevent.spawn
    t0 = perf_counter()
    gs = [spawn(_noop) for _ in range(n)]
    gevent.joinall(gs)
    total = perf_counter() - t0
    check(all(g.dead for g in gs), "every gevent greenlet finished")
    return {"total": total, "ops": n}


def spawn_asyncio(n: int) -> Measurement:
    import asyncio

    async def noop() -> None:
        pass

    async def main() -> Measurement:
        t0 = perf_counter()
        await asyncio.gather(*[noop() for _ in range(n)])
        return {"total": perf_counter() - t0, "ops": n}

    return asyncio.run(main())


def spawn_trio(n: int) -> Measurement:
    import trio

    async def noop() -> None:
        pass

    async def main() -> Measurement:
        t0 = perf_counter()
        async with trio.open_nursery() as nursery:
            start = nursery.start_soon
            for _ in range(n):
                start(noop)
        return {"total": perf_counter() - t0, "ops": n}

    return trio.run(main)  # type: ignore[no-any-return]


def spawn_greenlet(n: int) -> Measurement:
    from greenlet import greenlet

    t0 = perf_counter()
    gs = [greenlet(_noop) for _ in range(n)]
    for g in gs:
        g.switch()
    total = perf_counter() - t0
    check(all(g.dead for g in gs), "every greenlet finished")
    return {"total": total, "ops": n}


# ---- 4. RSS per parked task ---------------------------------------------------------------------
# Each task blocks on its own primitive, created inside the task, so the figure is what one more
# blocked task really costs. cspy blocks on a channel receive when channels exist (no timer);
# before that on a long sleep (one timer per task), and says which in the "blocked_on" field.


def rss_cspy(n: int, procs: int) -> Measurement:
    import cspy

    has_chan = hasattr(cspy, "Chan")

    def on_chan(wg: Any) -> None:
        ch = cspy.Chan()  # type: ignore[attr-defined]
        wg.done()
        ch.recv()

    def on_sleep(wg: Any) -> None:
        wg.done()
        cspy.sleep(3600)

    def main() -> Measurement:
        wg = cspy.WaitGroup()
        body, go = (on_chan if has_chan else on_sleep), cspy.go
        gc.collect()
        before = rss_bytes()
        wg.add(n)
        for _ in range(n):
            go(body, wg)
        wg.wait()
        for _ in range(3):
            cspy.gosched()  # let the last tasks reach their park
        after = rss_bytes()
        parked = sum(cspy.stats().parked.values())
        check(parked >= n, f"{n} tasks parked (saw {parked})")
        return {"total": after - before, "ops": n, "blocked_on": "chan" if has_chan else "sleep"}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def rss_greenlet(n: int) -> Measurement:
    from greenlet import getcurrent, greenlet

    main = getcurrent()

    def parked() -> None:
        main.switch()

    gc.collect()
    before = rss_bytes()
    gs = [greenlet(parked) for _ in range(n)]
    for g in gs:
        g.switch()  # runs until it switches back: started and suspended
    after = rss_bytes()
    check(not any(g.dead for g in gs), "every greenlet suspended")
    return {"total": after - before, "ops": n}


def rss_gevent(n: int) -> Measurement:
    import gevent
    from gevent.queue import Channel

    started = 0

    def parked() -> None:
        nonlocal started
        ch: Channel[None] = Channel()
        started += 1
        ch.get()

    gc.collect()
    before = rss_bytes()
    gs = [gevent.spawn(parked) for _ in range(n)]
    while started < n:
        gevent.sleep(0)
    gevent.sleep(0)
    after = rss_bytes()
    gevent.killall(gs)
    return {"total": after - before, "ops": n}


def rss_trio(n: int) -> Measurement:
    import trio

    started = 0

    async def parked() -> None:
        nonlocal started
        ev = trio.Event()
        started += 1
        await ev.wait()

    async def main() -> Measurement:
        gc.collect()
        before = rss_bytes()
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(parked)
            while started < n:
                await trio.sleep(0)
            await trio.sleep(0)
            after = rss_bytes()
            nursery.cancel_scope.cancel()
        return {"total": after - before, "ops": n}

    return trio.run(main)  # type: ignore[no-any-return]


def rss_asyncio(n: int) -> Measurement:
    import asyncio

    started = 0

    async def parked() -> None:
        nonlocal started
        ev = asyncio.Event()
        started += 1
        await ev.wait()

    async def main() -> Measurement:
        gc.collect()
        before = rss_bytes()
        tasks = [asyncio.create_task(parked()) for _ in range(n)]
        while started < n:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        after = rss_bytes()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {"total": after - before, "ops": n}

    return asyncio.run(main())


# ---- the registry -------------------------------------------------------------------------------

_P1, _P2, _P4 = "cspy procs=1", "cspy procs=2", "cspy procs=4"
_PURE1 = "cspy pure procs=1"  # the pure-Python build (CSPY_PURE_PYTHON=1), same run

WORKLOADS = (
    Workload(
        name="switch",
        title="raw greenlet switch round trip (the floor)",
        n=500_000,
        quick_n=2_000,
        impls=(Impl("greenlet (raw)", switch_greenlet, requires=("greenlet",)),),
    ),
    Workload(
        name="yield",
        title="one task yielding N times",
        n=200_000,
        quick_n=2_000,
        impls=(
            Impl(_P1, yield_cspy, {"procs": 1}),
            Impl(_PURE1, yield_cspy, {"procs": 1}, env=PURE),
            Impl(_P2, yield_cspy, {"procs": 2}),
            Impl(_P4, yield_cspy, {"procs": 4}),
            Impl("gevent", yield_gevent, requires=("gevent",), note="gevent.sleep(0)"),
            Impl("asyncio", yield_asyncio, note="await asyncio.sleep(0)"),
            Impl("trio", yield_trio, requires=("trio",), note="await trio.sleep(0)"),
        ),
        target=Target("gevent", 1.0, (_P1, _P2, _P4), compiled=0.3),
    ),
    Workload(
        name="spawn",
        title="spawn N no-op tasks, then wait for all",
        n=100_000,
        quick_n=1_000,
        impls=(
            Impl(_P1, spawn_cspy, {"procs": 1}, note="go + WaitGroup"),
            Impl(_PURE1, spawn_cspy, {"procs": 1}, note="go + WaitGroup", env=PURE),
            Impl(_P2, spawn_cspy, {"procs": 2}, note="go + WaitGroup"),
            Impl("gevent", spawn_gevent, requires=("gevent",), note="spawn + joinall"),
            Impl("asyncio", spawn_asyncio, note="gather"),
            Impl("trio", spawn_trio, requires=("trio",), note="nursery"),
            Impl("greenlet (raw)", spawn_greenlet, requires=("greenlet",), note="create + switch"),
        ),
        target=Target("asyncio", 0.5, (_P1,), compiled=0.25),
    ),
    Workload(
        name="rss",
        title="memory per parked task (RSS delta / N)",
        n=100_000,
        quick_n=2_000,
        unit="B/task",
        warmup=False,  # a warm-up would leave freed memory behind and hide the growth
        impls=(
            Impl(_P1, rss_cspy, {"procs": 1}, note="own Chan.recv (sleep before channels)"),
            Impl(_PURE1, rss_cspy, {"procs": 1}, note="own Chan.recv (sleep before channels)", env=PURE),
            Impl("greenlet (raw)", rss_greenlet, requires=("greenlet",), note="switched out"),
            Impl("gevent", rss_gevent, requires=("gevent",), note="own Channel.get"),
            Impl("asyncio", rss_asyncio, note="own asyncio.Event"),
            Impl("trio", rss_trio, requires=("trio",), note="own trio.Event"),
        ),
        target=Target("greenlet (raw)", 1.2, (_P1,)),
    ),
)

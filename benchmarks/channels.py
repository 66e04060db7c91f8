"""Channel workloads: unbuffered ping-pong, buffered one-to-one, 100-to-1 fan-in, 4-way select.

Each peer uses its own idiomatic channel: gevent ``Channel``/``Queue``, asyncio ``Queue`` (a
``maxsize=1`` queue is the closest asyncio has to a rendezvous), trio memory channels,
``queue.Queue`` between threads, goless channels (on its gevent backend). One op is one round
trip (ping-pong) or one message delivered (the others). Every consumer checks the sum of what it
received, so a lost or duplicated message fails the run.
"""

from __future__ import annotations

import threading
from time import perf_counter
from typing import Any

from benchmarks.spec import PURE, Impl, Measurement, Target, Workload, check

FAN_IN_PRODUCERS = 100
SELECT_WAYS = 4
BUFFER = 128


def _expect(n: int) -> int:
    return n * (n - 1) // 2


# ---- 5. unbuffered ping-pong ------------------------------------------------------------------


def pingpong_greenlet(n: int) -> Measurement:
    from greenlet import getcurrent, greenlet

    main = getcurrent()

    def echo(v: Any) -> None:
        back = main.switch
        while True:
            v = back(v)

    g = greenlet(echo)
    sw = g.switch
    sw(-1)
    got = 0
    t0 = perf_counter()
    for i in range(n):
        got += sw(i)
    total = perf_counter() - t0
    check(got == _expect(n), "all replies arrived")
    return {"total": total, "ops": n}


def pingpong_cspy(n: int, procs: int) -> Measurement:
    import cspy

    def main() -> Measurement:
        ping, pong = cspy.Chan(), cspy.Chan()  # type: ignore[attr-defined]

        def echo() -> None:
            recv, send = ping.recv, pong.send
            for _ in range(n):
                send(recv())

        cspy.go(echo)
        send, recv = ping.send, pong.recv
        got = 0
        t0 = perf_counter()
        for i in range(n):
            send(i)
            got += recv()
        total = perf_counter() - t0
        check(got == _expect(n), "all replies arrived")
        return {"total": total, "ops": n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def pingpong_gevent(n: int) -> Measurement:
    import gevent
    from gevent.queue import Channel

    ping: Channel[int] = Channel()
    pong: Channel[int] = Channel()

    def echo() -> None:
        get, put = ping.get, pong.put
        for _ in range(n):
            put(get())

    g = gevent.spawn(echo)
    put, get = ping.put, pong.get
    got = 0
    t0 = perf_counter()
    for i in range(n):
        put(i)
        got += get()
    total = perf_counter() - t0
    g.join()
    check(got == _expect(n), "all replies arrived")
    return {"total": total, "ops": n}


def pingpong_goless(n: int) -> Measurement:
    import goless

    ping, pong = goless.chan(), goless.chan()

    def echo() -> None:
        recv, send = ping.recv, pong.send
        for _ in range(n):
            send(recv())

    goless.go(echo)
    send, recv = ping.send, pong.recv
    got = 0
    t0 = perf_counter()
    for i in range(n):
        send(i)
        got += recv()
    total = perf_counter() - t0
    check(got == _expect(n), "all replies arrived")
    return {"total": total, "ops": n}


def pingpong_asyncio(n: int) -> Measurement:
    import asyncio

    async def main() -> Measurement:
        ping: asyncio.Queue[int] = asyncio.Queue(1)
        pong: asyncio.Queue[int] = asyncio.Queue(1)

        async def echo() -> None:
            for _ in range(n):
                await pong.put(await ping.get())

        task = asyncio.create_task(echo())
        got = 0
        t0 = perf_counter()
        for i in range(n):
            await ping.put(i)
            got += await pong.get()
        total = perf_counter() - t0
        await task
        check(got == _expect(n), "all replies arrived")
        return {"total": total, "ops": n}

    return asyncio.run(main())


def pingpong_trio(n: int) -> Measurement:
    import trio

    async def main() -> Measurement:
        ping_s, ping_r = trio.open_memory_channel[int](0)
        pong_s, pong_r = trio.open_memory_channel[int](0)

        async def echo() -> None:
            for _ in range(n):
                await pong_s.send(await ping_r.receive())

        got = 0
        async with trio.open_nursery() as nursery:
            nursery.start_soon(echo)
            t0 = perf_counter()
            for i in range(n):
                await ping_s.send(i)
                got += await pong_r.receive()
            total = perf_counter() - t0
        check(got == _expect(n), "all replies arrived")
        return {"total": total, "ops": n}

    return trio.run(main)  # type: ignore[no-any-return]


def pingpong_threading(n: int) -> Measurement:
    import queue

    ping: queue.Queue[int] = queue.Queue(1)
    pong: queue.Queue[int] = queue.Queue(1)

    def echo() -> None:
        get, put = ping.get, pong.put
        for _ in range(n):
            put(get())

    t = threading.Thread(target=echo)
    t.start()
    put, get = ping.put, pong.get
    got = 0
    t0 = perf_counter()
    for i in range(n):
        put(i)
        got += get()
    total = perf_counter() - t0
    t.join()
    check(got == _expect(n), "all replies arrived")
    return {"total": total, "ops": n}


# ---- 6/7. buffered one-to-one and fan-in ------------------------------------------------------
# ``producers`` tasks each send n // producers messages; the measuring task receives them all.


def _shares(n: int, producers: int) -> list[range]:
    per = n // producers
    return [range(k * per, (k + 1) * per) for k in range(producers)]


def buffered_cspy(n: int, procs: int, producers: int = 1) -> Measurement:
    import cspy

    def main() -> Measurement:
        ch = cspy.Chan(BUFFER)  # type: ignore[attr-defined]
        shares = _shares(n, producers)
        total_n = len(shares) * len(shares[0])

        def produce(r: range) -> None:
            send = ch.send
            for i in r:
                send(i)

        recv = ch.recv
        got = 0
        t0 = perf_counter()
        for r in shares:
            cspy.go(produce, r)
        for _ in range(total_n):
            got += recv()
        total = perf_counter() - t0
        check(got == _expect(total_n), "every message arrived once")
        return {"total": total, "ops": total_n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def buffered_gevent(n: int, producers: int = 1) -> Measurement:
    import gevent
    from gevent.queue import Queue

    q: Queue[int] = Queue(BUFFER)
    shares = _shares(n, producers)
    total_n = len(shares) * len(shares[0])

    def produce(r: range) -> None:
        put = q.put
        for i in r:
            put(i)

    get = q.get
    got = 0
    t0 = perf_counter()
    gs = [gevent.spawn(produce, r) for r in shares]
    for _ in range(total_n):
        got += get()
    total = perf_counter() - t0
    gevent.joinall(gs)
    check(got == _expect(total_n), "every message arrived once")
    return {"total": total, "ops": total_n}


def buffered_goless(n: int, producers: int = 1) -> Measurement:
    import goless

    ch = goless.chan(BUFFER)
    shares = _shares(n, producers)
    total_n = len(shares) * len(shares[0])

    def produce(r: range) -> None:
        send = ch.send
        for i in r:
            send(i)

    recv = ch.recv
    got = 0
    t0 = perf_counter()
    for r in shares:
        goless.go(produce, r)
    for _ in range(total_n):
        got += recv()
    total = perf_counter() - t0
    check(got == _expect(total_n), "every message arrived once")
    return {"total": total, "ops": total_n}


def buffered_asyncio(n: int, producers: int = 1) -> Measurement:
    import asyncio

    async def main() -> Measurement:
        q: asyncio.Queue[int] = asyncio.Queue(BUFFER)
        shares = _shares(n, producers)
        total_n = len(shares) * len(shares[0])

        async def produce(r: range) -> None:
            put = q.put
            for i in r:
                await put(i)

        get = q.get
        got = 0
        t0 = perf_counter()
        tasks = [asyncio.create_task(produce(r)) for r in shares]
        for _ in range(total_n):
            got += await get()
        total = perf_counter() - t0
        await asyncio.gather(*tasks)
        check(got == _expect(total_n), "every message arrived once")
        return {"total": total, "ops": total_n}

    return asyncio.run(main())


def buffered_trio(n: int, producers: int = 1) -> Measurement:
    import trio

    async def main() -> Measurement:
        send_ch, recv_ch = trio.open_memory_channel[int](BUFFER)
        shares = _shares(n, producers)
        total_n = len(shares) * len(shares[0])

        async def produce(r: range) -> None:
            send = send_ch.send
            for i in r:
                await send(i)

        receive = recv_ch.receive
        got = 0
        async with trio.open_nursery() as nursery:
            t0 = perf_counter()
            for r in shares:
                nursery.start_soon(produce, r)
            for _ in range(total_n):
                got += await receive()
            total = perf_counter() - t0
        check(got == _expect(total_n), "every message arrived once")
        return {"total": total, "ops": total_n}

    return trio.run(main)  # type: ignore[no-any-return]


def buffered_threading(n: int, producers: int = 1) -> Measurement:
    import queue

    q: queue.Queue[int] = queue.Queue(BUFFER)
    shares = _shares(n, producers)
    total_n = len(shares) * len(shares[0])

    def produce(r: range) -> None:
        put = q.put
        for i in r:
            put(i)

    threads = [threading.Thread(target=produce, args=(r,)) for r in shares]
    get = q.get
    got = 0
    t0 = perf_counter()
    for t in threads:
        t.start()
    for _ in range(total_n):
        got += get()
    total = perf_counter() - t0
    for t in threads:
        t.join()
    check(got == _expect(total_n), "every message arrived once")
    return {"total": total, "ops": total_n}


# ---- 8. select over 4 unbuffered channels -----------------------------------------------------


def select_cspy(n: int, procs: int) -> Measurement:
    import cspy

    Recv, select = cspy.Recv, cspy.select  # type: ignore[attr-defined]

    def main() -> Measurement:
        c0, c1, c2, c3 = chans = [cspy.Chan() for _ in range(SELECT_WAYS)]  # type: ignore[attr-defined]
        shares = _shares(n, SELECT_WAYS)
        total_n = len(shares) * len(shares[0])

        def produce(ch: Any, r: range) -> None:
            send = ch.send
            for i in r:
                send(i)

        got = 0
        t0 = perf_counter()
        for ch, r in zip(chans, shares):
            cspy.go(produce, ch, r)
        for _ in range(total_n):
            _, v, _ = select(Recv(c0), Recv(c1), Recv(c2), Recv(c3))
            got += v
        total = perf_counter() - t0
        check(got == _expect(total_n), "every message arrived once")
        return {"total": total, "ops": total_n, "switches": cspy.stats().switches}

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


def select_goless(n: int) -> Measurement:
    import goless

    rcase, select = goless.rcase, goless.select
    c0, c1, c2, c3 = chans = [goless.chan() for _ in range(SELECT_WAYS)]
    shares = _shares(n, SELECT_WAYS)
    total_n = len(shares) * len(shares[0])

    def produce(ch: Any, r: range) -> None:
        send = ch.send
        for i in r:
            send(i)

    got = 0
    t0 = perf_counter()
    for ch, r in zip(chans, shares):
        goless.go(produce, ch, r)
    for _ in range(total_n):
        _, v = select([rcase(c0), rcase(c1), rcase(c2), rcase(c3)])
        got += v
    total = perf_counter() - t0
    check(got == _expect(total_n), "every message arrived once")
    return {"total": total, "ops": total_n}


def select_trio(n: int) -> Measurement:
    """Emulated: trio has no select. Four forwarders merge the channels into one; the consumer
    receives from that. Same observable result (one message from whichever channel is ready),
    not the same mechanism: labelled as an emulation in the table."""
    import trio

    async def main() -> Measurement:
        pairs = [trio.open_memory_channel[int](0) for _ in range(SELECT_WAYS)]
        merged_s, merged_r = trio.open_memory_channel[int](0)
        shares = _shares(n, SELECT_WAYS)
        total_n = len(shares) * len(shares[0])

        async def produce(send_ch: Any, r: range) -> None:
            for i in r:
                await send_ch.send(i)

        async def forward(recv_ch: Any, count: int) -> None:
            for _ in range(count):
                await merged_s.send(await recv_ch.receive())

        got = 0
        async with trio.open_nursery() as nursery:
            t0 = perf_counter()
            for (s, r_ch), r in zip(pairs, shares):
                nursery.start_soon(produce, s, r)
                nursery.start_soon(forward, r_ch, len(r))
            receive = merged_r.receive
            for _ in range(total_n):
                got += await receive()
            total = perf_counter() - t0
        check(got == _expect(total_n), "every message arrived once")
        return {"total": total, "ops": total_n}

    return trio.run(main)  # type: ignore[no-any-return]


# ---- the registry -------------------------------------------------------------------------------

_P1, _P2 = "cspy procs=1", "cspy procs=2"
_PURE1 = "cspy pure procs=1"  # the pure-Python build (CSPY_PURE_PYTHON=1), same run
_CHAN = ("cspy:Chan",)
_SELECT = ("cspy:Chan", "cspy:select", "cspy:Recv")


def _buffered_impls(producers: int) -> tuple[Impl, ...]:
    kw = {"producers": producers}
    return (
        Impl(_P1, buffered_cspy, {"procs": 1, **kw}, requires=_CHAN),
        Impl(_PURE1, buffered_cspy, {"procs": 1, **kw}, requires=_CHAN, env=PURE),
        Impl(_P2, buffered_cspy, {"procs": 2, **kw}, requires=_CHAN),
        Impl("gevent", buffered_gevent, kw, requires=("gevent",), note="Queue(128)"),
        Impl("asyncio", buffered_asyncio, kw, note="Queue(128)"),
        Impl("trio", buffered_trio, kw, requires=("trio",), note="memory channel(128)"),
        Impl("threading", buffered_threading, kw, scale=0.1, note="queue.Queue(128), 1/10 size"),
        Impl("goless", buffered_goless, kw, requires=("goless",), note="chan(128), gevent backend"),
    )


WORKLOADS = (
    Workload(
        name="pingpong",
        title="unbuffered ping-pong round trip",
        n=100_000,
        quick_n=1_000,
        impls=(
            Impl(_P1, pingpong_cspy, {"procs": 1}, requires=_CHAN),
            Impl(_PURE1, pingpong_cspy, {"procs": 1}, requires=_CHAN, env=PURE),
            Impl(_P2, pingpong_cspy, {"procs": 2}, requires=_CHAN),
            Impl("gevent", pingpong_gevent, requires=("gevent",), note="queue.Channel"),
            Impl("asyncio", pingpong_asyncio, note="Queue(1) hand-off"),
            Impl("trio", pingpong_trio, requires=("trio",), note="memory channel(0)"),
            Impl("threading", pingpong_threading, scale=0.05, note="queue.Queue(1), 1/20 size"),
            Impl("goless", pingpong_goless, requires=("goless",), note="chan(), gevent backend"),
            Impl("greenlet (raw)", pingpong_greenlet, requires=("greenlet",), note="floor"),
        ),
        target=Target("greenlet (raw)", 3.0, (_P1,), compiled=2.0),
    ),
    Workload(
        name="buffered",
        title="buffered (cap 128) one-to-one, per message",
        n=200_000,
        quick_n=2_000,
        impls=_buffered_impls(1),
        target=Target("gevent", 1.0, (_P1,), compiled=0.8),
    ),
    Workload(
        name="fanin",
        title=f"{FAN_IN_PRODUCERS}-to-1 fan-in (cap 128), per message",
        n=200_000,
        quick_n=2_000,
        impls=_buffered_impls(FAN_IN_PRODUCERS),
        target=Target("gevent", 1.0, (_P1,), compiled=0.8),
    ),
    Workload(
        name="select",
        title=f"select over {SELECT_WAYS} unbuffered channels, {SELECT_WAYS} producers",
        n=100_000,
        quick_n=1_000,
        impls=(
            Impl(_P1, select_cspy, {"procs": 1}, requires=_SELECT),
            Impl(_PURE1, select_cspy, {"procs": 1}, requires=_SELECT, env=PURE),
            Impl("goless", select_goless, requires=("goless",), note="goless.select, gevent backend"),
            Impl("trio", select_trio, requires=("trio",), note="EMULATED: 4 forwarders -> 1 channel"),
        ),
        target=Target("goless", 0.3, (_P1,)),
    ),
)

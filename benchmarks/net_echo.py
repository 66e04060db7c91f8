"""Loopback TCP echo: requests/s and round-trip p50/p99 for cspy, trio and gevent.

Each implementation runs in a fresh process (``--impl NAME`` runs one and prints JSON) with the
same workload: one echo server and CONNS client connections in the same process, each client
sending ROUNDS small messages one at a time and waiting for the echo. Run:

    python benchmarks/net_echo.py                 # all three, then a table
    python benchmarks/net_echo.py --conns 100 --rounds 300 --size 64
    python benchmarks/net_echo.py --impl cspy --profile   # cProfile of the cspy run

cspy runs with ``procs=1`` (the default on a GIL build) unless ``--procs`` says otherwise; its row
also shows how many times the runtime's netpoll was polled ("polls"), how many of those blocked
an idle processor ("blocks"), and how many waiting tasks they readied ("readied").
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import time
from typing import Any

IMPLS = ("cspy", "trio", "gevent")


def summarize(lat: list[float], elapsed: float) -> dict[str, Any]:
    lat.sort()
    n = len(lat)
    return {
        "requests": n,
        "seconds": elapsed,
        "rps": n / elapsed,
        "p50_us": lat[n // 2] * 1e6,
        "p99_us": lat[min(n - 1, (n * 99) // 100)] * 1e6,
    }


def read_exactly_sock(recv: Any, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        data = recv(n - len(buf))
        if not data:
            raise EOFError
        buf += data
    return buf


# ---- cspy ----------------------------------------------------------------------------------


def bench_cspy(conns: int, rounds: int, size: int, procs: int, profile: bool) -> dict[str, Any]:
    sys.path.insert(0, ".")
    import cspy
    from cspy.scheduler import running

    msg = b"x" * size
    counters: dict[str, int] = {}

    def echo(conn: Any) -> None:
        with conn:
            while data := conn.read(65536):
                conn.write(data)

    def server(ln: Any) -> None:
        while True:
            try:
                conn = ln.accept()
            except cspy.net.ClosedError:
                return
            cspy.go(echo, conn)

    def client(addr: Any, lat: list[float], wg: Any) -> None:
        with cspy.net.dial(*addr) as conn:
            pc = time.perf_counter
            for _ in range(rounds):
                t0 = pc()
                conn.write(msg)
                got = conn.read(size)
                while len(got) < size:
                    got += conn.read(size - len(got))
                lat.append(pc() - t0)
        wg.done()

    def main() -> tuple[list[float], float]:
        ln = cspy.net.listen("127.0.0.1", 0, backlog=conns)
        cspy.go(server, ln)
        lat: list[float] = []
        wg = cspy.WaitGroup()
        wg.add(conns)
        t0 = time.perf_counter()
        for _ in range(conns):
            cspy.go(client, ln.addr, lat, wg)
        wg.wait()
        elapsed = time.perf_counter() - t0
        np = running().netpoll  # type: ignore[union-attr]
        counters["polls"], counters["blocks"], counters["readied"] = np.polls, np.blocks, np.readied
        ln.close()
        return lat, elapsed

    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        lat, elapsed = cspy.run(main, procs=procs)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        lat, elapsed = cspy.run(main, procs=procs)
    out = summarize(lat, elapsed)
    out["note"] = (
        f"procs={procs}, polls={counters['polls']}, blocks={counters['blocks']}, "
        f"readied={counters['readied']}"
    )
    return out


# ---- trio ----------------------------------------------------------------------------------


def bench_trio(conns: int, rounds: int, size: int) -> dict[str, Any]:
    import trio

    msg = b"x" * size

    async def echo(stream: Any) -> None:
        async with stream:
            while data := await stream.receive_some(65536):
                await stream.send_all(data)

    async def client(port: int, lat: list[float]) -> None:
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        async with stream:
            pc = time.perf_counter
            for _ in range(rounds):
                t0 = pc()
                await stream.send_all(msg)
                got = await stream.receive_some(size)
                while len(got) < size:
                    got += await stream.receive_some(size - len(got))
                lat.append(pc() - t0)

    async def main() -> tuple[list[float], float]:
        lat: list[float] = []
        async with trio.open_nursery() as server_nursery:
            listeners = await server_nursery.start(functools.partial(trio.serve_tcp, echo, 0, host="127.0.0.1"))
            port = listeners[0].socket.getsockname()[1]
            t0 = time.perf_counter()
            async with trio.open_nursery() as clients:
                for _ in range(conns):
                    clients.start_soon(client, port, lat)
            elapsed = time.perf_counter() - t0
            server_nursery.cancel_scope.cancel()
        return lat, elapsed

    lat, elapsed = trio.run(main)
    return summarize(lat, elapsed)


# ---- gevent --------------------------------------------------------------------------------


def bench_gevent(conns: int, rounds: int, size: int) -> dict[str, Any]:
    from gevent import monkey

    monkey.patch_all()
    import gevent
    import gevent.server
    import socket

    msg = b"x" * size

    def echo(sock: Any, _addr: Any) -> None:
        with sock:
            while data := sock.recv(65536):
                sock.sendall(data)

    server = gevent.server.StreamServer(("127.0.0.1", 0), echo, backlog=conns)
    server.start()
    port = server.address[1]
    lat: list[float] = []

    def client() -> None:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pc = time.perf_counter
            for _ in range(rounds):
                t0 = pc()
                s.sendall(msg)
                read_exactly_sock(s.recv, size)
                lat.append(pc() - t0)

    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(client) for _ in range(conns)], raise_error=True)
    elapsed = time.perf_counter() - t0
    server.stop()
    return summarize(lat, elapsed)


# ---- driver --------------------------------------------------------------------------------


def run_one(args: argparse.Namespace) -> None:
    if args.impl == "cspy":
        out = bench_cspy(args.conns, args.rounds, args.size, args.procs, args.profile)
    elif args.impl == "trio":
        out = bench_trio(args.conns, args.rounds, args.size)
    else:
        out = bench_gevent(args.conns, args.rounds, args.size)
    out["impl"] = args.impl
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", choices=IMPLS, help="run one implementation in this process (JSON out)")
    ap.add_argument("--conns", type=int, default=100, help="concurrent connections (default 100)")
    ap.add_argument("--rounds", type=int, default=300, help="round trips per connection (default 300)")
    ap.add_argument("--size", type=int, default=64, help="message size in bytes (default 64)")
    ap.add_argument("--procs", type=int, default=1, help="cspy processors (default 1)")
    ap.add_argument("--profile", action="store_true", help="with --impl cspy: cProfile to stderr")
    ap.add_argument("--json", action="store_true", help="print the results as JSON, not a table")
    args = ap.parse_args()
    if args.impl:
        run_one(args)
        return
    results = []
    for impl in IMPLS:
        cmd = [sys.executable, __file__, "--impl", impl, "--conns", str(args.conns),
               "--rounds", str(args.rounds), "--size", str(args.size), "--procs", str(args.procs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            results.append({"impl": impl, "error": proc.stderr.strip().splitlines()[-1:]})
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"loopback echo: {args.conns} connections x {args.rounds} round trips, {args.size}-byte messages")
    print(f"{'impl':<8} {'requests/s':>11} {'p50 us':>9} {'p99 us':>9}  notes")
    trio_rps = next((r["rps"] for r in results if r.get("impl") == "trio" and "rps" in r), None)
    for r in results:
        if "error" in r:
            print(f"{r['impl']:<8} failed: {r['error']}")
            continue
        rel = f"  ({r['rps'] / trio_rps:.2f}x trio)" if trio_rps else ""
        print(f"{r['impl']:<8} {r['rps']:>11,.0f} {r['p50_us']:>9,.0f} {r['p99_us']:>9,.0f}  "
              f"{r.get('note', '')}{rel}")


if __name__ == "__main__":
    main()

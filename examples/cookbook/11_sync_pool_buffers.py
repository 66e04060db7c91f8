"""Buffer reuse: a sync.Pool of scratch buffers against a fresh bytearray per request.

Go idiom: the first advice on memory in a hot path is to reuse objects through `sync.Pool`
(fmt and encoding/json keep their buffers in one). Here --tasks tasks each handle --requests
requests; a request copies its message (0.5 to 8 KiB) into a --size read buffer, yields while
"waiting for the rest of the request" with the buffer held, and checksums what it wrote.
"alloc" makes a new bytearray per request; "pool" gets one from a `cspy.sync.Pool` and puts it
back. A fresh bytearray is zero-filled in full however little of it a message uses, and a large
one may come from mmap (glibc's threshold starts at 128 KiB), paying a system call and page
faults; a reused buffer pays neither. The rounds are interleaved; the median is printed.

A pooled buffer still holds an earlier request's bytes: a request uses only the part it wrote
(a memoryview of its length), the rule Go's `bytes.Buffer.Reset` enforces. Both modes must give
the same checksums. Printed per mode: time per request and buffers allocated per round.

Live view (`cspy examples run sync_pool_buffers --live --requests 20000`): every worker stays
runnable, in either mode (only main waits, in WaitGroup.wait): a pool never parks a task, and in
the common case its get and put take no lock.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import zlib
from collections.abc import Callable

import cspy

def handle(rid: int, size: int, src: memoryview, get: Callable[[], bytearray],
           put: Callable[[bytearray], None]) -> int:
    """One request: copy its payload into a buffer, yield holding it, checksum what was written."""
    n = min(size, 512 * (1 + rid % 16))  # messages of 0.5..8 KiB: stale bytes stay behind
    off = rid % 4096
    buf = get()
    buf[:n] = src[off:off + n]
    cspy.gosched()  # the buffer is held across a switch, so other tasks need buffers of their own
    crc = zlib.crc32(memoryview(buf)[:n])  # only the part this request wrote
    put(buf)
    return crc


def serve(mode: str, tasks: int, requests: int, size: int, src: bytes) -> tuple[float, int, list[int]]:
    """Run every request; (seconds, buffers allocated, checksum per request id)."""
    made = cspy.AtomicInt()

    def new() -> bytearray:
        made.add(1)
        return bytearray(size)

    if mode == "pool":
        pool = cspy.sync.Pool(new)
        get: Callable[[], bytearray] = pool.get  # type: ignore[assignment]
        put: Callable[[bytearray], None] = pool.put
    else:
        get, put = new, lambda buf: None  # dropped: freed when the last reference goes

    results = [-1] * (tasks * requests)  # task t owns the slots t, t + tasks, ...
    wg = cspy.WaitGroup()

    def worker(t: int) -> None:
        # A view of its own: on a free-threaded build, slicing one memoryview from several
        # processors at once races on its export count ("released memoryview object").
        view = memoryview(src)
        for rid in range(t, tasks * requests, tasks):
            results[rid] = handle(rid, size, view, get, put)

    start = time.perf_counter()
    for t in range(tasks):
        wg.go(worker, t)
    wg.wait()
    return time.perf_counter() - start, made.load(), results


def program(tasks: int, requests: int, size: int, rounds: int) -> None:
    src = random.Random(11).randbytes(size + 4096)
    total = tasks * requests
    print(f"{tasks} tasks x {requests} requests, {size // 1024} KiB buffers, messages of "
          f"0.5..8 KiB, a switch while each buffer is held; median of {rounds} rounds")
    times: dict[str, list[float]] = {"alloc": [], "pool": []}
    made: dict[str, int] = {}
    results: dict[str, list[int]] = {}
    for mode in times:
        serve(mode, tasks, min(requests, 20), size, src)  # warm up the allocator and caches
    for _ in range(rounds):  # interleaved, so a burst of load on the machine hits both modes
        for mode in times:
            seconds, made[mode], results[mode] = serve(mode, tasks, requests, size, src)
            times[mode].append(seconds)
    for mode, runs in times.items():
        per = statistics.median(runs) / total * 1e6
        print(f"{mode:<6} {per:8.1f} us/request (slowest {max(runs) / total * 1e6:.1f})  "
              f"buffers allocated {made[mode]:>6} per round  "
              f"({made[mode] * size / 2**20:,.1f} MiB)  checksum {sum(results[mode]) & 0xFFFFFFFF:08x}")
    a, p = statistics.median(times["alloc"]), statistics.median(times["pool"])
    print(f"every request handled once: {all(r >= 0 for m in results for r in results[m])}; "
          f"same results: {results['alloc'] == results['pool']}")
    print(f"pool saved {(a - p) / total * 1e6:.1f} us per request ({a / p:.1f}x) and "
          f"{made['alloc'] - made['pool']} of {made['alloc']} allocations")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=8, help="concurrent tasks (default 8)")
    parser.add_argument("--requests", type=int, default=500, help="requests per task (default 500)")
    parser.add_argument("--size", type=int, default=1 << 20, help="buffer bytes (default 1 MiB)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per mode (default 3)")
    args = parser.parse_args(argv)
    if args.size < 8192 or min(args.tasks, args.requests, args.rounds) < 1:
        parser.error("--size must be at least 8192 bytes; --tasks, --requests, --rounds at least 1")
    cspy.run(program, args.tasks, args.requests, args.size, args.rounds)


if __name__ == "__main__":
    main()

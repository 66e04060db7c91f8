"""Batch processing in parallel chunks: throughput against the number of chunks.

Go idiom: split a big batch into chunks and process them concurrently with
`golang.org/x/sync/errgroup` (`g.Go(func() error { return insert(chunk) })`, then `g.Wait()`,
which returns the first error). One chunk wastes the parallelism the backend offers; too many
pay the per-chunk overhead (a round trip, a transaction) over and over and queue on the
backend's --connections. Each chunk here costs --overhead seconds plus --per-item seconds per
item, on a backend that serves --connections chunks at once; the table shows the sweet spot
near the connection count. Every run must process every item exactly once.

Live view (`cspy examples run batch_chunks --live --items 200000 --chunks 1,8,64,512`): the
chunk tasks park on "semacquire" (waiting for a connection) and "sleep" (being processed).
"""

from __future__ import annotations

import argparse
import time

import cspy
from cspy.x import errgroup


class Backend:
    """Processes a chunk: a fixed overhead plus a cost per item, `connections` chunks at once."""

    def __init__(self, connections: int, overhead: float, per_item: float) -> None:
        self.connections = cspy.Semaphore(connections)
        self.overhead = overhead
        self.per_item = per_item

    def process(self, chunk: range) -> int:
        with self.connections:
            cspy.sleep(self.overhead + self.per_item * len(chunk))
            return sum(chunk)  # the "result" of processing: lets us check every item counted


def split(items: int, chunks: int) -> list[range]:
    size = -(-items // chunks)  # ceiling division: the last chunk may be shorter
    return [range(start, min(start + size, items)) for start in range(0, items, size)]


def run_batch(backend: Backend, items: int, chunks: int) -> tuple[float, int]:
    parts = split(items, chunks)
    sums = [0] * len(parts)  # one slot per chunk: no two tasks write the same place

    def process(i: int) -> None:
        sums[i] = backend.process(parts[i])

    start = time.monotonic()
    g = errgroup.Group()
    for i in range(len(parts)):
        g.go(process, i)
    g.wait()  # re-raises the first chunk's error, if any
    return time.monotonic() - start, sum(sums)


def program(items: int, chunk_counts: list[int], connections: int, overhead: float,
            per_item: float) -> None:
    print(f"{items} items, backend with {connections} connections, "
          f"{overhead * 1000:g} ms per chunk + {per_item * 1e6:g} us per item")
    print(f"{'chunks':>7} {'seconds':>8} {'items/s':>10}  all items once")
    expected = items * (items - 1) // 2
    for chunks in chunk_counts:
        seconds, total = run_batch(Backend(connections, overhead, per_item), items, chunks)
        print(f"{chunks:>7} {seconds:>8.3f} {items / seconds:>10,.0f}  {total == expected}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=4000, help="items in the batch (default 4000)")
    parser.add_argument("--chunks", default="1,2,4,8,16,64,256",
                        help="comma-separated chunk counts (default 1,2,4,8,16,64,256)")
    parser.add_argument("--connections", type=int, default=8, help="backend parallelism (default 8)")
    parser.add_argument("--overhead", type=float, default=0.005, help="seconds per chunk (default 0.005)")
    parser.add_argument("--per-item", type=float, default=0.00005, help="seconds per item (default 0.00005)")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.chunks.split(",")]
    cspy.run(program, args.items, counts, args.connections, args.overhead, args.per_item)


if __name__ == "__main__":
    main()

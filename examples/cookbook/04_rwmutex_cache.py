"""RWMutex cache: many readers share a read lock; the rare writer gets the cache alone.

Go idiom: a read-mostly map behind `sync.RWMutex` -- `mu.RLock(); defer mu.RUnlock()` in `Get`,
`mu.Lock()` in `Set`. Readers overlap with each other, so when a read takes time (here --read
seconds: a copy, a serialisation) the cache serves them all at once, where a plain Mutex would
queue them one by one. Writers are exclusive and are not starved by a stream of readers.

Live view (`cspy examples run rwmutex_cache --live --readers 1000 --seconds 5`): with the
Mutex, readers queue on "sync.Mutex.Lock"; with the RWMutex they sleep side by side inside the lock.
"""

from __future__ import annotations

import argparse
import time
from contextlib import AbstractContextManager
from typing import Any

import cspy


class Cache:
    """A map guarded by a Mutex (rw=False) or an RWMutex (rw=True); tracks who is inside."""

    def __init__(self, rw: bool, read_time: float) -> None:
        self.write_lock: AbstractContextManager[Any]
        self.read_lock: AbstractContextManager[Any]
        if rw:
            rwmutex = cspy.RWMutex()
            self.write_lock, self.read_lock = rwmutex, rwmutex.rlocker()
        else:
            self.write_lock = self.read_lock = cspy.Mutex()  # readers exclude each other too
        self.data: dict[str, int] = {}
        self.read_time = read_time
        self.readers_inside = cspy.AtomicInt()
        self.peak_readers = cspy.AtomicInt()
        self.readers_seen_by_writers = cspy.AtomicInt()

    def get(self, key: str) -> int | None:
        with self.read_lock:
            inside = self.readers_inside.add(1)
            peak = self.peak_readers.load()
            while inside > peak and not self.peak_readers.compare_and_swap(peak, inside):
                peak = self.peak_readers.load()
            cspy.sleep(self.read_time)  # the read takes a while
            self.readers_inside.add(-1)
            return self.data.get(key)

    def set(self, key: str, value: int) -> None:
        with self.write_lock:
            self.readers_seen_by_writers.add(self.readers_inside.load())  # must stay 0
            self.data[key] = value


def workload(rw: bool, readers: int, writers: int, reads: int, read_time: float) -> None:
    cache = Cache(rw, read_time)
    wg = cspy.WaitGroup()
    writes = cspy.AtomicInt()

    def reader(i: int) -> None:
        try:
            for n in range(reads):
                cache.get(f"key{(i + n) % 10}")
        finally:
            wg.done()

    def writer(i: int) -> None:
        try:
            for n in range(reads // 5):
                cache.set(f"key{n % 10}", i * 1000 + n)
                writes.add(1)
                cspy.sleep(read_time)
        finally:
            wg.done()

    start = time.monotonic()
    for i in range(readers):
        wg.add(1)
        cspy.go(reader, i)
    for i in range(writers):
        wg.add(1)
        cspy.go(writer, i)
    wg.wait()
    elapsed = time.monotonic() - start
    name = "RWMutex" if rw else "Mutex"
    print(f"{name:<8} {readers * reads} reads, {writes.load()} writes in {elapsed:.3f}s "
          f"({readers * reads / elapsed:,.0f} reads/s); peak readers inside: "
          f"{cache.peak_readers.load()}; readers inside during a write: "
          f"{cache.readers_seen_by_writers.load()}")


def program(readers: int, writers: int, reads: int, read_time: float) -> None:
    workload(False, readers, writers, reads, read_time)
    workload(True, readers, writers, reads, read_time)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50, help="reader tasks (default 50)")
    parser.add_argument("--writers", type=int, default=2, help="writer tasks (default 2)")
    parser.add_argument("--reads", type=int, default=10, help="reads per reader (default 10)")
    parser.add_argument("--read", type=float, default=0.001, help="seconds per read (default 0.001)")
    args = parser.parse_args(argv)
    cspy.run(program, args.readers, args.writers, args.reads, args.read)


if __name__ == "__main__":
    main()

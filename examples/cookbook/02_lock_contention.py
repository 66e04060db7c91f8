"""Lock contention: one Mutex vs an AtomicInt vs a sharded lock, timed under the same load.

Go idiom: a hot counter behind one `sync.Mutex` serialises every task that touches it; Go code
reaches for `atomic.Int64` when the critical section is one update, and for sharding (one lock
per shard, like a striped map) when it is bigger. Here each update holds its lock across a
--latency wait (a write-ahead log, a remote call) -- exactly what makes one lock the
bottleneck: every other task queues behind the holder, so the waits add up instead of
overlapping. Sharding divides the queue by --shards; the atomic takes the wait outside any
lock, so all waits overlap. All three must count exactly.

Live view (`cspy examples run lock_contention --live --tasks 1000 --ops 2000`): during the
mutex phase nearly every task is parked on "sync.Mutex.Lock"; during the sharded phase far fewer.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import cspy


class MutexCounter:
    def __init__(self, latency: float) -> None:
        self.mu = cspy.Mutex()
        self.value = 0
        self.latency = latency

    def inc(self, _task: int) -> None:
        with self.mu:
            value = self.value
            cspy.sleep(self.latency)  # a wait inside the critical section: everyone else queues
            self.value = value + 1

    def total(self) -> int:
        return self.value


class ShardedCounter:
    def __init__(self, shards: int, latency: float) -> None:
        self.shards = [MutexCounter(latency) for _ in range(shards)]

    def inc(self, task: int) -> None:
        self.shards[task % len(self.shards)].inc(task)  # tasks spread over the shards

    def total(self) -> int:
        return sum(s.total() for s in self.shards)


class AtomicCounter:
    def __init__(self, latency: float) -> None:
        self.value = cspy.AtomicInt()
        self.latency = latency

    def inc(self, _task: int) -> None:
        self.value.add(1)  # the whole update is one atomic step
        cspy.sleep(self.latency)  # the same wait, outside any lock: the waits overlap

    def total(self) -> int:
        return self.value.load()


def hammer(counter: MutexCounter | ShardedCounter | AtomicCounter, tasks: int, ops: int) -> float:
    wg = cspy.WaitGroup()

    def worker(task: int) -> None:
        try:
            for _ in range(ops):
                counter.inc(task)
        finally:
            wg.done()

    start = time.monotonic()
    for task in range(tasks):
        wg.add(1)
        cspy.go(worker, task)
    wg.wait()
    return time.monotonic() - start


def program(tasks: int, ops: int, shards: int, latency: float) -> None:
    contenders: list[tuple[str, Callable[[], MutexCounter | ShardedCounter | AtomicCounter]]] = [
        ("one Mutex", lambda: MutexCounter(latency)),
        (f"sharded x{shards}", lambda: ShardedCounter(shards, latency)),
        ("AtomicInt", lambda: AtomicCounter(latency)),
    ]
    print(f"{tasks} tasks x {ops} increments each, {latency * 1000:g} ms of waiting per increment")
    for name, make in contenders:
        counter = make()
        seconds = hammer(counter, tasks, ops)
        total = counter.total()
        print(f"{name:<12} {seconds:6.3f}s  {total / seconds:>10,.0f} ops/s  "
              f"total {total} (exact: {total == tasks * ops})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100, help="contending tasks (default 100)")
    parser.add_argument("--ops", type=int, default=5, help="increments per task (default 5)")
    parser.add_argument("--shards", type=int, default=16, help="locks in the sharded counter (default 16)")
    parser.add_argument("--latency", type=float, default=0.001, help="wait per increment (default 0.001 s)")
    args = parser.parse_args(argv)
    cspy.run(program, args.tasks, args.ops, args.shards, args.latency)


if __name__ == "__main__":
    main()

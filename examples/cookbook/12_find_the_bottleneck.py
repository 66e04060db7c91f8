"""Finding a bottleneck with the block profile and an execution trace, before and after a fix.

Go idiom: when a service is slower than its work explains, ask the runtime where the tasks wait
(`go tool pprof http://localhost:6060/debug/pprof/block`) and who wakes whom (`go tool trace`).
Here a pool of workers handles requests; each request records its latency in a shared stats
table, and the table's lock is held across a short wait (a flush, an RPC). The program runs
twice -- one lock, then the table sharded by key -- with `cspy.pprof.set_block_profile_rate(1)`
and an execution trace (`cspy.run(main, trace=...)`) on, and prints what each shows: the block
profile's top waits (the one-lock run's are all at `Mutex.lock`, labelled `lock`), the trace's
share of task time spent waiting by reason, and the throughput. The fix shows in all three.

Live view (`cspy examples run find_the_bottleneck --live --requests 4000`): in the one-lock run
nearly every worker is parked on "sync.Mutex.Lock"; in the sharded run most are asleep in their
own work instead.

To look yourself: `cspy examples run find_the_bottleneck --trace-dir /tmp/t`, then open
/tmp/t/one_lock.json in ui.perfetto.dev, `cspy trace summary /tmp/t/one_lock.json`, and
`go tool pprof -top /tmp/t/one_lock.block.pb.gz`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from collections import Counter
from typing import Any

import cspy


class Stats:
    """Latency totals per endpoint behind one lock, held across a short wait."""

    def __init__(self, hold: float) -> None:
        self.mu = cspy.Mutex()
        self.totals: Counter[str] = Counter()
        self.hold = hold

    def record(self, key: str, latency: float) -> None:
        with self.mu:
            self.totals[key] += 1
            cspy.sleep(self.hold)  # e.g. flushing to a log while holding the lock


class ShardedStats:
    """The same table split by key: a request waits only for requests of its own shard."""

    def __init__(self, shards: int, hold: float) -> None:
        self.shards = [Stats(hold) for _ in range(shards)]

    def record(self, key: str, latency: float) -> None:
        self.shards[hash(key) % len(self.shards)].record(key, latency)

    @property
    def totals(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for s in self.shards:
            out.update(s.totals)
        return out


def serve(stats: Stats | ShardedStats, workers: int, requests: int, keys: int) -> float:
    jobs: cspy.Chan[str] = cspy.Chan(64, name="requests")
    wg = cspy.WaitGroup()

    def worker() -> None:
        for key in jobs:
            cspy.sleep(0.0002)  # the request's own work
            stats.record(key, 0.0002)
        wg.done()

    for _ in range(workers):
        wg.add(1)
        cspy.go(worker, name="worker")
    start = time.monotonic()
    for i in range(requests):
        jobs.send(f"/endpoint/{i % keys}")
    jobs.close()
    wg.wait()
    return time.monotonic() - start


def _program(path: str) -> bool:
    """A frame of the program, not of cspy (an installed cspy's examples are programs too)."""
    return "/cspy/" not in path or "/cspy/examples/" in path


def top_waits(records: dict[Any, tuple[float, int]], n: int = 3) -> list[tuple[str, str, float]]:
    """(where, what, ms) for the block profile's biggest waits: the innermost frame of the
    program's own code, and the wait's reason/object labels."""
    totals: Counter[tuple[str, str]] = Counter()
    for (stack, labels), (_count, delay) in records.items():
        lab = dict(labels)
        what = lab["reason"] + (f" on {lab['chan']}" if "chan" in lab else " (lock)" if "lock" in lab else "")
        where = next((name for f, name, _l, _n in stack if _program(f)), "?")
        totals[(where, what)] += delay
    return [(w, what, d / 1e6) for (w, what), d in totals.most_common(n)]


def waiting_shares(doc: dict[str, Any]) -> dict[str, float]:
    """Share of all task time (running + runnable + waiting) spent in each wait reason."""
    waits: Counter[str] = Counter()
    total = 0.0
    for t in doc["cspyTasks"]:
        if t["name"] != "worker":
            continue
        total += t["running_us"] + t["runnable_us"] + sum(t["waiting_us"].values())
        waits.update(t["waiting_us"])
    return {r: us / total for r, us in waits.items()} if total else {}


def measure(label: str, make: Any, args: argparse.Namespace) -> None:
    before = cspy.pprof.snapshot("block")  # the profile accumulates across runs, as Go's does
    cspy.pprof.set_block_profile_rate(1)
    out = io.StringIO()
    stats = make()
    try:
        seconds = cspy.run(serve, stats, args.workers, args.requests, args.keys, trace=out)
        records = cspy.pprof.delta(before, cspy.pprof.snapshot("block"))
    finally:
        cspy.pprof.set_block_profile_rate(0)
    doc = json.loads(out.getvalue())
    if args.trace_dir:
        os.makedirs(args.trace_dir, exist_ok=True)
        with open(os.path.join(args.trace_dir, f"{label}.json"), "w") as f:
            f.write(out.getvalue())
        with open(os.path.join(args.trace_dir, f"{label}.block.pb.gz"), "wb") as fb:
            fb.write(cspy.pprof.profile_bytes("block", records=records))
    total = sum(stats.totals.values())
    mutex_ms = sum(d for (_s, labels), (_c, d) in records.items() if dict(labels)["reason"] == "sync.Mutex.Lock") / 1e6
    print(f"== {label}: {total} requests in {seconds:.3f}s, {total / seconds:,.0f} req/s (exact: {total == args.requests})")
    print(f"  block profile: {mutex_ms:.1f} ms waited at Mutex.lock in total")
    for where, what, ms in top_waits(records):
        print(f"  top wait: {ms:9.1f} ms  {what:<32} at {where}")
    shares = waiting_shares(doc)
    for reason, share in sorted(shares.items(), key=lambda kv: -kv[1])[:3]:
        print(f"  trace: workers spent {share * 100:5.1f}% of their time in {reason}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=32, help="worker tasks (default 32)")
    parser.add_argument("--requests", type=int, default=400, help="requests to serve (default 400)")
    parser.add_argument("--keys", type=int, default=64, help="distinct endpoints (default 64)")
    parser.add_argument("--shards", type=int, default=16, help="shards of the fixed table (default 16)")
    parser.add_argument("--hold", type=float, default=0.0005, help="seconds the lock is held per request (default 0.0005)")
    parser.add_argument("--trace-dir", default="", help="also write each run's trace and block profile here")
    args = parser.parse_args(argv)
    measure("one_lock", lambda: Stats(args.hold), args)
    measure("sharded", lambda: ShardedStats(args.shards, args.hold), args)


if __name__ == "__main__":
    main()

"""Singleflight cache: collapse a cache stampede so the database sees one query per key.

Go idiom: cache-aside (`v, ok := cache.Get(k); if !ok { v = db.Query(k); cache.Set(k, v) }`)
with `golang.org/x/sync/singleflight` in front of the database: `group.Do(key, load)` runs
`load` once per key while it is in flight and hands the same result to every caller that asked
meanwhile. Without it, a cold cache under load (a deploy, an expiry) sends every concurrent
request for a key to the database at once -- the stampede. The database here is real: sqlite3
on a temporary file, queried through `cspy.blocking` (only the asking task waits; its processor
keeps running the others), with --latency seconds added per query to play a busy server.

Live view (`cspy examples run singleflight_cache --live --requests 5000 --latency 1`): naive,
the "blocking call" count spikes to one per request; with singleflight, to one per key while all
other requests park waiting for the leader's result.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import cspy
from cspy.x import singleflight


class Database:
    """A products table in sqlite3; every query is counted."""

    def __init__(self, path: Path, keys: int, latency: float) -> None:
        self.path = path
        self.latency = latency
        self.hits = cspy.AtomicInt()
        self.hits_by_key = {k: cspy.AtomicInt() for k in range(keys)}
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL)")
            conn.executemany(
                "INSERT INTO products VALUES (?, ?, ?)",
                [(k, f"product-{k}", 9.99 + k) for k in range(keys)],
            )

    def _query(self, key: int) -> tuple[str, float]:
        """Runs on an offload thread: a connection of its own, a slow server, one row."""
        time.sleep(self.latency)  # a busy database server
        with sqlite3.connect(self.path) as conn:
            row = conn.execute("SELECT name, price FROM products WHERE id = ?", (key,)).fetchone()
        return row[0], row[1]

    def get_product(self, key: int) -> tuple[str, float]:
        self.hits.add(1)
        self.hits_by_key[key].add(1)
        return cspy.blocking(self._query, key)


class Cache:
    """Cache-aside in front of the database, optionally with singleflight on a miss."""

    def __init__(self, db: Database, use_singleflight: bool) -> None:
        self.db = db
        self.data: dict[int, tuple[str, float]] = {}
        self.mu = cspy.Mutex()
        self.group: singleflight.Group[tuple[str, float]] | None = (
            singleflight.Group() if use_singleflight else None
        )

    def get(self, key: int) -> tuple[str, float]:
        cached = self._lookup(key)
        if cached is not None:
            return cached
        if self.group is None:
            return self._load(key)  # every concurrent miss queries the database
        # Inside the flight, look again first: a request that missed the cache just as the
        # previous flight for its key stored the value finds it there instead of querying again.
        value, _shared = self.group.do(key, lambda: self._lookup(key) or self._load(key))
        return value

    def _lookup(self, key: int) -> tuple[str, float] | None:
        with self.mu:
            return self.data.get(key)

    def _load(self, key: int) -> tuple[str, float]:
        """Query the database and cache the answer."""
        value = self.db.get_product(key)
        with self.mu:
            self.data[key] = value
        return value


def stampede(db: Database, use_singleflight: bool, keys: int, requests: int) -> tuple[float, bool]:
    cache = Cache(db, use_singleflight)
    answers = cspy.Chan[tuple[int, tuple[str, float]]](requests)
    start = time.monotonic()
    for i in range(requests):  # a cold cache, and every request arrives at once
        key = i % keys
        cspy.go(lambda key=key: answers.send((key, cache.get(key))))
    correct = all(value == (f"product-{k}", 9.99 + k)
                  for k, value in (answers.recv() for _ in range(requests)))
    return time.monotonic() - start, correct


def program(keys: int, requests: int, latency: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for use_singleflight in (False, True):
            db = Database(Path(tmp) / f"shop-{use_singleflight}.db", keys, latency)
            seconds, correct = stampede(db, use_singleflight, keys, requests)
            name = "with singleflight" if use_singleflight else "naive cache-aside"
            per_key = sorted({hits.load() for hits in db.hits_by_key.values()})
            print(f"{name:<18} {requests} requests for {keys} keys: {db.hits.load()} database "
                  f"queries (per key: {per_key}), {seconds:.2f}s, answers correct: {correct}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=5, help="distinct products (default 5)")
    parser.add_argument("--requests", type=int, default=200, help="concurrent requests (default 200)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per query (default 0.02)")
    args = parser.parse_args(argv)
    cspy.run(program, args.keys, args.requests, args.latency)


if __name__ == "__main__":
    main()

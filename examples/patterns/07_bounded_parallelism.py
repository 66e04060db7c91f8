"""Bounded parallelism: hash every file under a folder with exactly --workers digesters.

Go idiom (the Go blog's pipelines article, "bounded parallelism"): `MD5All` walks the tree in
one goroutine sending paths, a fixed number of `digester` goroutines read and hash them, and
the results come back on a channel. Memory and open files stay bounded by the worker count, no
matter how many files there are. The file reads go through `cspy.blocking`, so a slow disk
stalls only the task that reads, never its processor. The default folder is the installed
cspy package itself.

Live view (`cspy examples run bounded_parallelism --live --root /usr/lib --workers 8`):
exactly --workers tasks busy in "blocking call" or "chan receive", a walker ahead of them.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

import cspy


def walk(done: cspy.RecvChan[None], root: Path, paths: cspy.SendChan[Path]) -> None:
    try:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")  # compiled copies: skip
            for name in sorted(files):
                index, _, _ = cspy.select(cspy.Send(paths, Path(folder) / name), cspy.Recv(done))
                if index == 1:
                    return
    finally:
        paths.close()


def read_and_hash(path: Path) -> tuple[str, int]:
    data = path.read_bytes()  # runs on an offload thread
    return hashlib.md5(data).hexdigest(), len(data)


def record_peak(peak: cspy.AtomicInt, now: int) -> None:
    """Raise ``peak`` to ``now`` if it is lower (a compare-and-swap loop, as in Go)."""
    seen = peak.load()
    while now > seen and not peak.compare_and_swap(seen, now):
        seen = peak.load()


def digester(paths: cspy.RecvChan[Path], results: cspy.SendChan[tuple[Path, str, int]],
             busy: cspy.AtomicInt, peak: cspy.AtomicInt) -> None:
    for path in paths:
        record_peak(peak, busy.add(1))
        try:
            digest, size = cspy.blocking(read_and_hash, path)
        except OSError as exc:  # unreadable: report, keep going
            digest, size = f"error: {exc.strerror}", 0
        finally:
            busy.add(-1)
        results.send((path, digest, size))


def md5_all(root: Path, workers: int) -> tuple[dict[Path, str], int, int]:
    done = cspy.Chan[None]()
    paths = cspy.Chan[Path]()
    results = cspy.Chan[tuple[Path, str, int]]()
    busy, peak = cspy.AtomicInt(), cspy.AtomicInt()
    cspy.go(walk, done.recv_only(), root, paths.send_only())
    wg = cspy.WaitGroup()

    def run_digester() -> None:
        try:
            digester(paths.recv_only(), results.send_only(), busy, peak)
        finally:
            wg.done()

    def close_when_done() -> None:  # Go: go func() { wg.Wait(); close(results) }()
        wg.wait()
        results.close()

    for _ in range(workers):
        wg.add(1)
        cspy.go(run_digester)
    cspy.go(close_when_done)
    sums: dict[Path, str] = {}
    total = 0
    for path, digest, size in results:
        sums[path] = digest
        total += size
    done.close()
    return sums, total, peak.load()


def program(root: Path, workers: int, show: int) -> None:
    sums, total, peak = md5_all(root, workers)
    for path in sorted(sums)[:show]:
        print(f"{sums[path]}  {path.relative_to(root)}")
    tree = hashlib.md5("".join(f"{p.relative_to(root)}:{d}\n" for p, d in sorted(sums.items())).encode())
    print(f"hashed {len(sums)} files ({total} bytes) under {root} with {workers} workers")
    print(f"peak concurrent digesters: {peak} (limit {workers})")
    print(f"tree digest: {tree.hexdigest()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(cspy.__file__).resolve().parent,
                        help="folder to hash (default: the installed cspy package)")
    parser.add_argument("--workers", type=int, default=4, help="digester tasks (default 4)")
    parser.add_argument("--show", type=int, default=5, help="digests to print (default 5)")
    args = parser.parse_args(argv)
    cspy.run(program, args.root.resolve(), args.workers, args.show)


if __name__ == "__main__":
    main()

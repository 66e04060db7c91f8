"""One measurement in a fresh interpreter: ``python -m benchmarks.child WORKLOAD IMPL N``.

The runner starts this once per (workload, implementation, repeat). It runs a warm-up of a
tenth of the size (imports, first-call caches, greenlet stacks; skipped for memory workloads),
collects garbage, runs the measured size once and prints one line::

    RESULT {"value": <ns per op or bytes per task>, "ops": ..., "extra": {...}}

``--profile`` runs the measured part under cProfile and prints the 30 most expensive functions
(by own time) to stderr: the way to see where a missed target's time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
from typing import Any

from benchmarks.registry import find
from benchmarks.spec import Measurement

PREFIX = "RESULT "


def measure(workload: str, impl: str, n: int, profile: bool = False) -> dict[str, Any]:
    w = find(workload)
    im = w.impl(impl)
    if w.warmup:
        im.fn(max(1, n // 10), **im.kwargs)
    gc.collect()
    if profile:
        prof = cProfile.Profile()
        m: Measurement = prof.runcall(im.fn, n, **im.kwargs)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    else:
        m = im.fn(n, **im.kwargs)
    total, ops = float(m.pop("total")), int(m.pop("ops"))
    per_op = total / ops * (1e9 if w.unit == "ns/op" else 1.0)
    if "switches" in m:
        m["switches_per_op"] = round(m.pop("switches") / ops, 3)
    return {"value": per_op, "ops": ops, "extra": m}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.child", description=__doc__)
    ap.add_argument("workload")
    ap.add_argument("impl")
    ap.add_argument("n", type=int)
    ap.add_argument("--profile", action="store_true", help="cProfile the measured run")
    args = ap.parse_args(argv)
    result = measure(args.workload, args.impl, args.n, args.profile)
    sys.stdout.write(PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: unwinding 100,000 parked greenlets is not part of any figure.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())

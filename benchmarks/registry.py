"""Every workload, in the order the table shows them. Importing this imports no peer library."""

from __future__ import annotations

from benchmarks import channels, parallel, pool, scheduler, sync, testing, trace
from benchmarks.spec import Workload

__all__ = ["WORKLOADS", "find"]

WORKLOADS: tuple[Workload, ...] = (
    scheduler.WORKLOADS + channels.WORKLOADS + sync.WORKLOADS + pool.WORKLOADS + parallel.WORKLOADS + trace.WORKLOADS
    + testing.WORKLOADS
)


def find(name: str) -> Workload:
    for w in WORKLOADS:
        if w.name == name:
            return w
    names = ", ".join(w.name for w in WORKLOADS)
    raise KeyError(f"no workload named {name!r} (have: {names})")

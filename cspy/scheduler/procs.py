"""How many processors: the default for ``procs``, its validation, and the facts it rests on.

With the GIL, processors take turns running Python code, so one is the default; without it
they run in parallel, and the default is the number of CPUs this process may use (work sharing
also never lets more threads run or spin than that, steal.py).
"""

from __future__ import annotations

import os
import sys

__all__ = ["gil_enabled", "default_procs", "check_procs", "cpus"]


def gil_enabled() -> bool:
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def default_procs() -> int:
    """``procs`` when ``run`` is not given one: ``CSPY_PROCS``, else 1 with a GIL, else CPUs.

    With the GIL, processors take turns running Python code: measured in benchmarks/parallel.py,
    a second processor buys CPU-bound shapes nothing (0.99-1.18x). Without the GIL they run in
    parallel (1.6-1.9x on two), so the default is the number of CPUs this process may use.
    """
    env = os.environ.get("CSPY_PROCS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"CSPY_PROCS must be a positive integer, got {env!r}") from None
        if n < 1:
            raise ValueError(f"CSPY_PROCS must be a positive integer, got {env!r}")
        return n
    if gil_enabled():
        return 1
    return cpus()


def check_procs(procs: object) -> int:
    if procs is None:
        return default_procs()
    if isinstance(procs, bool) or not isinstance(procs, int):
        raise TypeError(f"procs must be an int >= 1 or None, got {procs!r}")
    if procs < 1:
        raise ValueError(f"procs must be >= 1, got {procs}")
    return procs


def cpus() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

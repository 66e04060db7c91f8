"""What a benchmark is: workloads, the implementations that run them, and the targets they answer to.

A *workload* is one question ("how long does an unbuffered round trip take?"). Each of its
*implementations* answers it with one library (cspy at some ``procs``, gevent, asyncio, trio,
threading, goless, raw greenlet). An implementation is a plain function ``fn(n, **kwargs)`` that
runs ``n`` units of work inside its library's runtime and returns a ``Measurement`` dict:

    {"total": <seconds, or bytes for memory workloads>, "ops": <units done>, ...extra numbers}

The runner (run.py) never calls these functions itself: it starts one fresh interpreter per run
(child.py), so no run inherits another's heap, caches or threads, and a crash or hang of one
library cannot take the table down with it.

Invariants the workload modules keep:
- peer libraries are imported *inside* the functions, so importing a workload module costs
  nothing and a missing peer only disables its own rows (``requires``);
- the clock starts after the runtime is up and stops before it is torn down: start-up and
  shutdown costs are not part of any figure;
- every function checks its own result (all messages arrived, the counter is right) and raises
  if not, so a broken implementation fails loudly instead of looking fast.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Callable

__all__ = ["PURE", "Impl", "Target", "Workload", "Measurement", "rss_bytes", "check"]

Measurement = dict[str, Any]

PURE = {"CSPY_PURE_PYTHON": "1"}  # Impl.env for a row of cspy's pure-Python build

_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Impl:
    """One implementation of a workload.

    ``env`` is added to the child's environment: ``PURE`` runs cspy's pure-Python build beside
    the compiled one, in the same run.

    ``requires`` lists what must be importable: a module name (``"gevent"``) or a module and an
    attribute (``"cspy:Chan"``). ``scale`` shrinks the work for slow peers (threading), so every
    run takes a similar wall time; results are per op, so the scale does not bias them.
    """

    name: str
    fn: Callable[..., Measurement]
    kwargs: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    scale: float = 1.0
    note: str = ""
    env: dict[str, str] = field(default_factory=dict)  # set in the child (CSPY_PURE_PYTHON)


@dataclass(frozen=True)
class Target:
    """``impl <= factor * peer`` for every implementation named in ``applies`` (medians).

    ``slowest``, if set, also bounds the implementation's slowest run: ``<= slowest * peer``'s
    median. A scheduler that is fast on average but stalls now and then misses it.
    ``compiled``, if set, replaces ``factor`` when the cspy rows run the compiled build, which
    has tighter targets of its own (the compiled-core issue's). Only the runner asks (``bound``):
    a child process never imports cspy for a peer's sake.
    """

    peer: str
    factor: float
    applies: tuple[str, ...]
    slowest: float | None = None
    compiled: float | None = None

    def bound(self) -> float:
        return self.compiled if self.compiled is not None and compiled_build() else self.factor

    def describe(self) -> str:
        s = f"<= {self.bound():g}x {self.peer}"
        return s if self.slowest is None else f"{s}, slowest <= {self.slowest:g}x"


@dataclass(frozen=True)
class Workload:
    """A benchmark question. ``n`` is the full size, ``quick_n`` the smoke-run size.

    ``unit`` is ``"ns/op"`` (``total`` is seconds) or ``"B/task"`` (``total`` is bytes).
    ``baseline`` names the row the ratio column is relative to when there is no target.
    """

    name: str
    title: str
    n: int
    quick_n: int
    impls: tuple[Impl, ...]
    unit: str = "ns/op"
    target: Target | None = None
    baseline: str | None = None
    warmup: bool = True

    def impl(self, name: str) -> Impl:
        for impl in self.impls:
            if impl.name == name:
                return impl
        names = ", ".join(i.name for i in self.impls)
        raise KeyError(f"workload {self.name!r} has no implementation {name!r} (have: {names})")

    @property
    def ratio_peer(self) -> str | None:
        return self.target.peer if self.target is not None else self.baseline


def gil_enabled() -> bool:
    """Whether this interpreter runs with the GIL (always, before free-threaded builds)."""
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


@cache
def compiled_build() -> bool:
    """Whether the ``cspy`` rows (those not named pure) run the compiled build."""
    try:
        from cspy import build
    except ImportError:
        return False
    return build.BUILD == "compiled"


def rss_bytes() -> int:
    """Resident set size of this process now (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def check(ok: bool, what: str) -> None:
    """Raise if a workload's own result check failed (a wrong answer is never a fast one)."""
    if not ok:
        raise AssertionError(f"benchmark result check failed: {what}")

"""What watching costs: the 100-to-1 fan-in with the live view (or schedtrace) on vs off.

    python -m benchmarks.bench_live_overhead [--n 200000] [--repeat 5] [--procs 1]

Runs the suite's own fan-in workload (``benchmarks.channels.buffered_cspy``: 100 producers, one
consumer, cap 128, every message checked) repeatedly, alternating off / live / schedtrace so
machine noise hits all three alike, and prints the median ns per message of each and the
overhead against off. The live view renders at its real rate (10 frames/s) into a terminal
console whose output goes to /dev/null: what is measured is the observer's sampling and
rendering competing with the tasks for the interpreter, which is all it can cost them.

Not part of ``python -m benchmarks`` (that table compares libraries); this answers one question
about cspy alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
from typing import Any, Callable

from rich.console import Console

from benchmarks.channels import FAN_IN_PRODUCERS, buffered_cspy
from cspy.live import LiveView, Schedtrace


def off(n: int, procs: int) -> float:
    return _ns_per_msg(buffered_cspy(n, procs, producers=FAN_IN_PRODUCERS))


def live(n: int, procs: int) -> float:
    with open(os.devnull, "w") as sink:
        view = LiveView(console=Console(file=sink, force_terminal=True, width=120, height=50))
        view.start()
        try:
            m = buffered_cspy(n, procs, producers=FAN_IN_PRODUCERS)
        finally:
            view.stop(print_summary=False)
    assert view.frames > 0 or m["total"] < 0.2, "the live view never rendered"
    return _ns_per_msg(m)


def schedtrace(n: int, procs: int) -> float:
    with open(os.devnull, "w") as sink:
        trace = Schedtrace(100, out=sink)  # 10 lines/s, the live view's rate
        trace.start()
        try:
            m = buffered_cspy(n, procs, producers=FAN_IN_PRODUCERS)
        finally:
            trace.stop()
    return _ns_per_msg(m)


def _ns_per_msg(m: dict[str, Any]) -> float:
    return float(m["total"]) / int(m["ops"]) * 1e9


MODES: dict[str, Callable[[int, int], float]] = {"off": off, "live": live, "schedtrace": schedtrace}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="messages per run")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--procs", type=int, default=1)
    ns = ap.parse_args()
    off(ns.n // 10, ns.procs)  # warm-up
    results: dict[str, list[float]] = {k: [] for k in MODES}
    for _ in range(ns.repeat):
        for name, fn in MODES.items():
            results[name].append(fn(ns.n, ns.procs))
    base = statistics.median(results["off"])
    print(f"{FAN_IN_PRODUCERS}-to-1 fan-in, {ns.n} messages, procs={ns.procs}, median of {ns.repeat}")
    for name, xs in results.items():
        med = statistics.median(xs)
        print(f"  {name:<11} {med:8.0f} ns/msg   {100 * (med / base - 1):+6.1f}%   (runs: {', '.join(f'{x:.0f}' for x in xs)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

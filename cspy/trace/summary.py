"""``cspy trace summary out.json``: Go's goroutine analysis of a trace, in the terminal.

For each task (most time first): time running, runnable (readied, waiting for its processor:
Go's "scheduler wait"), and waiting, split as Go splits it -- sync block (channels, select and
sync primitives), network wait, blocking call (Go's "syscall"), sleep -- then the top wait
reasons across tasks, and each processor's time running tasks, spinning and idle. It reads the
``cspyTasks`` totals and the slices of a Chrome-JSON trace written by cspy.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, Any

__all__ = ["summarize", "main"]

NETWORK = {"I/O wait"}
SYSCALL = {"blocking call"}
SLEEP = {"sleep"}


def _ms(us: float) -> str:
    return f"{us / 1000.0:10.2f}"


def _group(waiting: dict[str, float]) -> tuple[float, float, float, float]:
    sync = net = sysc = sleep = 0.0
    for reason, us in waiting.items():
        if reason in NETWORK:
            net += us
        elif reason in SYSCALL:
            sysc += us
        elif reason in SLEEP:
            sleep += us
        else:
            sync += us
    return sync, net, sysc, sleep


def summarize(doc: dict[str, Any], top: int = 20) -> str:
    if "cspyTasks" not in doc:
        raise ValueError("not a trace written by cspy (no cspyTasks): write one with cspy run --trace out.json")
    tasks = doc["cspyTasks"]
    dur = float(doc.get("otherData", {}).get("duration_us", 0.0))
    lines = [f"trace: {dur / 1000.0:.2f} ms, {len(tasks)} tasks", ""]
    head = f"{'task':>6} {'name':<24} {'running':>10} {'runnable':>10} {'sync':>10} {'network':>10} {'blocking':>10} {'sleep':>10}  (ms)"
    lines.append(head)

    def total(t: dict[str, Any]) -> float:
        return float(t["running_us"]) + float(t["runnable_us"]) + float(sum(t["waiting_us"].values()))

    for t in sorted(tasks, key=total, reverse=True)[:top]:
        sync, net, sysc, sleep = _group(t["waiting_us"])
        name = str(t["name"])[:24]
        lines.append(
            f"{t['id']:>6} {name:<24} {_ms(t['running_us'])} {_ms(t['runnable_us'])} {_ms(sync)} {_ms(net)} {_ms(sysc)} {_ms(sleep)}"
        )
    if len(tasks) > top:
        lines.append(f"  ... {len(tasks) - top} more tasks")
    reasons: Counter[str] = Counter()
    for t in tasks:
        for r, us in t["waiting_us"].items():
            reasons[r] += us
    if reasons:
        lines += ["", "waiting, by reason (all tasks):"]
        for r, us in reasons.most_common(10):
            lines.append(f"  {r:<24} {us / 1000.0:10.2f} ms")
    evs = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
    busy: Counter[int] = Counter()
    states: dict[tuple[int, str], float] = Counter()  # type: ignore[assignment]
    for e in evs:
        if e["ph"] == "X" and e.get("cat") == "task":
            busy[e["tid"]] += e["dur"]
        elif e["ph"] == "X" and e.get("cat") == "proc":
            states[(e["tid"], e["name"])] += e["dur"]
    procs = sorted(tid for tid in names if tid < 10_000)
    if procs and dur > 0:
        lines += ["", "processors:"]
        for tid in procs:
            run = busy[tid] / dur * 100
            spin = states.get((tid, "spinning"), 0.0) / dur * 100
            idle = states.get((tid, "idle"), 0.0) / dur * 100
            lines.append(f"  {names[tid]:<24} running tasks {run:5.1f}%  spinning {spin:5.1f}%  idle {idle:5.1f}%")
    flows = sum(1 for e in evs if e["ph"] == "s")
    gc = sum(e["dur"] for e in evs if e["ph"] == "X" and e.get("cat") == "gc")
    lines += ["", f"wake-ups between tasks (flows): {flows}; garbage collection: {gc / 1000.0:.2f} ms"]
    return "\n".join(lines) + "\n"


def main(argv: list[str], out: IO[str]) -> int:
    """``cspy trace summary FILE [--top N]``; the exit status."""
    import argparse

    p = argparse.ArgumentParser(prog="cspy trace", description="Read a trace written by cspy run --trace.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("summary", help="per-task running / runnable / waiting times (Go's goroutine analysis)")
    s.add_argument("file", metavar="TRACE.json")
    s.add_argument("--top", type=int, default=20, metavar="N", help="tasks to list (default 20)")
    ns = p.parse_args(argv)
    try:
        with open(ns.file, encoding="utf-8") as f:
            doc = json.load(f)
        out.write(summarize(doc, ns.top))
    except (OSError, ValueError) as exc:
        p.exit(2, f"cspy trace summary: {exc}\n")
    return 0

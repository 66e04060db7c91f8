"""The runner: ``python -m benchmarks`` (or ``python benchmarks/run.py``) runs the suite.

Method (why each rule is there; docs/benchmarks.md says more):
- every run is a fresh interpreter (child.py): no heap, cache or thread carries over;
- repeats are *interleaved*: round r runs every implementation of a workload once, in a shuffled
  order, before round r+1 starts. On a shared, noisy machine a burst of load then hits all
  implementations alike instead of all repeats of one;
- each figure is the median of the repeats, and the table reports ratios to a peer measured in
  the same invocation, never to a number from another day;
- a missing peer library, a missing cspy feature, a crash or a timeout becomes that row's status;
  it never stops the table.

Options: ``--only pingpong,select`` (workloads), ``--impl cspy`` (implementations whose name
contains the text), ``--repeats 5``, ``--quick`` (tiny sizes, one repeat: a smoke run),
``--json FILE``, ``--timeout SECONDS`` (per run), ``--list``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable, not benchmarks/
    _root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[0] = _root

from benchmarks.child import PREFIX  # noqa: E402
from benchmarks.registry import WORKLOADS  # noqa: E402
from benchmarks.spec import Impl, Workload, gil_enabled  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("workload", "implementation", "median", "slowest", "unit", "ratio", "target", "result", "note")


@dataclass
class Row:
    workload: str
    impl: str
    unit: str
    note: str
    status: str = "ok"  # ok | not installed: X | not available: X | error: X | timeout
    runs: list[float] = field(default_factory=list)
    median: float | None = None
    ratio: float | None = None
    target: str = "-"
    result: str = "-"
    extra: dict[str, Any] = field(default_factory=dict)


# ---- availability ------------------------------------------------------------------------------


def missing(requires: tuple[str, ...]) -> str | None:
    """The row status for the first unmet requirement, or None if all are met."""
    for req in requires:
        module, _, attr = req.partition(":")
        if not attr:
            if importlib.util.find_spec(module) is None:
                return f"not installed: {module}"
            continue
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return f"not available: {module}"
        except Exception as exc:  # a half-written module elsewhere in the tree
            return f"not available: {module} ({type(exc).__name__})"
        if not hasattr(mod, attr):
            return f"not available: {module}.{attr}"
    return None


# ---- running one child --------------------------------------------------------------------------


def size_for(w: Workload, impl: Impl, quick: bool) -> int:
    n = w.quick_n if quick else w.n
    return max(1, int(n * impl.scale))


def run_child(w: Workload, impl: Impl, n: int, timeout: float) -> tuple[float | None, dict[str, Any], str]:
    """One fresh-process measurement: (value, extra, status)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(impl.env)
    cmd = [sys.executable, "-m", "benchmarks.child", w.name, impl.name, str(n)]
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, {}, f"timeout (> {timeout:g} s)"
    for line in proc.stdout.splitlines():
        if line.startswith(PREFIX):
            data = json.loads(line[len(PREFIX) :])
            return float(data["value"]), dict(data.get("extra", {})), "ok"
    return None, {"stderr": proc.stderr[-4000:]}, "error: " + failure(proc.stderr, proc.returncode)


def failure(stderr: str, returncode: int) -> str:
    """A one-line reason from a child's stderr: the exception name and where it was raised."""
    exc = re.findall(r"\b([A-Z]\w*(?:Error|Exception|Exit|Closed))\b", stderr)
    where = re.findall(r'File "([^"]+)", line (\d+)', stderr)
    if not exc:
        return f"exit code {returncode}"
    if not where:
        return exc[-1]
    path, line = where[-1]
    return f"{exc[-1]} at {os.path.join(*path.split(os.sep)[-2:])}:{line}"


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def run_workload(w: Workload, impl_filter: str | None, repeats: int, quick: bool, timeout: float) -> list[Row]:
    impls = [
        i
        for i in w.impls
        if not impl_filter or impl_filter in i.name or (w.ratio_peer == i.name)
    ]
    rows = {i.name: Row(w.name, i.name, w.unit, i.note) for i in impls}
    live = []
    for i in impls:
        status = missing(i.requires)
        if status is None:
            live.append(i)
        else:
            rows[i.name].status = status
    shuffle = random.Random(f"{w.name}")
    for r in range(repeats):
        order = list(live)
        shuffle.shuffle(order)
        for i in order:
            row = rows[i.name]
            if row.status != "ok":
                continue  # failed once: do not spend the budget failing again
            value, extra, status = run_child(w, i, size_for(w, i, quick), timeout)
            if value is None:
                row.status = status
                row.extra = extra
                log(f"  [{w.name}] {i.name}: {status}")
                continue
            row.runs.append(value)
            row.extra = extra
            log(f"  [{w.name}] {i.name} run {r + 1}/{repeats}: {value:,.0f} {w.unit}")
    for row in rows.values():
        if row.status == "ok" and row.runs:
            row.median = statistics.median(row.runs)
    judge(w, rows)
    return list(rows.values())


def judge(w: Workload, rows: dict[str, Row]) -> None:
    """Fill ratio, target and result: ratios are to the peer measured in this same run."""
    peer_name = w.ratio_peer
    peer = rows.get(peer_name) if peer_name else None
    base = peer.median if peer is not None else None
    for row in rows.values():
        if row.median is not None and base:
            row.ratio = row.median / base
        if w.target is None or row.impl not in w.target.applies:
            continue
        row.target = w.target.describe()
        if row.median is None:
            row.result = "n/a"
        elif base is None:
            row.result = "no peer"
        else:
            assert row.ratio is not None
            ok = row.ratio <= w.target.bound()
            if w.target.slowest is not None:
                ok = ok and max(row.runs) <= w.target.slowest * base
            row.result = "pass" if ok else "FAIL"


# ---- the table ----------------------------------------------------------------------------------


def cells(row: Row) -> list[str]:
    note = row.note
    slowest = f"{max(row.runs):,.0f}" if row.median is not None and row.runs else "-"
    if row.median is not None:
        median = f"{row.median:,.0f}"
    else:  # "not installed: gevent" -> median "not installed", the detail goes to the note
        median, _, detail = row.status.partition(": ")
        note = f"{detail}; {note}" if note and detail else (detail or note)
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
    cols = [row.workload, row.impl, median, slowest, row.unit, ratio, row.target, row.result, note]
    return [c.replace("|", "/") for c in cols]


def table(rows: list[Row]) -> str:
    """A Markdown table (readable in a terminal, pasteable into docs/benchmarks.md)."""
    body = [list(COLUMNS)] + [cells(r) for r in rows]
    widths = [max(len(line[c]) for line in body) for c in range(len(COLUMNS))]
    right = {2, 3, 5}  # numbers

    def fmt(line: list[str]) -> str:
        parts = [
            cell.rjust(widths[c]) if c in right else cell.ljust(widths[c])
            for c, cell in enumerate(line)
        ]
        return "| " + " | ".join(parts) + " |"

    sep = "|" + "|".join(
        "-" * (widths[c] + 1) + ":" if c in right else "-" * (widths[c] + 2)
        for c in range(len(COLUMNS))
    ) + "|"
    return "\n".join([fmt(body[0]), sep] + [fmt(line) for line in body[1:]])


def parse_table(text: str) -> list[dict[str, str]]:
    """Inverse of ``table`` (used by the smoke test and by anyone post-processing output)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cols = [c.strip() for c in line.strip("|").split("|")]
        if cols[0] == COLUMNS[0]:
            continue
        out.append(dict(zip(COLUMNS, cols)))
    return out


def _cspy_build() -> str:
    """Which build the ``cspy`` rows run (pure-Python rows say so in their names)."""
    try:
        from cspy import build
    except ImportError:
        return "not importable"
    return build.BUILD


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "gil": gil_enabled(),
        "build": _cspy_build(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated workload names (see --list)")
    ap.add_argument("--impl", help="only implementations whose name contains this (plus the peer)")
    ap.add_argument("--repeats", type=int, help="fresh-process runs per implementation (default 5; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    ap.add_argument("--json", metavar="FILE", help="also write every run and median as JSON")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run (default 300)")
    ap.add_argument("--list", action="store_true", help="list workloads and implementations")
    args = ap.parse_args(argv)

    if args.list:
        for w in WORKLOADS:
            target = w.target.describe() if w.target else (f"ratios to {w.baseline}" if w.baseline else "no target")
            print(f"{w.name:12} {w.title}  [{target}]")
            for i in w.impls:
                print(f"{'':12}   {i.name}" + (f"  ({i.note})" if i.note else ""))
        return 0
    names = [s.strip() for s in args.only.split(",")] if args.only else None
    known = {w.name for w in WORKLOADS}
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 5)
    if repeats < 1:
        ap.error("--repeats must be at least 1")

    started = time.monotonic()
    rows: list[Row] = []
    for w in WORKLOADS:
        if names is not None and w.name not in names:
            continue
        log(f"{w.name}: {w.title}")
        rows.extend(run_workload(w, args.impl, repeats, args.quick, args.timeout))
    meta = machine()
    meta.update(repeats=repeats, quick=args.quick, seconds=round(time.monotonic() - started, 1))
    print(f"cspy benchmarks: Python {meta['python']}, {meta['cpus']} CPUs, GIL {'on' if meta['gil'] else 'off'}, "
          f"cspy rows {meta['build']} unless named pure, "
          f"{repeats} fresh-process run(s) each, median; {meta['date']}")
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": [asdict(r) for r in rows]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

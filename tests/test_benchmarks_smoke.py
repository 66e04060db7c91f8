"""Smoke test of the benchmark suite: it runs end to end and its table parses. No speed checks
(speed is measured by ``python -m benchmarks``, never asserted in tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.registry import WORKLOADS
from benchmarks.run import COLUMNS, parse_table

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(90)
def test_quick_run_prints_a_parsable_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--timeout", "60", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=85,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = parse_table(proc.stdout)

    # Every workload and implementation has exactly one row, with every column.
    expected = [(w.name, i.name) for w in WORKLOADS for i in w.impls]
    assert [(r["workload"], r["implementation"]) for r in rows] == expected
    assert all(set(r) == set(COLUMNS) for r in rows)

    # A row is a number, or says why not; cspy's own rows never crash or hang.
    statuses = {"not installed", "not available", "error", "timeout"}
    for r in rows:
        median = r["median"]
        if median not in statuses:
            assert float(median.replace(",", "")) > 0, r
        if r["implementation"].startswith("cspy"):
            assert median not in {"error", "timeout"}, r
        assert r["result"] in {"-", "pass", "FAIL", "n/a", "no peer"}, r

    data = json.loads(out.read_text())
    assert data["meta"]["quick"] is True
    assert len(data["rows"]) == len(expected)


def test_parse_table_reads_back_what_table_writes() -> None:
    from benchmarks.run import Row, table

    rows = [
        Row("w", "cspy procs=1", "ns/op", "", median=1234.4, ratio=0.5, target="<= 1x x", result="pass"),
        Row("w", "x", "ns/op", "a note", status="not installed: x"),
    ]
    parsed = parse_table(table(rows))
    assert parsed[0]["median"] == "1,234" and parsed[0]["ratio"] == "0.50x"
    assert parsed[0]["result"] == "pass"
    assert parsed[1]["median"] == "not installed" and parsed[1]["note"] == "x; a note"

"""The cookbook's find_the_bottleneck: the block profile and the trace point at the lock, and
after sharding they show it gone (the property the example demonstrates, read from its output)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from tests.conftest import PROCS
from tests.examples.test_examples import run_example
from tests.pprof.profiles import go_raw


def _phases(out: str) -> dict[str, dict[str, object]]:
    phases: dict[str, dict[str, object]] = {}
    cur: dict[str, object] = {}
    for line in out.splitlines():
        m = re.search(r"== (\w+): (\d+) requests .* \(exact: (True|False)\)", line)
        if m:
            cur = phases[m[1]] = {"requests": int(m[2]), "exact": m[3] == "True", "top": [], "shares": {}}
            continue
        m = re.search(r"block profile: ([\d.]+) ms waited at Mutex.lock", line)
        if m:
            cur["mutex_ms"] = float(m[1])
        m = re.search(r"top wait: +([\d.]+) ms +(.+?) +at (\S+)", line)
        if m:
            cur["top"].append((m[2].strip(), m[3], float(m[1])))  # type: ignore[attr-defined]
        m = re.search(r"trace: workers spent +([\d.]+)% of their time in (.+)$", line)
        if m:
            cur["shares"][m[2].strip()] = float(m[1])  # type: ignore[index]
    return phases


@pytest.mark.timeout(180)
@pytest.mark.parametrize("procs", PROCS[:2])
def test_profile_and_trace_find_the_lock_and_show_the_fix(procs: int, tmp_path: Path) -> None:
    out = run_example("find_the_bottleneck", "--trace-dir", str(tmp_path), procs=procs)
    ph = _phases(out)
    one, sharded = ph["one_lock"], ph["sharded"]
    assert one["exact"] and sharded["exact"] and one["requests"] == sharded["requests"] == 400
    # Before: the biggest wait in the block profile is the stats lock, in Stats.record ...
    assert one["top"][0][:2] == ("sync.Mutex.Lock (lock)", "Stats.record"), one["top"]  # type: ignore[index]
    # ... and the trace shows the workers mostly waiting for it.
    assert max(one["shares"], key=one["shares"].get) == "sync.Mutex.Lock"  # type: ignore[arg-type, union-attr]
    assert one["shares"]["sync.Mutex.Lock"] > 50  # type: ignore[index]
    # After sharding 16 ways the lock waits shrink by far more than noise could explain (the
    # queue behind each lock is a sixteenth as long), in the profile and in the trace.
    assert sharded["mutex_ms"] * 3 < one["mutex_ms"], (one["mutex_ms"], sharded["mutex_ms"])  # type: ignore[operator]
    assert sharded["shares"]["sync.Mutex.Lock"] < one["shares"]["sync.Mutex.Lock"]  # type: ignore[index]
    # The files it wrote are a real trace and a real profile (Go's reader accepts it).
    doc = json.loads((tmp_path / "one_lock.json").read_text())
    assert any(e["ph"] == "s" for e in doc["traceEvents"])
    prof = tmp_path / "one_lock.block.pb.gz"
    assert gzip.decompress(prof.read_bytes())
    assert "Stats.record" in go_raw(str(prof))

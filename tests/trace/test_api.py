"""cspy.trace's API: start/stop windows, regions, logs, formats, errors, GC pauses."""

from __future__ import annotations

import gc
import io
import json
import pathlib

import pytest

import cspy
import cspy.trace
from tests.trace.traces import check_structure


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [1, 2])
def test_start_stop_records_a_window(procs: int) -> None:
    out = io.StringIO()

    def main() -> None:
        cspy.go(lambda: cspy.sleep(0.001), name="before")
        cspy.sleep(0.005)
        cspy.trace.start(out)
        assert cspy.trace.enabled()
        ch = cspy.Chan(name="c")
        cspy.go(lambda: ch.send(1), name="inside")
        ch.recv()
        cspy.trace.stop()
        assert not cspy.trace.enabled()
        cspy.go(lambda: None, name="after")
        cspy.sleep(0.001)

    cspy.run(main, procs=procs)
    doc = json.loads(out.getvalue())
    check_structure(doc)
    names = {e["name"] for e in doc["traceEvents"] if e["ph"] == "X"}
    assert "inside" in names and "main" in names
    assert "before" not in names and "after" not in names
    assert any(e["ph"] == "s" and e["name"] == "chan 'c'" for e in doc["traceEvents"])


@pytest.mark.timeout(60)
def test_regions_and_logs() -> None:
    out = io.StringIO()

    def main() -> None:
        with cspy.trace.region("outer"):
            with cspy.trace.region("inner"):
                cspy.sleep(0.001)
            cspy.trace.log("checkpoint", "phase")
        gc.collect()

    cspy.run(main, trace=out)
    doc = json.loads(out.getvalue())
    check_structure(doc)
    regions = [e for e in doc["traceEvents"] if e.get("cat") == "region"]
    assert [r["name"] for r in regions] == ["inner", "outer"]
    inner, outer = regions
    assert outer["ts"] <= inner["ts"] and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"]
    logs = [e for e in doc["traceEvents"] if e.get("cat") == "log"]
    assert logs[0]["args"] == {"message": "checkpoint", "category": "phase", "task": 1}
    gcs = [e for e in doc["traceEvents"] if e.get("cat") == "gc"]
    assert any(g["args"]["generation"] == 2 for g in gcs), "gc.collect() shows as a GC slice"


def test_annotations_cost_nothing_without_a_trace() -> None:
    def main() -> bool:
        with cspy.trace.region("r"):
            cspy.trace.log("nobody records this")
        return cspy.trace.enabled()

    assert cspy.run(main) is False


def test_errors() -> None:
    with pytest.raises(RuntimeError, match="running runtime"):
        cspy.trace.start(io.StringIO())
    with pytest.raises(ValueError, match=r"\.json.*\.pftrace"):
        cspy.run(lambda: None, trace="out.txt")
    with pytest.raises(TypeError, match="region"):
        cspy.trace.region(3)  # type: ignore[arg-type]

    def twice() -> None:
        cspy.trace.start(io.StringIO())
        try:
            with pytest.raises(RuntimeError, match="already enabled"):
                cspy.trace.start(io.StringIO())
        finally:
            cspy.trace.stop()
        with pytest.raises(RuntimeError, match="no trace is being recorded"):
            cspy.trace.stop()

    cspy.run(twice)


@pytest.mark.timeout(60)
def test_unstopped_window_is_written_when_the_run_ends(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "w.json"
    cspy.run(lambda: (cspy.trace.start(str(path)), cspy.sleep(0.001)))
    doc = json.loads(path.read_text())
    assert any(e["ph"] == "X" and e["name"] == "main" for e in doc["traceEvents"])


@pytest.mark.timeout(60)
def test_a_deadlocked_run_still_writes_its_trace(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "d.json"
    with pytest.raises(cspy.DeadlockError):
        cspy.run(lambda: cspy.Chan().recv(), trace=str(path))
    doc = json.loads(path.read_text())
    assert [e["args"]["stopped"] for e in doc["traceEvents"] if e["ph"] == "X" and e["name"] == "main"] == ["chan receive"]


def test_hooks_are_removed_after_the_run() -> None:
    seen = []
    cspy.run(lambda: seen.append([p.trace for p in cspy.scheduler.running().ps]), trace=io.StringIO())  # type: ignore[union-attr]
    assert all(h is not None for h in seen[0])
    seen.clear()
    cspy.run(lambda: seen.append([p.trace for p in cspy.scheduler.running().ps]))  # type: ignore[union-attr]
    assert seen[0] and all(h is None for h in seen[0])
    assert not any(getattr(cb, "__module__", "") == "cspy.trace.hook" for cb in gc.callbacks)

"""The flight recorder: a bounded ring, written on demand, on SIGUSR2 and on a deadlock."""

from __future__ import annotations

import io
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import pytest

import cspy
import cspy.trace
from cspy.trace import recorder
from tests.trace.traces import check_structure, pingpong


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2])
def test_ring_is_bounded_and_keeps_the_latest(procs: int) -> None:
    fr = cspy.trace.FlightRecorder(seconds=60.0, max_bytes=1 << 16)
    fr.start()
    try:
        cspy.run(pingpong, 3000, procs=procs)
        rec = fr._current()
        assert rec is not None
        for b in rec.buffers():
            assert len(b.events) <= rec.maxlen  # type: ignore[operator]
        out = io.StringIO()
        fr.write_to(out)
    finally:
        fr.stop()
    doc = json.loads(out.getvalue())
    check_structure(doc)
    names = [e["name"] for e in doc["traceEvents"] if e["ph"] == "X" and e.get("cat") == "task"]
    assert names and names[-1] in ("main", "echo")  # the end of the run is in the window
    ends = [e for e in doc["traceEvents"] if e["ph"] == "X" and e.get("args", {}).get("stopped") == "end"]
    assert ends, "the last events (the tasks ending) are kept"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="seconds"):
        cspy.trace.FlightRecorder(seconds=0)
    with pytest.raises(ValueError, match="max_bytes"):
        cspy.trace.FlightRecorder(max_bytes=10)
    with pytest.raises(ValueError, match=r"\.json"):
        cspy.trace.FlightRecorder(path="out.txt")
    fr = cspy.trace.FlightRecorder()
    with pytest.raises(RuntimeError, match="recorded nothing"):
        fr.write_to(io.StringIO())


@pytest.mark.timeout(60)
def test_written_when_a_run_deadlocks(tmp_path: pathlib.Path) -> None:
    fr = cspy.trace.FlightRecorder(seconds=5.0, path=str(tmp_path / "fr-{n}.json"))
    fr.start()
    try:
        def main() -> None:
            ch = cspy.Chan(name="never")
            cspy.go(lambda: ch.send(1), name="sender")
            cspy.sleep(0.001)
            cspy.Chan(name="stuck").recv()

        with pytest.raises(cspy.DeadlockError) as err:
            cspy.run(main)
    finally:
        fr.stop()
    path = tmp_path / "fr-1.json"
    assert any(str(path) in n for n in err.value.__notes__)
    doc = json.loads(path.read_text())
    stopped = {s["args"]["stopped"] for s in doc["traceEvents"] if s["ph"] == "X" and s.get("cat") == "task"}
    assert {"chan receive", "chan send"} <= stopped


@pytest.mark.timeout(60)
def test_sigusr2_writes_the_window(tmp_path: pathlib.Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, signal, cspy, cspy.trace
            fr = cspy.trace.FlightRecorder(path={str(tmp_path / 'sig-{n}.json')!r})
            fr.start()
            def main():
                for _ in range(10):
                    cspy.sleep(0.001)
                os.kill(os.getpid(), signal.SIGUSR2)
                cspy.sleep(0.01)
            cspy.run(main)
            """
        )
    )
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "flight recorder (SIGUSR2)" in res.stderr
    doc = json.loads((tmp_path / "sig-1.json").read_text())
    assert any(e["ph"] == "X" and e["name"] == "main" for e in doc["traceEvents"])


def test_event_bytes_is_what_an_event_takes() -> None:
    # The ring's bound assumes EVENT_BYTES per event: a recorded SWITCH tuple and its time.
    t = recorder.now_ns()
    e = (t, recorder.SWITCH, object(), "x", None, object())
    assert sys.getsizeof(e) + sys.getsizeof(t) + 8 <= recorder.EVENT_BYTES
    assert os.name != "nt" or not hasattr(signal, "SIGUSR2")

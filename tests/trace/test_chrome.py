"""The Chrome trace-event JSON export, parsed back: tracks, slices, flows, counters, totals."""

from __future__ import annotations

from collections import Counter

import pytest

import cspy
from tests.trace.traces import ROUNDS, check_structure, pingpong, record_json, slices


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2, 4])
def test_pingpong_has_one_flow_per_handoff(procs: int) -> None:
    doc = record_json(pingpong, procs)
    check_structure(doc)
    evs = doc["traceEvents"]
    flows = Counter(e["name"] for e in evs if e["ph"] == "s")
    # Each unbuffered hand-off readies exactly one parked party (whichever came first), and
    # every woken task runs again: one flow per value and channel, plus done's close.
    assert flows == {"chan 'ping'": ROUNDS, "chan 'pong'": ROUNDS, "chan 'done'": 1}, flows
    tasks = {s["args"]["task"]: s["name"] for s in slices(doc)}
    assert sorted(tasks.values()) == ["echo", "main"]
    by_id = {e["id"]: e for e in evs if e["ph"] == "s"}
    ids = {name: tid for tid, name in tasks.items()}
    for s in by_id.values():  # from one of the two to the other, never to itself
        assert {s["args"]["waker"], s["args"]["woken"]} == {ids["main"], ids["echo"]}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [1, 2])
def test_tracks_are_processors_named_after_their_threads(procs: int) -> None:
    doc = record_json(pingpong, procs)
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    for pid in range(procs):
        assert names[pid].startswith(f"P{pid} ("), names
    assert names[0] == "P0 (MainThread)"
    assert {s["tid"] for s in slices(doc)} <= set(range(procs))


@pytest.mark.timeout(60)
def test_slice_args_say_why_the_task_stopped() -> None:
    def main() -> None:
        ch = cspy.Chan(name="jobs")
        cspy.go(lambda: (cspy.sleep(0.01), ch.send(1)), name="late")
        ch.recv()

    doc = record_json(main, 1)
    check_structure(doc)
    mains = [s for s in slices(doc) if s["name"] == "main"]
    assert mains[0]["args"]["stopped"] == "chan receive" and mains[0]["args"]["on"] == "chan 'jobs'"
    assert mains[-1]["args"]["stopped"] == "end"
    late = [s for s in slices(doc) if s["name"] == "late"]
    assert late[0]["args"]["stopped"] == "sleep"


@pytest.mark.timeout(60)
def test_task_totals_follow_go_goroutine_analysis() -> None:
    def main() -> None:
        ch = cspy.Chan(name="jobs")
        cspy.go(lambda: (cspy.blocking(__import__("time").sleep, 0.03), ch.send(1)), name="slow")
        ch.recv()

    doc = record_json(main, 1)
    tasks = {t["name"]: t for t in doc["cspyTasks"]}
    assert tasks["main"]["waiting_us"]["chan receive"] >= 20_000  # waited ~30 ms for slow
    assert tasks["slow"]["waiting_us"]["blocking call"] >= 20_000
    assert tasks["slow"]["site"].endswith("test_chrome.py:" + str(test_task_totals_follow_go_goroutine_analysis.__code__.co_firstlineno + 4))
    assert tasks["slow"]["created_us"] is not None and tasks["slow"]["ended_us"] is not None


@pytest.mark.timeout(60)
def test_counters_count_runnable_and_waiting_tasks() -> None:
    def main() -> None:
        wg = cspy.WaitGroup()
        gate = cspy.Chan()
        for _ in range(10):
            wg.add(1)
            cspy.go(lambda: (gate.recv_ok(), wg.done()))
        cspy.sleep(0.01)  # all ten park on the gate
        gate.close()
        wg.wait()

    doc = record_json(main, 1)
    waiting = [e["args"]["waiting"] for e in doc["traceEvents"] if e["ph"] == "C" and e["name"] == "waiting tasks"]
    assert max(waiting) >= 10  # the ten (and main, asleep meanwhile)
    assert waiting[-1] == 0

"""Programs the trace tests record, and the structural checks every exported trace must pass."""

from __future__ import annotations

import bisect
import io
import json
from typing import Any

import cspy

ROUNDS = 1000


def pingpong(rounds: int = ROUNDS) -> None:
    """main and echo exchange ``rounds`` values each way over two unbuffered channels; main
    waits for echo to end, so every task that is woken runs again (and its flow has an end)."""
    ping, pong, done = cspy.Chan(name="ping"), cspy.Chan(name="pong"), cspy.Chan(name="done")

    def echo() -> None:
        for _ in range(rounds):
            pong.send(ping.recv())
        done.close()

    cspy.go(echo, name="echo")
    for i in range(rounds):
        ping.send(i)
        assert pong.recv() == i
    done.recv_ok()


def record_json(main: Any, procs: int, **kw: Any) -> dict[str, Any]:
    out = io.StringIO()
    cspy.run(main, procs=procs, trace=out, **kw)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def slices(doc: dict[str, Any], cat: str = "task") -> list[dict[str, Any]]:
    return [e for e in doc["traceEvents"] if e["ph"] == "X" and e.get("cat") == cat]


def enclosing(by_tid: dict[int, list[dict[str, Any]]], tid: int, ts: float) -> list[dict[str, Any]]:
    """The slices of track ``tid`` (sorted by start, not overlapping) that contain ``ts``."""
    ss = by_tid.get(tid, [])
    i = bisect.bisect_right([s["ts"] for s in ss], ts)
    return [s for s in ss[max(0, i - 2) : i] if s["ts"] <= ts <= s["ts"] + s["dur"]]


def check_structure(doc: dict[str, Any]) -> None:
    """Every track named; slices of a track never overlap; every flow starts inside one slice and
    ends at the start of another (Chrome's "s" / "f" with bp "e")."""
    evs = doc["traceEvents"]
    named = {e["tid"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
    used = {e["tid"] for e in evs if e["ph"] in ("X", "s", "f", "i")}
    assert used <= named, f"tracks without a thread_name: {sorted(used - named)}"
    assert all(e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name")
    assert all(e["name"] for e in evs if e["ph"] == "C"), "every counter track has a name"
    by_tid: dict[int, list[dict[str, Any]]] = {}
    for s in slices(doc):
        by_tid.setdefault(s["tid"], []).append(s)
    for tid, ss in by_tid.items():
        ss.sort(key=lambda s: s["ts"])
        for a, b in zip(ss, ss[1:]):
            assert a["ts"] + a["dur"] <= b["ts"] + 1e-3, f"overlapping slices on track {tid}: {a} {b}"
    starts = {e["id"]: e for e in evs if e["ph"] == "s"}
    ends = {e["id"]: e for e in evs if e["ph"] == "f"}
    assert starts.keys() == ends.keys(), "every flow has one start and one end"
    assert len(starts) == len([e for e in evs if e["ph"] == "s"]), "flow ids are unique"
    at = {(x["tid"], x["ts"]): x for x in slices(doc)}
    for fid, s in starts.items():
        f = ends[fid]
        assert f["bp"] == "e" and f["name"] == s["name"]
        src = enclosing(by_tid, s["tid"], s["ts"])
        dst = [at[(f["tid"], f["ts"])]] if (f["tid"], f["ts"]) in at else []
        assert len(src) == 1, f"flow {fid} does not start inside exactly one slice: {s}"
        assert len(dst) == 1, f"flow {fid} does not end at the start of a slice: {f}"
        assert src[0] is not dst[0], f"flow {fid} starts and ends in the same slice"
        assert src[0]["args"]["task"] == s["args"]["waker"] and dst[0]["args"]["task"] == s["args"]["woken"]

"""The Perfetto protobuf export (.pftrace), decoded back with the tests' own decoder."""

from __future__ import annotations

import io
import pathlib
from collections import Counter
from typing import Any

import pytest

import cspy
from tests.trace.pbdecode import decode, text
from tests.trace.traces import ROUNDS, pingpong

BEGIN, END, INSTANT, COUNTER = 1, 2, 3, 4


def _read(data: bytes) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    tracks: dict[int, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    for raw in decode(data)[1]:
        pkt = decode(raw)  # type: ignore[arg-type]
        assert pkt[10] == [1], "every packet is on trusted sequence 1"
        if 60 in pkt:
            td = decode(pkt[60][0])  # type: ignore[arg-type]
            tracks[td[1][0]] = {  # type: ignore[index]
                "name": text(td[2][0]) if 2 in td else "",
                "parent": td[5][0] if 5 in td else None,
                "counter": 8 in td,
            }
        if 11 in pkt:
            te = decode(pkt[11][0])  # type: ignore[arg-type]
            ann = {}
            for a in te.get(4, []):
                d = decode(a)  # type: ignore[arg-type]
                ann[text(d[10][0])] = text(d[6][0]) if 6 in d else d[4][0]
            events.append(
                {
                    "ts": pkt[8][0],
                    "type": te[9][0],
                    "track": te[11][0],
                    "name": text(te[23][0]) if 23 in te else None,
                    "args": ann,
                    "flows": list(te.get(47, [])),
                    "ends": list(te.get(48, [])),
                }
            )
    return tracks, events


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2])
def test_pftrace_has_named_tracks_balanced_slices_and_flows(procs: int, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "out.pftrace"
    cspy.run(pingpong, procs=procs, trace=str(path))
    tracks, events = _read(path.read_bytes())
    assert all(t["name"] for t in tracks.values()), "every track has a name"
    assert {t["name"].split(" ")[0] for t in tracks.values() if not t["counter"] and t["parent"] == 1} >= {
        f"P{i}" for i in range(procs)
    }
    assert all(e["track"] in tracks for e in events), "every event is on a described track"
    depth: Counter[int] = Counter()
    last = 0
    for e in events:
        assert e["ts"] >= last, "packets in time order"
        last = e["ts"]
        if e["type"] == BEGIN:
            depth[e["track"]] += 1
        elif e["type"] == END:
            depth[e["track"]] -= 1
            assert depth[e["track"]] >= 0, "an END without its BEGIN"
    assert all(v == 0 for v in depth.values()), "every BEGIN has its END"
    starts = Counter(f for e in events for f in e["flows"])
    ends = Counter(f for e in events for f in e["ends"])
    assert starts == ends and set(starts.values()) == {1}, "each flow starts once and ends once"
    begins = [e for e in events if e["type"] == BEGIN and e["args"].get("task") is not None]
    by_flow_src = {f: e for e in begins for f in e["flows"]}
    by_flow_dst = {f: e for e in begins for f in e["ends"]}
    assert len(starts) == 2 * ROUNDS + 1  # as in the JSON export: ping, pong, done's close
    for f in starts:
        assert by_flow_src[f] is not by_flow_dst[f]
        assert {by_flow_src[f]["name"], by_flow_dst[f]["name"]} == {"main", "echo"}
    assert {e["args"]["stopped"] for e in begins} >= {"chan send", "end"}


@pytest.mark.timeout(60)
def test_a_binary_file_object_gets_pftrace() -> None:
    out = io.BytesIO()
    cspy.run(lambda: cspy.sleep(0.001), trace=out)
    tracks, events = _read(out.getvalue())
    assert any(e["name"] == "main" for e in events)

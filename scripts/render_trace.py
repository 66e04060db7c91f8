"""Draw a cspy Chrome-JSON trace as an SVG: one row per processor, a box per slice (coloured by
task), grey idle stretches, and an arrow from each waker to the task it woke.

    python scripts/render_trace.py trace.json out.svg [--start-ms 0] [--ms 2]

A stand-in for a ui.perfetto.dev screenshot where that site cannot be reached: it reads the
same file Perfetto opens and draws the same tracks and flows, nothing more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from html import escape

ROW, GAP, LEFT, TOP, WIDTH = 46, 18, 150, 40, 1100
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]


def colour(name: str) -> str:
    return PALETTE[int(hashlib.md5(name.encode()).hexdigest(), 16) % len(PALETTE)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--start-ms", type=float, default=0.0)
    ap.add_argument("--ms", type=float, default=2.0)
    a = ap.parse_args()
    doc = json.load(open(a.trace))
    evs = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
    procs = sorted(t for t in names if t < 10_000)
    t0, span = a.start_ms * 1000, a.ms * 1000
    sx = WIDTH / span

    def x(ts: float) -> float:
        return LEFT + (ts - t0) * sx

    def y(tid: int) -> float:
        return TOP + procs.index(tid) * (ROW + GAP)

    height = TOP + len(procs) * (ROW + GAP) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 20}" height="{height}" font-family="sans-serif" font-size="11">',
        '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>',
        f'<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="13">cspy trace, {a.start_ms:g}-{a.start_ms + a.ms:g} ms: a slice per stretch a task ran; arrows: waker to woken; thin bars: spinning (orange), idle (grey)</text>',
    ]
    for tid in procs:
        out.append(f'<text x="8" y="{y(tid) + ROW / 2 + 4}" font-size="12">{escape(names[tid])}</text>')
        out.append(f'<rect x="{LEFT}" y="{y(tid)}" width="{WIDTH}" height="{ROW}" fill="#f4f4f4"/>')
    for e in evs:
        if e["ph"] != "X" or e["tid"] not in procs or e["ts"] > t0 + span or e["ts"] + e["dur"] < t0:
            continue
        x0, x1 = max(x(e["ts"]), LEFT), min(x(e["ts"] + e["dur"]), LEFT + WIDTH)
        if e.get("cat") == "proc":
            fill = "#d0d0d0" if e["name"] == "idle" else "#f7d7a8"
            out.append(f'<rect x="{x0:.1f}" y="{y(e["tid"]) + ROW - 8}" width="{max(x1 - x0, 0.5):.1f}" height="8" fill="{fill}"/>')
            continue
        if e.get("cat") != "task":
            continue
        out.append(
            f'<rect x="{x0:.1f}" y="{y(e["tid"]) + 4}" width="{max(x1 - x0, 0.7):.1f}" height="{ROW - 14}" '
            f'fill="{colour(e["name"])}" stroke="white" stroke-width="0.5"><title>{escape(e["name"])}: {escape(str(e["args"]))}</title></rect>'
        )
        if x1 - x0 > 6 * len(e["name"]):
            out.append(f'<text x="{x0 + 3:.1f}" y="{y(e["tid"]) + ROW / 2 + 1}" fill="white">{escape(e["name"])}</text>')
    ends = {e["id"]: e for e in evs if e["ph"] == "f"}
    for s in (e for e in evs if e["ph"] == "s"):
        f = ends.get(s["id"])
        if f is None or not (t0 <= s["ts"] <= t0 + span and t0 <= f["ts"] <= t0 + span):
            continue
        if s["tid"] not in procs or f["tid"] not in procs:
            continue
        ya, yb = y(s["tid"]) + ROW / 2, y(f["tid"]) + ROW / 2
        if s["tid"] == f["tid"]:
            ya, yb = y(s["tid"]) + 4, y(f["tid"]) + 4
        out.append(f'<line x1="{x(s["ts"]):.1f}" y1="{ya:.1f}" x2="{x(f["ts"]):.1f}" y2="{yb:.1f}" stroke="#222" stroke-width="0.8" marker-end="url(#a)"/>')
    for i in range(11):
        tx = LEFT + i * WIDTH / 10
        out.append(f'<text x="{tx:.1f}" y="{height - 10}" text-anchor="middle" fill="#555">{a.start_ms + i * a.ms / 10:.2f} ms</text>')
    out.append("</svg>")
    with open(a.out, "w") as fh:
        fh.write("\n".join(out))


if __name__ == "__main__":
    main()

"""Chrome trace-event JSON (what ui.perfetto.dev and chrome://tracing open), from a model.

Layout: one process "cspy"; one thread track per processor (``tid`` = P id, named by a
``thread_name`` metadata event), a complete event ("X") per slice with the task's name and
args ``task``, ``name``, ``stopped`` (why), ``on``; idle and spinning stretches on the same
track; flow arrows as a "s" event inside the waker's slice and a "f" event (``bp: "e"``, bound to
the enclosing slice) at the start of the woken task's slice; garbage collections as slices on
the thread they ran on (nested in the slice of the task that triggered them); regions on a track
per task; logs and steals as instant events; counters for runnable and waiting tasks and each
processor's run queue. Times are microseconds from the start of the trace.

``cspyTasks`` (an extra top-level key, ignored by viewers) holds each task's totals -- running,
runnable, waiting by reason -- for ``cspy trace summary``.
"""

from __future__ import annotations

import json
from typing import IO, Any

from cspy.trace.model import Model

__all__ = ["to_json", "write_json", "OTHER_TRACKS_BASE", "REGION_TRACKS_BASE"]

PID = 1
# Thread ids of the tracks that are not processors: other threads (offload, netpoll...) and
# the per-task region tracks. Processors use their id, so these start far above any P count.
OTHER_TRACKS_BASE = 10_000
REGION_TRACKS_BASE = 1_000_000


def _us(m: Model, t: int) -> float:
    return round((t - m.t0) / 1000.0, 3)


def to_json(m: Model) -> dict[str, Any]:
    out: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PID, "tid": 0, "args": {"name": "cspy"}},
    ]
    for pid, name in sorted(m.procs.items()):
        out.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": pid, "args": {"name": name}})
        out.append({"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": pid, "args": {"sort_index": pid}})
    other: dict[str, int] = {}

    def other_tid(thread: str) -> int:
        if thread.startswith("P") and thread[1:].isdigit():
            return int(thread[1:])
        tid = other.get(thread)
        if tid is None:
            tid = other[thread] = OTHER_TRACKS_BASE + len(other)
            out.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": tid, "args": {"name": thread}})
        return tid

    for s in m.slices:
        args: dict[str, Any] = {"task": s.task.id, "name": s.task.name, "stopped": s.why or "running"}
        if s.on:
            args["on"] = s.on
        out.append(
            {
                "ph": "X",
                "cat": "task",
                "name": s.task.name,
                "pid": PID,
                "tid": s.pid,
                "ts": _us(m, s.start),
                "dur": round((s.end - s.start) / 1000.0, 3),
                "args": args,
            }
        )
    for pid, what, start, end in m.proc_states:
        out.append(
            {"ph": "X", "cat": "proc", "name": what, "pid": PID, "tid": pid, "ts": _us(m, start), "dur": round((end - start) / 1000.0, 3)}
        )
    for f in m.flows:
        name = f.via or "ready"
        common = {"cat": "wake", "name": name, "id": f.id, "pid": PID}
        out.append({**common, "ph": "s", "tid": f.src_pid, "ts": _us(m, f.src_t), "args": {"waker": f.waker.id, "woken": f.woken.id}})
        out.append({**common, "ph": "f", "bp": "e", "tid": f.dst_pid, "ts": _us(m, f.dst_t)})
    for thread, start, end, gen, collected in m.gcs:
        out.append(
            {
                "ph": "X",
                "cat": "gc",
                "name": f"GC gen {gen}",
                "pid": PID,
                "tid": other_tid(thread),
                "ts": _us(m, start),
                "dur": round((end - start) / 1000.0, 3),
                "args": {"generation": gen, "collected": collected},
            }
        )
    region_tids: dict[int, int] = {}
    for task, name, start, end in m.regions:
        tid = region_tids.get(task.id)
        if tid is None:
            tid = region_tids[task.id] = REGION_TRACKS_BASE + task.id
            label = f"regions: task {task.id} {task.name!r}"
            out.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": tid, "args": {"name": label}})
        out.append({"ph": "X", "cat": "region", "name": name, "pid": PID, "tid": tid, "ts": _us(m, start), "dur": round((end - start) / 1000.0, 3)})
    for lpid, t, ltask, category, msg in m.logs:
        tid = lpid if lpid is not None else other_tid("other threads")
        args = {"message": msg, "category": category, "task": ltask.id if ltask is not None else None}
        out.append({"ph": "i", "s": "t", "cat": "log", "name": msg[:60], "pid": PID, "tid": tid, "ts": _us(m, t), "args": args})
    for thief, t, victim, task in m.steals:
        out.append(
            {"ph": "i", "s": "t", "cat": "steal", "name": f"steal from P{victim}", "pid": PID, "tid": thief, "ts": _us(m, t), "args": {"task": task.id}}
        )
    for name, series in sorted(m.counters.items()):
        key = name.split(" ")[-1] if name.endswith("queue") else name.split(" ")[0]
        for t, value in series:
            out.append({"ph": "C", "name": name, "pid": PID, "ts": _us(m, t), "args": {key: value}})
    tasks = [
        {
            "id": tt.id,
            "name": tt.name,
            "created_us": None if tt.created is None else round(tt.created / 1000.0, 3),
            "ended_us": None if tt.ended is None else round(tt.ended / 1000.0, 3),
            "site": tt.site,
            "slices": tt.slices,
            "running_us": round(tt.running / 1000.0, 3),
            "runnable_us": round(tt.runnable / 1000.0, 3),
            "waiting_us": {k: round(v / 1000.0, 3) for k, v in sorted(tt.waiting.items())},
        }
        for tt in sorted(m.tasks.values(), key=lambda x: x.id)
    ]
    return {
        "traceEvents": out,
        "displayTimeUnit": "ns",
        "otherData": {"producer": "cspy", "duration_us": round((m.t1 - m.t0) / 1000.0, 3), "notes": m.meta},
        "cspyTasks": tasks,
    }


def write_json(m: Model, f: IO[str]) -> None:
    json.dump(to_json(m), f, separators=(",", ":"))

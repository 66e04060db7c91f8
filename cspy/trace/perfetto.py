"""Perfetto's protobuf trace format (``.pftrace``), written by hand (trace.proto, TrackEvent).

The same content as the JSON export: a process track "cspy"; a child track per processor; a
slice per stretch a task ran (SLICE_BEGIN/SLICE_END, debug annotations ``task``, ``name``,
``stopped``, ``on``); flows as ``flow_ids`` on the waker's slice and ``terminating_flow_ids`` on
the woken task's slice; idle/spinning slices; GC slices; regions on per-task tracks; logs and
steals as instants; counter tracks (runnable and waiting tasks, run queues).

Field numbers (stable by protobuf's contract), from perfetto/protos/perfetto/trace/:
Trace.packet=1; TracePacket: timestamp=8, trusted_packet_sequence_id=10, track_event=11,
sequence_flags=13, track_descriptor=60; TrackDescriptor: uuid=1, name=2, process=3,
parent_uuid=5, counter=8; ProcessDescriptor: pid=1, process_name=6; TrackEvent:
debug_annotations=4, type=9 (SLICE_BEGIN=1, SLICE_END=2, INSTANT=3, COUNTER=4), track_uuid=11,
name=23, counter_value=30, flow_ids=47, terminating_flow_ids=48 (fixed64); DebugAnnotation:
int_value=4, string_value=6, name=10.

Packets are written in time order on one sequence (id 1), the first clearing incremental state.
"""

from __future__ import annotations

import os
from typing import IO

from cspy.trace.model import Model
from cspy.trace.protobuf import Message

__all__ = ["to_pftrace", "write_pftrace"]

SEQ = 1
BEGIN, END, INSTANT, COUNTER = 1, 2, 3, 4
PROCESS_UUID = 1
P_BASE, OTHER_BASE, COUNTER_BASE, REGION_BASE = 100, 200_000, 500_000, 1_000_000


def _track(uuid: int, name: str, parent: int | None = None, counter: bool = False) -> bytes:
    td = Message().num(1, uuid).text(2, name)
    if parent is not None:
        td.num(5, parent)
    if counter:
        td.msg(8, Message())
    return bytes(Message().msg(60, td).num(10, SEQ))


def _ann(name: str, value: int | str) -> Message:
    a = Message().text(10, name)
    if isinstance(value, int):
        a.num(4, value)
    else:
        a.text(6, value)
    return a


def _event(
    ts: int,
    track: int,
    kind: int,
    name: str | None = None,
    args: dict[str, int | str] | None = None,
    flows: list[int] | None = None,
    terminating: list[int] | None = None,
    value: int | None = None,
) -> Message:
    te = Message()
    for k, v in (args or {}).items():
        te.msg(4, _ann(k, v))
    te.num(9, kind).num(11, track)
    if name is not None:
        te.text(23, name)
    if value is not None:
        te.num(30, value)
    for f in flows or ():
        te.fixed64(47, f)
    for f in terminating or ():
        te.fixed64(48, f)
    return Message().num(8, max(0, ts)).num(10, SEQ).msg(11, te)


def to_pftrace(m: Model) -> bytes:
    head: list[bytes] = []
    proc = Message().num(1, PROCESS_UUID).msg(3, Message().num(1, os.getpid()).text(6, "cspy")).text(2, "cspy")
    head.append(bytes(Message().msg(60, proc).num(10, SEQ).num(13, 1)))  # SEQ_INCREMENTAL_STATE_CLEARED
    for pid, name in sorted(m.procs.items()):
        head.append(_track(P_BASE + pid, name, PROCESS_UUID))
    timed: list[tuple[int, int, bytes]] = []  # (ts, order, packet): ENDs before BEGINs at one instant

    def add(ts: int, order: int, msg: Message) -> None:
        timed.append((ts, order, bytes(msg)))

    for s in m.slices:
        track = P_BASE + s.pid
        args: dict[str, int | str] = {"task": s.task.id, "name": s.task.name, "stopped": s.why or "running"}
        if s.on:
            args["on"] = s.on
        add(s.start, 2, _event(s.start, track, BEGIN, s.task.name, args, s.flows_out, s.flows_in))
        add(s.end, 1, _event(s.end, track, END))
    for pid, what, start, end in m.proc_states:
        add(start, 2, _event(start, P_BASE + pid, BEGIN, what))
        add(end, 1, _event(end, P_BASE + pid, END))
    others: dict[str, int] = {}

    def other(thread: str) -> int:
        if thread.startswith("P") and thread[1:].isdigit():
            return P_BASE + int(thread[1:])
        uuid = others.get(thread)
        if uuid is None:
            uuid = others[thread] = OTHER_BASE + len(others)
            head.append(_track(uuid, thread, PROCESS_UUID))
        return uuid

    for thread, start, end, gen, collected in m.gcs:
        track = other(thread)
        add(start, 3, _event(start, track, BEGIN, f"GC gen {gen}", {"generation": gen, "collected": collected}))
        add(end, 0, _event(end, track, END))
    regions: dict[int, int] = {}
    for task, name, start, end in m.regions:
        uuid = regions.get(task.id)
        if uuid is None:
            uuid = regions[task.id] = REGION_BASE + task.id
            head.append(_track(uuid, f"regions: task {task.id} {task.name!r}", PROCESS_UUID))
        add(start, 2, _event(start, uuid, BEGIN, name))
        add(end, 1, _event(end, uuid, END))
    for lpid, t, ltask, category, msg in m.logs:
        track = P_BASE + lpid if lpid is not None else other("other threads")
        add(t, 4, _event(t, track, INSTANT, msg[:60], {"message": msg, "category": category}))
    for thief, t, victim, task in m.steals:
        add(t, 4, _event(t, P_BASE + thief, INSTANT, f"steal from P{victim}", {"task": task.id}))
    for i, (name, series) in enumerate(sorted(m.counters.items())):
        uuid = COUNTER_BASE + i
        head.append(_track(uuid, name, PROCESS_UUID, counter=True))
        for t, value in series:
            add(t, 4, _event(t, uuid, COUNTER, value=value))
    timed.sort(key=lambda x: (x[0], x[1]))
    trace = Message()
    for pkt in head:
        trace.raw(1, pkt)
    for _, _, pkt in timed:
        trace.raw(1, pkt)
    return bytes(trace)


def write_pftrace(m: Model, f: IO[bytes]) -> None:
    f.write(to_pftrace(m))

"""From recorded events to what a trace shows: slices, flows, states, counters, per-task totals.

Both exports (chrome.py, perfetto.py) and the summary draw from this one reading, so they agree.
Events are merged from every buffer in time order (each buffer is in its own thread's order;
a garbage collection noted while an event was being recorded may sit one place early, so each
buffer is sorted first, which costs nothing on sorted data).

- A **slice** is a stretch one task ran on one processor: from RUN (or the RUN half of a SWITCH)
  to the STOP/END/SWITCH that ends it, with why it stopped (the wait reason, "yield", "end").
- A **flow** goes from the waker's slice, at the moment it readied a task, to the woken task's
  next slice. Only a *task* can be the start of a flow: a wake-up from a timer, the offload pool
  or the netpoll has no slice to start from, and shows as the woken task's state change only.
- **Task states** follow Go's goroutine analysis: running, runnable (readied, waiting for its
  processor), waiting by reason; the totals per task are what ``cspy trace summary`` prints.

A flight-recorder window starts in the middle of things: a slice whose RUN fell out of the
window starts at the window's start; a task first seen mid-state is counted from its first event.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cspy.scheduler import Task, TaskState
from cspy.trace import recorder as ev
from cspy.trace.hook import label_of
from cspy.trace.recorder import Recording

__all__ = ["Model", "Slice", "Flow", "TaskTotals", "build", "describe_on"]


@dataclass
class Slice:
    pid: int
    task: Task
    start: int
    end: int
    why: str  # wait reason, "yield", "end", or "" (still running at the end)
    on: str  # what it then waited on ("chan 'jobs'"), or ""
    flows_out: list[int] = field(default_factory=list)  # flow ids starting in this slice
    flows_in: list[int] = field(default_factory=list)  # flow ids ending at this slice


@dataclass
class Flow:
    id: int
    src_pid: int
    src_t: int
    dst_pid: int
    dst_t: int
    waker: Task
    woken: Task
    via: str


@dataclass
class TaskTotals:
    id: int
    name: str
    created: int | None = None  # ns since the trace start
    ended: int | None = None
    site: str = ""
    running: int = 0
    runnable: int = 0
    waiting: Counter[str] = field(default_factory=Counter)  # reason -> ns
    slices: int = 0


@dataclass
class Model:
    t0: int
    t1: int
    procs: dict[int, str]  # pid -> track name
    slices: list[Slice] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    proc_states: list[tuple[int, str, int, int]] = field(default_factory=list)  # pid, idle/spinning, start, end
    gcs: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # thread, start, end, gen, collected
    logs: list[tuple[int | None, int, Task | None, str, str]] = field(default_factory=list)  # pid, t, task, category, msg
    regions: list[tuple[Task, str, int, int]] = field(default_factory=list)  # task, name, start, end
    steals: list[tuple[int, int, int, Task]] = field(default_factory=list)  # thief, t, victim, task
    counters: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # name -> (t, value)
    tasks: dict[int, TaskTotals] = field(default_factory=dict)
    meta: list[str] = field(default_factory=list)


def describe_on(on: object) -> str:
    lab = label_of(on)
    return "" if lab is None else f"{lab[0]} {lab[1]!r}"


def _why(why: object) -> str:
    value = getattr(why, "value", None)
    return value if isinstance(value, str) else str(why)


class _Builder:
    def __init__(self, rec: Recording, since: int | None) -> None:
        self.rec = rec
        rt = rec.rt
        start = rec.t0 if since is None else max(rec.t0, since)
        self.m = Model(start, start, {})
        for p in rt.ps:
            self.m.procs[p.id] = f"P{p.id}" + (f" ({p.thread_name})" if p.thread_name else "")
        self.open: dict[int, tuple[Task, int] | None] = {pid: None for pid in self.m.procs}
        self.seen_p: set[int] = set()
        self.state: dict[int, tuple[str, int, str]] = {}  # task id -> (state, since, reason)
        self.preready: set[int] = set()  # readied before their STOP was recorded
        self.pending: dict[int, list[tuple[int, int, Task, str]]] = {}  # woken id -> (pid, t, waker, via)
        self.slice_at: dict[tuple[int, int], Slice] = {}  # (pid, start) -> slice
        self.by_task_open: dict[int, Slice] = {}
        self.nrunnable = 0
        self.nwaiting = 0
        self.region_open: dict[tuple[int, str], list[int]] = {}
        if since is None:  # a full recording: start from the snapshot taken when it started
            for t in rec.initial:
                if t.state is TaskState.WAITING:
                    self._set(t, "waiting", start, _why(t.reason))
                elif t.state in (TaskState.RUNNABLE, TaskState.NEW):
                    self._set(t, "runnable", start, "")
                elif t.state is TaskState.RUNNING and t.home is not None:
                    self._set(t, "running", start, "")
                    self.open[t.home.id] = (t, start)
                    self.seen_p.add(t.home.id)

    # ---- per-task state -------------------------------------------------------------------------

    def _totals(self, task: Task) -> TaskTotals:
        tt = self.m.tasks.get(task.id)
        if tt is None:
            tt = self.m.tasks[task.id] = TaskTotals(task.id, task.name)
        return tt

    def _set(self, task: Task, state: str, t: int, reason: str) -> None:
        old = self.state.get(task.id)
        tt = self._totals(task)
        if old is not None:
            ostate, since, oreason = old
            d = max(0, t - since)
            if ostate == "running":
                tt.running += d
            elif ostate == "runnable":
                tt.runnable += d
                self.nrunnable -= 1
            elif ostate == "waiting":
                tt.waiting[oreason] += d
                self.nwaiting -= 1
        if state == "runnable":
            self.nrunnable += 1
        elif state == "waiting":
            self.nwaiting += 1
        if state == "dead":
            self.state.pop(task.id, None)
        else:
            self.state[task.id] = (state, t, reason)

    def _count(self, t: int) -> None:
        for name, value in (("runnable tasks", self.nrunnable), ("waiting tasks", self.nwaiting)):
            series = self.m.counters.setdefault(name, [])
            if not series or series[-1][1] != value:
                if series and series[-1][0] == t:
                    series[-1] = (t, max(0, value))
                else:
                    series.append((t, max(0, value)))

    # ---- slices ---------------------------------------------------------------------------------

    def _close(self, pid: int, t: int, why: str, on: str) -> Slice | None:
        cur = self.open.get(pid)
        if cur is None:
            return None
        task, start = cur
        self.open[pid] = None
        s = Slice(pid, task, start, t, why, on)
        self.m.slices.append(s)
        self.slice_at[(pid, start)] = s
        self._totals(task).slices += 1
        return s

    def _first_close(self, pid: int, task: Task, t: int) -> None:
        """A STOP/END on a processor with no open slice, before any RUN in the window."""
        if pid not in self.seen_p and self.open.get(pid) is None:
            self.open[pid] = (task, self.m.t0)
            self._set(task, "running", self.m.t0, "")

    def _start(self, pid: int, task: Task, t: int) -> None:
        self._close(pid, t, "", "")
        self.seen_p.add(pid)
        self.open[pid] = (task, t)
        self._set(task, "running", t, "")
        for src_pid, src_t, waker, via in self.pending.pop(task.id, ()):
            fid = len(self.m.flows) + 1
            self.m.flows.append(Flow(fid, src_pid, src_t, pid, t, waker, task, via))

    def _stop(self, pid: int, task: Task, t: int, why: object, on: object) -> None:
        self._first_close(pid, task, t)
        self.seen_p.add(pid)
        w = _why(why)
        self._close(pid, t, w, describe_on(on))
        if w == "yield" or task.id in self.preready:
            self.preready.discard(task.id)
            self._set(task, "runnable", t, "")
        else:
            self._set(task, "waiting", t, w)

    # ---- the pass -------------------------------------------------------------------------------

    def run(self, per_buffer: list[tuple[Any, list[tuple[Any, ...]]]]) -> Model:
        streams = []
        for buf, evs in per_buffer:
            evs.sort(key=_time)
            streams.append([(e[0], i, buf.pid, buf.thread, e) for i, e in enumerate(evs)])
        last = self.m.t0
        for t, _, pid, thread, e in heapq.merge(*streams, key=_merge_key):
            if t < self.m.t0:
                continue
            last = max(last, e[2] if e[1] == ev.GC else t)
            self._event(t, pid, thread, e)
            self._count(t)
        self.m.t1 = max(last, self.rec.stopped_at or last)
        for pid, cur in list(self.open.items()):
            if cur is not None:
                self._close(pid, self.m.t1, "", "")
        end = self.m.t1
        for tid, (state, since, reason) in list(self.state.items()):
            tt = self.m.tasks.get(tid)
            if tt is None:
                continue
            d = max(0, end - since)
            if state == "running":
                tt.running += d
            elif state == "runnable":
                tt.runnable += d
            elif state == "waiting":
                tt.waiting[reason] += d
        for f in self.m.flows:
            src = self._slice_containing(f.src_pid, f.src_t)
            dst = self.slice_at.get((f.dst_pid, f.dst_t))
            if src is not None and dst is not None:
                src.flows_out.append(f.id)
                dst.flows_in.append(f.id)
        self.m.flows = self._bound_flows()  # a flow is drawn only between two slices
        return self.m

    def _bound_flows(self) -> list[Flow]:
        ids = {fid for s in self.m.slices for fid in s.flows_in}
        return [f for f in self.m.flows if f.id in ids]

    def _slice_containing(self, pid: int, t: int) -> Slice | None:
        if not hasattr(self, "_index"):
            idx: dict[int, list[Slice]] = {}
            for s in self.m.slices:
                idx.setdefault(s.pid, []).append(s)
            for v in idx.values():
                v.sort(key=lambda s: s.start)
            self._index = idx
            self._starts = {pid: [s.start for s in v] for pid, v in idx.items()}
        import bisect

        starts = self._starts.get(pid)
        if not starts:
            return None
        i = bisect.bisect_right(starts, t) - 1
        if i < 0:
            return None
        s = self._index[pid][i]
        return s if s.start <= t <= s.end else None

    def _event(self, t: int, pid: int | None, thread: str, e: tuple[Any, ...]) -> None:
        k = e[1]
        if k == ev.SWITCH and pid is not None:
            _, _, frm, why, on, to = e
            self._stop(pid, frm, t, why, on)
            self._start(pid, to, t)
        elif k == ev.RUN and pid is not None:
            self._start(pid, e[2], t)
        elif k == ev.STOP and pid is not None:
            self._stop(pid, e[2], t, e[3], e[4])
        elif k == ev.END and pid is not None:
            task = e[2]
            self._first_close(pid, task, t)
            self.seen_p.add(pid)
            self._close(pid, t, "end", "")
            self._set(task, "dead", t, "")
            self._totals(task).ended = t - self.m.t0
        elif k == ev.READY:
            _, _, waker, task, via = e
            st = self.state.get(task.id)
            if st is not None and st[0] == "running":
                self.preready.add(task.id)
            else:
                self._set(task, "runnable", t, "")
            if waker is not None and pid is not None:
                self.pending.setdefault(task.id, []).append((pid, t, waker, describe_on(via)))
        elif k == ev.TIMER:
            self._set(e[2], "runnable", t, "")
        elif k == ev.CREATE:
            _, _, parent, child, site = e
            tt = self._totals(child)
            tt.created = t - self.m.t0
            tt.site = site
            self._set(child, "runnable", t, "")
        elif k in (ev.HUB, ev.IDLE) and pid is not None:
            cur = self.open.get(pid)
            if cur is not None:
                self._close(pid, t, "", "")
            if k == ev.HUB:
                self.m.counters.setdefault(f"P{pid} run queue", []).append((t, e[2]))
            else:
                self._pstate_open(pid, "idle", t)
        elif k == ev.BUSY and pid is not None:
            self._pstate_close(pid, "idle", t)
        elif k == ev.SPIN and pid is not None:
            if e[2]:
                self._pstate_open(pid, "spinning", t)
            else:
                self._pstate_close(pid, "spinning", t)
        elif k == ev.STEAL and pid is not None:
            self.m.steals.append((pid, t, e[2], e[3]))
        elif k == ev.GC:
            self.m.gcs.append((thread if pid is None else f"P{pid}", t, e[2], e[3], e[4]))
        elif k == ev.LOG:
            self.m.logs.append((pid, t, e[2], e[3], e[4]))
        elif k == ev.REGION:
            _, _, task, name, begin = e
            key = (task.id, name)
            if begin:
                self.region_open.setdefault(key, []).append(t)
            elif self.region_open.get(key):
                self.m.regions.append((task, name, self.region_open[key].pop(), t))
        elif k == ev.META:
            self.m.meta.append(e[2])

    def _pstate_open(self, pid: int, what: str, t: int) -> None:
        self.m.proc_states.append((pid, what, t, -1))

    def _pstate_close(self, pid: int, what: str, t: int) -> None:
        for i in range(len(self.m.proc_states) - 1, -1, -1):
            p, w, s, end = self.m.proc_states[i]
            if p == pid and w == what and end < 0:
                self.m.proc_states[i] = (p, w, s, t)
                return


def _time(e: tuple[Any, ...]) -> int:
    return e[0]  # type: ignore[no-any-return]


def _merge_key(item: tuple[Any, ...]) -> tuple[int, int]:
    return item[0], item[1]


def build(rec: Recording, since: int | None = None) -> Model:
    """The model of ``rec``'s events (from ``since``, ns, for a flight-recorder window)."""
    b = _Builder(rec, since)
    m = b.run(rec.events(since))
    m.proc_states = [(p, w, s, e if e >= 0 else m.t1) for p, w, s, e in m.proc_states]
    return m

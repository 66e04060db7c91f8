"""``cspy.stats()``: a plain-data snapshot of the scheduler, for tests, the CLI and the live view.

Counters live where the work happens (processor fields written by their owner, per-task wait
reasons) and are read here without locks: a snapshot costs the hot path nothing, and each number
is one a processor really had, though two numbers may come from slightly different instants.
The running and runnext tasks are objects, not numbers: they are read through ``peek`` (runner.py),
and a task's state and wait reason through ``Task.snapshot`` (task.py), never as attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cspy.build import BUILD
from cspy.scheduler.runtime import LongRunning, Runtime, running
from cspy.scheduler.task import Task, TaskState, tally

__all__ = ["Stats", "ProcStats", "TaskInfo", "snapshot"]


@dataclass(frozen=True)
class TaskInfo:
    id: int
    name: str
    state: str  # "new", "runnable", "running", "waiting"
    reason: str | None  # the wait reason when waiting


@dataclass(frozen=True)
class ProcStats:
    id: int
    thread: str
    state: str  # "running" (has a current task), "idle", "spinning" or "scheduling"
    current: TaskInfo | None
    runnext: TaskInfo | None
    runq: int  # pinned + new tasks queued locally (runnext excluded)
    runq_new: int  # of which new (stealable)
    inbox: int
    timers: int
    ticks: int
    switches: int
    steals_in: int
    steals_out: int
    spawned: int
    finished: int
    spinning: bool = False  # looking for work before it sleeps (builds without the GIL)
    handoffs_in: int = 0  # tasks readied here from other processors' threads (total)


@dataclass(frozen=True)
class Stats:
    running: bool  # False: no runtime is running (everything below is zero)
    procs: list[ProcStats] = field(default_factory=list)
    uptime: float = 0.0
    global_queue: int = 0
    tasks: int = 0  # num_tasks()
    runnable: int = 0
    waiting: int = 0
    parked: dict[str, int] = field(default_factory=dict)  # wait reason -> tasks
    spawned: int = 0
    finished: int = 0
    steals: int = 0
    switches: int = 0
    timers: int = 0
    pending_ops: int = 0  # blocking calls and I/O in flight
    offload_calls: int = 0
    long_running: int = 0  # sysmon detections of a task holding its processor > 10 ms
    long_running_recent: list[LongRunning] = field(default_factory=list)
    spinning: int = 0  # processors spinning now
    handoffs: int = 0  # cross-processor wake-ups since the start (total of ``handoffs_in``)
    build: str = BUILD  # "compiled" or "pure": which build of the hot path runs (cspy/build.py)


def _info(task: Task | None) -> TaskInfo | None:
    if task is None:
        return None
    state, reason, _ = task.snapshot()
    why = reason.value if state is TaskState.WAITING and reason else None
    return TaskInfo(task.id, task.name, state.name.lower(), why)


def snapshot(rt: Runtime | None = None) -> Stats:
    rt = rt if rt is not None else running()
    if rt is None:
        return Stats(running=False)
    procs = []
    for p in rt.ps:
        cur, nxt = p.peek()  # not p.current: see Runners.peek
        spinning = p.spinning
        if p.idle:
            state = "idle"
        elif cur is not None:
            state = "running"
        else:
            state = "spinning" if spinning else "scheduling"
        procs.append(
            ProcStats(
                id=p.id,
                thread=p.thread_name,
                state=state,
                current=_info(cur),
                runnext=_info(nxt),
                runq=len(p.pinned) + len(p.new),
                runq_new=len(p.new),
                inbox=len(p.inbox),
                timers=p.timers.live,
                ticks=p.ticks,
                switches=p.switches,
                steals_in=p.steals_in,
                steals_out=p.steals_out,
                spawned=p.spawned,
                finished=p.finished,
                spinning=spinning,
                handoffs_in=p.handoffs_in,
            )
        )
    parked, runnable = tally(rt.all_tasks())
    offload = rt.offload
    return Stats(
        running=True,
        procs=procs,
        uptime=rt.clock() - rt.started_at,
        global_queue=len(rt.glob),
        tasks=rt.num_tasks(),
        runnable=runnable,
        waiting=sum(parked.values()),
        parked=parked,
        spawned=sum(p.spawned for p in procs) + rt.spawned_foreign,
        finished=sum(p.finished for p in procs),
        steals=sum(p.steals_in for p in procs),
        switches=sum(p.switches for p in procs),
        timers=sum(p.timers for p in procs),
        pending_ops=rt.pending_ops,
        offload_calls=offload.calls if offload is not None else 0,
        long_running=rt.long_running_count,
        long_running_recent=list(rt.long_running),
        spinning=sum(1 for p in procs if p.spinning),
        handoffs=sum(p.handoffs_in for p in procs),
    )

"""The task dump (Go's goroutine dump): every task, its state, what it waits on, its stack.

Read-only. It takes snapshots of the processors' task tables without locks, so a dump taken
while tasks run is a best-effort picture (as Go's is without stopping the world); the deadlock
message is exact because every processor is idle then.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from cspy.scheduler.task import Task, TaskState

if TYPE_CHECKING:
    from cspy.scheduler.runtime import Runtime

__all__ = ["dump_runtime", "describe"]


def describe(task: Task, now: float) -> str:
    """``task 7 [chan receive, 2.1s]:`` -- the header line of one task."""
    if task.state is TaskState.WAITING and task.reason is not None:
        what = task.reason.value
        waited = now - task.wait_since
        if waited >= 1.0:
            what += f", {waited:.1f}s"
    else:
        what = task.state.name.lower()
    name = "" if task.name == f"task-{task.id}" else f" {task.name!r}"
    return f"task {task.id}{name} [{what}]:"


def _stack(task: Task) -> list[str]:
    g = task.glet
    frame = getattr(g, "gr_frame", None) if g is not None else None
    if frame is None:
        if task.state is TaskState.NEW:
            fn = task.fn
            where = getattr(fn, "__qualname__", repr(fn))
            return [f"  created, not started: {where}(...)"]
        return []
    lines: list[str] = []
    for fs in traceback.extract_stack(frame):
        if "/cspy/scheduler/" in fs.filename.replace("\\", "/"):
            continue  # the scheduler's own frames say nothing about the program
        lines.append(f"  {fs.name}(...)")
        lines.append(f"      {fs.filename}:{fs.lineno}")
    return lines


def dump_runtime(rt: Runtime) -> str:
    now = rt.coarse_now if rt.coarse_now > rt.started_at else rt.clock()
    now = max(now, rt.clock())
    blocks = []
    for task in rt.all_tasks():
        block = [describe(task, now)]
        if task.waiting_on is not None:
            block.append(f"  waiting on {task.waiting_on!r}")
        block.extend(_stack(task))
        blocks.append("\n".join(block))
    return "\n\n".join(blocks) + "\n"

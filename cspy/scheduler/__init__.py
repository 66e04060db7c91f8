"""The scheduler: tasks (G), processors (P) on threads (M), and the runtime that owns them.

This package is the bottom layer. It knows nothing of channels or sync: those use the small
park/ready interface re-exported here (see park.py for the protocol).
"""

from cspy.scheduler.dump import dump_runtime
from cspy.scheduler.park import (
    add_timer,
    blocking,
    current_task,
    go,
    gosched,
    now,
    num_tasks,
    park,
    rand,
    ready,
    sleep,
    task_to_park,
)
from cspy.scheduler.runtime import LongRunning, Runtime, default_procs, gil_enabled, run, running
from cspy.scheduler.stats import ProcStats, Stats, TaskInfo, snapshot
from cspy.scheduler.task import Task, TaskState, WaitReason
from cspy.scheduler.timers import Timer as RuntimeTimer

__all__ = [
    "LongRunning",
    "ProcStats",
    "Runtime",
    "RuntimeTimer",
    "Stats",
    "Task",
    "TaskInfo",
    "TaskState",
    "WaitReason",
    "add_timer",
    "blocking",
    "current_task",
    "default_procs",
    "dump_runtime",
    "gil_enabled",
    "go",
    "gosched",
    "now",
    "num_tasks",
    "park",
    "rand",
    "ready",
    "run",
    "running",
    "sleep",
    "snapshot",
    "task_to_park",
]

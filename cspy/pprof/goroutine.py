"""The goroutine profile: every task of the running runtime, grouped by stack (Go's
``pprof.Lookup("goroutine")``), with labels ``state`` (the wait reason, or running/runnable) and
``P`` (the task's processor). ``debug=2`` is the task dump itself (cspy.scheduler.dump).

Stacks come from the same places as the dump's: a suspended task's greenlet, or, for a task
running on some processor's thread, that thread's current frame. A best-effort snapshot, as
Go's is (taken without stopping the world).
"""

from __future__ import annotations

import sys
from collections import Counter
from types import FrameType

from cspy.scheduler import Runtime, Task, TaskState
from cspy.scheduler.dump import _running_frames, entry_fn, readable_home, state_word
from cspy.pprof.profile import Labels
from cspy.trace.stacks import Stack, stack_of

__all__ = ["goroutine_groups"]


def _frame(task: Task, state: TaskState, running: dict[int, FrameType]) -> FrameType | None:
    if state is TaskState.RUNNING:
        return running.get(task.id)
    g = task.glet
    return getattr(g, "gr_frame", None) if g is not None else None


def goroutine_groups(rt: Runtime, here: FrameType | None = None) -> Counter[tuple[Stack, Labels]]:
    """(stack, labels) -> how many tasks, for every task of ``rt`` (the caller's frame is ``here``)."""
    only = readable_home(rt)  # the dump's rule (dump.py)
    running = _running_frames(rt, here if here is not None else sys._getframe(1), everyone=only is None)
    out: Counter[tuple[Stack, Labels]] = Counter()
    for task in rt.all_tasks():
        state, reason, home = task.snapshot()  # not the attributes: see Task.snapshot
        readable = home is not None and (only is None or home is only)
        stack = stack_of(_frame(task, state, running)) if readable else ()
        if home is None and state is TaskState.NEW:  # not started: its function
            code = getattr(entry_fn(task, only), "__code__", None)
            if code is not None:
                stack = ((code.co_filename, code.co_qualname, code.co_firstlineno, code.co_firstlineno),)
        labels: Labels = (("state", state_word(state, reason)), ("P", str(home.id) if home is not None else "-"))
        out[(stack, labels)] += 1
    return out

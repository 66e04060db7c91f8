"""Leaked tasks: where each task was spawned, and the report of those still alive after main.

Go's uber-go/goleak finds leaked goroutines by parsing stack dumps and retrying for ~430 ms until
the ones that are merely slow to exit are gone. cspy needs neither: the runtime knows every task's
state, and the harness (bubble.py) runs the check at the one moment it is exact -- main has
returned and nothing can run without the clock moving. Any task still alive then waits for
something that will never come (a channel nobody sends on, a lock nobody releases) or for a timer
that the test ended before; both are leaks.

A leak is described as the task dump describes a task (cspy/scheduler/dump.py: the same header,
``task 7 'worker' [chan receive]:``, and ``waiting on ...``), plus where it was spawned: the first
frame outside cspy of the ``go`` call, recorded only under cspy.testing (``Bubble.spawned``), so
``cspy.run``'s spawn path pays nothing for it. The innermost frames of the program, where the
task waits, follow.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

from cspy.scheduler.dump import describe, state_word
from cspy.scheduler.task import Task, TaskState

if TYPE_CHECKING:
    from cspy.scheduler.runtime import Runtime

__all__ = ["LeakError", "Leak", "spawn_site", "find_leaks", "is_cspy_file"]

_CSPY = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the cspy package
# The gallery installed as cspy.examples (a wheel) is a program, not cspy.
_EXAMPLES = _CSPY + "examples" + os.sep

# Frames shown per leaked task: where it waits, not its whole history.
STACK_FRAMES = 6


def is_cspy_file(filename: str) -> bool:
    return filename.startswith(_CSPY) and not filename.startswith(_EXAMPLES)


def spawn_site() -> str | None:
    """``file:line`` of the first caller frame outside cspy (the frames of cspy's own functions
    are skipped by file, not counted: the compiled build's functions have no frames)."""
    f: FrameType | None = sys._getframe(1)
    while f is not None and is_cspy_file(f.f_code.co_filename):
        f = f.f_back
    if f is None:
        return None
    return f"{f.f_code.co_filename}:{f.f_lineno}"


@dataclass(frozen=True)
class Leak:
    """One task alive after main returned."""

    id: int
    name: str
    reason: str  # the task dump's words: "chan receive", "sleep", "sync.Mutex.Lock", "runnable"
    waiting_on: str | None  # repr of the channel, lock or select it waits on
    spawned_at: str | None  # "file:line" of the go() call
    stack: tuple[str, ...] = field(default=())  # "function  file:line", innermost first

    def describe(self, header: str) -> str:
        lines = [header]
        if self.waiting_on is not None:
            lines.append(f"  waiting on {self.waiting_on}")
        lines.append(f"  spawned at {self.spawned_at or '(unknown)'}")
        lines.extend(f"  {frame}" for frame in self.stack)
        return "\n".join(lines)


class LeakError(AssertionError):
    """Tasks still alive once main returned and nothing could run without the clock moving.

    ``leaks`` lists them (:class:`Leak`); the message shows each as the task dump does, with the
    file and line where it was spawned.
    """

    def __init__(self, message: str, leaks: list[Leak]) -> None:
        super().__init__(message)
        self.leaks = leaks


def find_leaks(rt: Runtime, sites: dict[int, str]) -> LeakError | None:
    """Caller holds ``rt.lock``, main has returned and every processor is idle: the leak report,
    or None if no task is alive."""
    tasks = [t for t in rt.all_tasks() if t.state is not TaskState.DEAD]
    if not tasks:
        return None
    now = rt.clock()
    leaks: list[Leak] = []
    blocks: list[str] = []
    for t in tasks:
        leak = _leak(t, sites.get(t.id))
        leaks.append(leak)
        blocks.append(leak.describe(describe(t, now)))
    n = len(leaks)
    head = (
        f"{n} task{'s' if n != 1 else ''} leaked: still alive after main returned, with nothing "
        f"left that could run without the clock moving\n\n"
    )
    return LeakError(head + "\n\n".join(blocks), leaks)


def _leak(t: Task, site: str | None) -> Leak:
    state, why, _ = t.snapshot()
    reason = state_word(state, why)
    on = t.waiting_on if state is TaskState.WAITING else None
    return Leak(t.id, t.name, reason, None if on is None else _safe_repr(on), site, _stack(t))


def _stack(t: Task) -> tuple[str, ...]:
    g = t.glet
    f: FrameType | None = getattr(g, "gr_frame", None) if g is not None else None
    out: list[str] = []
    while f is not None and len(out) < STACK_FRAMES:
        code = f.f_code
        if not is_cspy_file(code.co_filename):
            out.append(f"{code.co_qualname.replace('.<locals>.', '.')}(...)  {code.co_filename}:{f.f_lineno}")
        f = f.f_back
    return tuple(out)


def _safe_repr(obj: object) -> str:
    try:
        return repr(obj)
    except Exception as exc:
        return f"<{type(obj).__name__} (repr failed: {exc!r})>"

"""The task dump (Go's goroutine dump): every task, its state, what it waits on, its stack.

    task 7 'worker-3' [chan receive, 2.1s]:
      waiting on <Chan 'jobs' cap=10>
      worker(...)
          /app/pool.py:12
      ...

Main first, then by id. A stack is listed innermost call first, as Go does, and the scheduler's
own machinery (the runner greenlet, the switch, park) is left out: it is the same for every task
and says nothing about the program.

Where the stacks come from:
- a parked or runnable task is a suspended greenlet: its ``gr_frame`` is the frame that switched
  away, and the chain ends at the greenlet's first frame;
- a *running* task is the current greenlet of its processor's thread: its frame comes from
  ``sys._current_frames()``, or, for the thread asking for the dump, from the caller (a signal
  handler passes the frame it interrupted, so the dump does not show itself).

Read-only and lock-free: it copies the processors' task tables (see ``Runtime.all_tasks``), so a
dump taken while tasks run is a best-effort picture, as Go's is without stopping the world; a
task may move on between reading its state and its stack. The deadlock message is exact,
because every processor is idle then (``stopped=True``).

Another thread's stacks are walked only when every processor is stopped (the deadlock check).
While the processors run, a frame chain of a greenlet that another thread resumes or retires can
point into memory that thread has freed: CPython 3.11 with the GIL crashed here in ``f_back``
(an observer thread dumping while tasks started and finished, once in some hundred runs), and
without the GIL it is quicker still. So a dump taken while they run shows every task's header
line, but stacks only for tasks of the calling thread's own processor (they cannot move while it
dumps; a signal handler runs on the main thread, P0's); the other tasks say so. Go stops the
world for its full dump; cspy reads what cannot move. The object a task waits on is shown with
the GIL; without it, reading it while its thread replaces it can crash too, so it is shown only
for the same tasks as the stacks.

No source lines are read (no file I/O), so the dump is
safe to take from a signal handler.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from cspy.scheduler.procs import gil_enabled
from cspy.scheduler.runtime import running
from cspy.scheduler.task import Task, TaskState, WaitReason

if TYPE_CHECKING:
    from cspy.scheduler.runtime import Runtime

__all__ = ["dump_runtime", "dump_tasks", "describe", "state_word", "readable_home", "entry_fn"]

# Frames of the scheduler's machinery, the same under every task: the runner greenlet and the
# switch (runner.py, processor.py), and park() itself. The blocking call the program made (``sleep``,
# ``blocking``, a channel's ``recv``) stays visible, as Go shows ``time.Sleep`` or ``chanrecv``.
_HIDDEN_FILES = ("/cspy/scheduler/processor.py", "/cspy/scheduler/runner.py")
_HIDDEN_FN = ("/cspy/scheduler/park.py", "park")

# A task that recursed deeply would drown the dump; Go also cuts stacks (at 100 frames).
MAX_FRAMES = 100


def dump_tasks(frame: FrameType | None = None) -> str:
    """Every task of the running runtime with its state, wait reason and stack (Go's goroutine dump).

    Callable from any thread while ``cspy.run`` runs: from a task, a signal handler, a foreign
    thread. ``frame`` is where the calling thread's stack starts (default: the caller's frame);
    a signal handler passes the frame it interrupted. ``kill -USR1 <pid>`` prints this to stderr
    for a program started with ``cspy.run``. Stacks are shown for the tasks of the calling
    thread's own processor; another processor's tasks show their state (module docstring).

    >>> def main():
    ...     cspy.go(cspy.sleep, 1.0, name="sleeper")
    ...     cspy.gosched()
    ...     return cspy.dump_tasks()
    >>> print(cspy.run(main))  # doctest: +ELLIPSIS
    task 1 'main' [running]:
    ...
    task 2 'sleeper' [sleep]:
    ...
    """
    rt = running()
    if rt is None:
        raise RuntimeError(
            "cspy.dump_tasks() needs a running runtime: call it while cspy.run() runs "
            "(from a task, another thread or a signal handler)"
        )
    return dump_runtime(rt, frame if frame is not None else sys._getframe(1))


def dump_runtime(rt: Runtime, here: FrameType | None = None, *, stopped: bool = False) -> str:
    """The dump of ``rt``; ``here`` is the calling thread's frame if it runs a task of ``rt``.
    ``stopped``: the caller knows no processor can run a task meanwhile (the deadlock check)."""
    now = max(rt.coarse_now, rt.clock())
    only = readable_home(rt, stopped)
    frames = _running_frames(rt, here, everyone=only is None)
    blocks = [_block(task, now, frames, only) for task in rt.all_tasks()]
    return "\n\n".join(blocks) + "\n"


def readable_home(rt: Runtime, stopped: bool = False) -> object:
    """Whose tasks' stacks this thread may read: None for every task (``stopped``), else the
    calling thread's processor, or a marker matching no task's home when the caller is not a
    processor's thread (see the module's docstring)."""
    if stopped:
        return None
    me = threading.get_ident()
    for p in rt.ps:
        if p.thread_ident == me:
            return p
    return _NOBODY


_NOBODY = object()


def describe(task: Task, now: float) -> str:
    """``task 7 'worker-3' [chan receive, 2.1s]:`` -- the header line of one task.

    The name is shown unless it is the default ``task-<id>``; the time waited once it is a
    second or more (Go shows minutes; a Python program's interesting waits are shorter).
    """
    state, reason, _ = task.snapshot()
    what = state_word(state, reason)
    if state is TaskState.WAITING and reason is not None:
        waited = now - task.wait_since
        if waited >= 1.0:
            what += f", {waited:.1f}s"
    name = "" if task.name == f"task-{task.id}" else f" {task.name!r}"
    return f"task {task.id}{name} [{what}]:"


def state_word(state: TaskState, reason: WaitReason | None) -> str:
    """What the dump, the goroutine profile and the leak report call a task in ``state``: its
    wait reason while waiting, Go's "runnable" for one not started yet, else the state."""
    if state is TaskState.WAITING and reason is not None:
        return reason.value
    if state is TaskState.NEW:
        return "runnable"
    return state.name.lower()


def _block(task: Task, now: float, frames: dict[int, FrameType], only: object) -> str:
    """``only``: None, or the one processor whose started tasks' stacks may be read."""
    lines = [describe(task, now)]
    state, _, home = task.snapshot()
    if home is None:  # not started (or starting now, elsewhere: its greenlet is not read)
        fn = entry_fn(task, only)
        if state is TaskState.NEW:
            what = f": {getattr(fn, '__qualname__', repr(fn))}(...)" if fn is not None else ""
            lines.append(f"  not started{what}")
        return "\n".join(lines)
    readable = only is None or home is only
    on = task.waiting_on if readable or gil_enabled() else None
    if state is TaskState.WAITING and on is not None:
        lines.append(f"  waiting on {_safe_repr(on)}")
    if readable:
        lines.extend(_stack(task, state, frames))
    else:
        lines.append(f"  (stack not shown: on P{home.id}'s thread, which is running)")
    return "\n".join(lines)


def entry_fn(task: Task, only: object) -> object:
    """The function of a task not started yet, if this thread may read it (else None): a task
    that starts meanwhile drops ``fn`` on its own thread, which is safe to race with the GIL,
    when every processor is stopped, or from the only processor's thread (nobody else can
    start it), and not otherwise."""
    alone = only is not None and only is not _NOBODY and len(only.rt.ps) == 1  # type: ignore[attr-defined]
    if only is None or alone or gil_enabled():
        return task.fn
    return None


def _running_frames(rt: Runtime, here: FrameType | None, everyone: bool) -> dict[int, FrameType]:
    """Task id -> innermost frame, for the tasks running now on some processor's thread (only
    the calling thread's unless ``everyone``: without the GIL, not even a reference to another
    thread's live frame is taken -- dropping it writes into that thread's frame)."""
    me = threading.get_ident()
    threads = sys._current_frames() if everyone else {}
    if here is not None:
        threads[me] = here
    out: dict[int, FrameType] = {}
    for p in rt.ps:
        frame = threads.get(p.thread_ident)
        if frame is None:  # not a thread whose frame is read: its processor is not asked
            continue
        task = p.peek()[0]
        if task is not None:
            out[task.id] = frame
    return out


def _stack(task: Task, state: TaskState, frames: dict[int, FrameType]) -> list[str]:
    frame: FrameType | None
    if state is TaskState.RUNNING:
        frame = frames.get(task.id)
    else:
        g = task.glet
        frame = getattr(g, "gr_frame", None) if g is not None else None
    if frame is None:
        return []
    lines: list[str] = []
    depth = 0
    f: FrameType | None = frame
    while f is not None:
        code = f.f_code
        if not _hidden(code.co_filename.replace("\\", "/"), code.co_name):
            if depth == MAX_FRAMES:
                lines.append("  ...additional frames elided...")
                break
            lines.append(f"  {code.co_qualname.replace('.<locals>.', '.')}(...)")
            lines.append(f"      {code.co_filename}:{f.f_lineno}")
            depth += 1
        f = f.f_back
    return lines


def _hidden(filename: str, fn: str) -> bool:
    return filename.endswith(_HIDDEN_FILES) or (filename.endswith(_HIDDEN_FN[0]) and fn == _HIDDEN_FN[1])


def _safe_repr(obj: object) -> str:
    """repr() that cannot break the dump (a user object's __repr__ may raise)."""
    try:
        return repr(obj)
    except Exception as exc:
        return f"<{type(obj).__name__} (repr failed: {exc!r})>"

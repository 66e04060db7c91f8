"""park / ready: the one interface through which everything above the scheduler blocks.

Channels, sync, time and net never switch greenlets themselves. To block, a primitive:

1. takes its own lock and records the current task as a waiter (on its wait queue, with the
   outcome slots ``task.val`` / ``task.ok`` or a per-case record);
2. calls ``park(reason, lock)``: the task is marked WAITING, ``lock`` is released, and the
   processor switches to other work. ``park`` returns when some waker has called ``ready``.

To wake, a waker removes the waiter under the primitive's lock, stores the outcome, and calls
``ready(task)`` -- from any thread. Exactly one ``ready`` per ``park``: a primitive that can be
woken from several places (select) must claim the waiter first.

Why releasing the lock *before* switching away is safe, although a waker on another thread may
then ``ready`` the task before it has switched out: a started task only ever resumes on its home
processor, and that processor only looks at its inbox after the task has switched away.
(Go gets the same guarantee by releasing the lock on g0 after the switch.)
"""

from __future__ import annotations

from typing import Any, TypeVar
from collections.abc import Callable

from greenlet import GreenletExit

from cspy.scheduler import runtime as _runtime
from cspy.scheduler.processor import GLOBAL_CHECK_INTERVAL, Processor, current_processor
from cspy.scheduler import glet
from cspy.scheduler.lock import Lock
from cspy.scheduler.runner import Stack, running_processor, running_task
from cspy.scheduler.runqueue import RUNNEXT_STREAK
from cspy.scheduler.task import Task, TaskState, WaitReason
from cspy.scheduler.timers import Timer

__all__ = [
    "park",
    "ready",
    "current_task",
    "task_to_park",
    "go",
    "gosched",
    "sleep",
    "blocking",
    "num_tasks",
    "add_timer",
    "now",
    "rand",
]

T = TypeVar("T")

WAITING, RUNNABLE, RUNNING = TaskState.WAITING, TaskState.RUNNABLE, TaskState.RUNNING

_NOT_IN_TASK = (
    "{what} must be called from a cspy task: start the program with cspy.run(main) "
    "and call it from main or from a task started with cspy.go()"
)


def _current() -> Task:
    task = running_task()
    if task is None:
        raise RuntimeError(_NOT_IN_TASK.format(what="this operation"))
    return task


def task_to_park(lock: Any, what: str) -> Task:
    """Caller holds ``lock`` and must wait in ``what`` (e.g. ``"WaitGroup.wait()"``): the current
    task. Outside a task (plain Python, a ``cspy.blocking`` thread), ``lock`` is released and a
    ``RuntimeError`` naming ``what`` is raised, so a misuse never leaves a primitive locked."""
    task = running_task()
    if task is None:
        lock.release()
        raise RuntimeError(
            f"{what} would block outside a cspy task (e.g. in a cspy.blocking() thread): "
            "only tasks can wait; call it from main or from a task started with cspy.go()"
        )
    return task


def current_task() -> Task:
    """The running task. ``cspy.current_task().id`` is 1 in main.

    >>> cspy.run(lambda: cspy.current_task().id)
    1
    """
    g = glet.getcurrent()  # running_task(), inlined: every blocking operation asks
    s = g if type(g) is Stack else None  # (compiled: a typed local, so s.task is a C read)
    task: Task | None = None if s is None else s.task
    if task is None:
        raise RuntimeError(_NOT_IN_TASK.format(what="cspy.current_task()"))
    return task


def park(reason: WaitReason, lock: Any = None, on: object = None, task: Task | None = None) -> None:
    """Block the current task until ``ready(task)``; release ``lock`` (if any) once marked waiting.

    Caller holds ``lock`` and has registered the task as a waiter. ``on`` is what it waits on
    (shown by the task dump). ``task``, if the caller already has it, must be the current task
    (it saves a lookup on the hot path). Raises ``GreenletExit`` if the runtime is shutting down.
    """
    if task is None:
        task = running_task()
        if task is None:
            if lock is not None:
                lock.release()
            raise RuntimeError(_NOT_IN_TASK.format(what="a blocking operation"))
    p: Processor = task.home  # type: ignore[assignment]  # a running task has a home
    if p.stopping:  # unwinding at shutdown: nothing will ever wake us
        if lock is not None:
            lock.release()
        raise GreenletExit
    task.state = WAITING
    task.reason = reason
    task.waiting_on = on
    task.wait_since = p.coarse_now
    if type(lock) is Lock:  # a channel's (lock.py): compiled, a C call rather than a lookup
        mine = lock
        mine.release()
    elif lock is not None:
        lock.release()
    # The common hand-off, inlined: the partner this task just readied waits in runnext and
    # nothing that Processor.findrunnable_nowait looks at first is pending. The decisions are
    # the same as schedule_from's; this saves three calls on every channel hand-off.
    # (After we are resumed there is nothing to check: at shutdown a parked task is not
    # resumed but has GreenletExit thrown into it, which propagates from the switch.)
    nxt = p.runnext
    ticks = p.ticks + 1
    if (
        nxt is not None
        and nxt.glet is not None
        and p.streak < RUNNEXT_STREAK
        and ticks % GLOBAL_CHECK_INTERVAL
        and not p.inbox
        and not p.timer_heap
        and p.explorer is None  # cspy.testing: its decision stream picks (findrunnable_nowait)
    ):
        p.ticks = ticks
        p.runnext = None
        p.streak += 1
        p.switches += 1
        p.current = nxt
        nxt.state = RUNNING
        tr = p.trace
        if tr is not None:
            tr.switch(task, nxt)
        glet.switch(nxt.glet)
    else:
        tr = p.trace
        if tr is not None:
            tr.park(task)
        p.schedule_from(task)


def ready(task: Task) -> None:
    """Any thread: make the parked ``task`` runnable (Go's ``goready``).

    On the task's own processor it goes to ``runnext``, so the waker's partner runs next;
    from elsewhere it goes to its home processor's inbox.
    """
    home = task.home
    task.state = RUNNABLE
    tr = home.trace  # type: ignore[union-attr]
    if tr is not None:
        tr.ready(task)
    g = glet.getcurrent()  # running_processor() is home, inlined: every hand-off asks
    s = g if type(g) is Stack else None  # (compiled: a typed local, so s.p is a C read)
    if s is not None and s.p is home:
        old = home.runnext
        home.runnext = task
        if old is not None:
            home.runqput(old)
    else:
        home.inbox_put(task)  # type: ignore[union-attr]


def go(fn: Callable[..., Any], /, *args: Any, name: str | None = None, **kwargs: Any) -> Task:
    """Start ``fn(*args, **kwargs)`` in a new task (Go's ``go`` statement) and return it.

    The reserved keyword ``name`` names the task for the task dump and the live view; to pass a
    ``name`` argument to ``fn`` itself, wrap it (``functools.partial``).

    >>> def main():
    ...     done = cspy.Chan[str]()
    ...     cspy.go(lambda: done.send("hi"))
    ...     return done.recv()
    >>> cspy.run(main)
    'hi'
    """
    if not callable(fn):
        raise TypeError(f"cspy.go() needs a callable, got {fn!r}")
    rt = _runtime._running
    if rt is None:
        raise RuntimeError(
            "cspy.go() called with no runtime running: start the program with cspy.run(main) "
            "and spawn tasks from main or from other tasks"
        )
    return _spawn(rt, fn, args, kwargs, name)


def _spawn(
    rt: _runtime.Runtime,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    name: str | None,
) -> Task:
    """``go`` once its arguments are checked (compiled: typed, with C access to the processor)."""
    p = running_processor()
    if p is None or p.rt is not rt:  # a foreign thread (e.g. inside cspy.blocking)
        task = Task(rt.alloc_ids(1)[0], fn, args, kwargs, name)
        if rt.bubble is not None:  # cspy.testing: remember where it was spawned
            rt.bubble.spawned(task)
        rt.spawn_foreign(task)
        return task
    task = Task(p.next_id(), fn, args, kwargs, name)
    p.spawned += 1
    tr = p.trace
    if tr is not None:
        tr.create(task)
    p.runqput(task, next=True)
    if rt.idle and rt.spin:
        rt.wakep()  # a spinner watches for this processor getting stuck (steal.py)
    if rt.bubble is not None:  # cspy.testing: where it was spawned; in exploration, a scheduling point
        rt.bubble.spawned(task)
    return task


def gosched() -> None:
    """Yield the processor: other runnable tasks run, and this one stays runnable."""
    task = running_task()
    if task is None:
        raise RuntimeError(_NOT_IN_TASK.format(what="cspy.gosched()"))
    p: Processor = task.home  # type: ignore[assignment]  # a running task has a home
    task.state = RUNNABLE
    tr = p.trace
    if tr is not None:
        tr.yield_(task)
    p.runqput(task)  # the tail, not runnext: everybody else goes first
    p.schedule_from(task)
    if p.rt.stopping:
        raise GreenletExit


def _ready_timer(task: Task) -> None:
    """A sleep's timer fired, on the task's own processor (timers.py). The task goes to the
    tail of the run queue, not to ``runnext``: sleepers whose timers fall due together (the
    processor was busy or stalled meanwhile) then wake in deadline order."""
    task.state = RUNNABLE
    tr = task.home.trace  # type: ignore[union-attr]
    if tr is not None:
        tr.timer_ready(task)
    task.home.runqput(task)  # type: ignore[union-attr]


def sleep(seconds: float) -> None:
    """Park the task for at least ``seconds``; other tasks run. ``<= 0`` just yields."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise TypeError(f"cspy.sleep() needs a number of seconds, got {seconds!r}")
    if seconds != seconds:  # NaN
        raise ValueError("cspy.sleep() got NaN seconds")
    if seconds <= 0:
        gosched()
        return
    task = running_task()
    if task is None:
        raise RuntimeError(_NOT_IN_TASK.format(what="cspy.sleep()"))
    p: Processor = task.home  # type: ignore[assignment]
    timer = p.timers.add(p.rt.clock() + seconds, _ready_timer, task)
    try:
        park(WaitReason.SLEEP, on=None)
    finally:
        timer.cancel()  # no-op once fired; frees the slot if we were unwound at shutdown


def blocking(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on an offload thread; only the calling task waits.

    Use it for calls that block the OS thread (file or database I/O, ``time.sleep``, a C call):
    the task's processor keeps running other tasks meanwhile. Returns ``fn``'s result or
    re-raises its exception in the task.

    >>> cspy.run(lambda: cspy.blocking(sum, [1, 2, 3]))
    6
    """
    task = _current()
    rt = task.home.rt  # type: ignore[union-attr]
    return rt.offload.call(task, fn, args, kwargs)  # type: ignore[no-any-return]


def num_tasks() -> int:
    """Tasks that exist now (runnable, running or parked; main included): Go's NumGoroutine."""
    rt = _runtime.running()
    return 0 if rt is None else rt.num_tasks()


# ---- for the packages above the scheduler (channel, sync, time, net) ------------------------


def add_timer(seconds: float, fn: Callable[[Any], None], arg: Any, what: str = "a timer") -> Timer:
    """Call ``fn(arg)`` on the current processor's thread after ``seconds``.

    ``fn`` runs in the scheduling loop: it must not block (it may ``ready`` tasks and do
    non-blocking channel sends). The returned timer's ``cancel()`` may be called from anywhere.
    ``what`` names the caller in the error raised outside a task (``"cspy.Timer()"``).
    An infinite ``seconds`` never fires (and, unlike a finite timer, does not keep deadlock
    detection from seeing that nothing else can happen).
    """
    p = running_processor()
    if p is None:
        raise RuntimeError(_NOT_IN_TASK.format(what=what))
    return p.timers.add(p.rt.clock() + seconds, fn, arg)


def now() -> float:
    """The runtime's clock (monotonic seconds); ``time.monotonic()`` outside a runtime."""
    rt = _runtime.running()
    if rt is None:
        import time

        return time.monotonic()
    return rt.clock()


def rand() -> Any:
    """The current processor's random source (seeded by ``run(seed=...)``)."""
    p = current_processor()
    if p is None:
        import random

        return random
    return p.rand

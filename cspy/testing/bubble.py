"""The bubble: what a runtime started by cspy.testing does differently (Go's synctest bubble).

A ``Bubble`` is attached to the runtime as ``rt.bubble`` before its main task starts; under
``cspy.run`` that attribute is None and none of this runs. The runtime calls it at three places:

- ``spawned(task)``, from ``go``: remember the spawn site for the leak report, and, in
  exploration, make the spawn a scheduling point;
- ``main_returned(rt, result)``, when main returns: with the leak check on, keep the runtime
  running (the other tasks run on) instead of stopping it;
- ``all_blocked(rt)``, from the deadlock check, with the runtime lock held, when every processor
  is idle with nothing queued and no blocking call or I/O pending: every task is *durably blocked*
  (on a channel, a select, a sync primitive, a sleep or a timer), so nothing can happen but a
  timer firing. In this order, it

  1. ends a ``testing.wait()`` in progress (the waiter is readied; the clock does not move);
  2. after main returned, ends the run: the result if no task is alive, else ``LeakError``;
  3. jumps the virtual clock to the earliest timer (clock.py), or with the real clock lets the
     timers fire in their own time;

  and returns False only when none applies: then it is a deadlock, reported as ``cspy.run`` does.

Why a task in ``cspy.blocking`` or in real I/O is not durably blocked: its wake-up comes from
outside the runtime, at a moment nobody can predict, so it is a pending operation, and the
deadlock check does not run while one is pending; the clock waits for it.

Readying from the deadlock check goes through the task's inbox (never ``runnext``): the
processor running the check is about to sleep, and its inbox push sets its wake-up first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cspy.scheduler.task import Task, TaskState
from cspy.testing.clock import VirtualClock
from cspy.testing.leaks import find_leaks, spawn_site

if TYPE_CHECKING:
    from cspy.scheduler.runtime import Runtime

__all__ = ["Bubble"]


class Bubble:
    """The test harness of one runtime: virtual clock, ``wait()``, leak check, spawn sites."""

    __slots__ = ("clock", "leaks", "point", "waiter", "done", "result", "sites")

    def __init__(self, clock: VirtualClock | None, leaks: bool, point: Any = None) -> None:
        self.clock = clock
        self.leaks = leaks
        self.point = point  # exploration: the scheduling point to take after go()
        self.waiter: Task | None = None  # the task in testing.wait(), under rt.lock
        self.done = False  # main has returned (under rt.lock)
        self.result: Any = None
        self.sites: dict[int, str] = {}  # task id -> "file:line" of its go()

    # ---- called by the runtime -------------------------------------------------------------

    def spawned(self, task: Task) -> None:
        site = spawn_site()  # the caller of go()
        if site is not None:
            self.sites[task.id] = site
        if self.point is not None:
            self.point()

    def main_returned(self, rt: Runtime, result: Any) -> bool:
        """True: keep running until every task is durably blocked (then ``all_blocked`` ends
        the run). False: stop now, as ``cspy.run`` does."""
        if not self.leaks:
            return False
        with rt.lock:
            if rt.stopping:
                return False
            self.done = True
            self.result = result
        return True  # main's processor goes idle last at the latest, and runs the check

    def may_jump_inline(self) -> bool:
        """Whether a lone processor with nothing to run may move the clock itself, from the task
        that has just parked (``Processor._virtual_idle``): under the virtual clock, and not while
        a ``wait()`` or the leak check is due -- those end from the hub, once every task is parked."""
        return self.clock is not None and not self.done and self.waiter is None

    def all_blocked(self, rt: Runtime) -> bool:
        """Caller holds ``rt.lock``; every task is durably blocked. False: a deadlock."""
        w = self.waiter
        if w is not None:
            self.waiter = None
            w.state = TaskState.RUNNABLE
            w.home.inbox_put(w)  # type: ignore[union-attr]
            return True
        if self.done:
            err = find_leaks(rt, self.sites)
            if err is None:
                rt.result = self.result
            else:
                rt.failure = err
            rt._stop_locked()
            return True
        if self.clock is not None:
            return self.clock.jump(rt)
        return any(p.timers.live for p in rt.ps)  # real time: they fire by themselves

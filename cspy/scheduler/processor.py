"""Processor (Go's P) and the greenlets that run on its thread (the M's stacks).

One processor per scheduler thread. Everything here runs on that thread unless a method says
"any thread". The processor owns:

- its run queue (runqueue.py) and timer heap (timers.py);
- an *inbox*: pinned tasks made runnable by other threads (other processors, the offload pool,
  a netpoll poller). A started greenlet can only resume on its own thread, so a foreign waker cannot
  run the task or touch the owner's queues; it appends to the inbox under ``lock`` and, if the
  owner is idle, sets its ``wake`` event. The owner drains the inbox into its queue.
- a *hub* greenlet running the scheduling loop (Go's g0 running ``schedule``), and *runner*
  greenlets that execute tasks (runner.py). A runner whose task finishes runs the next *new*
  task itself, or waits in a small pool for one.

Switching (the only place greenlets are switched besides park/ready's callers):
a task that parks switches *directly* to the next runnable task of this processor; only when
there is none does it switch to the hub, which may steal, drain the global queue or sleep. A
direct switch saves one greenlet switch per hand-off, which is most of the cost of a channel
ping-pong. Whoever switches into a task first sets ``current`` and marks it RUNNING.

Invariant that makes parking race-free: a started task is resumed only by its home processor,
and only after it has switched away. So a waker on another thread may ready a task that has
registered as a waiter but not yet switched out: the task merely sits in the inbox until its
processor next schedules, which happens after the switch.

Idle protocol (no lost wake-up): the owner sets ``idle`` and clears ``wake`` (a note, note.py)
under ``lock`` after seeing an empty inbox; a foreign waker appends under ``lock`` and, if it saw
``idle``, *kicks* the owner: sets ``wake`` and, should the owner be the one processor blocked in
the netpoll (netpoll.py) rather than on ``wake``, interrupts that poll. The netpoll checks ``wake`` and records the
processor as blocked in one locked section, and ``kick`` sets ``wake`` before it looks, so the
wake-up is seen either way.

Network readiness (netpoll.py): a hub that finds no work polls with timeout 0 before stealing,
and one idle hub at a time blocks in the poll instead of on ``wake``.

Work sharing (steal.py): a hub that finds no work takes new tasks only from a processor that
is stuck, and on builds without the GIL spins a while before it sleeps, so a task readied for
it from another thread costs a locked append rather than a futex.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit

from cspy.scheduler.note import Note
from cspy.scheduler.runner import Runners, Stack, running_processor
from cspy.scheduler.steal import Seeker
from cspy.scheduler.task import Task, TaskState
from cspy.scheduler.timers import TimerHeap

if TYPE_CHECKING:
    from cspy.scheduler.runtime import Runtime

__all__ = ["Processor", "Stack", "current_processor"]

RUNNING, RUNNABLE = TaskState.RUNNING, TaskState.RUNNABLE

# Every 61st schedule looks at the global queue first, so local work cannot starve it. 61 is
# Go's number: prime, so it does not fall into step with a program's own periodic patterns.
GLOBAL_CHECK_INTERVAL = 61

_WAIT_MAX = threading.TIMEOUT_MAX

# Ids are handed to processors in blocks so that spawning takes no runtime-wide lock.
ID_BLOCK = 1024


# No CPU-time clock for the thread (clock id 0 is CLOCK_REALTIME, never a thread's CPU clock).
NO_CLOCK = 0


def _thread_cpu_clock() -> int:
    getclock = getattr(time, "pthread_getcpuclockid", None)
    if getclock is None:
        return NO_CLOCK
    try:
        return getclock(threading.get_ident())  # type: ignore[no-any-return]
    except OSError:
        return NO_CLOCK


def current_processor() -> Processor | None:
    """Any thread: the processor whose thread this is, or None (a foreign thread)."""
    return running_processor()


class Processor(Runners):
    """A processor: run queue, timers, inbox, and the scheduling loop of one thread."""

    def __init__(self, rt: Runtime, pid: int, runq_size: int, seed: object) -> None:
        Runners.__init__(self, runq_size, rt.glob)
        self.rt = rt
        self.id = pid
        self.rand = random.Random(f"{seed}:{pid}")
        self.inbox: deque[Task] = deque()
        self.idle = False
        self.wake = Note()
        self.timers = TimerHeap(on_cancel=self.wakeup)
        self.timer_heap = self.timers.heap  # the same list, one attribute load closer
        self.hub: Stack | None = None
        self.current: Task | None = None
        # Read by other threads: so the name is set before the runtime is published (P0 runs on
        # the thread that calls cspy.run), and the ident and clock are C integers when compiled.
        self.thread_ident = 0
        self.thread_name = threading.current_thread().name if pid == 0 else f"cspy-P{pid}"
        self.free: list[Stack] = []  # pooled runners, parked waiting for a new task
        self.tasks: dict[int, Task] = {}  # started, unfinished tasks pinned here (owner writes)
        self.id_next = self.id_end = 0
        self.seeker = Seeker(self, rt.nprocs)
        self.spinning = False  # looking for work before sleeping (steal.py; rt.lock)
        self.frozen = -1  # sysmon: the progress() it saw stuck with new tasks
        self.handoffs_in = 0  # tasks readied here by other threads (under ``lock``)
        self.cpu_clock = NO_CLOCK  # this thread's CPU-time clock, once it runs
        # An observer (cspy.trace: execution trace, block and mutex profiles), or None. The
        # scheduler calls it at each switch, park, ready and spawn; None costs one check.
        self.trace: Any = None
        # Copies of the runtime's hot flags, read at every switch (the runtime writes both):
        # ``stopping``, ``coarse_now`` (refreshed by sysmon), ``explorer`` (cspy.testing).
        self.stopping = False
        self.coarse_now = 0.0
        self.explorer: Any = None
        # Counters (owner writes, anyone reads; see stats.py).
        self.ticks = 0
        self.switches = 0
        self.spawned = 0
        self.finished = 0
        self.retired: list[Task] = []  # finished tasks held for observers (runner.py)

    def __repr__(self) -> str:
        return f"<Processor P{self.id}>"

    # ---- ids ------------------------------------------------------------------------------

    def next_id(self) -> int:
        """Owner only: a fresh task id (blocks of ID_BLOCK come from the runtime)."""
        if self.id_next == self.id_end:
            self.id_next, self.id_end = self.rt.alloc_ids(ID_BLOCK)
        tid = self.id_next
        self.id_next += 1
        return tid

    def cpu_time(self) -> float:
        """Any thread: seconds of CPU this processor's thread has run (the runtime's clock where
        the platform cannot tell). Time the OS gave to other threads does not count."""
        clk = self.cpu_clock
        if clk != NO_CLOCK:
            try:
                return time.clock_gettime(clk)
            except OSError:  # the thread has ended
                pass
        return self.rt.clock()

    def progress(self) -> int:
        """Any thread (a hint): a count that moves at every scheduling point of this processor
        -- a switch (``ticks``), a spawn, a task queued (``seq``) -- and stands still while one
        task runs without one (steal.py)."""
        return self.ticks + self.spawned + self.seq

    # ---- inbox (any thread) ---------------------------------------------------------------

    def inbox_put(self, task: Task) -> None:
        """Any thread: make the pinned ``task`` runnable here and wake this processor if idle."""
        with self.lock:
            self.inbox.append(task)
            self.handoffs_in += 1
            idle = self.idle
        if idle:  # a running or spinning processor finds it without a wake-up
            self.kick()

    def wakeup(self) -> None:
        """Any thread: wake this processor if it is idle, so it looks for work again."""
        if self.idle:
            self.kick()

    def kick(self) -> None:
        """Any thread: end this processor's idle wait, on ``wake`` or in the netpoll."""
        self.wake.set()
        np = self.rt.netpoll
        if np is not None:
            np.interrupt(self)

    def _drain_inbox(self) -> None:
        with self.lock:
            tasks = list(self.inbox)
            self.inbox.clear()
        for t in tasks:
            t.state = RUNNABLE
            self.runqput(t)

    # ---- finding work ---------------------------------------------------------------------

    def findrunnable_nowait(self) -> Task | None:
        """Owner only: the next task to run without blocking, or None. Called on every switch.

        Order (Go's findRunnable): global queue every 61st tick; due timers; inbox; local queue;
        global queue.
        """
        self.ticks += 1
        rt = self.rt
        if self.stopping:
            return None
        if self.explorer is not None:  # cspy.testing: a seeded or explored schedule picks the task
            return self.explorer.pick(self)  # type: ignore[no-any-return]
        if self.ticks % GLOBAL_CHECK_INTERVAL == 0 and rt.glob.q:
            task = self._globrunqget(1)
            if task is not None:
                return task
        if self.timers.heap:
            self.timers.run_due(rt.clock())
        if self.inbox:
            self._drain_inbox()
        task = self.runqget()
        if task is None and rt.glob.q:
            task = self._globrunqget(self.cap // 2)
        return task

    def _globrunqget(self, limit: int) -> Task | None:
        batch = self.glob.get_batch(self.rt.nprocs, max(limit, 1))
        if not batch:
            return None
        task = batch.pop(0)
        if batch:
            self.runqput_batch(batch)
        return task

    def _findrunnable(self) -> Task | None:
        """Hub only: block until there is a task to run; None once the runtime stops.

        Spins (steal.py) before it sleeps, on builds without the GIL."""
        rt = self.rt
        seeker = self.seeker
        while True:
            task = self.findrunnable_nowait()
            if task is None and not rt.stopping:
                np = rt.netpoll
                if np is not None and np.inflight and np.blocked is None and np.poll():
                    continue  # readied tasks of ours are queued; others' went to their inboxes
                if rt.nprocs > 1:
                    task = seeker.steal()
            if task is not None or rt.stopping:
                seeker.stop()
                return task
            if not seeker.spin():
                self._idle_wait()

    def _idle_wait(self) -> None:
        """Hub only: sleep until woken, or until the earliest timer is due."""
        rt = self.rt
        with self.lock:
            if self.inbox or self.new or self.pinned or self.runnext is not None:
                return
            self.idle = True
            self.wake.clear()
        tr = self.trace
        if tr is not None:
            tr.idle()
        try:
            if rt.p_idle(self):  # False: work appeared meanwhile, or the runtime is stopping
                deadline = self.timers.next_deadline()
                # (capped: a far deadline, say sleep(1e300), is beyond what a lock wait accepts)
                timeout = None if deadline is None else min(max(0.0, deadline - rt.clock()), _WAIT_MAX)
                np = rt.netpoll
                if np is None or not np.block(self, timeout):
                    self.wake.wait(timeout)
        finally:
            with self.lock:
                self.idle = False
            self.coarse_now = rt.clock()  # sysmon may have slept as long as we did
            rt.p_busy(self)
            tr = self.trace
            if tr is not None:
                tr.busy()

    # ---- switching ------------------------------------------------------------------------

    def resume(self, task: Task) -> None:
        """Owner only, from a task's greenlet: switch into ``task`` (new or pinned here).

        Returns when the calling greenlet is switched back to.
        """
        self.switches += 1
        g = task.glet
        if g is not None:
            self.current = task
            task.state = RUNNING
            tr = self.trace
            if tr is not None:
                tr.run(task)
            g.switch()
        elif self.free:
            self.free.pop().switch(task)
        else:
            # Only the hub creates runners: a new greenlet starts at the recursion depth of the
            # greenlet that starts it, so runners started from runners would nest ever deeper.
            self.current = None
            assert self.hub is not None
            self.hub.switch(task)

    def _hub_resume(self, task: Task) -> Task | None:
        """Hub only: switch into ``task``; return a new task handed back to the hub to start."""
        self.switches += 1
        g = task.glet
        if g is not None:
            self.current = task
            task.state = RUNNING
            tr = self.trace
            if tr is not None:
                tr.run(task)
            back = g.switch()
        else:
            free = self.free
            back = (free.pop() if free else self._new_runner()).switch(task)
        tr = self.trace
        if tr is not None:
            tr.hub()
        return back if isinstance(back, Task) else None

    def schedule_from(self, task: Task) -> None:
        """Owner only, from ``task``'s own greenlet: ``task`` gives up the processor (it has
        parked, or queued itself to yield). Returns when ``task`` runs again."""
        nxt = self.findrunnable_nowait()
        if nxt is None and self.rt.bubble is not None:
            nxt = self._virtual_idle()
        if nxt is task:
            self.current = task
            task.state = RUNNING
            tr = self.trace
            if tr is not None:
                tr.run(task)
            return
        if nxt is not None:
            self.resume(nxt)
        else:
            self.current = None
            self.switches += 1
            assert self.hub is not None
            self.hub.switch()

    def _virtual_idle(self) -> Task | None:
        """cspy.testing, one processor, nothing runnable: move the virtual clock from here, as
        the hub's dead-check would once this processor idled, without the hub round trip (two
        switches and an idle pass per jump). None: nothing due, go to the hub as usual."""
        rt = self.rt
        if rt.nprocs != 1 or not rt.bubble.may_jump_inline():
            return None
        with rt.lock:
            if rt.pending_ops or rt.glob.q or rt.stopping:
                return None
            with self.lock:
                if self.inbox or self.new or self.pinned or self.runnext is not None:
                    return None
            if not rt.bubble.clock.jump(rt):
                return None  # no timer at all: a deadlock, reported from the hub
        return self.findrunnable_nowait()

    # ---- the hub ----------------------------------------------------------------------------

    def hub_main(self) -> None:
        """Body of the hub greenlet: the scheduling loop (Go's ``schedule``)."""
        self.thread_ident = threading.get_ident()
        self.cpu_clock = _thread_cpu_clock()
        try:
            task: Task | None = None
            while True:
                if task is None:
                    task = self._findrunnable()
                    if task is None:
                        break
                task = self._hub_resume(task)
        except BaseException as exc:  # a second Ctrl-C (sigint.py), or a scheduler bug
            self.rt.fail(None, exc)
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        """Hub only, once the runtime stops: unwind every task greenlet of this thread.

        Abandoned tasks get ``GreenletExit`` at the point where they wait, so their ``finally``
        blocks and ``with`` exits run here, on their own thread, deterministically, rather than
        whenever the garbage collector finds them. Blocking calls in that unwinding fail fast.
        """
        self.current = None
        # Every runner is either running a task of this processor or waiting in the pool.
        runners = [t.glet for t in list(self.tasks.values())] + self.free
        for g in runners:
            if g:  # started and not dead
                try:
                    g.throw(GreenletExit)
                except BaseException:
                    pass
        self.free.clear()
        self.tasks.clear()
        self.clear_runq()
        self.timers.clear()
        with self.lock:
            self.inbox.clear()

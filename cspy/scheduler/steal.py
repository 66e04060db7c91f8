"""Work sharing: when a processor may take another's new tasks, and how long it looks (spinning).

Go's ``findRunnable`` steals from any processor with queued work, at once: its goroutines can
move again later, so a bad placement costs little. Ours cannot move. A task that has started
is pinned to its thread for life (a greenlet resumes only where it was created), so the one
balancing decision is where a task *first* runs, and a bad one costs every message the task
ever exchanges: a pipeline whose stages were split over two processors pays a cross-thread
hand-off per item, for the whole run (measured: up to 8x slower than on one processor).

The rule (*take only what its owner cannot get to*): a processor may steal another's new tasks
only when that owner is **stuck**: it has passed no scheduling point for STEAL_AFTER while new
tasks waited in its queue. A scheduling point is a switch, a spawn or a task made runnable
(``Processor.progress``): a consumer draining a buffered channel whose senders wait readies one
of them per message without ever switching, and is as busy talking as a ping-pong pair. A processor
that keeps switching will start its new tasks itself, soon; tasks that only talk then stay
together on one thread. A processor that runs one task for a long time (a CPU-bound job) is
exactly the one whose queue needs another processor. The time counted is the owner thread's
CPU time: an owner that the OS preempted, or that sat in a stall of the machine, has not been
running its task (a wall-clock rule split a 100-to-1 fan-in's producers off in every run on a
busy machine, 4-5x slower). Linux advances another thread's CPU clock at the scheduler tick
(4 ms here), so in practice a job is seen stuck once a tick has charged it STEAL_AFTER.
New tasks in the global queue (spawned from other threads, or spilled from a full local queue)
have no owner to wait for and are always taken.

Who notices a stuck owner:

- a *spinning* processor (builds without the GIL): one with no work that, instead of sleeping
  on its event at once, keeps looking -- its inbox, the global queue, timers, the netpoll and
  the other processors' queues -- for SPIN_TIME, and for as long as some other processor has
  new tasks it may soon have to take (SPIN_WATCH_MAX). While it spins, a task readied for it
  from another thread costs the waker a locked append, not a wake-up (note.py).
  Go's rules bound the spinners (runtime.go ``wakep`` / ``resetspinning``): ``go()`` wakes an
  idle processor to spin only if none is spinning already; at most half of the busy processors
  spin, and never more threads run or spin than there are CPUs.
- sysmon (every build), every few milliseconds, by wall time: a processor with new tasks whose
  progress has not moved across its looks (one look with the GIL, four without, where only a
  thread blocked in a call gets this far) is marked stuck (``frozen``), and an idle processor is
  woken to take them. Without the GIL it also wakes a spinner when new tasks waited across two
  looks, since the owner may be stuck between its scheduling points.

With the GIL nobody spins. A spinning thread would take the interpreter from the processor
doing the work: that processor then waits for the switch interval (5 ms) before it runs again.
Processors there share work only through sysmon's marks, which is what a GIL build needs: its
processors cannot run Python code at the same time, and one that holds a task in a C call that
releases the GIL (or a blocking call made without ``cspy.blocking``) is stuck by sysmon's look.

All of it reads the victims' counters without locks (they are plain ints written by their
owners; a stale reading only delays a steal by one look). The steal itself takes the victim's
queue lock (runqueue.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cspy.scheduler.task import Task

if TYPE_CHECKING:
    from cspy.scheduler.processor import Processor

__all__ = ["Seeker", "oldest", "STEAL_AFTER", "LOOK_GAP", "SPIN_TIME", "SPIN_WATCH_MAX"]

# How long an owner may sit on its new tasks, passing no scheduling point, before another
# processor takes half of them. Chosen by measurement (docs/design.md, "Work sharing"): above the
# longest stretch without a scheduling point of communicating programs (a producer filling a
# 128-slot buffer: ~80 us on 3.13t), below a CPU-bound job worth sharing.
STEAL_AFTER = 500e-6

# The longest gap between two of a spinner's looks at a victim that still counts as watching it.
LOOK_GAP = 200e-6

# How long a processor with nothing to do keeps looking before it sleeps: about the cost of the
# sleep-and-wake round trip it saves (ski rental: spin for what blocking would cost).
SPIN_TIME = 100e-6

# While another processor has new tasks that are not yet stuck, a spinner keeps watching them,
# but not for longer than this at a time: then it sleeps, and sysmon or the next spawn wakes it.
SPIN_WATCH_MAX = 2e-3


def oldest(q: Any) -> object:
    """Any thread: the head of a deque another thread may be changing, or None."""
    try:
        return q[0]
    except IndexError:
        return None


class Seeker:
    """One processor's search for work beyond its own queue. Owner thread only."""

    __slots__ = (
        "p", "seen", "since", "looked", "spin_until", "watch_until", "spun_out", "waiting_work",
    )

    def __init__(self, p: Processor, nprocs: int) -> None:
        self.p = p
        self.seen = [-1] * nprocs  # each victim's progress at our last look
        self.since = [0.0] * nprocs  # when we first saw that progress
        self.looked = [0.0] * nprocs  # when we last looked
        self.spin_until = 0.0  # 0: not spinning
        self.watch_until = 0.0
        self.spun_out = False  # spun for the whole budget: the next empty look sleeps
        self.waiting_work = False  # at the last steal pass, a victim had new tasks not yet stuck

    def steal(self) -> Task | None:
        """Half of the new tasks of a stuck processor, victims in random order; None if none."""
        p = self.p
        rt = p.rt
        ps = rt.ps
        n = len(ps)
        start = p.rand.randrange(n)
        waiting = False
        for i in range(n):
            v = ps[(start + i) % n]
            if v is p or not v.new:
                continue
            if self._stuck(v):
                task = v.runqsteal(p)
                if task is not None:
                    tr = p.trace
                    if tr is not None:
                        tr.steal(v, task)
                    self.waiting_work = False
                    return task
            else:
                waiting = True
        self.waiting_work = waiting
        return None

    def _stuck(self, v: Processor) -> bool:
        progress = v.progress()
        if v.frozen == progress:  # sysmon saw no progress across its looks
            return True
        looked = self.p.rt.clock()
        now = v.cpu_time()
        i = v.id
        # Only what we watched counts: after a gap in our own looks (we slept, or the OS
        # preempted us) start over.
        if self.seen[i] != progress or looked - self.looked[i] > LOOK_GAP:
            self.seen[i] = progress
            self.since[i] = now
        self.looked[i] = looked
        return now - self.since[i] >= STEAL_AFTER

    def spin(self) -> bool:
        """Nothing found: True to look again now (spinning), False to sleep."""
        p = self.p
        rt = p.rt
        if self.spun_out:
            self.spun_out = False
            return False
        now = rt.clock()
        if not p.spinning:
            if not rt.spin or not rt.start_spinning(p):
                return False
        if self.spin_until == 0.0:  # just started, here or by wakep
            tr = p.trace
            if tr is not None:
                tr.spin(True)
            self.spin_until = now + SPIN_TIME
            self.watch_until = now + SPIN_WATCH_MAX
            return True
        if now < self.spin_until or (self.waiting_work and now < self.watch_until):
            return True
        # Out of budget. Stop spinning first, then look once more: a spawner that saw us
        # spinning woke nobody, and its task must not wait for sysmon (Go's resetspinning).
        self.stop()
        self.spun_out = True
        return True

    def stop(self) -> None:
        """Found work, going to sleep, or stopping: no longer spinning."""
        self.spin_until = 0.0
        self.spun_out = False
        p = self.p
        if p.spinning:
            tr = p.trace
            if tr is not None:
                tr.spin(False)
            p.rt.stop_spinning(p)

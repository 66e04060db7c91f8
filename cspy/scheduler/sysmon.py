"""sysmon: the runtime's watchdog thread (Go's ``sysmon``).

Every SYSMON_INTERVAL it looks at each processor, without locks (it only reads counters the
owners write):

- A processor whose ``ticks`` have not moved for more than a time slice (10 ms, Go's
  ``forcePreemptNS``) while it has a current task is held by a task that does not yield. We are
  cooperative (like Go before 1.14), so we cannot preempt it; we record it (``stats()``, the live
  view).
- A processor with new tasks queued that has passed no scheduling point since the previous look
  is *stuck* (steal.py): sysmon marks it ``frozen`` and wakes an idle processor to take half of
  those tasks. This is how processors share work on a GIL build, where nobody spins, and the
  backstop without the GIL, when no spinner was looking. Without the GIL, a new task still at
  the head of its queue a whole look later also wakes a spinner: its owner switches now and
  then but is mostly busy, which only a spinner, looking every microsecond, can tell.
- If tasks wait on the netpoll and nobody has polled it since the previous look (5-10 ms ago:
  every processor busy, none idle to block in it), it polls once (Go's sysmon does the same).
- It turns a recorded Ctrl-C into a runtime failure (KeyboardInterrupt), from this thread,
  where no processor's lock can be held (sigint.py says why).
- It refreshes ``coarse_now``, the clock reading parked tasks use for "waiting since", so the
  hot path never reads the clock just to be displayed.

When every processor is idle and none has woken since the previous look, there is nothing to
watch: no task runs, so none can hold a processor or be stuck behind one, and an idle
processor blocks in the netpoll itself. sysmon then sleeps until a processor wakes (Go's
``sysmonwait``): it sets ``rt.sysmon_wait`` under the runtime lock, and ``Runtime.p_busy``,
under the same lock, clears it and wakes sysmon, so no wake-up is lost. Looking every 5 ms
anyway was 97% of an idle program's CPU (~30 ms a second: 190 thread wake-ups, on both
builds), against a bound of 3% of a core (the ``idle`` benchmark). "None has woken" matters for a program
whose only activity is a fast timer: its processor is idle at almost every look but wakes
between them, and sysmon keeps its cadence instead of being woken at every tick.

Reporting is the point, so sysmon never takes the runtime lock except to wake a processor or
to stop the runtime on Ctrl-C.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from cspy.scheduler.note import Note
from cspy.scheduler.steal import oldest

if TYPE_CHECKING:
    from cspy.scheduler.runtime import LongRunning, Runtime

__all__ = ["Sysmon", "SYSMON_INTERVAL", "TIME_SLICE"]


SYSMON_INTERVAL = 0.005
TIME_SLICE = 0.010
FROZEN_LOOKS_SPIN = 4


class Sysmon:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        # A note, not a threading.Event: on 3.13t an Event's timed wait ran 10-60 ms late on a
        # busy machine, and sysmon's looks are the backstop for sharing work (note.py).
        self._note = Note()  # ends a wait: stop(), or a processor waking while sysmon sleeps
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="cspy-sysmon", daemon=True)
        n = len(rt.ps)
        self._ticks = [-1] * n  # ticks seen at the previous look
        self._since = [0.0] * n  # when those ticks were first seen
        self._report: list[LongRunning | None] = [None] * n
        self._progress = [-1] * n  # Processor.progress() at the previous look
        self._head: list[object] = [None] * n  # the oldest new task at the previous look
        self._frozen_looks = [0] * n  # consecutive looks with new tasks and no progress
        # Without the GIL, spinners judge stuck processors by the CPU time they run (steal.py);
        # sysmon's wall-clock judgement is only the backstop for a thread blocked in a call,
        # and waits longer, so that a thread the OS merely preempted is not taken for one.
        self._freeze_after = FROZEN_LOOKS_SPIN if rt.spin else 1
        self._polls = -1  # the netpoll's poll count at the previous look
        self._wakeups = -1  # rt.wakeups at the previous look
        self.looks = 0  # for tests: how often it looked
        self._interrupt_raised = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped = True  # before the set: the loop reads it after each clear
        self._note.set()
        if self._thread.is_alive():
            self._thread.join()
        self._note.close()

    def wake(self) -> None:
        """Any thread (``Runtime.p_busy``): end a sleep begun by ``_may_sleep``."""
        self._note.set()

    def _loop(self) -> None:
        timeout: float | None = SYSMON_INTERVAL
        while not self._stopped:
            self._note.wait(timeout)
            self._note.clear()
            if self._stopped:
                break
            self._look_all()
            timeout = None if self._may_sleep() else SYSMON_INTERVAL

    def _may_sleep(self) -> bool:
        """Every processor idle and none woken since the previous look: announce a sleep."""
        rt = self.rt
        seen, self._wakeups = self._wakeups, rt.wakeups
        if self._wakeups != seen or len(rt.idle) != rt.nprocs:
            return False
        with rt.lock:
            if rt.wakeups != seen or len(rt.idle) != rt.nprocs or rt.stopping:
                return False
            rt.sysmon_wait = True
        return True

    def _look_all(self) -> None:
        rt = self.rt
        self.looks += 1
        now = rt.clock()
        rt.coarse_now = now
        for p in rt.ps:
            p.coarse_now = now  # the copy park reads (a float: no reference to race on)
        if rt.interrupted and not self._interrupt_raised:
            self._interrupt_raised = True
            rt.fail(None, KeyboardInterrupt())
        for p in rt.ps:
            self._look(p.id, now)
            self._share(p.id)
        np = rt.netpoll
        if np is not None:
            self._polls = np.sysmon_poll(self._polls)

    def _look(self, i: int, now: float) -> None:
        from cspy.scheduler.runtime import LongRunning

        rt = self.rt
        p = rt.ps[i]
        ticks, task = p.ticks, p.peek()[0]
        if task is None or p.idle or ticks != self._ticks[i]:
            self._ticks[i] = ticks
            self._since[i] = now
            self._report[i] = None
            return
        held = now - self._since[i]
        if held < TIME_SLICE:
            return
        rec = self._report[i]
        if rec is None:
            rec = LongRunning(task.id, task.name, i, held, now)
            self._report[i] = rec
            rt.long_running_count += 1  # sysmon is the only writer
            rt.long_running.append(rec)
        else:
            rec.held = held

    def _share(self, i: int) -> None:
        rt = self.rt
        p = rt.ps[i]
        progress = p.progress()
        head = oldest(p.new)
        if head is None or progress != self._progress[i]:
            self._frozen_looks[i] = 0
        else:
            self._frozen_looks[i] += 1
        if head is not None:
            if self._frozen_looks[i] >= self._freeze_after and p.frozen != progress:
                p.frozen = progress  # thieves may take its new tasks now (steal.py)
                rt.wakep()
            elif rt.spin and self._head[i] is not None:
                # New tasks waited across two looks: the owner is busy, switching now and then.
                # Wake a spinner; it takes them if it sees the owner stuck.
                rt.wakep()
        self._progress[i] = progress
        self._head[i] = head

"""The virtual clock: time that moves only when every task is durably blocked.

A ``VirtualClock`` is the runtime's clock (``Runtime.clock``, which every time read in cspy goes
through: ``cspy.now()``, timers, ``after``, tickers, context deadlines, ``cspy.x.rate``, breakers).
It starts at 0.0 and is changed by one method only, ``jump``, which the runtime calls from its
deadlock check (``Runtime._checkdead`` through ``Bubble.all_blocked``): the moment when, with the
runtime lock held, every processor is idle with nothing queued, nothing in its inbox, no blocking
call or I/O pending. Then no task can run before some timer fires, so the clock jumps exactly to
the earliest pending deadline and the processors whose timers are due are woken; they fire every
timer due at that instant from their scheduling loops, as they would have in real time.

Invariants:
- The time never goes backwards, and never moves while any task can run: computation takes no
  virtual time (Go's testing/synctest and trio's autojump clock behave the same way).
- It reads other processors' timer heaps without their owners' help, so it takes a *copy* of
  each heap (a list copy is atomic on every build) and reads only the timers' ``when`` and state.
  Every processor is idle, so no owner is pushing or firing timers; one may be dropping cancelled
  entries from its top, which the copy does not mind.
- Kicking a processor whose deadline is now due ends its idle wait. The processor that runs the
  check (on its own hub, from ``_idle_wait``) has not started its wait yet: for it, raising its
  note's flag is enough (``Note.wait`` and the netpoll's ``block`` look at the flag before they
  sleep), and skips the eventfd write and the read that drains it -- two of the three syscalls
  a jump made, about half of its real cost on 3.11 here (benchmarks/testing.py).

Real-time waits are unaffected: an idle processor still sleeps with a timeout computed from the
virtual deadline, but it is the kick, not that timeout, that wakes it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from greenlet import getcurrent

from cspy.scheduler.timers import PENDING

if TYPE_CHECKING:
    from cspy.scheduler.processor import Processor
    from cspy.scheduler.runtime import Runtime

__all__ = ["VirtualClock"]


class VirtualClock:
    """A clock for ``Runtime(clock=...)``: ``clock()`` is the virtual time in seconds.

    >>> c = VirtualClock()
    >>> c(), c.read(), c.jumps
    (0.0, 0.0, 0)
    """

    __slots__ = ("t", "jumps", "read")

    def __init__(self, start: float = 0.0) -> None:
        self.t = float(start)
        self.jumps = 0  # how many times the clock moved (for benchmarks and tests)
        # What the runtime calls (``Runtime(clock=vc.read)``): the same value as ``vc()``, read by
        # C code with no Python frame -- 33 vs 56 ns on 3.11, 37 vs 101 ns on 3.13t, and the
        # runtime reads its clock on every switch while a timer is pending.
        self.read: Callable[[], float] = partial(getattr, self, "t")

    def __call__(self) -> float:
        return self.t

    def jump(self, rt: Runtime) -> bool:
        """Caller holds ``rt.lock`` and every processor is idle: move to the earliest pending
        deadline and wake the processors due then. False if no timer is pending at all."""
        earliest: float | None = None
        due: list[tuple[float, Processor]] = []
        for p in rt.ps:
            when = _earliest(p)
            if when is None:
                continue
            due.append((when, p))
            if earliest is None or when < earliest:
                earliest = when
        if earliest is None:
            return False
        if earliest > self.t:
            self.t = earliest
            self.jumps += 1
        me = getattr(getcurrent(), "p", None)  # the processor running the check (its hub)
        for when, p in due:
            if when <= self.t:
                if p is me:
                    p.wake.flag = True  # its own wait has not begun: it sees the flag, no syscall
                else:
                    p.kick()
        return True

    def __repr__(self) -> str:
        return f"<VirtualClock t={self.t!r}>"


def _earliest(p: Processor) -> float | None:
    """The earliest pending deadline in ``p``'s heap (a copy), or None."""
    heap = list(p.timers.heap)
    if not heap:
        return None
    top = heap[0]
    if top.state == PENDING:
        return top.when
    pending = [t.when for t in heap if t.state == PENDING]
    return min(pending) if pending else None

"""Scheduling points in exploration: what ``testpoint.hook.point`` does (cspy/scheduler/testpoint.py).

In exploration, every channel operation, select, sync operation and ``go`` ends by offering the
processor to the decision stream: the task yields (as ``gosched`` does) and the explorer's
``pick`` chooses who runs next -- maybe the same task, maybe another. That is the whole trick
that lets exploration reach the interleavings a real multi-processor run could produce between
two lines of a task, although one processor runs them.

When a point does nothing:
- outside a task (a timer callback in the scheduling loop, an offload thread, plain Python);
- while the runtime is stopping (the task is being unwound);
- inside one of the few cspy operations that hold a lock of their own while they call another
  operation (``QUIET``): a switch there would leave that lock held while another task runs, and
  a task that then needs it would block the processor's thread. Those composite operations are
  one step each: ``Cond.wait`` unlocking its lock, a context's ``done()`` closing the channel it
  makes for an already cancelled context. The check walks up only the cspy frames directly
  above the operation (usually none or one), so it stops at the first frame of the program.
"""

from __future__ import annotations

import sys
from types import CodeType, FrameType

from greenlet import getcurrent

from cspy.context import _CancelCtx
from cspy.scheduler import gosched
from cspy.sync.cond import Cond
from cspy.testing.leaks import is_cspy_file

__all__ = ["point", "QUIET"]

QUIET: frozenset[CodeType] = frozenset({Cond.wait.__code__, _CancelCtx.done.__code__})


def point() -> None:
    """Yield to the decision stream, unless that would be unsafe or pointless (above)."""
    g = getcurrent()
    if getattr(g, "task", None) is None:
        return
    if g.p.rt.stopping:
        return
    # The frame below is the operation that called us when that operation is Python code (it
    # names ``hook.point``): its caller is what counts. A compiled operation has no frame,
    # and the frame below is then its caller already.
    try:
        f: FrameType | None = sys._getframe(1)
    except ValueError:  # called by a compiled operation at the bottom of a task (cspy.go(wg.done))
        f = None
    if f is not None and "point" in f.f_code.co_names:
        f = f.f_back
    while f is not None:
        code = f.f_code
        if code in QUIET:
            return
        if not is_cspy_file(code.co_filename):
            break
        f = f.f_back
    gosched()

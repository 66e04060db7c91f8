"""``cspy.testing.run`` and ``wait``: a runtime for tests, and synctest's Wait.

``run`` builds the runtime itself (``cspy.scheduler.Runtime``) instead of calling ``cspy.run``,
so that it can set what a test needs before the main task starts:

- the clock: a ``VirtualClock`` (clock.py) or the real one;
- the bubble (bubble.py): wait(), the leak check, spawn sites; also under the real clock;
- with a ``seed`` on one processor, a ``Chooser`` (strategy.py) drawing every choice among
  runnable tasks from a stream seeded by it, so the same seed gives the same schedule;
- no spinning under the virtual clock: a spinner counts its budget on the runtime clock, which
  stands still while it spins, so it would spin forever and keep the clock from moving.

``execute`` is the one place all of cspy.testing starts runtimes through (``run``, ``explore``,
``replay``); it also installs and clears the scheduling-point hook of exploration
(cspy/scheduler/testpoint.py). Only one runtime runs per process at a time, so a module global
is enough for that hook, and it is set only after this runtime has been registered.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from cspy.scheduler import testpoint
from cspy.scheduler import runtime as _runtime
from cspy.scheduler.park import current_task, park
from cspy.scheduler.procs import check_procs
from cspy.scheduler.runtime import Runtime
from cspy.scheduler.task import WaitReason
from cspy.testing.bubble import Bubble
from cspy.testing.clock import VirtualClock
from cspy.testing.points import point
from cspy.testing.strategy import Chooser, RandomStrategy

__all__ = ["run", "wait", "execute", "check_clock", "check_leaks"]

T = TypeVar("T")

CLOCKS = ("virtual", "real")
LEAKS = ("fail", "off")


def check_clock(clock: object) -> str:
    if clock not in CLOCKS:
        raise ValueError(f"clock must be 'virtual' or 'real', got {clock!r}")
    return str(clock)


def check_leaks(leaks: object) -> bool:
    if leaks not in LEAKS:
        raise ValueError(f"leaks must be 'fail' or 'off', got {leaks!r}")
    return leaks == "fail"


def run(
    main: Callable[..., T],
    /,
    *args: Any,
    seed: int | None = None,
    clock: str = "virtual",
    procs: int = 1,
    leaks: str = "fail",
    **kwargs: Any,
) -> T:
    """``cspy.run`` for tests: virtual time, seeded schedules, and a leak check after main.

    ``clock="virtual"`` (the default): ``cspy.now()`` starts at 0.0 and moves only when every
    task is durably blocked, straight to the next timer. ``seed`` on one processor: the same
    seed, the same schedule. ``leaks="fail"``: once main returns, the other tasks run until
    nothing can run without the clock moving; any task still alive raises ``LeakError``.

    >>> def main():
    ...     cspy.sleep(3600)
    ...     return cspy.now()
    >>> cspy.testing.run(main)
    3600.0
    """
    if not callable(main):
        raise TypeError(f"cspy.testing.run() needs a callable main, got {main!r}")
    n = check_procs(procs)
    virtual = check_clock(clock) == "virtual"
    explorer = None
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int or None, got {seed!r}")
        if n == 1:
            explorer = Chooser(RandomStrategy(random.Random(f"cspy.testing:{seed}")))
    return execute(main, args, kwargs, procs=n, seed=seed, virtual=virtual,
                   leaks=check_leaks(leaks), explorer=explorer, points=False)


def execute(
    main: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    procs: int,
    seed: object,
    virtual: bool,
    leaks: bool,
    explorer: Chooser | None,
    points: bool,
) -> T:
    """Start a runtime as configured, run ``main`` and return its result (or raise)."""
    vclock = VirtualClock() if virtual else None
    rt = Runtime(procs, seed=seed, clock=vclock.read if vclock is not None else time.monotonic)
    if vclock is not None:
        rt.spin = False
    rt.bubble = Bubble(vclock, leaks, point if points else None)
    rt.explorer = explorer
    rt.start()
    try:
        for attach in getattr(_runtime, "attach_hooks", ()):  # cspy.trace, cspy.pprof, when on
            attach(rt)
        if points:
            testpoint.hook.point = point
        return rt.run_main(main, args, kwargs)  # type: ignore[no-any-return]
    finally:
        testpoint.hook.point = None
        rt.finish()


def wait() -> None:
    """Return once every other task is durably blocked (Go's ``synctest.Wait``).

    Call it from a task of a runtime started by ``cspy.testing.run`` (or ``explore``, ``replay``,
    a test marked ``@pytest.mark.cspy``). The clock does not move while a task waits here.

    >>> def main():
    ...     got = []
    ...     ch = cspy.Chan[int]()
    ...     cspy.go(lambda: got.append(ch.recv()))
    ...     ch.send(1)
    ...     cspy.testing.wait()  # the receiver has run
    ...     return got
    >>> cspy.testing.run(main)
    [1]
    """
    rt = _runtime.running()
    bubble = rt.bubble if rt is not None else None
    if bubble is None or rt is None:
        raise RuntimeError(
            "cspy.testing.wait() needs a runtime started by cspy.testing.run() (or explore(), "
            "replay(), or a test marked @pytest.mark.cspy); cspy.run() has no such harness"
        )
    task = current_task()
    with rt.lock:
        if bubble.waiter is not None:
            raise RuntimeError(
                f"cspy.testing.wait() called by task {task.id} while task {bubble.waiter.id} "
                "waits in it already: only one task may wait at a time (as in Go's synctest)"
            )
        bubble.waiter = task
    park(WaitReason.TESTING_WAIT)

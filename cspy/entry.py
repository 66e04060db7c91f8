"""``cspy.run``: the scheduler's ``run`` plus what a program opts into watching it.

The scheduler (cspy/scheduler/runtime.py) is the bottom layer and must not import the live view,
so the public ``run`` lives up here and wraps it:

- the observers -- the live dashboard (``live=``, ``CSPY_LIVE``) and schedtrace lines
  (``schedtrace=``, ``CSPY_SCHEDTRACE``) -- start on threads of their own *before* the runtime and
  find it by polling ``cspy.scheduler.running()``; they stop once ``run`` has returned or raised
  (``finally``), so the terminal is restored on Ctrl-C, a task's exception or a deadlock;
- ``kill -USR1 <pid>`` prints the task dump to stderr and the program goes on. The handler is
  installed for the run only, when ``run`` is called on the main thread (Python delivers signals
  there), and the previous handler is restored afterwards -- and chained to meanwhile, so a
  program's own SIGUSR1 handler still runs. A handler runs on the main thread between bytecodes,
  which is processor 0's thread: it must take no lock a processor could hold, and the dump takes
  none (it reads snapshots). Like ``cspy run``'s failure output (cspy/failure.py), the dump shows
  the program's frames and leaves cspy's own out, unless ``CSPY_TRACEBACK=all``.

The live package is imported only when an observer is wanted, so ``import cspy`` stays light.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Protocol, TypeVar
from collections.abc import Callable

from cspy.failure import HIDDEN_NOTE, show_all, user_dump
from cspy.scheduler import run as _scheduler_run
from cspy.scheduler import running
from cspy.scheduler.dump import dump_tasks

__all__ = ["run", "live_setting", "schedtrace_setting"]

T = TypeVar("T")

LIVE_ENV = "CSPY_LIVE"
SCHEDTRACE_ENV = "CSPY_SCHEDTRACE"

# What the live view falls back to without a terminal: Go's customary schedtrace=1000.
FALLBACK_SCHEDTRACE_MS = 1000

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class _Observer(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def run(
    main: Callable[..., T],
    /,
    *args: Any,
    procs: int | None = None,
    seed: object = None,
    live: bool | None = None,
    schedtrace: int | None = None,
    trace: Any = None,
    **kwargs: Any,
) -> T:
    """Run ``main(*args, **kwargs)`` as the main task of a new runtime and return its result.

    ``procs`` processors run the tasks (None: ``CSPY_PROCS``, else the documented default);
    ``seed`` makes the scheduler's random choices reproducible. Returns when main returns (other
    tasks are abandoned, as in Go); re-raises the first exception that escapes a task; raises
    :class:`cspy.DeadlockError` when nothing can ever run again.

    Watching it: ``live=True`` (or ``CSPY_LIVE=1``) shows the live dashboard while it runs and a
    summary at the end, on stdout if it is a terminal, else on stderr (so stdout redirected to a
    file keeps only the program's output); schedtrace lines instead when neither is a terminal;
    ``schedtrace=MS`` (or ``CSPY_SCHEDTRACE=MS``) prints a scheduler line to stderr every MS
    milliseconds. ``kill -USR1 <pid>`` prints every task's stack to stderr.

    ``trace=PATH`` (or ``CSPY_TRACE``) records an execution trace of the run into PATH (``.json``:
    Chrome trace-event JSON, ``.pftrace``: Perfetto; or a file object), see :mod:`cspy.trace`;
    ``CSPY_DEBUG_ADDR=HOST:PORT`` serves Go's ``/debug/pprof/`` routes during the run
    (:mod:`cspy.debug`, loopback only).

    >>> cspy.run(lambda x: x * 2, 21)
    42
    """
    kwargs = _with_observers(trace, kwargs)  # trace= / CSPY_TRACE, CSPY_DEBUG_ADDR (cspy.trace, cspy.debug)
    live_on = live_setting(live)
    trace_ms = schedtrace_setting(schedtrace)
    if not callable(main) or running() is not None:
        # The scheduler raises the right error; no observer may attach to another run's runtime.
        return _scheduler_run(main, *args, procs=procs, seed=seed, **kwargs)
    observers = _observers(live_on, trace_ms)
    started: list[_Observer] = []
    with _dump_on_sigusr1():
        try:
            for obs in observers:
                obs.start()
                started.append(obs)
            return _scheduler_run(main, *args, procs=procs, seed=seed, **kwargs)
        finally:
            for obs in reversed(started):
                obs.stop()


TRACE_ENV = "CSPY_TRACE"
DEBUG_ADDR_ENV = "CSPY_DEBUG_ADDR"


def _with_observers(trace: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The scheduler's ``trace=`` hook for a trace file and/or the debug endpoint (imported only
    when one is asked for)."""
    if trace is None:
        trace = os.environ.get(TRACE_ENV, "").strip() or None
    addr = os.environ.get(DEBUG_ADDR_ENV, "").strip()
    hooks: list[Callable[[Any], None]] = []
    if trace is not None:
        from cspy.trace import recorder_for_run

        hooks.append(recorder_for_run(trace))
    if addr:
        from cspy.debug import serve_on_start

        hooks.append(serve_on_start(addr, source=DEBUG_ADDR_ENV))
    if not hooks:
        return kwargs
    return {**kwargs, "trace": hooks[0] if len(hooks) == 1 else (lambda rt: [h(rt) for h in hooks] and None)}


def live_setting(live: bool | None) -> bool:
    """``live`` if given, else ``CSPY_LIVE`` (1/true/yes/on or 0/false/no/off; unset: off)."""
    if live is not None:
        if not isinstance(live, bool):
            raise TypeError(f"live must be True, False or None, got {live!r}")
        return live
    env = os.environ.get(LIVE_ENV, "").strip().lower()
    if env in _TRUE:
        return True
    if env in _FALSE:
        return False
    raise ValueError(f"{LIVE_ENV} must be 1 or 0 (or true/false, yes/no, on/off), got {env!r}")


def schedtrace_setting(schedtrace: int | None) -> int:
    """Milliseconds between schedtrace lines (0: off): ``schedtrace`` if given, else the env var."""
    if schedtrace is not None:
        if isinstance(schedtrace, bool) or not isinstance(schedtrace, int) or schedtrace < 0:
            raise ValueError(
                f"schedtrace must be an interval in milliseconds (an int > 0; 0 or None: off), got {schedtrace!r}"
            )
        return schedtrace
    env = os.environ.get(SCHEDTRACE_ENV, "").strip()
    if not env:
        return 0
    try:
        ms = int(env)
    except ValueError:
        ms = -1
    if ms < 0:
        raise ValueError(f"{SCHEDTRACE_ENV} must be an interval in milliseconds (e.g. 1000), got {env!r}")
    return ms


def _observers(live: bool, trace_ms: int) -> list[_Observer]:
    observers: list[_Observer] = []
    if live:
        from cspy.live.view import LiveView

        view = LiveView.on_terminal()  # stdout if a terminal, else stderr (see cspy/live/view.py)
        if view is not None:
            observers.append(view)
        else:
            trace_ms = trace_ms or FALLBACK_SCHEDTRACE_MS
            sys.stderr.write(
                "cspy: the live view needs a terminal and neither stdout nor stderr is one; "
                f"writing schedtrace lines to stderr every {trace_ms} ms instead\n"
            )
    if trace_ms:
        from cspy.live.schedtrace import Schedtrace

        observers.append(Schedtrace(trace_ms))
    return observers


@contextmanager
def _dump_on_sigusr1() -> Iterator[None]:
    sig = getattr(signal, "SIGUSR1", None)
    if sig is None or threading.current_thread() is not threading.main_thread():
        yield  # no SIGUSR1 (Windows), or signals cannot be handled from this thread
        return
    previous = signal.getsignal(sig)

    def on_sigusr1(signum: int, frame: FrameType | None) -> None:
        _print_dump(frame)
        if callable(previous):
            previous(signum, frame)

    signal.signal(sig, on_sigusr1)
    try:
        yield
    finally:
        if signal.getsignal(sig) is on_sigusr1:  # the program did not install its own meanwhile
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


def _print_dump(frame: FrameType | None) -> None:
    if running() is None:
        return
    try:
        text = dump_tasks(frame)
    except RuntimeError:  # the runtime ended meanwhile
        return
    if not show_all():
        text, hidden = user_dump(text)
        if hidden:
            text += f"\n{HIDDEN_NOTE}\n"
    report = f"cspy: SIGUSR1: task dump (pid {os.getpid()})\n\n{text}\n"
    try:
        sys.stderr.write(report)
        sys.stderr.flush()
    except (RuntimeError, OSError, ValueError):
        # Interrupted inside a write to stderr (reentrant call), or stderr replaced/closed:
        # go straight to the file descriptor.
        try:
            os.write(2, report.encode(errors="replace"))
        except OSError:
            pass

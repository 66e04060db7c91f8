"""cspy.trace: execution traces of the scheduler (Go's ``runtime/trace``), for ui.perfetto.dev.

What is recorded comes from the scheduler's own call sites (no ``sys.setprofile``): a task
created (by whom, where), run on a processor, parked (why, on what), made ready (by which task,
through what), ended; processors idle, spinning, stealing; garbage collections; the program's
own regions and logs. See hook.py for the hooks and recorder.py for the buffers.

- ``cspy.run(main, trace="out.json")`` / ``cspy run app.py --trace out.json``: the whole run;
- ``start(path)`` / ``stop()`` from inside a running program: a window;
- ``FlightRecorder``: the last seconds, always on at a bounded cost, written on demand;
- ``region(name)`` / ``log(message)``: annotations (Go's ``trace.WithRegion``, ``trace.Log``).

A ``.json`` file is Chrome trace-event JSON, a ``.pftrace`` file Perfetto's protobuf format;
both show a track per processor, a slice per stretch a task ran and an arrow from each waker
to the task it woke. ``cspy trace summary out.json`` prints Go's goroutine analysis.

>>> import io, json
>>> def main():
...     ch = cspy.Chan()
...     cspy.go(ch.send, 1, name="sender")
...     return ch.recv()
>>> out = io.StringIO()
>>> cspy.run(main, trace=out)
1
>>> names = {e["name"] for e in json.loads(out.getvalue())["traceEvents"] if e["ph"] == "X"}
>>> sorted(names & {"main", "sender"})
['main', 'sender']
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from greenlet import getcurrent

from cspy.scheduler import running
from cspy.trace import hook
from cspy.trace import recorder as ev
from cspy.trace.export import Target, check_target, write
from cspy.trace.flight import FlightRecorder
from cspy.trace.recorder import Recording, now_ns

if TYPE_CHECKING:
    from cspy.scheduler import Runtime

__all__ = ["FlightRecorder", "enabled", "log", "region", "start", "stop", "recorder_for_run"]


def _check_free(obs: hook.Observer) -> None:
    if obs.recording is not None:
        raise RuntimeError("tracing is already enabled: stop the current trace first (cspy.trace.stop())")


def recorder_for_run(target: Target, fmt: str | None = None) -> Callable[[Runtime], None]:
    """For ``cspy.run(trace=target)``: attaches a full recording to the run, written when it ends
    (also when it ends in a failure, a deadlock included)."""
    check_target(target, fmt)

    def attach(rt: Runtime) -> None:
        obs = hook.observer(rt)
        _check_free(obs)
        rec = Recording(rt)
        obs.recording = rec
        obs.refresh()

        def finish(rt: Runtime) -> None:
            if obs.recording is rec:
                rec.stopped_at = now_ns()
                obs.recording = None
                write(rec, target, fmt)

        obs.finishers.append(finish)

    return attach


_window: dict[int, tuple[Recording, Target, str | None]] = {}


def start(target: Target, fmt: str | None = None) -> None:
    """Record the running program from now until ``stop()`` (or the end of the run) into
    ``target``: a path ending in ``.json`` or ``.pftrace``, or a file object (text: JSON)."""
    rt = running()
    if rt is None:
        raise RuntimeError(
            "cspy.trace.start() needs a running runtime: call it from a task, or pass trace=PATH to cspy.run"
        )
    check_target(target, fmt)
    obs = hook.observer(rt)
    _check_free(obs)
    rec = Recording(rt)
    obs.recording = rec
    _window[id(rt)] = (rec, target, fmt)
    obs.refresh()

    def finish(rt: Runtime) -> None:
        if obs.recording is rec:
            _stop(rt)

    obs.finishers.append(finish)


def stop() -> None:
    """End the trace ``start`` began and write it. RuntimeError if none is being recorded."""
    rt = running()
    if rt is None or id(rt) not in _window:
        raise RuntimeError("cspy.trace.stop(): no trace is being recorded (cspy.trace.start() begins one)")
    _stop(rt)


def _stop(rt: Runtime) -> None:
    rec, target, fmt = _window.pop(id(rt))
    obs = hook.observer(rt)
    rec.stopped_at = now_ns()
    if obs.recording is rec:
        obs.recording = None
        obs.refresh()
    write(rec, target, fmt)


def enabled() -> bool:
    """Whether the calling task's processor is recording a trace (Go's ``trace.IsEnabled``)."""
    p = getattr(getcurrent(), "p", None)
    h = p.trace if p is not None else None
    return h is not None and h.rec is not None


def _mark(kind: int, a: object, b: object) -> None:
    g = getcurrent()
    p = getattr(g, "p", None)
    h = p.trace if p is not None else None
    if h is None or h.rec is None:
        return
    h.rec((now_ns(), kind, getattr(g, "task", None), a, b))


class region:
    """``with cspy.trace.region("fetch"):`` marks a stretch of the calling task in the trace (Go's
    ``trace.WithRegion``). Regions nest; they cost one check when nothing is recorded."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"a region's name must be a str, got {name!r}")
        self.name = name

    def __enter__(self) -> region:
        _mark(ev.REGION, self.name, True)
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        _mark(ev.REGION, self.name, False)


def log(message: str, category: str = "") -> None:
    """Put ``message`` in the trace at this moment, on the calling task (Go's ``trace.Log``)."""
    if not isinstance(message, str):
        raise TypeError(f"cspy.trace.log() needs a str message, got {message!r}")
    _mark(ev.LOG, category, message)

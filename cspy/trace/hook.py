"""The observer the scheduler calls: ``p.trace`` on each processor (None when nothing observes).

The scheduler's hooks (processor.py, park.py, steal.py, cspy/sync/mutex.py) are one load and
one check, ``tr = p.trace; if tr is not None``, then one call (the field is read once: it may be
replaced from another thread meanwhile, see ``Observer.refresh``). Behind it, one
:class:`ProcHook` per processor feeds whatever is on for this runtime:

- a trace recording (recorder.py): full (``start``/``stop``, ``run(trace=)``) or the flight
  recorder's ring, or both;
- the block profile (cspy.pprof, Go's ``SetBlockProfileRate``): a parked task gets a small
  :class:`Wait` record (``task.obs``) at the park; the waker stamps its release time (Go's
  ``releasetime``, set at ``goready``); when the task next runs, on its own thread, the delay is
  known and, if sampled, the event is charged to the task's stack, read from its suspended
  greenlet (which cannot be running then);
- the mutex profile (Go's ``SetMutexProfileFraction``): ``Mutex.unlock`` handing the mutex to a
  waiter charges the waiter's wait to the *unlocker's* stack, and restarts the next waiter's
  clock (Go's ``semrelease``: each stretch of waiting is charged once, to the unlock that ended it).

Which thread writes what: a hook runs on its processor's thread, except ``ready`` and ``unlock``,
which run on the waker's thread and record into *that* thread's buffer (recorder.py).

``Observer`` is the per-runtime state (registered while the runtime runs); the process-wide
settings (profiles, flight recorder) attach to each new runtime through
``runtime.attach_hooks``.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from cspy.scheduler import Task, TaskState, WaitReason
from cspy.scheduler import runtime as _runtime
from cspy.trace import recorder as ev
from cspy.trace.recorder import Recording, now_ns
from cspy.trace.stacks import stack_of

if TYPE_CHECKING:
    from cspy.scheduler import Runtime
    from cspy.scheduler.processor import Processor

__all__ = ["Observer", "ProcHook", "Wait", "observer", "set_profile", "set_flight", "label_of"]

RUNNING, WAITING = TaskState.RUNNING, TaskState.WAITING

# Go's block profile covers channel operations, select and sync primitives; not sleeps, system
# calls or network waits (runtime/pprof docs: "blocking on synchronization primitives").
NOT_BLOCK_PROFILED = frozenset({WaitReason.SLEEP, WaitReason.BLOCKING, WaitReason.IO_WAIT})

_lock = threading.Lock()
_observers: dict[int, Observer] = {}  # id(runtime) -> its observer, while it runs
_profiles: dict[str, Any] = {"block": None, "mutex": None}  # cspy.pprof's, when their rate > 0
_flight: Any = None  # cspy.trace.flight.FlightRecorder, while started


class Wait:
    """A parked task's wait, for the profiles (``task.obs``)."""

    __slots__ = ("t0", "rel", "acq", "reason", "on", "pid")

    def __init__(self, t0: int, reason: WaitReason, on: object, pid: int) -> None:
        self.t0 = t0
        self.rel = 0  # when a waker made it runnable (0: not yet)
        self.acq = t0  # the mutex profile's clock for this waiter (reset by each unlock)
        self.reason = reason
        self.on = on
        self.pid = pid


def label_of(on: object) -> tuple[str, str] | None:
    """The profile label for what a task waits on: ``("chan", name)`` or ``("lock", name)``."""
    if on is None:
        return None
    kind = "chan" if hasattr(on, "_recvq") else "lock"
    name = getattr(on, "name", None)
    if not isinstance(name, str):
        ident = getattr(on, "id", None)
        name = f"{type(on).__name__}#{ident}" if isinstance(ident, int) else f"{type(on).__name__}@{id(on):x}"
    return kind, name


def _labels(w: Wait) -> tuple[tuple[str, str], ...]:
    out = [("reason", w.reason.value), ("P", str(w.pid))]
    lab = label_of(w.on)
    if lab is not None:
        out.append(lab)
    return tuple(out)


class ProcHook:
    """``p.trace`` for one processor. Owner thread, except ``ready`` and ``unlock`` (any thread)."""

    __slots__ = ("obs", "p", "rec", "block", "mutex", "prof")

    def __init__(self, obs: Observer, p: Processor) -> None:
        self.obs = obs
        self.p = p
        self.rec: Callable[[tuple[Any, ...]], None] | None = obs.proc_rec(p.id)
        self.block = _profiles["block"]
        self.mutex = _profiles["mutex"]
        self.prof = self.block is not None or self.mutex is not None

    # ---- the task on this processor -----------------------------------------------------------

    def switch(self, frm: Task, to: Task) -> None:
        """``frm`` parked (park's fast path) and ``to`` runs next, without the hub."""
        t = now_ns()
        rec = self.rec
        if rec is not None:
            rec((t, ev.SWITCH, frm, frm.reason, frm.waiting_on, to))
        if self.prof:
            self._parked(frm, t)
            self._resumed(to)

    def park(self, task: Task) -> None:
        """``task`` parked (park's slow path: the next task comes from the scheduler)."""
        t = now_ns()
        rec = self.rec
        if rec is not None:
            rec((t, ev.STOP, task, task.reason, task.waiting_on))
        if self.prof:
            self._parked(task, t)

    def yield_(self, task: Task) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.STOP, task, "yield", None))

    def run(self, task: Task) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.RUN, task))
        if self.prof:
            self._resumed(task)

    def hub(self) -> None:
        rec = self.rec
        if rec is not None:
            p = self.p
            rec((now_ns(), ev.HUB, len(p.pinned) + len(p.new) + (p.runnext is not None)))

    def end(self, task: Task) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.END, task))

    def create(self, task: Task) -> None:
        rec = self.rec
        if rec is not None:
            f = sys._getframe(1)  # go()'s own frames, or its caller (compiled, go has none)
            while f.f_globals.get("__name__") == "cspy.scheduler.park" and f.f_back is not None:
                f = f.f_back
            site = f"{f.f_code.co_filename}:{f.f_lineno}"
            rec((now_ns(), ev.CREATE, getattr(getcurrent(), "task", None), task, site))

    def timer_ready(self, task: Task) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.TIMER, task))

    def idle(self) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.IDLE))

    def busy(self) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.BUSY))

    def spin(self, on: bool) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.SPIN, on))

    def steal(self, victim: Processor, task: Task) -> None:
        rec = self.rec
        if rec is not None:
            rec((now_ns(), ev.STEAL, victim.id, task))

    # ---- wakers (any thread) -----------------------------------------------------------------

    def ready(self, task: Task) -> None:
        """Any thread: ``task`` (of this processor) is made runnable by the calling thread."""
        t = now_ns()
        rec = self.rec
        if rec is not None:
            g = getcurrent()
            waker = getattr(g, "task", None)
            if waker is not None and waker.state is not RUNNING:
                waker = None  # a timer callback run while its task was switching away
            if getattr(g, "p", None) is not self.p:  # another thread: its own buffer
                rec = self.obs.rec_here(g)
            if rec is not None:
                rec((t, ev.READY, waker, task, task.waiting_on))
        if self.prof:
            w = getattr(task, "obs", None)
            if w is not None and not w.rel:
                w.rel = t

    def unlock(self, lock: object, woken: Task, waiters: Any) -> None:
        """Any thread (the unlocker's), holding the mutex's internal lock: ``woken`` gets it."""
        mutex = self.mutex
        if mutex is None:
            return
        w = getattr(woken, "obs", None)
        if w is None:
            return
        t = now_ns()
        delay = t - w.acq
        if waiters:
            nxt = getattr(waiters[0], "obs", None)
            if nxt is not None:
                nxt.acq = t  # its wait from here on is charged to the next unlock (Go's semrelease)
        if mutex.sampled():
            labels = (("reason", "sync.Mutex.Unlock"), ("P", str(self._here_pid())), *_lock_label(lock))
            mutex.add(delay, stack_of(sys._getframe(1)), labels)

    # ---- profiles -------------------------------------------------------------------------------

    def _parked(self, task: Task, t: int) -> None:
        reason = task.reason
        if reason is None or reason in NOT_BLOCK_PROFILED:
            return
        task.obs = Wait(t, reason, task.waiting_on, self.p.id)

    def _resumed(self, task: Task) -> None:
        w = getattr(task, "obs", None)
        if w is None:
            return
        task.obs = None
        block = self.block
        if block is None or not w.rel:
            return
        delay = w.rel - w.t0
        if block.sampled(delay):
            g = task.glet
            frame = getattr(g, "gr_frame", None) if g is not None else None
            block.add(delay, stack_of(frame), _labels(w))

    def _here_pid(self) -> int:
        p = getattr(getcurrent(), "p", None)
        return p.id if p is not None else -1


def _lock_label(lock: object) -> tuple[tuple[str, str], ...]:
    lab = label_of(lock)
    return (lab,) if lab is not None else ()


class _Both:
    """Appends to two recordings (a full trace while the flight recorder runs)."""

    __slots__ = ("a", "b")

    def __init__(self, a: Callable[[tuple[Any, ...]], None], b: Callable[[tuple[Any, ...]], None]) -> None:
        self.a = a
        self.b = b

    def __call__(self, e: tuple[Any, ...]) -> None:
        self.a(e)
        self.b(e)


class Observer:
    """What observes one runtime: its recordings and the hooks on its processors."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.recording: Recording | None = None  # full: start()/stop(), run(trace=)
        self.flight: Recording | None = None  # the flight recorder's ring
        self.local = threading.local()
        self.finishers: list[Callable[[Runtime], None]] = []  # at the end of the run
        self.lock = threading.Lock()  # the writers of the processors' hooks (``refresh``)
        self.replaced: list[ProcHook | None] = []  # hooks replaced this run, kept until its end
        rt.on_stop.append(self._finish)

    def _recordings(self) -> list[Recording]:
        return [r for r in (self.recording, self.flight) if r is not None]

    def proc_rec(self, pid: int) -> Callable[[tuple[Any, ...]], None] | None:
        recs = self._recordings()
        if not recs:
            return None
        if len(recs) == 1:
            return recs[0].proc_buffer(pid).append
        return _Both(recs[0].proc_buffer(pid).append, recs[1].proc_buffer(pid).append)

    def rec_here(self, g: Any) -> Callable[[tuple[Any, ...]], None] | None:
        """Any thread: where the calling thread records (its processor's buffer, else its own)."""
        p = getattr(g, "p", None)
        if p is not None and p.rt is self.rt:
            h = p.hook()
            if h is not None and h.obs is self:
                return h.rec  # type: ignore[no-any-return]
        recs = self._recordings()
        key = (id(self.recording), id(self.flight))
        cached = getattr(self.local, "rec", None)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        bufs = [r.thread_buffer().append for r in recs]
        fn: Callable[[tuple[Any, ...]], None] | None
        if not bufs:
            fn = None
        elif len(bufs) == 1:
            fn = bufs[0]
        else:
            fn = _Both(bufs[0], bufs[1])
        self.local.rec = (key, fn)
        return fn

    def refresh(self) -> None:
        """Any thread: put fresh hooks on every processor (or None if nothing observes).

        The processors read their hook without a lock, so the writers take turns (two writes at
        once would release the old hook twice) and a replaced hook stays alive until the run
        ends: a processor may have just loaded it (``Runners.hook``)."""
        on = bool(self._recordings()) or any(v is not None for v in _profiles.values())
        with self.lock:
            for p in self.rt.ps:
                self.replaced.append(p.hook())
                p.trace = ProcHook(self, p) if on else None
        _update_gc()

    def _finish(self) -> None:
        """The run ended (``on_stop``, every processor thread joined)."""
        try:
            for fn in self.finishers:
                fn(self.rt)
        finally:
            with _lock:
                _observers.pop(id(self.rt), None)
            with self.lock:  # every processor thread has been joined
                for p in self.rt.ps:
                    p.trace = None
                self.replaced.clear()
            _update_gc()


def observer(rt: Runtime) -> Observer:
    """The observer of ``rt``, created on first use."""
    with _lock:
        obs = _observers.get(id(rt))
        if obs is None or obs.rt is not rt:
            obs = Observer(rt)
            _observers[id(rt)] = obs
    return obs


def _attach(rt: Runtime) -> None:
    """``runtime.attach_hooks``: a new runtime starts while a profile or the flight recorder is on."""
    obs = observer(rt)
    if _flight is not None:
        _flight.attach(obs)
    obs.refresh()


def _sync_attach_hook() -> None:
    wanted = _flight is not None or any(v is not None for v in _profiles.values())
    hooks = _runtime.attach_hooks
    if wanted and _attach not in hooks:
        hooks.append(_attach)
    elif not wanted and _attach in hooks:
        hooks.remove(_attach)


def set_profile(kind: str, prof: Any) -> None:
    """cspy.pprof: the block or mutex profile to feed (None: off), for this and later runs."""
    _profiles[kind] = prof
    _sync_attach_hook()
    rt = _runtime.running()
    if rt is not None:
        observer(rt).refresh()


def set_flight(fr: Any) -> None:
    """cspy.trace.flight: the process-wide flight recorder (None: stopped)."""
    global _flight
    _flight = fr
    _sync_attach_hook()


# ---- garbage collections ---------------------------------------------------------------------

_gc_local = threading.local()


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    t = now_ns()
    if phase == "start":
        _gc_local.t = t
        return
    t0 = getattr(_gc_local, "t", None)
    if t0 is None:
        return
    g = getcurrent()
    for obs in list(_observers.values()):
        if obs.recording is None and obs.flight is None:
            continue
        rec = obs.rec_here(g)
        if rec is not None:
            rec((t0, ev.GC, t, info.get("generation", -1), info.get("collected", 0)))


def _update_gc() -> None:
    on = any(o.recording is not None or o.flight is not None for o in list(_observers.values()))
    if on and _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
    elif not on and _on_gc in gc.callbacks:
        gc.callbacks.remove(_on_gc)

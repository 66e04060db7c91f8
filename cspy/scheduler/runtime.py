"""The runtime (Go's ``sched``): processors, global queue, idle list, deadlock detection, life cycle.

One ``Runtime`` object exists per ``cspy.run`` call and holds all of the scheduler's mutable
state (there is no other global state but the pointer to the running runtime). It owns:

- the processors; P0 runs on the thread that called ``run``, P1.. on threads of their own;
- the global run queue (new tasks only) and the list of idle processors (``lock``);
- ``pending_ops``: offloaded calls and network waits in flight. They are *future work*:
  while one is pending, a processor with nothing to do is waiting, not deadlocked;
- the clock and the seed, so every time read and random choice comes from one place;
- sysmon and the offload pool, started with the runtime and joined before ``run`` returns.

Deadlock detection (Go's ``checkdead``) runs when a processor goes idle. It declares deadlock only
if, with the runtime lock held, every processor is idle with an empty inbox, no pending timer and
no queued task, the global queue is empty, and no blocking call or I/O is pending. A waker always
publishes its wake-up (inbox push, global-queue push) *before* it retires its pending op, so the
check can never miss work in flight: no false positives.

Stopping: main returning, a task raising, deadlock or Ctrl-C (via sysmon, see sigint.py) set
``stopping`` and wake every processor; each hub then unwinds its own greenlets and its thread
ends. ``run`` joins every thread it started before returning, so no scheduler thread outlives it.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, TypeVar
from collections.abc import Callable

from cspy.errors import DeadlockError
from cspy.scheduler.processor import Processor
from cspy.scheduler.runner import Stack
from cspy.scheduler.procs import check_procs, cpus, default_procs, gil_enabled
from cspy.scheduler.runqueue import RUNQ_SIZE, GlobalRunQueue
from cspy.scheduler.sigint import deferred_sigint
from cspy.scheduler.task import Task

__all__ = ["Runtime", "LongRunning", "run", "running", "default_procs", "gil_enabled"]

T = TypeVar("T")

_running: Runtime | None = None
_running_lock = threading.Lock()

# Observers that attach to every runtime ``run`` starts (cspy.trace's flight recorder, cspy.pprof's
# block and mutex profiles, once a program turns them on): each is called with the new runtime
# before its main task exists, and may set ``p.trace`` on its processors and add to ``on_stop``.
attach_hooks: list[Callable[[Runtime], None]] = []


def running() -> Runtime | None:
    """The runtime started by ``cspy.run`` that is running now, if any."""
    return _running


@dataclass
class LongRunning:
    """A task that held its processor for longer than a time slice without yielding."""

    task_id: int
    task_name: str
    proc: int
    held: float  # seconds, as last observed by sysmon
    at: float  # runtime clock when first detected


class Runtime:
    def __init__(
        self,
        procs: int,
        seed: object = None,
        clock: Callable[[], float] = time.monotonic,
        runq_size: int = RUNQ_SIZE,
    ) -> None:
        self.nprocs = procs
        self.seed = seed if seed is not None else int.from_bytes(os.urandom(8), "little")
        self.clock = clock
        self.lock = threading.Lock()
        self.glob = GlobalRunQueue()
        self.ps = [Processor(self, i, runq_size, self.seed) for i in range(procs)]
        self.idle: list[Processor] = []
        # Spinning (steal.py): only without the GIL, with someone to share with, and never more
        # threads running or spinning than CPUs.
        self.spin = procs > 1 and not gil_enabled()
        self.ncpu = cpus()
        self.nmspinning = 0  # processors spinning now (under lock)
        self.wakeups = 0  # processors leaving their idle wait (under lock; sysmon reads it)
        self.sysmon_wait = False  # sysmon sleeps until a processor wakes (under lock; sysmon.py)
        self.pending_ops = 0
        self.stopping = False
        self.interrupted = False  # Ctrl-C seen (sigint.py); sysmon turns it into a failure
        self.failure: BaseException | None = None
        self.result: Any = None
        self.main: Task | None = None
        self.ids = 2  # the main task is 1
        self.spawned_foreign = 0  # tasks spawned from non-runtime threads (under lock)
        self.started_at = clock()
        self.coarse_now = self.started_at  # refreshed by sysmon; cheap "now" for wait times
        for p in self.ps:
            p.coarse_now = self.started_at
        self.long_running_count = 0
        self.long_running: deque[LongRunning] = deque(maxlen=16)
        self.threads: list[threading.Thread] = []
        self.sysmon: Any = None
        self.offload: Any = None
        self.netpoller: Any = None  # cspy.net's trio thread (call_async), started on first use
        self.netpoll: Any = None  # netpoll.Netpoll: socket readiness, created on first use
        self.on_stop: list[Callable[[], None]] = []  # e.g. the netpoller's shutdown
        # cspy.testing (both None under cspy.run): ``bubble`` is the test harness (virtual clock,
        # testing.wait(), leak check, spawn sites; see _checkdead and main_done); ``explorer``
        # picks the next task on a processor from a seeded or explored decision stream.
        self.bubble: Any = None
        self._explorer: Any = None

    @property
    def explorer(self) -> Any:
        return self._explorer

    @explorer.setter
    def explorer(self, chooser: Any) -> None:
        """Set before the processors run; each keeps a copy for its scheduling decisions."""
        self._explorer = chooser
        for p in self.ps:
            p.explorer = chooser

    # ---- ids and spawning ---------------------------------------------------------------

    def alloc_ids(self, n: int) -> tuple[int, int]:
        with self.lock:
            first = self.ids
            self.ids += n
        return first, first + n

    def spawn_foreign(self, task: Task) -> None:
        """Any non-runtime thread: queue a new task globally and wake a processor for it."""
        with self.lock:
            self.spawned_foreign += 1
        self.glob.put(task)
        self.wakep()

    # ---- idle processors ----------------------------------------------------------------

    def wakep(self) -> None:
        """Any thread: wake one idle processor (there is work it could take).

        With spinning on, the processor wakes spinning, and nobody is woken while another
        processor spins already: that one will find the work (Go's ``wakep``)."""
        if not self.idle:
            return
        with self.lock:
            if not self.idle or (self.spin and self.nmspinning):
                return
            p = self.idle.pop()
            if self.spin:
                p.spinning = True
                self.nmspinning += 1
        p.kick()

    def start_spinning(self, p: Processor) -> bool:
        """``p`` found no work: may it spin? Go's bound: spinners at most half the busy
        processors; and here also no more threads running or spinning than CPUs."""
        with self.lock:
            if self.stopping:
                return False
            busy = self.nprocs - len(self.idle)  # includes ``p`` and the spinners
            if self.nmspinning * 2 >= busy or busy > self.ncpu:
                return False
            p.spinning = True
            self.nmspinning += 1
            return True

    def stop_spinning(self, p: Processor) -> None:
        with self.lock:
            if p.spinning:
                p.spinning = False
                self.nmspinning -= 1

    def p_idle(self, p: Processor) -> bool:
        """``p`` is about to sleep. False if it should look for work again instead."""
        with self.lock:
            if self.stopping:
                return False
            self.idle.append(p)
            # Work published before we were listed would wake nobody (its publisher saw no idle
            # processor): look again now that we are (Go's re-check after pidleput). New tasks
            # of a running processor are its own until it is stuck, and then sysmon wakes us.
            if len(self.glob.q):
                return False
            if len(self.idle) == self.nprocs:
                self._checkdead()
        return not self.stopping

    def p_busy(self, p: Processor) -> None:
        with self.lock:
            if p in self.idle:
                self.idle.remove(p)
            self.wakeups += 1
            wake_sysmon, self.sysmon_wait = self.sysmon_wait, False
        if wake_sysmon:
            self.sysmon.wake()

    def _checkdead(self) -> None:
        """Caller holds ``lock``. Every processor is listed idle: is anything still to come?"""
        if self.pending_ops or self.glob.q or self.stopping:
            return
        for p in self.ps:
            with p.lock:
                if not p.idle or p.inbox or p.runq_len():  # (runq_len: runnext unread, see peek)
                    return
            if p.timers.live and self.bubble is None:
                return
        # cspy.testing: every task is durably blocked. The harness may end a testing.wait(), jump
        # the virtual clock to the next timer, or end the run after main (the leak check).
        if self.bubble is not None and self.bubble.all_blocked(self):
            return
        from cspy.scheduler.dump import dump_runtime

        err = DeadlockError("all tasks are asleep - deadlock!\n\n" + dump_runtime(self, stopped=True))
        self.failure = err
        self._stop_locked()

    # ---- pending operations (future work) ----------------------------------------------

    def op_begin(self) -> None:
        with self.lock:
            self.pending_ops += 1

    def op_end(self) -> None:
        """Call only after the operation's wake-up has been published (see module doc)."""
        with self.lock:
            self.pending_ops -= 1
        self.wakep_if_all_idle()

    def wakep_if_all_idle(self) -> None:
        # If every processor sleeps forever, one must re-run the deadlock check.
        if len(self.idle) == self.nprocs:
            with self.lock:
                for p in self.idle:
                    p.kick()

    # ---- ending ----------------------------------------------------------------------------

    def main_done(self, result: Any) -> None:
        if self.bubble is not None and self.bubble.main_returned(self, result):
            return  # cspy.testing: the other tasks run on until the leak check (_checkdead)
        with self.lock:
            if not self.stopping:
                self.result = result
            self._stop_locked()

    def fail(self, task: Task | None, exc: BaseException) -> None:
        """Any thread: ``exc`` escaped ``task`` (or the scheduler): stop, and ``run`` raises it."""
        with self.lock:
            if self.stopping:
                return
            if task is not None:
                exc.add_note(f"cspy: raised in task {task.id} ({task.name!r})")
            self.failure = exc
            self._stop_locked()

    def stop(self) -> None:
        with self.lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        self.stopping = True
        for p in self.ps:
            p.stopping = True  # the copy the hot path reads
            p.kick()

    # ---- life cycle ----------------------------------------------------------------------

    def run_main(self, main: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        from cspy.scheduler.offload import OffloadPool
        from cspy.scheduler.sysmon import Sysmon

        p0 = self.ps[0]
        task = Task(1, main, args, kwargs, name="main")
        self.main = task
        p0.spawned += 1
        p0.runqput(task, next=True)
        self.offload = OffloadPool(self)
        self.sysmon = Sysmon(self)
        hub = Stack(p0.hub_main, None, p0)
        p0.hub = hub
        with deferred_sigint(self, p0.wake):
            try:
                for p in self.ps[1:]:
                    t = threading.Thread(target=_processor_thread, args=(p,), name=p.thread_name)
                    self.threads.append(t)
                    t.start()
                self.sysmon.start()
                hub.switch()  # P0's scheduling loop; returns once the runtime stops
            except BaseException as exc:  # a second Ctrl-C while starting threads
                self.fail(None, exc)
            finally:
                self.stop()
                for t in self.threads:
                    t.join()
                self.sysmon.stop()
                self.offload.shutdown()
                for fn in self.on_stop:
                    fn()
                if self.netpoll is not None:
                    self.netpoll.close()
                self.close()
        failure, self.failure = self.failure, None
        if failure is None and self.interrupted:  # Ctrl-C after sysmon's last look
            failure = KeyboardInterrupt()
        if failure is not None:
            raise failure
        return self.result

    def close(self) -> None:
        """Release the processors' wake-up descriptors (``run_main`` does, at its end)."""
        for p in self.ps:
            p.wake.close()

    def start(self) -> None:
        global _running
        with _running_lock:
            if _running is not None:
                raise RuntimeError(
                    "cspy.run() called while a runtime is running; "
                    "start more tasks with cspy.go() instead of nesting cspy.run()"
                )
            _running = self

    def finish(self) -> None:
        global _running
        with _running_lock:
            if _running is self:
                _running = None

    # ---- reading ---------------------------------------------------------------------------

    def num_tasks(self) -> int:
        spawned = self.spawned_foreign
        finished = 0
        for p in self.ps:
            spawned += p.spawned
            finished += p.finished
        return spawned - finished

    def all_tasks(self) -> list[Task]:
        """Any thread (a snapshot): started tasks and queued new ones, by id (main first)."""
        seen: dict[int, Task] = {}
        for p in self.ps:
            for t in _snapshot(p.tasks):
                seen[t.id] = t
            nxt = p.peek()[1]
            for t in ([nxt] if nxt is not None else []) + _snapshot_seq(p.new):
                seen.setdefault(t.id, t)
        for t in _snapshot_seq(self.glob.q):
            seen.setdefault(t.id, t)
        # A task that finished since its table was copied may be in the list (its state says so):
        # filtering it here would cost a field read per task, which stats() does once anyway.
        return [seen[k] for k in sorted(seen)]


def run(
    main: Callable[..., T],
    /,
    *args: Any,
    procs: int | None = None,
    seed: object = None,
    trace: Callable[[Runtime], None] | None = None,
    **kwargs: Any,
) -> T:
    """Run ``main(*args, **kwargs)`` as the main task of a new runtime and return its result.

    ``trace``, if given, is called with the new runtime before main starts, after the
    ``attach_hooks`` (cspy.trace passes its recorder's attach here).

    ``procs`` processors (threads) run the tasks; None picks :func:`default_procs`. ``seed``
    makes every scheduler choice (select, steal order) reproducible on one processor. Returns
    when main returns -- other tasks are abandoned, as in Go -- and re-raises the first exception
    that escapes any task. Raises :class:`cspy.DeadlockError` when nothing can ever run again.

    >>> cspy.run(lambda x: x * 2, 21)
    42
    """
    if not callable(main):
        raise TypeError(f"cspy.run() needs a callable main, got {main!r}")
    rt = Runtime(check_procs(procs), seed=seed)
    try:
        rt.start()
    except BaseException:
        rt.close()  # it never ran: its processors' notes are closed here, not by the collector
        raise
    try:
        for attach in attach_hooks:
            attach(rt)
        if trace is not None:
            trace(rt)
        return rt.run_main(main, args, kwargs)  # type: ignore[no-any-return]
    finally:
        rt.finish()


def _processor_thread(p: Processor) -> None:
    hub = Stack(p.hub_main, None, p)
    p.hub = hub
    hub.switch()


def _snapshot(d: dict[int, Task]) -> list[Task]:
    for _ in range(10):
        try:
            return list(d.values())
        except RuntimeError:  # changed size while copying (owner is running)
            continue
    return []


def _snapshot_seq(q: Any) -> list[Task]:
    for _ in range(10):
        try:
            return list(q)
        except RuntimeError:
            continue
    return []

"""Runner greenlets: the stacks tasks run on, and a finished task's runner starting the next.

``Runners`` is the middle of the processor's class chain (``RunQueue`` -> ``Runners`` ->
``Processor``, one compiled class each, so these methods read the processor's fields as C);
everything here runs on the processor's own thread. A task has no greenlet until it first runs:
then the hub hands it a *runner*, a greenlet from the processor's pool or a new one. A runner
whose task finishes runs the next *new* task itself, right there (creating a greenlet maps a
fresh stack chunk and costs ~8.5 us; reusing one costs nothing), or waits in the pool (at most
RUNNER_POOL_MAX) for one.

Only the hub creates runners: a new greenlet starts at the recursion depth of the greenlet that
starts it, so runners started from runners would nest ever deeper.

Other threads read ``current`` and ``runnext`` (stats, sysmon, the dump) through ``peek``, under
the processor's lock, while the owner rewrites both without it. Reading an object field takes a
reference, and that is only safe if the object cannot be freed between the load and the
increment: compiled fields are plain C pointers, and without the GIL an observer that read a
task the owner freed meanwhile corrupted the heap within seconds. So the owner never drops the
last reference to a task that ``current`` or ``runnext`` may still show: a task that finished
goes to ``retired``, which is emptied under the lock only once RETIRE_BATCH tasks have finished
after it (by then ``current`` has moved on, and a reader holding the lock has its reference). Every
other task the two fields can show is referenced elsewhere: started ones by ``tasks``, new ones
by the queues or the scheduler's locals until they start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from cspy.scheduler import glet
from cspy.scheduler.runqueue import RunQueue
from cspy.scheduler.task import Task, TaskState

if TYPE_CHECKING:
    from cspy.scheduler.processor import Processor
    from cspy.scheduler.runtime import Runtime

__all__ = ["Stack", "Runners", "RUNNER_POOL_MAX", "running_processor", "running_task"]

RUNNING, DEAD = TaskState.RUNNING, TaskState.DEAD

# Finished runner greenlets kept for reuse. Enough for any burst of short tasks; beyond it a
# finished runner just ends, so 100,000 finished tasks do not keep 100,000 stacks alive.
RUNNER_POOL_MAX = 128

# Finished tasks held before their last reference goes (see the module docstring): one lock
# round per this many finished tasks.
RETIRE_BATCH = 64


class Stack(glet.greenlet):  # type: ignore[misc]
    """A greenlet of the scheduler: a processor's hub (``task`` is None) or a task runner."""

    __slots__ = ("p", "task")

    def __init__(self, run: Any, parent: greenlet | None, p: Processor) -> None:
        super().__init__(run, parent)
        self.p = p
        self.task: Task | None = None


def running_task() -> Task | None:
    """Any thread: the task whose greenlet runs this code, or None (a hub, or a thread that is
    not a processor's)."""
    g = glet.getcurrent()
    if type(g) is not Stack:
        return None
    s = g  # (compiled: the typed local reads the C field)
    return s.task


def running_processor() -> Processor | None:
    """Any thread: the processor whose thread this is, or None (a foreign thread)."""
    g = glet.getcurrent()
    if type(g) is not Stack:
        return None
    s = g
    return s.p


class Runners(RunQueue):
    """The runner half of a processor (its fields are set by ``Processor.__init__``). Owner
    thread only."""

    if TYPE_CHECKING:  # set by Processor.__init__
        rt: Runtime
        hub: Stack | None
        free: list[Stack]
        tasks: dict[int, Task]
        current: Task | None
        finished: int
        retired: list[Task]
        trace: Any

    def peek(self) -> tuple[Task | None, Task | None]:
        """Any thread: (the task running here, the one in runnext), a snapshot. Either may have
        moved on since, but neither is freed under the reader (see the module docstring)."""
        lock = self.lock
        lock.acquire()
        cur, nxt = self.current, self.runnext
        lock.release()
        return cur, nxt

    def hook(self) -> Any:
        """Any thread: the trace hook now (``trace``; None when nothing observes), one load of
        the field (a compiled attribute read loads it twice: see ``Task.snapshot``). The owner
        reads ``trace`` into a local before each call for the same reason; cspy.trace replaces
        hooks from any thread and keeps a replaced one alive until the run ends."""
        trace = self.trace
        return trace

    def findrunnable_nowait(self) -> Task | None:
        """The next task to run here, or None: the processor's scheduling decision."""
        raise NotImplementedError("Processor.findrunnable_nowait")  # Processor overrides it

    def _new_runner(self) -> Stack:
        return Stack(self._runner_main, self.hub, self)  # type: ignore[arg-type]

    def _runner_main(self, task: Task) -> None:
        """Body of a runner greenlet: run tasks, one after another, until the pool is full."""
        g: Stack = getcurrent()
        rt = self.rt
        while True:
            task.glet = g
            task.home = self  # type: ignore[assignment]  # self is a Processor
            g.task = task
            self.current = task
            task.state = RUNNING
            self.tasks[task.id] = task
            tr = self.trace
            if tr is not None:
                tr.run(task)
            fn, args, kwargs = task.fn, task.args, task.kwargs
            task.fn = None
            task.args = task.kwargs = None  # the task no longer keeps its arguments alive
            assert fn is not None and args is not None
            try:
                # A plain call with positional arguments is inlined by the interpreter; a call
                # with ``*args`` recurses in C, and that C stack is saved with every parked task.
                if kwargs:
                    result = fn(*args, **kwargs)
                elif len(args) == 1:
                    result = fn(args[0])
                elif not args:
                    result = fn()
                else:
                    result = fn(*args)
            except BaseException as exc:  # a task's exception ends the program, like a panic
                result = None
                if rt.stopping:  # killed at shutdown (GreenletExit), or raised while unwinding
                    self._task_done(g, task)
                    return
                rt.fail(task, exc)
            del fn, args, kwargs
            self._task_done(g, task)
            if task is rt.main:
                rt.main_done(result)
            del result
            # Pick the next task. A new one runs right here, in this greenlet.
            nxt = self.findrunnable_nowait()
            if nxt is not None and nxt.glet is None:
                task = nxt
                continue
            if len(self.free) >= RUNNER_POOL_MAX:
                if nxt is not None:
                    self.runqput(nxt, next=True)
                return  # the greenlet ends; its parent, the hub, schedules
            self.free.append(g)
            self.current = None
            if nxt is None:
                assert self.hub is not None
                task = self.hub.switch()
            else:
                self.current = nxt
                nxt.state = RUNNING
                assert nxt.glet is not None
                tr = self.trace
                if tr is not None:
                    tr.run(nxt)
                task = nxt.glet.switch()
            # Someone switched here with a new task: we were popped from the pool by resume().

    def _task_done(self, g: Stack, task: Task) -> None:
        tr = self.trace
        if tr is not None:
            tr.end(task)
        task.state = DEAD
        task.glet = None
        g.task = None
        self.current = None
        self.tasks.pop(task.id, None)
        self.finished += 1
        retired = self.retired  # held until RETIRE_BATCH more have finished (see ``peek``)
        if len(retired) < RETIRE_BATCH:
            retired.append(task)
        else:
            self._retire_batch(task)

    def _retire_batch(self, task: Task) -> None:
        """``retired`` is full: start a new batch with ``task``; the old one is dropped."""
        lock = self.lock
        lock.acquire()
        old, self.retired = self.retired, [task]
        lock.release()
        del old  # its tasks are freed here, outside the lock: no field can show them any more

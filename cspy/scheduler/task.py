"""Task: cspy's goroutine (Go's G).

A task is a function to run plus the little state the scheduler needs to run it:

- ``state`` moves NEW -> RUNNING -> (WAITING -> RUNNABLE -> RUNNING)* -> DEAD. A NEW task has
  no greenlet yet; it may be queued on any processor and stolen. The first time a processor runs
  it, the task is given a greenlet on that processor's thread and ``home`` is set for good:
  a started greenlet can only be resumed on the thread that started it, so a started task is
  *pinned* (see DESIGN.md, "greenlets are pinned to their thread").
- ``reason`` says what a WAITING task waits on (an enum, never a free string, so the task dump,
  the deadlock message and the live view agree on the words).
- ``val`` / ``ok`` are the task's own wait record for the simple cases (a channel hand-off, a
  blocking call's result): the waker stores the outcome there before readying the task, so a
  plain send/recv allocates nothing. ``waiting_on`` is what the task is parked on (for stats).
- ``wprev`` / ``wnext`` are links in the wait queue of the primitive the task is parked on,
  owned by that primitive under its lock (an intrusive list, as Go's ``waitq`` of sudogs, so a
  queue costs nothing per waiter); None while the task is in no queue.
- ``system`` and ``obs`` are left unset (reading them raises AttributeError; use ``getattr`` with
  a default), so a spawn pays nothing for them: ``system`` is True for the runtime's own tasks
  (the debug endpoint's), which deadlock detection and leak checks do not count; ``obs`` is an
  observer's record of the task's current wait (cspy.trace, block and mutex profiles).

Hot object: ``__slots__``, no properties on the hot path.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

if TYPE_CHECKING:
    from greenlet import greenlet

    from cspy.scheduler.processor import Processor

__all__ = ["Task", "TaskState", "WaitLinks", "WaitReason", "tally"]


class TaskState(enum.IntEnum):
    NEW = 0  # spawned, never run: no greenlet, may run on any processor
    RUNNABLE = 1  # in a run queue or inbox
    RUNNING = 2  # its processor is executing it
    WAITING = 3  # parked; ``reason`` says on what
    DEAD = 4  # returned or raised


_NEW, _RUNNABLE, _WAITING = TaskState.NEW, TaskState.RUNNABLE, TaskState.WAITING


class WaitReason(str, enum.Enum):
    """Why a task is parked (Go's ``waitReason``). Each blocking site has its own member."""

    CHAN_SEND = "chan send"
    CHAN_RECEIVE = "chan receive"
    SELECT = "select"
    SELECT_NO_CASES = "select (no cases)"
    SLEEP = "sleep"
    BLOCKING = "blocking call"
    IO_WAIT = "I/O wait"
    WAITGROUP = "sync.WaitGroup.Wait"
    MUTEX = "sync.Mutex.Lock"
    RWMUTEX_R = "sync.RWMutex.RLock"
    RWMUTEX_W = "sync.RWMutex.Lock"
    COND = "sync.Cond.Wait"
    SEMAPHORE = "semacquire"
    ONCE = "sync.Once.Do"
    TESTING_WAIT = "testing.wait"  # cspy.testing.wait(): until every other task is durably blocked

    def __str__(self) -> str:
        return self.value


class WaitLinks:
    """The two links of an intrusive wait queue (cspy/channel/waitq.py), owned by the primitive
    whose queue the record is in: a task is its own record for a plain wait, a select queues one
    record per case. A base class rather than two more slots of Task, so that a queue can link
    both kinds through one type (the compiled build reads them as C fields)."""

    __slots__ = ("wprev", "wnext")

    def __init__(self) -> None:
        self.wprev: WaitLinks | None = None
        self.wnext: WaitLinks | None = None


class Task(WaitLinks):
    """A lightweight task (goroutine). Created by :func:`cspy.go`; never constructed by users.

    ``id`` is a unique int (the main task is 1) and ``name`` a display name
    (``"task-7"`` unless one was given to ``cspy.go(fn, name=...)``).
    """

    __slots__ = (
        "id",
        "_name",
        "fn",
        "args",
        "kwargs",
        "state",
        "reason",
        "wait_since",
        "waiting_on",
        "home",
        "glet",
        "seq",
        "val",
        "ok",
        "system",  # unset unless True (see the module comment)
        "obs",  # unset unless an observer records this task's wait
        "__weakref__",
    )

    system: bool
    obs: Any

    def __init__(
        self,
        tid: int,
        fn: Callable[..., Any],
        args: tuple[Any, ...] | None,
        kwargs: dict[str, Any] | None,
        name: str | None = None,
    ) -> None:
        # Spawning is hot: constants come from module globals, and the default name is made
        # only when someone asks for it.
        self.id = tid
        self._name = name
        self.fn: Callable[..., Any] | None = fn
        self.args = args
        self.kwargs = kwargs
        self.state = _NEW
        self.reason: WaitReason | None = None
        self.wait_since = 0.0
        self.waiting_on: object = None
        self.home: Processor | None = None
        self.glet: greenlet | None = None
        self.seq = 0
        self.val: Any = None
        self.ok = True
        self.wprev = None  # wait-queue links (WaitLinks), owned by the primitive the task waits on
        self.wnext = None

    def snapshot(self) -> tuple[TaskState, WaitReason | None, Processor | None]:
        """Any thread: ``(state, reason, home)``, each field read once. Observers on other
        threads (stats, the dump, all_tasks) read these three through here, never as attributes:
        a compiled attribute read loads the field twice, once to take a reference and once to
        return it, so an owner's write in between hands the reader an object it holds no
        reference to, and the reader's later release takes one from an enum member that never
        gave it (on 3.13t a member's count reached zero and it was freed). A local read loads
        once; the values are enum members and processors, which outlive every task."""
        state = self.state
        reason = self.reason
        home = self.home
        return state, reason, home

    @property
    def name(self) -> str:
        name = self._name
        return name if name is not None else f"task-{self.id}"

    def __repr__(self) -> str:
        what = self.state.name.lower()
        if self.state is TaskState.WAITING and self.reason is not None:
            what = f"waiting: {self.reason.value}"
        return f"<Task {self.id} {self.name!r} {what}>"



def tally(tasks: list[Task]) -> tuple[dict[str, int], int]:
    """Any thread: (wait reason -> tasks parked on it, tasks runnable or not started), each
    task's fields loaded once (``Task.snapshot``), in one pass: what ``stats()`` counts."""
    parked: dict[str, int] = {}
    runnable = 0
    for t in tasks:
        state = t.state
        if state is _WAITING:
            reason = t.reason
            if reason is not None:
                parked[reason.value] = parked.get(reason.value, 0) + 1
        elif state is _RUNNABLE or state is _NEW:
            runnable += 1
    return parked, runnable

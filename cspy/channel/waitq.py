"""Wait queues of a channel and their waiter records (Go's ``waitq`` and ``sudog``).

A channel keeps two FIFO queues, ``sendq`` and ``recvq``, of tasks blocked on it. An entry is
one of two kinds of waiter record:

- a :class:`~cspy.scheduler.Task` itself, for a plain ``send``/``recv``. The task's own slots
  are the record: ``task.val`` holds the value a sender offers, or the value a receiver is given;
  ``task.ok`` says whether the operation completed (False: the channel was closed). A plain
  blocking operation therefore allocates nothing.
- a :class:`Sudog`, one per case of a ``select`` that blocks. All sudogs of one select share a
  :class:`SelectToken`; ``Sudog.val`` holds the value a send case offers. The waker writes the
  outcome into the selecting task's ``val``/``ok`` and the fired case's index into the token.

Invariants:
- Queues are touched only with the channel's lock held.
- A select is woken at most once: a waker must *claim* the token (under the token's lock) before
  it may complete a sudog's operation. Two wakers on two different channels can race for the
  same select, each holding only its own channel's lock, which is why the token has a lock of its
  own (Go uses a compare-and-swap on ``g.selectDone``; we have no CAS that does not lean on the
  GIL). The token lock is a leaf: nothing else is acquired while it is held.
- A sudog whose token was claimed through another case is dead. Wakers drop dead sudogs they
  find; the selecting task removes the rest of its sudogs after it wakes, so a select that loops
  on a channel that never fires does not grow that channel's queue.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Union

from cspy.scheduler import Task

if TYPE_CHECKING:
    from cspy.channel.chan import Chan

__all__ = ["SelectToken", "Sudog", "Waiter", "WaitQueue", "dequeue", "has_waiter"]


class SelectToken:
    """What all sudogs of one blocked select share: who may wake it, and which case fired.

    It also stands for the set of channel locks the select holds: ``release()`` unlocks them, so
    the token can be handed to ``park`` as its lock (the locks are released once the task is
    marked waiting, as Go's ``selparkcommit`` does).
    """

    __slots__ = ("task", "lock", "done", "index", "chans")

    def __init__(self, task: Task, chans: list[Chan[Any]]) -> None:
        self.task = task
        self.lock = threading.Lock()
        self.done = False
        self.index = -1  # the case that fired, set by the claimer
        self.chans = chans  # in lock order

    def claim(self, index: int) -> bool:
        """Any thread, caller holds the lock of case ``index``'s channel: True if this caller
        won the right to complete the select through case ``index``."""
        lock = self.lock
        lock.acquire()
        if self.done:
            lock.release()
            return False
        self.done = True
        self.index = index
        lock.release()
        return True

    def release(self) -> None:
        """Unlock every channel of the select (reverse lock order; ``chans`` may repeat one)."""
        prev = None
        for ch in reversed(self.chans):
            if ch is not prev:
                ch._lock.release()
                prev = ch

    def __repr__(self) -> str:
        distinct = list(dict.fromkeys(self.chans))
        return "select on [" + ", ".join(repr(c) for c in distinct) + "]"


class Sudog:
    """One case of a blocked select, queued on its channel."""

    __slots__ = ("task", "token", "index", "val")

    def __init__(self, token: SelectToken, index: int, val: Any) -> None:
        self.task = token.task
        self.token = token
        self.index = index
        self.val = val  # the value a send case offers; None for a receive case


Waiter = Union[Task, Sudog]
WaitQueue = deque  # deque[Waiter]; a type alias keeps the annotations short


def dequeue(q: deque[Waiter]) -> Waiter | None:
    """Caller holds the channel lock: pop the first waiter that may be woken, or None.

    A plain task always may; a sudog only if its select token is claimed here (so the caller now
    owns the select's single wake-up). Dead sudogs are dropped on the way.
    """
    while q:
        w = q.popleft()
        if w.__class__ is not Sudog:
            return w
        if w.token.claim(w.index):
            return w
    return None


def has_waiter(q: deque[Waiter]) -> bool:
    """Caller holds the channel lock: whether ``q`` holds a waiter that may still be woken.

    Drops dead sudogs at the head. A live-looking sudog can still be claimed elsewhere before
    the caller dequeues it; ``dequeue`` returning None covers that race.
    """
    while q:
        w = q[0]
        if w.__class__ is not Sudog or not w.token.done:
            return True
        q.popleft()
    return False

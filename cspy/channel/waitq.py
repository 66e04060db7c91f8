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

A :class:`WaitQ` is Go's ``waitq{first, last}``: a doubly linked list threaded through the
records' own ``wprev``/``wnext`` slots. Parked tasks cost memory, and a ``deque`` allocates a
~760-byte block for its first entry; an intrusive list costs one small object per channel that
ever had a waiter, nothing per waiter, and removes any record in O(1) (a woken select drops its
losing sudogs without a scan).

Invariants:
- Queues are touched only with the channel's lock held; only ``WaitQ.n`` is read without it (a
  best-effort snapshot for the live view).
- A record is in at most one queue at a time (a select has one sudog per case). A record in no
  queue has ``wprev`` and ``wnext`` None: leaving a queue clears them, so a queue never keeps a
  record alive and a record never keeps its old neighbours alive. The head's ``wprev`` is None.
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
from typing import TYPE_CHECKING, Any, Union
from collections.abc import Iterator

from cspy.scheduler.task import Task, WaitLinks

if TYPE_CHECKING:
    from cspy.channel.chan import Chan

__all__ = [
    "NO_WAITERS",
    "SelectToken",
    "Sudog",
    "WaitQ",
    "Waiter",
    "dequeue",
    "has_waiter",
    "lock_chans",
    "unlock_chans",
]


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
        """Unlock every channel of the select (so the token can be ``park``'s lock)."""
        unlock_chans(self.chans)

    def __repr__(self) -> str:
        distinct = list(dict.fromkeys(self.chans))
        return "select on [" + ", ".join(repr(c) for c in distinct) + "]"


def lock_chans(chans: list[Chan[Any]]) -> None:
    """Lock each distinct channel of ``chans``, which is sorted by ``Chan.id`` -- the one global
    lock order, so two selects over the same channels cannot deadlock; repeats are adjacent."""
    prev = None
    for ch in chans:
        if ch is not prev:
            ch._lock.acquire()
            prev = ch


def unlock_chans(chans: list[Chan[Any]]) -> None:
    """Unlock what ``lock_chans`` locked, in reverse order."""
    prev = None
    for ch in reversed(chans):
        if ch is not prev:
            ch._lock.release()
            prev = ch


class Sudog(WaitLinks):
    """One case of a blocked select, queued on its channel."""

    __slots__ = ("task", "token", "index", "val")

    def __init__(self, token: SelectToken, index: int, val: Any) -> None:
        self.task = token.task
        self.token = token
        self.index = index
        self.val = val  # the value a send case offers; None for a receive case
        self.wprev = None  # links in its channel's queue (owned by WaitQ)
        self.wnext = None


Waiter = Union[Task, Sudog]  # (each a WaitLinks: what a queue links through)


class WaitQ:
    """A FIFO of waiter records linked through their ``wprev``/``wnext`` slots (Go's ``waitq``).

    Caller holds the owning channel's lock for every method; ``n`` (the number of records queued)
    may be read without it. ``first`` is None exactly when the queue is empty.

    With two waiter records (tasks or sudogs) in no queue:

    >>> from cspy.scheduler.task import Task, WaitLinks
    >>> a, b = Task(1, print, (), {}), Task(2, print, (), {})
    >>> q = WaitQ()
    >>> q.push(a); q.push(b); q.remove(a)
    True
    >>> q.pop() is b, q.n
    (True, 0)
    """

    __slots__ = ("first", "last", "n")

    def __init__(self) -> None:
        self.first: WaitLinks | None = None
        self.last: WaitLinks | None = None
        self.n = 0

    def push(self, w: Waiter) -> None:
        """Append ``w``, which must be in no queue, at the tail."""
        last = self.last
        if last is None:
            self.first = w
        else:
            last.wnext = w
            w.wprev = last
        self.last = w
        self.n += 1

    def pop(self) -> Any:  # Waiter | None
        """Remove and return the head (its links cleared), or None if the queue is empty."""
        w = self.first
        if w is None:
            return None
        nxt = w.wnext
        self.first = nxt
        if nxt is None:
            self.last = None
        else:
            nxt.wprev = None
            w.wnext = None
        self.n -= 1
        return w

    def remove(self, w: Waiter) -> bool:
        """Unlink ``w`` if it is queued here and clear its links; False if it is in no queue.

        ``w`` must be in this queue or in none (a record is in at most one queue), as Go's
        ``dequeueSudoG`` assumes: a record with no predecessor is queued only if it is the head.
        """
        prev, nxt = w.wprev, w.wnext
        if prev is None:
            if self.first is not w:
                return False  # already dequeued (by a waker, or dropped as dead)
            self.first = nxt
        else:
            prev.wnext = nxt
            w.wprev = None
        if nxt is None:
            self.last = prev
        else:
            nxt.wprev = prev
            w.wnext = None
        self.n -= 1
        return True

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[WaitLinks]:
        """The queued records, head first (caller holds the lock; for tests and debugging)."""
        w = self.first
        while w is not None:
            yield w
            w = w.wnext

    def __repr__(self) -> str:
        return f"<WaitQ n={self.n}>"


class _NoWaiters(WaitQ):
    """The queue of a channel that never had a waiter on that side: empty, and refuses entries.

    Parked tasks cost memory, so a channel makes its real queues on first use; until then both
    sides share this one instance, which reads as empty and fails loudly if anything is pushed.
    """

    __slots__ = ()

    def push(self, w: Waiter) -> None:
        raise RuntimeError("cspy internal error: push on the shared empty wait queue")


NO_WAITERS: WaitQ = _NoWaiters()


def dequeue(q: WaitQ) -> Waiter | None:
    """Caller holds the channel lock: pop the first waiter that may be woken, or None.

    A plain task always may; a sudog only if its select token is claimed here (so the caller now
    owns the select's single wake-up). Dead sudogs are dropped on the way.
    """
    while True:
        w: Waiter | None = q.pop()
        if w is None or type(w) is not Sudog:
            return w
        sg = w  # (compiled: a typed local, so the fields below are C reads)
        if sg.token.claim(sg.index):
            return sg


def has_waiter(q: WaitQ) -> bool:
    """Caller holds the channel lock: whether ``q`` holds a waiter that may still be woken.

    Drops dead sudogs at the head. A live-looking sudog can still be claimed elsewhere before
    the caller dequeues it; ``dequeue`` returning None covers that race.
    """
    while True:
        w = q.first
        if w is None:
            return False
        if type(w) is not Sudog:
            return True
        sg = w
        if not sg.token.done:
            return True
        q.pop()

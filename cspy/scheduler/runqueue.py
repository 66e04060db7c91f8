"""A processor's local run queue (Go's ``runq`` + ``runnext``), and the global run queue.

Terms: a *new* task has never run and has no greenlet, so any processor may run it; a *pinned*
task has started and can only resume on its home processor's thread.

Layout of one processor's queue:

- ``runnext``: one slot that jumps the queue. ``ready`` and ``go`` put the task there, so a pair
  of tasks talking over a channel hand the processor back and forth without waiting behind
  everybody else (Go does the same). It *inherits the time slice*: after RUNNEXT_STREAK
  consecutive picks from ``runnext`` the queue gets its turn, or such a pair would starve the
  others forever (Go relies on preemption for that; we are cooperative, so we count).
- ``pinned``: started tasks made runnable by this processor. Owner thread only: no lock.
- ``new``: unstarted tasks, bounded by ``cap`` (Go: 256 slots). Thieves take half of it, so it
  is guarded by ``lock``. When it is full, half of it moves to the global queue (runqputslow).
- Both deques are FIFO, and between them order is kept by a per-queue sequence number stamped
  on every put: the older head runs first, so a resumed task never starves a new one or back.

Other threads never touch ``pinned``: to make a pinned task runnable from another thread, use
the processor's inbox (see processor.py).

Why two deques and not one (as in Go): stealing may only move new tasks. With one deque a thief
would scan past pinned tasks under the victim's lock; with two, a steal is a slice of ``new``.
"""

from __future__ import annotations

from collections import deque

from cspy.scheduler.lock import Lock
from cspy.scheduler.task import Task

__all__ = ["RunQueue", "GlobalRunQueue", "RUNQ_SIZE", "RUNNEXT_STREAK"]

# Go's local run queue has 256 slots: big enough that a spawning burst rarely spills to the
# global queue, small enough that a steal (half) is cheap. Tests shrink it to reach the edges.
RUNQ_SIZE = 256

# How many times in a row ``runnext`` may win before the queue's head runs. Go bounds it by
# time (the runnext task inherits the 10 ms slice); a count needs no clock read per switch.
RUNNEXT_STREAK = 64


class GlobalRunQueue:
    """The runtime-wide queue of *new* tasks (pinned tasks can never move between processors).

    Fed by spawns from foreign threads and by local queues that overflow. Any thread; locked.
    """

    __slots__ = ("q", "lock")

    def __init__(self) -> None:
        self.q: deque[Task] = deque()
        self.lock = Lock()

    def __len__(self) -> int:
        return len(self.q)

    def put(self, task: Task) -> None:
        with self.lock:
            self.q.append(task)

    def put_batch(self, tasks: list[Task]) -> None:
        with self.lock:
            self.q.extend(tasks)

    def get_batch(self, nprocs: int, limit: int) -> list[Task]:
        """Take a fair share: len/nprocs + 1 tasks, at most ``limit`` (Go's globrunqget)."""
        q = self.q
        if not q:
            return []
        with self.lock:
            n = min(len(q), len(q) // nprocs + 1, limit)
            return [q.popleft() for _ in range(n)]


class RunQueue:
    """The local queue half of a processor. Methods say who may call them."""

    def __init__(self, cap: int, glob: GlobalRunQueue) -> None:
        self.runnext: Task | None = None
        self.pinned: deque[Task] = deque()
        self.new: deque[Task] = deque()
        self.lock = Lock()  # guards ``new`` (and the processor's inbox and idle flag)
        self.cap = cap
        self.glob = glob
        self.seq = 0
        self.streak = 0
        self.steals_in = 0  # tasks this processor stole
        self.steals_out = 0  # tasks stolen from it

    def runq_len(self) -> int:
        """Any thread (a hint): tasks queued here, runnext included."""
        return len(self.pinned) + len(self.new) + (self.runnext is not None)

    def runqput(self, task: Task, next: bool = False) -> None:
        """Owner only: make ``task`` runnable here; ``next`` puts it in ``runnext``."""
        if next:
            old = self.runnext
            self.runnext = task
            if old is None:
                return
            task = old
        self.seq += 1
        task.seq = self.seq
        if task.glet is not None:
            self.pinned.append(task)
            return
        new = self.new
        if len(new) < self.cap:
            lock = self.lock
            lock.acquire()
            new.append(task)
            lock.release()
            return
        self._runqputslow(task)

    def _runqputslow(self, task: Task) -> None:
        """Owner only: ``new`` is full; move half of it, plus ``task``, to the global queue."""
        with self.lock:
            batch = [self.new.popleft() for _ in range(len(self.new) // 2)]
        batch.append(task)
        self.glob.put_batch(batch)

    def runqget(self) -> Task | None:
        """Owner only: the next task to run here, or None."""
        nxt = self.runnext
        if nxt is not None and self.streak < RUNNEXT_STREAK:
            self.runnext = None
            self.streak += 1
            return nxt
        self.streak = 0
        if nxt is not None:
            # The runnext task used up its inherited slice: it queues like everybody else.
            self.runnext = None
            self.runqput(nxt)
        pinned, new = self.pinned, self.new
        if not new:
            return pinned.popleft() if pinned else None
        lock = self.lock
        lock.acquire()
        if new and not (pinned and pinned[0].seq < new[0].seq):
            task = new.popleft()
            lock.release()
            return task
        lock.release()  # ``new`` was emptied by a thief, or the pinned head is older
        return pinned.popleft() if pinned else None

    def runqsteal(self, thief: RunQueue) -> Task | None:
        """Thief's thread: move half of this queue's new tasks to ``thief``; return one to run."""
        if not self.new:
            return None
        with self.lock:
            n = len(self.new)
            if n == 0:
                return None
            batch = [self.new.popleft() for _ in range(n - n // 2)]
            self.steals_out += len(batch)
        thief.steals_in += len(batch)
        task = batch.pop()
        if batch:
            thief.runqput_batch(batch)
        return task

    def runqput_batch(self, batch: list[Task]) -> None:
        """Owner only: queue new tasks taken from elsewhere (a steal or the global queue)."""
        for t in batch:
            self.seq += 1
            t.seq = self.seq
        with self.lock:
            self.new.extend(batch)

    def clear_runq(self) -> None:
        """Owner only, at shutdown. ``runnext`` is emptied under the lock: ``peek`` may be
        reading it, and the task it shows may have no other reference left (runner.py)."""
        self.pinned.clear()
        with self.lock:
            old, self.runnext = self.runnext, None
            self.new.clear()
        del old  # freed here, outside the lock, when this was its last reference

"""runqueue.py on its own, with Go's 256 slots shrunk to 4 to reach the edges."""

from __future__ import annotations

from typing import Any

from cspy.scheduler.runqueue import RUNNEXT_STREAK, GlobalRunQueue, RunQueue
from cspy.scheduler.task import Task


def task(i: int, pinned: bool = False) -> Task:
    t = Task(i, print, (), {})
    if pinned:
        t.glet = object()  # type: ignore[assignment]  # started: has a greenlet
    return t


def drain(q: RunQueue) -> list[int]:
    out = []
    while (t := q.runqget()) is not None:
        out.append(t.id)
    return out


def test_fifo_across_new_and_pinned() -> None:
    q = RunQueue(4, GlobalRunQueue())
    for i, pinned in [(1, False), (2, True), (3, False), (4, True)]:
        q.runqput(task(i, pinned))
    assert drain(q) == [1, 2, 3, 4]


def test_runnext_jumps_the_queue_and_kicks_the_old_one_to_the_tail() -> None:
    q = RunQueue(4, GlobalRunQueue())
    q.runqput(task(1))
    q.runqput(task(2), next=True)
    q.runqput(task(3), next=True)
    assert drain(q) == [3, 1, 2]


def test_runnext_streak_is_bounded() -> None:
    q = RunQueue(4, GlobalRunQueue())
    q.runqput(task(1))
    picks: list[Any] = []
    for i in range(RUNNEXT_STREAK + 1):
        q.runqput(task(100 + i, pinned=True), next=True)
        picks.append(q.runqget().id)  # type: ignore[union-attr]
    assert 1 in picks, "the queued task must get a turn"
    assert picks.index(1) == RUNNEXT_STREAK


def test_overflow_moves_half_to_global_queue() -> None:
    g = GlobalRunQueue()
    q = RunQueue(4, g)
    for i in range(5):
        q.runqput(task(i))
    assert [t.id for t in g.q] == [0, 1, 4]
    assert drain(q) == [2, 3]


def test_pinned_tasks_never_spill() -> None:
    g = GlobalRunQueue()
    q = RunQueue(4, g)
    for i in range(10):
        q.runqput(task(i, pinned=True))
    assert not g.q and drain(q) == list(range(10))


def test_steal_takes_half_of_new_tasks_only() -> None:
    victim, thief = RunQueue(8, GlobalRunQueue()), RunQueue(8, GlobalRunQueue())
    for i in range(5):
        victim.runqput(task(i))
        victim.runqput(task(10 + i, pinned=True))
    got = victim.runqsteal(thief)
    assert got is not None and got.glet is None
    stolen = [got.id] + drain(thief)
    assert sorted(stolen) == [0, 1, 2]
    assert victim.steals_out == 3 and thief.steals_in == 3
    left = drain(victim)
    assert left == [10, 11, 12, 3, 13, 4, 14]  # order of arrival, across both deques


def test_global_batch_is_a_fair_share() -> None:
    g = GlobalRunQueue()
    for i in range(10):
        g.put(task(i))
    assert [t.id for t in g.get_batch(nprocs=2, limit=100)] == [0, 1, 2, 3, 4, 5]
    assert len(g.get_batch(nprocs=1, limit=2)) == 2

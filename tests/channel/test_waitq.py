"""WaitQ: the intrusive FIFO of waiter records (order, O(1) removal anywhere, counters, links
cleared on leaving), the select-aware ``dequeue``/``has_waiter``, and the channel queues that
use it."""

from __future__ import annotations

from typing import Any

import pytest

import cspy
from cspy.channel.waitq import NO_WAITERS, SelectToken, Sudog, WaitQ, Waiter, dequeue, has_waiter
from cspy.scheduler import Task
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(30)


def tasks(k: int) -> list[Task]:
    return [Task(i + 1, print, None, None) for i in range(k)]


def filled(records: list[Any]) -> WaitQ:
    q = WaitQ()
    for w in records:
        q.push(w)
    return q


def unlinked(w: Waiter) -> bool:
    return w.wprev is None and w.wnext is None


def check_links(q: WaitQ) -> list[Waiter]:
    """The queue's records head first, after checking both directions and ``n`` agree."""
    forward = list(q)
    backward = []
    w = q.last
    while w is not None:
        backward.append(w)
        w = w.wprev
    assert backward == forward[::-1]
    assert q.n == len(q) == len(forward)
    assert (q.first is None) == (q.last is None) == (q.n == 0)
    return forward


# ---- WaitQ alone -------------------------------------------------------------------------------


def test_empty_queue() -> None:
    q = WaitQ()
    assert q.first is None and q.last is None and q.n == 0 and not q
    assert q.pop() is None
    assert check_links(q) == []


def test_push_pop_is_fifo_and_counts() -> None:
    ts = tasks(4)
    q = WaitQ()
    for k, t in enumerate(ts):
        q.push(t)
        assert q.n == k + 1 and q.first is ts[0] and q.last is t
    assert check_links(q) == ts
    got = []
    while q:
        w = q.pop()
        assert w is not None and unlinked(w)
        got.append(w)
        assert check_links(q) == ts[len(got) :]
    assert got == ts and q.n == 0 and q.pop() is None


@pytest.mark.parametrize("where", [0, 1, 2, 3])
def test_remove_head_middle_tail(where: int) -> None:
    ts = tasks(4)
    q = filled(ts)
    assert q.remove(ts[where]) is True
    assert unlinked(ts[where])
    rest = ts[:where] + ts[where + 1 :]
    assert check_links(q) == rest
    assert [q.pop() for _ in rest] == rest  # still FIFO after the removal
    assert all(unlinked(t) for t in ts)


def test_remove_only_record() -> None:
    (t,) = tasks(1)
    q = filled([t])
    assert q.remove(t) is True
    assert unlinked(t) and check_links(q) == []
    q.push(t)  # usable again, and the record can be queued again
    assert check_links(q) == [t]


def test_remove_of_a_record_not_queued_is_a_no_op() -> None:
    a, b, c = tasks(3)
    q = filled([a, b])
    assert q.pop() is a
    assert q.remove(a) is False  # already dequeued (a waker took it)
    assert q.remove(c) is False  # never queued
    assert check_links(q) == [b]
    assert WaitQ().remove(c) is False
    assert NO_WAITERS.remove(c) is False


def test_remove_every_record_in_any_order() -> None:
    ts = tasks(6)
    q = filled(ts)
    for k in (3, 0, 5, 2, 4, 1):
        assert q.remove(ts[k]) is True
        assert unlinked(ts[k])
        check_links(q)
    assert q.n == 0 and q.first is None and q.last is None


def test_interleaved_push_pop_remove_matches_a_list_model() -> None:
    ts = tasks(8)
    q, model = WaitQ(), []
    ops = [("push", 0), ("push", 1), ("push", 2), ("remove", 1), ("push", 3), ("pop", -1),
           ("push", 1), ("remove", 3), ("push", 4), ("push", 5), ("remove", 5), ("pop", -1),
           ("push", 6), ("remove", 1), ("pop", -1), ("pop", -1)]  # fmt: skip
    for op, k in ops:
        if op == "push":
            q.push(ts[k])
            model.append(ts[k])
        elif op == "pop":
            assert q.pop() is (model.pop(0) if model else None)
        else:
            assert q.remove(ts[k]) is (ts[k] in model)
            model.remove(ts[k])
        assert check_links(q) == model
    assert all(unlinked(t) for t in ts)


def test_shared_empty_queue_refuses_entries() -> None:
    (t,) = tasks(1)
    with pytest.raises(RuntimeError, match="shared empty wait queue"):
        NO_WAITERS.push(t)
    assert NO_WAITERS.n == 0 and NO_WAITERS.first is None and NO_WAITERS.last is None


def test_sudogs_link_like_tasks() -> None:
    (t,) = tasks(1)
    token = SelectToken(t, [])
    sgs = [Sudog(token, i, None) for i in range(3)]
    q = filled([sgs[0], *tasks(1), sgs[1], sgs[2]])
    assert q.remove(sgs[1]) is True and unlinked(sgs[1])
    assert len(check_links(q)) == 3


# ---- dequeue / has_waiter: select-aware --------------------------------------------------------


def test_dequeue_skips_dead_sudogs_and_claims_live_ones() -> None:
    a, b, sel, other = tasks(4)
    dead_token, live_token = SelectToken(sel, []), SelectToken(other, [])
    assert dead_token.claim(5)  # that select already fired through another case
    dead, live = Sudog(dead_token, 0, None), Sudog(live_token, 2, None)
    q = filled([a, dead, b, live])
    assert dequeue(q) is a
    assert dequeue(q) is b  # the dead sudog was dropped on the way
    assert unlinked(dead) and dead_token.index == 5
    assert dequeue(q) is live and live_token.done and live_token.index == 2
    assert dequeue(q) is None and check_links(q) == []
    assert all(unlinked(w) for w in (a, b, live))


def test_has_waiter_drops_dead_heads_only() -> None:
    sel, t = tasks(2)
    token = SelectToken(sel, [])
    token.claim(0)
    d1, d2 = Sudog(token, 1, None), Sudog(token, 2, None)
    q = filled([d1, d2, t])
    assert has_waiter(q) is True
    assert check_links(q) == [t] and unlinked(d1) and unlinked(d2)
    q2 = filled([Sudog(token, 3, None)])
    assert has_waiter(q2) is False and q2.n == 0
    assert has_waiter(WaitQ()) is False and has_waiter(NO_WAITERS) is False


# ---- the channel's queues ----------------------------------------------------------------------


@pytest.mark.parametrize("procs", PROCS)
def test_woken_receivers_leave_no_links(procs: int) -> None:
    def main() -> tuple[list[int], list[bool], int]:
        ch = cspy.Chan[int]()
        out = cspy.Chan[int](3)
        parked: list[Task] = []

        def receiver() -> None:
            parked.append(cspy.current_task())
            out.send(ch.recv())

        for _ in range(3):
            cspy.go(receiver)
        while ch.waiting_receivers < 3:
            cspy.gosched()
        for v in (10, 20, 30):
            ch.send(v)
        got = sorted(out.recv() for _ in range(3))
        return got, [unlinked(t) for t in parked], ch.waiting_receivers

    assert cspy.run(main, procs=procs) == ([10, 20, 30], [True, True, True], 0)


@pytest.mark.parametrize("procs", PROCS)
def test_select_removes_its_sudog_from_the_middle_of_a_queue(procs: int) -> None:
    def main() -> tuple[Any, list[Any], list[bool]]:
        a, b = cspy.Chan[int](), cspy.Chan[int]()
        order = cspy.Chan[Any](3)

        def plain(k: int) -> None:
            order.send((k, b.recv()))

        def selecting() -> None:
            order.send(("select", cspy.select(cspy.Recv(a), cspy.Recv(b))[0]))

        cspy.go(plain, 0)
        while b.waiting_receivers < 1:
            cspy.gosched()
        cspy.go(selecting)  # its sudog for b sits between the two plain receivers
        while b.waiting_receivers < 2:
            cspy.gosched()
        cspy.go(plain, 1)
        while b.waiting_receivers < 3:
            cspy.gosched()
        a.send(1)  # the select fires through a and unlinks its sudog from b
        first = order.recv()
        left = b.waiting_receivers
        b.send(10)  # FIFO: the first plain receiver gets 10, the second 11
        b.send(11)
        rest = sorted([order.recv(), order.recv()])
        return (first, left), rest, [w is None for w in (b._recvq.first, b._recvq.last)]

    assert cspy.run(main, procs=procs) == ((("select", 0), 2), [(0, 10), (1, 11)], [True, True])


@pytest.mark.parametrize("procs", PROCS)
def test_close_wakes_every_waiter_exactly_once_and_empties_the_queues(procs: int) -> None:
    def main() -> tuple[list[str], int, int]:
        ch = cspy.Chan[int]()
        done = cspy.Chan[str](8)
        senders = cspy.Chan[int]()

        def receiver(k: int) -> None:
            done.send(f"r{k}:{ch.recv_ok()[1]}")

        def sender(k: int) -> None:
            try:
                senders.send(k)
            except cspy.ChannelClosed:
                done.send(f"s{k}:closed")

        def selecting() -> None:
            i, _, ok = cspy.select(cspy.Recv(cspy.Chan[int]()), cspy.Recv(ch))
            done.send(f"sel{i}:{ok}")

        for k in range(3):
            cspy.go(receiver, k)
            cspy.go(sender, k)
        cspy.go(selecting)
        while ch.waiting_receivers < 4 or senders.waiting_senders < 3:
            cspy.gosched()
        ch.close()
        senders.close()
        got = sorted(done.recv() for _ in range(7))
        return got, ch.waiting_receivers, senders.waiting_senders

    got, nr, ns = cspy.run(main, procs=procs)
    assert got == sorted(
        ["r0:False", "r1:False", "r2:False", "s0:closed", "s1:closed", "s2:closed", "sel1:False"]
    )
    assert (nr, ns) == (0, 0)


def test_idle_channel_allocates_no_queue() -> None:
    ch = cspy.Chan[int]()
    assert ch._sendq is NO_WAITERS and ch._recvq is NO_WAITERS
    assert (ch.waiting_senders, ch.waiting_receivers) == (0, 0)
    assert "senders=0 receivers=0" in repr(ch)

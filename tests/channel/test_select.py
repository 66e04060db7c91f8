"""select: every row of API.md's select section, fairness, and Go's selectgo edge cases."""

from __future__ import annotations

from typing import Any

import pytest

import cspy
from cspy import testing
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("procs", PROCS)
def test_recv_case_returns_value_and_ok(procs: int) -> None:
    def main() -> tuple[int, Any, bool]:
        a, b = cspy.Chan[int](1), cspy.Chan[str](1)
        b.send("hi")
        return cspy.select(cspy.Recv(a), cspy.Recv(b))

    assert cspy.run(main, procs=procs) == (1, "hi", True)


@pytest.mark.parametrize("procs", PROCS)
def test_send_case_returns_index_none_true(procs: int) -> None:
    def main() -> tuple[tuple[int, Any, bool], int]:
        a = cspy.Chan[int](1)
        r = cspy.select(cspy.Recv(cspy.Chan[int]()), cspy.Send(a, 7))
        return r, a.recv()

    assert cspy.run(main, procs=procs) == ((1, None, True), 7)


@pytest.mark.parametrize("procs", PROCS)
def test_recv_on_closed_fires_with_ok_false(procs: int) -> None:
    def main() -> tuple[int, Any, bool]:
        a = cspy.Chan[int]()
        a.close()
        return cspy.select(cspy.Recv(cspy.Chan[int]()), cspy.Recv(a))

    assert cspy.run(main, procs=procs) == (1, None, False)


@pytest.mark.parametrize("procs", PROCS)
def test_blocking_select_woken_by_sender_receiver_and_close(procs: int) -> None:
    # Virtual time: each waker sleeps 1 s, which passes only once the select is parked, so every
    # select here really blocks and is woken (each returns exactly 1 s after the previous one).
    def main() -> list[object]:
        a, b, c = cspy.Chan[int](), cspy.Chan[int](), cspy.Chan[int]()
        out: list[object] = []
        cspy.go(lambda: (cspy.sleep(1), b.send(5)))
        out += [cspy.select(cspy.Recv(a), cspy.Recv(b)), cspy.now()]
        got = cspy.Chan[int](1)
        cspy.go(lambda: (cspy.sleep(1), got.send(a.recv())))
        out += [cspy.select(cspy.Send(a, 8), cspy.Recv(c)), cspy.now()]
        assert got.recv() == 8
        cspy.go(lambda: (cspy.sleep(1), c.close()))
        out += [cspy.select(cspy.Recv(a), cspy.Recv(c)), cspy.now()]
        # no sudog is left behind on any channel
        assert all(ch.waiting_senders == ch.waiting_receivers == 0 for ch in (a, b, c))
        return out

    assert testing.run(main, procs=procs) == [(1, 5, True), 1.0, (0, None, True), 2.0, (1, None, False), 3.0]


@pytest.mark.parametrize("procs", PROCS)
def test_default_returns_at_once(procs: int) -> None:
    def main() -> list[tuple[int, Any, bool]]:
        a = cspy.Chan[int]()
        return [
            cspy.select(cspy.Recv(a), cspy.Send(a, 1), default=True),
            cspy.select(default=True),
            cspy.select(cspy.Recv(None), default=True),
        ]

    assert cspy.run(main, procs=procs) == [(-1, None, False)] * 3


@pytest.mark.parametrize("procs", PROCS)
def test_none_channel_never_ready(procs: int) -> None:
    def main() -> tuple[int, Any, bool]:
        a = cspy.Chan[int](1)
        a.send(3)
        return cspy.select(cspy.Recv(None), cspy.Send(None, 1), cspy.Recv(a))

    assert cspy.run(main, procs=procs) == (2, 3, True)


@pytest.mark.parametrize("procs", PROCS)
def test_send_case_on_closed_channel_raises_when_selected(procs: int) -> None:
    def main() -> None:
        a = cspy.Chan[int](1)
        a.close()
        with pytest.raises(cspy.ChannelClosed, match="select case 0"):
            cspy.select(cspy.Send(a, 1))
        # closed while the select waits
        b = cspy.Chan[int]()
        cspy.go(lambda: (cspy.sleep(1), b.close()))  # virtual time: once the select is parked
        with pytest.raises(cspy.ChannelClosed, match="closed while waiting"):
            cspy.select(cspy.Send(b, 1), cspy.Recv(cspy.Chan[int]()))
        assert cspy.now() == 1.0

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_same_channel_in_several_cases(procs: int) -> None:
    def main() -> set[int]:
        a = cspy.Chan[int](1)
        seen = set()
        for _ in range(200):
            a.send(1)
            i, v, ok = cspy.select(cspy.Recv(a), cspy.Recv(a), cspy.Send(cspy.Chan[int](), 0))
            assert v == 1 and ok
            seen.add(i)
        # blocking with one channel in a send and a receive case: another task completes one
        b = cspy.Chan[int]()
        cspy.go(lambda: (cspy.sleep(1), b.send(4)))  # virtual time: once the select is parked
        assert cspy.select(cspy.Send(b, 1), cspy.Recv(b), cspy.Recv(b)) in [(1, 4, True), (2, 4, True)]
        assert cspy.now() == 1.0
        assert b.waiting_senders == b.waiting_receivers == 0
        return seen

    assert testing.run(main, procs=procs) == {0, 1}


@pytest.mark.parametrize("procs", PROCS)
def test_directional_views_in_cases(procs: int) -> None:
    def main() -> list[tuple[int, Any, bool]]:
        a = cspy.Chan[int](1)
        r1 = cspy.select(cspy.Send(a.send_only(), 2))
        r2 = cspy.select(cspy.Recv(a.recv_only()))
        return [r1, r2]

    assert cspy.run(main, procs=procs) == [(0, None, True), (0, 2, True)]


def test_bad_arguments() -> None:
    ch = cspy.Chan[int]()
    with pytest.raises(TypeError, match="argument 1 must be cspy.Recv"):
        cspy.select(cspy.Recv(ch), ch)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a channel"):
        cspy.Recv([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a channel"):
        cspy.Send("x", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="send-only"):
        cspy.Recv(ch.send_only())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="receive-only"):
        cspy.Send(ch.recv_only(), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("procs", PROCS)
def test_no_cases_blocks_forever_is_deadlock(procs: int) -> None:
    with pytest.raises(cspy.DeadlockError, match=r"select \(no cases\)"):
        cspy.run(lambda: cspy.select(), procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_no_cases_lets_others_run(procs: int) -> None:
    def main() -> None:
        def forever() -> None:
            cspy.select()

        cspy.go(forever)
        cspy.sleep(0.01)

    cspy.run(main, procs=procs)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_fairness_two_ready_cases(procs: int) -> None:
    def main() -> list[int]:
        a, b = cspy.Chan[int](1), cspy.Chan[int](1)
        counts = [0, 0]
        for _ in range(10_000):
            if not len(a):
                a.send(0)
            if not len(b):
                b.send(1)
            i, _, _ = cspy.select(cspy.Recv(a), cspy.Recv(b))
            counts[i] += 1
        return counts

    counts = cspy.run(main, procs=procs)
    assert sum(counts) == 10_000
    assert all(4500 <= c <= 5500 for c in counts), counts


def test_seed_reproduces_choices() -> None:
    def main() -> list[int]:
        a, b, c = cspy.Chan[int](1), cspy.Chan[int](1), cspy.Chan[int](1)
        picks = []
        for _ in range(100):
            for ch in (a, b, c):
                if not len(ch):
                    ch.send(0)
            picks.append(cspy.select(cspy.Recv(a), cspy.Recv(b), cspy.Recv(c))[0])
        return picks

    first = cspy.run(main, procs=1, seed=7)
    assert cspy.run(main, procs=1, seed=7) == first
    assert set(first) == {0, 1, 2}


def _blocked_picks(n: int, cases: int) -> list[int]:
    """Main selects ``n`` times over ``cases`` receive cases on one channel; the sender yields
    before each send, so (on one processor) every select has blocked before its value comes."""
    c = cspy.Chan[int]()

    def sender() -> None:
        for i in range(n):
            cspy.gosched()
            c.send(i)

    cspy.go(sender)
    picks = []
    for want in range(n):
        i, v, ok = cspy.select(*[cspy.Recv(c) for _ in range(cases)])
        assert (v, ok) == (want, True)
        picks.append(i)
    assert c.waiting_receivers == 0  # the losing sudogs left the queue
    return picks


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_blocked_cases_on_one_channel_fire_in_random_order(procs: int) -> None:
    # Go enqueues a blocked select's cases in an order derived from its random poll order, so
    # the waker does not always take the first case (runtime/chan_test.go TestPseudoRandomSend).
    picks = cspy.run(_blocked_picks, 300, 3, procs=procs)
    counts = [picks.count(i) for i in range(3)]
    assert all(c > 30 for c in counts), counts


def test_one_channel_enqueue_order_replays_with_seed() -> None:
    first = cspy.run(_blocked_picks, 100, 2, procs=1, seed=11)
    assert cspy.run(_blocked_picks, 100, 2, procs=1, seed=11) == first
    assert set(first) == {0, 1}
    assert cspy.run(_blocked_picks, 100, 2, procs=1, seed=12) != first


def test_blocking_on_distinct_channels_draws_no_random_number() -> None:
    # Only a select that repeats a channel shuffles its enqueue order, so the seeded schedule of
    # every other select is what it was before the shuffle existed.
    from cspy.scheduler import rand

    def blocked_select_changes_rand(repeat: bool) -> bool:
        a, b = cspy.Chan[int](), cspy.Chan[int]()
        cspy.go(lambda: (cspy.gosched(), b.send(1)))
        before = rand().getstate()
        cases = [cspy.Recv(a), cspy.Recv(b)] + ([cspy.Recv(a)] if repeat else [])
        cspy.select(*cases)
        return bool(rand().getstate() != before)

    assert cspy.run(blocked_select_changes_rand, False, procs=1, seed=3) is False
    assert cspy.run(blocked_select_changes_rand, True, procs=1, seed=3) is True


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_competing_selects_each_value_once(procs: int) -> None:
    """Many selects race for the same senders across channels: no value lost or duplicated."""

    def main() -> list[int]:
        chans = [cspy.Chan[int]() for _ in range(3)]
        out = cspy.Chan[int](64)
        n_per = 300
        wg = cspy.WaitGroup()

        def producer(k: int) -> None:
            for i in range(n_per):
                chans[k].send(k * n_per + i)
            wg.done()

        def consumer() -> None:
            cases = [cspy.Recv(c) for c in chans]
            quit_ = cspy.Recv(done)
            while True:
                i, v, ok = cspy.select(*cases, quit_)
                if i == 3:
                    return
                out.send(v)

        done = cspy.Chan[None]()
        for k in range(3):
            wg.add(1)
            cspy.go(producer, k)
        for _ in range(4):
            cspy.go(consumer)
        got = [out.recv() for _ in range(3 * n_per)]
        wg.wait()
        done.close()
        return got

    got = cspy.run(main, procs=procs)
    assert sorted(got) == list(range(900))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_cases_in_any_channel_order_each_value_once(procs: int) -> None:
    """Selects whose cases name the channels in different orders (reversed, rotated, with a
    channel twice) lock them in one global order: no deadlock across processors, and every
    value arrives exactly once. Senders select too, over the same channels in their own order."""
    n_per = 200

    def main() -> list[int]:
        chans = [cspy.Chan[int]() for _ in range(3)]
        orders = [[2, 1, 0], [1, 2, 0], [0, 2, 1, 2], [2, 0, 0, 1]]
        out = cspy.Chan[int](64)
        done = cspy.Chan[None]()
        wg = cspy.WaitGroup()

        def producer(k: int) -> None:
            order = orders[k]
            for i in range(n_per):
                cases = [cspy.Send(chans[j], k * n_per + i) for j in order]
                cspy.select(*cases)
            wg.done()

        def consumer(k: int) -> None:
            cases = [cspy.Recv(chans[j]) for j in orders[k]]
            while True:
                i, v, ok = cspy.select(cspy.Recv(done), *cases)
                if i == 0:
                    return
                out.send(v)

        for k in range(4):
            wg.add(1)
            cspy.go(producer, k)
            cspy.go(consumer, k)
        got = [out.recv() for _ in range(4 * n_per)]
        wg.wait()
        done.close()
        assert all(c.waiting_senders == 0 for c in chans)
        return got

    got = cspy.run(main, procs=procs)
    assert sorted(got) == list(range(4 * n_per))


def test_cases_are_their_own_parameterised_types() -> None:
    """``Recv[int]`` is Recv itself at run time (typing's alias would only add a call), and a
    case keeps what it was made with; select accepts exactly Recv and Send."""
    assert cspy.Recv[int] is cspy.Recv and cspy.Send[str] is cspy.Send
    ch = cspy.Chan[int](1)
    r, s = cspy.Recv[int](ch.recv_only()), cspy.Send[int](ch, 5)
    assert r.chan is ch and s.chan is ch and s.value == 5
    assert repr(s) == f"Send({ch!r}, 5)" and repr(cspy.Recv(None)) == "Recv(None)"

    def main() -> tuple[tuple[int, Any, bool], tuple[int, Any, bool]]:
        return cspy.select(s), cspy.select(r)

    assert cspy.run(main) == ((0, None, True), (0, 5, True))


@pytest.mark.parametrize("procs", PROCS)
def test_looping_select_leaves_no_waiters(procs: int) -> None:
    def main() -> int:
        quit_, work = cspy.Chan[None](), cspy.Chan[int]()

        def producer() -> None:
            for i in range(100):
                work.send(i)
            quit_.close()

        cspy.go(producer)
        total = 0
        while True:
            i, v, _ = cspy.select(cspy.Recv(quit_), cspy.Recv(work))
            if i == 0:
                break
            total += v
            assert quit_.waiting_receivers <= 1
        assert quit_.waiting_receivers == 0 and work.waiting_receivers == 0
        return total

    assert cspy.run(main, procs=procs) == sum(range(100))


def test_select_outside_a_task() -> None:
    def main() -> None:
        ch = cspy.Chan[int]()
        with pytest.raises(RuntimeError, match="outside a cspy task"):
            cspy.blocking(cspy.select, cspy.Recv(ch))
        assert cspy.blocking(cspy.select, cspy.Recv(ch), default=True) == (-1, None, False)
        assert ch.waiting_receivers == 0

    cspy.run(main, procs=1)


def test_select_wait_shows_in_dump() -> None:
    def main() -> str:
        a = cspy.Chan[int](name="left")
        cspy.go(lambda: cspy.select(cspy.Recv(a), cspy.Recv(cspy.Chan[int](name="right"))))
        while a.waiting_receivers < 1:
            cspy.sleep(0.001)
        from cspy.scheduler import dump_runtime, running

        rt = running()
        assert rt is not None
        return dump_runtime(rt)

    dump = cspy.run(main, procs=1)
    assert "[select]" in dump and "'left'" in dump and "'right'" in dump

"""Cond: wait/signal/broadcast with no lost wake-ups."""

from __future__ import annotations

import pytest

import cspy
from tests.conftest import PROCS


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_producer_consumer_queue(procs: int) -> None:
    def main() -> list[int]:
        mu = cspy.Mutex()
        not_empty = cspy.Cond(mu)
        queue: list[int] = []
        got: list[int] = []
        wg = cspy.WaitGroup()
        n_consumers, per = 4, 100

        def consumer() -> None:
            for _ in range(per):
                with mu:
                    while not queue:
                        not_empty.wait()
                    got.append(queue.pop(0))
            wg.done()

        for _ in range(n_consumers):
            wg.add(1)
            cspy.go(consumer)
        for i in range(n_consumers * per):
            with mu:
                queue.append(i)
                not_empty.signal()
            if i % 7 == 0:
                cspy.gosched()
        wg.wait()
        return got

    got = cspy.run(main, procs=procs)
    assert sorted(got) == list(range(400))


@pytest.mark.parametrize("procs", PROCS)
def test_broadcast_wakes_everyone(procs: int) -> None:
    def main() -> int:
        mu = cspy.Mutex()
        cond = cspy.Cond(mu)
        ready = [False]
        woke = cspy.AtomicInt(0)
        waiting = cspy.WaitGroup()
        wg = cspy.WaitGroup()

        def waiter() -> None:
            with mu:
                waiting.done()
                while not ready[0]:
                    cond.wait()
            woke.add(1)
            wg.done()

        for _ in range(20):
            waiting.add(1)
            wg.add(1)
            cspy.go(waiter)
        waiting.wait()
        with mu:
            ready[0] = True
            cond.broadcast()
        wg.wait()
        return woke.load()

    assert cspy.run(main, procs=procs) == 20


def test_signal_wakes_the_longest_waiter_and_no_one_when_empty() -> None:
    def main() -> list[int]:
        mu = cspy.Mutex()
        cond = cspy.Cond(mu)
        cond.signal()  # nobody waits: nothing happens
        order: list[int] = []
        wg = cspy.WaitGroup()

        def waiter(i: int) -> None:
            with mu:
                cond.wait()
                order.append(i)
            wg.done()

        for i in range(3):
            wg.add(1)
            cspy.go(waiter, i)
            cspy.gosched()
        for _ in range(3):
            with mu:
                cond.signal()
            cspy.gosched()
        wg.wait()
        return order

    assert cspy.run(main, procs=1) == [0, 1, 2]


def test_cond_with_a_reader_lock_and_misuse() -> None:
    def main() -> None:
        rw = cspy.RWMutex()
        cond = cspy.Cond(rw.rlocker())
        with pytest.raises(RuntimeError, match="runlock of unlocked"):
            cond.wait()  # the lock is not held
        cond.signal()  # the failed wait left no waiter behind
        assert "waiters=0" in repr(cond)

    cspy.run(main, procs=1)
    with pytest.raises(TypeError, match="lock\\(\\) and unlock\\(\\)"):
        cspy.Cond(object())  # type: ignore[arg-type]

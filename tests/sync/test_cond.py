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


class _YieldingLocker:
    """A locker whose ``unlock`` is a scheduling point (as every unlock is in exploration): other
    tasks run between a waiter's unlock and its park. ``fail_next`` makes the next unlock raise
    after yielding."""

    def __init__(self) -> None:
        self.mu = cspy.Mutex()
        self.fail_next = False

    def lock(self) -> None:
        self.mu.lock()

    def unlock(self) -> None:
        self.mu.unlock()
        fail, self.fail_next = self.fail_next, False
        cspy.gosched()
        if fail:
            raise RuntimeError("flaky unlock")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", PROCS)
def test_a_signal_between_unlock_and_park_is_kept(procs: int) -> None:
    # The waiter's unlock lets the signaller run before the waiter parks: Cond.wait holds no
    # lock of its own there (else the signaller would block the thread), and the signal it
    # took marks it, so it does not park. Each round: one wait, one signal, no hang.
    def main() -> int:
        lk = _YieldingLocker()
        cond, rounds = cspy.Cond(lk), 200
        flag = [0]
        for i in range(rounds):
            lk.lock()

            def signaller(i: int = i) -> None:
                lk.lock()
                flag[0] = i + 1
                cond.signal()
                lk.mu.unlock()

            cspy.go(signaller)
            while flag[0] != i + 1:
                cond.wait()
            lk.mu.unlock()
        assert "waiters=0" in repr(cond)
        return flag[0]

    assert cspy.run(main, procs=procs) == 200


@pytest.mark.timeout(30)
def test_a_waiter_whose_unlock_raises_passes_on_the_signal_it_took() -> None:
    def main() -> list[str]:
        lk = _YieldingLocker()
        cond, woke = cspy.Cond(lk), []

        def first() -> None:  # queues behind main, parks
            lk.lock()
            cond.wait()
            woke.append("first")
            lk.mu.unlock()

        def signaller() -> None:  # signals main's entry, the head, while main's unlock yields
            lk.lock()
            cond.signal()
            lk.mu.unlock()

        lk.lock()
        lk.fail_next = True
        cspy.go(first)
        cspy.go(signaller)
        with pytest.raises(RuntimeError, match="flaky unlock"):
            cond.wait()
        while not woke:  # first was woken by the signal main passed on (else: deadlock)
            cspy.gosched()
        return woke

    assert cspy.run(main, procs=1) == ["first"]

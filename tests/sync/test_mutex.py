"""Mutex: mutual exclusion, Go's starvation mode, misuse errors."""

from __future__ import annotations

import pytest

import cspy
from cspy.sync import mutex as mutex_mod
from cspy.scheduler import WaitReason
from tests.conftest import PROCS
from tests.stress.util import wait_parked


def run_workers(n: int, fn, procs: int) -> None:  # type: ignore[no-untyped-def]
    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(n)

        def worker(i: int) -> None:
            fn(i)
            wg.done()

        for i in range(n):
            cspy.go(worker, i)
        wg.wait()

    cspy.run(main, procs=procs)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_mutual_exclusion_with_gosched_in_critical_section(procs: int) -> None:
    mu = cspy.Mutex()
    state = {"count": 0, "inside": 0, "max_inside": 0}

    def work(_: int) -> None:
        for i in range(200):
            with mu:
                state["inside"] += 1
                state["max_inside"] = max(state["max_inside"], state["inside"])
                seen = state["count"]
                if i % 3 == 0:
                    cspy.gosched()  # a lost update would show if another task got in here
                state["count"] = seen + 1
                state["inside"] -= 1

    run_workers(20, work, procs)
    assert state["count"] == 20 * 200
    assert state["max_inside"] == 1


@pytest.mark.parametrize("procs", PROCS)
def test_lock_unlock_methods_and_try_lock(procs: int) -> None:
    def main() -> list[bool]:
        mu = cspy.Mutex()
        out = [mu.try_lock(), mu.try_lock(), mu.locked()]
        mu.unlock()
        out += [mu.locked(), mu.try_lock()]
        mu.unlock()
        mu.lock()
        got = cspy.Chan[bool](1)
        cspy.go(lambda: got.send(mu.try_lock()))
        out.append(got.recv())
        mu.unlock()
        return out

    assert cspy.run(main, procs=procs) == [True, False, True, False, True, False]


def test_unlock_of_unlocked_mutex_raises() -> None:
    def main() -> None:
        mu = cspy.Mutex()
        with pytest.raises(RuntimeError, match="unlock of unlocked mutex"):
            mu.unlock()
        mu.lock()
        mu.unlock()
        with pytest.raises(RuntimeError, match="unlock of unlocked mutex"):
            mu.unlock()

    cspy.run(main, procs=1)


def test_unlock_of_unlocked_mutex_with_waiters_raises() -> None:
    # Misuse is detected while tasks wait too, and the waiters still each get the mutex once,
    # in order. One processor, so the woken waiter cannot take the mutex before the bad unlock.
    def main() -> tuple[list[str], bool]:
        mu = cspy.Mutex()
        mu.lock()
        order: list[str] = []
        done = cspy.WaitGroup()

        def waiter(name: str) -> None:
            with mu:
                order.append(name)
            done.done()

        for name in ("a", "b"):  # "a" queues first
            done.add(1)
            wait_parked(cspy.go(waiter, name), WaitReason.MUTEX)
        mu.unlock()  # frees the mutex and wakes "a"; "b" still waits
        with pytest.raises(RuntimeError, match="unlock of unlocked mutex"):
            mu.unlock()
        done.wait()
        return order, mu.locked()

    assert cspy.run(main, procs=1) == (["a", "b"], False)


@pytest.mark.parametrize("procs", PROCS)
def test_blocked_lock_parks_the_task_not_the_processor(procs: int) -> None:
    def main() -> list[str]:
        mu = cspy.Mutex()
        mu.lock()
        events: list[str] = []
        done = cspy.Chan[None]()

        def blocked() -> None:
            mu.lock()
            events.append("locked")
            mu.unlock()
            done.send(None)

        cspy.go(blocked)
        for _ in range(5):
            cspy.gosched()  # main keeps running while the other task waits
        events.append("main ran")
        mu.unlock()
        done.recv()
        return events

    assert cspy.run(main, procs=procs) == ["main ran", "locked"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_no_starvation_a_waiter_gets_the_mutex_while_others_keep_barging(procs: int) -> None:
    # The hogs re-lock right after unlocking and yield only *inside* the critical section,
    # so in normal mode a woken waiter always finds the mutex taken again. Only starvation
    # mode (hand-off after 1 ms of waiting) lets the victim in while the hogs still run. The
    # hogs give up after BUDGET turns, far more than 1 ms of them (a late machine only makes
    # the victim's wait longer in time, so starvation mode starts after fewer turns), so
    # without starvation mode the victim gets in only once the hogs have stopped.
    budget = 20_000

    def main() -> tuple[int, int]:
        mu = cspy.Mutex()
        stop = cspy.AtomicInt(0)
        hog_turns = cspy.AtomicInt(0)
        wg = cspy.WaitGroup()

        def hog() -> None:
            while not stop.load() and hog_turns.load() < budget:
                mu.lock()
                hog_turns.add(1)
                cspy.gosched()
                mu.unlock()
            wg.done()

        for _ in range(3):
            wg.add(1)
            cspy.go(hog)
        while hog_turns.load() < 10:
            cspy.gosched()
        start = hog_turns.load()
        mu.lock()  # the victim
        got_in_at = hog_turns.load()
        stop.store(1)
        mu.unlock()
        wg.wait()
        return start, got_in_at

    start, got_in_at = cspy.run(main, procs=procs)
    assert got_in_at < budget, f"the victim got the mutex only after the hogs stopped ({got_in_at} turns)"
    assert got_in_at >= start >= 10


@pytest.mark.timeout(60)
def test_starvation_mode_hands_off_in_fifo_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # Threshold 0: every woken waiter that loses a race starts starvation mode, in which
    # unlock hands the mutex to waiters strictly in arrival order and newcomers queue.
    monkeypatch.setattr(mutex_mod, "STARVATION_THRESHOLD", 0.0)

    def main() -> tuple[list[int], list[int], bool]:
        mu = cspy.Mutex()
        arrived: list[int] = []
        acquired: list[int] = []
        wg = cspy.WaitGroup()

        def waiter(i: int) -> None:
            arrived.append(i)
            mu.lock()
            acquired.append(i)
            mu.unlock()
            wg.done()

        mu.lock()
        for i in range(20):
            wg.add(1)
            cspy.go(waiter, i)
        for _ in range(3):
            cspy.gosched()  # every waiter queues behind the held mutex
        # Barge once: unlock wakes the head, our re-lock beats it; the head then runs, finds
        # the mutex taken and (threshold 0) switches the mutex to starvation mode.
        mu.unlock()
        mu.lock()
        cspy.gosched()
        mu.unlock()
        barged = mu.try_lock()  # normal mode would let us in; starvation mode handed it off
        if barged:
            mu.unlock()
        wg.wait()
        return arrived, acquired, barged

    arrived, acquired, barged = cspy.run(main, procs=1)
    assert not barged
    assert sorted(acquired) == list(range(20))
    assert acquired == arrived


def test_mutex_outlives_a_run_with_waiters_unwound() -> None:
    """Waiters abandoned when main returns are forgotten: the next run can use the mutex."""
    mu = cspy.Mutex()

    def first() -> None:
        mu.lock()
        for _ in range(3):
            wait_parked(cspy.go(mu.lock), WaitReason.MUTEX)  # main returns while they wait

    cspy.run(first)
    assert mu.locked()  # main returned holding it, as Go would leave it
    mu.unlock()

    def second() -> str:
        done = cspy.WaitGroup()
        mu.lock()
        done.add(1)
        wait_parked(cspy.go(lambda: (mu.lock(), mu.unlock(), done.done())), WaitReason.MUTEX)
        mu.unlock()
        done.wait()
        return "ok"

    assert cspy.run(second, procs=1) == "ok"

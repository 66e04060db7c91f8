"""Scheduling points of exploration (cspy/testing/points.py, cspy/scheduler/testpoint.py)."""

from __future__ import annotations

import pytest

import cspy
from cspy import testing
from cspy.scheduler import testpoint


def test_the_hook_is_off_outside_exploration() -> None:
    assert testpoint.hook.point is None
    testing.run(lambda: None)
    assert testpoint.hook.point is None
    with pytest.raises(testing.ScheduleFailure):
        testing.explore(lambda: cspy.go(lambda: 1 / 0) and None, runs=5)
    assert testpoint.hook.point is None


@pytest.mark.parametrize("op", ["send", "recv", "select", "lock", "add", "close", "go",
                                "semaphore", "once", "rwmutex", "atomic"])
def test_another_task_may_run_right_after_a_non_blocking_operation(op: str) -> None:
    """For each operation, some explored schedule lets the other task run between the operation
    and the next line, although the operation never blocks."""

    def main() -> None:
        flag: list[str] = []
        ch = cspy.Chan[int](10)
        ch.send(0)
        mu, sem, once, rw, n = cspy.Mutex(), cspy.Semaphore(5), cspy.Once(), cspy.RWMutex(), cspy.AtomicInt()
        wg = cspy.WaitGroup()
        closing = cspy.Chan[int](1)
        ready = cspy.Chan[None](1)

        def other() -> None:
            ready.recv()
            flag.append("other")

        cspy.go(other)
        ready.send(None)  # ``other`` may now run at any point
        before = list(flag)  # (it may have run at the send's own point already)
        # Exactly one operation, then check whether ``other`` ran in between.
        if op == "send":
            ch.send(1)
        elif op == "recv":
            ch.recv()
        elif op == "select":
            cspy.select(cspy.Recv(ch), default=True)
        elif op == "lock":
            mu.lock()
        elif op == "add":
            wg.add(1)
        elif op == "close":
            closing.close()
        elif op == "go":
            cspy.go(lambda: None)
        elif op == "semaphore":
            sem.acquire()
        elif op == "once":
            once.do(lambda: None)
        elif op == "rwmutex":
            rw.rlock()
        elif op == "atomic":
            n.add(1)
        assert flag == before, f"the other task ran right after {op}"

    # Only a switch at the operation's own point can fail the assertion.
    with pytest.raises(testing.ScheduleFailure):
        testing.explore(main, runs=200, strategy="random")


def test_plain_python_between_two_operations_is_one_step() -> None:
    # The control for the test above: with no cspy operation between the two reads, no schedule
    # can put the other task in between.
    def main() -> None:
        flag: list[str] = []
        ready = cspy.Chan[None](1)
        cspy.go(lambda: (ready.recv(), flag.append("other")))
        ready.send(None)
        before = list(flag)
        len(ready), sum(range(100))
        assert flag == before

    testing.explore(main, runs=200, strategy="random")


def test_a_cond_wait_is_one_step_not_a_hang() -> None:
    # Cond.wait unlocks its mutex while holding the Cond's own lock: no point may switch there.
    def main() -> None:
        mu = cspy.Mutex()
        cond = cspy.Cond(mu)
        items: list[int] = []
        wg = cspy.WaitGroup()

        def consumer() -> None:
            with mu:
                while not items:
                    cond.wait()
                items.pop()
            wg.done()

        for _ in range(3):
            wg.add(1)
            cspy.go(consumer)
        for i in range(3):
            with mu:
                items.append(i)
                cond.signal()
        wg.wait()

    result = testing.explore(main, runs=100, strategy="random")
    assert result.distinct > 5


def test_a_cond_on_a_read_lock_is_one_step_too() -> None:
    def main() -> None:
        rw = cspy.RWMutex()
        cond = cspy.Cond(rw.rlocker())
        done = [False]

        def waiter() -> None:
            with rw.rlocker():
                while not done[0]:
                    cond.wait()

        t = cspy.WaitGroup()
        t.go(waiter)
        cspy.sleep(1)
        done[0] = True
        cond.broadcast()
        t.wait()

    testing.explore(main, runs=50, strategy="random")


def test_a_cancelled_context_and_its_done_channel_under_exploration() -> None:
    def main() -> None:
        ctx, cancel = cspy.context.with_cancel(cspy.context.background())
        out = cspy.Chan[str](2)
        cspy.go(lambda: (ctx.done().recv_ok(), out.send("a")))
        cancel()
        cspy.go(lambda: (ctx.done().recv_ok(), out.send("b")))  # done() made after cancel
        assert sorted([out.recv(), out.recv()]) == ["a", "b"]

    testing.explore(main, runs=100, strategy="random")


def test_iteration_and_timers_under_exploration() -> None:
    def main() -> list[int]:
        ch = cspy.Chan[int](3)

        def produce() -> None:
            for i in range(5):
                ch.send(i)
                cspy.sleep(0.5)
            ch.close()

        cspy.go(produce)
        got = [v for v in ch]
        assert got == [0, 1, 2, 3, 4]
        assert cspy.now() == 2.5
        return got

    testing.explore(main, runs=50, strategy="random")

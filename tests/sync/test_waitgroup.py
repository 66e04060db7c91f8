"""WaitGroup: the counter's documented errors, and waiters woken exactly when it reaches zero."""

from __future__ import annotations

import sys

import pytest

import cspy
from cspy.scheduler import TaskState, WaitReason
from tests.conftest import PROCS
from tests.stress.util import wait_parked


def test_counter_below_zero_is_a_value_error_and_leaves_the_counter_alone() -> None:
    def main() -> None:
        wg = cspy.WaitGroup()
        with pytest.raises(ValueError, match="negative WaitGroup counter"):
            wg.done()
        wg.add(2)
        with pytest.raises(ValueError, match="negative WaitGroup counter"):
            wg.add(-3)
        wg.done()  # the failed add changed nothing: the counter is 2, then 1
        done = cspy.Chan[str](1)
        wait_parked(cspy.go(lambda: (wg.wait(), done.send("woke"))), WaitReason.WAITGROUP)
        wg.done()
        assert done.recv() == "woke"
        with pytest.raises(ValueError, match="negative WaitGroup counter"):
            wg.done()

    cspy.run(main, procs=1)


def test_counter_above_maxsize_is_an_overflow_error_and_leaves_the_counter_alone() -> None:
    wg = cspy.WaitGroup()
    wg.add(sys.maxsize)
    with pytest.raises(OverflowError, match="WaitGroup counter above sys.maxsize"):
        wg.add(1)
    with pytest.raises(OverflowError, match="WaitGroup counter above sys.maxsize"):
        wg.add(10**30)
    wg.add(-sys.maxsize)
    wg.wait()  # back at zero: the failed adds changed nothing
    assert "count=0" in repr(wg)


def test_add_needs_an_int() -> None:
    wg = cspy.WaitGroup()
    for bad in (1.0, "1", None, True, [1]):
        with pytest.raises(TypeError, match=r"WaitGroup.add\(\) needs an int"):
            wg.add(bad)  # type: ignore[arg-type]
    wg.add(0)
    wg.wait()  # nothing was counted: the bad calls added nothing


@pytest.mark.parametrize("procs", PROCS)
def test_every_waiter_wakes_when_the_counter_reaches_zero_not_before(procs: int) -> None:
    def main() -> list[int]:
        wg = cspy.WaitGroup()
        wg.add(3)
        woke = cspy.Chan[int](5)
        waiters = [cspy.go(lambda i=i: (wg.wait(), woke.send(i))) for i in range(5)]
        for t in waiters:
            wait_parked(t, WaitReason.WAITGROUP)
        wg.add(-2)  # a negative add that stays at or above zero is allowed
        # Nobody was readied (ready() marks a task runnable at once, before it runs).
        assert [t.snapshot()[0] for t in waiters] == [TaskState.WAITING] * 5
        wg.done()
        got = sorted(woke.recv() for _ in range(5))
        wg.wait()  # zero again: does not block
        return got

    assert cspy.run(main, procs=procs) == [0, 1, 2, 3, 4]

"""timers.py on its own: order, cancellation semantics, live count."""

from __future__ import annotations

import threading
import weakref

import pytest

from cspy.scheduler.timers import PENDING, TimerHeap

pytestmark = pytest.mark.timeout(60)


class _Arg:
    """A callback argument whose release a weak reference can see."""


def test_fire_in_deadline_order_then_fifo() -> None:
    h = TimerHeap()
    out: list[str] = []
    for when, name in [(3.0, "c"), (1.0, "a"), (2.0, "b1"), (2.0, "b2")]:
        h.add(when, out.append, name)
    assert h.next_deadline() == 1.0
    assert h.run_due(1.5) == 1 and out == ["a"]
    assert h.run_due(10) == 3 and out == ["a", "b1", "b2", "c"]
    assert h.live == 0 and h.next_deadline() is None


def test_cancel_returns_whether_pending() -> None:
    woke: list[int] = []
    h = TimerHeap(on_cancel=lambda: woke.append(1))
    out: list[int] = []
    t1 = h.add(1.0, out.append, 1)
    t2 = h.add(2.0, out.append, 2)
    assert h.live == 2
    assert t1.cancel() is True and t1.cancel() is False and woke == [1]
    assert h.next_deadline() == 2.0
    h.run_due(5)
    assert out == [2] and t2.cancel() is False and h.live == 0


def test_cancel_races_firing_exactly_once() -> None:
    for _ in range(200):
        h = TimerHeap()
        fired: list[int] = []
        t = h.add(0.0, fired.append, 1)
        result: list[bool] = []
        th = threading.Thread(target=lambda: result.append(t.cancel()))
        th.start()
        h.run_due(1.0)
        th.join()
        assert (len(fired) == 1) != result[0]


def test_infinite_deadline_is_never_due_nor_future_work() -> None:
    h = TimerHeap()
    t = h.add(float("inf"), print, None)
    assert h.live == 0 and h.next_deadline() is None and h.run_due(1e308) == 0
    assert t.cancel() is True and h.live == 0


def test_integer_deadlines_order_like_floats() -> None:
    h = TimerHeap()
    out: list[int] = []
    h.add(2, out.append, 2)
    t = h.add(1, out.append, 1)
    assert t.when == 1 and t.state == PENDING and t.pending
    assert h.next_deadline() == 1 and h.run_due(2) == 2 and out == [1, 2]


def test_cancel_drops_the_callback_and_argument() -> None:
    h = TimerHeap()
    arg = _Arg()
    ref = weakref.ref(arg)
    t = h.add(1.0, print, arg)
    del arg
    assert ref() is not None
    assert t.cancel() is True
    assert ref() is None and t.fn is None and t.arg is None and not t.pending


def test_finalizer_and_on_cancel_may_use_the_heap() -> None:
    """What cancel() releases (a finalizer, ``on_cancel``) runs with the heap's lock released:
    both cancel another timer of the same heap here, which would hang on a held lock."""
    h = TimerHeap()
    other = h.add(5.0, print, None)
    third = h.add(6.0, print, None)
    finalized: list[bool] = []

    class Finalized:
        def __del__(self) -> None:
            finalized.append(other.cancel())

    t = h.add(1.0, print, Finalized())
    h.on_cancel = lambda: third.cancel() and None
    assert t.cancel() is True
    assert finalized == [True] and not other.pending and not third.pending and h.live == 0


def test_clear_cancels_pending_and_drops_every_reference() -> None:
    h = TimerHeap()
    args = [_Arg() for _ in range(3)]
    refs = [weakref.ref(a) for a in args]
    timers = [h.add(float(i + 1), print, a) for i, a in enumerate(args)]
    del args
    assert timers[1].cancel() is True
    h.clear()
    assert h.heap == [] and h.live == 0 and h.next_deadline() is None
    assert all(r() is None for r in refs)
    assert all(not t.pending and t.fn is None for t in timers)
    assert all(t.cancel() is False for t in timers)

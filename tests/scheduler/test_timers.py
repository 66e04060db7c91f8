"""timers.py on its own: order, cancellation semantics, live count."""

from __future__ import annotations

import threading

from cspy.scheduler.timers import TimerHeap


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

"""cspy.time: after, tick, Timer, Ticker -- API.md's Time table on 1, 2 and 4 processors.

In virtual time (``cspy.testing.run``): the clock starts at 0.0 and moves only when every task
is blocked, straight to the next timer, so every value a timer or ticker delivers is exact and a
stall of this machine cannot move one. (Periods are binary fractions or whole seconds, so the
sums the ticker makes are exact floats.) Where the real clock is the point -- ``cspy.run``'s timers
really wait -- a test stays on it and asserts only lower bounds, which lateness cannot break.
"""

from __future__ import annotations

import math
import time

import pytest

import cspy
from cspy import testing
from cspy.scheduler import now
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


def nothing_in(c: cspy.RecvChan[float]) -> bool:
    return cspy.select(cspy.Recv(c), default=True)[0] == -1


@pytest.mark.parametrize("procs", PROCS)
def test_after_delivers_clock_once(procs: int) -> None:
    def main() -> None:
        c = cspy.after(2)
        assert isinstance(c, cspy.RecvChan) and not hasattr(c, "send")
        assert c.recv() == 2.0 and now() == 2.0
        assert cspy.select(cspy.Recv(c), default=True) == (-1, None, False)  # only once
        cspy.sleep(10)
        assert nothing_in(c)

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_after_in_select_as_timeout(procs: int) -> None:
    def main() -> tuple[int, object, bool]:
        never = cspy.Chan[float]()
        return cspy.select(cspy.Recv(never), cspy.Recv(cspy.after(1.5)))

    assert testing.run(main, procs=procs) == (1, 1.5, True)


@pytest.mark.parametrize("procs", PROCS)
def test_after_zero_and_negative_fire_at_once(procs: int) -> None:
    def main() -> list[float]:
        return [cspy.after(0).recv(), cspy.after(-5).recv(), now()]

    assert testing.run(main, procs=procs) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("procs", PROCS)
def test_timer_stop_before_fire(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(5)
        assert t.stop() is True
        assert t.stop() is False
        cspy.sleep(10)  # well past its deadline
        assert nothing_in(t.c), "a stopped timer fired"

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_stop_after_fire_returns_false(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(1)
        assert t.c.recv() == 1.0
        assert t.stop() is False

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_reset(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(10)
        cspy.sleep(1)
        assert t.reset(2) is True  # it was pending
        assert t.c.recv() == 3.0, "reset(2) at 1 s must fire at 3 s, not at the old 10 s"
        assert t.reset(0.5) is False  # it had fired; reset arms it again
        assert t.c.recv() == 3.5
        assert t.stop() is False
        cspy.sleep(10)
        assert nothing_in(t.c), "the first deadline fired too"

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_reset_can_postpone_and_revive(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(5)
        assert t.reset(3600) is True  # postponed before it fired
        cspy.sleep(10)  # well past the original deadline
        assert nothing_in(t.c), "fired at its old deadline"
        assert t.stop() is True  # still pending: the postponed timer
        assert t.reset(5) is False  # a stopped timer comes back to life
        assert t.c.recv() == 15.0

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_reset_from_another_task(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(10)
        was_pending = cspy.Chan[bool](1)
        cspy.go(lambda: (cspy.sleep(1), was_pending.send(t.reset(2))))
        assert t.c.recv() == 3.0, "the other task's reset at 1 s did not move the deadline to 3 s"
        assert was_pending.recv() is True

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_ticks_in_order_and_stops(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(0.5)
        assert [tk.c.recv() for _ in range(4)] == [0.5, 1.0, 1.5, 2.0]
        tk.stop()  # at 2.0, before the tick of 2.5
        cspy.sleep(10)
        assert nothing_in(tk.c), "ticked after stop"

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_drops_ticks_for_slow_receiver(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(1)
        cspy.sleep(25.5)  # 25 ticks; the capacity-1 channel keeps the first
        assert len(tk.c) == 1 and tk.c.cap == 1
        assert [tk.c.recv(), tk.c.recv()] == [1.0, 26.0]  # the phase is kept
        tk.stop()

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_reset_changes_period(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(10)
        cspy.sleep(1)
        tk.reset(2)  # the next tick 2 s after the reset, then every 2 s
        assert [tk.c.recv(), tk.c.recv()] == [3.0, 5.0]
        tk.stop()

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_reset_to_a_longer_period(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(1)
        cspy.sleep(0.5)
        tk.reset(3600)
        cspy.sleep(10)  # ten old periods: the old schedule would have ticked
        assert nothing_in(tk.c), "ticked at the old period"
        assert tk.c.recv() == 3600.5
        tk.stop()

    testing.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_tick_channel(procs: int) -> None:
    def main() -> list[float]:
        c = cspy.tick(0.25)
        return [c.recv(), c.recv(), c.recv()]

    assert testing.run(main, procs=procs) == [0.25, 0.5, 0.75]


def test_bad_durations() -> None:
    def main() -> None:
        for bad in ("1", None, True, [1]):
            with pytest.raises(TypeError, match="number of seconds"):
                cspy.after(bad)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="number of seconds"):
                cspy.tick(bad)  # type: ignore[arg-type]
        for bad_f in (math.nan, math.inf):
            with pytest.raises(ValueError, match="finite"):
                cspy.Timer(bad_f)
        for bad_p in (0, -1, -0.5):
            with pytest.raises(ValueError, match="non-positive interval"):
                cspy.tick(bad_p)
            with pytest.raises(ValueError, match="non-positive interval"):
                cspy.Ticker(bad_p)
        tk = cspy.Ticker(1.0)
        with pytest.raises(ValueError, match="non-positive interval"):
            tk.reset(0)
        tk.stop()

    cspy.run(main, procs=1)


def test_outside_runtime_is_clear_error() -> None:
    with pytest.raises(RuntimeError, match="cspy task"):
        cspy.after(1.0)


@pytest.mark.parametrize("procs", PROCS)
def test_waiting_on_after_is_not_deadlock(procs: int) -> None:
    # On the real clock (cspy.run): a pending timer is future work, not a deadlock, and the
    # wait really takes its time -- the value and the wall clock are at least 20 ms later.
    def main() -> tuple[float, float]:
        start = now()
        return start, cspy.after(0.02).recv()

    t0 = time.monotonic()
    start, fired = cspy.run(main, procs=procs)
    assert fired >= start + 0.02 and time.monotonic() - t0 >= 0.02


@pytest.mark.parametrize("procs", PROCS)
def test_waiting_on_stopped_ticker_is_deadlock(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(0.01)
        tk.stop()
        tk.c.recv()

    with pytest.raises(cspy.DeadlockError, match="chan receive"):
        cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_stopped_timer_is_deadlock(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(0.01)
        t.stop()
        cspy.select(cspy.Recv(t.c))

    with pytest.raises(cspy.DeadlockError, match="select"):
        cspy.run(main, procs=procs)

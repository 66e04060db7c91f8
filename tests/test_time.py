"""cspy.time: after, tick, Timer, Ticker -- API.md's Time table on 1, 2 and 4 processors.

Durations are short and assertions are about order and counts, never about how late a timer
fired (the machine is shared; lateness is not a bug).
"""

from __future__ import annotations

import math

import pytest

import cspy
from cspy.scheduler import now
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("procs", PROCS)
def test_after_delivers_clock_once(procs: int) -> None:
    def main() -> None:
        start = now()
        c = cspy.after(0.02)
        assert isinstance(c, cspy.RecvChan) and not hasattr(c, "send")
        t = c.recv()
        assert isinstance(t, float) and t >= start + 0.02
        assert cspy.select(cspy.Recv(c), default=True) == (-1, None, False)  # only once

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_after_in_select_as_timeout(procs: int) -> None:
    def main() -> int:
        never = cspy.Chan[int]()
        i, v, ok = cspy.select(cspy.Recv(never), cspy.Recv(cspy.after(0.01)))
        assert ok and isinstance(v, float)
        return i

    assert cspy.run(main, procs=procs) == 1


@pytest.mark.parametrize("procs", PROCS)
def test_after_zero_and_negative_fire_at_once(procs: int) -> None:
    def main() -> None:
        cspy.after(0).recv()
        cspy.after(-5).recv()

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_stop_before_fire(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(0.05)
        assert t.stop() is True
        assert t.stop() is False
        cspy.sleep(0.08)
        assert cspy.select(cspy.Recv(t.c), default=True)[0] == -1  # never fired

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_stop_after_fire_returns_false(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(0.001)
        t.c.recv()
        assert t.stop() is False

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_reset(procs: int) -> None:
    # A timer delivers the clock when it fires, so a value before the original 10 s deadline
    # proves that reset moved it (however late this machine runs, short of a 10 s stall).
    def main() -> None:
        armed = now()
        t = cspy.Timer(10.0)
        assert t.reset(0.01) is True  # it was pending
        fired = t.c.recv()
        assert fired < armed + 10.0, "reset(0.01) did not move the 10 s deadline"
        rearmed = now()
        assert t.reset(0.01) is False  # it had fired; reset arms it again
        assert t.c.recv() >= rearmed + 0.01
        assert t.stop() is False

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_reset_can_postpone_and_revive(procs: int) -> None:
    def main() -> None:
        t = cspy.Timer(0.005)
        assert t.reset(3600) is True  # postponed before it fired
        cspy.sleep(0.03)  # well past the original deadline
        assert cspy.select(cspy.Recv(t.c), default=True)[0] == -1, "fired at its old deadline"
        assert t.stop() is True  # still pending: the postponed timer
        assert t.reset(0.005) is False  # a stopped timer comes back to life
        t.c.recv()

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_timer_reset_from_another_task(procs: int) -> None:
    def main() -> None:
        armed = now()
        t = cspy.Timer(10.0)
        was_pending = cspy.Chan[bool](1)
        cspy.go(lambda: was_pending.send(t.reset(0.01)))
        fired = t.c.recv()
        assert fired < armed + 10.0, "the other task's reset did not move the deadline"
        assert was_pending.recv() is True

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_ticks_in_order_and_stops(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(0.005)
        ticks = [tk.c.recv() for _ in range(4)]
        assert ticks == sorted(ticks) and len(set(ticks)) == 4
        tk.stop()
        cspy.sleep(0.03)
        cspy.select(cspy.Recv(tk.c), default=True)  # at most one tick left from before stop
        cspy.sleep(0.03)
        assert cspy.select(cspy.Recv(tk.c), default=True)[0] == -1

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_drops_ticks_for_slow_receiver(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(0.002)
        cspy.sleep(0.05)  # ~25 periods pass; the capacity-1 channel keeps one tick
        assert len(tk.c) == 1 and tk.c.cap == 1
        tk.stop()

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_reset_changes_period(procs: int) -> None:
    # Ticks carry the clock: two ticks before the original 10 s period is up prove the reset.
    def main() -> None:
        armed = now()
        tk = cspy.Ticker(10.0)
        tk.reset(0.005)
        a, b = tk.c.recv(), tk.c.recv()
        assert armed < a < b < armed + 10.0, (armed, a, b)
        tk.stop()

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_ticker_reset_to_a_longer_period(procs: int) -> None:
    def main() -> None:
        tk = cspy.Ticker(0.005)
        tk.reset(3600)
        cspy.sleep(0.03)
        cspy.select(cspy.Recv(tk.c), default=True)  # at most one tick from before the reset
        cspy.sleep(0.03)  # six old periods: the old schedule would tick here
        assert cspy.select(cspy.Recv(tk.c), default=True)[0] == -1, "ticked at the old period"
        tk.stop()

    cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_tick_channel(procs: int) -> None:
    def main() -> None:
        c = cspy.tick(0.005)
        assert c.recv() < c.recv()

    cspy.run(main, procs=procs)


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
    def main() -> str:
        cspy.after(0.05).recv()
        return "woke"

    assert cspy.run(main, procs=procs) == "woke"


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

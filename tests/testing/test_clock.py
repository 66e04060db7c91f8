"""The virtual clock (cspy/testing/clock.py): exact timestamps, jumps only when all are blocked."""

from __future__ import annotations

import math
import time

import pytest

import cspy
from cspy import testing
from cspy.scheduler import running
from tests.conftest import PROCS


@pytest.mark.parametrize("procs", PROCS)
def test_sleeps_end_at_exact_virtual_times(procs: int) -> None:
    def main() -> list[tuple[int, float]]:
        out = cspy.Chan[tuple[int, float]](100)
        wg = cspy.WaitGroup()
        for i in range(12):
            def sleeper(i: int = i) -> None:
                for _ in range(5):
                    cspy.sleep(0.25 * (i + 1))
                out.send((i, cspy.now()))
            wg.go(sleeper)
        wg.wait()
        out.close()
        assert cspy.now() == 15.0
        return sorted(out)

    got = testing.run(main, procs=procs)
    assert got == [(i, 1.25 * (i + 1)) for i in range(12)]


def test_an_hour_of_sleeps_is_an_hour_of_virtual_time() -> None:
    def main() -> tuple[float, int]:
        for _ in range(3600):
            cspy.sleep(1)
        rt = running()
        assert rt is not None
        assert rt.bubble is not None and rt.bubble.clock is not None
        return cspy.now(), rt.bubble.clock.jumps

    assert testing.run(main) == (3600.0, 3600)


def test_the_clock_starts_at_zero_and_computation_takes_no_time() -> None:
    def main() -> list[float]:
        seen = [cspy.now()]
        for _ in range(1000):
            cspy.gosched()
        sum(range(200_000))
        seen.append(cspy.now())
        return seen

    assert testing.run(main) == [0.0, 0.0]


def test_timers_tickers_after_and_reset_deliver_exact_times() -> None:
    def main() -> dict[str, object]:
        ticker = cspy.Ticker(1.5)
        ticks = [ticker.c.recv() for _ in range(4)]
        ticker.stop()
        after = cspy.after(2).recv()  # from 6.0
        t = cspy.Timer(10)
        cspy.sleep(1)
        assert t.reset(3)  # from 9.0: fires at 12.0, not 18.0
        fired = t.c.recv()
        return {"ticks": ticks, "after": after, "timer": fired, "now": cspy.now()}

    assert testing.run(main) == {"ticks": [1.5, 3.0, 4.5, 6.0], "after": 8.0, "timer": 12.0, "now": 12.0}


def test_a_context_deadline_fires_at_its_exact_virtual_time() -> None:
    def main() -> tuple[float, str]:
        ctx, cancel = cspy.context.with_timeout(cspy.context.background(), 30)
        try:
            i, _, _ = cspy.select(cspy.Recv(ctx.done()), cspy.Recv(cspy.after(3600)))
            assert i == 0
            return cspy.now(), type(ctx.err()).__name__
        finally:
            cancel()

    assert testing.run(main) == (30.0, "DeadlineExceeded")


def test_same_instant_timers_all_fire_before_time_moves_on() -> None:
    def main() -> list[float]:
        out = cspy.Chan[float](10)
        for _ in range(5):
            cspy.go(lambda: (cspy.sleep(2), out.send(cspy.now())))
        cspy.sleep(2)
        first = cspy.now()
        got = [out.recv() for _ in range(5)]
        return [first, *got]

    assert testing.run(main) == [2.0] * 6


def test_a_blocking_call_is_not_durably_blocked() -> None:
    # While main waits in cspy.blocking, the sleeper's 10 s must not be skipped over.
    def main() -> tuple[float, float]:
        woke = cspy.Chan[float](1)
        cspy.go(lambda: (cspy.sleep(10), woke.send(cspy.now())))
        cspy.blocking(time.sleep, 0.05)
        during = cspy.now()
        return during, woke.recv()

    assert testing.run(main) == (0.0, 10.0)


@pytest.mark.parametrize("procs", PROCS)
def test_nothing_left_but_an_infinite_sleep_is_a_deadlock(procs: int) -> None:
    def main() -> None:
        cspy.go(cspy.sleep, math.inf)
        cspy.Chan[int]().recv()

    with pytest.raises(cspy.DeadlockError, match="all tasks are asleep - deadlock!"):
        testing.run(main, procs=procs)


def test_the_real_clock_keeps_real_time() -> None:
    def main() -> float:
        before = time.monotonic()
        cspy.sleep(0.01)
        return cspy.now() - before

    elapsed = testing.run(main, clock="real")
    assert elapsed >= 0.01


def test_cspy_now_outside_a_runtime_is_monotonic() -> None:
    a = cspy.now()
    b = time.monotonic()
    assert a <= b

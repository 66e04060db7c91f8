"""rate: token bucket (allow/reserve/wait, cancel) and sliding window."""

from __future__ import annotations

import math

import pytest

import cspy
from cspy import context, testing
from cspy.x import rate
from tests.conftest import PROCS


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_bucket_refills_at_rate_up_to_burst() -> None:
    clock = FakeClock()
    lim = rate.Limiter(8, 3, clock=clock)
    assert [lim.allow() for _ in range(4)] == [True, True, True, False]
    clock.t += 0.125  # one token (binary-exact times keep the float arithmetic exact)
    assert [lim.allow(), lim.allow()] == [True, False]
    clock.t += 100  # refills to the burst, no further
    assert lim.tokens() == 3
    assert lim.allow(3) and not lim.allow()
    assert not lim.allow(4)  # above the burst: never


def test_reserve_delay_and_cancel_give_back_tokens() -> None:
    clock = FakeClock()
    lim = rate.Limiter(10, 1, clock=clock)
    assert lim.allow()
    r1 = lim.reserve()
    r2 = lim.reserve()
    assert r1.ok and math.isclose(r1.delay(), 0.1) and math.isclose(r2.delay(), 0.2)
    r2.cancel()  # the last one: its token comes back entirely
    assert math.isclose(lim.tokens(), -1.0)
    r3 = lim.reserve()
    assert math.isclose(r3.delay(), 0.2)
    r1.cancel()  # r3 depends on r1's slot: nothing can be given back
    assert math.isclose(lim.tokens(), -2.0)
    bad = lim.reserve(2)
    assert not bad.ok and bad.delay() == math.inf
    bad.cancel()  # harmless


def test_infinite_rate_and_zero_rate() -> None:
    inf = rate.Limiter(rate.INF, 0)
    assert all(inf.allow() for _ in range(100)) and inf.reserve(50).delay() == 0
    zero = rate.Limiter(0, 2)
    assert [zero.allow(), zero.allow(), zero.allow()] == [True, True, False]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_wait_admits_exactly_at_the_rate(procs: int) -> None:
    # Four tasks wait for N tokens in all, in virtual time. The k-th admission (in clock order,
    # from 0) needs k + 1 tokens, and the bucket starts with ``burst`` of them: it happens at
    # exactly start + max(0, k + 1 - burst) / rate -- not earlier, and not later. Every wait
    # returns exactly once. (A rate of 8/s keeps every instant a binary-exact float.)
    r, burst, n, workers = 8.0, 2, 40, 4

    def main() -> list[float]:
        cspy.sleep(10)  # start away from 0, so that an absolute time read as a duration shows
        lim = rate.Limiter(r, burst)
        left = cspy.AtomicInt(n)
        times = cspy.Chan[float](n)
        wg = cspy.WaitGroup()

        def worker() -> None:
            while left.add(-1) >= 0:
                lim.wait()
                times.send(cspy.now())

        for _ in range(workers):
            wg.go(worker)
        wg.wait()
        times.close()
        return sorted(times)

    assert testing.run(main, procs=procs) == [10 + max(0, k + 1 - burst) / r for k in range(n)]


def test_wait_with_context_cancel_and_deadline() -> None:
    # Virtual time, one token per 1000 s: every delay below is exact.
    interval = 1000.0

    def main() -> list[object]:
        cspy.sleep(10)
        out: list[object] = []
        lim = rate.Limiter(1 / interval, 1)
        assert lim.allow()
        ctx, cancel = context.with_cancel(context.background())
        # Cancel once the wait below has reserved its token and parked in its select (wait()
        # returns when every other task is blocked).
        cspy.go(lambda: (testing.wait(), cancel()))
        try:
            lim.wait(ctx)  # the next token is 1000 s away: cancelled first, at once
        except context.Canceled:
            out += ["canceled", cspy.now()]
        # The cancelled wait gave its token back: the next reservation is one interval away,
        # not two.
        out.append(lim.reserve().delay())
        short, c2 = context.with_timeout(context.background(), 1999.5)
        try:
            lim.wait(short)  # needs 2000 s, half a second more: fails at once, without waiting
        except context.DeadlineExceeded as exc:
            out += ["deadline" if "would exceed" in str(exc) else str(exc), cspy.now()]
        c2()
        try:
            lim.wait(ctx)  # already cancelled
        except context.Canceled:
            out.append("already canceled")
        enough, c3 = context.with_timeout(context.background(), 2001)
        lim.wait(enough)  # long enough: admitted 2000 s on, 1 s before its deadline
        out.append(cspy.now())
        c3()
        return out

    assert testing.run(main) == ["canceled", 10.0, interval, "deadline", 10.0, "already canceled", 2010.0]


def test_wait_misuse() -> None:
    lim = rate.Limiter(10, 2)
    with pytest.raises(ValueError, match="exceeds the limiter's burst"):
        lim.wait(n=3)
    with pytest.raises(ValueError, match="rate >= 0"):
        rate.Limiter(-1, 1)
    with pytest.raises(ValueError, match="burst >= 0"):
        rate.Limiter(1, -1)
    with pytest.raises(ValueError, match="n >= 0"):
        lim.allow(-1)


def test_sliding_window_is_exact() -> None:
    clock = FakeClock()
    w = rate.SlidingWindow(3, 1.0, clock=clock)
    assert [w.allow() for _ in range(4)] == [True, True, True, False]
    clock.t += 0.5
    assert not w.allow()
    clock.t += 0.5  # the first three leave the window
    assert [w.allow() for _ in range(4)] == [True, True, True, False]
    with pytest.raises(ValueError, match="window_seconds > 0"):
        rate.SlidingWindow(1, 0)
    with pytest.raises(ValueError, match="limit >= 0"):
        rate.SlidingWindow(-1, 1)


def test_sliding_window_under_runtime() -> None:
    def main() -> int:
        w = rate.SlidingWindow(5, 60.0)
        return sum(w.allow() for _ in range(20))

    assert cspy.run(main, procs=1) == 5

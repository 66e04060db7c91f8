"""rate: token bucket (allow/reserve/wait, cancel) and sliding window."""

from __future__ import annotations

import math
import threading

import pytest

import cspy
from cspy import context
from cspy.x import rate
from cspy.scheduler import WaitReason
from tests.conftest import PROCS
from tests.stress.util import wait_parked


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
def test_wait_never_admits_faster_than_the_rate(procs: int) -> None:
    # Four tasks wait for N tokens in all. The k-th admission (in clock order, from 0) needs
    # k + 1 tokens, and the bucket starts with ``burst`` of them: it cannot happen before
    # start + (k + 1 - burst) / rate. A late machine only makes admissions later, so the bound
    # holds however loaded it is; every wait must return exactly once.
    r, burst, n, workers = 200.0, 2, 40, 4

    def main() -> tuple[float, list[float]]:
        start = cspy.scheduler.now()
        lim = rate.Limiter(r, burst)
        left = cspy.AtomicInt(n)
        times: list[float] = []
        lock = threading.Lock()
        wg = cspy.WaitGroup()

        def worker() -> None:
            while left.add(-1) >= 0:
                lim.wait()
                t = cspy.scheduler.now()
                with lock:
                    times.append(t)
            wg.done()

        for _ in range(workers):
            wg.add(1)
            cspy.go(worker)
        wg.wait()
        return start, sorted(times)

    start, times = cspy.run(main, procs=procs)
    assert len(times) == n
    early = [
        (k, t - start) for k, t in enumerate(times) if t < start + (k + 1 - burst) / r - 1e-9
    ]
    assert not early, f"admitted ahead of the rate (index, seconds after start): {early[:5]}"


def test_wait_with_context_cancel_and_deadline() -> None:
    # One token per 1000 s: a stall of this machine (seconds at worst) moves the delays below
    # far less than the interval they are compared with.
    interval = 1000.0

    def main() -> list[str]:
        out = []
        lim = rate.Limiter(1 / interval, 1)
        assert lim.allow()
        ctx, cancel = context.with_cancel(context.background())
        me = cspy.current_task()
        # Cancel only once the wait below has reserved its token and parked in its select.
        cspy.go(lambda: (wait_parked(me, WaitReason.SELECT), cancel()))
        try:
            lim.wait(ctx)  # the next token is 1000 s away: cancelled first
        except context.Canceled:
            out.append("canceled")
        # The cancelled wait gave its token back: the next reservation is one interval away,
        # not two.
        delay = lim.reserve().delay()
        out.append("one interval" if interval - 100 < delay <= interval else f"delay {delay}")
        short, c2 = context.with_timeout(context.background(), 0.05)
        try:
            lim.wait(short)  # needs ~2000 s: fails at once, without waiting
        except context.DeadlineExceeded as exc:
            out.append("deadline" if "would exceed" in str(exc) else str(exc))
        c2()
        try:
            lim.wait(ctx)  # already cancelled
        except context.Canceled:
            out.append("already canceled")
        return out

    assert cspy.run(main, procs=1) == ["canceled", "one interval", "deadline", "already canceled"]


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

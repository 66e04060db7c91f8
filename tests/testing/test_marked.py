"""cspy's own time-related APIs tested exactly, as a user would, with ``@pytest.mark.cspy``:
the body runs as the main task in virtual time, so every assertion is on exact timestamps."""

from __future__ import annotations

import pytest

import cspy
from cspy import testing
from cspy.x import breaker, rate
from tests.testing import programs


@pytest.mark.cspy
def test_ticker_reset_moves_the_phase_exactly() -> None:
    t = cspy.Ticker(2)
    assert t.c.recv() == 2.0
    cspy.sleep(0.5)
    t.reset(3)  # next tick 3 s after the reset, at 5.5
    assert [t.c.recv(), t.c.recv()] == [5.5, 8.5]
    t.stop()


@pytest.mark.cspy
def test_a_slow_receiver_misses_ticks_and_keeps_the_phase() -> None:
    t = cspy.Ticker(1)
    cspy.sleep(3.5)  # ticks at 1, 2, 3: one waits in the channel, two are dropped
    assert t.c.recv() == 1.0
    assert t.c.recv() == 4.0
    t.stop()


@pytest.mark.cspy
def test_nested_context_deadlines_fire_at_the_earliest(cspy_now) -> None:  # type: ignore[no-untyped-def]
    bg = cspy.context.background()
    outer, c1 = cspy.context.with_timeout(bg, 10)
    inner, c2 = cspy.context.with_timeout(outer, 60)  # capped by the parent's 10 s
    inner.done().recv_ok()
    assert cspy_now() == 10.0 and inner.deadline() == 10.0
    c2()
    c1()


@pytest.mark.cspy(procs=2)
def test_a_limiter_shared_by_tasks_on_two_processors() -> None:
    lim = rate.Limiter(10, 1)
    out = cspy.Chan[float](20)
    wg = cspy.WaitGroup()
    for _ in range(4):
        wg.go(lambda: [(lim.wait(), out.send(cspy.now())) for _ in range(5)])
    wg.wait()
    out.close()
    got = sorted(out)
    assert len(got) == 20
    assert all(abs(a - i / 10) < 1e-9 for i, a in enumerate(got)), got


@pytest.mark.cspy
def test_a_breaker_half_opens_exactly_after_its_timeout() -> None:
    cb = breaker.CircuitBreaker(1, 30.0, fallback=lambda exc: "fb")

    def down() -> str:
        raise ConnectionError

    assert cb.call(down) == "fb" and cb.state is breaker.State.OPEN
    cspy.sleep(29.999)
    assert cb.state is breaker.State.OPEN
    cspy.sleep(0.001)
    assert cb.state is breaker.State.HALF_OPEN


@pytest.mark.cspy
def test_wait_lets_spawned_work_settle_without_a_sleep() -> None:
    results: list[int] = []
    for i in range(5):
        cspy.go(results.append, i)
    testing.wait()
    assert sorted(results) == [0, 1, 2, 3, 4] and cspy.now() == 0.0


@pytest.mark.cspy(explore=100, strategy="random")
def test_a_mutex_protected_counter_holds_under_every_explored_schedule() -> None:
    assert programs.correct() == 3

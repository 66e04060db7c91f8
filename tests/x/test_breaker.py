"""breaker: closed -> open -> half-open -> closed/open, fallback, on_change, misuse."""

from __future__ import annotations

import pytest

import cspy
from cspy import testing
from cspy.x import breaker
from cspy.x.breaker import State


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def fail() -> None:
    raise ConnectionError("down")


def test_state_machine_transitions() -> None:
    clock = FakeClock()
    changes: list[tuple[State, State]] = []
    b = breaker.CircuitBreaker(3, 10.0, on_change=lambda o, n: changes.append((o, n)), clock=clock)
    assert b.state is State.CLOSED
    for _ in range(2):
        with pytest.raises(ConnectionError):
            b.call(fail)
    assert b.call(lambda: "ok") == "ok"  # a success resets the count
    assert b.failures == 0
    for _ in range(3):
        with pytest.raises(ConnectionError):
            b.call(fail)
    assert b.state is State.OPEN
    with pytest.raises(breaker.BreakerOpen, match="open"):
        b.call(lambda: "not called")
    clock.t += 10
    assert b.state is State.HALF_OPEN
    with pytest.raises(ConnectionError):
        b.call(fail)  # the trial fails: open again, for a fresh timeout
    assert b.state is State.OPEN
    clock.t += 9.9
    assert b.state is State.OPEN
    clock.t += 0.1
    assert b.call(lambda: 42) == 42  # the trial succeeds: closed
    assert b.state is State.CLOSED
    assert changes == [
        (State.CLOSED, State.OPEN),
        (State.OPEN, State.HALF_OPEN),
        (State.HALF_OPEN, State.OPEN),
        (State.OPEN, State.HALF_OPEN),
        (State.HALF_OPEN, State.CLOSED),
    ]


def test_half_open_admits_one_trial_at_a_time() -> None:
    def main() -> list[str]:
        clock = FakeClock()
        b = breaker.CircuitBreaker(1, 1.0, clock=clock)
        with pytest.raises(ConnectionError):
            b.call(fail)
        clock.t += 1
        gate = cspy.Chan[None]()
        out: list[str] = []

        def trial() -> None:
            out.append(b.call(lambda: (gate.recv_ok(), "trial ok")[1]))

        cspy.go(trial)
        cspy.gosched()  # the trial is in flight
        try:
            b.call(lambda: "second")
        except breaker.BreakerOpen as exc:
            out.append("rejected: " + ("trial" if "trial" in str(exc) else str(exc)))
        gate.close()
        cspy.gosched()
        out.append(str(b.state))
        return out

    assert cspy.run(main, procs=1) == ["rejected: trial", "trial ok", "closed"]


def test_fallback_gets_the_exception() -> None:
    clock = FakeClock()
    b = breaker.CircuitBreaker(1, 5, fallback=lambda e: f"fallback: {type(e).__name__}", clock=clock)
    assert b.call(fail) == "fallback: ConnectionError"
    assert b.call(fail) == "fallback: BreakerOpen"
    b.reset()
    assert b.state is State.CLOSED and b.call(lambda x: x + 1, 1) == 2


def test_misuse() -> None:
    with pytest.raises(ValueError, match="failure_threshold >= 1"):
        breaker.CircuitBreaker(0, 1)
    with pytest.raises(ValueError, match="open_timeout >= 0"):
        breaker.CircuitBreaker(1, -1)


def test_under_runtime_clock() -> None:
    # The breaker reads the runtime clock (cspy.now): in virtual time its timeout is exact.
    def main() -> list[str]:
        cspy.sleep(5)
        b = breaker.CircuitBreaker(1, 0.5)
        with pytest.raises(ConnectionError):
            b.call(fail)
        s1 = str(b.state)
        cspy.sleep(0.25)
        s2 = str(b.state)
        cspy.sleep(0.25)  # exactly the open timeout since the failure
        return [s1, s2, str(b.state), b.call(lambda: "ok"), str(b.state)]

    assert testing.run(main) == ["open", "open", "half-open", "ok", "closed"]


@pytest.mark.parametrize("procs", [1, 2])
def test_a_stale_outcome_does_not_decide_the_half_open_trial(procs: int) -> None:
    """A call admitted while closed that finishes during the trial must not close the circuit."""

    def main() -> tuple[State, State, bool, list[str]]:
        clock = [0.0]
        log: list[str] = []
        b = breaker.CircuitBreaker(
            1, open_timeout=1.0, clock=lambda: clock[0], on_change=lambda o, n: log.append(f"{o}->{n}")
        )
        slow_go: cspy.Chan[None] = cspy.Chan()
        trial_go: cspy.Chan[None] = cspy.Chan()
        out: cspy.Chan[str] = cspy.Chan(3)

        def slow_ok() -> str:  # admitted while closed, finishes much later
            slow_go.recv()
            return "slow ok"

        def trial() -> None:  # the one half-open probe; it fails
            trial_go.recv()
            raise ConnectionError("still down")

        def run_trial() -> None:
            with pytest.raises(ConnectionError):
                b.call(trial)
            out.send("trial done")

        cspy.go(lambda: out.send(b.call(slow_ok)))
        cspy.gosched()
        with pytest.raises(ConnectionError):
            b.call(fail)  # opens the circuit (threshold 1)
        clock[0] = 2.0  # the open timeout passed
        cspy.go(run_trial)
        cspy.gosched()
        slow_go.send(None)
        assert out.recv() == "slow ok"
        after_stale = b.state
        second_admitted = True
        try:
            b.call(lambda: None)
        except breaker.BreakerOpen:
            second_admitted = False
        trial_go.send(None)
        assert out.recv() == "trial done"
        return after_stale, b.state, second_admitted, log

    after_stale, final, second_admitted, log = cspy.run(main, procs=procs)
    assert after_stale is State.HALF_OPEN and not second_admitted
    assert final is State.OPEN
    assert log == ["closed->open", "open->half-open", "half-open->open"]

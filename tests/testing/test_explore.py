"""explore and replay (cspy/testing/explore.py, strategy.py): finding, replaying, diverging."""

from __future__ import annotations

import pytest

import cspy
from cspy import testing
from cspy.testing.token import decode, encode
from tests.testing import programs


@pytest.mark.parametrize("strategy", ["pct", "random"])
def test_explore_finds_an_ordering_bug_and_replay_reproduces_it(strategy: str) -> None:
    with pytest.raises(testing.ScheduleFailure) as info:
        testing.explore(programs.ordering_bug, runs=100, strategy=strategy)
    failure = info.value
    assert isinstance(failure, AssertionError)
    assert isinstance(failure.__cause__, AssertionError)
    assert "['worker', 'main']" in str(failure.__cause__)
    assert failure.token in str(failure) and "cspy.testing.replay" in str(failure)
    for _ in range(20):
        with pytest.raises(AssertionError, match=r"\['worker', 'main'\]"):
            testing.replay(programs.ordering_bug, failure.token)


def test_the_default_schedule_does_not_hit_the_ordering_bug() -> None:
    # What makes exploration necessary: the plain run, and a seeded run, pass.
    cspy.run(programs.ordering_bug)
    testing.run(programs.ordering_bug)


@pytest.mark.parametrize("strategy", ["pct", "random"])
def test_explore_finds_a_lost_update_between_two_lines(strategy: str) -> None:
    with pytest.raises(testing.ScheduleFailure) as info:
        testing.explore(programs.lost_update, runs=200, strategy=strategy, depth=2)
    assert "lost update: counter is 1" in str(info.value.__cause__)
    for _ in range(20):
        with pytest.raises(AssertionError, match="lost update"):
            testing.replay(programs.lost_update, info.value.token)


def test_explore_finds_a_deadlock_and_replays_it() -> None:
    with pytest.raises(testing.ScheduleFailure) as info:
        testing.explore(programs.lock_order, runs=200)
    assert isinstance(info.value.__cause__, cspy.DeadlockError)
    with pytest.raises(cspy.DeadlockError, match="all tasks are asleep"):
        testing.replay(programs.lock_order, info.value.token)


def test_explore_reports_a_leak_under_some_schedule() -> None:
    def main() -> None:
        ch = cspy.Chan[int]()
        cspy.go(lambda: cspy.select(cspy.Recv(ch), default=True))  # misses the send if late
        cspy.go(lambda: cspy.select(cspy.Send(ch, 1), default=True))
        cspy.gosched()

    # With both selects non-blocking, no schedule leaks; make the sender block instead.
    testing.explore(main, runs=30)

    def leaky() -> None:
        ch = cspy.Chan[int]()
        cspy.go(lambda: cspy.select(cspy.Recv(ch), default=True), name="receiver")
        cspy.go(lambda: ch.send(1), name="sender")

    with pytest.raises(testing.ScheduleFailure) as info:
        testing.explore(leaky, runs=100)
    assert isinstance(info.value.__cause__, testing.LeakError)
    assert [leak.name for leak in info.value.__cause__.leaks] == ["sender"]


def test_a_correct_program_passes_with_many_distinct_schedules() -> None:
    result = testing.explore(programs.correct, runs=60, strategy="random")
    assert result.runs == 60
    assert result.distinct > 10


def test_exploration_is_deterministic_for_a_seed() -> None:
    tokens = set()
    for _ in range(3):
        with pytest.raises(testing.ScheduleFailure) as info:
            testing.explore(programs.lost_update, runs=200, seed=11, shrink=False)
        tokens.add(info.value.token)
    assert len(tokens) == 1


def test_shrinking_keeps_the_failure_with_no_more_deviations() -> None:
    with pytest.raises(testing.ScheduleFailure) as info:
        testing.explore(programs.lost_update, runs=200, strategy="random", seed=5)
    failure = info.value
    short, original = decode(failure.token), decode(failure.original_token)
    assert len(short.deviations) <= len(original.deviations)
    assert len(short.deviations) >= 1  # the default schedule passes
    with pytest.raises(AssertionError, match="lost update"):
        testing.replay(programs.lost_update, failure.original_token)


def test_replay_of_a_changed_program_diverges_naming_the_step() -> None:
    with pytest.raises(testing.ScheduleFailure) as info:
        testing.explore(programs.ordering_bug, runs=50)
    token = info.value.token

    def changed() -> None:  # no task at all: decision 1 never comes
        cspy.gosched()

    with pytest.raises(testing.ReplayDiverged, match="the run ended after 0 scheduling decisions") as div:
        testing.replay(changed, token)
    assert div.value.step == 1


def test_replay_diverges_when_the_recorded_task_is_not_runnable() -> None:
    sched = decode("cspy1.5.1.1:99")
    with pytest.raises(testing.ReplayDiverged, match="at scheduling decision 1: the token runs task 99") as div:
        testing.replay(programs.ordering_bug, encode(sched))
    assert div.value.step == 1


def test_replay_diverges_when_the_program_needs_more_decisions() -> None:
    with pytest.raises(testing.ReplayDiverged, match="ends after 0 decisions, but the program asks for another"):
        testing.replay(programs.ordering_bug, "cspy1.5.0.")


def test_replay_of_a_passing_schedule_returns_the_result() -> None:
    # A token that records the default schedule of a correct program.
    testing.explore(programs.correct, runs=1)
    with pytest.raises(testing.ReplayDiverged):
        testing.replay(programs.correct, "cspy1.1.0.")
    # The default schedule of a program that makes decisions: find its decision count first.
    for n in range(0, 200):
        try:
            assert testing.replay(programs.correct, f"cspy1.1.{n}.") == 3
            break
        except testing.ReplayDiverged:
            continue
    else:
        pytest.fail("no decision count replays the default schedule")


def test_explore_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="strategy must be 'pct' or 'random'"):
        testing.explore(programs.correct, strategy="dfs")
    with pytest.raises(ValueError, match="runs must be an int >= 1"):
        testing.explore(programs.correct, runs=0)
    with pytest.raises(ValueError, match="depth must be an int >= 1"):
        testing.explore(programs.correct, depth=0)
    with pytest.raises(ValueError, match="not a cspy schedule token"):
        testing.replay(programs.correct, "nope")


def test_arguments_reach_main_in_explore_and_replay() -> None:
    def main(a: int, *, b: int) -> None:
        assert a + b == 3

    testing.explore(main, 1, b=2, runs=3)

"""cspy.testing.run and wait (cspy/testing/run.py): seeded schedules, synctest's Wait, arguments."""

from __future__ import annotations

import pytest

import cspy
from cspy import testing
from cspy.scheduler import running
from tests.conftest import PROCS


def interleaving() -> list[str]:
    """Four tasks that each log three steps, passing scheduling points in between."""
    log = cspy.Chan[str](100)
    wg = cspy.WaitGroup()
    for name in "abcd":
        def task(name: str = name) -> None:
            for step in range(3):
                log.send(f"{name}{step}")
                cspy.gosched()
        wg.go(task)
    wg.wait()
    log.close()
    return list(log)


def test_the_same_seed_gives_the_same_schedule() -> None:
    traces = {tuple(testing.run(interleaving, seed=7)) for _ in range(10)}
    assert len(traces) == 1


def test_different_seeds_give_different_interleavings() -> None:
    traces = {tuple(testing.run(interleaving, seed=s)) for s in range(10)}
    assert len(traces) >= 5, traces
    for t in traces:
        assert sorted(t) == sorted(f"{n}{i}" for n in "abcd" for i in range(3))


def test_select_choices_repeat_with_the_seed() -> None:
    def main() -> list[int]:
        a, b = cspy.Chan[int](100), cspy.Chan[int](100)
        for i in range(50):
            a.send(i)
            b.send(i)
        return [cspy.select(cspy.Recv(a), cspy.Recv(b))[0] for _ in range(50)]

    first = testing.run(main, seed=3)
    assert testing.run(main, seed=3) == first
    assert 0 < sum(first) < 50


def test_without_a_seed_the_normal_scheduler_picks() -> None:
    def main() -> object:
        rt = running()
        assert rt is not None
        return rt.explorer

    assert testing.run(main) is None
    assert testing.run(main, seed=1) is not None
    assert testing.run(main, seed=1, procs=2) is None  # seeded schedules are for one processor


def test_wait_returns_once_the_others_are_durably_blocked() -> None:
    def main() -> tuple[list[str], float, list[str]]:
        got: list[str] = []
        ch = cspy.Chan[str]()
        cspy.go(lambda: got.append(ch.recv()))
        cspy.go(lambda: (cspy.sleep(5), got.append("slept")))
        ch.send("hi")
        testing.wait()  # the receiver has appended; the sleeper sleeps: the clock stays
        at_wait = (list(got), cspy.now())
        cspy.sleep(10)
        return at_wait[0], at_wait[1], got

    assert testing.run(main) == (["hi"], 0.0, ["hi", "slept"])


@pytest.mark.parametrize("procs", PROCS)
def test_wait_across_processors(procs: int) -> None:
    def main() -> int:
        counter = cspy.AtomicInt()
        stop = cspy.Chan[None]()
        for _ in range(8):
            def worker() -> None:
                for _ in range(100):
                    counter.add(1)
                    cspy.gosched()
                stop.recv_ok()
            cspy.go(worker)
        testing.wait()
        n = counter.load()
        stop.close()
        return n

    assert testing.run(main, procs=procs) == 800


def test_wait_needs_a_testing_runtime() -> None:
    with pytest.raises(RuntimeError, match="needs a runtime started by cspy.testing.run"):
        cspy.run(testing.wait)


def test_only_one_task_may_wait_at_a_time() -> None:
    def main() -> None:
        cspy.go(testing.wait)
        cspy.gosched()  # it waits now
        testing.wait()

    with pytest.raises(RuntimeError, match="only one task may wait at a time"):
        testing.run(main)


def test_remaining_tasks_run_after_main_returns() -> None:
    done: list[str] = []

    def main() -> str:
        ch = cspy.Chan[int](1)
        cspy.go(lambda: (cspy.sleep(0), done.append("worker")))
        cspy.go(lambda: done.append(f"got {ch.recv()}"))
        ch.send(1)
        return "main"

    assert testing.run(main) == "main"
    assert sorted(done) == ["got 1", "worker"]


def test_arguments_reach_main_and_bad_options_are_refused() -> None:
    assert testing.run(lambda a, *, b: a + b, 1, b=2) == 3
    with pytest.raises(ValueError, match="clock must be 'virtual' or 'real'"):
        testing.run(lambda: None, clock="fake")
    with pytest.raises(ValueError, match="leaks must be 'fail' or 'off'"):
        testing.run(lambda: None, leaks="warn")
    with pytest.raises(TypeError, match="seed must be an int"):
        testing.run(lambda: None, seed="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="procs must be >= 1"):
        testing.run(lambda: None, procs=0)
    with pytest.raises(TypeError, match="needs a callable main"):
        testing.run(42)  # type: ignore[arg-type]


def test_a_task_exception_is_raised_as_from_cspy_run() -> None:
    def main() -> None:
        cspy.go(lambda: 1 / 0)
        cspy.sleep(1)

    with pytest.raises(ZeroDivisionError):
        testing.run(main)


def test_cspy_run_is_unchanged_main_returning_abandons_the_others() -> None:
    def main() -> str:
        cspy.go(cspy.Chan[int]().recv)
        cspy.gosched()
        rt = running()
        assert rt is not None and rt.bubble is None and rt.explorer is None
        return "done"

    assert cspy.run(main) == "done"


def test_run_inside_a_runtime_is_refused() -> None:
    with pytest.raises(RuntimeError, match="called while a runtime is running"):
        testing.run(lambda: testing.run(lambda: None))

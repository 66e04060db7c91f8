"""Once: runs once under concurrency; concurrent callers wait; an exception counts as done."""

from __future__ import annotations

import pytest

import cspy
from tests.conftest import PROCS


@pytest.mark.parametrize("procs", PROCS)
def test_once_under_100_concurrent_callers(procs: int) -> None:
    def main() -> tuple[int, list[bool]]:
        once = cspy.Once()
        calls = cspy.AtomicInt(0)
        finished = [False]
        saw_finished: list[bool] = []
        wg = cspy.WaitGroup()

        def init() -> None:
            calls.add(1)
            for _ in range(10):
                cspy.gosched()  # others arrive while it runs
            finished[0] = True

        def caller() -> None:
            once.do(init)
            saw_finished.append(finished[0])  # do returns only after init returned
            wg.done()

        for _ in range(100):
            wg.add(1)
            cspy.go(caller)
        wg.wait()
        return calls.load(), saw_finished

    calls, saw = cspy.run(main, procs=procs)
    assert calls == 1
    assert saw == [True] * 100


def test_exception_propagates_to_the_runner_only_and_counts_as_done() -> None:
    def main() -> list[str]:
        once = cspy.Once()
        out: list[str] = []
        gate = cspy.Chan[None]()

        def boom() -> None:
            gate.recv()
            raise ValueError("init failed")

        def other() -> None:
            once.do(lambda: out.append("never"))
            out.append("other returned")

        def runner() -> None:
            try:
                once.do(boom)
            except ValueError as exc:
                out.append(f"runner got {exc}")

        wg = cspy.WaitGroup()
        wg.add(2)
        cspy.go(lambda: (runner(), wg.done()))
        cspy.gosched()
        cspy.go(lambda: (other(), wg.done()))
        cspy.gosched()
        gate.send(None)
        wg.wait()
        once.do(lambda: out.append("never again"))
        out.append(f"done={once.done()}")
        return out

    out = cspy.run(main, procs=1)
    assert sorted(out[:2]) == ["other returned", "runner got init failed"]
    assert out[2:] == ["done=True"]

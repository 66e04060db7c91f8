"""WaitGroup.go (Go 1.25's WaitGroup.Go): add(1), spawn, done() when fn returns or raises."""

from __future__ import annotations

import pytest

import cspy
from cspy.sync import AtomicInt
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("procs", PROCS)
def test_wait_returns_after_every_task(procs: int) -> None:
    n = 200
    count = AtomicInt()

    def work(k: int, *, step: int) -> None:
        if k % 3 == 0:
            cspy.gosched()
        count.add(step)

    def main() -> int:
        wg = cspy.WaitGroup()
        for k in range(n):
            wg.go(work, k, step=1)
        wg.wait()
        return count.load()

    assert cspy.run(main, procs=procs) == n


@pytest.mark.parametrize("procs", PROCS)
def test_nested_go_from_tasks(procs: int) -> None:
    count = AtomicInt()

    def main() -> int:
        wg = cspy.WaitGroup()

        def parent() -> None:
            for _ in range(10):
                wg.go(count.add, 1)  # add(1) happens before parent's own done()

        for _ in range(10):
            wg.go(parent)
        wg.wait()
        return count.load()

    assert cspy.run(main, procs=procs) == 100


def test_returns_the_task_and_names_it() -> None:
    def main() -> tuple[str | None, bool]:
        wg = cspy.WaitGroup()
        t = wg.go(lambda: None, name="worker-1")
        wg.wait()
        return t.name, isinstance(t, cspy.scheduler.Task)

    assert cspy.run(main) == ("worker-1", True)


@pytest.mark.parametrize("procs", PROCS)
def test_done_runs_when_fn_raises(procs: int) -> None:
    wg = cspy.WaitGroup()

    def boom() -> None:
        raise ValueError("boom")

    def main() -> None:
        wg.go(boom)
        wg.wait()

    with pytest.raises(ValueError, match="boom"):
        cspy.run(main, procs=procs)
    assert "count=0" in repr(wg)


def test_not_callable_changes_nothing() -> None:
    wg = cspy.WaitGroup()
    with pytest.raises(TypeError, match="needs a callable"):
        wg.go(42)  # type: ignore[arg-type]
    assert "count=0" in repr(wg)


def test_outside_a_run_undoes_its_add() -> None:
    wg = cspy.WaitGroup()
    with pytest.raises(RuntimeError, match="no runtime running"):
        wg.go(print)
    assert "count=0" in repr(wg)

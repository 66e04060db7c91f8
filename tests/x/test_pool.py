"""pool: every job exactly once, at most `workers` at a time, results, errors, close."""

from __future__ import annotations

import pytest

import cspy
from cspy.x import pool
from tests.conftest import PROCS
from tests.stress.util import settle


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_every_job_runs_exactly_once_and_concurrency_is_bounded(procs: int) -> None:
    def main() -> tuple[list[int], list[int], int]:
        p = pool.Pool(workers=3, queue_size=2)
        ran: list[int] = []
        inside, peak = cspy.AtomicInt(), cspy.AtomicInt()

        def job(i: int) -> int:
            n = inside.add(1)
            while True:
                old = peak.load()
                if n <= old or peak.compare_and_swap(old, n):
                    break
            cspy.gosched()
            ran.append(i)
            inside.add(-1)
            return i * 10

        futures = [p.submit(job, i) for i in range(200)]
        results = [f.result() for f in futures]
        p.close()
        return sorted(ran), results, peak.load()

    ran, results, peak = cspy.run(main, procs=procs)
    assert ran == list(range(200))
    assert results == [i * 10 for i in range(200)]
    assert 1 <= peak <= 3


@pytest.mark.parametrize("procs", PROCS)
def test_close_drains_the_queue(procs: int) -> None:
    def main() -> tuple[int, bool, int]:
        p = pool.Pool(workers=2, queue_size=10)
        done = cspy.AtomicInt()
        futures = [p.submit(lambda: (cspy.sleep(0.001), done.add(1))) for _ in range(10)]
        p.close()  # returns only after every queued job ran
        # A worker's last statement is done() on close's WaitGroup: it is counted out just after.
        settle(lambda: cspy.num_tasks() == 1)
        return done.load(), all(f.done() for f in futures), cspy.num_tasks()

    done, all_done, tasks = cspy.run(main, procs=procs)
    assert done == 10 and all_done
    assert tasks == 1  # the workers have exited; only main is left


def test_job_exception_goes_to_the_future_not_the_worker() -> None:
    def main() -> list[object]:
        with pool.Pool(workers=1) as p:
            bad = p.submit(int, "x")
            good = p.submit(int, "7")
            with pytest.raises(ValueError):
                bad.result()
            return [type(bad.exception()), good.result(), good.exception()]

    assert cspy.run(main, procs=1) == [ValueError, 7, None]


def test_submit_after_close_and_misuse() -> None:
    def main() -> None:
        p = pool.Pool(workers=1, queue_size=1)
        p.close()
        p.close()  # again: just waits
        with pytest.raises(pool.PoolClosed, match="closed pool"):
            p.submit(print)
        with pytest.raises(TypeError, match="callable"):
            pool.Pool(1).submit(42)  # type: ignore[arg-type]

    cspy.run(main, procs=1)
    with pytest.raises(ValueError, match="workers >= 1"):
        pool.Pool(0)
    with pytest.raises(ValueError, match="queue_size >= 0"):
        pool.Pool(1, -1)
    with pytest.raises(RuntimeError, match="cspy.run"):
        pool.Pool(1)  # workers are tasks: needs a runtime


def test_submit_blocked_on_a_full_queue_fails_cleanly_when_closed() -> None:
    def main() -> list[str]:
        p = pool.Pool(workers=1, queue_size=0)
        gate = cspy.Chan[None]()
        out: list[str] = []
        p.submit(gate.recv_ok)  # occupies the only worker

        def late() -> None:
            try:
                p.submit(print)  # no free worker, no queue: blocks
            except pool.PoolClosed:
                out.append("rejected")

        cspy.go(late)
        cspy.gosched()
        cspy.go(gate.close)
        p.close()
        cspy.gosched()
        return out

    assert cspy.run(main, procs=1) == ["rejected"]

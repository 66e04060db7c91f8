"""Semaphore: weighted, FIFO, bounded concurrency, misuse errors, a model-based test."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cspy
from tests.conftest import PROCS


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_never_more_than_n_inside(procs: int) -> None:
    def main() -> tuple[int, int]:
        sem = cspy.Semaphore(3)
        inside = cspy.AtomicInt(0)
        peak = cspy.AtomicInt(0)
        total = cspy.AtomicInt(0)
        wg = cspy.WaitGroup()

        def worker() -> None:
            for _ in range(20):
                with sem:
                    n = inside.add(1)
                    while True:
                        old = peak.load()
                        if n <= old or peak.compare_and_swap(old, n):
                            break
                    cspy.gosched()
                    total.add(1)
                    inside.add(-1)
            wg.done()

        for _ in range(10):
            wg.add(1)
            cspy.go(worker)
        wg.wait()
        return peak.load(), total.load()

    peak, total = cspy.run(main, procs=procs)
    assert total == 200
    assert 1 <= peak <= 3


def test_weighted_fifo_a_large_request_is_not_overtaken() -> None:
    def main() -> list[str]:
        sem = cspy.Semaphore(4)
        order: list[str] = []
        wg = cspy.WaitGroup()
        sem.acquire(3)

        def big() -> None:
            sem.acquire(4)
            order.append("big")
            sem.release(4)
            wg.done()

        def small() -> None:
            sem.acquire(1)
            order.append("small")
            sem.release(1)
            wg.done()

        wg.add(2)
        cspy.go(big)
        cspy.gosched()  # big waits for 4 units
        cspy.go(small)
        cspy.gosched()  # 1 unit is free, but small must not pass big
        assert not sem.try_acquire(1)
        order.append("release")
        sem.release(3)
        wg.wait()
        return order

    assert cspy.run(main, procs=1) == ["release", "big", "small"]


def test_misuse_errors() -> None:
    def main() -> None:
        sem = cspy.Semaphore(2)
        with pytest.raises(RuntimeError, match="released more than held"):
            sem.release()
        sem.acquire(2)
        with pytest.raises(RuntimeError, match="released more than held"):
            sem.release(3)
        sem.release(2)
        with pytest.raises(ValueError, match="can never succeed"):
            sem.acquire(3)
        with pytest.raises(ValueError, match="k >= 0"):
            sem.acquire(-1)
        with pytest.raises(TypeError, match="int number of units"):
            sem.try_acquire(1.5)  # type: ignore[arg-type]

    cspy.run(main, procs=1)
    with pytest.raises(ValueError, match="n >= 0"):
        cspy.Semaphore(-1)
    with pytest.raises(ValueError, match=r"n <= sys\.maxsize"):
        cspy.Semaphore(sys.maxsize + 1)  # (Go's are int64; compiled, both counts are C integers)
    big = cspy.Semaphore(sys.maxsize)
    assert big.try_acquire(sys.maxsize)
    assert big.held() == sys.maxsize
    assert not big.try_acquire(1) and not big.try_acquire(10**30)  # never fits, never overflows
    with pytest.raises(TypeError):
        cspy.Semaphore("3")  # type: ignore[arg-type]


ops = st.lists(
    st.tuples(st.sampled_from(["try_acquire", "release"]), st.integers(min_value=0, max_value=5)),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=0, max_value=6), ops=ops)
def test_matches_a_sequential_model(size: int, ops: list[tuple[str, int]]) -> None:
    # Non-blocking operations only: the model is "held units", bounded by size.
    def main() -> None:
        sem = cspy.Semaphore(size)
        held = 0
        for op, k in ops:
            if op == "try_acquire":
                ok = sem.try_acquire(k)
                assert ok == (held + k <= size)
                held += k if ok else 0
            elif k <= held:
                sem.release(k)
                held -= k
            else:
                with pytest.raises(RuntimeError):
                    sem.release(k)
            assert sem.held() == held

    cspy.run(main, procs=1)

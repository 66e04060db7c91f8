"""AtomicInt: atomic across processors; matches a sequential model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cspy
from tests.conftest import PROCS


@pytest.mark.parametrize("procs", PROCS)
def test_concurrent_adds_and_cas_lose_nothing(procs: int) -> None:
    def main() -> tuple[int, int]:
        n = cspy.AtomicInt()
        c = cspy.AtomicInt()
        wg = cspy.WaitGroup()

        def worker() -> None:
            for i in range(200):
                n.add(1)
                while True:  # a CAS loop: increment c
                    old = c.load()
                    if c.compare_and_swap(old, old + 1):
                        break
                if i % 10 == 0:
                    cspy.gosched()
            wg.done()

        for _ in range(10):
            wg.add(1)
            cspy.go(worker)
        wg.wait()
        return n.load(), c.load()

    assert cspy.run(main, procs=procs) == (2000, 2000)


def test_works_from_offload_threads_too() -> None:
    def main() -> int:
        n = cspy.AtomicInt()

        def bump() -> None:
            for _ in range(1000):
                n.add(1)

        wg = cspy.WaitGroup()
        for _ in range(4):
            wg.add(1)
            cspy.go(lambda: (cspy.blocking(bump), wg.done()))
        wg.wait()
        return n.load()

    assert cspy.run(main, procs=2) == 4000


def test_type_errors() -> None:
    with pytest.raises(TypeError, match="needs an int"):
        cspy.AtomicInt(1.5)  # type: ignore[arg-type]
    n = cspy.AtomicInt()
    with pytest.raises(TypeError, match="needs an int"):
        n.add(True)
    assert repr(n) == "<AtomicInt 0>"


op = st.one_of(
    st.tuples(st.just("store"), st.integers(-5, 5)),
    st.tuples(st.just("add"), st.integers(-5, 5)),
    st.tuples(st.just("swap"), st.integers(-5, 5)),
    st.tuples(st.just("cas"), st.integers(-5, 5), st.integers(-5, 5)),
)


@settings(max_examples=100, deadline=None)
@given(start=st.integers(-5, 5), ops=st.lists(op, max_size=30))
def test_matches_a_sequential_model(start: int, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    a = cspy.AtomicInt(start)  # no runtime needed: it never blocks
    model = start
    for o in ops:
        if o[0] == "store":
            a.store(o[1])
            model = o[1]
        elif o[0] == "add":
            model += o[1]
            assert a.add(o[1]) == model
        elif o[0] == "swap":
            assert a.swap(o[1]) == model
            model = o[1]
        else:
            ok = model == o[1]
            assert a.compare_and_swap(o[1], o[2]) is ok
            if ok:
                model = o[2]
        assert a.load() == model

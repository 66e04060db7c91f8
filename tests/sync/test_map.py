"""Map: every method against a dict model (hypothesis), and races on 1, 2 and 4 processors
in which every operation must take effect exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import cspy
from cspy.sync import Map
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(120)

keys = st.integers(0, 5)
values = st.integers(0, 3)


class MapAgainstDict(RuleBasedStateMachine):
    """Each rule does one Map call and the same change to a dict; results must agree."""

    def __init__(self) -> None:
        super().__init__()
        self.m = Map[int, int]()
        self.d: dict[int, int] = {}

    @rule(k=keys)
    def load(self, k: int) -> None:
        assert self.m.load(k) == ((self.d[k], True) if k in self.d else (None, False))

    @rule(k=keys, v=values)
    def store(self, k: int, v: int) -> None:
        self.m.store(k, v)
        self.d[k] = v

    @rule(k=keys, v=values)
    def load_or_store(self, k: int, v: int) -> None:
        want = (self.d[k], True) if k in self.d else (v, False)
        self.d.setdefault(k, v)
        assert self.m.load_or_store(k, v) == want

    @rule(k=keys)
    def load_and_delete(self, k: int) -> None:
        want = (self.d.pop(k), True) if k in self.d else (None, False)
        assert self.m.load_and_delete(k) == want

    @rule(k=keys)
    def delete(self, k: int) -> None:
        self.m.delete(k)
        self.d.pop(k, None)

    @rule(k=keys, v=values)
    def swap(self, k: int, v: int) -> None:
        want = (self.d[k], True) if k in self.d else (None, False)
        self.d[k] = v
        assert self.m.swap(k, v) == want

    @rule(k=keys, old=values, new=values)
    def compare_and_swap(self, k: int, old: int, new: int) -> None:
        hit = k in self.d and self.d[k] == old
        if hit:
            self.d[k] = new
        assert self.m.compare_and_swap(k, old, new) is hit

    @rule(k=keys, old=values)
    def compare_and_delete(self, k: int, old: int) -> None:
        hit = k in self.d and self.d[k] == old
        if hit:
            del self.d[k]
        assert self.m.compare_and_delete(k, old) is hit

    @rule(stop_after=st.integers(0, 7))
    def range_stops_when_f_returns_false(self, stop_after: int) -> None:
        seen: list[tuple[int, int]] = []

        def f(k: int, v: int) -> bool:
            seen.append((k, v))
            return len(seen) < stop_after

        self.m.range(f)
        items = list(self.d.items())
        assert seen == items[: max(1, stop_after)] if items else seen == []

    @rule()
    def clear(self) -> None:
        self.m.clear()
        self.d.clear()

    @invariant()
    def same_entries(self) -> None:
        seen: list[tuple[int, int]] = []
        self.m.range(lambda k, v: seen.append((k, v)))  # None is not False: visits everything
        assert seen == list(self.d.items())


TestMapAgainstDict = MapAgainstDict.TestCase
TestMapAgainstDict.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)


def test_range_f_may_use_the_map() -> None:
    m = Map[int, int]()
    for i in range(10):
        m.store(i, i)
    m.range(lambda k, v: m.store(k + 100, v) or m.delete(k) or True)  # no deadlock
    seen: list[int] = []
    m.range(lambda k, v: seen.append(k))
    assert sorted(seen) == list(range(100, 110))


def test_compare_uses_identity_or_equality() -> None:
    nan = float("nan")
    m = Map[str, Any]()
    m.store("x", nan)
    assert m.compare_and_swap("x", nan, 1)  # the same object, although nan != nan
    assert not m.compare_and_swap("x", 2, 3)
    assert m.compare_and_swap("x", 1.0, 4)  # equal, not identical
    assert not m.compare_and_delete("missing", None)


def test_repr() -> None:
    m = Map[int, int]()
    m.store(1, 1)
    assert repr(m) == "<Map entries=1>"


# ---- races: every operation takes effect exactly once ----------------------------------------

TASKS = 8


def _run_tasks(procs: int, body: Any) -> list[Any]:
    """Run ``body(task_index)`` in TASKS tasks; their results in task order."""

    def main() -> list[Any]:
        out: list[Any] = [None] * TASKS
        wg = cspy.WaitGroup()
        for t in range(TASKS):
            wg.go(lambda t=t: out.__setitem__(t, body(t)))  # each task writes its own slot
        wg.wait()
        return out

    return cspy.run(main, procs=procs)  # type: ignore[no-any-return]


@pytest.mark.parametrize("procs", PROCS)
def test_load_or_store_has_exactly_one_winner(procs: int) -> None:
    m = Map[int, int]()
    n = 500

    def body(t: int) -> list[tuple[int, bool]]:
        got = []
        for k in range(n):
            got.append(m.load_or_store(k, t))
            if k % 16 == 0:
                cspy.gosched()
        return got

    results = _run_tasks(procs, body)
    for k in range(n):
        winners = [t for t in range(TASKS) if results[t][k] == (t, False)]
        assert len(winners) == 1, (k, winners)
        final = m.load(k)
        assert final == (winners[0], True)
        assert all(results[t][k][0] == winners[0] for t in range(TASKS))


@pytest.mark.parametrize("procs", PROCS)
def test_compare_and_swap_increments_are_never_lost(procs: int) -> None:
    m = Map[int, int]()
    for k in range(4):
        m.store(k, 0)
    n = 300

    def body(t: int) -> int:
        retries = 0
        for i in range(n):
            k = i % 4
            while True:
                v, _ = m.load(k)
                assert v is not None
                if m.compare_and_swap(k, v, v + 1):
                    break
                retries += 1
            if i % 8 == 0:
                cspy.gosched()
        return retries

    _run_tasks(procs, body)
    assert [m.load(k) for k in range(4)] == [(TASKS * n // 4, True)] * 4


@pytest.mark.parametrize("procs", PROCS)
def test_load_and_delete_hands_each_entry_to_one_task(procs: int) -> None:
    m = Map[int, str]()
    n = 1000
    for k in range(n):
        m.store(k, f"v{k}")

    def body(t: int) -> list[int]:
        mine = []
        order = range(n) if t % 2 else range(n - 1, -1, -1)
        for i, k in enumerate(order):
            v, loaded = m.load_and_delete(k)
            if loaded:
                assert v == f"v{k}"
                mine.append(k)
            if i % 32 == 0:
                cspy.gosched()
        return mine

    results = _run_tasks(procs, body)
    got = sorted(k for mine in results for k in mine)
    assert got == list(range(n))  # every key once: none lost, none twice
    assert m.load(0) == (None, False)


@pytest.mark.parametrize("procs", PROCS)
def test_swap_returns_each_value_exactly_once(procs: int) -> None:
    m = Map[str, int]()
    m.store("k", -1)
    n = 400

    def body(t: int) -> list[int]:
        prevs = []
        for i in range(n):
            prev, loaded = m.swap("k", t * n + i)
            assert loaded
            assert prev is not None
            prevs.append(prev)
            if i % 16 == 0:
                cspy.gosched()
        return prevs

    results = _run_tasks(procs, body)
    final, _ = m.load("k")
    seen = sorted([p for prevs in results for p in prevs] + [final])  # type: ignore[list-item]
    assert seen == [-1] + list(range(TASKS * n))


@pytest.mark.parametrize("procs", PROCS)
def test_range_while_others_write(procs: int) -> None:
    m = Map[int, int]()
    for k in range(100):
        m.store(k, 0)

    def body(t: int) -> int:
        if t % 2:
            for i in range(300):
                m.store(i % 150, i)
                m.delete((i + 75) % 150)
                if i % 8 == 0:
                    cspy.gosched()
            return 0
        visits = 0
        for _ in range(30):
            seen: set[int] = set()

            def f(k: int, v: int) -> bool:
                assert k not in seen  # no key visited twice
                seen.add(k)
                return True

            m.range(f)
            visits += len(seen)
            cspy.gosched()
        return visits

    results = _run_tasks(procs, body)
    assert all(r > 0 for r in results[0::2])

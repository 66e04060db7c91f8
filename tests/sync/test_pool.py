"""Pool: get/put, per-processor caches that take no shared lock, overflow, dropping, stress."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

import cspy
from cspy.sync import AtomicInt, Pool
from cspy.sync.pool import _FREE_THREADED, LOCAL_CAP, _detach
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


class Obj:
    """A pooled object that notices being handed to two holders at once."""

    def __init__(self) -> None:
        self.held = threading.Lock()


class NoLock:
    """Stands in for a pool's shared lock: any use of it fails the test."""

    def acquire(self, *a: Any) -> bool:
        raise AssertionError("the pool took its shared lock")

    def release(self) -> None:
        raise AssertionError("the pool took its shared lock")

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *a: Any) -> None:
        self.release()


@pytest.fixture
def no_auto_gc() -> Iterator[None]:
    """Only the test's own gc.collect() calls age pools."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


def test_get_without_new_is_none_and_new_makes_objects() -> None:
    assert Pool[int]().get() is None
    made = []
    p = Pool(lambda: made.append(1) or len(made))
    assert (p.get(), p.get()) == (1, 2)


def test_put_none_is_ignored() -> None:
    p = Pool[Any]()
    p.put(None)
    assert p.get() is None


def test_new_must_be_callable() -> None:
    with pytest.raises(TypeError, match="needs a callable"):
        Pool(new=42)  # type: ignore[arg-type]


def test_outside_a_run_uses_the_shared_list() -> None:
    p = Pool(Obj)
    a = p.get()
    p.put(a)
    assert p.get() is a
    assert p.get() is not a


@pytest.mark.parametrize("procs", PROCS)
def test_put_then_get_in_a_task_reuses(procs: int) -> None:
    def main() -> None:
        p = Pool(Obj)
        objs = [p.get() for _ in range(5)]
        for o in objs:
            p.put(o)
        assert [p.get() for _ in range(5)] == objs[::-1]  # a stack: last put, first got

    cspy.run(main, procs=procs)


def test_get_put_in_a_task_take_no_shared_lock() -> None:
    def main() -> None:
        p = Pool(Obj)
        p.put(p.get())  # first use in this run attaches the per-processor caches (locked)
        p._lock = NoLock()  # type: ignore[assignment]
        for _ in range(1000):
            x = p.get()
            p.put(x)
        for o in [Obj() for _ in range(LOCAL_CAP - 1)]:
            p.put(o)  # fills this processor's cache exactly
        with pytest.raises(AssertionError, match="shared lock"):
            p.put(Obj())  # one more overflows into the shared list

    cspy.run(main, procs=1)


@pytest.mark.parametrize("procs", PROCS)
def test_overflow_reaches_other_threads(procs: int) -> None:
    def main() -> None:
        p = Pool(Obj)
        objs = [Obj() for _ in range(LOCAL_CAP + 10)]
        for o in objs:
            p.put(o)
        # a cspy.blocking thread has no processor: it sees only the shared list, i.e. the ten
        # objects this processor's full cache overflowed
        got = cspy.blocking(lambda: [p.get() for _ in range(11)])
        assert got[:10] == objs[LOCAL_CAP:][::-1]
        assert got[10] not in objs
        p.put(got[0])  # back from the task: into this processor's cache again
        cspy.blocking(p.put, got[1])  # from the thread: into the shared list
        assert cspy.blocking(p.get) is got[1]

    cspy.run(main, procs=procs)


def test_caches_are_dropped_at_the_end_of_a_run() -> None:
    p = Pool(Obj)
    kept: list[Obj] = []

    def first() -> None:
        o = p.get()
        kept.append(o)
        p.put(o)

    def second() -> Obj:
        return p.get()  # type: ignore[return-value]

    cspy.run(first)
    assert cspy.run(second) is not kept[0]


def test_caches_of_a_freed_runtime_are_released(no_auto_gc: None) -> None:
    p = Pool(Obj)

    def main() -> None:
        p.put(Obj())

    cspy.run(main)
    gc.collect()  # frees the finished runtime; its weak reference drops the caches
    assert p._state[1] == []


def test_detach_never_waits_for_the_lock() -> None:
    # _detach can run inside a collection started under the pool's own lock: it must not wait.
    p = Pool(Obj)
    state = p._state
    with p._lock:
        _detach(weakref.ref(p))
    assert p._state is state


@pytest.mark.parametrize("in_task", [False, True])
def test_an_object_survives_one_full_collection_not_two(in_task: bool, no_auto_gc: None) -> None:
    def body() -> None:
        p = Pool(Obj)
        o = Obj()
        p.put(o)
        gc.collect()
        assert p.get() is o  # from the victim cache
        p.put(o)
        gc.collect()
        gc.collect()
        assert p.get() is not o

    if in_task:
        cspy.run(body)
    else:
        body()


def test_which_collections_age_a_pool(no_auto_gc: None) -> None:
    # With the GIL, only generation-2 collections are full; the free-threaded collector has no
    # generations, so there every collection is full and ages the pool.
    p = Pool(Obj)
    o = Obj()
    p.put(o)
    gc.collect(0)
    gc.collect(1)
    gc.collect(0)
    assert (p.get() is o) is not _FREE_THREADED


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", PROCS)
def test_stress_no_object_has_two_holders(procs: int, no_auto_gc: None) -> None:
    tasks, rounds = 16, 300
    made, gets, doubles = AtomicInt(), AtomicInt(), AtomicInt()

    def new() -> Obj:
        made.add(1)
        return Obj()

    p = Pool(new)

    def worker() -> None:
        for i in range(rounds):
            o = p.get()
            assert o is not None
            gets.add(1)
            if not o.held.acquire(blocking=False):
                doubles.add(1)  # someone else holds it: the pool handed it out twice
                continue
            if i % 3 == 0:
                cspy.gosched()  # hold it across a switch, so others must get other objects
            o.held.release()
            p.put(o)

    def main() -> None:
        wg = cspy.WaitGroup()
        for _ in range(tasks):
            wg.go(worker)
        wg.wait()

    cspy.run(main, procs=procs)
    assert doubles.load() == 0
    assert gets.load() == tasks * rounds
    # objects were reused: at most one per task plus what other processors' caches held
    assert made.load() <= tasks + LOCAL_CAP * procs, made.load()

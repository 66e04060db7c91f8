"""Misuse from outside a task leaves no primitive locked; waiters unwound when a run ends are
forgotten, so a primitive that outlives one ``cspy.run`` works in the next."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import cspy
from cspy.scheduler import WaitReason
from tests.stress.util import wait_parked


def _wg() -> tuple[Any, Callable[[], None], Callable[[], None]]:
    wg = cspy.WaitGroup()
    return wg, lambda: wg.add(1), wg.wait


def _sem() -> tuple[Any, Callable[[], None], Callable[[], None]]:
    sem = cspy.Semaphore(1)
    return sem, sem.acquire, sem.acquire


def _rw() -> tuple[Any, Callable[[], None], Callable[[], None]]:
    rw = cspy.RWMutex()
    return rw, rw.lock, rw.rlock


def _mu() -> tuple[Any, Callable[[], None], Callable[[], None]]:
    mu = cspy.Mutex()
    return mu, mu.lock, mu.lock


@pytest.mark.parametrize("make", [_wg, _sem, _rw, _mu], ids=["WaitGroup", "Semaphore", "RWMutex", "Mutex"])
@pytest.mark.parametrize("procs", [1, 2])
def test_blocking_call_from_offload_thread_is_a_clear_error(make: Any, procs: int) -> None:
    prim, setup, call = make()

    def main() -> str:
        setup()
        with pytest.raises(RuntimeError, match="would block outside a cspy task"):
            cspy.blocking(call)
        assert not prim._lock.locked(), "the primitive's lock was left held"
        return "ok"

    assert cspy.run(main, procs=procs) == "ok"


def test_once_do_from_offload_thread_while_running_is_a_clear_error() -> None:
    once = cspy.Once()
    seen: list[str] = []

    def fn() -> None:
        try:
            cspy.blocking(once.do, lambda: None)
        except RuntimeError as exc:
            seen.append(str(exc))

    cspy.run(lambda: once.do(fn))
    assert seen and "Once.do() would block" in seen[0]
    assert not once._lock.locked()


@pytest.mark.parametrize("procs", [1, 2])
def test_semaphore_and_rwmutex_work_after_waiters_were_unwound(procs: int) -> None:
    sem, rw = cspy.Semaphore(1), cspy.RWMutex()

    def first() -> None:
        sem.acquire()
        rw.lock()
        for _ in range(3):
            wait_parked(cspy.go(sem.acquire), WaitReason.SEMAPHORE)
            wait_parked(cspy.go(rw.rlock), WaitReason.RWMUTEX_R)
            wait_parked(cspy.go(rw.lock), WaitReason.RWMUTEX_W)
        # Everyone waits; main returns and they are unwound.

    cspy.run(first, procs=procs)

    def second() -> tuple[bool, bool]:
        sem.release()
        rw.unlock()
        return sem.try_acquire(), rw.try_lock()

    assert cspy.run(second, procs=procs) == (True, True)

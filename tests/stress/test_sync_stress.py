"""sync primitives under stress across processors: a non-atomic read-modify-write inside the
critical section must stay exact, readers and writers must exclude each other, and no waiter
may be lost."""

from __future__ import annotations

import threading

import pytest

import cspy
from tests.stress.util import PROCS, Tally, run

pytestmark = [pytest.mark.timeout(60, method="thread"), pytest.mark.parametrize("procs", PROCS)]


def _rmw(box: list[int], yield_inside: bool) -> None:
    """A deliberately non-atomic increment: read, maybe let others run, write back."""
    v = box[0]
    if yield_inside:
        cspy.gosched()
    box[0] = v + 1


def test_mutex_keeps_read_modify_write_exact(procs: int) -> None:
    tasks, per = 32, 300
    box = [0]
    inside = [0]
    overlap = [0]
    guard = threading.Lock()  # only to count overlaps, never to protect ``box``

    def worker(i: int, mu: cspy.Mutex, wg: cspy.WaitGroup) -> None:
        for j in range(per):
            if j % 3 == 0:
                mu.lock()
                try:
                    with guard:
                        inside[0] += 1
                        overlap[0] += inside[0] > 1
                    _rmw(box, yield_inside=j % 2 == 0)
                    with guard:
                        inside[0] -= 1
                finally:
                    mu.unlock()
            elif j % 3 == 1:
                with mu:
                    _rmw(box, yield_inside=False)
            else:
                while not mu.try_lock():
                    cspy.gosched()
                try:
                    _rmw(box, yield_inside=True)
                finally:
                    mu.unlock()
        wg.done()

    def main() -> None:
        mu = cspy.Mutex()
        wg = cspy.WaitGroup()
        wg.add(tasks)
        for i in range(tasks):
            cspy.go(worker, i, mu, wg)
        wg.wait()
        assert not mu.locked()

    run(main, procs=procs)
    assert overlap[0] == 0, "two tasks were inside the critical section at once"
    assert box[0] == tasks * per


def test_mutex_held_across_blocking_calls_and_sleeps(procs: int) -> None:
    # The owner parks (sleep, offload) while holding the mutex, so waiters pile up on every
    # processor and the starvation hand-off is exercised.
    tasks, per = 16, 25
    box = [0]

    def worker(mu: cspy.Mutex, wg: cspy.WaitGroup) -> None:
        for j in range(per):
            with mu:
                v = box[0]
                if j % 2:
                    cspy.sleep(0.0002)
                else:
                    cspy.blocking(lambda: None)
                box[0] = v + 1
        wg.done()

    def main() -> None:
        mu = cspy.Mutex()
        wg = cspy.WaitGroup()
        wg.add(tasks)
        for _ in range(tasks):
            cspy.go(worker, mu, wg)
        wg.wait()

    run(main, procs=procs)
    assert box[0] == tasks * per


def test_rwmutex_writers_exclude_readers(procs: int) -> None:
    readers, writers, per = 16, 4, 150
    state = {"a": 0, "b": 0}  # writers keep a == b; a reader must never see them differ
    torn = Tally()

    def reader(r: int, rw: cspy.RWMutex, wg: cspy.WaitGroup) -> None:
        for j in range(per):
            with rw.rlocker():
                a = state["a"]
                if j % 4 == 0:
                    cspy.gosched()
                b = state["b"]
            if a != b:
                torn.add((r, j))
        wg.done()

    def writer(rw: cspy.RWMutex, wg: cspy.WaitGroup) -> None:
        for j in range(per):
            with rw:
                a = state["a"]
                state["a"] = a + 1
                if j % 3 == 0:
                    cspy.gosched()
                state["b"] = state["b"] + 1
        wg.done()

    def main() -> None:
        rw = cspy.RWMutex()
        wg = cspy.WaitGroup()
        wg.add(readers + writers)
        for r in range(readers):
            cspy.go(reader, r, rw, wg)
        for _ in range(writers):
            cspy.go(writer, rw, wg)
        wg.wait()

    run(main, procs=procs)
    torn.check([])
    assert state == {"a": writers * per, "b": writers * per}


def test_semaphore_never_admits_more_than_its_weight(procs: int) -> None:
    tasks, per, weight = 24, 60, 3
    inside = [0]
    peak = [0]
    guard = threading.Lock()
    admitted = Tally()

    def worker(i: int, sem: cspy.Semaphore, wg: cspy.WaitGroup) -> None:
        for j in range(per):
            k = 1 + (i + j) % 2
            sem.acquire(k)
            with guard:
                inside[0] += k
                peak[0] = max(peak[0], inside[0])
            cspy.gosched()
            with guard:
                inside[0] -= k
            sem.release(k)
            admitted.add((i, j))
        wg.done()

    def main() -> None:
        sem = cspy.Semaphore(weight)
        wg = cspy.WaitGroup()
        wg.add(tasks)
        for i in range(tasks):
            cspy.go(worker, i, sem, wg)
        wg.wait()

    run(main, procs=procs)
    assert peak[0] <= weight
    admitted.check((i, j) for i in range(tasks) for j in range(per))


def test_atomic_int_add_and_cas_are_exact(procs: int) -> None:
    tasks, per = 32, 500

    def worker(n: cspy.AtomicInt, c: cspy.AtomicInt, wg: cspy.WaitGroup) -> None:
        for j in range(per):
            n.add(1)
            while True:  # a CAS loop: lost updates would show in the total
                old = c.load()
                if c.compare_and_swap(old, old + 2):
                    break
            if j % 50 == 0:
                cspy.gosched()
        wg.done()

    def main() -> tuple[int, int]:
        n, c = cspy.AtomicInt(), cspy.AtomicInt()
        wg = cspy.WaitGroup()
        wg.add(tasks)
        for _ in range(tasks):
            cspy.go(worker, n, c, wg)
        wg.wait()
        return n.load(), c.load()

    assert run(main, procs=procs) == (tasks * per, 2 * tasks * per)


def test_once_and_cond_across_processors(procs: int) -> None:
    rounds, waiters = 30, 12
    calls = Tally()
    woke = Tally()

    def main() -> None:
        for r in range(rounds):
            once = cspy.Once()
            mu = cspy.Mutex()
            cond = cspy.Cond(mu)
            go_flag = [False]
            wg = cspy.WaitGroup()
            wg.add(waiters)

            def waiter(w: int, r: int = r, once: cspy.Once = once, mu: cspy.Mutex = mu,
                       cond: cspy.Cond = cond, go_flag: list[bool] = go_flag,
                       wg: cspy.WaitGroup = wg) -> None:
                once.do(lambda: calls.add(r))
                mu.lock()
                while not go_flag[0]:
                    cond.wait()
                mu.unlock()
                woke.add((r, w))
                wg.done()

            for w in range(waiters):
                cspy.go(waiter, w)
            cspy.sleep(0.0005)
            mu.lock()
            go_flag[0] = True
            if r % 2:
                cond.broadcast()
            else:
                for _ in range(waiters):
                    cond.signal()
            mu.unlock()
            wg.wait()

    run(main, procs=procs)
    calls.check(range(rounds))
    woke.check((r, w) for r in range(rounds) for w in range(waiters))

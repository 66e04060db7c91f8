"""Scheduler under stress across threads: spawn storms and stealing, WaitGroup, cross-processor
wake-ups (``cspy.blocking``), sleep and timers, failure and shutdown with tasks everywhere."""

from __future__ import annotations

import threading
import time

import pytest

import cspy
from tests.stress.util import PROCS, Tally, run, settle

pytestmark = [pytest.mark.timeout(60, method="thread"), pytest.mark.parametrize("procs", PROCS)]


def test_spawn_storm_runs_every_task_once(procs: int) -> None:
    n = 3000
    tally = Tally()
    threads: set[int] = set()
    threads_lock = threading.Lock()

    def job(i: int, wg: cspy.WaitGroup) -> None:
        tally.add(i, weight=i)
        with threads_lock:
            threads.add(threading.get_ident())
        if i % 7 == 0:
            cspy.gosched()  # once started, a task is pinned: this exercises the pinned queue
        wg.done()

    def main() -> int:
        wg = cspy.WaitGroup()
        for i in range(n):
            wg.add(1)
            cspy.go(job, i, wg)
            if i % 500 == 0:
                cspy.gosched()  # let thieves in while the queue is full
        wg.wait()
        assert settle(lambda: cspy.num_tasks() == 1), f"tasks left: {cspy.num_tasks()}"
        return cspy.stats().spawned

    spawned = run(main, procs=procs)
    tally.check(range(n), checksum=n * (n - 1) // 2)
    assert spawned >= n + 1
    assert threads  # informational: which threads ran jobs depends on timing


def test_spawn_tree_from_every_processor_gives_unique_ids(procs: int) -> None:
    # Each task spawns its children from whatever processor it landed on, so ids come from every
    # processor's id block at once.
    depth = 10  # 2**11 - 1 tasks
    ids = Tally()
    nodes = Tally()

    def node(path: int, level: int, wg: cspy.WaitGroup) -> None:
        ids.add(cspy.current_task().id)
        nodes.add(path)
        if level < depth:
            for child in (2 * path, 2 * path + 1):
                wg.add(1)
                cspy.go(node, child, level + 1, wg)
        wg.done()

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(1)
        cspy.go(node, 1, 0, wg)
        wg.wait()

    run(main, procs=procs)
    total = 2 ** (depth + 1) - 1
    nodes.check(range(1, total + 1), checksum=0)
    ids.check(ids.keys())  # every id seen exactly once: no duplicates
    assert len(ids.keys()) == total


def test_gosched_storm_across_processors(procs: int) -> None:
    # Many tasks yield many times: pinned tasks cycle through their home queues while the
    # spawner keeps feeding new ones, and shared state is updated under a threading.Lock.
    tasks, rounds = 64, 200
    lock = threading.Lock()
    box = [0]
    tally = Tally()

    def worker(i: int, wg: cspy.WaitGroup) -> None:
        home = threading.get_ident()
        for r in range(rounds):
            with lock:
                box[0] += 1
            cspy.gosched()
            assert threading.get_ident() == home, "a started task resumed on another thread"
            tally.add((i, r))
        wg.done()

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(tasks)
        for i in range(tasks):
            cspy.go(worker, i, wg)
        wg.wait()

    run(main, procs=procs)
    assert box[0] == tasks * rounds
    tally.check((i, r) for i in range(tasks) for r in range(rounds))


def test_waitgroup_many_waiters_on_many_processors(procs: int) -> None:
    # Several generations: each has waiters parked on one WaitGroup (spread over processors)
    # and workers that finish on other processors; every waiter must wake exactly once.
    generations, waiters, workers = 30, 8, 16
    woke = Tally()
    done = Tally()

    def waiter(g: int, w: int, wg: cspy.WaitGroup, out: cspy.WaitGroup) -> None:
        wg.wait()
        woke.add((g, w))
        out.done()

    def worker(g: int, k: int, wg: cspy.WaitGroup) -> None:
        if k % 2:
            cspy.sleep(0.0005)
        else:
            cspy.gosched()
        done.add((g, k))
        wg.done()

    def main() -> None:
        for g in range(generations):
            wg, out = cspy.WaitGroup(), cspy.WaitGroup()
            wg.add(workers)
            out.add(waiters)
            for w in range(waiters):
                cspy.go(waiter, g, w, wg, out)
            for k in range(workers):
                cspy.go(worker, g, k, wg)
            out.wait()

    run(main, procs=procs)
    woke.check((g, w) for g in range(generations) for w in range(waiters))
    done.check((g, k) for g in range(generations) for k in range(workers))


def test_blocking_calls_wake_tasks_across_threads(procs: int) -> None:
    # Offload threads ready tasks through their home processors' inboxes, while those
    # processors are busy with other tasks or idle: every result comes back to its caller.
    n = 400
    tally = Tally()

    def slow_square(x: int) -> int:
        if x % 3 == 0:
            time.sleep(0.0002)
        return x * x

    def fails(x: int) -> int:
        raise KeyError(x)

    def job(i: int, wg: cspy.WaitGroup) -> None:
        assert cspy.blocking(slow_square, i) == i * i
        if i % 10 == 0:
            with pytest.raises(KeyError):
                cspy.blocking(fails, i)
        assert cspy.blocking(slow_square, i + 1) == (i + 1) ** 2
        tally.add(i, weight=i)
        wg.done()

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(n)
        for i in range(n):
            cspy.go(job, i, wg)
        wg.wait()

    run(main, procs=procs)
    tally.check(range(n), checksum=n * (n - 1) // 2)


def test_sleepers_on_every_processor_wake_and_never_early(procs: int) -> None:
    n, naps = 300, 4
    tally = Tally()

    def sleeper(i: int, wg: cspy.WaitGroup) -> None:
        for k in range(naps):
            d = ((i * 7 + k * 13) % 20) / 10000  # 0 .. 1.9 ms
            t0 = time.monotonic()
            cspy.sleep(d)
            slept = time.monotonic() - t0
            assert slept >= d - 1e-6, f"woke {d - slept:.6f}s early"  # a lower bound only
            tally.add((i, k))
        wg.done()

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(n)
        for i in range(n):
            cspy.go(sleeper, i, wg)
        wg.wait()

    run(main, procs=procs)
    tally.check((i, k) for i in range(n) for k in range(naps))


def test_no_false_deadlock_while_work_is_in_flight(procs: int) -> None:
    # All processors go idle again and again while the only pending work is a blocking call or
    # a timer: deadlock detection must count those as future work, every single time.
    rounds = 60

    def main() -> int:
        total = 0
        for r in range(rounds):
            wg = cspy.WaitGroup()
            wg.add(2)
            out: list[int] = []

            def via_thread(r: int = r) -> None:
                out.append(cspy.blocking(lambda: (time.sleep(0.0005), r)[1]))
                wg.done()

            def via_timer() -> None:
                cspy.sleep(0.0005)
                wg.done()

            cspy.go(via_thread)
            cspy.go(via_timer)
            wg.wait()
            total += out[0]
        return total

    assert run(main, procs=procs) == rounds * (rounds - 1) // 2


def test_real_deadlock_is_reported_with_many_processors(procs: int) -> None:
    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(1)
        for _ in range(20):
            cspy.go(cspy.sleep, 0.001)  # finish on their own, on any processor
        wg.wait()  # nobody will call done()

    with pytest.raises(cspy.DeadlockError, match=r"^all tasks are asleep - deadlock!"):
        run(main, procs=procs)


def test_exception_in_a_task_stops_every_processor(procs: int) -> None:
    boom = ValueError("boom")

    def busy(wg: cspy.WaitGroup) -> None:
        while True:
            cspy.sleep(0.0002)
            cspy.gosched()

    def bomber() -> None:
        cspy.sleep(0.005)
        raise boom

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(1)
        for _ in range(50):
            cspy.go(busy, wg)
        cspy.go(bomber)
        wg.wait()

    with pytest.raises(ValueError) as info:
        run(main, procs=procs)
    assert info.value is boom


def test_main_returning_unwinds_tasks_parked_on_every_processor(procs: int) -> None:
    # Abandoned tasks are unwound at shutdown on their own threads: every task that started
    # runs its finally block exactly once.
    n = 200
    started = Tally()
    unwound = Tally()

    def parked(i: int, ready: cspy.WaitGroup, never: cspy.WaitGroup) -> None:
        started.add(i)
        try:
            ready.done()
            if i % 2:
                never.wait()
            else:
                cspy.sleep(3600)
        finally:
            unwound.add(i)

    def main() -> str:
        ready, never = cspy.WaitGroup(), cspy.WaitGroup()
        never.add(1)
        ready.add(n)
        for i in range(n):
            cspy.go(parked, i, ready, never)
        ready.wait()
        return "done"

    assert run(main, procs=procs) == "done"
    started.check(range(n))
    unwound.check(range(n))


def test_runtime_restarts_back_to_back(procs: int) -> None:
    # Starting and stopping processor threads over and over: no thread leaks, no hang.
    def main(k: int) -> int:
        wg = cspy.WaitGroup()
        box = [0]
        lock = threading.Lock()

        def inc() -> None:
            with lock:
                box[0] += 1
            wg.done()

        wg.add(10)
        for _ in range(10):
            cspy.go(inc)
        wg.wait()
        return box[0] + k

    for k in range(40):
        assert run(main, k, procs=procs) == 10 + k


def test_observers_on_another_thread_while_tasks_start_and_finish(procs: int) -> None:
    # stats() and the task dump read each processor's current and runnext task, and every
    # task's state, from a thread of their own while the owners replace them at every switch
    # and free finished tasks (Runners.peek, Task.snapshot). Before peek, this crashed 3.13t's
    # compiled build in every run; before snapshot, an enum member's reference count drifted
    # to zero there within seconds; the dump's walk of other threads' stacks crashed 3.11
    # about once in a hundred.
    from cspy.scheduler.dump import dump_runtime
    from cspy.scheduler.runtime import running

    n = 4000
    tally = Tally()
    stop = threading.Event()
    seen = {"snapshots": 0, "running": 0}
    errors: list[BaseException] = []

    def observe() -> None:
        try:
            while not stop.is_set():
                rt = running()
                if rt is None:
                    continue
                s = cspy.stats()
                seen["snapshots"] += 1
                for p in s.procs:
                    if p.current is not None:
                        # a snapshot: the task may have parked or ended since (never freed)
                        assert p.current.id > 0 and isinstance(p.current.name, str), p.current
                        seen["running"] += 1
                    if p.runnext is not None:
                        assert p.runnext.id > 0, p.runnext
                text = dump_runtime(rt)
                assert text.startswith("task "), text[:200]
        except BaseException as exc:  # reported by the test body
            errors.append(exc)

    def job(i: int, ch: cspy.Chan[int]) -> None:
        if i % 3 == 0:
            cspy.gosched()
        ch.send(i)

    def main() -> None:
        watcher = threading.Thread(target=observe, name="observer")
        watcher.start()
        try:
            ch = cspy.Chan[int](16)
            for i in range(n):
                cspy.go(job, i, ch)
                if i % 4 == 0:
                    tally.add(ch.recv())
            for _ in range(n - (n + 3) // 4):
                tally.add(ch.recv())
        finally:
            stop.set()
            watcher.join()

    run(main, procs=procs)
    assert not errors, errors[0]
    tally.check(range(n))
    assert seen["snapshots"] > 0

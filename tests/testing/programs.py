"""Small programs with known concurrency bugs, shared by the cspy.testing tests and benchmarks."""

from __future__ import annotations

import cspy


def ordering_bug() -> None:
    """Main assumes its own append comes first; a worker spawned before it may run first."""
    box: list[str] = []
    done = cspy.Chan[None](1)

    def worker() -> None:
        box.append("worker")
        done.send(None)

    cspy.go(worker)
    box.append("main")
    done.recv()
    assert box == ["main", "worker"], box


def lost_update() -> None:
    """Two tasks read a counter, pass a scheduling point (a buffered send), then write it back."""
    counter = [0]
    log = cspy.Chan[int](4)
    wg = cspy.WaitGroup()

    def inc(i: int) -> None:
        v = counter[0]
        log.send(i)  # never blocks, but another task may run here
        counter[0] = v + 1
        wg.done()

    for i in range(2):
        wg.add(1)
        cspy.go(inc, i)
    wg.wait()
    assert counter[0] == 2, f"lost update: counter is {counter[0]}"


def correct() -> int:
    """No bug: a mutex around the read-modify-write."""
    counter = [0]
    mu = cspy.Mutex()
    wg = cspy.WaitGroup()

    def inc() -> None:
        with mu:
            v = counter[0]
            cspy.gosched()
            counter[0] = v + 1
        wg.done()

    for _ in range(3):
        wg.add(1)
        cspy.go(inc)
    wg.wait()
    assert counter[0] == 3
    return counter[0]


def lock_order() -> None:
    """Two tasks take two mutexes in opposite orders: a deadlock under some schedules."""
    a, b = cspy.Mutex(), cspy.Mutex()
    wg = cspy.WaitGroup()

    def one(x: cspy.Mutex, y: cspy.Mutex) -> None:
        with x:
            with y:
                pass
        wg.done()

    wg.add(2)
    cspy.go(one, a, b)
    cspy.go(one, b, a)
    wg.wait()

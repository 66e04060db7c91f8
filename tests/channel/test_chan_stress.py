"""Stress: many producers and consumers on several processors; every value arrives exactly once."""

from __future__ import annotations

import os
import threading
import time

import pytest

import cspy

N_VALUES = int(os.environ.get("CSPY_STRESS_VALUES", "200000"))
PRODUCERS = CONSUMERS = 8


def fan_in_fan_out(capacity: int, procs: int) -> tuple[tuple[int, int, int], set[str]]:
    threads: set[str] = set()  # where the workers ran
    threads_lock = threading.Lock()

    def started() -> None:
        with threads_lock:
            threads.add(threading.current_thread().name)

    def main() -> tuple[int, int, int]:
        cspy.sleep(0.01)  # let the other processors go idle, so spawning wakes them to steal
        ch = cspy.Chan[int](capacity)
        results = cspy.Chan[tuple[int, int, int]](CONSUMERS)
        producers = cspy.WaitGroup()
        per = N_VALUES // PRODUCERS

        def produce(k: int) -> None:
            started()
            for v in range(k * per, (k + 1) * per):
                ch.send(v)
            producers.done()

        def consume() -> None:
            started()
            count = total = squares = 0
            for v in ch:
                count += 1
                total += v
                squares += v * v
            results.send((count, total, squares))

        producers.add(PRODUCERS)
        for k in range(PRODUCERS):
            cspy.go(produce, k)
            cspy.go(consume)
        # Hold this processor (an OS-level sleep, not cspy.sleep) until idle processors have
        # stolen some of the new tasks, so values really cross between threads.
        deadline = time.monotonic() + 5.0
        while len(threads) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        producers.wait()
        ch.close()
        parts = [results.recv() for _ in range(CONSUMERS)]
        return tuple(sum(p[i] for p in parts) for i in range(3))  # type: ignore[return-value]

    return cspy.run(main, procs=procs), threads


@pytest.mark.timeout(120)
@pytest.mark.parametrize("capacity", [0, 64])
def test_8_producers_8_consumers_4_procs(capacity: int) -> None:
    n = N_VALUES - N_VALUES % PRODUCERS
    (count, total, squares), threads = fan_in_fan_out(capacity, procs=4)
    assert len(threads) >= 2, threads
    # count, sum and sum of squares together catch a lost value, a duplicate, or a swap.
    assert count == n
    assert total == n * (n - 1) // 2
    assert squares == (n - 1) * n * (2 * n - 1) // 6

"""RWMutex: concurrent readers, exclusive writers, writer preference, misuse errors."""

from __future__ import annotations

import threading

import pytest

import cspy
from tests.conftest import PROCS


@pytest.mark.parametrize("procs", PROCS)
def test_readers_hold_the_lock_together(procs: int) -> None:
    def main() -> int:
        rw = cspy.RWMutex()
        inside = cspy.AtomicInt(0)
        peak = cspy.AtomicInt(0)
        all_in = cspy.WaitGroup()
        all_in.add(5)
        release = cspy.Chan[None]()
        done = cspy.WaitGroup()
        done.add(5)

        def reader() -> None:
            with rw.rlocker():
                n = inside.add(1)
                while True:
                    old = peak.load()
                    if n <= old or peak.compare_and_swap(old, n):
                        break
                all_in.done()
                release.recv_ok()  # stays inside until every reader is in (close)
                inside.add(-1)
            done.done()

        for _ in range(5):
            cspy.go(reader)
        all_in.wait()
        release.close()
        done.wait()
        return peak.load()

    assert cspy.run(main, procs=procs) == 5


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_writers_exclude_readers_and_writers(procs: int) -> None:
    def main() -> tuple[int, list[str]]:
        rw = cspy.RWMutex()
        state = {"value": 0, "readers": 0, "writers": 0}
        bad: list[str] = []
        wg = cspy.WaitGroup()

        def writer() -> None:
            for _ in range(50):
                with rw:
                    state["writers"] += 1
                    if state["writers"] != 1 or state["readers"]:
                        bad.append(f"writer with {state}")
                    v = state["value"]
                    cspy.gosched()
                    state["value"] = v + 1
                    state["writers"] -= 1
            wg.done()

        count = threading.Lock()  # readers overlap on several threads: count them atomically

        def reader() -> None:
            for _ in range(50):
                rw.rlock()
                with count:
                    state["readers"] += 1
                if state["writers"]:
                    bad.append(f"reader with {state}")
                cspy.gosched()
                with count:
                    state["readers"] -= 1
                rw.runlock()
            wg.done()

        for i in range(8):
            wg.add(1)
            cspy.go(writer if i % 2 else reader)
        wg.wait()
        return state["value"], bad

    value, bad = cspy.run(main, procs=procs)
    assert bad == []
    assert value == 4 * 50


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_a_writer_is_not_starved_by_a_stream_of_readers(procs: int) -> None:
    # Readers overlap continuously (each re-enters before the others leave), so without
    # writer preference the writer would never see zero readers. The readers give up after
    # BUDGET rounds: without writer preference the writer gets in only once they stop.
    budget = 20_000

    def main() -> tuple[int, int]:
        rw = cspy.RWMutex()
        stop = cspy.AtomicInt(0)
        rounds = cspy.AtomicInt(0)
        wg = cspy.WaitGroup()

        def reader() -> None:
            while not stop.load() and rounds.load() < budget:
                rw.rlock()
                rounds.add(1)
                cspy.gosched()
                rw.runlock()
            wg.done()

        for _ in range(4):
            wg.add(1)
            cspy.go(reader)
        while rounds.load() < 20:
            cspy.gosched()
        start = rounds.load()
        rw.lock()  # must get in although readers never pause
        got_in_at = rounds.load()
        stop.store(1)
        rw.unlock()
        wg.wait()
        return start, got_in_at

    start, got_in_at = cspy.run(main, procs=procs)
    assert got_in_at < budget, f"the writer got in only after the readers stopped ({got_in_at} rounds)"
    assert got_in_at >= start >= 20


def test_waiting_writer_blocks_new_readers() -> None:
    def main() -> list[str]:
        rw = cspy.RWMutex()
        order: list[str] = []
        wg = cspy.WaitGroup()
        rw.rlock()

        def writer() -> None:
            with rw:
                order.append("writer")
            wg.done()

        def late_reader() -> None:
            with rw.rlocker():
                order.append("late reader")
            wg.done()

        wg.add(2)
        cspy.go(writer)
        cspy.gosched()  # the writer waits for our read lock
        assert not rw.try_rlock()
        cspy.go(late_reader)
        cspy.gosched()  # the late reader must queue behind the waiting writer
        order.append("first reader leaves")
        rw.runlock()
        wg.wait()
        return order

    assert cspy.run(main, procs=1) == ["first reader leaves", "writer", "late reader"]


def test_try_lock_and_try_rlock() -> None:
    def main() -> list[bool]:
        rw = cspy.RWMutex()
        out = [rw.try_rlock(), rw.try_rlock(), rw.try_lock()]
        rw.runlock()
        rw.runlock()
        out += [rw.try_lock(), rw.try_rlock(), rw.try_lock()]
        rw.unlock()
        return out

    assert cspy.run(main, procs=1) == [True, True, False, True, False, False]


def test_misuse_errors() -> None:
    def main() -> None:
        rw = cspy.RWMutex()
        with pytest.raises(RuntimeError, match="runlock of unlocked RWMutex"):
            rw.runlock()
        with pytest.raises(RuntimeError, match="unlock of unlocked RWMutex"):
            rw.unlock()
        rw.rlock()
        with pytest.raises(RuntimeError, match="unlock of unlocked RWMutex"):
            rw.unlock()  # a read lock is not the write lock
        rw.runlock()
        rw.lock()
        with pytest.raises(RuntimeError, match="runlock of unlocked RWMutex"):
            rw.runlock()
        rw.unlock()

    cspy.run(main, procs=1)

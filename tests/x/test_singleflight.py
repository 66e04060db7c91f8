"""singleflight: concurrent duplicate calls share one execution and its outcome."""

from __future__ import annotations

import time

import pytest

import cspy
from cspy.x import singleflight
from tests.conftest import PROCS


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_1000_concurrent_calls_collapse_into_one(procs: int) -> None:
    def main() -> tuple[int, list[tuple[str, bool]]]:
        sf: singleflight.Group[str] = singleflight.Group()
        calls = cspy.AtomicInt()
        arrived = cspy.WaitGroup()
        arrived.add(1000)
        release = cspy.Chan[None]()
        results: list[tuple[str, bool]] = []
        wg = cspy.WaitGroup()

        def load() -> str:
            calls.add(1)
            arrived.wait()  # every caller is in do() before the call finishes
            release.recv_ok()
            return "value"

        def caller() -> None:
            arrived.done()
            results.append(sf.do("key", load))
            wg.done()

        for _ in range(1000):
            wg.add(1)
            cspy.go(caller)
        arrived.wait()
        # ``arrived`` only says each caller is about to call do(): on another processor it may
        # not be inside yet. Release the call once all 1,000 wait (999 on it, 1 in it).
        deadline = time.monotonic() + 30
        while sum(cspy.stats().parked.values()) < 1000 and time.monotonic() < deadline:
            cspy.sleep(0.001)
        release.close()
        wg.wait()
        return calls.load(), results

    calls, results = cspy.run(main, procs=procs)
    assert calls == 1
    assert results == [("value", True)] * 1000


def test_exception_is_raised_in_every_sharing_caller_and_key_is_released() -> None:
    def main() -> list[str]:
        sf: singleflight.Group[int] = singleflight.Group()
        gate = cspy.Chan[None]()
        out: list[str] = []
        wg = cspy.WaitGroup()

        def boom() -> int:
            gate.recv_ok()
            raise ValueError("bad")

        def caller() -> None:
            try:
                sf.do("k", boom)
            except ValueError as exc:
                out.append(str(exc))
            wg.done()

        for _ in range(3):
            wg.add(1)
            cspy.go(caller)
        cspy.gosched()
        gate.close()
        wg.wait()
        out.append(repr(sf.do("k", lambda: 7)))  # not a cache: runs again, alone
        return out

    assert cspy.run(main, procs=1) == ["bad", "bad", "bad", "(7, False)"]


def test_different_keys_do_not_share_and_forget() -> None:
    def main() -> list[object]:
        sf: singleflight.Group[str] = singleflight.Group()
        gate = cspy.Chan[None]()
        calls: list[str] = []
        res = cspy.Chan[object](3)

        def load(k: str) -> str:
            calls.append(k)
            gate.recv_ok()
            return k

        cspy.go(lambda: res.send(sf.do("a", lambda: load("a"))))
        cspy.go(lambda: res.send(sf.do("b", lambda: load("b"))))
        cspy.gosched()
        sf.forget("a")  # the next "a" does not join the in-flight one
        cspy.go(lambda: res.send(sf.do("a", lambda: load("a2"))))
        cspy.gosched()
        gate.close()
        got = sorted(repr(res.recv()) for _ in range(3))
        return [sorted(calls), got]

    assert cspy.run(main, procs=1) == [
        ["a", "a2", "b"],
        ["('a', False)", "('a2', False)", "('b', False)"],
    ]

"""Ctrl-C (sigint.py): SIGINT stops the runtime cleanly, whatever the main thread was doing."""

from __future__ import annotations

import os
import random
import signal
import threading

import pytest

import cspy
from cspy.scheduler import running
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


def ctrl_c_after(seconds: float) -> None:
    threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT)).start()


@pytest.mark.parametrize("procs", [1, 2])
def test_ctrl_c_stops_runtime_and_propagates(procs: int) -> None:
    def main() -> None:
        cspy.go(lambda: [cspy.gosched() for _ in iter(int, 1)])  # busy forever
        ctrl_c_after(0.1)
        cspy.sleep(30)

    with pytest.raises(KeyboardInterrupt):
        cspy.run(main, procs=procs)
    assert running() is None


def test_ctrl_c_while_idle() -> None:
    def main() -> None:
        ctrl_c_after(0.1)
        cspy.sleep(30)

    with pytest.raises(KeyboardInterrupt):
        cspy.run(main, procs=1)


@pytest.mark.parametrize("procs", PROCS)
def test_ctrl_c_during_channel_traffic_never_hangs(procs: int) -> None:
    """The main thread is mostly inside channel operations, holding channel locks; an
    interrupt raised there would leave a lock held and the shutdown waiting on it forever."""
    rng = random.Random(procs)

    def producer(ch: cspy.Chan[int]) -> None:
        while True:
            ch.send(1)

    def main() -> None:
        ch = cspy.Chan[int](4)
        for _ in range(8):
            cspy.go(producer, ch)
        ctrl_c_after(rng.uniform(0.005, 0.05))
        while True:
            ch.recv()

    for _ in range(10):
        with pytest.raises(KeyboardInterrupt):
            cspy.run(main, procs=procs)
        assert running() is None


def test_second_ctrl_c_interrupts_a_task_that_never_yields() -> None:
    def main() -> None:
        ctrl_c_after(0.05)
        ctrl_c_after(0.3)
        while True:  # never yields: the first Ctrl-C cannot stop the runtime
            pass

    with pytest.raises(KeyboardInterrupt):
        cspy.run(main, procs=1)
    assert running() is None


def test_ctrl_c_just_before_main_returns_is_not_lost() -> None:
    def main() -> int:
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs before the next line
        return 1

    with pytest.raises(KeyboardInterrupt):
        cspy.run(main, procs=1)


def test_default_handler_is_restored_and_a_programs_own_is_left_alone() -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    cspy.run(lambda: None)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    seen: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        def main() -> None:
            os.kill(os.getpid(), signal.SIGINT)
            cspy.sleep(0.01)

        cspy.run(main, procs=1)  # the program's handler took the signal: no KeyboardInterrupt
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [signal.SIGINT]

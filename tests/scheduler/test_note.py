"""note.py: a processor's wake-up; and Ctrl-C reaching a processor asleep on the main thread."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import cspy
from cspy.scheduler.note import Note

pytestmark = pytest.mark.timeout(60)


def test_set_before_wait_returns_at_once_and_clear_rearms() -> None:
    n = Note()
    n.set()
    assert n.is_set() and n.wait(None) is True
    n.clear()
    assert not n.is_set()
    assert n.wait(0.01) is False  # times out: nothing set since the clear
    n.close()


def test_set_from_another_thread_wakes_a_waiter() -> None:
    n = Note()
    woke = threading.Event()

    def waiter() -> None:
        if n.wait(None):
            woke.set()

    t = threading.Thread(target=waiter)
    t.start()
    n.set()
    t.join(30)
    assert woke.is_set() and not t.is_alive()
    n.close()


def test_a_watched_fd_ends_the_wait_and_is_drained() -> None:
    n = Note()
    r, w = os.pipe()
    os.set_blocking(r, False)
    n.watch(r)
    os.write(w, b"\0")
    assert n.wait(None) is False  # woken by the fd, not set
    assert n.wait(0.01) is False  # drained: the next wait sleeps again
    n.close()
    os.close(r)
    os.close(w)


def test_set_after_close_is_a_no_op() -> None:
    n = Note()
    n.close()
    n.set()  # must not write to a closed (maybe reused) fd
    assert n.is_set()


@pytest.mark.parametrize("procs", [1, 2])
def test_ctrl_c_wakes_an_idle_program(procs: int) -> None:
    """Every task asleep for an hour: Ctrl-C must still end the run. A Python signal handler runs
    on the main thread, where processor 0 sleeps; without the wake-up fd the handler waited for
    that sleep to end (3.13t: for the hour)."""
    for _ in range(5):

        def main() -> None:
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
            cspy.sleep(3600)

        with pytest.raises(KeyboardInterrupt):
            cspy.run(main, procs=procs)
    assert signal.set_wakeup_fd(-1) == -1, "run left its signal wake-up fd installed"


def test_the_signal_wakeup_fd_wakes_processor_0() -> None:
    """Deterministic half of the above: a byte on the wake-up fd (what the C-level signal handler
    writes, even when the signal lands just before processor 0 goes to sleep) wakes it."""
    from cspy.scheduler import running

    woke: list[bool] = []

    def poke(fd: int) -> None:
        rt = running()
        assert rt is not None
        p0 = rt.ps[0]
        deadline = time.monotonic() + 20
        while not p0.idle and time.monotonic() < deadline:  # wait until it sleeps
            time.sleep(0.001)
        before = p0.ticks
        os.write(fd, b"\0")
        while p0.ticks == before and time.monotonic() < deadline:
            time.sleep(0.001)
        woke.append(p0.ticks != before)
        os.kill(os.getpid(), signal.SIGINT)  # and end the run

    def main() -> None:
        fd = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(fd, warn_on_full_buffer=False)
        assert fd != -1, "run installed no wake-up fd"
        threading.Thread(target=poke, args=(fd,)).start()
        cspy.sleep(3600)

    with pytest.raises(KeyboardInterrupt):
        cspy.run(main, procs=1)
    assert woke == [True], "processor 0 slept through a byte on the signal wake-up fd"

"""The runtime's netpoll: who polls when (idle block, kick, sysmon), and exactly-once claims."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

import cspy
from cspy.scheduler import TaskState, WaitReason, running
from tests.conftest import PROCS
from tests.stress.util import wait_parked


def _late_writer(addr: tuple[str, int], when: Callable[[], bool], data: bytes) -> threading.Thread:
    """A plain-socket peer that connects, then sends ``data`` once ``when()`` holds (checked
    every millisecond; after 10 s it sends anyway, and the test's own check fails)."""

    def peer() -> None:
        with socket.create_connection(addr) as s:
            _until(when)
            s.sendall(data)
            s.recv(1)  # until the runtime closes the connection

    t = threading.Thread(target=peer, daemon=True)
    t.start()
    return t


def _until(pred: Callable[[], bool], seconds: float = 10.0) -> bool:
    """On a plain thread: wait until ``pred()`` holds; False after ``seconds``."""
    give_up = time.monotonic() + seconds
    while not pred():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.001)
    return True


def _poll_blocked() -> Callable[[], bool]:
    """Whether an idle processor of the running runtime blocks in the netpoll now."""
    rt = running()
    assert rt is not None
    return lambda: rt.netpoll.blocked is not None


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", PROCS)
def test_an_idle_processor_blocks_in_the_poll_and_is_readied_by_it(procs: int) -> None:
    def main() -> tuple[bytes, int]:
        with cspy.net.listen("127.0.0.1", 0) as ln:
            # The data comes only while a processor blocks in the poll: the poll readies us.
            _late_writer(ln.addr, _poll_blocked(), b"late")
            with ln.accept() as conn:
                data = conn.read(4)
        rt = running()
        assert rt is not None
        return data, rt.netpoll.blocks

    data, blocks = cspy.run(main, procs=procs)
    assert data == b"late" and blocks >= 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", PROCS)
def test_a_wake_up_from_another_thread_interrupts_a_blocked_poll(procs: int) -> None:
    """The reader's socket never gets data and no timer is pending, so an idle processor blocks
    in the poll with no timeout: only the kick from the offload thread can end it."""

    def main() -> str:
        ln = cspy.net.listen("127.0.0.1", 0)
        client = cspy.net.dial(*ln.addr)
        server = ln.accept()
        out: cspy.Chan[str] = cspy.Chan(1)

        def reader() -> None:
            try:
                server.read(1)
                out.send("data?")
            except cspy.net.ClosedError:
                out.send("closed")

        wait_parked(cspy.go(reader), WaitReason.IO_WAIT)
        # The offload call returns (readying main from its thread) only once an idle processor
        # blocks in the poll, where nothing but that wake-up's kick can reach it.
        blocked = _poll_blocked()
        saw_block = cspy.blocking(_until, blocked)
        assert saw_block, "no processor blocked in the poll"
        server.close()
        client.close()
        ln.close()
        return out.recv()

    assert cspy.run(main, procs=procs) == "closed"


@pytest.mark.timeout(30)
def test_sysmon_polls_when_the_processor_never_runs_out_of_work() -> None:
    """One processor, always busy (a task that yields but never parks): only sysmon polls."""

    def main() -> bytes:
        with cspy.net.listen("127.0.0.1", 0) as ln:
            parked = threading.Event()
            _late_writer(ln.addr, parked.is_set, b"ping")
            conn = ln.accept()
            got: list[bytes] = []
            reader = cspy.go(lambda: got.append(conn.read(4)))
            give_up = time.monotonic() + 10
            while not got and time.monotonic() < give_up:
                if reader.snapshot()[:2] == (TaskState.WAITING, WaitReason.IO_WAIT):
                    parked.set()  # the data comes only once the reader waits for it
                cspy.gosched()
            conn.close()
            return got[0] if got else b""

    assert cspy.run(main, procs=1) == b"ping"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_deadline_racing_readiness_loses_no_byte(procs: int) -> None:
    """Reads with deadlines about as long as the peer's pauses: each wait ends exactly once,
    by data or by timeout, and every byte arrives exactly once, in order."""
    n = 200

    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        client = cspy.net.dial(*ln.addr)
        server = ln.accept()

        def writer() -> None:
            for i in range(n):
                client.write(bytes([i % 256]))
                cspy.sleep(0.001 * (i % 3))

        cspy.go(writer)
        buf = bytearray()
        while len(buf) < n:
            server.set_read_deadline(0.001)
            try:
                buf += server.read(n - len(buf))
            except cspy.net.Timeout:
                pass
        server.set_read_deadline(None)
        for c in (client, server, ln):
            c.close()
        return bytes(buf)

    assert cspy.run(main, procs=procs) == bytes(i % 256 for i in range(n))

"""The runtime's netpoll: who polls when (idle block, kick, sysmon), and exactly-once claims."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import cspy
from cspy.scheduler import running
from tests.conftest import PROCS


def _late_writer(addr: tuple[str, int], delay: float, data: bytes) -> threading.Thread:
    def peer() -> None:
        with socket.create_connection(addr) as s:
            time.sleep(delay)
            s.sendall(data)
            s.recv(1)  # until the runtime closes the connection

    t = threading.Thread(target=peer, daemon=True)
    t.start()
    return t


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", PROCS)
def test_an_idle_processor_blocks_in_the_poll_and_is_readied_by_it(procs: int) -> None:
    def main() -> tuple[bytes, int]:
        with cspy.net.listen("127.0.0.1", 0) as ln:
            _late_writer(ln.addr, 0.1, b"late")
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

        cspy.go(reader)
        cspy.blocking(time.sleep, 0.1)  # readied from the offload thread
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
            _late_writer(ln.addr, 0.05, b"ping")
            conn = ln.accept()
            got: list[bytes] = []
            cspy.go(lambda: got.append(conn.read(4)))
            give_up = time.monotonic() + 10
            while not got and time.monotonic() < give_up:
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

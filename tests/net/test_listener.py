"""Listener and listen: accept, closing wakes accept, several acceptors, errors."""

from __future__ import annotations

import pytest

import cspy
from cspy.scheduler import WaitReason
from tests.conftest import PROCS
from tests.net.conftest import echo_server
from tests.stress.util import wait_parked


@pytest.mark.parametrize("procs", PROCS)
def test_close_wakes_every_blocked_accept(procs: int) -> None:
    def main() -> list[str]:
        ln = cspy.net.listen("127.0.0.1", 0)
        out: cspy.Chan[str] = cspy.Chan(3)

        def acceptor() -> None:
            try:
                ln.accept()
                out.send("accepted")
            except cspy.net.ClosedError as exc:
                out.send(exc.strerror or "")

        # All three blocked before the close: one waiting for readiness, two for their turn.
        for t in [cspy.go(acceptor) for _ in range(3)]:
            wait_parked(t, WaitReason.IO_WAIT)
        ln.close()
        ln.close()  # twice is fine
        return [out.recv() for _ in range(3)]

    msgs = cspy.run(main, procs=procs)
    assert len(msgs) == 3
    assert all(m.startswith("accept tcp 127.0.0.1:") and m.endswith("use of closed network connection") for m in msgs)


@pytest.mark.parametrize("procs", PROCS)
def test_several_acceptors_each_connection_accepted_once(procs: int) -> None:
    n = 50

    def main() -> list[int]:
        ln = cspy.net.listen("127.0.0.1", 0, backlog=n)
        got: cspy.Chan[int] = cspy.Chan(n)

        def acceptor() -> None:
            while True:
                try:
                    conn = ln.accept()
                except cspy.net.ClosedError:
                    return
                got.send(conn.read(1)[0])
                conn.close()

        for _ in range(4):
            cspy.go(acceptor)
        for i in range(n):
            with cspy.net.dial(*ln.addr) as conn:
                conn.write(bytes([i]))
        ids = sorted(got.recv() for _ in range(n))
        ln.close()
        return ids

    assert cspy.run(main, procs=procs) == list(range(n))


def test_addr_has_the_port_the_os_chose() -> None:
    def main() -> tuple[str, int]:
        with cspy.net.listen("127.0.0.1", 0) as ln:
            return ln.addr

    host, port = cspy.run(main)
    assert host == "127.0.0.1" and 0 < port < 65536


def test_listen_errors_are_explained() -> None:
    def main() -> None:
        with pytest.raises(ValueError, match="port"):
            cspy.net.listen("127.0.0.1", -1)
        with pytest.raises(ValueError, match="backlog"):
            cspy.net.listen("127.0.0.1", 0, backlog=-5)
        with cspy.net.listen("127.0.0.1", 0) as ln:
            with pytest.raises(OSError, match="address already in use") as info:
                cspy.net.listen("127.0.0.1", ln.addr[1])
            assert (info.value.strerror or "").startswith(f"listen tcp 127.0.0.1:{ln.addr[1]}")
        with pytest.raises(cspy.net.ClosedError):
            ln.accept()

    cspy.run(main)


def test_accepted_connection_outlives_its_listener() -> None:
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        conn = cspy.net.dial(*ln.addr)
        conn.write(b"a")
        first = conn.read(1)
        ln.close()
        conn.write(b"b")
        return first + conn.read(1)

    assert cspy.run(main) == b"ab"


def test_listen_outside_a_runtime_is_explained() -> None:
    with pytest.raises(RuntimeError, match=r"cspy\.run"):
        cspy.net.listen("127.0.0.1", 0)

"""Conn and dial: echo under load, deadlines, resets, closing, contexts, turns."""

from __future__ import annotations

import os
import pathlib
import select
import socket
import struct
import threading
from typing import Any

import pytest

import cspy
from cspy import context
from cspy.scheduler import WaitReason
from tests.conftest import PROCS
from tests.net.conftest import CancelledForTest, FakeContext, echo_server, open_fds, read_exactly
from tests.stress.util import wait_parked

# 1,000 concurrent client tasks. Each sends 20 messages by default (20,000 round trips per run,
# a few seconds); CSPY_NET_ECHO_MESSAGES=100 runs the full 100,000 (about 20-30 s per run on a
# shared 2-core machine, too slow for every test run).
CLIENTS = 1000
MESSAGES = int(os.environ.get("CSPY_NET_ECHO_MESSAGES", "20"))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2])
def test_echo_many_concurrent_clients_every_byte_in_order(procs: int, no_leaks: None) -> None:
    # Each client appends (its id, round trips done) once: list.append is atomic on every
    # build, so a client run twice shows as a duplicate (a shared counter could hide it).
    def client(addr: tuple[str, int], cid: int, got: list[tuple[int, int]], wg: cspy.WaitGroup) -> None:
        done = 0
        with cspy.net.dial(*addr) as conn:
            for seq in range(MESSAGES):
                msg = struct.pack("!II", cid, seq) + bytes([seq % 256]) * (seq % 37)
                conn.write(msg)
                assert read_exactly(conn, len(msg)) == msg
                done += 1
        got.append((cid, done))
        wg.done()

    def main() -> list[tuple[int, int]]:
        ln = cspy.net.listen("127.0.0.1", 0, backlog=CLIENTS)
        cspy.go(echo_server, ln)
        got: list[tuple[int, int]] = []
        wg = cspy.WaitGroup()
        wg.add(CLIENTS)
        for cid in range(CLIENTS):
            cspy.go(client, ln.addr, cid, got, wg)
        wg.wait()
        ln.close()
        return got

    assert sorted(cspy.run(main, procs=procs)) == [(cid, MESSAGES) for cid in range(CLIENTS)]


@pytest.mark.parametrize("procs", PROCS)
def test_read_deadline_fires_and_connection_stays_usable(procs: int) -> None:
    def main() -> tuple[bytes, bytes]:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        with cspy.net.dial(*ln.addr) as conn:
            conn.set_read_deadline(0.05)
            with pytest.raises(cspy.net.Timeout, match="i/o timeout"):
                conn.read()
            # Past the deadline every read fails at once, data or not (Go's semantics).
            with pytest.raises(TimeoutError):
                conn.read()
            conn.set_read_deadline(None)
            conn.write(b"still")
            first = read_exactly(conn, 5)
            conn.set_deadline(5.0)
            conn.write(b"there")
            return first, read_exactly(conn, 5)

    assert cspy.run(main, procs=procs) == (b"still", b"there")


@pytest.mark.parametrize("procs", PROCS)
def test_new_deadline_applies_to_a_read_in_progress(procs: int) -> None:
    def main() -> str:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        conn = cspy.net.dial(*ln.addr)
        out: cspy.Chan[str] = cspy.Chan(1)

        def reader() -> None:
            try:
                conn.read()
                out.send("read returned")
            except cspy.net.Timeout:
                out.send("timeout")

        wait_parked(cspy.go(reader), WaitReason.IO_WAIT)  # parked with no deadline
        conn.set_read_deadline(0.01)
        return out.recv()

    assert cspy.run(main, procs=procs) == "timeout"


@pytest.mark.parametrize("procs", PROCS)
def test_write_deadline_fires_when_the_peer_does_not_read(procs: int) -> None:
    def main() -> int:
        ln = cspy.net.listen("127.0.0.1", 0)
        conn = cspy.net.dial(*ln.addr)
        peer = ln.accept()  # never reads
        conn.set_write_deadline(0.1)
        chunk = b"x" * 65536
        written = 0
        with pytest.raises(cspy.net.Timeout, match="write tcp"):
            for _ in range(10_000):  # a few MB fill both socket buffers long before that
                written += conn.write(chunk)
        peer.close()
        conn.close()
        return written

    assert cspy.run(main, procs=procs) > 0


@pytest.mark.parametrize("procs", PROCS)
def test_large_write_arrives_whole(procs: int) -> None:
    size = 4 * 1024 * 1024

    def main() -> bool:
        ln = cspy.net.listen("127.0.0.1", 0)
        data = bytes(range(256)) * (size // 256)

        def sender() -> None:
            with cspy.net.dial(*ln.addr) as conn:
                assert conn.write(data) == size

        cspy.go(sender)
        with ln.accept() as conn:
            got = bytearray()
            while chunk := conn.read(100_000):
                got += chunk
        return bytes(got) == data

    assert cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_peer_reset_raises_in_the_reading_task_only(procs: int) -> None:
    def main() -> tuple[str, bytes]:
        ln = cspy.net.listen("127.0.0.1", 0)
        victim = cspy.net.dial(*ln.addr)
        peer = ln.accept()
        cspy.go(echo_server, ln)
        other = cspy.net.dial(*ln.addr)
        result: cspy.Chan[str] = cspy.Chan(1)

        def reader() -> None:
            try:
                victim.read()
                result.send("no error")
            except ConnectionResetError as exc:
                result.send(exc.strerror)

        wait_parked(cspy.go(reader), WaitReason.IO_WAIT)
        # Abort the connection: SO_LINGER 0 makes close send RST instead of FIN.
        peer._fd.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()
        msg = result.recv()
        other.write(b"unaffected")
        return msg, read_exactly(other, 10)

    msg, echoed = cspy.run(main, procs=procs)
    assert "connection reset by peer" in msg and msg.startswith("read tcp 127.0.0.1:")
    assert echoed == b"unaffected"


@pytest.mark.parametrize("procs", PROCS)
def test_close_wakes_a_blocked_read_with_a_clear_error(procs: int) -> None:
    def main() -> str:
        ln = cspy.net.listen("127.0.0.1", 0)
        conn = cspy.net.dial(*ln.addr)
        out: cspy.Chan[str] = cspy.Chan(1)

        def reader() -> None:
            try:
                conn.read()
            except cspy.net.ClosedError as exc:
                out.send(str(exc))

        wait_parked(cspy.go(reader), WaitReason.IO_WAIT)
        conn.close()
        conn.close()  # twice is fine
        msg = out.recv()
        with pytest.raises(cspy.net.ClosedError):
            conn.write(b"x")
        return msg

    assert "use of closed network connection" in cspy.run(main, procs=procs)


def test_dial_refused_names_the_address() -> None:
    # A port that was just free: bind, read the port, close, dial.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()

    def main() -> str:
        with pytest.raises(ConnectionRefusedError) as info:
            cspy.net.dial("127.0.0.1", port)
        return info.value.strerror

    assert cspy.run(main) == f"dial tcp 127.0.0.1:{port}: connection refused"


def _full_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A plain listening socket whose accept queue is full (backlog 0, never accepted).

    Linux drops a SYN that arrives while the accept queue is full (unless
    net.ipv4.tcp_abort_on_overflow is set, which answers with a reset), so a connect to it
    neither completes nor fails: the only way out is the dialer's timeout. The first filler
    takes the one place in the queue; fillers are added until one stays unconnected (the queue
    is full), and two more make sure of it.
    """
    abort = pathlib.Path("/proc/sys/net/ipv4/tcp_abort_on_overflow")
    assert abort.read_text().strip() == "0", f"{abort} is set: a full accept queue resets instead"
    ln = socket.socket()
    ln.bind(("127.0.0.1", 0))
    ln.listen(0)
    fillers: list[socket.socket] = []
    pending = 0
    while pending < 3:
        assert len(fillers) < 64, "the accept queue never filled"
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(ln.getsockname())
        fillers.append(s)
        _, writable, _ = select.select([], [s], [], 5.0 if not fillers[:-1] else 0.05)
        if pending or not writable:  # the first unconnected filler: the queue is full
            pending += 1
    return ln, fillers


def test_dial_timeout_ends_a_connect_that_never_completes() -> None:
    ln, fillers = _full_listener()
    fds = open_fds()

    def main() -> str:
        out = cspy.Chan[str](1)

        def dialer() -> None:
            try:
                cspy.net.dial(*ln.getsockname(), timeout=0.1)
                out.send("connected")
            except cspy.net.Timeout as exc:
                out.send(exc.strerror or "")

        cspy.go(dialer)
        # A generous guard, so that a dial that ignores its timeout fails here, not by hanging.
        i, msg, _ = cspy.select(cspy.Recv(out), cspy.Recv(cspy.after(30)))
        return msg if i == 0 else "dial still waiting after 30 s"

    try:
        msg = cspy.run(main)
        assert open_fds() == fds, "the timed-out dial left its socket open"
    finally:
        for s in (ln, *fillers):
            s.close()
    assert msg.startswith("dial tcp 127.0.0.1:") and msg.endswith("i/o timeout"), msg


def test_dial_by_name_and_addresses() -> None:
    def main() -> tuple[Any, Any, bytes]:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        with cspy.net.dial("localhost", ln.addr[1], timeout=5.0) as conn:
            conn.write(b"hi")
            return conn.remote_addr, conn.local_addr, read_exactly(conn, 2)

    remote, local, data = cspy.run(main)
    assert remote[1] > 0 and local[0] == "127.0.0.1" and data == b"hi"


def test_close_write_sends_end_of_stream_and_reading_still_works() -> None:
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        with cspy.net.dial(*ln.addr) as conn:
            conn.write(b"abc")
            conn.close_write()
            got = b""
            while data := conn.read():
                got += data
            return got

    assert cspy.run(main) == b"abc"


@pytest.mark.parametrize("procs", PROCS)
def test_concurrent_readers_take_turns_each_byte_once(procs: int) -> None:
    n = 2000

    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        conn = cspy.net.dial(*ln.addr)
        peer = ln.accept()
        got: cspy.Chan[bytes] = cspy.Chan(100)
        wg = cspy.WaitGroup()

        def reader() -> None:
            while data := conn.read(7):
                got.send(data)
            wg.done()

        for _ in range(4):
            wg.add(1)
            cspy.go(reader)
        for i in range(n):
            peer.write(struct.pack("!I", i))
        peer.close()
        cspy.go(lambda: (wg.wait(), got.close()))
        return b"".join(got)

    # Readers take turns on the socket, but a reader forwards its chunk after giving up its
    # turn, so chunks from two processors may arrive swapped: compare every byte, as a multiset.
    sent = b"".join(struct.pack("!I", i) for i in range(n))
    assert sorted(cspy.run(main, procs=procs)) == sorted(sent)


@pytest.mark.parametrize("procs", [1, 2])
def test_context_cancel_wakes_a_blocked_read(procs: int) -> None:
    def main() -> str:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        conn = cspy.net.dial(*ln.addr)
        ctx = FakeContext()
        out: cspy.Chan[str] = cspy.Chan(1)

        def reader() -> None:
            try:
                conn.read(ctx=ctx)
                out.send("read returned")
            except CancelledForTest:
                out.send("cancelled")

        wait_parked(cspy.go(reader), WaitReason.IO_WAIT)
        ctx.cancel()
        first = out.recv()
        # The connection is still usable, and an uncancelled context does not disturb a read.
        with pytest.raises(CancelledForTest):
            conn.read(ctx=ctx)
        conn.write(b"ok")
        return first + ":" + read_exactly(conn, 2).decode()

    assert cspy.run(main, procs=procs) == "cancelled:ok"


def test_context_that_is_not_cancelled_leaves_reads_alone() -> None:
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        ctx = FakeContext()
        conn = cspy.net.dial(*ln.addr, ctx=ctx)
        got = b""
        for i in range(50):
            conn.write(bytes([i]))
            got += conn.read(1, ctx=ctx)
        ctx.cancel()
        return got

    assert cspy.run(main) == bytes(range(50))


def test_with_a_cspy_context() -> None:
    def main() -> str:
        ln = cspy.net.listen("127.0.0.1", 0)
        conn = cspy.net.dial(*ln.addr)
        ctx, cancel = context.with_cancel(context.background())
        me = cspy.current_task()
        cspy.go(lambda: (wait_parked(me, WaitReason.IO_WAIT), cancel()))
        try:
            conn.read(ctx=ctx)
        except BaseException as exc:
            return type(exc).__name__
        return "read returned"

    assert cspy.run(main) == "Canceled"


def test_bad_arguments_are_explained() -> None:
    def main() -> None:
        with pytest.raises(ValueError, match="port"):
            cspy.net.dial("127.0.0.1", 70000)
        with pytest.raises(TypeError, match="host"):
            cspy.net.dial(None, 80)  # type: ignore[arg-type]
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        with cspy.net.dial(*ln.addr) as conn:
            with pytest.raises(ValueError, match="max_bytes"):
                conn.read(0)
            with pytest.raises(TypeError, match="seconds"):
                conn.set_deadline("soon")  # type: ignore[arg-type]

    cspy.run(main)


def test_timeout_is_a_timeout_error() -> None:
    assert issubclass(cspy.net.Timeout, TimeoutError)
    assert issubclass(cspy.net.ClosedError, OSError)


def test_server_talks_to_a_plain_socket_thread() -> None:
    """A peer outside the runtime (a plain blocking socket on a thread) sees ordinary TCP."""
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        out: list[bytes] = []

        def peer() -> None:
            with socket.create_connection(ln.addr) as s:
                s.sendall(b"plain")
                out.append(s.recv(5))

        t = threading.Thread(target=peer)
        t.start()
        cspy.blocking(t.join)
        return out[0]

    assert cspy.run(main) == b"plain"




def test_read_with_a_context_timeout_raises_deadline_exceeded() -> None:
    def main() -> str:
        ln = cspy.net.listen("127.0.0.1", 0)
        conn = cspy.net.dial(*ln.addr)
        ctx, cancel = context.with_timeout(context.background(), 0.05)
        try:
            conn.read(ctx=ctx)
        except context.DeadlineExceeded:
            return "deadline exceeded"
        finally:
            cancel()
        return "read returned"

    assert cspy.run(main) == "deadline exceeded"

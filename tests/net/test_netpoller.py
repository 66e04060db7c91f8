"""The netpoller thread and call_async: results, errors, deadlock detection, clean shutdown."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import trio

import cspy
from tests.conftest import PROCS
from tests.net.conftest import echo_server, open_fds


@pytest.mark.parametrize("procs", PROCS)
def test_call_async_returns_the_result_and_reraises_the_error(procs: int) -> None:
    async def add(a: int, b: int) -> int:
        await trio.sleep(0)
        return a + b

    class Boom(Exception):
        pass

    async def fail() -> None:
        await trio.sleep(0)
        raise Boom("from trio")

    def main() -> tuple[int, str]:
        total = cspy.call_async(add, 40, 2)
        with pytest.raises(Boom, match="from trio") as info:
            cspy.call_async(fail)
        return total, type(info.value).__name__

    assert cspy.run(main, procs=procs) == (42, "Boom")


@pytest.mark.parametrize("procs", PROCS)
def test_many_tasks_wait_on_call_async_at_once(procs: int) -> None:
    n = 200

    async def slow_double(x: int) -> int:
        await trio.sleep(0.05)
        return 2 * x

    def main() -> list[int]:
        out: cspy.Chan[int] = cspy.Chan(n)
        for i in range(n):
            cspy.go(lambda i=i: out.send(cspy.call_async(slow_double, i)))
        return sorted(out.recv() for _ in range(n))

    assert cspy.run(main, procs=procs) == [2 * i for i in range(n)]


def test_call_async_needs_an_async_function() -> None:
    def main() -> None:
        with pytest.raises(TypeError, match="async function"):
            cspy.call_async(len, "abc")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="async function"):
            cspy.call_async(42)  # type: ignore[arg-type]

    cspy.run(main)


def test_call_async_outside_a_task_is_explained() -> None:
    with pytest.raises(RuntimeError, match=r"cspy\.run"):
        cspy.call_async(trio.sleep, 0)


@pytest.mark.parametrize("procs", PROCS)
def test_a_task_waiting_on_a_socket_does_not_block_its_processor(procs: int) -> None:
    """While the reader is parked on its socket, a CPU-bound task on the same processor runs;
    it is the one that finally sends the data the reader waits for."""
    target = 200_000

    def main() -> tuple[bytes, int, bool]:
        ln = cspy.net.listen("127.0.0.1", 0)
        a = cspy.net.dial(*ln.addr)
        b = ln.accept()
        reader_task: list[cspy.Task] = []
        result: cspy.Chan[bytes] = cspy.Chan(1)
        seen_parked = [False]

        def reader() -> None:
            reader_task.append(cspy.current_task())
            result.send(b.read(10))

        def counter() -> None:
            n = 0
            while n < target:
                n += 1
                if n % 1000 == 0:
                    if reader_task and "I/O wait" in repr(reader_task[0]):
                        seen_parked[0] = True
                    cspy.gosched()
            a.write(b"counted")
            counted.append(n)

        counted: list[int] = []
        cspy.go(reader)
        cspy.go(counter)
        data = result.recv()
        return data, counted[0], seen_parked[0]

    data, counted, seen_parked = cspy.run(main, procs=procs)
    assert data == b"counted" and counted == target and seen_parked


@pytest.mark.parametrize("procs", PROCS)
def test_no_false_deadlock_while_io_is_pending(procs: int) -> None:
    """Main blocks on a socket whose peer (a plain thread) writes later: nothing is runnable
    and no timer is pending, but the I/O is future work."""
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)

        def late_peer() -> None:
            with socket.create_connection(ln.addr) as s:
                time.sleep(0.2)
                s.sendall(b"late")
                s.recv(1)  # until the runtime closes it

        threading.Thread(target=late_peer, daemon=True).start()
        conn = ln.accept()
        return conn.read(4)

    assert cspy.run(main, procs=procs) == b"late"


@pytest.mark.parametrize("procs", PROCS)
def test_no_false_deadlock_while_call_async_is_pending(procs: int) -> None:
    assert cspy.run(lambda: cspy.call_async(trio.sleep, 0.2) or "done", procs=procs) == "done"


@pytest.mark.parametrize("procs", PROCS)
def test_deadlock_is_still_detected_once_io_is_over(procs: int) -> None:
    def main() -> None:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        with cspy.net.dial(*ln.addr) as conn:
            conn.write(b"x")
            conn.read(1)
        cspy.call_async(trio.sleep, 0)
        ln.close()
        never = cspy.WaitGroup()
        never.add(1)
        never.wait()  # nothing can call done(): a real deadlock

    with pytest.raises(cspy.DeadlockError, match="all tasks are asleep"):
        cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_no_thread_or_socket_outlives_run(procs: int) -> None:
    """Listeners and connections left open, tasks blocked in accept and read: run closes them."""
    threads, fds = threading.active_count(), open_fds()

    def main() -> int:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        conns = [cspy.net.dial(*ln.addr) for _ in range(20)]
        for c in conns[1:]:
            cspy.go(c.read)  # blocked until run ends
        conns[0].write(b"x")
        return len(conns[0].read(1))

    assert cspy.run(main, procs=procs) == 1
    assert threading.active_count() == threads, threading.enumerate()
    assert open_fds() == fds


def test_the_runtime_starts_again_with_a_new_poller() -> None:
    def main() -> bytes:
        ln = cspy.net.listen("127.0.0.1", 0)
        cspy.go(echo_server, ln)
        with cspy.net.dial(*ln.addr) as conn:
            conn.write(b"again")
            return conn.read(5)

    assert cspy.run(main) == b"again"
    assert cspy.run(main) == b"again"


def test_no_poller_thread_without_network_use() -> None:
    def main() -> list[str]:
        return [t.name for t in threading.enumerate()]

    assert "cspy-netpoll" not in cspy.run(main)

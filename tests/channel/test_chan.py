"""Chan: every row of API.md's Channels table, on 1, 2 and 4 processors."""

from __future__ import annotations

from typing import Any

import pytest

import cspy
from cspy.channel import track_channels, tracked_channels
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(30)


def run(main: Any, procs: int) -> Any:
    return cspy.run(main, procs=procs)


# ---- construction ----------------------------------------------------------------------------


def test_generic_alias_constructs_at_run_time() -> None:
    ch = cspy.Chan[int](10)
    assert isinstance(ch, cspy.Chan)
    assert ch.cap == 10 and len(ch) == 0 and not ch.closed
    assert cspy.Chan().cap == 0


@pytest.mark.parametrize("bad", [-1, -100])
def test_negative_capacity_is_value_error(bad: int) -> None:
    with pytest.raises(ValueError, match="capacity must be >= 0"):
        cspy.Chan(bad)


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_non_int_capacity_is_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="capacity must be an int"):
        cspy.Chan(bad)  # type: ignore[arg-type]


def test_repr_names_the_channel_and_its_queues() -> None:
    ch = cspy.Chan[int](4, name="jobs")
    ch.send(1)
    r = repr(ch)
    assert "'jobs'" in r and "cap=4" in r and "len=1" in r and "senders=0" in r
    anon = cspy.Chan[int]()
    assert f"#{anon.id}" in repr(anon)
    ch.close()
    assert "closed" in repr(ch)


# ---- unbuffered ------------------------------------------------------------------------------


@pytest.mark.parametrize("procs", PROCS)
def test_unbuffered_send_waits_for_receiver(procs: int) -> None:
    def main() -> list[str]:
        ch = cspy.Chan[int]()
        log: list[str] = []
        done = cspy.Chan[None]()

        def sender() -> None:
            ch.send(1)
            log.append("sent")
            done.send(None)

        cspy.go(sender)
        cspy.sleep(0.02)
        log.append("before recv")  # the sender is still blocked: nobody received
        assert ch.recv() == 1
        done.recv()
        return log

    assert run(main, procs) == ["before recv", "sent"]


@pytest.mark.parametrize("procs", PROCS)
def test_unbuffered_recv_waits_for_sender(procs: int) -> None:
    def main() -> int:
        ch = cspy.Chan[int]()
        cspy.go(lambda: (cspy.sleep(0.01), ch.send(42)))
        return ch.recv()

    assert run(main, procs) == 42


# ---- buffered --------------------------------------------------------------------------------


@pytest.mark.parametrize("procs", PROCS)
def test_buffered_fifo_len_cap(procs: int) -> None:
    def main() -> list[int]:
        ch = cspy.Chan[int](3)
        for i in range(3):
            ch.send(i)
        assert len(ch) == 3 and ch.cap == 3
        return [ch.recv() for _ in range(3)]

    assert run(main, procs) == [0, 1, 2]


@pytest.mark.parametrize("procs", PROCS)
def test_full_buffer_with_waiting_senders_keeps_fifo(procs: int) -> None:
    """recv from a full buffer takes the head and moves the first sender's value to the tail."""

    def main() -> list[int]:
        ch = cspy.Chan[int](2)
        ch.send(0)
        ch.send(1)
        wg = cspy.WaitGroup()
        for v in (2, 3, 4):  # each blocks, in this order
            wg.add(1)
            cspy.go(lambda v=v: (ch.send(v), wg.done()))
            while ch.waiting_senders < v - 1:
                cspy.sleep(0.001)
        out = [ch.recv() for _ in range(5)]
        wg.wait()
        assert len(ch) == 0
        return out

    assert run(main, procs) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("procs", PROCS)
def test_handoff_to_waiting_receiver_bypasses_buffer(procs: int) -> None:
    def main() -> None:
        ch = cspy.Chan[int](5)
        got = cspy.Chan[int](1)
        cspy.go(lambda: got.send(ch.recv()))
        while ch.waiting_receivers < 1:
            cspy.sleep(0.001)
        ch.send(9)
        assert len(ch) == 0  # handed over, never buffered
        assert got.recv() == 9

    run(main, procs)


@pytest.mark.parametrize("procs", PROCS)
def test_waiting_receivers_served_fifo(procs: int) -> None:
    def main() -> list[tuple[int, int]]:
        ch = cspy.Chan[int]()
        out = cspy.Chan[tuple[int, int]](3)
        for r in range(3):
            cspy.go(lambda r=r: out.send((r, ch.recv())))
            while ch.waiting_receivers < r + 1:
                cspy.sleep(0.001)
        for v in range(3):
            ch.send(v * 10)
        return sorted(out.recv() for _ in range(3))

    assert run(main, procs) == [(0, 0), (1, 10), (2, 20)]


# ---- close -----------------------------------------------------------------------------------


@pytest.mark.parametrize("procs", PROCS)
def test_buffered_values_survive_close(procs: int) -> None:
    def main() -> tuple[list[int], tuple[Any, bool]]:
        ch = cspy.Chan[int](3)
        ch.send(1)
        ch.send(2)
        ch.close()
        assert ch.closed and len(ch) == 2
        vals = [ch.recv(), ch.recv()]
        with pytest.raises(cspy.ChannelClosed):
            ch.recv()
        return vals, ch.recv_ok()

    assert run(main, procs) == ([1, 2], (None, False))


@pytest.mark.parametrize("procs", PROCS)
def test_send_on_closed_raises(procs: int) -> None:
    def main() -> None:
        for cap in (0, 4):
            ch = cspy.Chan[int](cap)
            ch.close()
            with pytest.raises(cspy.ChannelClosed, match="send on closed channel"):
                ch.send(1)

    run(main, procs)


@pytest.mark.parametrize("procs", PROCS)
def test_close_twice_raises(procs: int) -> None:
    def main() -> None:
        ch = cspy.Chan[int]()
        ch.close()
        with pytest.raises(cspy.ChannelClosed, match="close of closed channel"):
            ch.close()

    run(main, procs)


@pytest.mark.parametrize("procs", PROCS)
def test_close_wakes_all_receivers_and_senders(procs: int) -> None:
    def main() -> list[str]:
        ch = cspy.Chan[int]()
        full = cspy.Chan[int](1)
        full.send(0)
        results = cspy.Chan[str](6)

        def receiver() -> None:
            results.send(f"recv {ch.recv_ok()}")

        def sender(c: cspy.Chan[int]) -> None:
            try:
                c.send(1)
                results.send("sent")
            except cspy.ChannelClosed:
                results.send("send raised")

        for _ in range(3):
            cspy.go(receiver)
        for _ in range(3):
            cspy.go(sender, full)
        while ch.waiting_receivers < 3 or full.waiting_senders < 3:
            cspy.sleep(0.001)
        ch.close()
        full.close()
        out = sorted(results.recv() for _ in range(6))
        assert full.recv() == 0  # the buffered value survived
        return out

    assert run(main, procs) == ["recv (None, False)"] * 3 + ["send raised"] * 3


@pytest.mark.parametrize("procs", PROCS)
def test_iteration_until_closed_and_drained(procs: int) -> None:
    def main() -> list[int]:
        ch = cspy.Chan[int](2)

        def produce() -> None:
            for i in range(10):
                ch.send(i)
            ch.close()

        cspy.go(produce)
        return [v for v in ch]

    assert run(main, procs) == list(range(10))


@pytest.mark.parametrize("procs", PROCS)
def test_recv_ok_on_open_channel(procs: int) -> None:
    def main() -> tuple[Any, bool]:
        ch = cspy.Chan[str](1)
        ch.send("x")
        return ch.recv_ok()

    assert run(main, procs) == ("x", True)


def test_channel_closed_is_exception() -> None:
    assert issubclass(cspy.ChannelClosed, Exception)


# ---- cross-thread use and misuse ------------------------------------------------------------


@pytest.mark.parametrize("procs", PROCS)
def test_non_blocking_ops_from_offload_thread(procs: int) -> None:
    def main() -> list[int]:
        ch = cspy.Chan[int](2)
        cspy.blocking(lambda: (ch.send(1), ch.send(2)))
        return [ch.recv(), ch.recv()]

    assert run(main, procs) == [1, 2]


@pytest.mark.parametrize("procs", PROCS)
def test_offload_thread_send_wakes_task(procs: int) -> None:
    def main() -> int:
        ch = cspy.Chan[int](1)
        got = cspy.Chan[int](1)
        cspy.go(lambda: got.send(ch.recv()))
        while ch.waiting_receivers < 1:
            cspy.sleep(0.001)
        cspy.blocking(ch.send, 5)  # hands the value to the parked receiver from a foreign thread
        return got.recv()

    assert run(main, procs) == 5


def test_blocking_outside_a_task_is_a_clear_error() -> None:
    def main() -> None:
        ch = cspy.Chan[int]()
        with pytest.raises(RuntimeError, match="outside a cspy task"):
            cspy.blocking(ch.recv)
        with pytest.raises(RuntimeError, match="outside a cspy task"):
            cspy.blocking(ch.send, 1)
        assert ch.waiting_receivers == 0 and ch.waiting_senders == 0

    cspy.run(main, procs=1)


def test_channel_survives_across_runs() -> None:
    ch = cspy.Chan[int](1)
    cspy.run(lambda: ch.send(3), procs=2)
    assert cspy.run(ch.recv, procs=1) == 3


def test_waiter_removed_when_runtime_stops() -> None:
    ch = cspy.Chan[int]()

    def main() -> None:
        cspy.go(ch.recv)
        while ch.waiting_receivers < 1:
            cspy.gosched()

    cspy.run(main, procs=1)
    assert ch.waiting_receivers == 0  # the abandoned receiver was unwound and dequeued


# ---- observability ---------------------------------------------------------------------------


def test_tracking_off_by_default_and_weak() -> None:
    track_channels(False)
    a = cspy.Chan[int]()
    assert a not in tracked_channels()
    track_channels(True)
    try:
        b = cspy.Chan[int](name="b")
        assert b in tracked_channels()
        bid = b.id
        del b
        import gc

        gc.collect()
        assert all(c.id != bid for c in tracked_channels())
    finally:
        track_channels(False)
    assert tracked_channels() == []


@pytest.mark.parametrize("procs", PROCS)
def test_task_dump_shows_the_channel(procs: int) -> None:
    def main() -> str:
        ch = cspy.Chan[int](name="inbox")
        cspy.go(ch.recv, name="reader")
        while ch.waiting_receivers < 1:
            cspy.sleep(0.001)
        from cspy.scheduler import dump_runtime, running

        rt = running()
        assert rt is not None
        dump = dump_runtime(rt)
        ch.send(0)
        return dump

    dump = run(main, procs)
    assert "chan receive" in dump and "'inbox'" in dump

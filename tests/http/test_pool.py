"""HostPool: the cap on open connections, FIFO hand-over to waiters, giving up on a deadline or a
context without losing a slot, and idle connections past their age closed instead of reused."""

from __future__ import annotations

import time

import pytest

import cspy
from cspy.http.pool import HostPool, PooledConn
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


class FakeConn(PooledConn):
    __slots__ = ("n", "closed")

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_slots_up_to_the_cap_then_reuse_lifo() -> None:
    def main() -> tuple[list[object], int]:
        pool: HostPool[FakeConn] = HostPool("h:1", 2, None)
        got = [pool.get(None, None), pool.get(None, None)]  # two slots: dial both
        a, b = FakeConn(1), FakeConn(2)
        pool.put(a)
        pool.put(b)
        got += [pool.get(None, None), pool.get(None, None)]  # most recently used first
        return got, pool.total

    got, total = cspy.run(main)
    assert [None if g is None else g.n for g in got] == [None, None, 2, 1]  # type: ignore[attr-defined]
    assert total == 2


def test_waiters_are_served_in_order_by_put_and_release() -> None:
    def main() -> list[str]:
        pool: HostPool[FakeConn] = HostPool("h:1", 1, None)
        assert pool.get(None, None) is None
        order = cspy.Chan[str](3)

        def waiter(name: str) -> None:
            c = pool.get(None, None)
            order.send(f"{name}:{'slot' if c is None else c.n}")

        for name in ("w1", "w2"):
            cspy.go(waiter, name)
            while len(pool.waiters) < (1 if name == "w1" else 2):
                cspy.gosched()
        pool.put(FakeConn(7))  # to w1
        pool.release()  # w2 gets the slot (it will dial)
        return sorted([order.recv(), order.recv()]) + [str(pool.total)]

    assert cspy.run(main) == ["w1:7", "w2:slot", "1"]  # FIFO: the first waiter got the first


@pytest.mark.parametrize("procs", PROCS)
def test_giving_up_never_loses_a_slot(procs: int) -> None:
    def main() -> tuple[int, int, int]:
        pool: HostPool[FakeConn] = HostPool("h:1", 3, None)
        timeouts = cspy.AtomicInt()
        served = cspy.AtomicInt()
        wg = cspy.WaitGroup()

        def user(i: int) -> None:
            try:
                c = pool.get(time.monotonic() + 0.001 * (i % 5), None)
            except TimeoutError:
                timeouts.add(1)
                return
            served.add(1)
            cspy.gosched()
            if c is None or i % 3 == 0:
                pool.release()  # closed it (or never dialled)
            else:
                pool.put(c)

        for i in range(300):
            wg.go(user, i)
        wg.wait()
        return timeouts.load() + served.load(), pool.total, len(pool.waiters)

    handled, total, waiting = cspy.run(main, procs=procs)
    assert handled == 300
    assert total <= 3 and waiting == 0
    # Every slot that is not idle was given back: the pool can still reach its cap.


def test_context_cancel_stops_the_wait() -> None:
    def main() -> str:
        pool: HostPool[FakeConn] = HostPool("h:1", 1, None)
        pool.get(None, None)
        ctx, cancel = cspy.context.with_cancel(cspy.context.background())
        cspy.go(lambda: (cspy.sleep(0.01), cancel()))
        try:
            pool.get(None, ctx)
        except cspy.context.Canceled:
            return f"canceled, waiters={len(pool.waiters)}, total={pool.total}"
        return "not canceled"

    assert cspy.run(main) == "canceled, waiters=0, total=1"


def test_stale_idle_connections_are_closed_not_reused() -> None:
    def main() -> tuple[object, bool, int]:
        pool: HostPool[FakeConn] = HostPool("h:1", 2, 0.05)
        pool.get(None, None)
        old = FakeConn(1)
        pool.put(old)
        cspy.sleep(0.1)
        got = pool.get(None, None)  # the old one is past idle_timeout: a new slot instead
        return got, old.closed, pool.total

    got, closed, total = cspy.run(main)
    assert got is None and closed and total == 1


def test_close_idle_closes_and_refuses_new_gets() -> None:
    def main() -> tuple[bool, str]:
        pool: HostPool[FakeConn] = HostPool("h:1", 2, None)
        pool.get(None, None)
        c = FakeConn(1)
        pool.put(c)
        pool.close_idle(closing=True)
        try:
            pool.get(None, None)
            return c.closed, "got one"
        except RuntimeError as exc:
            return c.closed, str(exc)

    closed, msg = cspy.run(main)
    assert closed and "closed" in msg

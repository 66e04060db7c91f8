"""errgroup: waits for all, raises the first error, cancels the context, honours the limit."""

from __future__ import annotations

import pytest

import cspy
from cspy import context
from cspy.x import errgroup
from tests.conftest import PROCS


@pytest.mark.parametrize("procs", PROCS)
def test_wait_returns_when_all_succeed(procs: int) -> None:
    def main() -> list[int]:
        g = errgroup.Group()
        out = [0] * 50
        for i in range(50):
            g.go(lambda i=i: out.__setitem__(i, i + 1))
        g.wait()
        return out

    assert cspy.run(main, procs=procs) == list(range(1, 51))


@pytest.mark.parametrize("procs", PROCS)
def test_first_error_cancels_the_context_and_is_raised(procs: int) -> None:
    def main() -> tuple[str, int, bool]:
        g, ctx = errgroup.with_context(context.background())
        stopped = cspy.AtomicInt(0)

        def sibling() -> None:
            ctx.done().recv_ok()  # would wait forever without the cancel
            stopped.add(1)

        for _ in range(10):
            g.go(sibling)

        def fail() -> None:
            raise ValueError("first")

        g.go(fail)
        with pytest.raises(ValueError) as info:
            g.wait()
        return str(info.value), stopped.load(), isinstance(ctx.err(), context.Canceled)

    assert cspy.run(main, procs=procs) == ("first", 10, True)


def test_only_the_first_error_is_kept_and_wait_cancels_ctx_on_success() -> None:
    def main() -> tuple[str, object]:
        g = errgroup.Group()
        gate = cspy.Chan[None]()

        def first() -> None:
            raise KeyError("a")

        def second() -> None:
            gate.recv_ok()
            raise KeyError("b")

        g.go(first)
        g.go(second)
        cspy.gosched()
        gate.close()
        try:
            g.wait()
        except KeyError as exc:
            msg = str(exc)
        g2, ctx = errgroup.with_context(context.background())
        g2.go(lambda: None)
        g2.wait()
        return msg, type(ctx.err())

    assert cspy.run(main, procs=1) == ("'a'", context.Canceled)


@pytest.mark.parametrize("procs", PROCS)
def test_set_limit_bounds_concurrency(procs: int) -> None:
    def main() -> tuple[int, int, bool]:
        g = errgroup.Group()
        g.set_limit(3)
        inside, peak, total = cspy.AtomicInt(), cspy.AtomicInt(), cspy.AtomicInt()

        gate: cspy.Chan[None] = cspy.Chan()

        def job(wait: bool = False) -> None:
            n = inside.add(1)
            while True:
                old = peak.load()
                if n <= old or peak.compare_and_swap(old, n):
                    break
            if wait:
                gate.recv_ok()  # hold the slot until main has tried for a fourth one
            cspy.sleep(0.001)
            total.add(1)
            inside.add(-1)

        for _ in range(3):
            g.go(lambda: job(wait=True))
        full = not g.try_go(job)  # 3 running: no slot
        gate.close()
        for _ in range(17):
            g.go(job)
        g.wait()
        return peak.load(), total.load(), full

    peak, total, full = cspy.run(main, procs=procs)
    assert 1 <= peak <= 3 and total == 20 and full


def test_set_limit_misuse() -> None:
    def main() -> None:
        g = errgroup.Group()
        with pytest.raises(ValueError, match="set_limit\\(0\\)"):
            g.set_limit(0)
        g.set_limit(1)
        g.go(cspy.sleep, 0.01)
        with pytest.raises(RuntimeError, match="while 1 functions are running"):
            g.set_limit(5)
        g.wait()
        g.set_limit(-1)  # no limit
        g.wait()

    cspy.run(main, procs=1)

"""context: cancellation fan-out, deadlines, values, timers released, misuse errors."""

from __future__ import annotations

import pytest

import cspy
from cspy import context, testing
from cspy.scheduler import WaitReason
from tests.conftest import PROCS
from tests.stress.util import wait_parked


def test_background_is_never_done() -> None:
    def main() -> tuple[object, object, object, int]:
        bg = context.background()
        idx, _, _ = cspy.select(cspy.Recv(bg.done()), default=True)
        return bg.err(), bg.deadline(), bg.value("k"), idx

    assert cspy.run(main, procs=1) == (None, None, None, -1)


@pytest.mark.parametrize("procs", PROCS)
def test_cancel_closes_done_and_sets_err(procs: int) -> None:
    def main() -> list[object]:
        ctx, cancel = context.with_cancel(context.background())
        out: list[object] = [ctx.err()]
        woke = cspy.Chan[str]()
        # Cancel once the task waits on done(): the wake-up is what this tests.
        wait_parked(cspy.go(lambda: (ctx.done().recv_ok(), woke.send("woke"))), WaitReason.CHAN_RECEIVE)
        cancel()
        out.append(woke.recv())
        out.append(type(ctx.err()))
        cancel()  # idempotent
        out.append(type(ctx.err()))
        return out

    assert cspy.run(main, procs=procs) == [None, "woke", context.Canceled, context.Canceled]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_cancellation_fans_out_to_1000_descendants(procs: int) -> None:
    def main() -> tuple[int, int]:
        root, cancel = context.with_cancel(context.background())
        leaves: list[context.Context] = []
        # A wide part (children of a value node) and a deep chain of 500 (no recursion limit).
        mid = context.with_value(root, "k", 1)
        for _ in range(500):
            leaves.append(context.with_cancel(mid)[0])
        ctx = root
        for _ in range(500):
            ctx = context.with_cancel(ctx)[0]
            leaves.append(ctx)
        woke = cspy.AtomicInt(0)
        wg = cspy.WaitGroup()
        waiters = []
        for leaf in leaves[::50]:
            wg.add(1)
            waiters.append(cspy.go(lambda leaf=leaf: (leaf.done().recv_ok(), woke.add(1), wg.done())))
        for t in waiters:
            wait_parked(t, WaitReason.CHAN_RECEIVE)
        cancel()
        wg.wait()
        cancelled = sum(isinstance(leaf.err(), context.Canceled) for leaf in leaves)
        for leaf in leaves:
            leaf.done().recv_ok()  # done is closed for every one
        return cancelled, woke.load()

    assert cspy.run(main, procs=procs) == (1000, 20)


def test_cancelling_a_child_leaves_parent_and_siblings_alone() -> None:
    def main() -> list[object]:
        parent, cancel_parent = context.with_cancel(context.background())
        a, cancel_a = context.with_cancel(parent)
        b, _ = context.with_cancel(parent)
        cancel_a()
        out = [parent.err(), type(a.err()), b.err()]
        cancel_parent()
        out.append(type(b.err()))
        late, _ = context.with_cancel(parent)  # child of a cancelled parent: cancelled at once
        out.append(type(late.err()))
        return out

    assert cspy.run(main, procs=1) == [None, context.Canceled, None, context.Canceled, context.Canceled]


@pytest.mark.parametrize("procs", PROCS)
def test_timeout_expires_with_deadline_exceeded(procs: int) -> None:
    # Virtual time: the timeout fires exactly 2 s after it was armed, and not before.
    def main() -> tuple[bool, bool, float, float | None]:
        cspy.sleep(1)
        ctx, cancel = context.with_timeout(context.background(), 2)
        child, _ = context.with_cancel(ctx)
        cspy.sleep(1.5)
        assert child.err() is None and ctx.err() is None, "expired before its deadline"
        child.done().recv_ok()
        cancel()
        err = child.err()
        return isinstance(err, context.DeadlineExceeded), isinstance(err, TimeoutError), cspy.now(), ctx.deadline()

    assert testing.run(main, procs=procs) == (True, True, 3.0, 3.0)


def test_early_cancel_releases_the_timer() -> None:
    def main() -> list[int]:
        before = cspy.stats().timers
        ctxs = [context.with_timeout(context.background(), 60) for _ in range(10)]
        during = cspy.stats().timers
        for _, cancel in ctxs:
            cancel()
        parent, cancel_parent = context.with_cancel(context.background())
        for _ in range(10):
            context.with_timeout(parent, 60)
        cancel_parent()  # cancelling the parent stops the children's timers too
        return [before, during, cspy.stats().timers]

    before, during, after = cspy.run(main, procs=1)
    assert during == before + 10
    assert after == before


def test_deadline_rules() -> None:
    def main() -> list[object]:
        cspy.sleep(5)
        outer, c1 = context.with_deadline(context.background(), 15)
        inner, c2 = context.with_deadline(outer, 105)  # later than the parent's: inherits
        past, c3 = context.with_deadline(context.background(), 4)  # already passed
        out = [inner.deadline(), type(past.err()), outer.err()]
        past.done().recv_ok()
        out.append(cspy.now())  # at once
        inner.done().recv_ok()
        out += [cspy.now(), type(inner.err()), type(outer.err())]
        for c in (c1, c2, c3):
            c()
        return out

    assert testing.run(main) == [
        15.0, context.DeadlineExceeded, None, 5.0, 15.0, context.DeadlineExceeded, context.DeadlineExceeded
    ]


def test_values_are_inherited_and_shadowed() -> None:
    bg = context.background()
    a = context.with_value(bg, "user", "ann")
    b = context.with_value(a, "trace", 7)
    c = context.with_value(b, "user", "bob")
    assert (a.value("user"), b.value("user"), b.value("trace"), c.value("user")) == ("ann", "ann", 7, "bob")
    assert b.value("missing") is None


def test_values_survive_cancel_nodes() -> None:
    def main() -> object:
        a = context.with_value(context.background(), "k", "v")
        ctx, cancel = context.with_cancel(a)
        cancel()
        return ctx.value("k")

    assert cspy.run(main, procs=1) == "v"


def test_foreign_parent_implementation_is_watched() -> None:
    class Mine(context.Context):
        def __init__(self) -> None:
            self.ch = cspy.Chan[None]()
            self.e: BaseException | None = None

        def done(self) -> cspy.RecvChan[None]:
            return self.ch

        def err(self) -> BaseException | None:
            return self.e

        def deadline(self) -> float | None:
            return None

        def value(self, key: object) -> object:
            return None

    def main() -> object:
        parent = Mine()
        child, cancel = context.with_cancel(parent)
        parent.e = context.Canceled("mine")
        parent.ch.close()
        child.done().recv_ok()
        cancel()
        return child.err()

    err = cspy.run(main, procs=1)
    assert isinstance(err, context.Canceled) and str(err) == "mine"


def test_misuse_errors() -> None:
    with pytest.raises(TypeError, match="parent Context"):
        context.with_cancel(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hashable key"):
        context.with_value(context.background(), [], 1)
    with pytest.raises(TypeError, match="number of seconds"):
        context.with_timeout(context.background(), "1")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="cspy task"):
        context.with_timeout(context.background(), 1)  # arms a timer: needs a running task

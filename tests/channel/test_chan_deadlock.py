"""Deadlock detection sees tasks parked on channels as asleep, and a pending timer as future work."""

from __future__ import annotations

import pytest

import cspy
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("procs", PROCS)
def test_all_blocked_on_channels_is_deadlock(procs: int) -> None:
    def main() -> None:
        a, b = cspy.Chan[int](name="a"), cspy.Chan[int](name="b")
        cspy.go(lambda: b.send(a.recv()), name="relay")
        cspy.go(lambda: cspy.select(cspy.Recv(a), cspy.Recv(b)), name="selector")
        b.recv()

    with pytest.raises(cspy.DeadlockError) as info:
        cspy.run(main, procs=procs)
    msg = str(info.value)
    assert msg.startswith("all tasks are asleep - deadlock!")
    assert "chan receive" in msg and "select" in msg and "'relay'" in msg
    assert "waiting on <Chan 'b'" in msg


@pytest.mark.parametrize("procs", PROCS)
def test_blocked_send_on_full_buffer_is_deadlock(procs: int) -> None:
    def main() -> None:
        ch = cspy.Chan[int](1)
        ch.send(1)
        ch.send(2)

    with pytest.raises(cspy.DeadlockError, match="chan send"):
        cspy.run(main, procs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_waiting_on_after_is_not_deadlock(procs: int) -> None:
    def main() -> str:
        never = cspy.Chan[int]()
        i, _, _ = cspy.select(cspy.Recv(never), cspy.Recv(cspy.after(0.05)))
        cspy.after(0.01).recv()
        return f"timeout case {i}"

    assert cspy.run(main, procs=procs) == "timeout case 1"

"""Directional views: only their direction's operations exist; they share the channel."""

from __future__ import annotations

import pytest

import cspy
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(30)


def test_send_view_lacks_receive_operations() -> None:
    s = cspy.Chan[int](1).send_only()
    assert isinstance(s, cspy.SendChan) and not isinstance(s, cspy.RecvChan)
    for name in ("recv", "recv_ok", "__iter__"):
        with pytest.raises(AttributeError):
            getattr(s, name)
    with pytest.raises(TypeError):
        iter(s)  # type: ignore[call-overload]


def test_recv_view_lacks_send_operations() -> None:
    r = cspy.Chan[int](1).recv_only()
    assert isinstance(r, cspy.RecvChan) and not isinstance(r, cspy.SendChan)
    for name in ("send", "close", "send_only"):
        with pytest.raises(AttributeError):
            getattr(r, name)


def test_chan_is_both_directions() -> None:
    ch = cspy.Chan[int]()
    assert isinstance(ch, cspy.SendChan) and isinstance(ch, cspy.RecvChan)


@pytest.mark.parametrize("procs", PROCS)
def test_views_share_the_channel(procs: int) -> None:
    def main() -> list[int]:
        ch = cspy.Chan[int](2)
        s, r = ch.send_only(), ch.recv_only()

        def produce(out: cspy.SendChan[int]) -> None:
            for i in range(5):
                out.send(i)
            out.close()

        cspy.go(produce, s)
        vals = list(r)
        assert s.closed and r.closed and ch.closed
        assert s.cap == r.cap == 2 and len(s) == len(r) == 0
        assert r.recv_ok() == (None, False)
        with pytest.raises(cspy.ChannelClosed):
            r.recv()
        return vals

    assert cspy.run(main, procs=procs) == [0, 1, 2, 3, 4]


def test_view_reprs_show_the_channel() -> None:
    ch = cspy.Chan[int](name="c")
    assert "SendChan" in repr(ch.send_only()) and "'c'" in repr(ch.send_only())
    assert "RecvChan" in repr(ch.recv_only())

"""Must pass ``mypy --strict``: a Chan is usable wherever a SendChan or RecvChan is expected."""

from __future__ import annotations

import cspy


def produce(out: cspy.SendChan[int]) -> None:
    out.send(1)
    out.close()


def consume(inp: cspy.RecvChan[int]) -> int:
    v, ok = inp.recv_ok()
    total = inp.recv() + (v or 0)
    return total + sum(inp) + len(inp) + inp.cap


def pipeline() -> None:
    ch = cspy.Chan[int](10)
    produce(ch)
    produce(ch.send_only())
    consume(ch)
    consume(ch.recv_only())
    wide: cspy.RecvChan[object] = cspy.Chan[int]().recv_only()  # covariant
    narrow: cspy.SendChan[bool] = cspy.Chan[int]().send_only()  # contravariant
    timer: cspy.RecvChan[float] = cspy.after(1.0)
    del wide, narrow, timer
    i, value, ok = cspy.select(cspy.Recv(ch), cspy.Send(ch, 2), cspy.Recv(None), default=True)
    print(i + 1, value, ok)

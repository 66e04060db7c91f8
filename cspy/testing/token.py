"""Schedule tokens: a printable, pasteable string that names one explored schedule.

A token holds what a replay needs and nothing about the program: the runtime seed of the run
(which seeds the processor's random source, so select's choices among ready cases repeat), the
number of scheduling decisions the run made, and the decisions where it deviated from the
default choice (strategy.py) with the task chosen there::

    cspy1.<seed>.<decisions>.<gap>:<task>,<gap>:<task>...

``gap`` is the distance from the previous deviation (so numbers stay small). Everything is
ASCII digits and ``.:,``: no shell quoting needed. A token longer than ``PLAIN_MAX`` is
compressed (``cspy1z.`` + urlsafe base64 of zlib), still without characters a shell cares about.

Task ids are stable from run to run on one processor (they are handed out in spawn order), which
is what makes a recorded ``task`` meaningful in the next run.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

__all__ = ["Schedule", "encode", "decode"]

PLAIN_MAX = 240
_PLAIN = "cspy1."
_PACKED = "cspy1z."


@dataclass(frozen=True)
class Schedule:
    """What a token says: ``seed``, ``decisions`` and ``deviations`` (decision -> task id)."""

    seed: int
    decisions: int
    deviations: dict[int, int]


def encode(s: Schedule) -> str:
    """The token of a schedule.

    >>> encode(Schedule(7, 12, {3: 2, 5: 3}))
    'cspy1.7.12.3:2,2:3'
    >>> decode(encode(Schedule(7, 12, {3: 2, 5: 3})))
    Schedule(seed=7, decisions=12, deviations={3: 2, 5: 3})
    """
    parts: list[str] = []
    prev = 0
    for k in sorted(s.deviations):
        parts.append(f"{k - prev}:{s.deviations[k]}")
        prev = k
    body = f"{s.seed}.{s.decisions}.{','.join(parts)}"
    if len(body) + len(_PLAIN) <= PLAIN_MAX:
        return _PLAIN + body
    packed = base64.urlsafe_b64encode(zlib.compress(body.encode(), 9)).decode().rstrip("=")
    return _PACKED + packed


def decode(token: str) -> Schedule:
    """The schedule a token names; ``ValueError`` saying what is wrong with a malformed one."""
    if not isinstance(token, str):
        raise TypeError(f"a schedule token is a str, got {token!r}")
    token = token.strip()
    if token.startswith(_PACKED):
        data = token[len(_PACKED):]
        try:
            body = zlib.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))).decode()
        except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
            raise ValueError(f"not a cspy schedule token (corrupt compressed body): {token!r}") from None
    elif token.startswith(_PLAIN):
        body = token[len(_PLAIN):]
    else:
        raise ValueError(
            f"not a cspy schedule token: {token!r} (tokens start with 'cspy1.'; copy it whole "
            "from the ScheduleFailure message)"
        )
    try:
        seed_s, decisions_s, devs_s = body.split(".")
        seed, decisions = int(seed_s), int(decisions_s)
        deviations: dict[int, int] = {}
        k = 0
        for item in filter(None, devs_s.split(",")):
            gap, task = item.split(":")
            k += int(gap)
            deviations[k] = int(task)
    except ValueError:
        raise ValueError(f"not a cspy schedule token (malformed body): {token!r}") from None
    if decisions < 0 or any(k < 1 or k > decisions for k in deviations):
        raise ValueError(f"not a cspy schedule token (decisions out of range): {token!r}")
    return Schedule(seed, decisions, deviations)

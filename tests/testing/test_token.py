"""Schedule tokens (cspy/testing/token.py): round trips, compression, clear errors."""

from __future__ import annotations

import re

import pytest

from cspy.testing.token import PLAIN_MAX, Schedule, decode, encode


@pytest.mark.parametrize("sched", [
    Schedule(0, 0, {}),
    Schedule(123, 9, {1: 2, 9: 7}),
    Schedule(2**31 - 1, 5000, {k: k % 13 + 1 for k in range(1, 5000, 3)}),
])
def test_round_trip(sched: Schedule) -> None:
    token = encode(sched)
    assert decode(token) == sched
    assert re.fullmatch(r"[A-Za-z0-9_.:,-]+", token), "tokens need no shell quoting"


def test_long_tokens_are_compressed_and_short_ones_readable() -> None:
    assert encode(Schedule(7, 3, {2: 3})) == "cspy1.7.3.2:3"
    long = encode(Schedule(1, 5000, {k: 2 for k in range(1, 5000)}))
    assert long.startswith("cspy1z.") and len(long) <= PLAIN_MAX


@pytest.mark.parametrize("bad, why", [
    ("", "tokens start with 'cspy1.'"),
    ("cspy2.1.2.", "tokens start with 'cspy1.'"),
    ("cspy1.x.2.", "malformed body"),
    ("cspy1.1.2.1-2", "malformed body"),
    ("cspy1.1.2.3:4", "out of range"),
    ("cspy1z.!!!!", "corrupt compressed body"),
])
def test_malformed_tokens_say_what_is_wrong(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        decode(bad)


def test_a_token_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="a schedule token is a str"):
        decode(5)  # type: ignore[arg-type]

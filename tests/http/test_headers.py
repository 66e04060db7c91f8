"""Headers: case-insensitive lookups, repeated fields, ISO-8859-1 round trips, bad input."""

from __future__ import annotations

import pytest

from cspy.http import Headers


def test_lookups_ignore_case_and_join_repeated_fields() -> None:
    h = Headers([("Accept", "a/b"), ("X-Multi", "1"), ("x-multi", "2"), ("Set-Cookie", "a=1, b")])
    assert h["accept"] == h["ACCEPT"] == "a/b"
    assert h["x-multi"] == "1, 2" and h.get_all("X-MULTI") == ["1", "2"]
    assert h.get_all("set-cookie") == ["a=1, b"]
    assert "Accept" in h and "nope" not in h and 3 not in h
    assert sorted(h) == ["accept", "set-cookie", "x-multi"] and len(h) == 3
    assert h.get("missing", "dflt") == "dflt"
    with pytest.raises(KeyError):
        h["missing"]


def test_raw_keeps_order_and_bytes_round_trip() -> None:
    h = Headers({"B": "é", "A": "1"})
    assert h.raw == [(b"b", b"\xe9"), (b"a", b"1")]
    assert h["b"] == "é"
    wrapped = Headers.from_raw([(b"content-type", b"text/plain")])
    assert wrapped["Content-Type"] == "text/plain"
    assert Headers(wrapped) == wrapped and Headers(wrapped).raw is not wrapped.raw


def test_bad_input_says_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="not ISO-8859-1"):
        Headers({"X": "snowman ☃"})
    with pytest.raises(TypeError, match=r"\(name, value\) pairs"):
        Headers([("only-a-name",)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be str or bytes"):
        Headers({"X": 3})  # type: ignore[dict-item]

"""Headers: the header fields of a request or response, looked up without regard to case.

HTTP field names are case-insensitive (RFC 9110 section 5.1) and a field may occur several
times. ``Headers`` keeps every field in arrival order as ``(name, value)`` pairs of ``bytes``
with the name lower-cased -- exactly the form h11 produces and consumes, so a request's headers
cost nothing until a handler looks at them, and a response's go to h11 without a copy.

Lookups (``headers["content-type"]``, ``"Host" in headers``) use a dict built on first use;
``headers[name]`` joins repeated fields with ``", "`` (RFC 9110 section 5.3, as httpx does),
``get_all(name)`` lists them one by one (use it for ``set-cookie``, which cannot be joined).
Values are ``str`` decoded as ISO-8859-1, the charset HTTP/1.1 fields are defined in, so every
byte round-trips. A ``Headers`` is read-only once built; ``Response`` builds its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Union

__all__ = ["Headers", "HeadersLike"]

HeadersLike = Union["Headers", Mapping[str, str], Iterable[tuple[str, str]], None]


def _enc(text: str | bytes, what: str) -> bytes:
    if isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        raise TypeError(f"header {what} must be str or bytes, got {text!r}")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"header {what} {text!r} is not ISO-8859-1 (HTTP/1.1 field text)") from None


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued header fields (Go's ``http.Header``).

    >>> h = Headers([("Content-Type", "text/plain"), ("X-Tag", "a"), ("x-tag", "b")])
    >>> h["content-type"], h["X-TAG"], h.get_all("x-tag"), "Host" in h
    ('text/plain', 'a, b', ['a', 'b'], False)
    """

    __slots__ = ("raw", "_index")

    def __init__(self, fields: HeadersLike = None) -> None:
        self.raw: list[tuple[bytes, bytes]] = []  # (lower-cased name, value), in order
        self._index: dict[str, list[str]] | None = None
        if fields is None:
            return
        if isinstance(fields, Headers):
            self.raw = list(fields.raw)
            return
        pairs = fields.items() if isinstance(fields, Mapping) else fields
        for pair in pairs:
            try:
                name, value = pair
            except (TypeError, ValueError):
                raise TypeError(f"headers need (name, value) pairs or a mapping, got {pair!r}") from None
            self.raw.append((_enc(name, "name").lower(), _enc(value, "value")))

    @classmethod
    def from_raw(cls, raw: list[tuple[bytes, bytes]]) -> Headers:
        """Wrap h11's list of ``(lower-case name, value)`` pairs as they are (no copy)."""
        h = cls.__new__(cls)
        h.raw = raw
        h._index = None
        return h

    def _idx(self) -> dict[str, list[str]]:
        index = self._index
        if index is None:
            index = {}
            for name, value in self.raw:
                index.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
            self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        values = self._idx().get(name.lower()) if isinstance(name, str) else None
        if values is None:
            raise KeyError(name)
        return values[0] if len(values) == 1 else ", ".join(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._idx()

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order (empty if absent)."""
        return list(self._idx().get(name.lower(), ()))

    def __iter__(self) -> Iterator[str]:
        return iter(self._idx())

    def __len__(self) -> int:
        return len(self._idx())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self.raw == other.raw
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        pairs = ", ".join(f"({n.decode('latin-1')!r}, {v.decode('latin-1')!r})" for n, v in self.raw)
        return f"Headers([{pairs}])"

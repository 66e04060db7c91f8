"""A minimal protobuf *writer*: the four wire types the trace and profile formats use.

Perfetto's ``.pftrace`` and pprof's ``profile.proto`` are plain protobuf messages; writing them
needs varints, fixed64, doubles and length-delimited fields, nothing else. A small encoder here
keeps cspy free of a protobuf dependency (the tests decode what it writes with a decoder of
their own, and ``go tool pprof`` reads the profiles).

Fields are written in the order they are given; zero-valued scalars are written too when the
caller asks (proto3 readers accept both), so callers skip defaults themselves.
"""

from __future__ import annotations

import struct

__all__ = ["Message", "varint"]


def varint(n: int) -> bytes:
    """``n`` as a protobuf varint (negative ints as 64-bit two's complement, as int64 is)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class Message:
    """A message being built: ``m.num(1, 5).text(2, "x").msg(3, sub)``; ``bytes(m)`` encodes it."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def num(self, field: int, value: int) -> Message:
        """int32/int64/uint32/uint64/bool/enum (wire type 0)."""
        self._parts.append(varint(field << 3))
        self._parts.append(varint(value))
        return self

    def packed(self, field: int, values: list[int]) -> Message:
        """A packed repeated varint field (how proto3 writes repeated scalars)."""
        if values:
            body = b"".join(varint(v) for v in values)
            self._parts.append(varint(field << 3 | 2))
            self._parts.append(varint(len(body)))
            self._parts.append(body)
        return self

    def fixed64(self, field: int, value: int) -> Message:
        self._parts.append(varint(field << 3 | 1))
        self._parts.append(struct.pack("<Q", value & 0xFFFFFFFFFFFFFFFF))
        return self

    def double(self, field: int, value: float) -> Message:
        self._parts.append(varint(field << 3 | 1))
        self._parts.append(struct.pack("<d", value))
        return self

    def raw(self, field: int, value: bytes) -> Message:
        self._parts.append(varint(field << 3 | 2))
        self._parts.append(varint(len(value)))
        self._parts.append(value)
        return self

    def text(self, field: int, value: str) -> Message:
        return self.raw(field, value.encode("utf-8", "replace"))

    def msg(self, field: int, sub: Message) -> Message:
        return self.raw(field, bytes(sub))

    def __bytes__(self) -> bytes:
        return b"".join(self._parts)

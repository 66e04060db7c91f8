"""A protobuf wire-format decoder for the tests: written independently of cspy's encoder, so a
test that decodes what cspy wrote checks the bytes, not the encoder against itself."""

from __future__ import annotations

import struct
from collections import defaultdict

Fields = dict[int, list[object]]


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 70:
            raise ValueError("varint too long")


def decode(buf: bytes) -> Fields:
    """field number -> values: ints for varints and fixed64, bytes for length-delimited fields."""
    out: Fields = defaultdict(list)
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
            out[field].append(v)
        elif wire == 1:
            out[field].append(struct.unpack_from("<Q", buf, i)[0])
            i += 8
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("length-delimited field runs past the end")
            out[field].append(buf[i : i + n])
            i += n
        elif wire == 5:
            out[field].append(struct.unpack_from("<I", buf, i)[0])
            i += 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def packed(value: object) -> list[int]:
    """A packed repeated varint field's values (or a single unpacked one)."""
    if isinstance(value, int):
        return [value]
    assert isinstance(value, bytes)
    vals, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        vals.append(v)
    return vals


def signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def text(value: object) -> str:
    assert isinstance(value, bytes)
    return value.decode()

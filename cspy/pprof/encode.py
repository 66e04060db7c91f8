"""profile.proto (github.com/google/pprof/proto/profile.proto), gzipped, as Go writes it.

Field numbers: Profile: sample_type=1, sample=2, mapping=3, location=4, function=5,
string_table=6, time_nanos=9, duration_nanos=10, period_type=11, period=12, comment=13,
default_sample_type=14; ValueType: type=1, unit=2; Sample: location_id=1 (packed), value=2
(packed), label=3; Label: key=1, str=2; Mapping: id=1, filename=5, has_functions=7,
has_filenames=8, has_line_numbers=9; Location: id=1, mapping_id=2, address=3, line=4;
Line: function_id=1, line=2; Function: id=1, name=2, system_name=3, filename=4, start_line=5.

A Python frame becomes a Location with one Line (function, line number); a Function is a code
object (qualified name, file, first line). Locations get made-up addresses (their id), since
there is no machine code; one Mapping says the profile has functions, files and lines.
Samples list locations innermost first, as pprof expects.
"""

from __future__ import annotations

import gzip
import time

from cspy.pprof.profile import Labels
from cspy.trace.protobuf import Message
from cspy.trace.stacks import Frame, Stack

__all__ = ["Builder"]


class Builder:
    """Collects samples, then ``gzipped()`` the profile."""

    def __init__(self, sample_types: list[tuple[str, str]], period_type: tuple[str, str], period: int = 1) -> None:
        self.strings: dict[str, int] = {"": 0}
        self.functions: dict[tuple[str, str, int], int] = {}
        self.locations: dict[Frame, int] = {}
        self.samples: list[tuple[list[int], list[int], Labels]] = []
        self.sample_types = [(self.s(t), self.s(u)) for t, u in sample_types]
        self.period_type = (self.s(period_type[0]), self.s(period_type[1]))
        self.period = period
        self.comments: list[int] = []
        self.duration_ns = 0

    def s(self, text: str) -> int:
        i = self.strings.get(text)
        if i is None:
            i = self.strings[text] = len(self.strings)
        return i

    def location(self, frame: Frame) -> int:
        loc = self.locations.get(frame)
        if loc is None:
            filename, name, first, _line = frame
            fkey = (filename, name, first)
            if fkey not in self.functions:
                self.functions[fkey] = len(self.functions) + 1
            loc = self.locations[frame] = len(self.locations) + 1
        return loc

    def add(self, stack: Stack, values: list[int], labels: Labels = ()) -> None:
        self.samples.append(([self.location(f) for f in stack], values, labels))

    def comment(self, text: str) -> None:
        self.comments.append(self.s(text))

    def encode(self) -> bytes:
        p = Message()
        for t, u in self.sample_types:
            p.msg(1, Message().num(1, t).num(2, u))
        for locs, values, labels in self.samples:
            sm = Message().packed(1, locs).packed(2, values)
            for k, v in labels:
                sm.msg(3, Message().num(1, self.s(k)).num(2, self.s(v)))
            p.msg(2, sm)
        p.msg(3, Message().num(1, 1).num(5, self.s("python")).num(7, 1).num(8, 1).num(9, 1))
        for frame, loc in self.locations.items():
            filename, name, first, line = frame
            fid = self.functions[(filename, name, first)]
            p.msg(4, Message().num(1, loc).num(2, 1).num(3, 0x1000 + loc).msg(4, Message().num(1, fid).num(2, line)))
        for (filename, name, first), fid in self.functions.items():
            p.msg(5, Message().num(1, fid).num(2, self.s(name)).num(3, self.s(name)).num(4, self.s(filename)).num(5, first))
        table = sorted(self.strings.items(), key=lambda kv: kv[1])
        for text, _ in table:
            p.text(6, text)
        p.num(9, time.time_ns())
        if self.duration_ns:
            p.num(10, self.duration_ns)
        p.msg(11, Message().num(1, self.period_type[0]).num(2, self.period_type[1]))
        p.num(12, self.period)
        if self.comments:
            p.packed(13, self.comments)
        return bytes(p)

    def gzipped(self) -> bytes:
        # (label strings are interned while samples are encoded, before the table is written)
        return gzip.compress(self.encode())

"""cspy.pprof: block, mutex and goroutine profiles in Go's ``profile.proto`` (``go tool pprof``).

- ``set_block_profile_rate(rate)`` (Go's ``runtime.SetBlockProfileRate``): where tasks wait on
  channels, select and sync primitives, sampled by ``rate`` nanoseconds (1: every event);
- ``set_mutex_profile_fraction(n)`` (Go's ``runtime.SetMutexProfileFraction``): contended
  ``Mutex`` hand-offs, one in ``n``, charged at the unlocker's stack;
- ``write(kind, file)`` with ``kind`` ``"block"``, ``"mutex"`` or ``"goroutine"``: a gzipped
  profile.proto (sample types ``contentions/count`` and ``delay/nanoseconds`` for block and
  mutex, ``goroutine/count``), or Go's text forms with ``debug=1`` (``debug=2`` for goroutine
  is the task dump). ``file`` is a path or a binary file object.

Every sample carries labels beyond Go's: ``reason`` (the wait reason), ``chan`` or ``lock``
(its name), ``P`` (the processor), so ``go tool pprof -tagfocus reason=chan.receive`` filters.
Profiles accumulate from when their rate was set, across runs (profile.py has Go's rules).

>>> import io
>>> cspy.pprof.set_block_profile_rate(1)
>>> def main():
...     ch = cspy.Chan()
...     cspy.go(lambda: (cspy.sleep(0.01), ch.send(1)))
...     return ch.recv()
>>> cspy.run(main)
1
>>> out = io.BytesIO(); cspy.pprof.write("block", out); cspy.pprof.set_block_profile_rate(0)
>>> out.getvalue()[:2] == b"\\x1f\\x8b"  # gzip
True
"""

from __future__ import annotations

import os
import sys
from types import FrameType
from typing import IO, Any

from cspy.pprof.encode import Builder
from cspy.pprof.goroutine import goroutine_groups
from cspy.pprof.profile import EventProfile, Labels, Records, delta
from cspy.scheduler import running
from cspy.scheduler.dump import dump_runtime
from cspy.trace import hook
from cspy.trace.stacks import Stack

__all__ = [
    "KINDS",
    "block_profile_rate",
    "delta",
    "mutex_profile_fraction",
    "profile_bytes",
    "set_block_profile_rate",
    "set_mutex_profile_fraction",
    "snapshot",
    "write",
]

KINDS = ("block", "mutex", "goroutine")

_block = EventProfile("block")
_mutex = EventProfile("mutex")


def _rate(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return value


def set_block_profile_rate(rate: int) -> None:
    """Go's ``runtime.SetBlockProfileRate``: sample one blocking event per ``rate`` ns spent
    blocked (1: every event; 0 or less: off). Applies to the running runtime and later ones."""
    rate = _rate(rate, "the block profile rate")
    _block.rate = max(rate, 0)
    hook.set_profile("block", _block if rate > 0 else None)


def set_mutex_profile_fraction(rate: int) -> int:
    """Go's ``runtime.SetMutexProfileFraction``: record one contention in ``rate`` (1: all, 0:
    off); a negative ``rate`` only reads the setting. Returns the previous setting."""
    rate = _rate(rate, "the mutex profile fraction")
    prev = _mutex.rate
    if rate < 0:
        return prev
    _mutex.rate = rate
    hook.set_profile("mutex", _mutex if rate > 0 else None)
    return prev


def block_profile_rate() -> int:
    return _block.rate


def mutex_profile_fraction() -> int:
    return _mutex.rate


def _kind(kind: object) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown profile {kind!r}: cspy.pprof writes {', '.join(map(repr, KINDS))}")
    return str(kind)


def snapshot(kind: str) -> Records:
    """A copy of the block or mutex profile's records (for differences over time)."""
    kind = _kind(kind)
    if kind == "goroutine":
        raise ValueError("the goroutine profile is a snapshot already; snapshot() is for 'block' and 'mutex'")
    return (_block if kind == "block" else _mutex).snapshot()


def _event_builder(records: Records, rate: int, duration_ns: int = 0) -> Builder:
    b = Builder([("contentions", "count"), ("delay", "nanoseconds")], ("contentions", "count"), 1)
    b.duration_ns = duration_ns
    for (stack, labels), (count, cycles) in sorted(records.items(), key=lambda kv: -kv[1][1]):
        b.add(stack, [int(count), int(cycles)], labels)
    return b


def _callers_frame() -> FrameType | None:
    """The first frame outside cspy.pprof: where the program asked for the profile (counted by
    module, not by depth: the compiled build's functions below it have no frames)."""
    f: FrameType | None = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__", "").startswith("cspy.pprof"):
        f = f.f_back
    return f


def _goroutine_builder() -> tuple[Builder, int]:
    rt = running()
    b = Builder([("goroutine", "count")], ("goroutine", "count"), 1)
    if rt is None:
        return b, 0
    groups = goroutine_groups(rt, _callers_frame())
    for (stack, labels), n in groups.most_common():
        b.add(stack, [n], labels)
    return b, sum(groups.values())


def profile_bytes(kind: str, debug: int = 0, records: Records | None = None, duration_ns: int = 0) -> bytes:
    """The profile ``kind`` as Go's handler serves it: gzipped proto (``debug=0``), text (1), or
    for goroutine the task dump (2). ``records`` replaces the block/mutex profile's (a delta)."""
    kind = _kind(kind)
    if debug not in (0, 1, 2):
        raise ValueError(f"debug must be 0, 1 or 2, got {debug!r}")
    if kind == "goroutine":
        if debug == 2:
            rt = running()
            if rt is None:
                return b""
            return dump_runtime(rt, sys._getframe(1)).encode()
        b, total = _goroutine_builder()
        return _text_counts(b, f"goroutine profile: total {total}\n") if debug else b.gzipped()
    prof = _block if kind == "block" else _mutex
    recs = prof.snapshot() if records is None else records
    b = _event_builder(recs, prof.rate, duration_ns)
    if debug:
        head = f"--- {'contention' if kind == 'block' else 'mutex'}:\ncycles/second=1000000000\nsampling period={prof.rate}\n"
        return _text_events(recs, head)
    return b.gzipped()


def write(kind: str, file: Any, debug: int = 0) -> None:
    """Write profile ``kind`` (``"block"``, ``"mutex"``, ``"goroutine"``) to ``file``: a path or a
    binary file object. ``debug=1``: Go's text form; ``debug=2`` (goroutine): the task dump."""
    data = profile_bytes(kind, debug)
    if isinstance(file, (str, os.PathLike)):
        with open(file, "wb") as f:
            f.write(data)
    elif hasattr(file, "write"):
        target: IO[bytes] = file
        target.write(data)
    else:
        raise TypeError(f"write() needs a path or a binary file object, got {file!r}")


def _frames_text(stack: Stack) -> str:
    return "".join(f"#\t{name}\t{filename}:{line}\n" for filename, name, _first, line in stack)


def _labels_text(labels: Labels) -> str:
    return "# labels: {" + ", ".join(f'"{k}":"{v}"' for k, v in labels) + "}\n" if labels else ""


def _text_events(records: Records, head: str) -> bytes:
    out = [head]
    for (stack, labels), (count, cycles) in sorted(records.items(), key=lambda kv: -kv[1][1]):
        out.append(f"{int(cycles)} {int(count)} @\n{_labels_text(labels)}{_frames_text(stack)}\n")
    return "".join(out).encode()


def _text_counts(b: Builder, head: str) -> bytes:
    rt = running()
    out = [head]
    if rt is not None:
        groups = goroutine_groups(rt, _callers_frame())
        for (stack, labels), n in groups.most_common():
            out.append(f"{n} @\n{_labels_text(labels)}{_frames_text(stack)}\n")
    return "".join(out).encode()

"""Stacks for profiles: a frame chain as a tuple of plain records, innermost call first.

A record is ``(filename, qualname, first_line, line)``: hashable, so equal stacks group into one
profile bucket, and plain, so a stack outlives the frames it was read from (a frame's line moves
on as its task runs). The scheduler's own machinery (the runner greenlet, the switch, ``park``)
and the observers' frames are left out, as in the task dump: they are the same under every task.
"""

from __future__ import annotations

from types import FrameType

__all__ = ["Frame", "Stack", "stack_of", "MAX_DEPTH"]

Frame = tuple[str, str, int, int]
Stack = tuple[Frame, ...]

# Go records at most 128 frames per profile sample (runtime/mprof.go, maxProfStackDepth).
MAX_DEPTH = 128

_HIDDEN_SUFFIX = (
    "/cspy/scheduler/processor.py",
    "/cspy/scheduler/runner.py",
    "/cspy/trace/hook.py",
    "/cspy/trace/recorder.py",
)
_PARK = "/cspy/scheduler/park.py"

_cache: dict[tuple[str, str], bool] = {}


def _hidden(filename: str, name: str) -> bool:
    key = (filename, name)
    hit = _cache.get(key)
    if hit is None:
        f = filename.replace("\\", "/")
        hit = f.endswith(_HIDDEN_SUFFIX) or (f.endswith(_PARK) and name == "park")
        if len(_cache) < 4096:
            _cache[key] = hit
    return hit


def stack_of(frame: FrameType | None) -> Stack:
    """The stack from ``frame`` outwards, innermost first, without the scheduler's frames."""
    out: list[Frame] = []
    f = frame
    while f is not None and len(out) < MAX_DEPTH:
        code = f.f_code
        if not _hidden(code.co_filename, code.co_name):
            out.append((code.co_filename, code.co_qualname, code.co_firstlineno, f.f_lineno or 0))
        f = f.f_back
    return tuple(out)

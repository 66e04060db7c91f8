"""Writing a recording: the format from the file name (``.json`` or ``.pftrace``), or a file object."""

from __future__ import annotations

import io
import os
from typing import Any

from cspy.trace.chrome import write_json
from cspy.trace.model import build
from cspy.trace.perfetto import write_pftrace
from cspy.trace.recorder import Recording

__all__ = ["Target", "check_target", "write", "FORMATS"]

Target = Any  # a path (str or os.PathLike) or a file object opened for writing
FORMATS = {".json": "json", ".pftrace": "pftrace", ".perfetto-trace": "pftrace"}


def check_target(target: Target, fmt: str | None = None) -> str:
    """The format ``target`` will be written in; ValueError for one it cannot be."""
    if fmt is not None:
        if fmt not in ("json", "pftrace"):
            raise ValueError(f"trace format must be 'json' or 'pftrace', got {fmt!r}")
        return fmt
    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        for suffix, f in FORMATS.items():
            if str(path).endswith(suffix):
                return f
        raise ValueError(
            f"cannot tell the trace format from {path!r}: end the name in .json (Chrome trace-event "
            "JSON) or .pftrace (Perfetto protobuf)"
        )
    if hasattr(target, "write"):
        return "pftrace" if isinstance(target, (io.RawIOBase, io.BufferedIOBase)) else "json"
    raise TypeError(f"a trace goes to a path or a file object, got {target!r}")


def write(rec: Recording, target: Target, fmt: str | None = None, since: int | None = None) -> None:
    """Write ``rec`` (its events from ``since``, ns) to ``target``."""
    fmt = check_target(target, fmt)
    model = build(rec, since)
    if isinstance(target, (str, os.PathLike)):
        if fmt == "json":
            with open(target, "w", encoding="utf-8") as f:
                write_json(model, f)
        else:
            with open(target, "wb") as fb:
                write_pftrace(model, fb)
        return
    if fmt == "json":
        if isinstance(target, (io.RawIOBase, io.BufferedIOBase)):
            text = io.StringIO()
            write_json(model, text)
            target.write(text.getvalue().encode())
        else:
            write_json(model, target)
    else:
        write_pftrace(model, target)



"""The debug endpoint's routes, as Go's ``net/http/pprof`` names them, plus cspy's own.

Each handler runs in a connection's task, so ``seconds=N`` waits with ``cspy.sleep`` (other
tasks run meanwhile) and the profiles read the runtime the same way ``cspy.pprof.write`` does.
Errors answer as Go's do: 400 for a bad parameter, 404 for an unknown profile, 500 when the
profile cannot be taken now (a trace already being recorded, say).
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys

from cspy import pprof
from cspy.http import Request, Response
from cspy.scheduler import running, sleep, snapshot
from cspy.trace import hook
from cspy.trace import start as trace_start
from cspy.trace import stop as trace_stop
from cspy.trace.export import write as trace_write
from cspy.trace.recorder import now_ns

__all__ = ["handle", "ROUTES"]

MAX_SECONDS = 60

ROUTES = {
    "block": "Stack traces that led to blocking on synchronization primitives",
    "goroutine": "Stack traces of all current tasks. Use debug=2 as a query parameter to export in the same format as an unrecovered panic.",
    "mutex": "Stack traces of holders of contended mutexes",
    "trace": "A trace of execution of the current program (Chrome trace-event JSON). You can specify the duration in the seconds GET parameter.",
    "cmdline": "The command line invocation of the current program",
}

_PROTO = {"content-type": "application/octet-stream", "x-content-type-options": "nosniff"}
_TEXT = {"content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff"}
_JSON = {"content-type": "application/json"}


class _BadRequest(Exception):
    pass


def _param(req: Request, name: str, default: float, lo: float, hi: float) -> float:
    q = req.query
    if name not in q:
        return default
    raw = q[name]
    try:
        value = float(raw)
    except ValueError:
        raise _BadRequest(f"bad {name} parameter {raw!r}: want a number") from None
    if not lo <= value <= hi:
        raise _BadRequest(f"{name}={raw} is out of range ({lo:g}..{hi:g})")
    return value


def _index() -> Response:
    rows = "".join(f'<tr><td><a href="{name}?debug=1">{name}</a></td><td>{doc}</td></tr>\n' for name, doc in sorted(ROUTES.items()))
    body = (
        "<html><head><title>/debug/pprof/</title></head><body>\n/debug/pprof/<br>\n<br>\n"
        f"Types of profiles available:\n<table>\n{rows}</table>\n"
        '<br>cspy: <a href="/debug/cspy/stats">stats</a> (JSON), <a href="/debug/cspy/flight">flight recorder</a>\n'
        "</body></html>\n"
    )
    return Response(200, body, {"content-type": "text/html; charset=utf-8"})


def _profile(kind: str, req: Request) -> Response:
    debug = int(_param(req, "debug", 0, 0, 2))
    seconds = _param(req, "seconds", 0, 0, MAX_SECONDS)
    if kind == "goroutine":
        if seconds:
            raise _BadRequest("the goroutine profile is a snapshot: seconds= is for block and mutex")
        data = pprof.profile_bytes(kind, debug)
    elif seconds:
        before = pprof.snapshot(kind)
        t0 = now_ns()
        sleep(seconds)
        data = pprof.profile_bytes(kind, min(debug, 1), pprof.delta(before, pprof.snapshot(kind)), now_ns() - t0)
    else:
        data = pprof.profile_bytes(kind, min(debug, 1))
    if debug:
        return Response(200, data, _TEXT)
    headers = {**_PROTO, "content-disposition": f'attachment; filename="{kind}"'}
    return Response(200, data, headers)


def _trace(req: Request) -> Response:
    seconds = _param(req, "seconds", 1, 0.001, MAX_SECONDS)
    rt = running()
    if rt is None:
        return Response(500, "no runtime is running\n", _TEXT)
    obs = hook.observer(rt)
    if obs.recording is not None:
        return Response(500, "Could not enable tracing: tracing is already enabled\n", _TEXT)
    out = io.StringIO()
    trace_start(out)
    try:
        sleep(seconds)
    finally:
        trace_stop()
    headers = {"content-type": "application/json", "content-disposition": 'attachment; filename="trace.json"'}
    return Response(200, out.getvalue(), headers)


def _flight() -> Response:
    fr = hook._flight
    rt = running()
    rec = hook.observer(rt).flight if rt is not None else None
    if fr is None or rec is None:
        return Response(404, "the flight recorder is not running: start a cspy.trace.FlightRecorder\n", _TEXT)
    out = io.StringIO()
    trace_write(rec, out, "json", since=rec.window_start())
    return Response(200, out.getvalue(), _JSON)


def _stats() -> Response:
    st = snapshot()
    return Response(200, json.dumps(dataclasses.asdict(st), default=str, indent=1), _JSON)


def handle(req: Request) -> Response:
    path = req.path
    try:
        if path in ("/debug/pprof", "/debug/pprof/"):
            return _index()
        if path == "/debug/cspy/stats":
            return _stats()
        if path == "/debug/cspy/flight":
            return _flight()
        if path.startswith("/debug/pprof/"):
            name = path[len("/debug/pprof/") :]
            if name in ("block", "mutex", "goroutine"):
                return _profile(name, req)
            if name == "trace":
                return _trace(req)
            if name == "cmdline":
                return Response(200, "\x00".join(sys.argv), _TEXT)
            return Response(404, f"Unknown profile: {name}\n", _TEXT)
        return Response(404, "404 page not found\n", _TEXT)
    except _BadRequest as exc:
        return Response(400, f"{exc}\n", _TEXT)

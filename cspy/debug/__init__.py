"""cspy.debug: Go's ``net/http/pprof`` endpoint, served by the runtime itself (loopback only).

``cspy.debug.serve(host="127.0.0.1", port=6060)`` from a task, ``cspy run app.py --debug-addr
127.0.0.1:6060`` or ``CSPY_DEBUG_ADDR=127.0.0.1:6060`` starts it; never on import. Routes
(handlers.py): ``/debug/pprof/`` (index), ``goroutine?debug=0|1|2``, ``block``, ``mutex``
(``seconds=N``: what the next N seconds add), ``trace?seconds=N`` (a Chrome-JSON execution
trace), ``cmdline``, plus ``/debug/cspy/stats`` (``cspy.stats()`` as JSON) and
``/debug/cspy/flight`` (the flight recorder's window).

The endpoint shows every task's stack and the program's arguments, so it listens only on a
loopback address; anything else is refused with ``ValueError``. Its tasks are the runtime's own
(``task.system``): deadlock detection does not wait for them (their network waits are not
pending work, and they run no timers while idle), and leak checks can leave them out. A
connection's task is marked when it serves its first request, so a client holding a fresh
connection open without sending anything delays deadlock detection until it closes.

>>> import urllib.request
>>> def main():
...     host, port = cspy.debug.serve(port=0)
...     url = f"http://{host}:{port}/debug/pprof/goroutine?debug=1"
...     text = cspy.blocking(lambda: urllib.request.urlopen(url).read().decode())
...     return text.splitlines()[0].startswith("goroutine profile: total")
>>> cspy.run(main)
True
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable

from cspy.debug.handlers import handle
from cspy.http import Server
from cspy.net import Listener, listen
from cspy.scheduler import Runtime, Task, current_task

__all__ = ["serve", "serve_on_start", "check_loopback", "parse_addr"]

# Longest ``seconds=`` a request may ask for (Go's handler refuses more than the server's write
# timeout; ours is set from this).
MAX_SECONDS = 60


def check_loopback(host: str) -> str:
    """``host`` if it is a loopback address (``localhost`` counts as 127.0.0.1); else ValueError."""
    if not isinstance(host, str):
        raise TypeError(f"the debug endpoint's host must be a str, got {host!r}")
    if host == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(
            f"the debug endpoint listens on a loopback address only, and {host!r} is not an IP address: "
            "use 127.0.0.1, ::1 or localhost"
        ) from None
    if not ip.is_loopback:
        raise ValueError(
            f"the debug endpoint listens on a loopback address only, and {host} is not one: it serves every "
            "task's stack and the program's arguments; use 127.0.0.1 (reach it from elsewhere through an "
            "SSH tunnel)"
        )
    return str(ip)


def parse_addr(addr: str, source: str = "the debug address") -> tuple[str, int]:
    """``"HOST:PORT"`` (``"[::1]:6060"`` for IPv6) -> (host, port), checked."""
    host, sep, port_text = addr.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"{source} must be HOST:PORT (e.g. 127.0.0.1:6060), got {addr!r}")
    try:
        return check_loopback(host or "127.0.0.1"), int(port_text)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


class _DebugServer(Server):
    """cspy.http's server with a reaper that runs no ticker: an idle endpoint must hold no timer,
    or deadlock detection would wait for it forever. Debug clients close their connections."""

    def _reap(self, stop, done):  # type: ignore[no-untyped-def]
        current_task().system = True
        try:
            stop.recv_ok()
        finally:
            done.close()


def _mark_and_handle(request):  # type: ignore[no-untyped-def]
    current_task().system = True  # this connection's task is the runtime's from now on
    return handle(request)


def _serve_loop(ln: Listener) -> None:
    current_task().system = True
    srv = _DebugServer(_mark_and_handle, read_timeout=5.0, write_timeout=MAX_SECONDS + 30.0, idle_timeout=60.0)
    srv.serve(ln)


def serve(host: str = "127.0.0.1", port: int = 6060) -> tuple[str, int]:
    """From a task: serve the debug routes on ``host:port`` (loopback only; ``port=0`` picks a
    free one) for the rest of the run; returns the bound address."""
    host = check_loopback(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int in 0..65535, got {port!r}")
    ln = listen(host, port)
    from cspy.scheduler import go

    go(_serve_loop, ln, name="cspy.debug server")
    addr = ln.addr
    return str(addr[0]), int(addr[1])


def serve_on_start(addr: str, source: str = "the debug address") -> Callable[[Runtime], None]:
    """For ``cspy.run``: a hook that starts the endpoint on ``addr`` when the run starts."""
    host, port = parse_addr(addr, source)

    def start(rt: Runtime) -> None:
        def boot() -> None:
            current_task().system = True
            bound = serve(host, port)
            sys.stderr.write(f"cspy: debug endpoint on http://{bound[0]}:{bound[1]}/debug/pprof/\n")

        rt.spawn_foreign(Task(rt.alloc_ids(1)[0], boot, (), None, name="cspy.debug boot"))

    return start

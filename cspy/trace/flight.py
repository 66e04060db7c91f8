"""The flight recorder (Go 1.25's ``runtime/trace.FlightRecorder``): the last seconds, on demand.

Started once for the process, it records every run into a bounded ring (recorder.py: each
buffer a ``deque`` holding its share of ``max_bytes``) and writes the last ``seconds`` of it when
asked: ``write_to(file)``, ``kill -USR2 <pid>`` (handler installed by ``start`` on the main
thread), the debug endpoint's ``/debug/cspy/flight``, and by itself when a run ends in a
``DeadlockError`` -- the moments before the deadlock are what one wants to see. As in Go,
``max_bytes`` wins over ``seconds`` when both cannot be met.

After a run ends its ring is kept (until the next run starts), so a program that caught the
deadlock can still write it out.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from cspy.errors import DeadlockError
from cspy.scheduler import running
from cspy.trace import hook
from cspy.trace.export import Target, check_target, write
from cspy.trace.recorder import Recording, now_ns

if TYPE_CHECKING:
    from cspy.scheduler import Runtime

__all__ = ["FlightRecorder"]

DEFAULT_SECONDS = 10.0
DEFAULT_MAX_BYTES = 32 << 20


class FlightRecorder:
    """A ring of the last ``seconds`` of execution trace, at most ``max_bytes``.

    ``path`` is where SIGUSR2 and a deadlock write the window (``{pid}`` and ``{n}``, a count,
    are filled in; ``.json`` or ``.pftrace`` picks the format).

    >>> fr = cspy.trace.FlightRecorder(seconds=1.0)
    >>> fr.start()
    >>> cspy.run(lambda: cspy.sleep(0.01))
    >>> import io; out = io.StringIO(); fr.write_to(out); fr.stop()
    >>> '"traceEvents"' in out.getvalue()
    True
    """

    def __init__(
        self, seconds: float = DEFAULT_SECONDS, max_bytes: int = DEFAULT_MAX_BYTES, path: str = "cspy-flight-{pid}-{n}.json"
    ) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1 << 16:
            raise ValueError(f"max_bytes must be an int of at least 65536, got {max_bytes!r}")
        check_target(path.format(pid=0, n=0))
        self.seconds = float(seconds)
        self.max_bytes = max_bytes
        self.path = path
        self.written = 0
        self._lock = threading.Lock()
        self._last: Recording | None = None
        self._started = False
        self._prev_handler: Any = None

    # ---- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Record from now on, in this run (if one is running) and every later one."""
        with self._lock:
            if self._started:
                raise RuntimeError("the flight recorder is already started")
            if hook._flight is not None:
                raise RuntimeError("another flight recorder is started: stop it first (one per process)")
            self._started = True
        hook.set_flight(self)
        rt = running()
        if rt is not None:
            obs = hook.observer(rt)
            self.attach(obs)
            obs.refresh()
        self._install_sigusr2()

    def stop(self) -> None:
        with self._lock:
            if not self._started:
                return
            self._started = False
        hook.set_flight(None)
        rt = running()
        if rt is not None:
            obs = hook.observer(rt)
            if obs.flight is not None:
                self._last = obs.flight
                obs.flight = None
                obs.refresh()
        self._remove_sigusr2()

    def enabled(self) -> bool:
        return self._started

    def attach(self, obs: hook.Observer) -> None:
        """A run starts (or is running): give it a ring."""
        obs.flight = Recording(obs.rt, max_bytes=self.max_bytes, seconds=self.seconds)
        obs.finishers.append(self._run_ended)

    def _run_ended(self, rt: Runtime) -> None:
        obs = hook.observer(rt)
        rec = obs.flight
        if rec is None:
            return
        rec.stopped_at = now_ns()
        self._last = rec
        if isinstance(rt.failure, DeadlockError):
            path = self._write_file("deadlock")
            if path is not None:
                rt.failure.add_note(f"cspy: the flight recorder's last {self.seconds:g}s are in {path}")

    # ---- writing ----------------------------------------------------------------------------------

    def _current(self) -> Recording | None:
        rt = running()
        if rt is not None:
            obs = hook.observer(rt)
            if obs.flight is not None:
                return obs.flight
        return self._last

    def write_to(self, target: Target, fmt: str | None = None) -> None:
        """Write the window (the last ``seconds``) to a path or file object."""
        rec = self._current()
        if rec is None:
            raise RuntimeError("the flight recorder has recorded nothing yet: start it, then run")
        write(rec, target, fmt, since=rec.window_start())

    def _write_file(self, why: str) -> str | None:
        with self._lock:
            self.written += 1
            n = self.written
        path = self.path.format(pid=os.getpid(), n=n)
        try:
            self.write_to(path)
        except (OSError, RuntimeError) as exc:
            sys.stderr.write(f"cspy: flight recorder ({why}): could not write {path}: {exc}\n")
            return None
        sys.stderr.write(f"cspy: flight recorder ({why}): wrote the last {self.seconds:g}s to {path}\n")
        return path

    # ---- SIGUSR2 ----------------------------------------------------------------------------------

    def _install_sigusr2(self) -> None:
        sig = getattr(signal, "SIGUSR2", None)
        if sig is None or threading.current_thread() is not threading.main_thread():
            return
        self._prev_handler = signal.getsignal(sig)
        prev = self._prev_handler

        def on_sigusr2(signum: int, frame: FrameType | None) -> None:
            self._write_file("SIGUSR2")
            if callable(prev):
                prev(signum, frame)

        self._handler = on_sigusr2
        signal.signal(sig, on_sigusr2)

    def _remove_sigusr2(self) -> None:
        sig = getattr(signal, "SIGUSR2", None)
        if sig is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(sig) is getattr(self, "_handler", None):
            prev = self._prev_handler
            signal.signal(sig, prev if prev is not None else signal.SIG_DFL)

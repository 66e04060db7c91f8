"""The live view: a rich ``Live`` dashboard of the scheduler, refreshed ~10 times a second.

``LiveView.start()`` before the runtime starts, ``stop()`` after ``run`` returns (cspy/entry.py
does both). rich's ``Live`` owns a refresh thread; each refresh *pulls* a sample
(``Sampler.take``: a ``cspy.stats()`` snapshot and the busiest channels) and renders it with the
pure functions of render.py. The scheduler never calls into the view, so the view costs the
running tasks only the CPU its thread uses (measured in benchmarks/bench_live_overhead.py).

Which terminal (``terminal_stream``): stdout if it is a terminal, else stderr if it is -- so
``cspy run prog.py --live > out.txt`` draws on stderr, as progress tools do -- else none, and
``cspy.run`` falls back to schedtrace lines (a dashboard redrawn into a file or a pipe is noise).
"A terminal" is ``isatty()``: FORCE_COLOR and the like do not make a file one, so a redirected
stdout never receives the dashboard.

Terminal handling: ``Live`` hides the cursor while it draws, and a stream that writes to the
dashboard's terminal is redirected (``sys.stdout``/``sys.stderr`` replaced by rich's proxy) so
the program's prints, schedtrace lines and task dumps appear above the dashboard instead of
tearing it. A stream that goes elsewhere is left alone: with stdout in a file the program's
prints land in the file, byte for byte, and nothing of the view does (``same_terminal``).
``stop()`` always restores both and shows the cursor again -- ``cspy.run`` calls it in a
``finally``, so Ctrl-C, an exception or a deadlock leave the terminal as it was. The dashboard
is transient: once the run ends it is replaced by a one-screen summary, printed on the same
terminal as the dashboard (never into a redirected stdout).
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from cspy.live.channels import start_tracking, stop_tracking
from cspy.live.render import dashboard, summary
from cspy.live.sample import Sampler

__all__ = ["LiveView", "REFRESH_PER_SECOND", "same_terminal", "terminal_stream"]

# Ten frames a second reads as "live" to a person and costs one snapshot per 100 ms.
REFRESH_PER_SECOND = 10


def terminal_stream() -> TextIO | None:
    """Where the live view draws: ``sys.stdout`` if it is a terminal, else ``sys.stderr`` if it
    is, else None (no terminal: the caller falls back to schedtrace lines)."""
    for stream in (sys.stdout, sys.stderr):
        if _isatty(stream):
            return stream
    return None


def same_terminal(a: object, b: object) -> bool:
    """Whether streams ``a`` and ``b`` both write to the same terminal device."""
    if not (_isatty(a) and _isatty(b)):
        return False
    try:
        return os.fstat(a.fileno()).st_rdev == os.fstat(b.fileno()).st_rdev  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return True  # terminals both, without a descriptor to tell them apart: most likely one


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # None, no isatty, or closed
        return False


class LiveView:
    """The dashboard of one run. ``start`` / ``stop`` from the thread that calls ``cspy.run``.

    ``console`` is where it draws (default: ``terminal_stream()``, else stdout). ``sys.stdout``
    and ``sys.stderr`` are redirected above the dashboard while it runs when they write to the
    console's terminal (``redirect_stdout`` / ``redirect_stderr`` = None: decide so; True/False
    force it).
    """

    def __init__(
        self,
        console: Console | None = None,
        refresh_per_second: float = REFRESH_PER_SECOND,
        redirect_stdout: bool | None = None,
        redirect_stderr: bool | None = None,
    ) -> None:
        if console is None:
            stream = terminal_stream()
            console = Console(file=stream) if stream is not None else Console()
        self.console = console
        self.sampler = Sampler()
        self.frames = 0
        self._live = Live(
            console=self.console,
            refresh_per_second=refresh_per_second,
            transient=True,
            redirect_stdout=same_terminal(sys.stdout, console.file) if redirect_stdout is None else redirect_stdout,
            redirect_stderr=same_terminal(sys.stderr, console.file) if redirect_stderr is None else redirect_stderr,
            get_renderable=self._frame,
        )

    @classmethod
    def on_terminal(cls) -> LiveView | None:
        """A view drawn on ``terminal_stream()``, or None when neither stdout nor stderr is a
        terminal (or rich would not drive it as one, e.g. ``TTY_COMPATIBLE=0``)."""
        stream = terminal_stream()
        if stream is None:
            return None
        view = cls(Console(file=stream))
        return view if view.console.is_terminal else None

    def start(self) -> None:
        start_tracking()
        self._live.start()

    def stop(self, print_summary: bool = True) -> None:
        """Restore the terminal, then print the run's summary (if the runtime ever started)."""
        try:
            self._live.stop()
        finally:
            stop_tracking()
        if not print_summary:
            return
        taken = self.sampler.take()
        if taken is not None:
            self.console.print(summary(taken[0], self.sampler.peaks))

    def _frame(self) -> RenderableType:
        """Called by rich (its refresh thread, and start/stop): render a fresh sample."""
        taken = self.sampler.take()
        if taken is None:
            return Text("cspy: waiting for the runtime to start...", style="dim")
        self.frames += 1
        return dashboard(*taken)

"""The live view: a rich ``Live`` dashboard of the scheduler, refreshed ~10 times a second.

``LiveView.start()`` before the runtime starts, ``stop()`` after ``run`` returns (cspy/entry.py
does both). rich's ``Live`` owns a refresh thread; each refresh *pulls* a sample
(``Sampler.take``: a ``cspy.stats()`` snapshot and the busiest channels) and renders it with the
pure functions of render.py. The scheduler never calls into the view, so the view costs the
running tasks only the CPU its thread uses (measured in scripts/bench_live_overhead.py).

Terminal handling: ``Live`` hides the cursor while it draws and redirects ``sys.stdout`` and
``sys.stderr`` so the program's prints (and schedtrace lines, task dumps) appear above the
dashboard. ``stop()`` always restores both and shows the cursor again -- ``cspy.run`` calls it
in a ``finally``, so Ctrl-C, an exception or a deadlock leave the terminal as it was. The
dashboard is transient: once the run ends it is replaced by a one-screen summary.

Only for terminals: ``cspy.run`` checks ``console.is_terminal`` and falls back to schedtrace
lines when stdout is not a terminal (a dashboard redrawn into a file or a pipe is noise).
"""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from cspy.live.channels import start_tracking, stop_tracking
from cspy.live.render import dashboard, summary
from cspy.live.sample import Sampler

__all__ = ["LiveView", "REFRESH_PER_SECOND"]

# Ten frames a second reads as "live" to a person and costs one snapshot per 100 ms.
REFRESH_PER_SECOND = 10


class LiveView:
    """The dashboard of one run. ``start`` / ``stop`` from the thread that calls ``cspy.run``."""

    def __init__(self, console: Console | None = None, refresh_per_second: float = REFRESH_PER_SECOND) -> None:
        self.console = console if console is not None else Console()
        self.sampler = Sampler()
        self.frames = 0
        self._live = Live(
            console=self.console,
            refresh_per_second=refresh_per_second,
            transient=True,
            redirect_stdout=True,
            redirect_stderr=True,
            get_renderable=self._frame,
        )

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

"""Observers of the scheduler: the rich live view, schedtrace lines, the end-of-run summary.

The top layer: it reads ``cspy.stats()`` snapshots (and the channel layer's tracked channels)
from threads of its own and never runs on the scheduler's hot path. Only ``cspy.run`` (with
``live=`` / ``schedtrace=``) and the ``cspy`` command import it; the scheduler knows nothing of it.

- sample.py: taking samples (snapshot + channels), rates and peaks;
- channels.py: the adapter over the channel layer's tracking;
- render.py: pure rendering, sample -> rich renderables;
- view.py: the ``rich.live.Live`` dashboard; schedtrace.py: the text trace.
"""

from cspy.live.render import dashboard, summary
from cspy.live.sample import Peaks, Rates, Sample, Sampler
from cspy.live.schedtrace import LINE_RE, Schedtrace, format_line
from cspy.live.view import LiveView

__all__ = [
    "LINE_RE",
    "LiveView",
    "Peaks",
    "Rates",
    "Sample",
    "Sampler",
    "Schedtrace",
    "dashboard",
    "format_line",
    "summary",
]

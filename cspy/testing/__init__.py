"""cspy.testing: virtual time, seeded schedules, schedule exploration with replay, leak checks.

Modules, one concept each:

- run.py: ``run`` (``cspy.run`` for tests) and ``wait`` (Go's ``synctest.Wait``);
- clock.py: the virtual clock, which jumps to the next timer when every task is durably blocked;
- bubble.py: what a testing runtime does differently (the hooks the scheduler calls);
- leaks.py: spawn sites and the leak report (``LeakError``);
- strategy.py: the decision stream that picks the next task (random, PCT, replay);
- points.py: the scheduling points of exploration;
- token.py: printable schedule tokens;
- explore.py: ``explore`` and ``replay``;
- plugin.py: the pytest plugin (``@pytest.mark.cspy``), loaded by pytest through the ``pytest11``
  entry point, never by ``import cspy.testing``.

docs/testing.md states the rules: what is durably blocked, what is a scheduling point, what
exploration covers and what it cannot.

>>> def main():
...     start = cspy.now()
...     cspy.sleep(60)
...     return cspy.now() - start
>>> cspy.testing.run(main)
60.0
"""

from cspy.testing.clock import VirtualClock
from cspy.testing.errors import ReplayDiverged, ScheduleFailure
from cspy.testing.explore import Explored, explore, replay
from cspy.testing.leaks import Leak, LeakError
from cspy.testing.run import run, wait

__all__ = [
    "Explored",
    "Leak",
    "LeakError",
    "ReplayDiverged",
    "ScheduleFailure",
    "VirtualClock",
    "explore",
    "replay",
    "run",
    "wait",
]

"""cspy: Go-style CSP for Python -- tasks, channels, select, sync and context on an M:N scheduler.

>>> import cspy
>>> def main():
...     ch = cspy.Chan[int](3)
...     cspy.go(lambda: [ch.send(i) for i in range(3)] and ch.close())
...     return [v for v in ch]
>>> cspy.run(main)
[0, 1, 2]
"""

from cspy.errors import ChannelClosed, DeadlockError
from cspy.scheduler import (
    Stats,
    Task,
    blocking,
    current_task,
    go,
    gosched,
    num_tasks,
    run,
    sleep,
)
from cspy.scheduler import snapshot as stats
from cspy.sync import WaitGroup

__version__ = "0.1.0"

__all__ = [
    "ChannelClosed",
    "DeadlockError",
    "Stats",
    "Task",
    "WaitGroup",
    "blocking",
    "current_task",
    "go",
    "gosched",
    "num_tasks",
    "run",
    "sleep",
    "stats",
]

"""cspy: Go-style CSP for Python -- tasks, channels, select, sync and context on an M:N scheduler.

>>> import cspy
>>> def count(ch: cspy.SendChan[int]) -> None:
...     for i in range(3):
...         ch.send(i)
...     ch.close()
>>> def main() -> list[int]:
...     ch = cspy.Chan[int]()
...     cspy.go(count, ch)
...     return list(ch)
>>> cspy.run(main)
[0, 1, 2]
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from cspy import build as _build  # first: it decides compiled or pure before a hot module loads

from cspy.errors import ChannelClosed, DeadlockError
from cspy.scheduler import (
    Stats,
    Task,
    blocking,
    current_task,
    go,
    gosched,
    now,
    num_tasks,
    sleep,
)
from cspy.scheduler import snapshot as stats
from cspy.scheduler.dump import dump_tasks
from cspy.entry import run
from cspy.sync import AtomicInt, Cond, Mutex, Once, RWMutex, Semaphore, WaitGroup
from cspy.channel import Chan, Recv, RecvChan, Send, SendChan, select
from cspy.time import Ticker, Timer, after, tick
from cspy import context

if _TYPE_CHECKING:
    from cspy import debug, http, net, pprof, testing, trace
    from cspy.net import call_async

__version__ = "0.1.0"

__all__ = [
    "context",
    "Chan",
    "Recv",
    "RecvChan",
    "Send",
    "SendChan",
    "Ticker",
    "Timer",
    "after",
    "select",
    "tick",
    "ChannelClosed",
    "DeadlockError",
    "Stats",
    "Task",
    "WaitGroup",
    "AtomicInt",
    "Cond",
    "Mutex",
    "Once",
    "RWMutex",
    "Semaphore",
    "blocking",
    "call_async",
    "http",
    "net",
    "current_task",
    "dump_tasks",
    "go",
    "gosched",
    "now",
    "num_tasks",
    "run",
    "sleep",
    "stats",
    "testing",
    "trace",
    "pprof",
    "debug",
]


def __getattr__(name: str) -> object:
    # cspy.net brings in trio, which takes longer to import than all the rest of cspy: programs
    # that never touch the network do not pay for it.
    if name == "net" or name == "call_async":
        import cspy.net

        globals()["call_async"] = cspy.net.call_async
        return globals()[name]
    if name == "http":  # h11 and cspy.net: loaded on first use, like cspy.net
        import cspy.http

        return cspy.http
    if name in ("trace", "pprof", "debug"):  # observers: loaded only by programs that use them
        import importlib

        return importlib.import_module(f"cspy.{name}")
    if name == "testing":  # for tests only: programs do not pay for its import
        import cspy.testing

        return cspy.testing
    raise AttributeError(f"module 'cspy' has no attribute {name!r}")

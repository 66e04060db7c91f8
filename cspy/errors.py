"""cspy's exceptions, in one place so every layer can import them without cycles.

Hierarchy::

    Exception
    ├── ChannelClosed          send on / close of a closed channel, recv from a closed drained one
    └── RuntimeError
        └── DeadlockError      every task is asleep and nothing can wake the main task
"""

from __future__ import annotations

__all__ = ["ChannelClosed", "DeadlockError"]


class ChannelClosed(Exception):
    """An operation found its channel closed (Go's "send on closed channel" panic, and the
    end of a closed, drained channel for ``recv``)."""


class DeadlockError(RuntimeError):
    """Raised by ``cspy.run`` when the main task is blocked and no task can ever run again.

    The message starts with ``all tasks are asleep - deadlock!`` and lists every task with what
    it waits on, as Go's runtime does.
    """

"""Which channels exist: a registry for the live view, off unless someone is watching.

While tracking is on, every new channel is remembered in a weak set, so the live view can show
the busiest ones; dropped channels vanish from it. Off by default, so creating a channel costs
one module-attribute read. Calls nest: tracking stays on until every ``track_channels(True)``
has been matched by a ``track_channels(False)``, so one observer finishing does not blind
another, and the set is dropped then.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspy.channel.chan import Chan

__all__ = ["track_channels", "tracked_channels"]

on = False  # read by Chan.__init__ without the lock: a hint, as it only decides what to record
_watchers = 0
_channels: weakref.WeakSet[Chan[Any]] = weakref.WeakSet()
_lock = threading.Lock()


def remember(ch: Chan[Any]) -> None:
    with _lock:
        if on:
            _channels.add(ch)


def track_channels(enable: bool) -> None:
    """Start (``True``) or stop (``False``) remembering newly created channels.

    >>> cspy.channel.track_channels(True)
    >>> ch = cspy.Chan[int]()
    >>> ch in cspy.channel.tracked_channels()
    True
    >>> cspy.channel.track_channels(False)
    """
    global on, _watchers
    with _lock:
        _watchers = _watchers + 1 if enable else max(0, _watchers - 1)
        on = _watchers > 0
        if not on:
            _channels.clear()


def tracked_channels() -> list[Chan[Any]]:
    """The live channels created while tracking was on."""
    with _lock:
        return list(_channels)

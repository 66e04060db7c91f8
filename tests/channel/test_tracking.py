"""tracking.py: the live view's channel registry nests and holds channels weakly."""

from __future__ import annotations

import gc

import cspy
from cspy.channel import track_channels, tracked_channels


def test_tracking_nests() -> None:
    track_channels(True)
    track_channels(True)  # a second observer
    a = cspy.Chan[int]()
    track_channels(False)  # the first one leaves: the second still sees new channels
    b = cspy.Chan[int](3)
    assert {id(c) for c in tracked_channels()} >= {id(a), id(b)}
    track_channels(False)
    assert tracked_channels() == []
    cspy.Chan[int]()
    assert tracked_channels() == []


def test_tracked_channels_are_weak() -> None:
    track_channels(True)
    try:
        ch = cspy.Chan[int]()
        assert ch in tracked_channels()
        del ch
        gc.collect()
        assert tracked_channels() == []
    finally:
        track_channels(False)

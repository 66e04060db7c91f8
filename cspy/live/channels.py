"""The channels the live view shows: rows made from ``cspy.channel``'s channel tracking.

The channel layer keeps, while tracking is on, a weak set of the channels created
(``cspy.channel.track_channels(on)``, ``cspy.channel.tracked_channels()``); each channel's
``len``, ``waiting_senders`` and ``waiting_receivers`` are readable without its lock. This module
turns them into plain ``ChanRow`` rows and picks the busiest, so the renderer stays pure and
never touches a live channel.

Tracking costs a set insertion per channel *created*, nothing per send or receive, so the
observers turn it on only for the runs they watch.

Counts are read without the channel's lock (the view must never slow a send), so a row is a
best-effort picture: a waiter count may include a select case that has just fired elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cspy.channel import Chan, track_channels, tracked_channels

__all__ = ["ChanRow", "busiest_channels", "chan_row", "start_tracking", "stop_tracking"]


@dataclass(frozen=True)
class ChanRow:
    label: str  # the channel's name, else "#<id>"
    cap: int
    len: int
    senders: int  # tasks waiting to send
    receivers: int  # tasks waiting to receive
    closed: bool = False


def start_tracking() -> None:
    """Remember channels created from now on (until ``stop_tracking``)."""
    track_channels(True)


def stop_tracking() -> None:
    track_channels(False)


def busiest_channels(limit: int) -> list[ChanRow]:
    """Up to ``limit`` tracked channels, busiest first (most waiting tasks, then fullest)."""
    if limit <= 0:
        return []
    rows = [chan_row(ch) for ch in tracked_channels()]
    rows.sort(key=lambda r: (r.senders + r.receivers, r.len, r.cap), reverse=True)
    return rows[:limit]


def chan_row(ch: Chan[Any]) -> ChanRow:
    """A channel as a row: its name (or ``#id``), capacity, buffered values and waiters."""
    return ChanRow(
        label=ch.name if ch.name else f"#{ch.id}",
        cap=ch.cap,
        len=len(ch),
        senders=ch.waiting_senders,
        receivers=ch.waiting_receivers,
        closed=ch.closed,
    )

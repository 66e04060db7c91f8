"""Timers and tickers that deliver on channels (Go's ``time.After``, ``Tick``, ``Timer``, ``Ticker``).

Each is a capacity-1 channel plus a scheduler timer (``add_timer``) whose callback does a
*non-blocking* send of the runtime clock (``cspy.scheduler.now()``) into it, as Go's ``sendTime``
does. So a timer never blocks its processor's scheduling loop, and a ticker whose receiver is
slow drops ticks instead of queueing them: at most one tick waits in the channel.

Invariants:
- ``_timer`` is the one scheduler timer that may still deliver; ``_gen`` counts re-arms. Both
  change only under ``_lock``. A callback carries the generation it was armed with and does
  nothing if ``stop``/``reset`` ran since (the scheduler timer may already have been popped for
  firing when ``stop`` cancels it, so "cancel failed" alone cannot tell a stale callback).
- Lock order: a Timer/Ticker lock, then the channel's lock (the send). Nothing takes them in the
  other order.

A task blocked on a pending timer's channel is not deadlocked: the pending scheduler timer is
future work for deadlock detection. Once a ticker is stopped, a task waiting on it is.

Like Go before 1.23: after ``stop()`` returns False a value may already sit in ``.c``; ``reset``
does not drain it. Drain explicitly if that matters:
``if not t.stop(): cspy.select(cspy.Recv(t.c), default=True)``.
"""

from __future__ import annotations

import math
import threading

from cspy.channel import Chan, RecvChan, Send, select
from cspy.scheduler import RuntimeTimer, add_timer, now

__all__ = ["after", "tick", "Timer", "Ticker"]


def _check_seconds(seconds: object, what: str) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} needs a number of seconds, got {seconds!r}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"{what} needs a finite number of seconds, got {seconds!r}")
    return float(seconds)


def _check_period(seconds: object, what: str) -> float:
    period = _check_seconds(seconds, what)
    if period <= 0:
        raise ValueError(f"non-positive interval for {what}: {seconds!r} (must be > 0)")
    return period


class Timer:
    """Deliver the time once on ``.c`` after ``seconds`` (Go's ``time.Timer``).

    ``seconds <= 0`` fires at once. ``stop()`` and ``reset()`` may be called from any task.

    >>> def main():
    ...     t = cspy.Timer(0.01)
    ...     t.c.recv()
    ...     return t.stop()  # already fired
    >>> cspy.run(main)
    False
    """

    __slots__ = ("c", "_chan", "_timer", "_lock")

    def __init__(self, seconds: float) -> None:
        delay = _check_seconds(seconds, "cspy.Timer()")
        self._chan = Chan[float](1)
        self.c: RecvChan[float] = self._chan.recv_only()
        self._lock = threading.Lock()  # orders stop/reset against each other
        self._timer: RuntimeTimer = add_timer(delay, _fire_timer, self, "cspy.Timer()")

    def stop(self) -> bool:
        """Prevent the timer from firing. True if it was pending (this call stopped it).

        False means it has fired: its value is in ``.c`` or about to be, so Go's idiom
        ``if not t.stop(): t.c.recv()`` never blocks.
        """
        with self._lock:
            return self._timer.cancel()

    def reset(self, seconds: float) -> bool:
        """Re-arm the timer to fire after ``seconds``. True if it had been pending."""
        delay = _check_seconds(seconds, "Timer.reset()")
        with self._lock:
            active = self._timer.cancel()
            self._timer = add_timer(delay, _fire_timer, self, "Timer.reset()")
            return active

    def __repr__(self) -> str:
        state = "pending" if self._timer.pending else "stopped or fired"
        return f"<cspy.Timer {state} c={self._chan!r}>"


def _fire_timer(t: Timer) -> None:
    # Fired means no stop() can claim this timer any more: deliver, whatever happens next.
    select(Send(t._chan, now()), default=True)


class Ticker:
    """Deliver the time on ``.c`` every ``seconds`` (Go's ``time.Ticker``).

    A slow receiver misses ticks: at most one waits in ``.c``. Ticks keep to the original
    schedule (a late tick does not shift the next ones). ``seconds`` must be > 0.

    >>> def main():
    ...     t = cspy.Ticker(0.01)
    ...     a, b = t.c.recv(), t.c.recv()
    ...     t.stop()
    ...     return b > a
    >>> cspy.run(main)
    True
    """

    __slots__ = ("c", "_chan", "_timer", "_gen", "_period", "_lock")

    def __init__(self, seconds: float) -> None:
        self._period = _check_period(seconds, "cspy.Ticker()")
        self._chan = Chan[float](1)
        self.c: RecvChan[float] = self._chan.recv_only()
        self._lock = threading.Lock()
        self._gen = 0
        self._timer: RuntimeTimer = add_timer(self._period, _fire_ticker, (self, 0), "cspy.Ticker()")

    def stop(self) -> None:
        """Stop delivering ticks. The channel is not closed (as in Go)."""
        with self._lock:
            self._gen += 1
            self._timer.cancel()

    def reset(self, seconds: float) -> None:
        """Stop the ticker and restart it with period ``seconds`` (the next tick in ``seconds``)."""
        period = _check_period(seconds, "Ticker.reset()")
        with self._lock:
            self._gen += 1
            self._timer.cancel()
            self._period = period
            self._timer = add_timer(period, _fire_ticker, (self, self._gen), "Ticker.reset()")

    def __repr__(self) -> str:
        return f"<cspy.Ticker every {self._period}s c={self._chan!r}>"


def _fire_ticker(arg: tuple[Ticker, int]) -> None:
    """Timer callback: deliver a tick (dropped if the last one is unread) and arm the next."""
    t, gen = arg
    with t._lock:
        if gen != t._gen:
            return
        clock = now()
        select(Send(t._chan, clock), default=True)
        period = t._period
        when = t._timer.when + period
        if when <= clock:  # we fell behind: skip the missed ticks, keep the phase
            when += period * (math.floor((clock - when) / period) + 1)
        t._timer = add_timer(when - clock, _fire_ticker, arg)


def after(seconds: float) -> RecvChan[float]:
    """A channel that delivers the time once, after ``seconds`` (Go's ``time.After``).

    >>> def main():
    ...     i, _, _ = cspy.select(cspy.Recv(cspy.Chan[int]()), cspy.Recv(cspy.after(0.01)))
    ...     return i
    >>> cspy.run(main)
    1
    """
    return Timer(seconds).c


def tick(seconds: float) -> RecvChan[float]:
    """A channel that delivers the time every ``seconds`` (Go's ``time.Tick``); it never stops.

    >>> def main():
    ...     c = cspy.tick(0.01)
    ...     return c.recv() < c.recv()
    >>> cspy.run(main)
    True
    """
    return Ticker(seconds).c

"""rate: a token-bucket limiter (golang.org/x/time/rate) and a sliding-window limiter.

Token bucket (``Limiter``): the bucket holds up to ``burst`` tokens and refills at ``rate``
tokens per second; an event takes one. Nothing runs in the background: the bucket's level is
computed lazily from the time of the last update (``_tokens`` at ``_last``), as in Go, so an idle
limiter costs nothing. A *reservation* may take tokens the bucket does not have yet (the level
goes negative); its ``delay()`` is how long until the debt is repaid, and ``wait`` sleeps that
long. ``_last_event`` is the latest time any reservation acts at, which ``cancel`` needs to
decide how many tokens it can give back (Go's ``Reservation.CancelAt``).

All state is under ``_lock``: a limiter is usually shared by tasks on every processor. Time is
the runtime clock (``cspy.scheduler.now``) unless a ``clock`` is injected (tests).

Sliding window (``SlidingWindow``): at most ``limit`` events in any window of ``window``
seconds, exactly: it keeps the admission times of the last ``limit`` events (memory O(limit)).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from cspy import context
from cspy.channel import Recv, select
from cspy.scheduler import now, sleep
from cspy.time import Timer

__all__ = ["Limiter", "Reservation", "SlidingWindow", "INF"]

INF = math.inf  # a rate that allows every event (burst is then ignored)


def _check_rate(rate: object) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate != rate or rate < 0:
        raise ValueError(f"rate.Limiter needs a rate >= 0 (events per second, or rate.INF), got {rate!r}")
    return float(rate)


def _check_n(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"rate.Limiter.{what}() needs an int n >= 0, got {n!r}")
    return n


class Reservation:
    """Tokens taken from a Limiter for an event that may act at ``time_to_act``.

    ``ok`` is False if the limiter can never grant it (``n`` above the burst); then ``delay()``
    is infinite. ``cancel()`` gives back what it can, when the event will not happen after all.
    """

    __slots__ = ("ok", "time_to_act", "tokens", "_lim", "_cancelled")

    def __init__(self, lim: Limiter, ok: bool, tokens: int, time_to_act: float) -> None:
        self._lim = lim
        self.ok = ok
        self.tokens = tokens
        self.time_to_act = time_to_act
        self._cancelled = False

    def delay(self) -> float:
        """Seconds to wait before acting (0 if now); ``math.inf`` if not ok."""
        if not self.ok:
            return INF
        return max(0.0, self.time_to_act - self._lim._clock())

    def cancel(self) -> None:
        """Return the reserved tokens, except those later reservations already depend on."""
        self._lim._cancel(self)

    def __repr__(self) -> str:
        return f"<Reservation ok={self.ok} tokens={self.tokens} delay={self.delay():.4f}>"


class Limiter:
    """A token bucket: ``rate`` events per second on average, bursts of up to ``burst``.

    >>> from cspy.x import rate

    >>> def main():
    ...     lim = rate.Limiter(10, burst=2)
    ...     return [lim.allow() for _ in range(3)]  # the burst, then empty
    >>> cspy.run(main)
    [True, True, False]
    """

    __slots__ = ("_rate", "_burst", "_tokens", "_last", "_last_event", "_lock", "_clock")

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] | None = None) -> None:
        self._rate = _check_rate(rate)
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 0:
            raise ValueError(f"rate.Limiter needs an int burst >= 0, got {burst!r}")
        self._burst = burst
        self._clock = clock if clock is not None else now
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = self._clock()
        self._last_event = self._last

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def tokens(self) -> float:
        """Tokens available now (negative while reservations are outstanding)."""
        with self._lock:
            return self._advance(self._clock())

    def allow(self, n: int = 1) -> bool:
        """Take ``n`` tokens if they are there now; never waits."""
        _check_n(n, "allow")
        return self._reserve(n, 0.0).ok

    def reserve(self, n: int = 1) -> Reservation:
        """Take ``n`` tokens now, possibly on credit: act after ``r.delay()``, or ``r.cancel()``.

        >>> from cspy.x import rate

        >>> def main():
        ...     lim = rate.Limiter(100, burst=1)
        ...     lim.allow()
        ...     r = lim.reserve()  # on credit: the next token is 1/100 s away
        ...     return r.ok, r.delay()
        >>> cspy.testing.run(main)  # virtual time stands still while main runs: exact delays
        (True, 0.01)
        """
        _check_n(n, "reserve")
        return self._reserve(n, INF)

    def wait(self, ctx: context.Context | None = None, n: int = 1) -> None:
        """Block the task until ``n`` tokens are available, and take them.

        With ``ctx``: raise ``ctx.err()`` if it is cancelled first (the tokens are given back),
        and ``context.DeadlineExceeded`` at once if the wait would outlast its deadline.
        ``n`` above the burst (with a finite rate) can never be granted: ``ValueError``.
        """
        _check_n(n, "wait")
        if n > self._burst and self._rate != INF:
            raise ValueError(f"rate: wait(n={n}) exceeds the limiter's burst {self._burst}; it could never succeed")
        max_wait = INF
        if ctx is not None:
            err = ctx.err()
            if err is not None:
                raise err
            deadline = ctx.deadline()
            if deadline is not None:
                max_wait = deadline - self._clock()
        r = self._reserve(n, max_wait)
        if not r.ok:
            raise context.DeadlineExceeded(f"rate: wait(n={n}) would exceed the context's deadline")
        delay = r.delay()
        if delay <= 0:
            return
        if ctx is None:
            sleep(delay)
            return
        timer = Timer(delay)
        index, _, _ = select(Recv(timer.c), Recv(ctx.done()))
        if index == 1:
            timer.stop()
            r.cancel()
            err = ctx.err()
            raise err if err is not None else context.Canceled("context canceled")

    # ---- the bucket (caller holds _lock where noted) ----------------------------------------

    def _advance(self, t: float) -> float:
        """Caller holds ``_lock``: the level at ``t`` (not stored)."""
        elapsed = max(0.0, t - self._last)
        return min(float(self._burst), self._tokens + elapsed * self._rate)

    def _reserve(self, n: int, max_wait: float) -> Reservation:
        with self._lock:
            t = self._clock()
            if self._rate == INF:
                return Reservation(self, True, n, t)
            tokens = self._advance(t) - n
            wait = 0.0
            if tokens < 0:
                wait = INF if self._rate == 0 else -tokens / self._rate
            ok = n <= self._burst and wait <= max_wait
            if not ok:
                return Reservation(self, False, 0, t)
            self._last = t
            self._tokens = tokens
            act = t + wait
            self._last_event = max(self._last_event, act)
            return Reservation(self, True, n, act)

    def _cancel(self, r: Reservation) -> None:
        with self._lock:
            t = self._clock()
            if r._cancelled or not r.ok or r.tokens == 0 or self._rate == INF or r.time_to_act < t:
                return
            r._cancelled = True
            # Tokens reserved after r (acting later than it) must stay taken.
            restore = r.tokens - (self._last_event - r.time_to_act) * self._rate
            if restore <= 0:
                return
            tokens = self._advance(t) + restore
            self._tokens = min(float(self._burst), tokens)
            self._last = t
            if r.time_to_act == self._last_event and self._rate > 0:
                prev = r.time_to_act - r.tokens / self._rate
                if prev >= t:
                    self._last_event = prev

    def __repr__(self) -> str:
        return f"<rate.Limiter rate={self._rate} burst={self._burst}>"


class SlidingWindow:
    """At most ``limit`` events in any ``window_seconds``-long window (exact, not smoothed).

    >>> from cspy.x import rate

    >>> def main():
    ...     w = rate.SlidingWindow(2, window_seconds=1.0)
    ...     return [w.allow() for _ in range(3)]
    >>> cspy.run(main)
    [True, True, False]
    """

    __slots__ = ("limit", "window", "_times", "_lock", "_clock")

    def __init__(self, limit: int, window_seconds: float, *, clock: Callable[[], float] | None = None) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"rate.SlidingWindow needs an int limit >= 0, got {limit!r}")
        if isinstance(window_seconds, bool) or not isinstance(window_seconds, (int, float)) or not window_seconds > 0:
            raise ValueError(f"rate.SlidingWindow needs window_seconds > 0, got {window_seconds!r}")
        self.limit = limit
        self.window = float(window_seconds)
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self._clock = clock if clock is not None else now

    def allow(self) -> bool:
        """Admit one event now if fewer than ``limit`` were admitted in the last window."""
        with self._lock:
            t = self._clock()
            times = self._times
            horizon = t - self.window
            while times and times[0] <= horizon:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(t)
            return True

    def __repr__(self) -> str:
        return f"<rate.SlidingWindow limit={self.limit} window={self.window}>"

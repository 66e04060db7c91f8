"""breaker: a circuit breaker -- stop calling a dependency that keeps failing, probe it later.

States (``State``):

- CLOSED: calls go through; ``failure_threshold`` failures *in a row* open the circuit.
- OPEN: calls are rejected at once (``BreakerOpen``, or the fallback) for ``open_timeout``
  seconds, so a struggling dependency gets no load and callers do not wait on it.
- HALF_OPEN: after the timeout, exactly **one** trial call goes through (others are rejected
  while it runs). Success closes the circuit; failure opens it for another timeout.

All state is under ``_lock``, never held while ``fn``, the fallback or ``on_change`` run (they
may block or take long). ``on_change(old, new)`` is called after each transition, in the task
that caused it, in transition order for that task. A failure is an ``Exception`` from ``fn``;
``BaseException``s (shutdown, Ctrl-C) pass through without counting.

``fallback(exc)``, if given, is returned instead of raising: for a rejected call ``exc`` is the
``BreakerOpen``, for a failed call it is ``fn``'s exception (which still counts as a failure).
"""

from __future__ import annotations

import enum
import threading
from typing import Any
from collections.abc import Callable

from cspy.scheduler import now

__all__ = ["CircuitBreaker", "State", "BreakerOpen"]


class State(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"

    def __str__(self) -> str:
        return self.value


class BreakerOpen(RuntimeError):
    """A call rejected because the circuit is open (or a half-open trial is in flight)."""


class CircuitBreaker:
    """Wrap calls to a flaky dependency: ``breaker.call(fn, *args)``.

    >>> from cspy.x import breaker

    >>> def main():
    ...     b = breaker.CircuitBreaker(failure_threshold=2, open_timeout=10, fallback=lambda e: "cached")
    ...     def flaky():
    ...         raise ConnectionError("down")
    ...     return [b.call(flaky) for _ in range(3)], str(b.state)
    >>> cspy.run(main)
    (['cached', 'cached', 'cached'], 'open')
    """

    __slots__ = (
        "failure_threshold",
        "open_timeout",
        "fallback",
        "on_change",
        "_lock",
        "_state",
        "_failures",
        "_opened_at",
        "_trial",
        "_gen",
        "_clock",
    )

    def __init__(
        self,
        failure_threshold: int,
        open_timeout: float,
        fallback: Callable[[BaseException], Any] | None = None,
        *,
        on_change: Callable[[State, State], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if isinstance(failure_threshold, bool) or not isinstance(failure_threshold, int) or failure_threshold < 1:
            raise ValueError(f"CircuitBreaker needs failure_threshold >= 1, got {failure_threshold!r}")
        if isinstance(open_timeout, bool) or not isinstance(open_timeout, (int, float)) or not open_timeout >= 0:
            raise ValueError(f"CircuitBreaker needs open_timeout >= 0 seconds, got {open_timeout!r}")
        self.failure_threshold = failure_threshold
        self.open_timeout = float(open_timeout)
        self.fallback = fallback
        self.on_change = on_change
        self._lock = threading.Lock()
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False  # a half-open trial call is in flight
        self._gen = 0  # bumped on every state change; an outcome counts only in its own state
        self._clock = clock if clock is not None else now

    @property
    def state(self) -> State:
        """The current state; an OPEN circuit whose timeout passed reads as HALF_OPEN."""
        with self._lock:
            if self._state is State.OPEN and self._clock() - self._opened_at >= self.open_timeout:
                return State.HALF_OPEN
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted while closed."""
        return self._failures

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call ``fn(*args, **kwargs)`` if the circuit allows it; see the module doc."""
        changes: list[tuple[State, State]] = []
        with self._lock:
            rejected = self._admit(changes)
            gen = self._gen  # the state this call was admitted in
        self._notify(changes)
        if rejected is not None:
            if self.fallback is not None:
                return self.fallback(rejected)
            raise rejected
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            with self._lock:
                if gen == self._gen:
                    self._on_failure(changes)
            self._notify(changes)
            if self.fallback is not None:
                return self.fallback(exc)
            raise
        except BaseException:
            with self._lock:
                if gen == self._gen and self._state is State.HALF_OPEN:
                    self._trial = False  # not a verdict on the dependency; let another probe
            raise
        with self._lock:
            if gen == self._gen:
                self._on_success(changes)
        self._notify(changes)
        return result

    def reset(self) -> None:
        """Force the circuit closed with no failures counted."""
        changes: list[tuple[State, State]] = []
        with self._lock:
            self._failures = 0
            self._trial = False
            self._move(State.CLOSED, changes)
        self._notify(changes)

    # ---- transitions (caller holds _lock) ------------------------------------------------

    def _admit(self, changes: list[tuple[State, State]]) -> BreakerOpen | None:
        if self._state is State.OPEN:
            if self._clock() - self._opened_at < self.open_timeout:
                return BreakerOpen("circuit breaker is open: calls are rejected until the open timeout passes")
            self._move(State.HALF_OPEN, changes)
        if self._state is State.HALF_OPEN:
            if self._trial:
                return BreakerOpen("circuit breaker is half-open and its trial call is in flight")
            self._trial = True
        return None

    def _on_failure(self, changes: list[tuple[State, State]]) -> None:
        if self._state is State.HALF_OPEN:
            self._trial = False
            self._open(changes)
            return
        self._failures += 1
        if self._state is State.CLOSED and self._failures >= self.failure_threshold:
            self._open(changes)

    def _on_success(self, changes: list[tuple[State, State]]) -> None:
        self._failures = 0
        if self._state is State.HALF_OPEN:
            self._trial = False
            self._move(State.CLOSED, changes)

    def _open(self, changes: list[tuple[State, State]]) -> None:
        self._opened_at = self._clock()
        self._failures = 0
        self._move(State.OPEN, changes)

    def _move(self, new: State, changes: list[tuple[State, State]]) -> None:
        old = self._state
        if old is not new:
            self._state = new
            # Calls admitted before this change report to a state that is gone: their outcome
            # must not decide the new one (a slow call from before the circuit opened must not
            # close it while the half-open trial is still in flight).
            self._gen += 1
            changes.append((old, new))

    def _notify(self, changes: list[tuple[State, State]]) -> None:
        cb = self.on_change
        while changes:
            old, new = changes.pop(0)
            if cb is not None:
                cb(old, new)

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.state} failures={self._failures}>"

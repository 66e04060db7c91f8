"""The exceptions of schedule exploration.

    AssertionError
     +-- ScheduleFailure   explore() found a schedule under which the program fails (.token)
     +-- LeakError         tasks alive after main returned (leaks.py)
    RuntimeError
     +-- ReplayDiverged    replay(): the program no longer matches the token (.step)

``ScheduleFailure`` and ``LeakError`` are ``AssertionError`` subclasses so that a test framework
reports them as failures of the test, not as errors of the harness.
"""

from __future__ import annotations

__all__ = ["ScheduleFailure", "ReplayDiverged"]


class ScheduleFailure(AssertionError):
    """A run of ``explore`` raised. ``token`` replays it (``cspy.testing.replay(main, token)``);
    the run's own exception is ``__cause__``. ``run`` is the failing run's number (1-based);
    ``original_token`` the token before shrinking (equal to ``token`` if it was not shrunk)."""

    def __init__(self, message: str, token: str, run: int, original_token: str | None = None) -> None:
        super().__init__(message)
        self.token = token
        self.run = run
        self.original_token = original_token if original_token is not None else token


class ReplayDiverged(RuntimeError):
    """A replayed run stopped matching its token at scheduling decision ``step`` (1-based)."""

    def __init__(self, step: int, message: str) -> None:
        super().__init__(message)
        self.step = step

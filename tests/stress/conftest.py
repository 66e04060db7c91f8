"""Stress tests: many tasks on several processors, checked for exact outcomes.

Every test here runs for procs in {2, 4} (one processor cannot race with itself) and asserts
what must hold however the threads interleave: each message or job accounted for exactly once
(a count and a checksum), mutual exclusion kept, no task lost, and no thread left running after
``cspy.run`` returns. They are meant to be run many times, and on free-threaded CPython (see
docs/freethreaded.md), where the GIL no longer hides a missing lock.

``STRESS_REPEAT=N`` runs every stress test N times (default 1), each repetition its own test
item, so a failure names the round that failed:

    STRESS_REPEAT=20 python -m pytest tests/stress -q
"""

from __future__ import annotations

import os

import pytest


def _repeat() -> int:
    raw = os.environ.get("STRESS_REPEAT", "1").strip() or "1"
    try:
        n = int(raw)
    except ValueError:
        raise pytest.UsageError(f"STRESS_REPEAT must be a positive integer, got {raw!r}") from None
    if n < 1:
        raise pytest.UsageError(f"STRESS_REPEAT must be a positive integer, got {raw!r}")
    return n


@pytest.fixture(autouse=True, params=range(_repeat()), ids=lambda i: f"round{i}")
def stress_round(request: pytest.FixtureRequest) -> int:
    """Which repetition this is (see ``STRESS_REPEAT``)."""
    return int(request.param)

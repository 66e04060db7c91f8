"""Suite-wide guarantees: no scheduler thread outlives the test that started it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest


def cspy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cspy-")]


@pytest.fixture(autouse=True)
def no_thread_outlives_run() -> Iterator[None]:
    """Every test: no scheduler thread and no runtime (so no task) is left once it returns."""
    from cspy.scheduler import running

    assert not cspy_threads(), f"cspy threads alive before the test: {cspy_threads()}"
    yield
    left = cspy_threads()
    assert not left, f"cspy threads outlived cspy.run: {left}"
    assert running() is None, "a runtime is still registered after the test"


PROCS = [1, 2, 4]

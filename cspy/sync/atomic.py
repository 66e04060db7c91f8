"""AtomicInt (Go's ``sync/atomic.Int64``, unbounded): an integer whose operations are atomic.

Every operation takes ``_lock``, a ``threading.Lock``. ``x += 1`` on a Python attribute is a
read-modify-write of several bytecodes and is not atomic without the GIL (nor, between the
bytecodes, with it); the lock makes each method one indivisible step on every build. The lock is
held only for a few bytecodes and never across a park, so it never blocks a processor for long.
"""

from __future__ import annotations

import threading

from cspy.scheduler.testpoint import hook

__all__ = ["AtomicInt"]


def _check_int(what: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"AtomicInt.{what}() needs an int, got {v!r}")
    return v


class AtomicInt:
    """An int with atomic ``load``, ``store``, ``add``, ``swap`` and ``compare_and_swap``.

    >>> n = cspy.AtomicInt(5)
    >>> n.add(2), n.swap(0), n.compare_and_swap(0, 9), n.load()
    (7, 7, True, 9)
    """

    __slots__ = ("_value", "_lock")

    def __init__(self, value: int = 0) -> None:
        self._value = _check_int("__init__", value)
        self._lock = threading.Lock()

    def load(self) -> int:
        """The current value."""
        with self._lock:
            v = self._value
        if hook.point is not None:  # cspy.testing: a scheduling point in exploration
            hook.point()
        return v

    def store(self, v: int) -> None:
        """Set the value to ``v``."""
        _check_int("store", v)
        with self._lock:
            self._value = v
        if hook.point is not None:
            hook.point()

    def add(self, d: int) -> int:
        """Add ``d`` (may be negative) and return the new value."""
        _check_int("add", d)
        with self._lock:
            self._value += d
            new = self._value
        if hook.point is not None:
            hook.point()
        return new

    def swap(self, v: int) -> int:
        """Set the value to ``v`` and return the old value."""
        _check_int("swap", v)
        with self._lock:
            old = self._value
            self._value = v
        if hook.point is not None:
            hook.point()
        return old

    def compare_and_swap(self, old: int, new: int) -> bool:
        """If the value is ``old``, set it to ``new`` and return True; else change nothing."""
        _check_int("compare_and_swap", new)
        with self._lock:
            swapped = self._value == old
            if swapped:
                self._value = new
        if hook.point is not None:
            hook.point()
        return swapped

    def __repr__(self) -> str:
        return f"<AtomicInt {self._value}>"

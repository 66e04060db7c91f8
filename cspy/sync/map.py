"""Map (Go's ``sync.Map``): a dict that tasks on several processors may share.

One dict, ``_d``, and one ``threading.Lock``, ``_lock``. The invariant: every *change* to
``_d`` is made under ``_lock``, as a single dict operation (one store, one pop, one clear).
So each compound method -- ``load_or_store``, ``swap``, ``compare_and_swap``,
``compare_and_delete`` -- is one indivisible step: nothing can change the entry between its
look-up and its store.

``load`` takes no lock: it is one dict look-up, which is atomic on both builds (under the GIL,
and, without it, by the free-threaded dict's own per-object locking), and since every writer
makes its change in one dict operation, a lock-free reader sees the map either before or after
each change, never halfway. That is Go's sync.Map trade as well: reads of stable keys scale,
writes serialise.

``range(f)`` copies the entries under the lock and calls ``f`` with the lock released, so ``f``
may use the map (and may block). Go's ``Range`` promises no more than that: no key is visited
twice, and a key stored or deleted during the call may or may not be seen.

The lock is held for a few bytecodes and never across a park (no method blocks the task), as
in ``AtomicInt``. Keys are compared by hash and ``==``, values (in the compare-and-* methods) by
``is`` or ``==``: a key's ``__eq__``/``__hash__`` and a value's ``__eq__`` run under the lock
and must not use the same map.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar
from collections.abc import Callable

__all__ = ["Map"]

K = TypeVar("K")
V = TypeVar("V")

_MISSING: Any = object()


class Map(Generic[K, V]):
    """A concurrent map (Go's ``sync.Map``); every method is atomic, from any processor.

    >>> m = cspy.sync.Map[str, int]()
    >>> m.store("a", 1)
    >>> m.load("a"), m.load("b")
    ((1, True), (None, False))
    >>> m.load_or_store("a", 2), m.load_or_store("b", 2)
    ((1, True), (2, False))
    >>> m.compare_and_swap("b", 2, 3), m.swap("b", 4), m.load_and_delete("b")
    (True, (3, True), (4, True))
    >>> seen = []
    >>> m.range(lambda k, v: seen.append((k, v)) or True)
    >>> seen
    [('a', 1)]
    """

    __slots__ = ("_d", "_lock")

    def __init__(self) -> None:
        self._d: dict[K, V] = {}
        self._lock = threading.Lock()

    def load(self, key: K) -> tuple[V | None, bool]:
        """``(value, True)`` if ``key`` is present, else ``(None, False)``. Takes no lock."""
        v = self._d.get(key, _MISSING)
        if v is _MISSING:
            return None, False
        return v, True

    def store(self, key: K, value: V) -> None:
        """Set the value for ``key``."""
        with self._lock:
            self._d[key] = value

    def load_or_store(self, key: K, value: V) -> tuple[V, bool]:
        """The existing value and True if ``key`` is present; else store ``value`` and return
        ``(value, False)``. Of several concurrent callers for one absent key exactly one stores."""
        with self._lock:
            d = self._d
            v = d.get(key, _MISSING)
            if v is not _MISSING:
                return v, True
            d[key] = value
            return value, False

    def load_and_delete(self, key: K) -> tuple[V | None, bool]:
        """Delete ``key``; return its previous value and True, or ``(None, False)`` if absent."""
        with self._lock:
            v = self._d.pop(key, _MISSING)
        if v is _MISSING:
            return None, False
        return v, True

    def delete(self, key: K) -> None:
        """Delete ``key`` if present."""
        with self._lock:
            self._d.pop(key, None)

    def swap(self, key: K, value: V) -> tuple[V | None, bool]:
        """Store ``value``; return the previous value and True, or ``(None, False)`` if absent."""
        with self._lock:
            d = self._d
            prev = d.get(key, _MISSING)
            d[key] = value
        if prev is _MISSING:
            return None, False
        return prev, True

    def compare_and_swap(self, key: K, old: V, new: V) -> bool:
        """If ``key``'s value is ``old`` (``is`` or ``==``), store ``new`` and return True.
        An absent key never matches."""
        with self._lock:
            d = self._d
            cur = d.get(key, _MISSING)
            if cur is _MISSING or not (cur is old or cur == old):
                return False
            d[key] = new
            return True

    def compare_and_delete(self, key: K, old: V) -> bool:
        """If ``key``'s value is ``old`` (``is`` or ``==``), delete it and return True."""
        with self._lock:
            d = self._d
            cur = d.get(key, _MISSING)
            if cur is _MISSING or not (cur is old or cur == old):
                return False
            del d[key]
            return True

    def range(self, f: Callable[[K, V], object]) -> None:
        """Call ``f(key, value)`` for each entry until it returns False (``is False``; None goes
        on). ``f`` runs without the lock, on a snapshot taken when ``range`` starts: it may use
        the map, and entries it changes may or may not be seen."""
        with self._lock:
            items = list(self._d.items())
        for k, v in items:
            if f(k, v) is False:
                return

    def clear(self) -> None:
        """Delete every entry."""
        with self._lock:
            self._d.clear()

    def __repr__(self) -> str:
        return f"<Map entries={len(self._d)}>"

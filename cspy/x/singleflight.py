"""singleflight (golang.org/x/sync/singleflight): collapse duplicate concurrent calls.

``do(key, fn)`` runs ``fn`` only if no call for ``key`` is in flight; otherwise it waits for the
one in flight and shares its outcome. State, under ``_lock``: ``_calls`` maps a key to its
in-flight ``_Call`` (a WaitGroup the duplicates wait on, the result or exception, and how many
callers shared it). The entry is removed when ``fn`` finishes, so a later ``do`` runs ``fn``
again: this deduplicates concurrent work, it is not a cache.

Go returns ``(v, err, shared)``. Here ``do`` returns ``(value, shared)`` and *raises* ``fn``'s
exception in every caller that shared the call (the same exception object), because Python
reports errors by raising. ``shared`` is True when more than one caller received this outcome.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar
from collections.abc import Callable, Hashable

from cspy.sync import WaitGroup

__all__ = ["Group"]

T = TypeVar("T")


class _Call:
    __slots__ = ("wg", "val", "err", "dups")

    def __init__(self) -> None:
        self.wg = WaitGroup()
        self.wg.add(1)
        self.val: Any = None
        self.err: BaseException | None = None
        self.dups = 0


class Group(Generic[T]):
    """Duplicate-call suppression by key.

    >>> from cspy.x import singleflight

    >>> def main():
    ...     sf, calls = singleflight.Group(), []
    ...     def load():
    ...         calls.append(1)
    ...         cspy.sleep(0.01)
    ...         return "data"
    ...     out = cspy.Chan(3)
    ...     for _ in range(3):
    ...         cspy.go(lambda: out.send(sf.do("k", load)))
    ...     return [out.recv() for _ in range(3)], len(calls)
    >>> cspy.run(main)
    ([('data', True), ('data', True), ('data', True)], 1)
    """

    __slots__ = ("_lock", "_calls")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call] = {}

    def do(self, key: Hashable, fn: Callable[[], T]) -> tuple[T, bool]:
        """Run ``fn()`` for ``key`` unless a call for ``key`` is in flight; return
        ``(value, shared)`` or raise ``fn``'s exception."""
        with self._lock:
            c = self._calls.get(key)
            leader = c is None
            if c is None:
                c = self._calls[key] = _Call()
            else:
                c.dups += 1
        if not leader:
            c.wg.wait()
            if c.err is not None:
                raise c.err
            return c.val, True
        try:
            c.val = fn()
        except BaseException as exc:
            c.err = exc
        with self._lock:
            if self._calls.get(key) is c:
                del self._calls[key]
            shared = c.dups > 0
        c.wg.done()
        if c.err is not None:
            raise c.err
        return c.val, shared

    def forget(self, key: Hashable) -> None:
        """Stop sharing the in-flight call for ``key``: the next ``do`` runs ``fn`` anew."""
        with self._lock:
            self._calls.pop(key, None)

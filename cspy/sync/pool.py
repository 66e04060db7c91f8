"""Pool (Go's ``sync.Pool``): a cache of reusable objects, per processor.

Terms. Each processor of the running runtime owns one ``_Local``: ``items``, a stack of at most
``LOCAL_CAP`` objects, and ``victim``, the objects that were in ``items`` at the last full
garbage collection. The pool also has a *shared* list (and its own victim list) under ``_lock``.

Invariants (these are what make the pool correct without the GIL):
- A ``_Local`` is read and written only by the thread of the processor it belongs to, so
  ``get``/``put`` in a task touch no lock at all while that processor's stack has room (put) or
  objects (get). Go's ``poolLocal.private`` has the same rule; there, disabling preemption pins
  the goroutine to its P, here a task is pinned to its processor anyway.
- Everything else -- objects a processor's full stack overflows into, objects put back from
  outside a task (plain Python before ``cspy.run``, a ``cspy.blocking`` thread) -- lives in the
  shared list, touched only under ``_lock``. A processor whose own stack and victim are empty
  takes from the shared list: that is how objects move between processors (Go steals from the
  other Ps' shared chains; our per-processor stacks are owner-only, so the surplus is shared
  instead).
- The per-processor caches belong to one runtime: ``_state`` is one tuple ``(runtime, locals)``
  read with a single load, so a reader never pairs one run's runtime with another run's list.
  The first use in a new run replaces it (under ``_lock``); the old run's caches are dropped,
  and they are dropped sooner, when the old runtime is freed (a weak reference's callback).

When cached objects go away (Go drops them at GC, keeping one cycle's worth in a victim cache):
every full garbage collection (``gc.collect()``, an automatic generation-2 collection; on the
free-threaded build every collection is full) bumps a global epoch. Nothing is touched from
the collector; each processor, at its next ``get``/``put``, sees the new epoch and moves its
stack into its victim slot, dropping the previous victim; the shared list ages the same way
under its lock. An object therefore survives one collection and is dropped at the second,
unless it is got again in between. A processor that never uses the pool again keeps its cache
until the run ends. ``gc.disable()`` leaves only the end of the run.

The pool never blocks and never parks: ``new()`` runs in the caller.
"""

from __future__ import annotations

import gc
import sysconfig
import threading
import weakref
from typing import Any, Generic, TypeVar
from collections.abc import Callable

from cspy.scheduler.processor import current_processor

__all__ = ["Pool"]

T = TypeVar("T")

LOCAL_CAP = 64
"""Objects a processor keeps for itself. Enough that a loop's get/put pairs and short bursts
never leave the processor; a task that puts back more (a producer whose consumers run on another
processor) overflows into the shared list, where the other processors find them."""

_FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))

_epoch = 0  # full collections seen; written only by the collector's callback


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _epoch
    if phase == "start" and (info.get("generation") == 2 or _FREE_THREADED):
        _epoch += 1


gc.callbacks.append(_on_gc)


class _Local:
    """One processor's cache. Owner thread only."""

    __slots__ = ("items", "victim", "epoch")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.victim: list[Any] = []
        self.epoch = _epoch

    def age(self, now: int) -> None:
        """Owner only: a full collection happened since this cache last looked."""
        self.victim = self.items if now == self.epoch + 1 else []
        self.items = []
        self.epoch = now


_NO_RUNTIME: tuple[Any, list[_Local]] = (None, [])


class Pool(Generic[T]):
    """A set of reusable objects (Go's ``sync.Pool``): ``get()`` one, ``put(x)`` it back.

    ``get`` returns a cached object, or ``new()`` when there is none (None without ``new``).
    Anything cached may be dropped at any time (at the end of the run, or across two full
    garbage collections): a pool is for objects that are worth reusing, never for state that
    must survive. ``put(None)`` does nothing.

    >>> def main():
    ...     bufs = cspy.sync.Pool(lambda: bytearray(4096))
    ...     a = bufs.get()
    ...     bufs.put(a)
    ...     return bufs.get() is a, len(bufs.get())
    >>> cspy.run(main)
    (True, 4096)
    """

    __slots__ = ("new", "_state", "_lock", "_shared", "_victim", "_epoch", "__weakref__")

    def __init__(self, new: Callable[[], T] | None = None) -> None:
        if new is not None and not callable(new):
            raise TypeError(f"Pool(new=...) needs a callable that makes an object, got {new!r}")
        self.new = new
        self._state: tuple[Any, list[_Local]] = _NO_RUNTIME
        self._lock = threading.Lock()
        self._shared: list[T] = []  # under _lock
        self._victim: list[T] = []  # under _lock
        self._epoch = _epoch  # the shared list's, under _lock

    def _local(self) -> _Local | None:
        """This processor's cache, aged to the current epoch; None outside a processor."""
        p = current_processor()
        if p is None:
            return None
        ref, locals_ = self._state
        if ref is None or ref() is not p.rt:
            locals_ = self._attach(p.rt)
        loc = locals_[p.id]
        if loc.epoch != _epoch:
            loc.age(_epoch)
        return loc

    def get(self) -> T | None:
        """A cached object, else ``new()``, else None. Any thread; takes no lock when this
        processor has one cached."""
        loc = self._local()
        if loc is not None:
            items = loc.items
            if items:
                return items.pop()  # type: ignore[no-any-return]
            if loc.victim:
                return loc.victim.pop()  # type: ignore[no-any-return]
        with self._lock:
            self._age_shared()
            if self._shared:
                return self._shared.pop()
            if self._victim:
                return self._victim.pop()
        new = self.new
        return None if new is None else new()

    def put(self, x: T | None) -> None:
        """Cache ``x`` for a later ``get``. Any thread; takes no lock while this processor's own
        cache has room."""
        if x is None:
            return
        loc = self._local()
        if loc is not None:
            items = loc.items
            if len(items) < LOCAL_CAP:
                items.append(x)
                return
        with self._lock:
            self._age_shared()
            self._shared.append(x)

    def _attach(self, rt: Any) -> list[_Local]:
        """First use in this run: per-processor caches for ``rt`` (the old run's are dropped)."""
        with self._lock:
            ref, locals_ = self._state
            if ref is not None and ref() is rt:
                return locals_  # another processor of this run got here first
            wself = weakref.ref(self)
            locals_ = [_Local() for _ in rt.ps]
            self._state = (weakref.ref(rt, lambda _: _detach(wself)), locals_)
            return locals_

    def _age_shared(self) -> None:
        """Caller holds ``_lock``."""
        now = _epoch
        if self._epoch != now:
            self._victim = self._shared if now == self._epoch + 1 else []
            self._shared = []
            self._epoch = now

    def __repr__(self) -> str:
        new = getattr(self.new, "__qualname__", repr(self.new))
        return f"<Pool new={new} shared={len(self._shared)}>"


def _detach(wpool: weakref.ref[Pool[Any]]) -> None:
    """The runtime of a pool's caches was freed: drop them (no processor of it runs).

    A weak reference's callback may run inside a garbage collection that an allocation under
    ``_lock`` started, on the thread holding it: so only *try* the lock. If it is busy, the
    caches are dropped at the pool's next use in a run instead.
    """
    pool = wpool()
    if pool is None or not pool._lock.acquire(False):
        return
    try:
        ref = pool._state[0]
        if ref is not None and ref() is None:
            pool._state = _NO_RUNTIME
    finally:
        pool._lock.release()

"""Which build of cspy's hot path runs: compiled (Cython) or pure Python -- one switch for all.

The hot modules (``COMPILED``) are plain ``.py`` files, the one source of truth and the pure
Python fallback. Where a C compiler was there at install time, Cython compiled each of them from
that same ``.py``, typed by the ``.pxd`` beside it (gevent's method: an *augmenting* ``.pxd``
declares the ``cdef class`` fields and C-level functions, the ``.py`` stays readable Python), into
an extension module of the same name next to it. Python's import system prefers the extension,
so nothing in the sources refers to the build.

All or none: compiled classes cross module boundaries (the compiled ``park`` reads a compiled
``Task``'s C fields directly), so a mix of compiled and pure modules cannot work. This module,
imported first by ``cspy/__init__.py`` and before any hot module, decides once per process:

- ``CSPY_PURE_PYTHON=1`` (any value but empty or ``0``) forces pure Python;
- otherwise the compiled build runs if *every* hot module has a fresh extension beside its
  ``.py``; an extension older than its source (edited since the build) counts as missing;
- in the pure case a finder at the head of ``sys.meta_path`` loads the hot modules from their
  ``.py`` files, so no stray extension is picked up.

``BUILD`` is ``"compiled"`` or ``"pure"``; ``REASON`` says why (``cspy --version``,
``cspy.stats().build``). Nothing here imports the rest of cspy: ``setup.py`` reads ``COMPILED``
from this file before cspy is installed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["BUILD", "REASON", "COMPILED", "compiled_modules"]

# The hot path, in dependency order (each may cimport those before it). setup.py compiles these.
COMPILED = (
    "cspy.scheduler.lock",  # compiled from lock.pyx: its pure form is threading.Lock (lock.py)
    "cspy.scheduler.testpoint",
    "cspy.scheduler.timers",
    "cspy.scheduler.task",
    "cspy.scheduler.runqueue",
    "cspy.scheduler.runner",
    "cspy.scheduler.processor",
    "cspy.scheduler.park",
    "cspy.channel.waitq",
    "cspy.channel.chan",
    "cspy.channel.select",
    "cspy.sync.mutex",
    "cspy.sync.rwmutex",
    "cspy.sync.semaphore",
    "cspy.sync.waitgroup",
    "cspy.sync.cond",
)

# An extension this much older than its .py was built from an older source. (A wheel unpacks
# both within moments, in any order; an edit after a build comes later than that.)
_STALE_AFTER = 1.0

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _source(name: str) -> str:
    """What module ``name`` is compiled from: its .py, or its .pyx where it has one (lock)."""
    base = os.path.join(_ROOT, *name.split("."))
    return base + ".pyx" if os.path.exists(base + ".pyx") else base + ".py"


def _extension(name: str) -> str | None:
    """The compiled file for module ``name`` built for this interpreter, or None."""
    base = os.path.join(_ROOT, *name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base + suffix
    return None


def _decide() -> tuple[str, str]:
    if os.environ.get("CSPY_PURE_PYTHON", "") not in ("", "0"):
        return "pure", "CSPY_PURE_PYTHON is set"
    for name in COMPILED:
        ext = _extension(name)
        if ext is None:
            return "pure", f"not compiled ({name} has no extension module: no C compiler at install?)"
        src = _source(name)
        if os.path.exists(src) and os.path.getmtime(src) > os.path.getmtime(ext) + _STALE_AFTER:
            return "pure", f"compiled build is stale ({name}.py changed since): reinstall to rebuild"
    return "compiled", "Cython extension modules"


class _PureFinder(importlib.abc.MetaPathFinder):
    """Loads the hot modules from their ``.py`` sources, passing over their extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED:
            return None
        src = os.path.join(_ROOT, *fullname.split(".")) + ".py"
        loader = importlib.machinery.SourceFileLoader(fullname, src)
        return importlib.util.spec_from_file_location(fullname, src, loader=loader)


def compiled_modules() -> dict[str, bool]:
    """For each hot module already imported: is it the compiled one? (Tests check the switch.)"""
    out = {}
    for name in COMPILED:
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = not (mod.__file__ or "").endswith(".py")
    return out


BUILD, REASON = _decide()
if BUILD == "pure" and not any(isinstance(f, _PureFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _PureFinder())

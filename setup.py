"""Build cspy's compiled hot path: Cython compiles each module listed in cspy/build.py from its
own .py, typed by the .pxd beside it, into an extension module of the same name.

Pure Python is the fallback, and it is never an error: with no C compiler (or no Cython, or
CSPY_NO_COMPILE=1 at build time) cspy installs as pure Python and says so, here and in
``cspy --version``. Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import os
import runpy
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def _say(msg: str) -> None:
    print(f"cspy build: {msg}", file=sys.stderr)


class _OptionalBuildExt(build_ext):
    """build_ext that installs pure Python when compiling fails. Each extension is optional
    (a failed one is skipped); a partial set is harmless, since cspy/build.py loads the
    compiled modules all together or none, and says which."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all, missing headers
            _say(f"compiling failed ({exc}); installing pure Python (cspy --version says so)")


def _source(name: str) -> str:
    """A hot module's source: its .py, typed by the .pxd beside it; a .pyx where the compiled
    module is written for C alone (cspy/scheduler/lock.pyx, whose pure form is threading.Lock)."""
    base = name.replace(".", "/")
    return base + ".pyx" if os.path.exists(os.path.join(HERE, base + ".pyx")) else base + ".py"


def extensions() -> list[Extension]:
    if os.environ.get("CSPY_NO_COMPILE", "") not in ("", "0"):
        _say("CSPY_NO_COMPILE is set: installing pure Python")
        return []
    try:
        from Cython.Build import cythonize
        import greenlet
    except ImportError as exc:
        _say(f"{exc.name} is not available: installing pure Python")
        return []
    hot = runpy.run_path(os.path.join(HERE, "cspy", "build.py"))["COMPILED"]
    include = [os.path.dirname(os.path.dirname(greenlet.__file__))]  # greenlet/greenlet.h
    exts = [Extension(name, [_source(name)], include_dirs=include, optional=True) for name in hot]
    directives = {
        "language_level": 3,
        "binding": True,  # functions keep their signatures and docstrings (doctests, help())
        "embedsignature": True,
        "embedsignature.format": "python",  # inspect.signature() and help() read it, on classes too
        "always_allow_keywords": True,
        # Types come from the .pxd only: the sources' annotations are for mypy (``x: float`` would
        # make Cython convert at the call, and a bad argument would miss cspy's own message).
        "annotation_typing": False,
        "autotestdict": False,
        # Safe without the GIL: every field another thread reads is a C number or flag, an object
        # set once, or read under the owner's lock (docs/design.md, "The compiled build"); the
        # stress suite runs on 3.13t compiled. Without it, importing the build re-enables the GIL.
        "freethreading_compatible": True,  # doctest finds the docstrings itself; __test__ would run them twice
        # Python semantics everywhere (negative indexes, % and // on ints, no overflow): the
        # compiled build must behave exactly as the .py reads.
    }
    out = cythonize(exts, compiler_directives=directives, quiet=True)
    for ext in out:
        ext.optional = True  # cythonize() drops it
    _say(f"compiling {len(out)} modules with Cython")
    return out


setup(ext_modules=extensions(), cmdclass={"build_ext": _OptionalBuildExt})

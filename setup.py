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
    exts = [
        Extension(name, [name.replace(".", "/") + ".py"], include_dirs=include, optional=True)
        for name in hot
    ]
    directives = {
        "language_level": 3,
        "binding": True,  # functions keep their signatures and docstrings (doctests, help())
        "embedsignature": True,
        "always_allow_keywords": True,
        # Python semantics everywhere (negative indexes, % and // on ints, no overflow): the
        # compiled build must behave exactly as the .py reads.
    }
    out = cythonize(exts, compiler_directives=directives, quiet=True)
    for ext in out:
        ext.optional = True  # cythonize() drops it
    _say(f"compiling {len(out)} modules with Cython")
    return out


setup(ext_modules=extensions(), cmdclass={"build_ext": _OptionalBuildExt})

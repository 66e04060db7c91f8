"""Doctests: every docstring example in cspy/ runs, with ``cspy`` already imported.

On the compiled build (cspy/build.py) a hot module's ``.py`` is not what ``import`` loads, so
pytest's doctest collector, which imports each file by path, refuses it; those modules' examples
run from the compiled modules themselves in tests/test_build.py instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cspy
from cspy import build

# Where cspy is imported from: this tree (editable install), or site-packages when the wheel lane
# (.ci/gil313.sh) loads this file as a plugin to run the installed package's doctests.
_ROOT = Path(build.__file__).resolve().parent.parent
_COMPILED_SOURCES = (
    {_ROOT.joinpath(*name.split(".")).with_suffix(".py") for name in build.COMPILED}
    if build.BUILD == "compiled"
    else set()
)
_NAMES = {path.name for path in _COMPILED_SOURCES}


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    if collection_path.name in _NAMES and collection_path.resolve() in _COMPILED_SOURCES:
        return True
    return None


@pytest.fixture(autouse=True)
def _cspy_in_doctests(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["cspy"] = cspy

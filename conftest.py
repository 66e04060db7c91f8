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

_ROOT = Path(__file__).parent
_COMPILED_SOURCES = (
    {_ROOT.joinpath(*name.split(".")).with_suffix(".py") for name in build.COMPILED}
    if build.BUILD == "compiled"
    else set()
)


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    return True if collection_path in _COMPILED_SOURCES else None


@pytest.fixture(autouse=True)
def _cspy_in_doctests(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["cspy"] = cspy

"""Doctests: every docstring example in cspy/ runs, with ``cspy`` already imported."""

from __future__ import annotations

from typing import Any

import pytest

import cspy


@pytest.fixture(autouse=True)
def _cspy_in_doctests(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["cspy"] = cspy

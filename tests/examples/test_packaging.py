"""pyproject.toml lists its packages by hand (the gallery's examples/ ships as cspy.examples,
which setuptools' find cannot discover): every package in the tree must be on that list, or a
`pip install .` would silently leave it out."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def packages_in_tree() -> set[str]:
    found = set()
    for init in (REPO / "cspy").rglob("__init__.py"):
        found.add(".".join(init.parent.relative_to(REPO).parts))
    for init in (REPO / "examples").rglob("__init__.py"):
        found.add(".".join(("cspy",) + init.parent.relative_to(REPO).parts))
    return found


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    missing = packages_in_tree() - listed
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"] == {"cspy.examples": "examples"}
    assert not listed - packages_in_tree(), "pyproject.toml lists packages that do not exist"

"""cspy/build.py: the one switch between the compiled hot path and pure Python.

CI runs the suite twice, compiled and with CSPY_PURE_PYTHON=1, and tells this file which build
it must find (CSPY_EXPECT_BUILD), so a compiled build that silently fell back to pure Python
fails here instead of passing everything slowly.
"""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys

import pytest

import cspy
from cspy import build


def test_the_expected_build_is_the_one_loaded() -> None:
    expected = os.environ.get("CSPY_EXPECT_BUILD")
    if expected is None:
        pytest.skip("CSPY_EXPECT_BUILD not set (CI sets it to 'compiled' or 'pure')")
    assert build.BUILD == expected, build.REASON


def test_all_or_none() -> None:
    for name in build.COMPILED:
        importlib.import_module(name)
    loaded = build.compiled_modules()
    assert set(loaded) == set(build.COMPILED)
    assert set(loaded.values()) == {build.BUILD == "compiled"}, loaded


def test_pure_python_switch_in_a_fresh_process() -> None:
    code = (
        "import cspy, cspy.build as b; import cspy.channel, cspy.sync; "
        "print(b.BUILD, sorted(set(b.compiled_modules().values())))"
    )
    env = dict(os.environ, CSPY_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.split() == ["pure", "[False]"]


def test_version_and_stats_name_the_build() -> None:
    out = subprocess.run([sys.executable, "-m", "cspy", "--version"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert f"cspy {cspy.__version__}" in out and build.BUILD in out
    assert cspy.run(lambda: cspy.stats().build) == build.BUILD


@pytest.mark.skipif(build.BUILD != "compiled", reason="pure build: pytest collects these doctests itself")
@pytest.mark.parametrize("name", build.COMPILED)
def test_compiled_modules_doctests(name: str) -> None:
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(mod, globs={**vars(mod), "cspy": cspy}):
        runner.run(test)
    res = runner.summarize(verbose=False)
    assert res.failed == 0
    assert res.attempted == _examples_in_source(name)  # the compiled functions kept them all


def _examples_in_source(name: str) -> int:
    """How many examples the pure module's docstrings hold (its source loaded under another name)."""
    import importlib.util

    src = os.path.join(os.path.dirname(os.path.dirname(cspy.__file__)), *name.split(".")) + ".py"
    spec = importlib.util.spec_from_file_location("_pure_" + name.replace(".", "_"), src)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return sum(len(t.examples) for t in doctest.DocTestFinder().find(mod, globs={"cspy": cspy}))


# --- packaging: what the compiled build and the release wheels are made of -------------------

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: set on every class a class statement makes


def _cdef_classes(name: str) -> list[str]:
    """The ``cdef class`` names the .pxd beside module ``name`` declares (none without a .pxd)."""
    import re

    mod = importlib.import_module(name)
    pxd = os.path.join(os.path.dirname(mod.__file__ or ""), name.rsplit(".", 1)[1] + ".pxd")
    if not os.path.exists(pxd):
        return []
    with open(pxd, encoding="utf-8") as f:
        return re.findall(r"^cdef class (\w+)", f.read(), flags=re.MULTILINE)


@pytest.mark.skipif(build.BUILD != "compiled", reason="pure build: the classes are Python classes")
@pytest.mark.parametrize("name", build.COMPILED)
def test_compiled_classes_are_the_pxd_types(name: str) -> None:
    """Each class the .pxd declares compiled into a C type, not a Python class: a module compiled
    without its .pxd (an sdist that forgot it) would still load, untyped and slower."""
    mod = importlib.import_module(name)
    for cls_name in _cdef_classes(name):
        cls = getattr(mod, cls_name)
        assert not cls.__flags__ & _HEAPTYPE, f"{name}.{cls_name} is a Python class: built without its .pxd?"


def test_python_class_is_a_heap_type() -> None:
    """The check above can fail: a class statement's class carries the flag it looks for."""

    class Plain:
        __slots__ = ("x",)

    assert Plain.__flags__ & _HEAPTYPE


def _cibuildwheel() -> dict[str, object]:
    import tomllib

    path = os.path.join(_REPO, "pyproject.toml")
    if not os.path.exists(path):
        pytest.fail(f"no pyproject.toml at {path}: run the suite from the project (or a copy of it)")
    with open(path, "rb") as f:
        return tomllib.load(f)["tool"]["cibuildwheel"]  # type: ignore[no-any-return]


def test_cibuildwheel_declares_the_release_wheels() -> None:
    """cibuildwheel cannot run here (no container images): its configuration is checked instead."""
    cfg = _cibuildwheel()
    wanted = {"cp311-*", "cp312-*", "cp313-*", "cp313t-*"}
    assert wanted <= set(cfg["build"]), cfg["build"]  # type: ignore[arg-type]
    assert "cpython-freethreading" in cfg["enable"], "cp313t wheels need enable = cpython-freethreading"  # type: ignore[operator]
    assert not any(s.startswith(("cp311", "cp312", "cp313")) for s in cfg.get("skip", [])), cfg["skip"]  # type: ignore[attr-defined]
    assert set(cfg["linux"]["archs"]) >= {"x86_64", "aarch64"}  # type: ignore[index]
    assert cfg["macos"]["archs"] and cfg["windows"]["archs"]  # type: ignore[index]


def test_cibuildwheel_tests_each_wheel_with_the_suite() -> None:
    cfg = _cibuildwheel()
    command = cfg["test-command"]
    assert isinstance(command, str) and "{project}" in command, command
    assert cfg["test-extras"] == ["test"]
    script = command.split()[1].replace("{project}", _REPO)
    assert os.path.exists(script), f"test-command runs {script}, which does not exist"

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
    for test in finder.find(mod, globs={"cspy": cspy}):
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

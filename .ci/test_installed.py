"""Run cspy's suite against the *installed* cspy (a wheel), not the source tree.

Used by the wheel lane (.ci/gil313.sh) and by cibuildwheel's test-command (pyproject.toml), so
both test a wheel the same way, on any platform:

    python .ci/test_installed.py PROJECT_DIR [pytest args...]

It copies the project but its cspy/ folder into a temporary directory (README, docs, examples,
benchmarks and pyproject.toml are read by tests), so ``import cspy`` can find only the installed
package; checks that cspy imports from site-packages and loads the build CSPY_EXPECT_BUILD names
(default ``compiled``); then runs pytest there on tests/ and on the installed package's own
doctests. The project's root conftest.py is loaded as a plugin (-p): as a conftest its doctest
fixture would reach only files below it, and the installed package lives in site-packages.
Exits with pytest's status.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path

# Not copied: the package itself (the point), and build, VCS and tool state.
_SKIP_TOP = {"cspy", ".git", "build", "dist", "wheelhouse", "conftest.py"}
_SKIP_ANY = {"__pycache__", ".mypy_cache", ".pytest_cache", ".hypothesis"}

# The tree's packaging test compares pyproject's package list with the source tree's cspy/,
# which the copy has on purpose not got; the wheel lane checks the wheel's contents instead.
_SOURCE_TREE_ONLY = ["tests/examples/test_packaging.py::test_every_package_is_listed_in_pyproject"]


def _ignore(top: Path) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in _SKIP_ANY or n.endswith(".egg-info") or n.startswith(".venv")}
        if Path(folder) == top:
            skip |= {n for n in names if n in _SKIP_TOP}
        return skip

    return ignore


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    project, args = Path(argv[0]).resolve(), argv[1:]
    expect = os.environ.get("CSPY_EXPECT_BUILD", "compiled")
    with tempfile.TemporaryDirectory(prefix="cspy-installed-") as tmp:
        tree, plugins = Path(tmp) / "tree", Path(tmp) / "plugins"
        shutil.copytree(project, tree, ignore=_ignore(project), symlinks=True)
        plugins.mkdir()
        shutil.copy(project / "conftest.py", plugins / "cspy_root_conftest.py")

        check = (
            "import os, sys, sysconfig, cspy, cspy.build as b; "
            "print(os.path.realpath(os.path.dirname(cspy.__file__))); print(b.BUILD); print(b.REASON)"
        )
        out = subprocess.run([sys.executable, "-c", check], cwd=tree, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stdout + out.stderr, file=sys.stderr)
            sys.exit(f"test_installed: cspy does not import from {tree}")
        where, build, reason = out.stdout.splitlines()
        site = os.path.realpath(sysconfig.get_paths()["platlib"])
        if Path(where) != Path(site) / "cspy":
            sys.exit(f"test_installed: cspy imports from {where}, not from site-packages ({site})")
        if build != expect:
            sys.exit(f"test_installed: the installed cspy loads the {build} build ({reason}); "
                     f"expected {expect}")
        print(f"test_installed: cspy from {where}: {build} ({reason})", flush=True)

        if not args:
            pkg = Path(site) / "cspy"
            args = ["tests", str(pkg), f"--ignore={pkg / 'examples'}"]
            for node in _SOURCE_TREE_ONLY:
                args += ["--deselect", node]
        env = dict(os.environ, CSPY_EXPECT_BUILD=expect)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "cspy_root_conftest", *args]
        print(f"test_installed: running {' '.join(cmd[1:])} (in {tree}, CSPY_EXPECT_BUILD={expect})", flush=True)
        return subprocess.run(cmd, cwd=tree, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

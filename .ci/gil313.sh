#!/usr/bin/env bash
# Wheel lane: CPython 3.13 *with* the GIL (what most users run, newer than the machine's 3.11),
# testing what a user installs, not the source tree.
#
# What it does, in order:
#   1. Builds CPython 3.13 (GIL on) once, from the same cached Debian source as the free-threaded
#      lane (.ci/cpython.sh), into $CSPY_CACHE/python3.13 (default ~/.cache/cspy).
#   2. In a fresh venv: `python -m build` makes the sdist, then the wheel from that sdist (so a
#      file the sdist forgot, such as a .pxd, shows up as a failure here), in build's isolated
#      environment with the build-system requirements of pyproject.toml.
#   3. Checks what the two archives carry: the wheel has every compiled module (an extension for
#      this interpreter and its .py, the pure fallback), py.typed, the examples as cspy.examples,
#      and no generated .c; the sdist has every .py and .pxd and no generated .c.
#   4. Installs the wheel (not editable) with the test extra into the venv and runs
#      .ci/test_installed.py: from a copy of the tree *without* cspy/ (so only the installed
#      package can be imported) it checks cspy imports from site-packages as the compiled build,
#      then runs tests/ plus the installed package's own doctests (CSPY_EXPECT_BUILD=compiled).
#
# Usage:  bash .ci/gil313.sh [pytest args...]   (default: the whole suite and the doctests)
# If the lane cannot run it says so loudly and exits non-zero: it never skips silently.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANE=gil313
# shellcheck source=.ci/cpython.sh
. "$ROOT/.ci/cpython.sh"

PREFIX=$CACHE/python$PYVER
PY=$PREFIX/bin/python$PYVER
GIL_ON='import sys; sys.exit(sys._is_gil_enabled() is not True)'

# One run of this lane at a time per cache (the free-threaded lane has its own lock).
exec 9>"$CACHE/.lock-python$PYVER"
flock 9

# --- 1. the interpreter -----------------------------------------------------

if cpython_ok "$PREFIX" "$PY" "$GIL_ON"; then
    say "using cached $("$PY" -VV | head -n1) at $PREFIX"
else
    cpython_build "$PREFIX" "$PY" "$GIL_ON"
    say "built $("$PY" -VV | head -n1)"
fi

# --- 2. sdist, then the wheel from it -----------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cspy-wheel-lane.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
VENV=$WORK/venv
VPY=$VENV/bin/python
log=$LOGDIR/wheel-build.log
say "building the sdist and the wheel from it with python -m build (log: $log)"
{ "$PY" -m venv "$VENV" &&
  "$VPY" -m pip install -q --upgrade pip build &&
  "$VPY" -m build --outdir "$WORK/dist" "$ROOT"; } >"$log" 2>&1 ||
    die "python -m build failed" "$log"
grep -h '^cspy build:' "$log" | sort -u | sed 's/^/[gil313] /' || true
WHEEL=$(ls "$WORK"/dist/*.whl)
SDIST=$(ls "$WORK"/dist/*.tar.gz)
say "built $(basename "$SDIST") and $(basename "$WHEEL")"

# --- 3. what the archives carry ------------------------------------------------

"$VPY" - "$ROOT" "$WHEEL" "$SDIST" <<'EOF' || die "the wheel or the sdist does not carry what it must"
import importlib.machinery, runpy, sys, tarfile, zipfile
from pathlib import Path

root, wheel, sdist = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
hot = runpy.run_path(str(root / "cspy" / "build.py"))["COMPILED"]
suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
names = set(zipfile.ZipFile(wheel).namelist())
problems = []
for mod in hot:
    base = mod.replace(".", "/")
    if base + suffix not in names:
        problems.append(f"wheel: no compiled {base}{suffix}")
    if base + ".py" not in names:
        problems.append(f"wheel: no {base}.py (the pure fallback)")
if "cspy/py.typed" not in names:
    problems.append("wheel: no cspy/py.typed")
examples = {str(p.relative_to(root)) for p in (root / "examples").rglob("*.py")}
missing = sorted(e for e in examples if "cspy/" + e not in names)
if not examples or missing:
    problems.append(f"wheel: examples missing as cspy.examples: {missing or 'none in the tree'}")
problems += [f"wheel: carries generated C {n}" for n in sorted(names) if n.endswith(".c")]

members = tarfile.open(sdist).getnames()
top = members[0].split("/")[0]
inside = {m.split("/", 1)[1] for m in members if "/" in m}
for mod in hot:
    base = mod.replace(".", "/")
    for ext in (".py", ".pxd", ".pyx"):
        if (root / (base + ext)).exists() and base + ext not in inside:
            problems.append(f"sdist: no {base}{ext}")
problems += [f"sdist: carries generated C {n}" for n in sorted(inside) if n.endswith(".c")]
if problems:
    sys.exit("\n".join(problems))
print(f"[gil313] wheel: {len(hot)} compiled modules ({suffix}) with their .py, py.typed, "
      f"{len(examples)} example files, no .c; sdist: .py and .pxd of each, no .c")
EOF

# --- 4. install it, run the suite against it ---------------------------------

log=$LOGDIR/wheel-install.log
say "installing $(basename "$WHEEL")[test] into a fresh venv (log: $log)"
"$VPY" -m pip install "$WHEEL[test]" >"$log" 2>&1 || die "installing the wheel failed" "$log"

# The suite against the installed package, from a copy of the tree without cspy/ (the same
# script is cibuildwheel's test-command): it checks cspy imports from site-packages as the
# compiled build, then runs tests/ and the installed package's doctests.
say "cspy --version: $(cd "$WORK" && "$VENV/bin/cspy" --version)"
set +e
(cd "$WORK" && CSPY_EXPECT_BUILD=compiled "$VPY" "$ROOT/.ci/test_installed.py" "$ROOT" "$@")
rc=$?
set -e
((rc == 0)) || say "LANE FAILED: the suite exited $rc on the installed wheel"
exit "$rc"

#!/usr/bin/env bash
# Free-threaded CPython lane: run the test suite on CPython 3.13 built with
# --disable-gil, so that any state cspy shares across processors without a
# lock shows up as a failure instead of being hidden by the GIL.
#
# What it does, in order:
#   1. Builds CPython 3.13 free-threaded ("3.13t") from Debian's source
#      package, once, into $CSPY_CACHE/python3.13t (default ~/.cache/cspy).
#      No free-threaded binary is installable from the registries this
#      project can reach; the source package is.
#   2. Makes a venv for it, cached and keyed by the project's dependency
#      lists in pyproject.toml (a change there rebuilds it). greenlet is
#      built from source at a pinned version known to keep the GIL off:
#      a prebuilt greenlet wheel that does not declare free-threading
#      support re-enables the GIL (and with PYTHON_GIL=0 it crashes).
#      The venv also holds the build requirements (pyproject's
#      build-system.requires, greenlet at the same pin), because:
#   3. Installs the project itself (editable, no deps) from this tree with
#      --no-build-isolation, so Cython compiles the hot path against the
#      venv's own greenlet 3.5.3 (an isolated build would fetch the newest
#      greenlet, which does not build on 3.13). Every run does this, so an
#      edited hot module is recompiled (Cython and build_ext skip what is
#      up to date); a stale extension would silently load pure Python, and
#      the lane checks the build it loads before running anything.
#   4. Asserts the GIL is off, then runs `python -m pytest -q` from the
#      project root, with a small plugin that fails the run if anything
#      imported during the tests turned the GIL back on: on the compiled
#      build (CSPY_EXPECT_BUILD=compiled), then on the pure build
#      (CSPY_PURE_PYTHON=1 CSPY_EXPECT_BUILD=pure).
#
# Usage:  bash .ci/freethreaded.sh [pytest args...]
#   e.g.  bash .ci/freethreaded.sh tests/stress
#         STRESS_REPEAT=20 bash .ci/freethreaded.sh tests/stress
#         CSPY_PURE_PYTHON=1 bash .ci/freethreaded.sh tests/channel
# With no args (CI) the suite runs on both builds; with args, once, on the
# compiled build (the pure one with CSPY_PURE_PYTHON=1). CSPY_FT_BUILDS
# ("compiled pure", "pure", ...) chooses explicitly.
#
# If the lane cannot run (no compiler, registry unreachable, build fails)
# it says so loudly and exits non-zero: it never skips silently.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANE=freethreaded
# CACHE, PYVER, LOGDIR, say, die, and the CPython build from Debian's source.
# shellcheck source=.ci/cpython.sh
. "$ROOT/.ci/cpython.sh"
PREFIX=$CACHE/python${PYVER}t
PY=$PREFIX/bin/python${PYVER}t
# greenlet for 3.13t, built from source. 3.5.3 is the one release that fits:
# - <= 3.5.2 does not save the thread's critical-section pointer across a
#   switch, so a task that parks inside a C call holding a critical section
#   (e.g. b"".join(ch) or list(ch) on a channel) crashes the process at the
#   next blocking call of another task (greenlet issue 513, fixed in 3.5.3);
# - >= 3.5.4 calls _PyCriticalSection_SuspendAll/_Resume, which 3.13's
#   headers do not declare: the build fails;
# - prebuilt wheels (e.g. 3.2.2) do not declare free-threading support, so
#   importing them turns the GIL back on (and with PYTHON_GIL=0 they crash).
GREENLET_PIN=greenlet==3.5.3
VENV_RECIPE=5                    # bump to force a venv rebuild

# One lane at a time per cache: a second run waits instead of racing the build.
exec 9>"$CACHE/.lock"
flock 9

# --- 1. the interpreter -----------------------------------------------------

GIL_OFF='import sys; sys.exit(sys._is_gil_enabled())'
if cpython_ok "$PREFIX" "$PY" "$GIL_OFF"; then
    say "using cached $("$PY" -VV | head -n1) at $PREFIX"
else
    cpython_build "$PREFIX" "$PY" "$GIL_OFF" --disable-gil
    say "built $("$PY" -VV | head -n1)"
fi

# --- 2. the venv, keyed by the dependency lists ------------------------------

deps_key() {
    "$PY" - "$ROOT/pyproject.toml" "$GREENLET_PIN" "$VENV_RECIPE" <<'EOF'
import hashlib, json, sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
with open(sys.argv[1], "rb") as f:
    build = tomllib.load(f)["build-system"]
wanted = {"deps": project.get("dependencies", []),
          "extras": project.get("optional-dependencies", {}).get("test", []),
          "build": build.get("requires", []),
          "greenlet": sys.argv[2], "recipe": sys.argv[3]}
print(hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16])
EOF
}

dep_list() {
    "$PY" - "$ROOT/pyproject.toml" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
with open(sys.argv[1], "rb") as f:
    build = tomllib.load(f)["build-system"]
# The build requirements too: the project is installed without build isolation (step 3).
for req in (project.get("dependencies", []) + project.get("optional-dependencies", {}).get("test", [])
            + build.get("requires", [])):
    print(req)
EOF
}

KEY=$(deps_key) || die "could not read the dependency lists from pyproject.toml"
VENV=$CACHE/venv-${PYVER}t-$KEY

build_venv() {
    local log=$LOGDIR/venv.log
    say "making venv $VENV (log: $log)"
    rm -rf "$VENV"
    printf '%s\n' "$GREENLET_PIN" >"$CACHE/constraints.txt"
    dep_list >"$CACHE/requirements.txt"
    # The venv is made at its final path (a venv records its own path), and
    # marked complete only at the end. --only-binary for everything but
    # greenlet: the newest releases of some dependencies (hypothesis; mypy via
    # ast-serialize) carry a Rust extension with no wheel for 3.13t, and
    # building one needs crates from outside the reachable registries; pip then
    # picks the newest release that has a wheel (pure Python), which works.
    { "$PY" -m venv "$VENV" &&
      "$VENV/bin/python" -m pip install -q --upgrade pip &&
      "$VENV/bin/python" -m pip install --no-binary greenlet "$GREENLET_PIN" &&
      "$VENV/bin/python" -m pip install --only-binary=:all: -c "$CACHE/constraints.txt" \
          wheel -r "$CACHE/requirements.txt"; } >"$log" 2>&1 ||
        die "installing the project's dependencies on ${PYVER}t failed" "$log"
    touch "$VENV/.cspy-complete"
    # Older venvs (other dependency lists) are no longer needed.
    find "$CACHE" -maxdepth 1 -name "venv-${PYVER}t-*" ! -path "$VENV" -exec rm -rf {} +
}

if [[ -f "$VENV/.cspy-complete" ]]; then
    say "using cached venv $VENV"
else
    build_venv
fi
VPY=$VENV/bin/python

# --- 3. the project itself ----------------------------------------------------

log=$LOGDIR/project-install.log
say "pip install --no-build-isolation -e . (compiles what changed; log: $log)"
"$VPY" -m pip install -v --no-deps --no-build-isolation -e "$ROOT" >"$log" 2>&1 ||
    die "pip install -e of the project failed on ${PYVER}t" "$log"
grep -h 'cspy build:\|building extension .* failed' "$log" | sort -u | sed 's/^ */[freethreaded] /' || true

# --- 4. checks, then the suite ----------------------------------------------

if [[ "${PYTHON_GIL:-}" == 1 ]]; then
    die "PYTHON_GIL=1 is set: it would turn the GIL back on and defeat this lane; unset it"
fi
# Not even PYTHON_GIL=0: forcing the GIL off would hide an extension that
# re-enables it (the check below is meant to catch exactly that).
unset PYTHON_GIL

(cd "$ROOT" && "$VPY" - <<'EOF') || die "the GIL is on after importing the project's dependencies"
import sys, importlib
for name in ("greenlet", "trio", "rich", "cspy"):
    importlib.import_module(name)
    if sys._is_gil_enabled():
        sys.exit(f"importing {name} re-enabled the GIL")
import greenlet
print(f"[freethreaded] GIL off after importing greenlet {greenlet.__version__}, trio, rich, cspy "
      f"({sys.version.split()[0]}, {sys.executable})")
EOF

# A pytest plugin that fails the session if the GIL was turned on at any
# point (e.g. a test imported an extension module without free-threading
# support). It lives outside the tree so the lane adds nothing to it.
PLUGDIR=$(mktemp -d)
trap 'rm -rf "$PLUGDIR"' EXIT
cat >"$PLUGDIR/cspy_gil_guard.py" <<'EOF'
import sys

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    if sys._is_gil_enabled():
        raise pytest.UsageError("free-threaded lane: the GIL is enabled at session start")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if sys._is_gil_enabled():
        print("\n[freethreaded] FAILED: the GIL was re-enabled during the test run "
              "(an extension module without free-threading support was imported)")
        session.exitstatus = 1


def pytest_report_header(config: pytest.Config) -> str:
    return f"free-threaded lane: GIL enabled = {sys._is_gil_enabled()}"
EOF

# Which builds to run: both in CI (no args), else the one the environment asks for.
if [[ -n "${CSPY_FT_BUILDS:-}" ]]; then
    builds=$CSPY_FT_BUILDS
elif [[ "${CSPY_PURE_PYTHON:-}" != "" && "${CSPY_PURE_PYTHON:-}" != 0 ]]; then
    builds=pure
elif (($# == 0)); then
    builds="compiled pure"
else
    builds=compiled
fi

cd "$ROOT"
failed=()
for b in $builds; do
    case $b in
        compiled) pure= ;;
        pure) pure=1 ;;
        *) die "CSPY_FT_BUILDS: unknown build '$b' (compiled or pure)" ;;
    esac
    # The build that loads, checked before anything runs (tests/test_build.py checks it again):
    # an extension older than its .py loads pure Python without an error.
    CSPY_PURE_PYTHON=$pure "$VPY" -c "
import sys, cspy.build as b
sys.exit(0 if b.BUILD == '$b' else f'expected the $b build, loaded {b.BUILD}: {b.REASON}')" ||
        die "the $b build is not the one that loads on ${PYVER}t (see $log)"
    say "running on the $b build: python -m pytest -q -p no:cacheprovider $*"
    set +e
    CSPY_PURE_PYTHON=$pure CSPY_EXPECT_BUILD=$b PYTHONPATH="$PLUGDIR${PYTHONPATH:+:$PYTHONPATH}" \
        "$VPY" -m pytest -q -p no:cacheprovider -p cspy_gil_guard "$@"
    rc=$?
    set -e
    ((rc == 0)) || failed+=("$b (pytest exited $rc)")
done
if ((${#failed[@]})); then
    say "LANE FAILED on free-threaded CPython: ${failed[*]}"
    exit 1
fi

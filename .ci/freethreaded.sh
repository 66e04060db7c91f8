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
#   3. Installs the project itself (editable, no deps) from this tree.
#   4. Asserts the GIL is off, then runs `python -m pytest -q` from the
#      project root, with a small plugin that fails the run if anything
#      imported during the tests turned the GIL back on.
#
# Usage:  bash .ci/freethreaded.sh [pytest args...]
#   e.g.  bash .ci/freethreaded.sh tests/stress
#         STRESS_REPEAT=20 bash .ci/freethreaded.sh tests/stress
#
# If the lane cannot run (no compiler, registry unreachable, build fails)
# it says so loudly and exits non-zero: it never skips silently.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CSPY_CACHE:-$HOME/.cache/cspy}
# 3.13 is the newest CPython whose Debian source package the registry serves
# (python3.14 is listed in forky/sid, but its files are not there).
PYVER=3.13
DEBIAN_SUITE=trixie
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
VENV_RECIPE=4                    # bump to force a venv rebuild
LOGDIR=$CACHE/logs
mkdir -p "$CACHE" "$LOGDIR"

say() { printf '[freethreaded] %s\n' "$*"; }

die() {
    printf '\n[freethreaded] LANE FAILED: %s\n' "$1" >&2
    if [[ -n "${2:-}" && -f "$2" ]]; then
        printf '[freethreaded] last lines of %s:\n' "$2" >&2
        tail -n 40 "$2" >&2
    fi
    exit 1
}

# One lane at a time per cache: a second run waits instead of racing the build.
exec 9>"$CACHE/.lock"
flock 9

# --- 1. the interpreter -----------------------------------------------------

interpreter_ok() {
    [[ -f "$PREFIX/.cspy-complete" && -x "$PY" ]] &&
        PYTHON_GIL= "$PY" -c 'import sys; sys.exit(sys._is_gil_enabled())' 2>/dev/null
}

install_build_deps() {
    local need=() pkg
    for pkg in gcc g++ make libssl-dev zlib1g-dev libffi-dev \
               libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev libexpat1-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
    done
    ((${#need[@]} == 0)) && return 0
    say "installing build dependencies: ${need[*]}"
    [[ $(id -u) == 0 ]] || die "missing build dependencies (${need[*]}) and not root to install them"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"; } \
        >"$LOGDIR/apt-install.log" 2>&1 || die "apt-get install of build dependencies failed" "$LOGDIR/apt-install.log"
}

fetch_source() {
    # A private apt configuration: only a deb-src line, its own lists and
    # caches, so the system's apt state is left alone.
    local apt=$CACHE/apt-$PYVER log=$LOGDIR/apt-source.log
    rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$1"
    echo "deb-src [trusted=yes] http://deb.debian.org/debian $DEBIAN_SUITE main" >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=-
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
                -o Acquire::Retries=3 -o Acquire::http::Timeout=60)
    say "fetching the python$PYVER source package from Debian $DEBIAN_SUITE (log: $log)"
    { apt-get "${opts[@]}" update &&
      (cd "$1" && apt-get "${opts[@]}" source --download-only "python$PYVER"); } >"$log" 2>&1 ||
        die "could not download the python$PYVER source package (registry unreachable?)" "$log"
}

build_interpreter() {
    local src=$CACHE/build-$PYVER log=$LOGDIR/build-python$PYVER.log tarball
    install_build_deps
    rm -rf "$src" "$PREFIX"
    fetch_source "$src"
    tarball=$(ls "$src"/python"$PYVER"_*.orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n1)
    [[ -n "$tarball" ]] || die "no python$PYVER orig tarball among the downloaded files" "$LOGDIR/apt-source.log"
    say "building $(basename "$tarball") with --disable-gil into $PREFIX (log: $log; 2-7 min)"
    mkdir -p "$src/tree"
    tar -xf "$tarball" -C "$src/tree" --strip-components=1
    { cd "$src/tree" &&
      ./configure --disable-gil --prefix="$PREFIX" --with-ensurepip=install &&
      make -j"$(nproc)" &&
      make install; } >"$log" 2>&1 || die "building free-threaded CPython failed" "$log"
    cd "$ROOT"
    PYTHON_GIL= "$PY" -c 'import sys; assert not sys._is_gil_enabled(), "GIL is on"' ||
        die "the built interpreter has the GIL enabled"
    touch "$PREFIX/.cspy-complete"
    rm -rf "$src"
}

if interpreter_ok; then
    say "using cached $("$PY" -VV | head -n1) at $PREFIX"
else
    build_interpreter
    say "built $("$PY" -VV | head -n1)"
fi

# --- 2. the venv, keyed by the dependency lists ------------------------------

deps_key() {
    "$PY" - "$ROOT/pyproject.toml" "$GREENLET_PIN" "$VENV_RECIPE" <<'EOF'
import hashlib, json, sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
wanted = {"deps": project.get("dependencies", []),
          "extras": project.get("optional-dependencies", {}).get("test", []),
          "greenlet": sys.argv[2], "recipe": sys.argv[3]}
print(hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16])
EOF
}

dep_list() {
    "$PY" - "$ROOT/pyproject.toml" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
for req in project.get("dependencies", []) + project.get("optional-dependencies", {}).get("test", []):
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
          setuptools wheel -r "$CACHE/requirements.txt"; } >"$log" 2>&1 ||
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
"$VPY" -m pip install -q --no-deps --no-build-isolation -e "$ROOT" >"$log" 2>&1 ||
    die "pip install -e of the project failed on ${PYVER}t" "$log"

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

say "running: python -m pytest -q -p no:cacheprovider $*"
cd "$ROOT"
set +e
PYTHONPATH="$PLUGDIR${PYTHONPATH:+:$PYTHONPATH}" "$VPY" -m pytest -q -p no:cacheprovider -p cspy_gil_guard "$@"
rc=$?
set -e
if ((rc != 0)); then
    say "LANE FAILED: pytest exited $rc on free-threaded CPython"
fi
exit "$rc"

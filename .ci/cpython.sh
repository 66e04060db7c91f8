# shellcheck shell=bash
# CPython 3.13 built from Debian's source package, shared by the lanes that need it:
# .ci/freethreaded.sh (3.13t, --disable-gil) and .ci/gil313.sh (3.13 with the GIL).
# Sourced, not run. The caller sets LANE (a name for messages) before sourcing.
#
# No CPython 3.13 binary is installable from the registries this project can reach; Debian's
# source package is. It is downloaded once into $CACHE/src-3.13 (a completion marker says the
# download finished) and every flavour builds from that same tarball, each into its own prefix,
# marked complete only after it built and passed its check. A flavour's build dir is private to
# it, so two flavours may build at once; the download itself is serialised by a lock.
#
# Defines: CACHE, LOGDIR, PYVER, say, die, cpython_ok PREFIX PY CHECK, cpython_build PREFIX PY
# CHECK CONFIGURE-ARGS...

CACHE=${CSPY_CACHE:-$HOME/.cache/cspy}
# 3.13 is the newest CPython whose Debian source package the registry serves
# (python3.14 is listed in forky/sid, but its files are not there).
PYVER=3.13
DEBIAN_SUITE=trixie
LOGDIR=$CACHE/logs
SRCDIR=$CACHE/src-$PYVER
mkdir -p "$CACHE" "$LOGDIR"

say() { printf '[%s] %s\n' "$LANE" "$*"; }

die() {
    printf '\n[%s] LANE FAILED: %s\n' "$LANE" "$1" >&2
    if [[ -n "${2:-}" && -f "$2" ]]; then
        printf '[%s] last lines of %s:\n' "$LANE" "$2" >&2
        tail -n 40 "$2" >&2
    fi
    exit 1
}

# cpython_ok PREFIX PY CHECK: the interpreter at PY is complete and CHECK (python code that exits
# 0 when the interpreter is the wanted flavour) passes.
cpython_ok() {
    [[ -f "$1/.cspy-complete" && -x "$2" ]] && PYTHON_GIL= "$2" -c "$3" 2>/dev/null
}

_cpython_build_deps() {
    local need=() pkg
    for pkg in gcc g++ make libssl-dev zlib1g-dev libffi-dev \
               libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev libexpat1-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
    done
    ((${#need[@]} == 0)) && return 0
    say "installing build dependencies: ${need[*]}"
    [[ $(id -u) == 0 ]] || die "missing build dependencies (${need[*]}) and not root to install them"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"; } \
        >"$LOGDIR/apt-install-$LANE.log" 2>&1 ||
        die "apt-get install of build dependencies failed" "$LOGDIR/apt-install-$LANE.log"
}

# Prints the path of the cached source tarball, downloading it first if needed.
_cpython_tarball() {
    (
        exec 8>"$CACHE/.lock-src-$PYVER"
        flock 8
        if [[ ! -f "$SRCDIR/.cspy-complete" ]]; then
            # A private apt configuration: only a deb-src line, its own lists and caches, so the
            # system's apt state is left alone.
            local apt=$CACHE/apt-$PYVER log=$LOGDIR/apt-source.log
            rm -rf "$apt" "$SRCDIR" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$SRCDIR"
            echo "deb-src [trusted=yes] http://deb.debian.org/debian $DEBIAN_SUITE main" >"$apt/sources.list"
            local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=-
                        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
                        -o Acquire::Retries=3 -o Acquire::http::Timeout=60)
            say "fetching the python$PYVER source package from Debian $DEBIAN_SUITE (log: $log)" >&2
            { apt-get "${opts[@]}" update &&
              (cd "$SRCDIR" && apt-get "${opts[@]}" source --download-only "python$PYVER"); } >"$log" 2>&1 ||
                die "could not download the python$PYVER source package (registry unreachable?)" "$log"
            touch "$SRCDIR/.cspy-complete"
        fi
        local tarball
        tarball=$(ls "$SRCDIR"/python"$PYVER"_*.orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n1)
        [[ -n "$tarball" ]] || die "no python$PYVER orig tarball in $SRCDIR (delete it to download again)"
        printf '%s\n' "$tarball"
    )
}

# cpython_build PREFIX PY CHECK CONFIGURE-ARGS...: build CPython from the cached source into
# PREFIX, check it with CHECK, mark it complete.
cpython_build() {
    local prefix=$1 py=$2 check=$3 flavour tarball src log
    shift 3
    flavour=$(basename "$prefix")
    src=$CACHE/build-$flavour
    log=$LOGDIR/build-$flavour.log
    _cpython_build_deps
    tarball=$(_cpython_tarball) || exit 1
    rm -rf "$src" "$prefix"
    say "building $(basename "$tarball") ($*) into $prefix (log: $log; 2-8 min)"
    mkdir -p "$src"
    tar -xf "$tarball" -C "$src" --strip-components=1
    { cd "$src" &&
      ./configure --prefix="$prefix" --with-ensurepip=install "$@" &&
      make -j"$(nproc)" &&
      make install; } >"$log" 2>&1 || die "building CPython $PYVER ($*) failed" "$log"
    cd "$ROOT"
    PYTHON_GIL= "$py" -c "$check" || die "the built interpreter $py failed its check: $check"
    touch "$prefix/.cspy-complete"
    rm -rf "$src"
}

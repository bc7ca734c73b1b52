#!/usr/bin/env bash
# Builds Python's `hiredis` package (hiredis-py) from its PyPI sdist into DEST, for the test
# suite (tests/python-hiredis.sh) and the benchmark (bench/python-reader.py).
#
#   tests/python-hiredis-build.sh STAGE_DIR DEST [vendored]
#
# The C extension is compiled from the sdist's src/*.c against the staged headers and linked
# to the staged libhiredis_rs; the vendored hiredis sources are deleted first so nothing can
# use them. With `vendored` it is built instead as the package's setup.py builds it, with the
# hiredis it vendors compiled in (the benchmark's reference). The venv (pytest, pytest-memray)
# and the sdist are fetched from PyPI once and kept under build/python-hiredis (never
# committed). Prints the venv's python on its last line. Exit 3: PyPI could not be reached
# and nothing is cached.
set -euo pipefail

STAGE=$(cd "${1:?usage: $0 STAGE_DIR DEST [vendored]}" && pwd)
DEST=${2:?usage: $0 STAGE_DIR DEST [vendored]}
MODE=${3:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
WORK=${PYTHON_HIREDIS_WORK:-$TOP/build/python-hiredis}
# The release used; 3.x vendors hiredis 1.5, whose reader API and layout 1.4.1 shares (the
# package uses no 1.5 addition).
VERSION=${PYTHON_HIREDIS_VERSION:-3.5.0}
PYTHON=${PYTHON:-python3}

command -v "$PYTHON" >/dev/null || { echo "python-hiredis: $PYTHON not found (tests/deps.sh installs it)" >&2; exit 2; }
mkdir -p "$WORK" "$DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. A venv with pytest and pytest-memray (the suite's limit_memory mark), made once (kept
# with the sdist, rebuilt if broken).
venv="$WORK/venv"
if ! "$venv/bin/python" -c 'import pytest, pytest_memray' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || { echo "python-hiredis: python3 -m venv failed (python3-venv missing? tests/deps.sh)" >&2; exit 2; }
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest pytest-memray \
            >"$tmp/pip.log" 2>&1; then
        tail -5 "$tmp/pip.log" >&2
        rm -rf "$venv"
        echo "python-hiredis: could not install pytest and pytest-memray from PyPI" >&2
        exit 3
    fi
fi
py="$venv/bin/python"

# 2. The sdist, downloaded once.
sdist="$WORK/hiredis-$VERSION.tar.gz"
if [ ! -s "$sdist" ]; then
    if ! "$py" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
            -d "$tmp/dl" "hiredis==$VERSION" >"$tmp/pip.log" 2>&1; then
        tail -5 "$tmp/pip.log" >&2
        echo "python-hiredis: could not download hiredis==$VERSION from PyPI" >&2
        exit 3
    fi
    mv "$tmp/dl/hiredis-$VERSION.tar.gz" "$sdist"
fi

# 3. The package's sources, fresh; the extension built.
rm -rf "$DEST/hiredis-$VERSION"
tar -xzf "$sdist" -C "$DEST"
src="$DEST/hiredis-$VERSION"
pyinc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
[ -e "$pyinc/Python.h" ] || { echo "python-hiredis: no Python.h in $pyinc (python3-dev missing? tests/deps.sh)" >&2; exit 2; }
ext="$src/hiredis/hiredis$suffix"
# The interpreter's own compile flags, as pip uses them.
read -r -a cflags <<<"$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("CFLAGS"))')"
if [ "$MODE" = vendored ]; then
    # As setup.py does: the vendored hiredis compiled in, bound to itself.
    vendored=()
    for f in alloc async hiredis net read sds sockcompat; do vendored+=("$src/vendor/hiredis/$f.c"); done
    ${CC:-cc} "${cflags[@]}" -shared -fPIC -std=c99 -I"$pyinc" -I"$src/vendor" \
        "$src"/src/*.c "${vendored[@]}" -o "$ext" -Wl,-Bsymbolic
    rm -rf "$src/vendor"
else
    rm -rf "$src/vendor"   # nothing may use the vendored hiredis
    ${CC:-cc} "${cflags[@]}" -shared -fPIC -std=c99 -I"$pyinc" -I"$STAGE/include" \
        "$src"/src/*.c -o "$ext" -L"$STAGE/lib" -lhiredis_rs -Wl,-rpath,"$STAGE/lib"
    # The reader and formatter come from libhiredis_rs, not from anything compiled in.
    undef=$(nm -D --undefined-only "$ext")
    for sym in redisReaderCreateWithFunctions redisReaderFeed redisReaderGetReply redisFormatCommandArgv; do
        grep -qw "$sym" <<<"$undef" || { echo "python-hiredis: $sym is not imported from the library" >&2; exit 1; }
    done
    libs=$(ldd "$ext")
    grep -q "libhiredis_rs.so.* => $STAGE/lib/" <<<"$libs" || { echo "$libs" >&2; echo "python-hiredis: not linked to $STAGE/lib" >&2; exit 1; }
fi
echo "$py"

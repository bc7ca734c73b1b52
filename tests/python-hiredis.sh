#!/usr/bin/env bash
# Python's `hiredis` package (hiredis-py) built against hiredis-rs, with its own test suite.
#
#   tests/python-hiredis.sh STAGE_DIR
#
# The package's sdist comes from PyPI (pip download, cached under build/python-hiredis; never
# committed); its C extension is compiled here from the sdist's src/*.c only, against the
# staged headers, and linked to the staged libhiredis_rs: the vendored hiredis sources are not
# built (its setup.py has no switch for that). pytest runs in a throwaway venv. The only
# network access is PyPI (the sdist, pytest); when PyPI cannot be reached and nothing is
# cached the step fails (HIREDIS_RS_REQUIRE_PYPI=0 turns that into a loud skip, for a machine
# without PyPI).
# Needs no redis-server (the suite tests the reader and pack_command).
set -euo pipefail

STAGE=$(cd "${1:?usage: $0 STAGE_DIR}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
WORK=${PYTHON_HIREDIS_WORK:-$TOP/build/python-hiredis}
# The release tested; 3.x vendors hiredis 1.5, whose reader API and layout 1.4.1 shares (the
# package uses no 1.5 addition).
VERSION=${PYTHON_HIREDIS_VERSION:-3.5.0}
PYTHON=${PYTHON:-python3}

skip() {
    echo "python-hiredis: SKIPPED: $*"
    [ "${HIREDIS_RS_REQUIRE_PYPI:-1}" = 1 ] && exit 1
    exit 0
}

command -v "$PYTHON" >/dev/null || { echo "python-hiredis: $PYTHON not found (tests/deps.sh installs it)"; exit 2; }
mkdir -p "$WORK"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. A venv with pytest and pytest-memray (the suite's limit_memory mark), made once (kept
# with the sdist, rebuilt if broken).
venv="$WORK/venv"
if ! "$venv/bin/python" -c 'import pytest, pytest_memray' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || { echo "python-hiredis: python3 -m venv failed (python3-venv missing? tests/deps.sh)"; exit 2; }
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest pytest-memray \
            >"$tmp/pip.log" 2>&1; then
        tail -5 "$tmp/pip.log"
        rm -rf "$venv"
        skip "could not install pytest and pytest-memray from PyPI"
    fi
fi
py="$venv/bin/python"

# 2. The sdist, downloaded once.
sdist="$WORK/hiredis-$VERSION.tar.gz"
if [ ! -s "$sdist" ]; then
    if ! "$py" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
            -d "$tmp/dl" "hiredis==$VERSION" >"$tmp/pip.log" 2>&1; then
        tail -5 "$tmp/pip.log"
        skip "could not download hiredis==$VERSION from PyPI"
    fi
    mv "$tmp/dl/hiredis-$VERSION.tar.gz" "$sdist"
fi

# 3. The package's sources, fresh each run; the extension built against hiredis-rs.
tar -xzf "$sdist" -C "$tmp"
src="$tmp/hiredis-$VERSION"
rm -rf "$src/vendor"   # nothing may use the vendored hiredis
pyinc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
[ -e "$pyinc/Python.h" ] || { echo "python-hiredis: no Python.h in $pyinc (python3-dev missing? tests/deps.sh)"; exit 2; }
ext="$src/hiredis/hiredis$suffix"
${CC:-cc} -shared -fPIC -std=c99 -O2 -g -I"$pyinc" -I"$STAGE/include" \
    "$src"/src/*.c -o "$ext" -L"$STAGE/lib" -lhiredis_rs -Wl,-rpath,"$STAGE/lib"

# The reader and formatter come from libhiredis_rs, not from anything compiled in.
undef=$(nm -D --undefined-only "$ext")
for sym in redisReaderCreateWithFunctions redisReaderFeed redisReaderGetReply redisFormatCommandArgv; do
    grep -qw "$sym" <<<"$undef" || { echo "python-hiredis: $sym is not imported from the library"; exit 1; }
done
libs=$(ldd "$ext")
grep -q "libhiredis_rs.so.* => $STAGE/lib/" <<<"$libs" || { echo "$libs"; echo "python-hiredis: not linked to $STAGE/lib"; exit 1; }

# 4. The package's own suite, importing the package from the unpacked tree.
cd "$src"
echo "python-hiredis: hiredis-py $VERSION on $(basename "$(readlink -f "$STAGE/lib/libhiredis_rs.so")"), $("$py" -V)"
"$py" -m pytest -q -p no:cacheprovider --memray --hide-memray-summary tests

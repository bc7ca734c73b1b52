#!/usr/bin/env bash
# Python's `hiredis` package (hiredis-py) built against hiredis-rs, with its own test suite.
#
#   tests/python-hiredis.sh STAGE_DIR
#
# tests/python-hiredis-build.sh fetches the package's sdist from PyPI (cached under
# build/python-hiredis; never committed) and compiles its C extension from the sdist's src/*.c
# only, against the staged headers, linked to the staged libhiredis_rs (the vendored hiredis
# sources are deleted first). pytest runs in a venv kept with the sdist. The only network
# access is PyPI (the sdist, pytest); when PyPI cannot be reached and nothing is cached the
# step fails (HIREDIS_RS_REQUIRE_PYPI=0 turns that into a loud skip, for a machine without
# PyPI).
# Needs no redis-server (the suite tests the reader and pack_command).
set -euo pipefail

STAGE=$(cd "${1:?usage: $0 STAGE_DIR}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
VERSION=${PYTHON_HIREDIS_VERSION:-3.5.0}

skip() {
    echo "python-hiredis: SKIPPED: $*"
    [ "${HIREDIS_RS_REQUIRE_PYPI:-1}" = 1 ] && exit 1
    exit 0
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The package built against the staged library (venv and sdist fetched once).
rc=0
py=$("$TOP/tests/python-hiredis-build.sh" "$STAGE" "$tmp") || rc=$?
[ "$rc" = 3 ] && skip "PyPI could not be reached and nothing is cached"
[ "$rc" = 0 ] || exit "$rc"
py=$(tail -1 <<<"$py")
src="$tmp/hiredis-$VERSION"

# The package's own suite, importing the package from the unpacked tree.
cd "$src"
echo "python-hiredis: hiredis-py $VERSION on $(basename "$(readlink -f "$STAGE/lib/libhiredis_rs.so")"), $("$py" -V)"
"$py" -m pytest -q -p no:cacheprovider --memray --hide-memray-summary tests

#!/usr/bin/env bash
# Optional differential run (not part of `make test`): builds tests/test_async*.c against a
# real hiredis 1.4.1 that YOU built outside this repo (static lib + headers in one directory,
# e.g. a v1.4.1 checkout after `make static`) and runs them with ASYNC_REFERENCE=1, which
# skips only the checks of our deliberate differences. Every other check must pass there too:
# that is what makes it a statement of hiredis's behaviour. Nothing of hiredis is kept here.
#
#   tests/async-reference.sh /path/to/hiredis-1.4.1-build
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:?usage: $0 /path/to/hiredis-1.4.1 (containing libhiredis.a and hiredis.h)}
[ -f "$src/libhiredis.a" ] && [ -f "$src/async.h" ] || { echo "async-reference: no libhiredis.a/async.h in $src"; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/hiredis-rs-asyncref.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include"
ln -s "$(cd "$src" && pwd)" "$work/include/hiredis"
progs=()
for t in tests/test_async*.c; do
    name=$(basename "$t" .c)
    ${CC:-cc} -Wall -Wextra -g -O1 -I"$work/include" -Itests -o "$work/$name" "$t" "$src/libhiredis.a"
    progs+=("$work/$name")
done
ASYNC_REFERENCE=1 tests/harness.sh "${progs[@]}"

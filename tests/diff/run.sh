#!/usr/bin/env bash
# Differential tests: tests/diff/driver.c built against hiredis-rs (the staged install) and against
# two real hiredis builds that package registries provide (fetched here, never committed):
#   - Debian's libhiredis-dev (hiredis 0.14.1): reader on RESP2 streams (default builders and a
#     table of the driver's own), formatter;
#   - the hiredis C sources vendored in PyPI's `hiredis` sdist (hiredis-py $PYPI_HIREDIS, which
#     carries hiredis 1.5), compiled in a temp dir: reader with RESP3 (both ways), formatter, sds.
# Each pair runs with the same seeds and must print the same bytes. Usage: run.sh STAGE_DIR
# Environment: DIFF_SEEDS (default "1 2 3 4 5 6 7 8"), DIFF_COUNT (inputs per seed and mode).
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=${1:?usage: run.sh STAGE_DIR}
PYPI_HIREDIS=${PYPI_HIREDIS:-3.5.0}
seeds=${DIFF_SEEDS:-1 2 3 4 5 6 7 8}
count=${DIFF_COUNT:-5000}
cache=${DIFF_CACHE:-build/diff-ref}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hiredis-rs-diff.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CFLAGS="-O1 -g -Wall -Wextra -Wno-format-security"

# The reference sources: the sdist, downloaded once into the cache.
sdist=$cache/hiredis-$PYPI_HIREDIS.tar.gz
if [ ! -f "$sdist" ]; then
    mkdir -p "$cache"
    python3 -m pip download -q --no-deps --no-binary :all: "hiredis==$PYPI_HIREDIS" -d "$cache" \
        || { echo "diff: could not download hiredis==$PYPI_HIREDIS from PyPI"; exit 1; }
fi
tar xzf "$sdist" -C "$tmp"
vendor=$tmp/hiredis-$PYPI_HIREDIS/vendor/hiredis
mkdir -p "$tmp/ref/include" "$tmp/ref/obj"
ln -s "$vendor" "$tmp/ref/include/hiredis"
ref_version=$(awk '/define HIREDIS_(MAJOR|MINOR|PATCH)/ {printf "%s%s", sep, $3; sep="."}' "$vendor/hiredis.h")
# async.c includes dict.c itself; ssl.c and test.c are not part of the library.
for c in "$vendor"/*.c; do
    case $(basename "$c") in dict.c|ssl.c|test.c) continue;; esac
    cc -O1 -c -o "$tmp/ref/obj/$(basename "$c" .c).o" "$c"
done
ar rcs "$tmp/ref/libref.a" "$tmp/ref/obj"/*.o

cc $CFLAGS -o "$tmp/ours" tests/diff/driver.c -I"$stage/include" -L"$stage/lib" -lhiredis_rs -Wl,-rpath,"$stage/lib"
cc $CFLAGS -o "$tmp/pypi" tests/diff/driver.c -I"$tmp/ref/include" "$tmp/ref/libref.a"
# Debian's files by their paths (an installed hiredis-rs may answer to `pkg-config hiredis` and sit
# in /usr/local/include, which the compiler searches before /usr/include).
debian_so=$(dpkg -L libhiredis-dev 2>/dev/null | grep '/libhiredis\.so$' | head -n 1) \
    || { echo "diff: Debian's libhiredis-dev is not installed (tests/deps.sh installs it)"; exit 1; }
mkdir -p "$tmp/debian-include"
ln -s /usr/include/hiredis "$tmp/debian-include/hiredis"
cc $CFLAGS -o "$tmp/debian" tests/diff/driver.c -I"$tmp/debian-include" "$debian_so"
debian_version=$(dpkg-query -W -f '${Version}' libhiredis-dev)

passed=0 failed=0
compare() { # reference-binary label mode seed [resp2]
    local ref=$1 label=$2; shift 2
    "$tmp/ours" "$@" > "$tmp/a" && "$tmp/$ref" "$@" > "$tmp/b" || { echo "FAIL $label $*: a driver failed"; failed=$((failed + 1)); return; }
    if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
        passed=$((passed + 1))
    else
        echo "FAIL $label: driver $* differs (< hiredis-rs, > $label)"
        diff "$tmp/a" "$tmp/b" | head -20
        failed=$((failed + 1))
    fi
}
for seed in $seeds; do
    for mode in reader reader-fn format sds; do compare pypi "hiredis $ref_version (PyPI hiredis $PYPI_HIREDIS)" $mode "$seed" "$count"; done
    compare debian "hiredis $debian_version (Debian)" reader "$seed" "$count" resp2
    compare debian "hiredis $debian_version (Debian)" reader-fn "$seed" "$count" resp2
    compare debian "hiredis $debian_version (Debian)" format "$seed" "$count"
done
echo "differential: hiredis-rs against hiredis $ref_version (PyPI hiredis $PYPI_HIREDIS sources) and $debian_version (Debian), seeds $seeds x $count inputs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Optional black-box conformance run (not part of `make test`): runs hiredis's own test program,
# built by you against real hiredis 1.4.1 and linked to its SHARED library (so it records
# NEEDED libhiredis.so.1.4.0), on hiredis-rs through LD_LIBRARY_PATH, against a fresh
# redis-server from tests/harness.sh. Nothing of hiredis is built or kept here.
#
#   make conformance HIREDIS_TEST=/path/to/hiredis-test
#
# (e.g. in a hiredis v1.4.1 checkout outside this repo: `make hiredis-test`, then
#  `cc -o hiredis-test-dyn test.o -L. -l:libhiredis.so`.)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: $0 /path/to/hiredis-test (dynamically linked to libhiredis.so.1.4.0)}
lib=$PWD/build/stage/lib
objdump -p "$bin" | grep -q 'NEEDED *libhiredis.so.1.4.0' \
    || { echo "conformance: $bin does not link libhiredis.so.1.4.0 dynamically"; exit 2; }
resolved=$(LD_LIBRARY_PATH=$lib ldd "$bin" | awk '/libhiredis.so.1.4.0/ {print $3}')
[ "$(readlink -f "$resolved")" = "$(readlink -f "$lib/libhiredis_rs.so.1.4.0")" ] \
    || { echo "conformance: libhiredis.so.1.4.0 resolves to $resolved, not hiredis-rs"; exit 2; }

wrap=$(mktemp "${TMPDIR:-/tmp}/hiredis-rs-conformance.XXXXXX")
trap 'rm -f "$wrap"' EXIT
cat > "$wrap" <<WRAP
#!/usr/bin/env bash
"$bin" -h "\$REDIS_HOST" -p "\$REDIS_PORT" -s "\$REDIS_SOCK" --skip-inherit-fd > "\$TEST_TMPDIR/out" 2>&1
rc=\$?
sed 's/\x1b\[[0-9;]*m//g' "\$TEST_TMPDIR/out" | grep -vE 'PASSED\$' || true
echo "upstream test exit status \$rc"
echo "\$(grep -c 'PASSED' "\$TEST_TMPDIR/out") passed, \$(grep -c 'FAILED' "\$TEST_TMPDIR/out") failed"
[ \$rc -eq 0 ]
WRAP
chmod +x "$wrap"
LD_LIBRARY_PATH=$lib tests/harness.sh "$wrap"

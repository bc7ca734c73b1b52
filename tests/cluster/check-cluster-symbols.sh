#!/usr/bin/env bash
# The exported surface of libhiredis_rs_cluster against tests/cluster/symbols.txt:
#   tests/cluster/check-cluster-symbols.sh path/to/libhiredis_rs_cluster.so.0.14
# Fails on an exported symbol not in the list (Rust internals, the hidden hircl_* helpers of
# the variadic shim), on a listed symbol that is missing, on a non-function export, on a
# wrong SONAME, on a NEEDED library outside ALLOWED_NEEDED (the core is not one: its symbols
# come from the libhiredis already in the process, as hiredis-cluster's Makefile build does),
# and on an executable stack.
set -euo pipefail

ALLOWED_NEEDED="libc.so.6 libgcc_s.so.1 ld-linux-x86-64.so.2"
SONAME_WANT="libhiredis_rs_cluster.so.0.14"

lib=${1:?usage: $0 libhiredis_rs_cluster.so.0.14}
list=$(dirname "$0")/symbols.txt
fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

awk '/^#/ || NF == 0 { next } /^\[/ { g = $1; gsub(/[][]/, "", g); next } { print g, $1 }' "$list" > "$tmp/listed"
nm -D --defined-only "$lib" | awk '{print $2, $3}' | sort -k2 > "$tmp/exported"

while read -r kind name; do
    if ! grep -q " $name\$" "$tmp/listed"; then echo "unexpected export: $name"; fail=1; fi
    case $kind in T|W|i) ;; *) echo "export $name has kind $kind, not a function"; fail=1;; esac
done < "$tmp/exported"

while read -r group name; do
    if ! grep -q " $name\$" "$tmp/exported"; then echo "missing export ($group): $name"; fail=1; fi
done < "$tmp/listed"
echo "exports: $(wc -l < "$tmp/exported") of $(wc -l < "$tmp/listed") listed"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "$SONAME_WANT" ] || { echo "SONAME is '$soname', want $SONAME_WANT"; fail=1; }
for n in $(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case " $ALLOWED_NEEDED " in *" $n "*) ;; *) echo "unexpected NEEDED $n"; fail=1;; esac
done
if readelf -lW "$lib" | grep -q 'GNU_STACK.*RWE'; then echo "executable stack"; fail=1; fi

[ $fail = 0 ] && echo "check-cluster-symbols: ok ($SONAME_WANT)"
exit $fail

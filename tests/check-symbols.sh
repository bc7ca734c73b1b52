#!/usr/bin/env bash
# The exported surface of the built shared object, against tests/symbols.txt (spec §1.2).
#
#   tests/check-symbols.sh path/to/libhiredis_rs.so.1.4.0
#       fails on any exported symbol not in the list (Rust internals and the hidden hirs_*
#       functions must not leak), on a listed symbol that is missing, on a wrong symbol kind
#       (hiredisAllocFns is a 40-byte data object, the rest are functions), on a wrong SONAME,
#       on a NEEDED library outside ALLOWED_NEEDED, on an executable stack, text relocations or
#       the STATIC_TLS flag. Each group of tests/symbols.txt is reported with its count.

# Rust's std brings libgcc_s (unwinder, linked even with panic=abort) and ld-linux (TLS);
# hiredis itself needs only libc.
ALLOWED_NEEDED="libc.so.6 libgcc_s.so.1 ld-linux-x86-64.so.2"
SONAME_WANT="libhiredis_rs.so.1.4.0"

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=$here/symbols.txt

# "group kind name" for every listed symbol.
entries() {
    awk '/^#/ || NF == 0 { next }
         /^\[/ { g = $1; gsub(/[][]/, "", g); kind = $2; next }
         { print g, kind, $1 }' "$list"
}

so=${1:?usage: $0 path/to/libhiredis_rs.so}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# name -> nm type letter, for defined dynamic symbols.
declare -A exported size
while read -r _addr sz type name; do
    exported[$name]=$type; size[$name]=$sz
done < <(nm -D --defined-only -S "$so" | awk 'NF == 4')
# Symbols without a size (absolute, some linker-made ones) show 3 fields.
while read -r _addr type name; do
    [ -n "${exported[$name]:-}" ] || { exported[$name]=$type; size[$name]=0; }
done < <(nm -D --defined-only "$so" | awk 'NF == 3')

declare -A listed
declare -A group_total group_have group_missing
while read -r group kind name; do
    listed[$name]=$group
    group_total[$group]=$(( ${group_total[$group]:-0} + 1 ))
    if [ -n "${exported[$name]:-}" ]; then
        group_have[$group]=$(( ${group_have[$group]:-0} + 1 ))
        t=${exported[$name]}
        if [ "$name" = hiredisAllocFns ]; then
            case $t in D|B) ;; *) fail "hiredisAllocFns should be a data object, nm says $t";; esac
            [ $((16#${size[$name]})) -eq 40 ] || fail "hiredisAllocFns is $((16#${size[$name]})) bytes, want 40"
        else
            [ "$t" = T ] || fail "$name should be a function (T), nm says $t"
        fi
    else
        group_missing[$group]="${group_missing[$group]:-} $name"
    fi
done < <(entries)

extra=()
for name in "${!exported[@]}"; do
    [ -n "${listed[$name]:-}" ] || extra+=("$name")
done
if [ ${#extra[@]} -gt 0 ]; then
    fail "exported but not in tests/symbols.txt (must be hidden): $(printf '%s ' "${extra[@]}" | fold -w 100)"
fi

for group in $(entries | awk '{print $1}' | uniq); do
    have=${group_have[$group]:-0} total=${group_total[$group]}
    if [ "$have" -eq "$total" ]; then echo "ok   $group: $have/$total"
    else fail "$group missing:${group_missing[$group]}"; fi
done

head=$(objdump -p "$so")
soname=$(awk '$1 == "SONAME" {print $2}' <<< "$head")
[ "$soname" = "$SONAME_WANT" ] && echo "ok   SONAME $soname" || fail "SONAME is '$soname', want $SONAME_WANT"
for lib in $(awk '$1 == "NEEDED" {print $2}' <<< "$head"); do
    case " $ALLOWED_NEEDED " in *" $lib "*) echo "ok   NEEDED $lib";; *) fail "unexpected NEEDED $lib";; esac
done
grep -q TEXTREL <<< "$head" && fail "text relocations"
# Initial-exec TLS marks the library STATIC_TLS: dlopen of it then fails once other libraries
# have used glibc's small static TLS reserve (tests/test_dlopen.c), where hiredis loads.
if readelf -d "$so" | grep -q STATIC_TLS; then fail "STATIC_TLS (initial-exec TLS): dlopen can fail"
else echo "ok   no STATIC_TLS"; fi
if awk '$1 == "STACK" {getline; print $NF}' <<< "$head" | grep -q x; then fail "executable stack"; fi

n_exp=${#exported[@]}
echo "symbols: $n_exp exported, $(entries | wc -l) listed, $fails failed"
[ $fails -eq 0 ]

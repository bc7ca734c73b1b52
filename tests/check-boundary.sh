#!/bin/sh
# The core/C-surface boundary (ARCHITECTURE.md): the core (everything in src/ but ffi/) never
# names the crate's exports (`crate::ffi`), and exported functions live only in src/ffi/
# (src/abi/ exports one data symbol, the hiredisAllocFns table). Comment lines do not count.
# The compiler holds the rest: the safe modules carry #![forbid(unsafe_code)] or
# #![deny(unsafe_code)]. The lines that mention `unsafe` outside src/ffi/ (issue 14's count)
# stay at or under UNSAFE_MAX, so new ones replace old ones rather than pile up.
set -eu
cd "$(dirname "$0")/.."
fail=0
UNSAFE_MAX=150
code() { grep -rn "$1" src --include=*.rs | grep -v '^src/ffi/' | grep -vE '^[^:]+:[0-9]+:\s*//' || true; }
hits=$(code 'crate::ffi')
if [ -n "$hits" ]; then
    echo "check-boundary: the core names the C exports:"; echo "$hits"; fail=1
fi
hits=$(code 'no_mangle\|export_name' | grep -v '^src/abi/alloc.rs:' || true)
if [ -n "$hits" ]; then
    echo "check-boundary: exported symbols outside src/ffi/:"; echo "$hits"; fail=1
fi
for f in src/reader/parser.rs src/alloc/map.rs src/alloc/ring.rs src/async_context/queue.rs \
         src/async_context/submit.rs src/async_context/command.rs src/async_context/dispatch.rs \
         src/async_context/hooks.rs src/async_context/mod.rs src/net.rs src/context/mod.rs; do
    grep -q '^#!\[\(forbid\|deny\)(unsafe_code)\]' "$f" ||
        { echo "check-boundary: $f lost its unsafe_code lint"; fail=1; }
done
n=$(code '\bunsafe\b' | wc -l)
if [ "$n" -gt $UNSAFE_MAX ]; then
    echo "check-boundary: $n lines mention unsafe outside src/ffi/ (at most $UNSAFE_MAX)"; fail=1
fi
[ $fail -eq 0 ] && echo "check-boundary: core and C surface apart ($n lines mention unsafe outside src/ffi/, at most $UNSAFE_MAX)"
exit $fail

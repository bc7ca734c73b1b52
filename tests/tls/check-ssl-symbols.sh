#!/usr/bin/env bash
# The TLS library exports exactly hiredis_ssl 1.4.1's 8 symbols (7 functions, 1 data
# object), has SONAME libhiredis_rs_ssl.so.1.4.0, leaves the core's symbols undefined (they
# come from libhiredis_rs in the process, as libhiredis_ssl's come from libhiredis) and does
# not record libhiredis_rs as NEEDED, nor the STATIC_TLS flag.
set -u
lib=$1
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

want_t="redisCreateSSLContext redisCreateSSLContextWithOptions redisFreeSSLContext redisInitOpenSSL
redisInitiateSSL redisInitiateSSLWithContext redisSSLContextGetError"
got=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $2, $3}' | sort)
want=$( { for s in $want_t; do echo "T $s"; done; echo "D redisContextSSLFuncs"; } | sort)
if [ "$got" = "$want" ]; then ok; else bad "exports differ:"; diff <(echo "$want") <(echo "$got"); fi

undef=$(nm -D --undefined-only "$lib" | awk '{print $2}' | grep -Ev '@|^_ITM_|^__gmon_start__|^__cxa_finalize' | sort | tr '\n' ' ')
want_u="__redisAsyncDisconnect __redisSetError hiredisAllocFns redisBufferRead redisBufferWrite redisNetClose redisProcessCallbacks "
[ "$undef" = "$want_u" ] && ok || bad "undefined core symbols: '$undef'"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libhiredis_rs_ssl.so.1.4.0 ] && ok || bad "SONAME '$soname'"
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$needed" in *libssl.so*) ok;; *) bad "libssl not NEEDED: $needed";; esac
case "$needed" in *hiredis*) bad "records a hiredis library as NEEDED: $needed";; *) ok;; esac

# No initial-exec TLS: a STATIC_TLS library may fail to dlopen (see tests/check-symbols.sh).
readelf -d "$lib" | grep -q STATIC_TLS && bad "STATIC_TLS (initial-exec TLS): dlopen can fail" || ok
echo "ssl symbols: $pass passed, $fail failed"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# Runs the TLS examples (examples-c/example-ssl.c, example-libevent-ssl.c, built by `make
# examples` as users would, with pkg-config) against tests/tls/harness.sh's servers.
# TLS_EXAMPLES is the directory holding the two binaries.
set -u
dir=${TLS_EXAMPLES:?}
pass=0 fail=0
check() { # description, pattern, output
    if grep -q -- "$2" <<<"$3"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; echo "$3"; fi
}
expect() { # description, pattern, command...
    local what=$1 pat=$2; shift 2
    check "$what" "$pat" "$("$@" 2>&1)"
}
# One run of the sync example answers two checks.
out=$("$dir/example-ssl" "$REDIS_HOST" "$TLS_PORT" "$TLS_CA" 2>&1)
check "sync example over TLS" "GET: encrypted on the wire" "$out"
check "sync example pipeline" "INCR: [0-9]" "$out"
expect "sync example with a client certificate and SNI" "GET: encrypted on the wire" \
    "$dir/example-ssl" "$REDIS_HOST" "$TLS_MTLS_PORT" "$TLS_CA" "$TLS_CLIENT_CERT" "$TLS_CLIENT_KEY" localhost
expect "sync example, wrong CA" "TLS: SSL_connect failed: certificate verify failed" \
    "$dir/example-ssl" "$REDIS_HOST" "$TLS_PORT" "$TLS_OTHER_CA"
expect "sync example, missing CA file" "SSL context: Failed to load CA Certificate or CA Path" \
    "$dir/example-ssl" "$REDIS_HOST" "$TLS_PORT" /nonexistent/ca.crt
expect "libevent example over TLS" "GET example:tls:async: hello over TLS" \
    "$dir/example-libevent-ssl" "$REDIS_HOST" "$TLS_PORT" "$TLS_CA"
expect "libevent example with a client certificate" "GET example:tls:async: mutual" \
    "$dir/example-libevent-ssl" "$REDIS_HOST" "$TLS_MTLS_PORT" "$TLS_CA" "$TLS_CLIENT_CERT" "$TLS_CLIENT_KEY" mutual
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

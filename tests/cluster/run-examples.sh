#!/usr/bin/env bash
# Runs the cluster examples (examples-c/example-cluster.c, example-cluster-libevent.c and
# example-cluster-ssl.c, built by `make examples` against pkg-config hiredis_cluster[_ssl])
# against tests/cluster/harness.sh's main cluster (the TLS one against its TLS cluster),
# checking each one's exit status and lines only a working run prints; then the async and
# sync examples on a loopback port nobody listens on, which must fail cleanly.
# CLUSTER_EXAMPLES is the directory holding the binaries.
set -u
dir=${CLUSTER_EXAMPLES:?}
seed=${CLUSTER_SEED:?}
pass=0 fail=0
check() { # description, pattern, output
    if grep -q -- "$2" <<<"$3"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; echo "$3" | sed 's/^/   /'; fi
}
status() { # description, want, got
    if [ "$2" = "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: exit status $3"; fi
}

out=$(timeout 60 "$dir/example-cluster" "$seed" 2>&1); rc=$?
status "sync example" 0 $rc
check "sync example: hash-tagged GET" '^GET example:{user:1}:name -> Ada$' "$out"
check "sync example: MGET split and merged" '^MGET across [0-9]*, [0-9]* and [0-9]* -> 1 2 3$' "$out"
check "sync example: pipeline" '^pipeline reply 2: (integer) [1-9]' "$out"
[ "$(grep -c '^master 127.0.0.1:[0-9]*: [1-9][0-9]* slot range(s), [0-9]* keys$' <<<"$out")" = 3 ] \
    && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: sync example: three masters listed"; echo "$out"; }

out=$(timeout 60 "$dir/example-cluster-libevent" "$seed" 2>&1); rc=$?
status "async example" 0 $rc
check "async example: READY" '^cluster ready$' "$out"
check "async example: every reply" '^all 16 replies received$' "$out"
check "async example: GET" '^GET example:async:7 -> value-7$' "$out"
check "async example: disconnect" '^disconnected from 127.0.0.1:[0-9]*$' "$out"

# The TLS example against the harness's TLS cluster (CLUSTER_TLS_SEED is a TLS port).
out=$(timeout 60 "$dir/example-cluster-ssl" "${CLUSTER_TLS_SEED:?}" "${CLUSTER_TLS_CA:?}" 2>&1); rc=$?
status "TLS example" 0 $rc
check "TLS example: GET over TLS" '^GET example:tls -> encrypted on every node link$' "$out"
[ "$(grep -c '^master 127.0.0.1:[0-9]*: PONG$' <<<"$out")" = 3 ] \
    && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: TLS example: three masters answer"; echo "$out"; }
out=$(timeout 30 "$dir/example-cluster-ssl" "$CLUSTER_TLS_SEED" /nonexistent/ca.crt 2>&1); rc=$?
status "TLS example, missing CA file" 1 $rc
check "TLS example, missing CA file: reported" '^SSL context: ' "$out"

closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(timeout 30 "$dir/example-cluster-libevent" "127.0.0.1:$closed" 2>&1); rc=$?
status "async example, nobody listening" 1 $rc
check "async example, nobody listening: reported" 'Connection refused' "$out"
out=$(timeout 30 "$dir/example-cluster" "127.0.0.1:$closed" 2>&1); rc=$?
status "sync example, nobody listening" 1 $rc
check "sync example, nobody listening: reported" '^connect failed: ' "$out"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

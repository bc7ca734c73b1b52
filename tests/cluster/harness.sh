#!/usr/bin/env bash
# Redis Cluster test harness: starts real clusters on free loopback ports in a temp dir, runs
# each given program against them, stops every server it started by pid.
#
#   main: 6 nodes (redis-server --cluster-enabled yes), made a cluster of 3 masters with one
#         replica each by `redis-cli --cluster create ... --cluster-replicas 1`;
#   auth: 3 masters, no replicas, requirepass/masterauth "secretword".
#
# Environment given to each program:
#   CLUSTER_SEED       127.0.0.1:<port of a main master>
#   CLUSTER_PORTS      the six main ports
#   CLUSTER_DIR        the directory of the main nodes (node-<port>.pid, node-<port>.conf)
#   CLUSTER_AUTH_SEED  127.0.0.1:<port of an auth master>; CLUSTER_PASSWORD secretword
#   CLUSTER_TLS_SEED   127.0.0.1:<TLS port of a node of the TLS cluster: 6 nodes, 3 masters with a
#                      replica each, --tls-cluster yes, --tls-replication yes, a plain port beside
#                      each TLS port>; CLUSTER_TLS_PORTS its six TLS ports; CLUSTER_TLS_CA the CA
#                      (made here with openssl) that signed the servers' certificate
#   CLUSTER_MTLS_SEED  127.0.0.1:<TLS port of a master of the mutual-TLS cluster: 3 masters, no
#                      replicas, TLS as above with tls-auth-clients yes>; CLUSTER_TLS_CERT and
#                      CLUSTER_TLS_KEY a client certificate (signed by the same CA) and its key
#   CLUSTER_SPARE      (programs whose name contains "reshard") 127.0.0.1:<port of a
#                      cluster-enabled node in no cluster, started for that program>, which it
#                      adds to the main cluster (and removes and stops again);
#                      CLUSTER_SPARE_DIR its directory (node-<port>.pid)
#   TEST_TMPDIR        a scratch directory
# Programs whose name contains "failover" see a master killed: they run last, each on a fresh
# main cluster, except the async ones (one build per adapter), which run all at once on one
# (run_failover_group below), with CLUSTER_FAILOVER_DIR set. Each program
# prints "N passed, M failed" last. TEST_WRAPPER wraps each run (valgrind).
set -u

command -v redis-server >/dev/null || { echo "cluster harness: redis-server not found"; exit 2; }
command -v redis-cli >/dev/null || { echo "cluster harness: redis-cli not found"; exit 2; }

. "$(dirname "$0")/../harness-lib.sh"
harness_setup hiredis-rs-cluster

# start_nodes, make_cluster, stop_cluster and their helpers.
. "$(dirname "$0")/cluster-lib.sh"

# A master's address in the main cluster (one whose port `cluster nodes` flags master).
main_seed() {
    redis-cli -h 127.0.0.1 -p "${main_ports[0]}" cluster nodes | awk '$3 ~ /master/ {split($2, a, "@"); print a[1]; exit}'
}

setup_main() {
    rm -rf "$top/main"
    make_cluster "$top/main" 6 1 "" || exit 1
    main_ports=("${ports[@]}")
    export CLUSTER_SEED; CLUSTER_SEED=$(main_seed)
    export CLUSTER_PORTS="${main_ports[*]}" CLUSTER_DIR=$top/main
}

setup_main
make_cluster "$top/auth" 3 0 secretword || exit 1
export CLUSTER_AUTH_SEED=127.0.0.1:${ports[0]} CLUSTER_PASSWORD=secretword

# The TLS cluster: a throwaway CA and a server certificate for 127.0.0.1 / localhost.
command -v openssl >/dev/null || { echo "cluster harness: openssl not found"; exit 2; }
certs=$top/certs; mkdir -p "$certs"
gen() { openssl "$@" >/dev/null 2>&1 || { echo "cluster harness: openssl $1 failed"; exit 2; }; }
gen genrsa -out "$certs/ca.key" 2048
gen req -x509 -new -nodes -sha256 -key "$certs/ca.key" -days 2 -subj "/O=hiredis-rs test/CN=cluster CA" -out "$certs/ca.crt"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' > "$certs/server.ext"
gen genrsa -out "$certs/server.key" 2048
gen req -new -sha256 -key "$certs/server.key" -subj "/O=hiredis-rs test/CN=localhost" -out "$certs/server.csr"
gen x509 -req -sha256 -days 2 -in "$certs/server.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" \
    -CAcreateserial -out "$certs/server.crt" -extfile "$certs/server.ext"
CLUSTER_TLS_CERTS=$certs make_cluster "$top/tls" 6 1 "" || exit 1
export CLUSTER_TLS_SEED=127.0.0.1:${tls_ports[0]} CLUSTER_TLS_PORTS="${tls_ports[*]}" CLUSTER_TLS_CA=$certs/ca.crt

# The mutual-TLS cluster, and a client certificate for it.
printf 'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$certs/client.ext"
gen genrsa -out "$certs/client.key" 2048
gen req -new -sha256 -key "$certs/client.key" -subj "/O=hiredis-rs test/CN=cluster client" -out "$certs/client.csr"
gen x509 -req -sha256 -days 2 -in "$certs/client.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" \
    -CAcreateserial -out "$certs/client.crt" -extfile "$certs/client.ext"
CLUSTER_TLS_CERTS=$certs CLUSTER_TLS_AUTH_CLIENTS=yes make_cluster "$top/mtls" 3 0 "" || exit 1
export CLUSTER_MTLS_SEED=127.0.0.1:${tls_ports[0]} CLUSTER_TLS_CERT=$certs/client.crt CLUSTER_TLS_KEY=$certs/client.key

ordered=(); alone=(); group=()
for prog in "$@"; do
    case $(basename "$prog") in
        *async_failover*) group+=("$prog");;
        *failover*) alone+=("$prog");;
        *) ordered+=("$prog");;
    esac
done

start_servers() { # dir: the clusters are shared; a failover program run alone gets a fresh main
    # cluster, a reshard program a spare node of its own (in its directory)
    export TEST_TMPDIR=$1
    case $(basename "$1") in
        *failover*) stop_cluster "$top/main"; setup_main;;
        *reshard*)
            start_nodes "$1/spare" 1 "" || return 1
            export CLUSTER_SPARE=127.0.0.1:${ports[0]} CLUSTER_SPARE_DIR=$1/spare;;
    esac
}
run_program() { ${TEST_WRAPPER:-} "$1"; }

# The failover programs (one per cluster adapter), started together on a fresh main cluster, so
# one failover serves them all: each keeps commands in flight and, when it has some, writes
# $CLUSTER_FAILOVER_DIR/ready-<name> holding the port of the master it asks to lose (the owner
# of its key); once all are ready (60 s at most) the harness kills that master with SIGKILL, by
# the pid of the server it started, and writes $CLUSTER_FAILOVER_DIR/killed; each program then
# waits for the replica's promotion and checks its callbacks.
run_failover_group() { # program...
    local sync=$top/failover-sync prog name i port gpids=() names=()
    stop_cluster "$top/main"; setup_main
    mkdir -p "$sync"
    for prog in "$@"; do
        name=$(basename "$prog"); mkdir -p "$top/$name"
        echo "== $name (with the other failover programs)"
        TEST_TMPDIR=$top/$name CLUSTER_FAILOVER_DIR=$sync run_program "$prog" > "$top/$name/output" 2>&1 &
        gpids+=($!); names+=("$name")
    done
    for ((i = 0; i < 600; i++)); do
        [ "$(find "$sync" -name 'ready-*' | wc -l)" -ge $# ] && break
        sleep 0.1
    done
    port=$(cat "$sync"/ready-* 2>/dev/null | head -1)
    if [ -n "$port" ] && [ -f "$top/main/node-$port.pid" ]; then
        kill -9 "$(cat "$top/main/node-$port.pid")" && : > "$sync/killed"
        echo "failover: killed the master on port $port with $(find "$sync" -name 'ready-*' | wc -l) of $# programs ready"
    else
        echo "failover: no program asked for a master to kill"
    fi
    for i in "${!gpids[@]}"; do
        wait "${gpids[$i]}"
        harness_tally "${names[$i]}" "$top/${names[$i]}/output" $?
    done
}

harness_run_each "${ordered[@]}" "${alone[@]}"
[ ${#group[@]} -gt 0 ] && run_failover_group "${group[@]}"
harness_report "cluster tests"

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
#   TEST_TMPDIR        a scratch directory
# Programs whose name contains "failover" kill a master: they run last, each on a fresh main
# cluster. Each program prints "N passed, M failed" last. TEST_WRAPPER wraps each run
# (valgrind).
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

ordered=(); last=()
for prog in "$@"; do
    case $(basename "$prog") in *failover*) last+=("$prog");; *) ordered+=("$prog");; esac
done

start_servers() { # dir: the clusters are shared; a failover program gets a fresh main cluster
    export TEST_TMPDIR=$1
    case $(basename "$1") in
        *failover*) stop_cluster "$top/main"; setup_main;;
    esac
}
run_program() { ${TEST_WRAPPER:-} "$1"; }

harness_run "cluster tests" "${ordered[@]}" "${last[@]}"

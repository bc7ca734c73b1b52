#!/usr/bin/env bash
# make demo-cluster: start a throwaway Redis Cluster (6 redis-servers on free loopback ports in
# a temp dir, made 3 masters with one replica each by `redis-cli --cluster create`), run the
# given example with a seed address, then stop those servers by pid and remove the dir.
set -u
example=${1:?usage: demo-cluster.sh path/to/example}

command -v redis-server >/dev/null || { echo "demo: redis-server not found (apt-get install redis-server)"; exit 2; }
command -v redis-cli >/dev/null || { echo "demo: redis-cli not found (apt-get install redis-tools)"; exit 2; }
# The node-starting functions the cluster tests use (start_nodes, make_cluster, stop_cluster).
. "$(dirname "$0")/../tests/cluster/cluster-lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/hiredis-rs-demo-cluster.XXXXXX")
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== starting 6 redis-server $(redis-server --version | awk '{print $3}') nodes on loopback"
make_cluster "$dir/nodes" 6 1 "" || exit 1
echo "== cluster of 3 masters + 3 replicas on ports ${ports[*]} (pids ${pids[*]})"
seed=127.0.0.1:${ports[0]}
echo "== $example $seed"
"$example" "$seed"
rc=$?
echo "== exit status $rc"
exit $rc

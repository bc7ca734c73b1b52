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

# N distinct free loopback ports (all bound at once, so none repeats).
free_ports() { # n
    python3 -c 'import socket,sys
socks=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

start_node() { # dir port cluster-port [extra config lines]
    local dir=$1 port=$2 cport=$3 extra=${4:-}
    cat > "$dir/node-$port.conf" <<CONF
port $port
cluster-port $cport
bind 127.0.0.1
cluster-enabled yes
cluster-config-file $dir/nodes-$port.conf
cluster-node-timeout 1000
dir $dir
dbfilename dump-$port.rdb
pidfile $dir/node-$port.pid
logfile $dir/node-$port.log
daemonize no
save ""
appendonly no
repl-diskless-sync-delay 0
$extra
CONF
    redis-server "$dir/node-$port.conf" &
    pids+=($!)
}

wait_up() { # dir port [password]
    for _ in $(seq 1 200); do
        redis-cli -h 127.0.0.1 -p "$2" ${3:+-a "$3" --no-auth-warning} ping 2>/dev/null | grep -q PONG && return 0
        if grep -q "Address already in use" "$1/node-$2.log" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "cluster harness: node $2 did not start"; tail -3 "$1/node-$2.log" 2>/dev/null; return 1
}

# Until every node reports cluster_state:ok and the same number of known nodes.
wait_ok() { # password port...
    local pw=$1; shift
    local p n
    for _ in $(seq 1 300); do
        n=0
        for p in "$@"; do
            redis-cli -h 127.0.0.1 -p "$p" ${pw:+-a "$pw" --no-auth-warning} cluster info 2>/dev/null \
                | grep -q 'cluster_state:ok' && n=$((n + 1))
        done
        [ $n -eq $# ] && return 0
        sleep 0.1
    done
    echo "cluster harness: cluster not ok on ports $*"; return 1
}

# Starts `count` nodes on fresh ports; a port taken by someone else meanwhile (the machine is
# shared) means another try with new ports, up to three.
start_nodes() { # dir count password -> sets ports
    local dir=$1 count=$2 pw=$3 all p i attempt up
    for attempt in 1 2 3; do
        rm -rf "$dir"; mkdir -p "$dir"
        read -r -a all <<< "$(free_ports $((2 * count)))"
        ports=("${all[@]:0:$count}")
        for i in $(seq 0 $((count - 1))); do
            start_node "$dir" "${all[$i]}" "${all[$((count + i))]}" "${pw:+requirepass $pw
masterauth $pw}"
        done
        up=1
        for p in "${ports[@]}"; do wait_up "$dir" "$p" "$pw" || { up=0; break; }; done
        [ $up = 1 ] && return 0
        stop_cluster "$dir"
    done
    return 1
}

make_cluster() { # dir count replicas password -> sets ports
    local dir=$1 count=$2 replicas=$3 pw=$4 p addrs=()
    start_nodes "$dir" "$count" "$pw" || return 1
    for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
    redis-cli ${pw:+-a "$pw" --no-auth-warning} --cluster create "${addrs[@]}" \
        --cluster-replicas "$replicas" --cluster-yes > "$dir/create.log" 2>&1 \
        || { echo "cluster harness: cluster create failed"; cat "$dir/create.log"; return 1; }
    wait_ok "$pw" "${ports[@]}" || return 1
    # Replicas appear in CLUSTER SLOTS once their first sync is done and every node has
    # heard of it.
    [ "$replicas" = 0 ] || wait_synced "$pw" "${ports[@]}"
}

# Until every node's CLUSTER SLOTS names all the given ports.
all_in_slots() { # password port...
    local pw=$1; shift
    local p q out
    for p in "$@"; do
        out=$(redis-cli -h 127.0.0.1 -p "$p" ${pw:+-a "$pw" --no-auth-warning} cluster slots 2>/dev/null)
        for q in "$@"; do echo "$out" | grep -qx "$q" || return 1; done
    done
}

wait_synced() { # password port...
    local pw=$1; shift
    local p n
    for _ in $(seq 1 300); do
        n=0
        for p in "$@"; do
            redis-cli -h 127.0.0.1 -p "$p" ${pw:+-a "$pw" --no-auth-warning} info replication 2>/dev/null \
                | grep -Eq 'role:master|master_link_status:up' && n=$((n + 1))
        done
        [ $n -eq $# ] && all_in_slots "$pw" "$@" && return 0
        sleep 0.1
    done
    echo "cluster harness: replicas not in sync on ports $*"; return 1
}

stop_cluster() { # dir
    local pf
    for pf in "$1"/node-*.pid; do [ -f "$pf" ] && kill "$(cat "$pf" 2>/dev/null)" 2>/dev/null; done
    sleep 0.2
}

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

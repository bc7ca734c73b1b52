# Functions that start real Redis Clusters on free loopback ports, shared by
# tests/cluster/harness.sh and examples-c/demo-cluster.sh. The sourcing script provides the
# `pids` array (every redis-server started is appended, for its clean-up); make_cluster and
# start_nodes set `ports` to the data ports of the nodes they started. With CLUSTER_TLS_CERTS set
# (a directory with ca.crt, server.crt, server.key) each node also gets a TLS port (`tls_ports`,
# in the same order), and the cluster bus and replication run over TLS; CLUSTER_TLS_AUTH_CLIENTS
# (default no) is the nodes' tls-auth-clients.

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
start_nodes() { # dir count password -> sets ports (and tls_ports)
    local dir=$1 count=$2 pw=$3 all p i attempt up certs=${CLUSTER_TLS_CERTS:-} tls per=2
    [ -z "$certs" ] || per=3 # data, cluster bus and TLS ports
    for attempt in 1 2 3; do
        rm -rf "$dir"; mkdir -p "$dir"
        read -r -a all <<< "$(free_ports $((per * count)))"
        ports=("${all[@]:0:$count}")
        tls_ports=()
        for i in $(seq 0 $((count - 1))); do
            tls=
            if [ -n "$certs" ]; then
                tls_ports+=("${all[$((2 * count + i))]}")
                tls="tls-port ${all[$((2 * count + i))]}
tls-cert-file $certs/server.crt
tls-key-file $certs/server.key
tls-ca-cert-file $certs/ca.crt
tls-auth-clients ${CLUSTER_TLS_AUTH_CLIENTS:-no}
tls-cluster yes
tls-replication yes"
            fi
            start_node "$dir" "${all[$i]}" "${all[$((count + i))]}" "${pw:+requirepass $pw
masterauth $pw
}$tls"
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

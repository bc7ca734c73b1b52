#!/usr/bin/env bash
# Runs each given test program against its own throwaway redis-server: a fresh server per
# program (some tests kill or restart it), on a free loopback port and a unix socket in a
# temp dir. Only the servers started here are stopped, by pid.
#
# Each program gets REDIS_HOST, REDIS_PORT, REDIS_SOCK, REDIS_CONF (to restart the server
# with `redis-server $REDIS_CONF`) and REDIS_PIDFILE, and prints "N passed, M failed" last.
# Set TEST_WRAPPER (e.g. "valgrind --error-exitcode=99 --leak-check=full") to wrap each run.
set -u

command -v redis-server >/dev/null || { echo "harness: redis-server not found (run .ci/run or apt-get install redis-server)"; exit 2; }

# Thousand-connection tests need more than the usual 1024 descriptors, and a program under
# valgrind cannot raise its own limit: raise the soft limit here (to 4096, or the hard limit).
soft=$(ulimit -Sn) hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" -lt 4096 ]; then
    if [ "$hard" = unlimited ] || [ "$hard" -ge 4096 ]; then ulimit -Sn 4096; else ulimit -Sn "$hard"; fi
fi

. "$(dirname "$0")/harness-lib.sh"
harness_setup hiredis-rs-test

start_servers() { # dir -> sets port
    local dir=$1
    port=$(free_port)
    cat > "$dir/redis.conf" <<CONF
port $port
bind 127.0.0.1 -::1
unixsocket $dir/redis.sock
unixsocketperm 777
dir $dir
pidfile $dir/redis.pid
logfile $dir/redis.log
daemonize no
save ""
appendonly no
enable-debug-command yes
CONF
    redis-server "$dir/redis.conf" &
    pids+=($!)
    for _ in $(seq 1 200); do
        [ -S "$dir/redis.sock" ] && redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "harness: redis-server did not start"; cat "$dir/redis.log"; return 1
}

run_program() { # program
    REDIS_HOST=127.0.0.1 REDIS_PORT=$port REDIS_SOCK=$dir/redis.sock REDIS_CONF=$dir/redis.conf \
        REDIS_PIDFILE=$dir/redis.pid TEST_TMPDIR=$dir ${TEST_WRAPPER:-} "$1"
}

harness_run "C tests" "$@"

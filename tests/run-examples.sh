#!/usr/bin/env bash
# Runs every example in examples-c/ (built by `make examples`) against the harness's
# redis-server, over TCP and over the unix socket, checking each one's exit status and a
# line of output that only a working run prints. Meant as the "program" of tests/harness.sh,
# which sets REDIS_HOST, REDIS_PORT and REDIS_SOCK. EXAMPLES_DIR overrides where the
# binaries are (default: build/examples next to this script's tests/).
set -u
. "$(dirname "$0")/harness-lib.sh"

dir=${EXAMPLES_DIR:-$(cd "$(dirname "$0")/.." && pwd)/build/examples}
host=${REDIS_HOST:-127.0.0.1}
port=${REDIS_PORT:-6379}
sock=${REDIS_SOCK:-/tmp/redis.sock}
passed=0 failed=0

# name -> the line a successful run must print
expect() {
    case $1 in
    example)          echo 'pipeline reply 3: 50';;
    example-ae)       echo 'GET example:ae -> hello from ae';;
    example-glib)     echo 'GET example:glib -> hello from glib';;
    example-ivykis)   echo 'GET example:ivykis -> hello from ivykis';;
    example-libev)    echo 'GET example:libev -> hello from libev';;
    example-libevent) echo 'INCR example:counter -> (integer) 42';;
    example-libsdevent) echo 'GET example:sdevent -> hello from sd-event';;
    example-libuv)    echo 'DEBUG SLEEP 1.5 failed: Timeout';;
    example-poll)     echo 'GET example:poll -> hello from the poll adapter';;
    example-pubsub)   echo '3 of 3 messages received';;
    example-qt)       echo 'GET example:qt -> hello from qt';;
    example-push)     echo 'invalidations: 5 of 5';;
    *)                echo '';;
    esac
}

check() { # name transport args...
    local name=$1 how=$2 want out rc
    shift 2
    want=$(expect "$name")
    out=$(timeout 30 "$dir/$name" "$@" 2>&1)
    rc=$?
    if [ -z "$want" ]; then
        echo "FAIL $name ($how): no expected output line known for this example"
        failed=$((failed + 1))
    elif [ $rc -ne 0 ]; then
        echo "FAIL $name ($how): exit status $rc"; echo "$out" | sed 's/^/   /'
        failed=$((failed + 1))
    elif ! grep -qxF -- "$want" <<<"$out"; then
        echo "FAIL $name ($how): missing line \"$want\""; echo "$out" | sed 's/^/   /'
        failed=$((failed + 1))
    else
        echo "ok   $name ($how)"
        passed=$((passed + 1))
    fi
}

shopt -s nullglob
examples=("$dir"/example*)
if [ ${#examples[@]} -eq 0 ]; then
    echo "no examples in $dir (run make examples)"
    echo "0 passed, 1 failed"
    exit 1
fi
for bin in "${examples[@]}"; do
    name=$(basename "$bin")
    # The TLS examples need a TLS server: tests/tls/run-examples.sh runs them (make test-tls).
    # The cluster examples need a cluster: tests/cluster/run-examples.sh (make test-cluster).
    case $name in *-ssl|example-cluster*) continue;; esac
    check "$name" tcp "$host" "$port"
    # every example takes a socket path as its only argument; the sync one wants "u" after it
    if [ "$name" = example ]; then check "$name" unix "$sock" u; else check "$name" unix "$sock"; fi
done

# A connection failure must be reported, not hang or crash: a loopback port nobody listens on.
closed=$(free_port)
out=$(timeout 30 "$dir/example-libevent" 127.0.0.1 "$closed" 2>&1); rc=$?
if [ $rc -ne 124 ] && [ $rc -lt 128 ] && grep -q 'Connection refused' <<<"$out"; then
    echo "ok   example-libevent (refused port reported, exit $rc)"; passed=$((passed + 1))
else
    echo "FAIL example-libevent (refused port): exit $rc"; echo "$out" | sed 's/^/   /'; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

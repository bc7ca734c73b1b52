# Sourced by tests/harness.sh, tests/tls/harness.sh and tests/run-examples.sh: a temp dir
# whose servers are stopped on exit, free loopback ports, and the loop that runs each test
# program against fresh redis-servers and adds up what it reports.

# Makes $top (a temp dir named after $1) and the pids array; on exit the redis-servers started
# here are stopped, by their pidfiles under $top/<program>/ and by the pids in $pids, and
# $top is removed.
harness_setup() { # name
    top=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    pids=()
    trap harness_cleanup EXIT INT TERM
}

harness_cleanup() {
    for pidfile in "$top"/*/*.pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null
    done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$top"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs each program in its own $dir ($top/<name>): the caller's start_servers "$dir" starts its
# servers (exiting on failure), run_program "$prog" runs it in the environment they need. Each
# program prints "N passed, M failed" last; one that prints no such line or exits non-zero
# counts as at least one failure. Ends with "<label>: N passed, M failed"; fails if any failed.
harness_run() { # label program...
    local label=$1 prog name out rc line p f pf total_pass=0 total_fail=0 failed_progs=()
    shift
    for prog in "$@"; do
        name=$(basename "$prog")
        dir="$top/$name"; mkdir -p "$dir"
        start_servers "$dir" || exit 1
        echo "== $name"
        out="$dir/output"
        run_program "$prog" > "$out" 2>&1
        rc=$?
        cat "$out"
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
        p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
        total_pass=$((total_pass + ${p:-0})); total_fail=$((total_fail + ${f:-0}))
        if [ $rc -ne 0 ] || [ -z "$line" ]; then
            failed_progs+=("$name (exit $rc)")
            [ "${f:-0}" -eq 0 ] && total_fail=$((total_fail + 1))
        fi
        for pf in "$dir"/*.pid; do [ -f "$pf" ] && kill "$(cat "$pf" 2>/dev/null)" 2>/dev/null; done
        sleep 0.05
    done
    [ ${#failed_progs[@]} -gt 0 ] && echo "failed: ${failed_progs[*]}"
    echo "$label: $total_pass passed, $total_fail failed"
    [ $total_fail -eq 0 ]
}

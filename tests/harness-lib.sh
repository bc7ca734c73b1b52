# Sourced by tests/harness.sh, tests/tls/harness.sh and tests/run-examples.sh: a temp dir
# whose servers are stopped on exit, free loopback ports, and the loop that runs each test
# program against fresh redis-servers and adds up what it reports.

# Makes $top (a temp dir named after $1) and the pids array; on exit the redis-servers started
# here are stopped, by their pidfiles under $top/<program>/ and by the pids in $pids, and
# $top is removed.
harness_setup() { # name
    top=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    pids=()
    total_pass=0 total_fail=0 failed_progs=()
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
    local label=$1
    shift
    harness_run_each "$@"
    harness_report "$label"
}

# harness_run's loop, without the closing line: totals add up until harness_report.
harness_run_each() { # program...
    local prog name out rc
    for prog in "$@"; do
        name=$(basename "$prog")
        dir="$top/$name"; mkdir -p "$dir"
        start_servers "$dir" || exit 1
        echo "== $name"
        out="$dir/output"
        run_program "$prog" > "$out" 2>&1
        rc=$?
        harness_tally "$name" "$out" $rc
        for pf in "$dir"/*.pid; do [ -f "$pf" ] && kill "$(cat "$pf" 2>/dev/null)" 2>/dev/null; done
        sleep 0.05
    done
}

# Prints a finished program's output and adds its "N passed, M failed" line to the totals.
harness_tally() { # name output-file exit-status
    local line p f
    cat "$2"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
    total_pass=$((total_pass + ${p:-0})); total_fail=$((total_fail + ${f:-0}))
    if [ "$3" -ne 0 ] || [ -z "$line" ]; then
        failed_progs+=("$1 (exit $3)")
        [ "${f:-0}" -eq 0 ] && total_fail=$((total_fail + 1))
    fi
}

harness_report() { # label
    [ ${#failed_progs[@]} -gt 0 ] && echo "failed: ${failed_progs[*]}"
    echo "$1: $total_pass passed, $total_fail failed"
    [ $total_fail -eq 0 ]
}

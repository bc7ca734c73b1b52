#!/usr/bin/env bash
# adapters/redismoduleapi.h inside a real Redis module:
#   1. fetch redismodule.h (fetch-header.sh: from the redis-module crate, never committed);
#   2. build hirs_module.c as a module against the staged headers and the static
#      libhiredis_rs.a, and client.c on the staged sync API;
#   3. start a target redis-server, then a second one that loads the module (--loadmodule),
#      both on free loopback ports, and run the client against the second: the module's
#      commands use the async API through the adapter, on that server's event loop, to
#      talk to the target.
#
#   tests/redismodule/run.sh STAGE OUTDIR
#   HIRS_SANITIZE=address ...        the module built with ASan; its server runs with libasan
#       preloaded (leak reports off: they would be redis-server's own)
#   HIRS_SERVER_WRAPPER="valgrind -q ..." ...   the module's server runs under the wrapper;
#       anything valgrind -q prints fails the run
#   HIRS_PIPELINE_N=20000 ...         the pipeline scenario's length (default 200,000)
#
# Why static: Debian's redis-server embeds hiredis and exports its symbols, and Redis 7.0
# loads modules without RTLD_DEEPBIND, so a module's calls into a shared libhiredis would
# land in the server's copy. The archive linked with --exclude-libs,ALL keeps them inside
# the module (HIRS.CHECK asserts it).
set -u
stage=${1:?usage: $0 STAGE OUTDIR}
outdir=${2:?usage: $0 STAGE OUTDIR}
mkdir -p "$outdir"
stage=$(cd "$stage" && pwd) outdir=$(cd "$outdir" && pwd)
cd "$(dirname "$0")/../.."
: "${CC:=cc}"
: "${CWARN:=-Wall -Wextra -Werror -Wstrict-prototypes -Wwrite-strings}"
sanitize=${HIRS_SANITIZE:-}

command -v redis-server >/dev/null || { echo "redismodule: redis-server not found (run make deps)"; exit 2; }
major=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
[ "${major:-0}" -ge 7 ] || { echo "redismodule: redis-server $(redis-server --version) is older than 7.0 (no event-loop API)"; exit 1; }

hdr=$(tests/redismodule/fetch-header.sh "$outdir/header-crate") || { echo "redismodule: no redismodule.h"; exit 1; }

pc() { PKG_CONFIG_PATH=$stage/lib/pkgconfig pkg-config "$@"; }
# What the Rust standard library in the archive needs (Libs.private), without the library itself.
private_libs=$(pc --static --libs-only-l hiredis | sed 's/-lhiredis_rs//')
san_flags= preload=
if [ -n "$sanitize" ]; then
    san_flags="-fsanitize=$sanitize -fno-omit-frame-pointer"
    preload=$($CC -print-file-name=libasan.so)
    [ -f "$preload" ] || { echo "redismodule: $CC has no libasan.so"; exit 1; }
fi
# shellcheck disable=SC2086  # word splitting of the flag lists is intended
$CC $CWARN -g -O1 -shared -fPIC $san_flags -isystem "$hdr" $(pc --cflags hiredis) \
    -o "$outdir/hirs_module.so" tests/redismodule/hirs_module.c \
    -Wl,--exclude-libs,ALL "$stage/lib/libhiredis_rs.a" $private_libs \
    || { echo "redismodule: the module did not build"; exit 1; }
if objdump -p "$outdir/hirs_module.so" | grep -q 'NEEDED *libhiredis'; then
    echo "redismodule: the module needs a shared hiredis"; exit 1
fi
if [ -n "$sanitize" ] && ! nm "$outdir/hirs_module.so" | grep -q __asan_; then
    echo "redismodule: the module is not instrumented"; exit 1
fi
# shellcheck disable=SC2086
$CC $CWARN -g -o "$outdir/client" tests/redismodule/client.c $(pc --cflags --libs hiredis) \
    || { echo "redismodule: the client did not build"; exit 1; }

. tests/harness-lib.sh
harness_setup hiredis-rs-redismodule

server_conf() { # dir name port [extra line]
    cat > "$1/$2.conf" <<CONF
port $3
bind 127.0.0.1
dir $1
pidfile $1/$2.pid
logfile $1/$2.log
daemonize no
save ""
appendonly no
enable-debug-command yes
${4:-}
CONF
}

wait_server() { # name port pid
    for _ in $(seq 1 300); do
        redis-cli -p "$2" ping >/dev/null 2>&1 && return 0
        kill -0 "$3" 2>/dev/null || break
        sleep 0.05
    done
    echo "redismodule: the $1 redis-server did not start"; cat "$dir/$1.log" "$dir/$1.stderr" 2>/dev/null; return 1
}

start_servers() { # dir
    local dir=$1
    target_port=$(free_port) host_port=$(free_port) refused_port=$(free_port)
    server_conf "$dir" target "$target_port"
    redis-server "$dir/target.conf" 2> "$dir/target.stderr" &
    pids+=($!)
    wait_server target "$target_port" $! || return 1
    server_conf "$dir" host "$host_port" "loadmodule $outdir/hirs_module.so"
    if [ -n "${HIRS_SERVER_WRAPPER:-}" ]; then
        $HIRS_SERVER_WRAPPER redis-server "$dir/host.conf" 2> "$dir/host.stderr" &
    elif [ -n "$preload" ]; then
        LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 redis-server "$dir/host.conf" 2> "$dir/host.stderr" &
    else
        redis-server "$dir/host.conf" 2> "$dir/host.stderr" &
    fi
    host_pid=$!
    pids+=("$host_pid")
    wait_server host "$host_port" "$host_pid"
}

run_program() { # program
    local rc
    LD_LIBRARY_PATH=$stage/lib HIRS_HOST=127.0.0.1 HIRS_PORT=$host_port HIRS_TARGET_PORT=$target_port HIRS_REFUSED_PORT=$refused_port \
        "$1"
    rc=$?
    # The module's server must have survived the scenarios, without a sanitizer report.
    if ! kill -0 "$host_pid" 2>/dev/null; then
        echo "FAIL the module's redis-server died"; cat "$dir/host.log" "$dir/host.stderr"; return 1
    fi
    # (valgrind -q prints only its error reports, each line starting "==pid==")
    if grep -q 'ERROR: AddressSanitizer\|runtime error:\|^==[0-9]*== ' "$dir/host.stderr"; then
        echo "FAIL sanitizer or valgrind report:"; cat "$dir/host.stderr"; return 1
    fi
    return $rc
}

label=redismodule
[ -n "$sanitize" ] && label="$label ($sanitize)"
[ -n "${HIRS_SERVER_WRAPPER:-}" ] && label="$label (server under ${HIRS_SERVER_WRAPPER%% *})"
harness_run "$label" "$outdir/client"

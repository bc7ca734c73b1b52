#!/usr/bin/env bash
# make demo: start a throwaway redis-server (free loopback port, temp dir), run the given
# example against it, then stop that server by its pid and remove the dir.
set -u
example=${1:?usage: demo.sh path/to/example}

command -v redis-server >/dev/null || { echo "demo: redis-server not found (apt-get install redis-server)"; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/hiredis-rs-demo.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --unixsocket "$dir/redis.sock" \
    --save '' --appendonly no --daemonize no --enable-debug-command yes \
    --logfile "$dir/redis.log" &
pid=$!
for _ in $(seq 1 200); do
    redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
done
redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 || { echo "demo: redis-server did not start"; cat "$dir/redis.log"; exit 1; }

echo "== redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port (pid $pid)"
echo "== $example 127.0.0.1 $port"
"$example" 127.0.0.1 "$port"
rc=$?
echo "== exit status $rc"
exit $rc

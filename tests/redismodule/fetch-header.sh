#!/usr/bin/env bash
# Prints the directory of a redismodule.h (the Redis module API header) that offers what
# adapters/redismoduleapi.h calls. The header ships inside the redis-module crate on
# crates.io: a throwaway cargo project under WORKDIR depends on it, `cargo fetch` brings it
# into cargo's registry cache, and `cargo metadata` says where. Never committed.
#
#   tests/redismodule/fetch-header.sh WORKDIR
set -euo pipefail
work=${1:?usage: $0 WORKDIR}
crate_version="=2.0.8"

mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<EOF
[package]
name = "hirs-redismodule-header"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
redis-module = "$crate_version"

[workspace]
EOF
echo 'fn main() {}' > "$work/src/main.rs"
cargo fetch -q --manifest-path "$work/Cargo.toml" >&2
dir=$(cargo metadata -q --offline --format-version 1 --manifest-path "$work/Cargo.toml" | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "redis-module":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "src", "include"))
')
h=$dir/redismodule.h
[ -f "$h" ] || { echo "fetch-header: no redismodule.h in the redis-module crate ($dir)" >&2; exit 1; }
# Redis 7.0's event-loop API and the rest the adapter and the test module use.
for fn in EventLoopAdd EventLoopDel CreateTimer StopTimer GetTimerInfo GetDetachedThreadSafeContext \
          BlockClient UnblockClient; do
    grep -q "(\*RedisModule_$fn)" "$h" || { echo "fetch-header: $h lacks RedisModule_$fn" >&2; exit 1; }
done
echo "$dir"

#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and a fresh Debian/Ubuntu machine lacks:
# redis-server, the event libraries of the adapters, valgrind, cmake, pkg-config, OpenSSL, Debian's
# hiredis (for the side-by-side benchmarks), python3's venv and headers (Python's hiredis package
# is built against ours) and cargo-fuzz. Quiet when nothing is missing.
# Set HIREDIS_RS_NO_DEPS=1 to skip (e.g. on a machine you manage yourself).
set -euo pipefail
[ "${HIREDIS_RS_NO_DEPS:-0}" = 1 ] && exit 0

need=()
for pkg in redis-server redis-tools pkg-config strace libevent-dev libev-dev libuv1-dev libglib2.0-dev libsystemd-dev libivykis-dev qtbase5-dev libssl-dev openssl \
           valgrind libhiredis-dev cmake g++ python3 python3-venv python3-dev binutils make; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# pip (the differential tests download the hiredis sdist from PyPI with it), if python3 has none.
python3 -m pip --version >/dev/null 2>&1 || dpkg -s python3-pip >/dev/null 2>&1 || need+=(python3-pip)
if [ ${#need[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "deps: please install: ${need[*]}"; exit 2
    fi
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "deps: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "deps: cargo not found; install Rust (https://rustup.rs)"; exit 2; }
# Fuzzing runs on stable with --sanitizer none; cargo-fuzz only drives the build.
if [ "${1:-}" = --fuzz ] && ! cargo fuzz --version >/dev/null 2>&1; then
    echo "deps: installing cargo-fuzz"
    cargo install cargo-fuzz --locked -q
fi

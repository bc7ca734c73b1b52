#!/bin/sh
# The core's unit tests under Miri (nightly's interpreter that checks unsafe code for undefined
# behaviour: out-of-bounds and use-after-free accesses, aliasing violations, leaks).
# Skipped: net:: (real sockets) and ffi::format (C varargs through variadic.c), which Miri
# cannot run. Where no nightly toolchain with Miri can be had (rustup cannot install one), the
# step says so and passes: issue 14 asks for Miri "where the toolchain allows".
set -eu
skip() { echo "test-miri: SKIPPED: $1"; exit 0; }
command -v rustup >/dev/null 2>&1 || skip "no rustup"
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup toolchain list | grep -q '^nightly' ||
        rustup toolchain install nightly --profile minimal >/dev/null 2>&1 ||
        skip "no nightly toolchain and rustup could not install one"
    rustup +nightly component add miri rust-src >/dev/null 2>&1 ||
        skip "rustup could not add miri to the nightly toolchain"
fi
cargo +nightly miri --version
cargo +nightly miri setup >/dev/null 2>&1 || cargo +nightly miri setup
exec cargo +nightly miri test -q -p hiredis_rs --lib -- --skip net:: --skip ffi::format

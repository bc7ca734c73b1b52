//! Generates `hiredis_ssl.h` from `src/ffi.rs` (cbindgen, with the hand-written fragments in
//! `headers/`) with the core's generator (`../headers_build.rs`), and sets the SONAME.
//!
//! The header goes to `$OUT_DIR/include/hiredis/` and, when `HIREDIS_RS_HEADERS_OUT` is set,
//! there too (`make headers` / `make check-headers`).

use std::path::PathBuf;
use std::{env, fs};

#[path = "../headers_build.rs"]
mod headers_build;
use headers_build::{Crate, Header, copy_out, generate};

const SSL: Crate = Crate {
    dir: "ssl/",
    frags: "headers",
    renames: &[],
    exclude: &[],
    fn_fields: &[],
};

const HEADER: Header = Header {
    name: "hiredis_ssl",
    guard: "__HIREDIS_SSL_H",
    srcs: &["src/ffi.rs"],
    sys_includes: &[],
    includes: &[],
    renames: &[
        ("redisSSLContextErrorValue", "redisSSLContextError"),
        ("ssl_st", "struct ssl_st"),
    ],
    exclude: &["redisSSLContextErrorValue", "ssl_st", "redisContext"],
    types: &["redisSSLContextError", "redisSSLOptions"],
};

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let inc = out_dir.join("include").join("hiredis");
    fs::create_dir_all(&inc).unwrap();
    generate(&SSL, &HEADER, &inc);
    copy_out(&inc);

    // Like hiredis's libhiredis_ssl, the cdylib leaves the core's symbols undefined (they come
    // from libhiredis_rs in the process); the name is the Makefile-built SSL library's.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhiredis_rs_ssl.so.1.4.0");
}

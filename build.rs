//! Generates the C headers from the `#[repr(C)]` types and constants in `src/abi/*.rs` and
//! the `extern "C"` functions in `src/ffi/*.rs` (cbindgen, one configuration per installed header, hand-written macros and
//! inline helpers from `src/ffi/headers/*.{pre,post}.h`; the generator itself is
//! `headers_build.rs`, shared with ssl/build.rs), and compiles the variadic C shim.
//!
//! Headers go to `$OUT_DIR/include/hiredis/`, and also to `$HIREDIS_RS_HEADERS_OUT` when set
//! (`make headers` / `make check-headers` use that).

use std::path::{Path, PathBuf};
use std::{env, fs};

#[path = "headers_build.rs"]
mod headers_build;
use headers_build::{Crate, Header, copy_out, generate};

const COMMON_RENAMES: &[(&str, &str)] = &[
    ("timeval", "struct timeval"),
    ("sockaddr", "struct sockaddr"),
    ("redisPushFnPtr", "redisPushFn *"),
    ("redisAsyncPushFnPtr", "redisAsyncPushFn *"),
    ("redisCallbackFnPtr", "redisCallbackFn *"),
    ("redisConnectCallbackPtr", "redisConnectCallback *"),
    ("redisConnectCallbackNCPtr", "redisConnectCallbackNC *"),
    ("redisDisconnectCallbackPtr", "redisDisconnectCallback *"),
    ("redisConnectionTypeField", "enum redisConnectionType"),
    ("dict", "struct dict"),
];

const COMMON_EXCLUDES: &[&str] = &[
    "redisPushFnPtr",
    "redisAsyncPushFnPtr",
    "redisCallbackFnPtr",
    "redisConnectCallbackPtr",
    "redisConnectCallbackNCPtr",
    "redisDisconnectCallbackPtr",
    "redisConnectionTypeField",
    "dict",
    "sds",
    "REDIS_CONN_TCP",
    "REDIS_CONN_UNIX",
    "REDIS_CONN_USERFD",
    // The hidden Rust side of variadic.c, not API.
    "hirs_args",
    "hirs_format_command",
    "hirs_append_command",
    "hirs_command",
    "hirs_async_command",
    "hirs_sdscatfmt",
    "hirs_sdscatvprintf",
    // Exported like hiredis's, but declared in none of its headers.
    "sdsll2str",
    "sdsull2str",
    "hex_digit_to_int",
];

const CORE: Crate = Crate {
    dir: "",
    frags: "src/ffi/headers",
    renames: COMMON_RENAMES,
    exclude: COMMON_EXCLUDES,
    fn_fields: &[
        ("VoidPtrFn", "void (*{})(void*)"),
        ("AsyncHookFn", "void (*{})(struct redisAsyncContext*)"),
    ],
};

const HEADERS: &[Header] = &[
    Header {
        name: "alloc",
        guard: "HIREDIS_ALLOC_H",
        srcs: &["src/abi/alloc.rs", "src/ffi/alloc.rs"],
        sys_includes: &["stddef.h", "stdint.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["hiredisAllocFuncs"],
    },
    Header {
        name: "sds",
        guard: "__SDS_H",
        srcs: &["src/abi/sds.rs", "src/ffi/sds.rs"],
        sys_includes: &["sys/types.h", "stdarg.h", "stdint.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &[],
    },
    Header {
        name: "read",
        guard: "__HIREDIS_READ_H",
        srcs: &["src/abi/read.rs", "src/ffi/read.rs"],
        sys_includes: &["stdio.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["redisReadTask", "redisReplyObjectFunctions", "redisReader"],
    },
    Header {
        name: "hiredis",
        guard: "__HIREDIS_H",
        srcs: &[
            "src/abi/hiredis.rs",
            "src/ffi/hiredis.rs",
            "src/ffi/reply.rs",
            "src/ffi/format.rs",
        ],
        sys_includes: &["stdarg.h", "sys/time.h", "stdint.h"],
        includes: &["read.h", "sds.h", "alloc.h"],
        renames: &[("redisAsyncContext", "struct redisAsyncContext")],
        // Exported like hiredis's internals, declared in no installed header.
        exclude: &["__redisSetError", "__redisAppendCommand"],
        types: &[
            "redisReply",
            "redisOptions",
            "redisContextFuncs",
            "redisContext",
            "redisFD",
        ],
    },
    Header {
        name: "async",
        guard: "__HIREDIS_ASYNC_H",
        srcs: &["src/abi/async.rs", "src/ffi/async.rs"],
        sys_includes: &[],
        includes: &["hiredis.h"],
        renames: &[],
        // Exported like hiredis's async_private.h internals, but not declared in async.h.
        exclude: &["__redisAsyncDisconnect", "redisProcessCallbacks"],
        types: &["redisCallback", "redisCallbackList", "redisAsyncContext"],
    },
    Header {
        name: "net",
        guard: "__NET_H",
        srcs: &["src/ffi/net.rs"],
        sys_includes: &[],
        includes: &["hiredis.h"],
        renames: &[],
        // Exported by hiredis but declared nowhere.
        exclude: &[
            "redisContextUpdateConnectTimeout",
            "redisContextUpdateCommandTimeout",
        ],
        types: &[],
    },
];

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let inc = out_dir.join("include").join("hiredis");
    fs::create_dir_all(&inc).unwrap();
    for h in HEADERS {
        generate(&CORE, h, &inc);
    }
    let frags = Path::new(CORE.frags);
    fs::copy(frags.join("sockcompat.h"), inc.join("sockcompat.h")).unwrap();
    println!("cargo:rerun-if-changed=src/ffi/headers/sockcompat.h");
    copy_out(&inc);

    // The variadic entry points: whole-archive so the cdylib keeps them, and a version script
    // so it exports them (rustc's own script lists only Rust symbols).
    println!("cargo:rerun-if-changed=src/ffi/variadic.c");
    cc::Build::new()
        .file("src/ffi/variadic.c")
        .include(&inc)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .link_lib_modifier("+whole-archive")
        .compile("hiredis_rs_variadic");
    let map = out_dir.join("variadic.map");
    fs::write(
        &map,
        "{\n  global:\n    redisvFormatCommand; redisFormatCommand;\n    redisvAppendCommand; \
         redisAppendCommand;\n    redisvCommand; redisCommand;\n    redisvAsyncCommand; \
         redisAsyncCommand;\n    sdscatvprintf; sdscatprintf; sdscatfmt;\n};\n",
    )
    .unwrap();
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhiredis_rs.so.1.4.0");
}

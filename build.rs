//! Generates the C headers from the `#[repr(C)]` types and `extern "C"` functions in
//! `src/ffi/*.rs` (cbindgen, one configuration per installed header, hand-written macros and
//! inline helpers from `src/ffi/headers/*.{pre,post}.h`), and compiles the variadic C shim.
//!
//! Headers go to `$OUT_DIR/include/hiredis/`, and also to `$HIREDIS_RS_HEADERS_OUT` when set
//! (`make headers` / `make check-headers` use that).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::{env, fs};

struct Header {
    name: &'static str,
    guard: &'static str,
    srcs: &'static [&'static str],
    sys_includes: &'static [&'static str],
    includes: &'static [&'static str],
    /// Rust names that the header spells differently (function types, enum fields, tags).
    renames: &'static [(&'static str, &'static str)],
    /// Items written by hand in the fragments, or belonging to another header.
    exclude: &'static [&'static str],
    /// Types to emit even when no function of this header mentions them.
    types: &'static [&'static str],
}

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

const HEADERS: &[Header] = &[
    Header {
        name: "alloc",
        guard: "HIREDIS_ALLOC_H",
        srcs: &["src/ffi/alloc.rs"],
        sys_includes: &["stddef.h", "stdint.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["hiredisAllocFuncs"],
    },
    Header {
        name: "sds",
        guard: "__SDS_H",
        srcs: &["src/ffi/sds.rs"],
        sys_includes: &["sys/types.h", "stdarg.h", "stdint.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &[],
    },
    Header {
        name: "read",
        guard: "__HIREDIS_READ_H",
        srcs: &["src/ffi/read.rs"],
        sys_includes: &["stdio.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["redisReadTask", "redisReplyObjectFunctions", "redisReader"],
    },
    Header {
        name: "hiredis",
        guard: "__HIREDIS_H",
        srcs: &["src/ffi/hiredis.rs", "src/ffi/reply.rs", "src/ffi/format.rs"],
        sys_includes: &["stdarg.h", "sys/time.h", "stdint.h"],
        includes: &["read.h", "sds.h", "alloc.h"],
        renames: &[("redisAsyncContext", "struct redisAsyncContext")],
        // Exported like hiredis's internals, declared in no installed header.
        exclude: &["__redisSetError", "__redisAppendCommand"],
        types: &["redisReply", "redisOptions", "redisContextFuncs", "redisContext", "redisFD"],
    },
    Header {
        name: "async",
        guard: "__HIREDIS_ASYNC_H",
        srcs: &["src/ffi/async.rs"],
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
        exclude: &["redisContextUpdateConnectTimeout", "redisContextUpdateCommandTimeout"],
        types: &[],
    },
];

fn fragment(dir: &Path, file: String) -> Option<String> {
    // Cargo treats a missing rerun-if-changed path as always stale (a rebuild on every build),
    // so absent fragments are covered by the directory watch in main() instead.
    let path = dir.join(file);
    let text = fs::read_to_string(&path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    Some(text)
}

fn generate(h: &Header, frags: &Path, out: &Path) {
    let mut cfg = cbindgen::Config::default();
    cfg.language = cbindgen::Language::C;
    cfg.style = cbindgen::Style::Both;
    cfg.cpp_compat = true;
    cfg.usize_is_size_t = true;
    cfg.no_includes = true;
    cfg.documentation = false;
    // The guard is written here rather than by cbindgen, whose trailer lands after its guard.
    cfg.sys_includes = h.sys_includes.iter().map(|s| s.to_string()).collect();
    cfg.includes = h.includes.iter().map(|s| s.to_string()).collect();
    cfg.header = Some(format!(
        "/* hiredis-rs {}: generated by cbindgen from src/ffi/{}.rs and the hand-written\n \
         * src/ffi/headers/{}.{{pre,post}}.h. Do not edit: run `make headers`. */\n\
         #ifndef {}\n#define {}",
        h.name, h.name, h.name, h.guard, h.guard
    ));
    cfg.after_includes = fragment(frags, format!("{}.pre.h", h.name));
    let post = fragment(frags, format!("{}.post.h", h.name)).unwrap_or_default();
    cfg.trailer = Some(format!("{post}\n#endif /* {} */", h.guard));
    cfg.function.sort_by = Some(cbindgen::SortKey::None);
    cfg.constant.sort_by = Some(cbindgen::SortKey::None);
    let mut rename: HashMap<String, String> = HashMap::new();
    for (a, b) in COMMON_RENAMES.iter().chain(h.renames) {
        rename.insert(a.to_string(), b.to_string());
    }
    cfg.export.rename = rename;
    cfg.export.exclude = COMMON_EXCLUDES.iter().chain(h.exclude).map(|s| s.to_string()).collect();
    cfg.export.include = h.types.iter().map(|s| s.to_string()).collect();
    let mut b = cbindgen::Builder::new().with_config(cfg);
    for src in h.srcs {
        println!("cargo:rerun-if-changed={src}");
        b = b.with_src(src);
    }
    let bindings = b.generate().unwrap_or_else(|e| panic!("cbindgen {}: {e}", h.name));
    bindings.write_to_file(out.join(format!("{}.h", h.name)));
}

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let inc = out_dir.join("include").join("hiredis");
    fs::create_dir_all(&inc).unwrap();
    let frags = Path::new("src/ffi/headers");
    println!("cargo:rerun-if-changed=src/ffi/headers");
    for h in HEADERS {
        generate(h, frags, &inc);
    }
    fs::copy(frags.join("sockcompat.h"), inc.join("sockcompat.h")).unwrap();
    println!("cargo:rerun-if-changed=src/ffi/headers/sockcompat.h");

    println!("cargo:rerun-if-env-changed=HIREDIS_RS_HEADERS_OUT");
    if let Ok(dest) = env::var("HIREDIS_RS_HEADERS_OUT") {
        let dest = PathBuf::from(dest);
        fs::create_dir_all(&dest).unwrap();
        for entry in fs::read_dir(&inc).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), dest.join(entry.file_name())).unwrap();
        }
    }

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
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={}", map.display());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhiredis_rs.so.1.4.0");
}

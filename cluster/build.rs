//! Generates the installed headers of the cluster library (`hircluster.h`, `dict.h`,
//! `adlist.h`, `hiarray.h`, `hiutil.h`) from the `#[repr(C)]` types and exported functions with
//! the core's generator (`../headers_build.rs`) and the hand-written fragments in `headers/`,
//! copies `win32.h`, compiles the variadic C shim and sets the SONAME.
//!
//! Headers go to `$OUT_DIR/include/hiredis_cluster/` and, when `HIREDIS_RS_CLUSTER_HEADERS_OUT`
//! is set, there too (`make headers` / `make check-headers`).

use std::path::PathBuf;
use std::{env, fs};

#[path = "../headers_build.rs"]
#[allow(dead_code)] // copy_out: these headers go to their own directory
mod headers_build;
use headers_build::{Crate, Header, generate};

const CLUSTER: Crate = Crate {
    dir: "cluster/",
    frags: "headers",
    renames: &[("timeval", "struct timeval")],
    exclude: &[],
    fn_fields: &[],
};

const HEADERS: &[Header] = &[
    Header {
        name: "hircluster",
        guard: "__HIRCLUSTER_H",
        srcs: &[
            "src/types.rs",
            "src/cluster.rs",
            "src/exec.rs",
            "src/async_api.rs",
        ],
        sys_includes: &[],
        includes: &[],
        renames: &[
            ("dict", "struct dict"),
            ("hilist", "struct hilist"),
            ("hiarray", "struct hiarray"),
            ("sslInitFnPtr", "sslInitFn *"),
            ("adapterAttachFnPtr", "adapterAttachFn *"),
            ("redisClusterCallbackFnPtr", "redisClusterCallbackFn *"),
            (
                "redisClusterAsyncContext",
                "struct redisClusterAsyncContext",
            ),
        ],
        exclude: &[
            "dict",
            "hilist",
            "hiarray",
            "dictIterator",
            "redisContext",
            "redisAsyncContext",
            "redisReply",
            "sslInitFnPtr",
            "adapterAttachFnPtr",
            "redisDisconnectCallbackPtr",
            "redisConnectCallbackPtr",
            "redisConnectCallbackNCPtr",
            // Hand-written in hircluster.post.h (a field depends on the hiredis version).
            "redisClusterAsyncContext",
            // The hidden Rust side of variadic.c, not API.
            "hircl_command_result",
            "hircl_append_result",
            "hircl_node_context",
            "hircl_clear_error",
            "hircl_to_node_finish",
            "hircl_append_to_node",
            "hircl_async_result",
            "hircl_async_to_node_result",
            "redisClusterCallbackFnPtr",
        ],
        types: &[
            "redisClusterNode",
            "cluster_slot",
            "copen_slot",
            "redisClusterContext",
            "redisClusterNodeIterator",
        ],
    },
    Header {
        name: "dict",
        guard: "__DICT_H",
        srcs: &["src/dict.rs"],
        sys_includes: &[],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["dictEntry", "dictType", "dict", "dictIterator"],
    },
    Header {
        name: "adlist",
        guard: "__ADLIST_H__",
        srcs: &["src/adlist.rs"],
        sys_includes: &[],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["listNode", "listIter", "hilist"],
    },
    Header {
        name: "hiarray",
        guard: "__HIARRAY_H_",
        srcs: &["src/hiarray.rs"],
        sys_includes: &["stdint.h", "stddef.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &["hiarray"],
    },
    Header {
        name: "hiutil",
        guard: "__HIUTIL_H_",
        srcs: &["src/hiutil.rs"],
        sys_includes: &["stdint.h", "sys/types.h"],
        includes: &[],
        renames: &[],
        exclude: &[],
        types: &[],
    },
];

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let inc = out_dir.join("include").join("hiredis_cluster");
    fs::create_dir_all(&inc).unwrap();
    for h in HEADERS {
        generate(&CLUSTER, h, &inc);
    }
    // Hand-written, installed as they are (hircluster_ssl.h declares the one function of
    // ../cluster-ssl).
    for h in ["win32.h", "hircluster_ssl.h"] {
        fs::copy(format!("headers/{h}"), inc.join(h)).unwrap();
        println!("cargo:rerun-if-changed=headers/{h}");
    }
    println!("cargo:rerun-if-env-changed=HIREDIS_RS_CLUSTER_HEADERS_OUT");
    if let Ok(dest) = env::var("HIREDIS_RS_CLUSTER_HEADERS_OUT") {
        let dest = PathBuf::from(dest);
        fs::create_dir_all(&dest).unwrap();
        for entry in fs::read_dir(&inc).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), dest.join(entry.file_name())).unwrap();
        }
    }

    // The variadic entry points, against the generated hircluster.h and the core's committed
    // headers (<hiredis/...>): whole-archive so the cdylib keeps them, and a version script so
    // it exports them.
    println!("cargo:rerun-if-changed=src/variadic.c");
    cc::Build::new()
        .file("src/variadic.c")
        .include(&inc)
        .include("../include")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .link_lib_modifier("+whole-archive")
        .compile("hiredis_rs_cluster_variadic");
    let map = out_dir.join("variadic.map");
    fs::write(
        &map,
        "{\n  global:\n    redisClusterCommand; redisClustervCommand;\n    redisClusterCommandToNode; \
         redisClustervCommandToNode;\n    redisClusterAppendCommand; redisClustervAppendCommand;\n    \
         redisClusterAppendCommandToNode; redisClustervAppendCommandToNode;\n    \
         redisClusterAsyncCommand; redisClustervAsyncCommand; redisClusterAsyncCommandToNode;\n};\n",
    )
    .unwrap();
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
    // Like hiredis-cluster's, the cdylib leaves the core's symbols undefined (they come from
    // libhiredis_rs in the process); the SONAME is hiredis-cluster's own scheme.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhiredis_rs_cluster.so.0.14");
}

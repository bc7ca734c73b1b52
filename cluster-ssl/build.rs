//! The SONAME of `libhiredis_rs_cluster_ssl.so` and its export list: the one function of
//! hiredis-cluster 0.14.0's `libhiredis_cluster_ssl` (spec §1.6).

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let script = out.join("exports.map");
    fs::write(
        &script,
        "{\n  global:\n    redisClusterSetOptionEnableSSL;\n  local:\n    *;\n};\n",
    )
    .unwrap();
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        script.display()
    );
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhiredis_rs_cluster_ssl.so.0.14");
    println!("cargo:rerun-if-changed=build.rs");
}

//! `libhiredis_rs_cluster_ssl`: hiredis-cluster 0.14.0's `libhiredis_cluster_ssl` (spec §6).
//! One function, `redisClusterSetOptionEnableSSL`, which points a cluster context's TLS hook at
//! `redisInitiateSSLWithContext`. The cluster library calls that hook on every connection it
//! makes, sync and async; `redisInitiateSSLWithContext` comes from the TLS library the program
//! links (`libhiredis_rs_ssl`), resolved from the process as in 0.14.0, so the process keeps one
//! core and one TLS library.

#![allow(non_camel_case_types, non_snake_case)] // hiredis-cluster's C names

use std::ffi::{c_char, c_int, c_void};
use std::mem::offset_of;

const REDIS_OK: c_int = 0;
const REDIS_ERR: c_int = -1;

/// hiredis's `redisContext`, only ever handled by pointer here.
#[repr(C)]
pub struct redisContext {
    _opaque: [u8; 0],
}

/// hiredis_ssl's `redisSSLContext`, only ever handled by pointer here.
#[repr(C)]
pub struct redisSSLContext {
    _opaque: [u8; 0],
}

/// `hircluster.h`'s `sslInitFn *`.
type SslInitFn = unsafe extern "C" fn(*mut redisContext, *mut c_void) -> c_int;

/// The leading fields of `hircluster.h`'s `redisClusterContext`, up to the TLS hook (the
/// offsets are 0.14.0's, asserted below; the cluster library asserts the whole struct).
#[repr(C)]
#[allow(dead_code)] // a layout: only the TLS hook's two fields are written here
pub struct redisClusterContext {
    err: c_int,
    errstr: [c_char; 128],
    flags: c_int,
    connect_timeout: *mut c_void,
    command_timeout: *mut c_void,
    max_retry_count: c_int,
    username: *mut c_char,
    password: *mut c_char,
    nodes: *mut c_void,
    route_version: u64,
    table: *mut c_void,
    requests: *mut c_void,
    retry_count: c_int,
    need_update_route: c_int,
    ssl: *mut c_void,
    ssl_init_fn: Option<SslInitFn>,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(offset_of!(redisClusterContext, flags) == 132);
    assert!(offset_of!(redisClusterContext, nodes) == 176);
    assert!(offset_of!(redisClusterContext, ssl) == 216);
    assert!(offset_of!(redisClusterContext, ssl_init_fn) == 224);
};

unsafe extern "C" {
    fn redisInitiateSSLWithContext(c: *mut redisContext, ssl: *mut redisSSLContext) -> c_int;
}

/// The hook the cluster library calls on each new connection: TLS on it with the user's context.
unsafe extern "C" fn initiate_ssl(c: *mut redisContext, ssl: *mut c_void) -> c_int {
    // SAFETY: the cluster library passes a live connection of its own and `cc->ssl`, which
    // redisClusterSetOptionEnableSSL set to the user's redisSSLContext (owned by the user
    // until after redisClusterFree).
    unsafe { redisInitiateSSLWithContext(c, ssl.cast()) }
}

/// TLS on every connection of `cc` with the hiredis_ssl context `ssl` (kept by pointer: the
/// user frees it after `redisClusterFree`). `REDIS_ERR` if either is NULL.
///
/// # Safety
/// `cc` NULL or a live cluster context; `ssl` NULL or a live `redisSSLContext`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionEnableSSL(
    cc: *mut redisClusterContext,
    ssl: *mut redisSSLContext,
) -> c_int {
    if cc.is_null() || ssl.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise: `cc` is a live context; the two fields are at 0.14.0's offsets
    // (asserted above), which the cluster library's struct has too.
    unsafe {
        (*cc).ssl = ssl.cast();
        (*cc).ssl_init_fn = Some(initiate_ssl);
    }
    REDIS_OK
}

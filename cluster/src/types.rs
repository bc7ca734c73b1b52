//! The public structs of `hircluster.h` (spec §2.3): library-allocated (except the iterator),
//! read and partly written by C programs, so every offset is ABI. cbindgen reads this file.

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

use crate::adlist::hilist;
use crate::core::{redisAsyncContext, redisContext};
use crate::dict::{dict, dictIterator};
use crate::hiarray::hiarray;

pub const HIREDIS_CLUSTER_MAJOR: c_int = 0;
pub const HIREDIS_CLUSTER_MINOR: c_int = 14;
pub const HIREDIS_CLUSTER_PATCH: c_int = 0;
pub const REDIS_CLUSTER_SLOTS: c_int = 16384;
pub const REDIS_ROLE_NULL: c_int = 0;
pub const REDIS_ROLE_MASTER: c_int = 1;
pub const REDIS_ROLE_SLAVE: c_int = 2;
pub const HIRCLUSTER_FLAG_NULL: c_int = 0x0;
pub const HIRCLUSTER_FLAG_ADD_SLAVE: c_int = 0x1000;
pub const HIRCLUSTER_FLAG_ADD_OPENSLOT: c_int = 0x2000;
pub const HIRCLUSTER_FLAG_ROUTE_USE_SLOTS: c_int = 0x4000;
pub const HIRCLUSTER_FLAG_SHUTDOWN: c_int = 0x8000;
pub const HIRCLUSTER_EVENT_SLOTMAP_UPDATED: c_int = 1;
pub const HIRCLUSTER_EVENT_READY: c_int = 2;
pub const HIRCLUSTER_EVENT_FREE_CONTEXT: c_int = 3;

/// `sslInitFn *` (the header's typedef is a function type).
pub type sslInitFnPtr =
    Option<unsafe extern "C" fn(c: *mut redisContext, ssl: *mut c_void) -> c_int>;
/// `adapterAttachFn *`.
pub type adapterAttachFnPtr =
    Option<unsafe extern "C" fn(ac: *mut redisAsyncContext, adapter: *mut c_void) -> c_int>;
/// `redisDisconnectCallback *` / `redisConnectCallback *` / `redisConnectCallbackNC *`.
pub type redisDisconnectCallbackPtr =
    Option<unsafe extern "C" fn(ac: *const redisAsyncContext, status: c_int)>;
pub type redisConnectCallbackPtr =
    Option<unsafe extern "C" fn(ac: *const redisAsyncContext, status: c_int)>;
pub type redisConnectCallbackNCPtr =
    Option<unsafe extern "C" fn(ac: *mut redisAsyncContext, status: c_int)>;

/// One cluster node (88 bytes).
#[repr(C)]
pub struct redisClusterNode {
    pub name: *mut c_char,
    pub addr: *mut c_char,
    pub host: *mut c_char,
    pub port: u16,
    pub role: u8,
    pub pad: u8,
    pub failure_count: c_int,
    pub con: *mut redisContext,
    pub acon: *mut redisAsyncContext,
    pub lastConnectionAttempt: i64,
    pub slots: *mut hilist,
    pub slaves: *mut hilist,
    pub migrating: *mut hiarray,
    pub importing: *mut hiarray,
}

/// A slot range owned by a node (16 bytes).
#[repr(C)]
pub struct cluster_slot {
    pub start: u32,
    pub end: u32,
    pub node: *mut redisClusterNode,
}

/// A migrating or importing slot (24 bytes).
#[repr(C)]
pub struct copen_slot {
    pub slot_num: u32,
    pub migrate: c_int,
    pub remote_name: *mut c_char,
    pub node: *mut redisClusterNode,
}

/// The cluster context (256 bytes).
#[repr(C)]
pub struct redisClusterContext {
    pub err: c_int,
    pub errstr: [c_char; 128],
    pub flags: c_int,
    pub connect_timeout: *mut libc::timeval,
    pub command_timeout: *mut libc::timeval,
    pub max_retry_count: c_int,
    pub username: *mut c_char,
    pub password: *mut c_char,
    pub nodes: *mut dict,
    pub route_version: u64,
    pub table: *mut *mut redisClusterNode,
    pub requests: *mut hilist,
    pub retry_count: c_int,
    pub need_update_route: c_int,
    pub ssl: *mut c_void,
    pub ssl_init_fn: sslInitFnPtr,
    pub on_connect: Option<unsafe extern "C" fn(c: *const redisContext, status: c_int)>,
    pub event_callback: Option<
        unsafe extern "C" fn(cc: *const redisClusterContext, event: c_int, privdata: *mut c_void),
    >,
    pub event_privdata: *mut c_void,
}

/// The asynchronous cluster context (192 bytes); written by hand in the header (its last
/// field depends on the hiredis version seen at compile time).
#[repr(C)]
pub struct redisClusterAsyncContext {
    pub cc: *mut redisClusterContext,
    pub err: c_int,
    pub errstr: [c_char; 128],
    pub lastSlotmapUpdateAttempt: i64,
    pub adapter: *mut c_void,
    pub attach_fn: adapterAttachFnPtr,
    pub onDisconnect: redisDisconnectCallbackPtr,
    pub onConnect: redisConnectCallbackPtr,
    pub onConnectNC: redisConnectCallbackNCPtr,
}

/// The caller-allocated node iterator (56 bytes).
#[repr(C)]
pub struct redisClusterNodeIterator {
    pub cc: *mut redisClusterContext,
    pub route_version: u64,
    pub retries_left: c_int,
    pub di: dictIterator,
}

const _: () = {
    assert!(size_of::<redisClusterNode>() == 88);
    assert!(offset_of!(redisClusterNode, port) == 24);
    assert!(offset_of!(redisClusterNode, role) == 26);
    assert!(offset_of!(redisClusterNode, failure_count) == 28);
    assert!(offset_of!(redisClusterNode, con) == 32);
    assert!(offset_of!(redisClusterNode, lastConnectionAttempt) == 48);
    assert!(offset_of!(redisClusterNode, slots) == 56);
    assert!(offset_of!(redisClusterNode, importing) == 80);
    assert!(size_of::<cluster_slot>() == 16);
    assert!(offset_of!(cluster_slot, node) == 8);
    assert!(size_of::<copen_slot>() == 24);
    assert!(offset_of!(copen_slot, remote_name) == 8);
    assert!(size_of::<redisClusterContext>() == 256);
    assert!(offset_of!(redisClusterContext, flags) == 132);
    assert!(offset_of!(redisClusterContext, connect_timeout) == 136);
    assert!(offset_of!(redisClusterContext, max_retry_count) == 152);
    assert!(offset_of!(redisClusterContext, username) == 160);
    assert!(offset_of!(redisClusterContext, nodes) == 176);
    assert!(offset_of!(redisClusterContext, route_version) == 184);
    assert!(offset_of!(redisClusterContext, table) == 192);
    assert!(offset_of!(redisClusterContext, requests) == 200);
    assert!(offset_of!(redisClusterContext, retry_count) == 208);
    assert!(offset_of!(redisClusterContext, need_update_route) == 212);
    assert!(offset_of!(redisClusterContext, ssl) == 216);
    assert!(offset_of!(redisClusterContext, ssl_init_fn) == 224);
    assert!(offset_of!(redisClusterContext, on_connect) == 232);
    assert!(offset_of!(redisClusterContext, event_callback) == 240);
    assert!(offset_of!(redisClusterContext, event_privdata) == 248);
    assert!(size_of::<redisClusterAsyncContext>() == 192);
    assert!(offset_of!(redisClusterAsyncContext, err) == 8);
    assert!(offset_of!(redisClusterAsyncContext, errstr) == 12);
    assert!(offset_of!(redisClusterAsyncContext, lastSlotmapUpdateAttempt) == 144);
    assert!(offset_of!(redisClusterAsyncContext, adapter) == 152);
    assert!(offset_of!(redisClusterAsyncContext, onConnectNC) == 184);
    assert!(size_of::<redisClusterNodeIterator>() == 56);
    assert!(offset_of!(redisClusterNodeIterator, retries_left) == 16);
    assert!(offset_of!(redisClusterNodeIterator, di) == 24);
};

//! The cluster context: errors, seed nodes, options, per-node blocking connections and the
//! slot map (CLUSTER SLOTS / CLUSTER NODES parsing and installation), spec §3.1-§3.5, §3.13.

#![allow(non_snake_case)]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use crate::adlist::{listAddNodeHead, listAddNodeTail, listCreate, listRelease};
use crate::core::{self, redisContext, redisReply};
use crate::core::{
    REDIS_ERR, REDIS_ERR_OOM, REDIS_ERR_OTHER, REDIS_ERR_TIMEOUT, REDIS_OK, REDIS_REPLY_ARRAY,
    REDIS_REPLY_ERROR, REDIS_REPLY_INTEGER, REDIS_REPLY_STRING,
};
use crate::dict::{
    DICT_OK, dict, dictAdd, dictCreate, dictEntry, dictFind, dictInitIterator, dictIterator,
};
use crate::dict::{dictNext, dictRelease, dictType};
use crate::exec::{Pools, free_pools};
use crate::hiarray::{hiarray, hiarray_create, hiarray_destroy, hiarray_get, hiarray_push};
use crate::scratch::Scratch;
use crate::types::*;

pub(crate) const SLOTS: usize = 16384;
pub(crate) const OOM: &[u8] = b"Out of memory";
pub(crate) const CMD_CLUSTER_SLOTS: &[u8] = b"*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
pub(crate) const CMD_CLUSTER_NODES: &[u8] = b"*2\r\n$7\r\nCLUSTER\r\n$5\r\nNODES\r\n";

/// The cluster context as allocated: the public struct (its size is ABI, so nothing is added
/// to it), then the pipeline's free lists (`exec.rs`) and the scratch area of the large
/// commands (`scratch.rs`, shared by the async context built on it).
#[repr(C)]
pub(crate) struct ContextAlloc {
    pub(crate) public: redisClusterContext,
    pub(crate) pools: Pools,
    pub(crate) scratch: Scratch,
}

/// The context's scratch area.
///
/// # Safety
/// `cc` came from `redisClusterContextInit` (a `ContextAlloc`) and is live.
pub(crate) unsafe fn scratch(cc: *mut redisClusterContext) -> *mut Scratch {
    // SAFETY: caller's promise: the public context heads a `ContextAlloc`.
    unsafe { &raw mut (*(cc as *mut ContextAlloc)).scratch }
}

// ---- errors ------------------------------------------------------------------------------

/// Sets `cc->err` and `cc->errstr` (cut to 127 bytes).
///
/// # Safety
/// `cc` is a live context.
pub(crate) unsafe fn set_error(cc: *mut redisClusterContext, kind: c_int, text: &[u8]) {
    // SAFETY: caller's promise.
    unsafe {
        (*cc).err = kind;
        write_errstr(&mut (*cc).errstr, text);
    }
}

/// What the core's formatter returned: the command's length, or the error to report (-1 out
/// of memory, any other negative value an invalid format string).
pub(crate) fn formatted_len(len: i64) -> Result<usize, (c_int, &'static [u8])> {
    match len {
        -1 => Err((REDIS_ERR_OOM, OOM)),
        l if l < 0 => Err((REDIS_ERR_OTHER, b"Invalid format string")),
        l => Ok(l as usize),
    }
}

pub(crate) fn write_errstr(buf: &mut [c_char; 128], text: &[u8]) {
    let n = text.len().min(127);
    for (d, &s) in buf.iter_mut().zip(&text[..n]) {
        *d = s as c_char;
    }
    buf[n] = 0;
}

/// # Safety
/// `cc` is a live context.
pub(crate) unsafe fn clear_error(cc: *mut redisClusterContext) {
    // SAFETY: caller's promise.
    unsafe {
        (*cc).err = 0;
        (*cc).errstr = [0; 128];
    }
}

/// Copies a hiredis context's error to the cluster context.
///
/// # Safety
/// Both are live.
pub(crate) unsafe fn copy_ctx_error(cc: *mut redisClusterContext, c: *const redisContext) {
    // SAFETY: caller's promise; errstr is NUL-terminated within its 128 bytes.
    unsafe {
        let text = std::ffi::CStr::from_ptr((*c).errstr.as_ptr()).to_bytes();
        let kind = (*c).err;
        set_error(cc, kind, text);
    }
}

/// The bytes of a reply's string.
///
/// # Safety
/// `r` is a live reply with a string (or NULL str).
pub(crate) unsafe fn reply_str<'a>(r: *const redisReply) -> &'a [u8] {
    // SAFETY: caller's promise: `str` holds `len` bytes.
    unsafe {
        if (*r).str.is_null() {
            &[]
        } else {
            std::slice::from_raw_parts((*r).str as *const u8, (*r).len)
        }
    }
}

// ---- nodes and the node dictionary --------------------------------------------------------

unsafe extern "C" fn sds_hash(key: *const c_void) -> u32 {
    // SAFETY: the dict's keys are live sds strings.
    let b = unsafe { core::sds_bytes(key.cast()) };
    // SAFETY: `b` is a valid slice.
    unsafe { crate::dict::dictGenHashFunction(b.as_ptr(), b.len() as c_int) }
}

unsafe extern "C" fn sds_compare(_: *mut c_void, a: *const c_void, b: *const c_void) -> c_int {
    // SAFETY: the dict's keys are live sds strings.
    unsafe { (core::sds_bytes(a.cast()) == core::sds_bytes(b.cast())) as c_int }
}

unsafe extern "C" fn sds_destructor(_: *mut c_void, key: *mut c_void) {
    // SAFETY: keys are sds strings owned by the dict.
    unsafe { core::sdsfree(key.cast()) }
}

unsafe extern "C" fn node_destructor(_: *mut c_void, val: *mut c_void) {
    // SAFETY: values are nodes owned by the dict.
    unsafe { node_free(val.cast()) }
}

/// The type of `cc->nodes`: sds `host:port` keys, owned `redisClusterNode` values.
static NODES_TYPE: dictType = dictType {
    hashFunction: Some(sds_hash),
    keyDup: None,
    valDup: None,
    keyCompare: Some(sds_compare),
    keyDestructor: Some(sds_destructor),
    valDestructor: Some(node_destructor),
};

pub(crate) fn nodes_dict_new() -> *mut dict {
    // The dict never writes through its type pointer.
    dictCreate(ptr::addr_of!(NODES_TYPE) as *mut dictType, ptr::null_mut())
}

unsafe extern "C" fn slot_destructor(p: *mut c_void) {
    core::free(p);
}

unsafe extern "C" fn node_list_destructor(p: *mut c_void) {
    // SAFETY: replica lists own their nodes.
    unsafe { node_free(p.cast()) }
}

/// Frees a node: strings, connections, slot ranges, replicas, open slots.
///
/// # Safety
/// `node` is NULL or a live node owned by the caller.
pub(crate) unsafe fn node_free(node: *mut redisClusterNode) {
    if node.is_null() {
        return;
    }
    // SAFETY: caller's promise; every owned pointer is NULL or live.
    unsafe {
        let n = &mut *node;
        core::sdsfree(n.name);
        core::sdsfree(n.addr);
        core::sdsfree(n.host);
        if !n.con.is_null() {
            core::redisFree(n.con);
        }
        if !n.acon.is_null() {
            // Detach first, so the context's data cleanup does not write into this node.
            (*n.acon).data = ptr::null_mut();
            core::redisAsyncFree(n.acon);
        }
        listRelease(n.slots);
        listRelease(n.slaves);
        open_slots_free(n.migrating);
        open_slots_free(n.importing);
        core::free(node.cast());
    }
}

unsafe fn open_slots_free(a: *mut hiarray) {
    if a.is_null() {
        return;
    }
    // SAFETY: the array holds `copen_slot*` elements owned by it.
    unsafe {
        for i in 0..(*a).nelem {
            let os = *(hiarray_get(a, i) as *mut *mut copen_slot);
            if !os.is_null() {
                core::sdsfree((*os).remote_name);
                core::free(os.cast());
            }
        }
        hiarray_destroy(a);
    }
}

/// A new node for `host:port`; masters get their (empty) slot list. NULL on OOM.
pub(crate) fn node_new(host: &[u8], port: u16, addr: &[u8], role: c_int) -> *mut redisClusterNode {
    let node: *mut redisClusterNode = core::alloc_zeroed();
    if node.is_null() {
        return node;
    }
    // SAFETY: `node` is fresh and zeroed.
    unsafe {
        let n = &mut *node;
        n.host = core::sds_from(host);
        n.addr = core::sds_from(addr);
        n.port = port;
        n.role = role as u8;
        let mut ok = !n.host.is_null() && !n.addr.is_null();
        if ok && role == REDIS_ROLE_MASTER {
            n.slots = listCreate();
            ok = !n.slots.is_null();
            if ok {
                (*n.slots).free = Some(slot_destructor);
            }
        }
        if !ok {
            node_free(node);
            return ptr::null_mut();
        }
    }
    node
}

/// The node stored under `addr`, or NULL.
///
/// # Safety
/// `d` is NULL or a live node dict.
pub(crate) unsafe fn dict_node(d: *mut dict, addr: &[u8]) -> *mut redisClusterNode {
    if d.is_null() {
        return ptr::null_mut();
    }
    let key = core::sds_from(addr);
    if key.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; `key` is a live sds.
    unsafe {
        let e = dictFind(d, key.cast());
        core::sdsfree(key);
        if e.is_null() {
            ptr::null_mut()
        } else {
            (*e).val.cast()
        }
    }
}

/// Adds `node` under its address; false (node not taken) on OOM or duplicate.
///
/// # Safety
/// `d` is a live node dict, `node` a live node owned by the caller.
pub(crate) unsafe fn dict_add_node(d: *mut dict, node: *mut redisClusterNode) -> bool {
    // SAFETY: caller's promise.
    unsafe {
        let key = core::sds_from(core::sds_bytes((*node).addr));
        if key.is_null() {
            return false;
        }
        if dictAdd(d, key.cast(), node.cast()) != DICT_OK {
            core::sdsfree(key);
            return false;
        }
        true
    }
}

/// The nodes of a dict in its iteration order, read as the walk goes (nothing allocated).
pub(crate) struct NodeIter {
    it: dictIterator,
}

/// Walks a node dict. The dict must stay as it is during the walk (`dict_nodes` copies the
/// nodes out for callers that change it).
///
/// # Safety
/// `d` is NULL or a live node dict, unchanged and alive while the iterator is used.
pub(crate) unsafe fn dict_iter(d: *mut dict) -> NodeIter {
    let mut it = dictIterator {
        ht: ptr::null_mut(),
        index: 0,
        entry: ptr::null_mut(),
        nextEntry: ptr::null_mut(),
    };
    // SAFETY: the iterator is local; it holds no pointer to itself, so it may move.
    unsafe { dictInitIterator(&mut it, d) };
    NodeIter { it }
}

impl Iterator for NodeIter {
    type Item = *mut redisClusterNode;

    fn next(&mut self) -> Option<*mut redisClusterNode> {
        // SAFETY: `dict_iter`'s promise: the dict is live and unchanged (dictNext returns NULL
        // at once for a NULL dict).
        unsafe {
            let e: *mut dictEntry = dictNext(&mut self.it);
            (!e.is_null()).then(|| (*e).val.cast())
        }
    }
}

/// The nodes of a dict in its iteration order.
///
/// # Safety
/// `d` is NULL or a live node dict; the pointers die with it.
pub(crate) unsafe fn dict_nodes(d: *mut dict) -> Vec<*mut redisClusterNode> {
    // SAFETY: caller's promise; the walk ends before this returns.
    unsafe { dict_iter(d).collect() }
}

// ---- context lifecycle and options ----------------------------------------------------------

/// A zeroed context with `max_retry_count` 5; NULL on OOM.
#[unsafe(no_mangle)]
pub extern "C" fn redisClusterContextInit() -> *mut redisClusterContext {
    let cc: *mut redisClusterContext = core::alloc_zeroed::<ContextAlloc>().cast();
    if !cc.is_null() {
        // SAFETY: fresh context.
        unsafe { (*cc).max_retry_count = 5 };
    }
    cc
}

/// Frees the context: FREE_CONTEXT event, timeouts, table, nodes (and their connections),
/// the pipeline queue, credentials. The SSL context stays the caller's.
///
/// # Safety
/// `cc` is NULL or a live context, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterFree(cc: *mut redisClusterContext) {
    if cc.is_null() {
        return;
    }
    // SAFETY: caller's promise.
    unsafe {
        if let Some(f) = (*cc).event_callback {
            f(cc, HIRCLUSTER_EVENT_FREE_CONTEXT, (*cc).event_privdata);
        }
        core::free((*cc).connect_timeout.cast());
        core::free((*cc).command_timeout.cast());
        core::free((*cc).table.cast());
        (*cc).table = ptr::null_mut();
        let nodes = (*cc).nodes;
        (*cc).nodes = ptr::null_mut();
        dictRelease(nodes);
        let requests = (*cc).requests;
        (*cc).requests = ptr::null_mut();
        listRelease(requests);
        free_pools(cc);
        (*scratch(cc)).release();
        core::free((*cc).username.cast());
        core::free((*cc).password.cast());
        core::free(cc.cast());
    }
}

/// Init, flags, seeds, then a slot-map update; the context is returned whatever happened
/// (check `cc->err`). NULL only on OOM.
///
/// # Safety
/// `addrs` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterConnect(
    addrs: *const c_char,
    flags: c_int,
) -> *mut redisClusterContext {
    let cc = redisClusterContextInit();
    if cc.is_null() {
        return cc;
    }
    // SAFETY: fresh context; caller's promise on `addrs`.
    unsafe {
        (*cc).flags = flags;
        if redisClusterSetOptionAddNodes(cc, addrs) == REDIS_OK {
            redisClusterUpdateSlotmap(cc);
        }
    }
    cc
}

/// As `redisClusterConnect`, with a connect timeout.
///
/// # Safety
/// `addrs` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterConnectWithTimeout(
    addrs: *const c_char,
    tv: libc::timeval,
    flags: c_int,
) -> *mut redisClusterContext {
    let cc = redisClusterContextInit();
    if cc.is_null() {
        return cc;
    }
    // SAFETY: fresh context; caller's promise on `addrs`.
    unsafe {
        (*cc).flags = flags;
        if redisClusterSetOptionConnectTimeout(cc, tv) != REDIS_OK {
            // 0.14.0 leaks the context here; it is freed instead.
            redisClusterFree(cc);
            return ptr::null_mut();
        }
        if redisClusterSetOptionAddNodes(cc, addrs) == REDIS_OK {
            redisClusterUpdateSlotmap(cc);
        }
    }
    cc
}

/// Connects a context set up with options: the initial slot-map update.
///
/// # Safety
/// `cc` is NULL or a live context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterConnect2(cc: *mut redisClusterContext) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        (*cc).flags &= !HIRCLUSTER_FLAG_SHUTDOWN;
        if (*cc).nodes.is_null() || (*(*cc).nodes).used == 0 {
            set_error(cc, REDIS_ERR_OTHER, b"servers address does not set up");
            return REDIS_ERR;
        }
        redisClusterUpdateSlotmap(cc)
    }
}

/// Adds a seed node `host:port` (split at the last `:`).
///
/// # Safety
/// `cc` is NULL or a live context; `addr` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionAddNode(
    cc: *mut redisClusterContext,
    addr: *const c_char,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe { add_node(cc, core::cstr_bytes(addr)) }
}

unsafe fn add_node(cc: *mut redisClusterContext, addr: &[u8]) -> c_int {
    // SAFETY: caller's promise: `cc` is live.
    unsafe {
        if (*cc).nodes.is_null() {
            (*cc).nodes = nodes_dict_new();
            if (*cc).nodes.is_null() {
                set_error(cc, REDIS_ERR_OOM, OOM);
                return REDIS_ERR;
            }
        }
        if !dict_node((*cc).nodes, addr).is_null() {
            return REDIS_OK;
        }
        let Some(colon) = addr.iter().rposition(|&b| b == b':') else {
            set_error(
                cc,
                REDIS_ERR_OTHER,
                b"server address is incorrect, port separator missing.",
            );
            return REDIS_ERR;
        };
        if colon == 0 {
            set_error(
                cc,
                REDIS_ERR_OTHER,
                b"server address is incorrect, address part missing.",
            );
            return REDIS_ERR;
        }
        let port = &addr[colon + 1..];
        if port.is_empty() {
            set_error(
                cc,
                REDIS_ERR_OTHER,
                b"server address is incorrect, port part missing.",
            );
            return REDIS_ERR;
        }
        let Some(p) = parse_port_digits(port).filter(|&p| p != 0) else {
            set_error(cc, REDIS_ERR_OTHER, b"server port is incorrect");
            return REDIS_ERR;
        };
        // Stored into 16 bits without a range check, as 0.14.0 does (70000 becomes 4464).
        let node = node_new(&addr[..colon], p as u16, addr, REDIS_ROLE_NULL);
        if node.is_null() || !dict_add_node((*cc).nodes, node) {
            node_free(node);
            set_error(cc, REDIS_ERR_OOM, OOM);
            return REDIS_ERR;
        }
        REDIS_OK
    }
}

/// All-digit decimal (wrapping like C's int arithmetic would not matter: values stay small
/// or are truncated to 16 bits by the caller); None if empty or not digits.
fn parse_port_digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |v, &b| {
        v.wrapping_mul(10).wrapping_add((b - b'0') as u32)
    }))
}

/// Adds the comma-separated seed nodes in order; the first failure returns ERR.
///
/// # Safety
/// `cc` is NULL or a live context; `addrs` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionAddNodes(
    cc: *mut redisClusterContext,
    addrs: *const c_char,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        // NULL (a crash in 0.14.0) is taken as no address at all.
        if addrs.is_null() {
            set_error(
                cc,
                REDIS_ERR_OTHER,
                b"invalid server addresses (example format: 127.0.0.1:1234,127.0.0.2:5678)",
            );
            return REDIS_ERR;
        }
        for field in core::cstr_bytes(addrs).split(|&b| b == b',') {
            if add_node(cc, field) != REDIS_OK {
                return REDIS_ERR;
            }
        }
        REDIS_OK
    }
}

/// No effect (every connection the sync API makes is blocking).
#[unsafe(no_mangle)]
pub extern "C" fn redisClusterSetOptionConnectBlock(cc: *mut redisClusterContext) -> c_int {
    if cc.is_null() { REDIS_ERR } else { REDIS_OK }
}

/// No effect.
#[unsafe(no_mangle)]
pub extern "C" fn redisClusterSetOptionConnectNonBlock(cc: *mut redisClusterContext) -> c_int {
    if cc.is_null() { REDIS_ERR } else { REDIS_OK }
}

unsafe fn set_credential(
    cc: *mut redisClusterContext,
    field: *mut *mut c_char,
    value: *const c_char,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise: `field` points into the live `cc`, `value` NULL or a C string.
    unsafe {
        core::free((*field).cast());
        *field = ptr::null_mut();
        let v = core::cstr_bytes(value);
        if v.is_empty() {
            return REDIS_OK;
        }
        *field = core::strdup_bytes(v);
        if (*field).is_null() {
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// The ACL user name for AUTH (NULL or "" clears it).
///
/// # Safety
/// `cc` is NULL or live; `username` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionUsername(
    cc: *mut redisClusterContext,
    username: *const c_char,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe { set_credential(cc, ptr::addr_of_mut!((*cc).username), username) }
}

/// The password for AUTH (NULL or "" clears it).
///
/// # Safety
/// `cc` is NULL or live; `password` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionPassword(
    cc: *mut redisClusterContext,
    password: *const c_char,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe { set_credential(cc, ptr::addr_of_mut!((*cc).password), password) }
}

unsafe fn or_flag(cc: *mut redisClusterContext, flag: c_int) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe { (*cc).flags |= flag };
    REDIS_OK
}

/// Parse replicas into `node->slaves`.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionParseSlaves(cc: *mut redisClusterContext) -> c_int {
    // SAFETY: caller's promise.
    unsafe { or_flag(cc, HIRCLUSTER_FLAG_ADD_SLAVE) }
}

/// Parse migrating/importing slots (CLUSTER NODES only).
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionParseOpenSlots(
    cc: *mut redisClusterContext,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe { or_flag(cc, HIRCLUSTER_FLAG_ADD_OPENSLOT) }
}

/// Use CLUSTER SLOTS instead of CLUSTER NODES.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionRouteUseSlots(cc: *mut redisClusterContext) -> c_int {
    // SAFETY: caller's promise.
    unsafe { or_flag(cc, HIRCLUSTER_FLAG_ROUTE_USE_SLOTS) }
}

/// The connect timeout of future connections.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionConnectTimeout(
    cc: *mut redisClusterContext,
    tv: libc::timeval,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        if (*cc).connect_timeout.is_null() {
            (*cc).connect_timeout = core::alloc_zeroed();
            if (*cc).connect_timeout.is_null() {
                set_error(cc, REDIS_ERR_OOM, OOM);
                return REDIS_ERR;
            }
        }
        *(*cc).connect_timeout = tv;
    }
    REDIS_OK
}

/// The command timeout, applied to future connections and to every existing one.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionTimeout(
    cc: *mut redisClusterContext,
    tv: libc::timeval,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise; nodes and their connections are live.
    unsafe {
        let old = (*cc).command_timeout;
        if !old.is_null() && (*old).tv_sec == tv.tv_sec && (*old).tv_usec == tv.tv_usec {
            return REDIS_OK;
        }
        if old.is_null() {
            (*cc).command_timeout = core::alloc_zeroed();
            if (*cc).command_timeout.is_null() {
                set_error(cc, REDIS_ERR_OOM, OOM);
                return REDIS_ERR;
            }
        }
        *(*cc).command_timeout = tv;
        for node in dict_nodes((*cc).nodes) {
            node_set_timeout(node, tv);
            let slaves = (*node).slaves;
            if !slaves.is_null() {
                let mut n = (*slaves).head;
                while !n.is_null() {
                    node_set_timeout((*n).value.cast(), tv);
                    n = (*n).next;
                }
            }
        }
    }
    REDIS_OK
}

unsafe fn node_set_timeout(node: *mut redisClusterNode, tv: libc::timeval) {
    // SAFETY: caller's promise: a live node.
    unsafe {
        if !(*node).acon.is_null() {
            core::redisAsyncSetTimeout((*node).acon, tv);
        }
        if !(*node).con.is_null() && (*(*node).con).err == 0 {
            core::redisSetTimeout((*node).con, tv);
        }
    }
}

/// Redirects and retries allowed per keyed command (> 0).
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetOptionMaxRetry(
    cc: *mut redisClusterContext,
    max_retry_count: c_int,
) -> c_int {
    if cc.is_null() || max_retry_count <= 0 {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe { (*cc).max_retry_count = max_retry_count };
    REDIS_OK
}

/// Deprecated twin of `redisClusterSetOptionMaxRetry`.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetMaxRedirect(
    cc: *mut redisClusterContext,
    max_redirect_count: c_int,
) {
    // SAFETY: caller's promise.
    unsafe { redisClusterSetOptionMaxRetry(cc, max_redirect_count) };
}

/// Called after every blocking connect the library makes; only one may be set.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetConnectCallback(
    cc: *mut redisClusterContext,
    fn_: Option<unsafe extern "C" fn(c: *const redisContext, status: c_int)>,
) -> c_int {
    // SAFETY: caller's promise (0.14.0 does not check NULL; this does).
    unsafe {
        if cc.is_null() || (*cc).on_connect.is_some() {
            return REDIS_ERR;
        }
        (*cc).on_connect = fn_;
    }
    REDIS_OK
}

/// Slot-map and lifecycle events; only one may be set.
///
/// # Safety
/// `cc` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterSetEventCallback(
    cc: *mut redisClusterContext,
    fn_: Option<
        unsafe extern "C" fn(cc: *const redisClusterContext, event: c_int, privdata: *mut c_void),
    >,
    privdata: *mut c_void,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        if cc.is_null() || (*cc).event_callback.is_some() {
            return REDIS_ERR;
        }
        (*cc).event_callback = fn_;
        (*cc).event_privdata = privdata;
    }
    REDIS_OK
}

// ---- blocking connections -----------------------------------------------------------------

/// AUTH on a fresh connection when a password is set; errors land on `cc`.
unsafe fn authenticate(cc: *mut redisClusterContext, c: *mut redisContext) -> bool {
    // SAFETY: caller's promise: both live.
    unsafe {
        if (*cc).password.is_null() {
            return true;
        }
        let mut argv: Vec<*const c_char> = vec![c"AUTH".as_ptr()];
        let mut lens: Vec<usize> = vec![4];
        if !(*cc).username.is_null() {
            argv.push((*cc).username);
            lens.push(libc::strlen((*cc).username));
        }
        argv.push((*cc).password);
        lens.push(libc::strlen((*cc).password));
        let r = core::redisCommandArgv(c, argv.len() as c_int, argv.as_ptr(), lens.as_ptr())
            as *mut redisReply;
        if r.is_null() {
            set_error(cc, REDIS_ERR_OTHER, b"Command AUTH reply error (NULL)");
            return false;
        }
        let ok = (*r).r#type != REDIS_REPLY_ERROR;
        if !ok {
            set_error(cc, REDIS_ERR_OTHER, reply_str(r));
        }
        core::freeReplyObject(r.cast());
        ok
    }
}

/// A new blocking connection to `host:port` with the context's timeouts, connect callback,
/// TLS hook and AUTH (spec §3.4 a-d). NULL with the error on `cc` on failure.
unsafe fn connect_blocking(
    cc: *mut redisClusterContext,
    host: *const c_char,
    port: u16,
) -> *mut redisContext {
    // SAFETY: caller's promise: `cc` live, `host` a C string.
    unsafe {
        let opts = core::redisOptions {
            r#type: 0,
            options: 0,
            connect_timeout: (*cc).connect_timeout,
            command_timeout: (*cc).command_timeout,
            source_addr: ptr::null(),
            ip: host,
            port: port as c_int,
            privdata: ptr::null_mut(),
            free_privdata: ptr::null_mut(),
            push_cb: ptr::null_mut(),
            async_push_cb: ptr::null_mut(),
        };
        let c = core::redisConnectWithOptions(&opts);
        if c.is_null() {
            set_error(cc, REDIS_ERR_OOM, OOM);
            return c;
        }
        if let Some(f) = (*cc).on_connect {
            f(c, if (*c).err != 0 { REDIS_ERR } else { REDIS_OK });
        }
        if (*c).err != 0 {
            copy_ctx_error(cc, c);
            core::redisFree(c);
            return ptr::null_mut();
        }
        if let (false, Some(init)) = ((*cc).ssl.is_null(), (*cc).ssl_init_fn) {
            if init(c, (*cc).ssl) != REDIS_OK {
                copy_ctx_error(cc, c);
                core::redisFree(c);
                return ptr::null_mut();
            }
        }
        if !authenticate(cc, c) {
            core::redisFree(c);
            return ptr::null_mut();
        }
        c
    }
}

/// The node's blocking connection, made or re-established on demand (spec §3.5). A
/// reconnected context is returned even when it still has an error.
///
/// # Safety
/// `cc` is live; `node` NULL or a live node of it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ctx_get_by_node(
    cc: *mut redisClusterContext,
    node: *mut redisClusterNode,
) -> *mut redisContext {
    if node.is_null() || cc.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise.
    unsafe {
        let c = (*node).con;
        if !c.is_null() {
            if (*c).err != 0 {
                core::redisReconnect(c);
                if let Some(f) = (*cc).on_connect {
                    f(c, if (*c).err != 0 { REDIS_ERR } else { REDIS_OK });
                }
                if (*c).err == 0 {
                    if let (false, Some(init)) = ((*cc).ssl.is_null(), (*cc).ssl_init_fn) {
                        if init(c, (*cc).ssl) != REDIS_OK {
                            copy_ctx_error(cc, c);
                        }
                    }
                    authenticate(cc, c);
                }
            }
            return c;
        }
        if (*node).host.is_null() || (*node).port == 0 {
            return ptr::null_mut();
        }
        let c = connect_blocking(cc, (*node).host, (*node).port);
        (*node).con = c;
        c
    }
}

// ---- slot map -----------------------------------------------------------------------------

/// The node serving `slot`, or NULL with "slotmap not available" / "slot not served by any
/// node" on `cc`.
///
/// # Safety
/// `cc` is live; `slot < 16384`.
pub(crate) unsafe fn node_for_slot(
    cc: *mut redisClusterContext,
    slot: u32,
) -> *mut redisClusterNode {
    // SAFETY: caller's promise; the table has 16384 entries.
    unsafe {
        if (*cc).table.is_null() {
            set_error(cc, REDIS_ERR_OTHER, b"slotmap not available");
            return ptr::null_mut();
        }
        let n = *(*cc).table.add(slot as usize);
        if n.is_null() {
            set_error(cc, REDIS_ERR_OTHER, b"slot not served by any node");
        }
        n
    }
}

pub(crate) unsafe fn uses_slots(cc: *mut redisClusterContext) -> bool {
    // SAFETY: caller's promise: live.
    unsafe { (*cc).flags & HIRCLUSTER_FLAG_ROUTE_USE_SLOTS != 0 }
}

/// Handles the reply to CLUSTER SLOTS/NODES read from `c` (`rc` and `reply` as
/// `redisGetReply` gave them): check, parse, install (spec §3.4 f-g). Frees the reply.
///
/// # Safety
/// `cc` and `c` live; `reply` NULL or an owned reply.
pub(crate) unsafe fn handle_slotmap_reply(
    cc: *mut redisClusterContext,
    c: *mut redisContext,
    rc: c_int,
    reply: *mut redisReply,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        let slots = uses_slots(cc);
        if rc != REDIS_OK || reply.is_null() {
            if (*c).err == REDIS_ERR_TIMEOUT {
                let t: &[u8] = if slots {
                    b"Command (cluster slots) reply error (socket timeout)"
                } else {
                    b"Command (cluster nodes) reply error (socket timeout)"
                };
                set_error(cc, REDIS_ERR_TIMEOUT, t);
            } else {
                let t: &[u8] = if slots {
                    b"Command (cluster slots) reply error (NULL)."
                } else {
                    b"Command (cluster nodes) reply error (NULL)."
                };
                set_error(cc, REDIS_ERR_OTHER, t);
            }
            core::freeReplyObject(reply.cast());
            return REDIS_ERR;
        }
        let ty = (*reply).r#type;
        let nodes = if ty == REDIS_REPLY_ERROR {
            set_error(cc, REDIS_ERR_OTHER, reply_str(reply));
            ptr::null_mut()
        } else if slots {
            if ty != REDIS_REPLY_ARRAY {
                set_error(
                    cc,
                    REDIS_ERR_OTHER,
                    b"Command (cluster slots) reply error: type is not array.",
                );
                ptr::null_mut()
            } else {
                parse_cluster_slots(cc, reply, (*cc).flags)
            }
        } else if ty != REDIS_REPLY_STRING {
            set_error(
                cc,
                REDIS_ERR_OTHER,
                b"Command(cluster nodes) reply error: type is not string.",
            );
            ptr::null_mut()
        } else {
            parse_cluster_nodes(cc, (*reply).str, (*reply).len as c_int, (*cc).flags)
        };
        core::freeReplyObject(reply.cast());
        if nodes.is_null() {
            return REDIS_ERR;
        }
        install_nodes(cc, nodes)
    }
}

/// Sends CLUSTER SLOTS/NODES on `c` and flushes; false (error on `cc` when known) on failure.
///
/// # Safety
/// Both live.
pub(crate) unsafe fn send_slotmap_request(
    cc: *mut redisClusterContext,
    c: *mut redisContext,
) -> bool {
    // SAFETY: caller's promise.
    unsafe {
        let slots = uses_slots(cc);
        let cmd = if slots {
            CMD_CLUSTER_SLOTS
        } else {
            CMD_CLUSTER_NODES
        };
        if core::redisAppendFormattedCommand(c, cmd.as_ptr().cast(), cmd.len()) != REDIS_OK {
            let t: &[u8] = if slots {
                b"Command (cluster slots) send error."
            } else {
                b"Command (cluster nodes) send error."
            };
            set_error(cc, (*c).err, t);
            return false;
        }
        let mut done: c_int = 0;
        while done == 0 {
            if core::redisBufferWrite(c, &mut done) != REDIS_OK {
                return false;
            }
        }
        true
    }
}

/// One node's turn of the slot-map update, on a temporary connection.
unsafe fn update_from_node(cc: *mut redisClusterContext, host: *const c_char, port: u16) -> c_int {
    // SAFETY: caller's promise: `cc` live, `host` a C string.
    unsafe {
        if port == 0 {
            set_error(cc, REDIS_ERR_OTHER, b"Ip or port error!");
            return REDIS_ERR;
        }
        let c = connect_blocking(cc, host, port);
        if c.is_null() {
            return REDIS_ERR;
        }
        let rc = if send_slotmap_request(cc, c) {
            let mut reply: *mut c_void = ptr::null_mut();
            let rc = core::redisGetReply(c, &mut reply);
            handle_slotmap_reply(cc, c, rc, reply.cast())
        } else {
            REDIS_ERR
        };
        core::redisFree(c);
        rc
    }
}

/// Asks the known nodes in turn for the slot map until one answers (spec §3.4).
///
/// # Safety
/// `cc` is NULL or a live context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterUpdateSlotmap(cc: *mut redisClusterContext) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise; the (host, port) pairs are copied before any connection is
    // made, since an installed map replaces every node.
    unsafe {
        if (*cc).nodes.is_null() {
            set_error(cc, REDIS_ERR_OTHER, b"no server address");
            return REDIS_ERR;
        }
        let seeds: Vec<(Vec<u8>, u16)> = dict_nodes((*cc).nodes)
            .into_iter()
            .filter(|&n| !(*n).host.is_null())
            .map(|n| {
                let mut h = core::sds_bytes((*n).host).to_vec();
                h.push(0);
                (h, (*n).port)
            })
            .collect();
        if seeds.is_empty() {
            set_error(cc, REDIS_ERR_OTHER, b"no valid server address");
            return REDIS_ERR;
        }
        for (host, port) in &seeds {
            if update_from_node(cc, host.as_ptr().cast(), *port) == REDIS_OK {
                clear_error(cc);
                return REDIS_OK;
            }
        }
        REDIS_ERR
    }
}

unsafe fn add_range(node: *mut redisClusterNode, start: u32, end: u32) -> bool {
    let s: *mut cluster_slot = core::alloc_zeroed();
    if s.is_null() {
        return false;
    }
    // SAFETY: caller's promise: a live master with a slot list; `s` is fresh.
    unsafe {
        (*s).start = start;
        (*s).end = end;
        (*s).node = node;
        if listAddNodeTail((*node).slots, s.cast()).is_null() {
            core::free(s.cast());
            return false;
        }
    }
    true
}

unsafe fn add_replica(
    master: *mut redisClusterNode,
    replica: *mut redisClusterNode,
    head: bool,
) -> bool {
    // SAFETY: caller's promise: both live; the list takes the replica.
    unsafe {
        if (*master).slaves.is_null() {
            (*master).slaves = listCreate();
            if (*master).slaves.is_null() {
                return false;
            }
            (*(*master).slaves).free = Some(node_list_destructor);
        }
        let l = if head {
            listAddNodeHead((*master).slaves, replica.cast())
        } else {
            listAddNodeTail((*master).slaves, replica.cast())
        };
        !l.is_null()
    }
}

/// A node from one CLUSTER SLOTS endpoint array `[ip, port, ...]`; Err(text) or Err(OOM).
unsafe fn slots_endpoint(
    r: *mut redisReply,
    role: c_int,
) -> Result<*mut redisClusterNode, &'static [u8]> {
    // SAFETY: caller's promise: a live reply.
    unsafe {
        if (*r).r#type != REDIS_REPLY_ARRAY || (*r).elements < 2 {
            return Err(
                b"Command(cluster slots) reply error: nodes sub_reply is not an correct array.",
            );
        }
        let ip = *(*r).element;
        let port = *(*r).element.add(1);
        if (*ip).r#type != REDIS_REPLY_STRING || (*port).r#type != REDIS_REPLY_INTEGER {
            return Err(b"Command(cluster slots) reply error: master ip or port is not correct.");
        }
        let host = reply_str(ip);
        if host.is_empty() {
            return Err(b"Command(cluster slots) reply error: node ip is not string.");
        }
        let p = (*port).integer;
        if p <= 0 {
            return Err(b"Command(cluster slots) reply error: node port is not integer.");
        }
        if p > 65535 {
            return Err(b"Command(cluster slots) reply error: node port is not valid.");
        }
        let mut addr = host.to_vec();
        addr.extend_from_slice(format!(":{p}").as_bytes());
        let n = node_new(host, p as u16, &addr, role);
        if n.is_null() { Err(OOM) } else { Ok(n) }
    }
}

/// The node dict described by a CLUSTER SLOTS reply, or NULL with an OTHER (or OOM) error.
///
/// # Safety
/// `cc` live; `reply` NULL or a live reply.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn parse_cluster_slots(
    cc: *mut redisClusterContext,
    reply: *mut redisReply,
    flags: c_int,
) -> *mut dict {
    if reply.is_null() || cc.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; every element read is within `elements`.
    unsafe {
        let fail = |d: *mut dict, text: &[u8]| {
            dictRelease(d);
            set_error(
                cc,
                if text == OOM {
                    REDIS_ERR_OOM
                } else {
                    REDIS_ERR_OTHER
                },
                text,
            );
            ptr::null_mut()
        };
        if (*reply).r#type != REDIS_REPLY_ARRAY || (*reply).elements == 0 {
            return fail(
                ptr::null_mut(),
                b"Command(cluster slots) reply error: reply is not an array.",
            );
        }
        let d = nodes_dict_new();
        if d.is_null() {
            return fail(d, OOM);
        }
        for i in 0..(*reply).elements {
            let e = *(*reply).element.add(i);
            if (*e).r#type != REDIS_REPLY_ARRAY || (*e).elements < 3 {
                return fail(
                    d,
                    b"Command(cluster slots) reply error: first sub_reply is not an array.",
                );
            }
            let b = *(*e).element;
            let en = *(*e).element.add(1);
            if (*b).r#type != REDIS_REPLY_INTEGER {
                return fail(
                    d,
                    b"Command(cluster slots) reply error: slot begin is not an integer.",
                );
            }
            if (*en).r#type != REDIS_REPLY_INTEGER {
                return fail(
                    d,
                    b"Command(cluster slots) reply error: slot end is not an integer.",
                );
            }
            let (start, end) = ((*b).integer, (*en).integer);
            if start > end {
                return fail(
                    d,
                    b"Command(cluster slots) reply error: slot begin is bigger than slot end.",
                );
            }
            let m = *(*e).element.add(2);
            // Validated before the lookup: a broken master endpoint fails the whole reply.
            if (*m).r#type != REDIS_REPLY_ARRAY || (*m).elements < 2 {
                return fail(
                    d,
                    b"Command(cluster slots) reply error: nodes sub_reply is not an correct array.",
                );
            }
            let (ip, port) = (*(*m).element, *(*m).element.add(1));
            if (*ip).r#type != REDIS_REPLY_STRING || (*port).r#type != REDIS_REPLY_INTEGER {
                return fail(
                    d,
                    b"Command(cluster slots) reply error: master ip or port is not correct.",
                );
            }
            let mut addr = reply_str(ip).to_vec();
            addr.extend_from_slice(format!(":{}", (*port).integer).as_bytes());
            let existing = dict_node(d, &addr);
            let master = if !existing.is_null() {
                existing
            } else {
                let master = match slots_endpoint(m, REDIS_ROLE_MASTER) {
                    Ok(n) => n,
                    Err(t) => return fail(d, t),
                };
                if !dict_add_node(d, master) {
                    node_free(master);
                    return fail(d, OOM);
                }
                master
            };
            // Slot numbers are kept as the server sent them (checked when installed).
            if !add_range(master, start as u32, end.min(u32::MAX as i64) as u32) {
                return fail(d, OOM);
            }
            // Replicas of a master seen before are not parsed (as 0.14.0).
            if !existing.is_null() || flags & HIRCLUSTER_FLAG_ADD_SLAVE == 0 {
                continue;
            }
            for j in 3..(*e).elements {
                let replica = match slots_endpoint(*(*e).element.add(j), REDIS_ROLE_SLAVE) {
                    Ok(n) => n,
                    Err(t) => return fail(d, t),
                };
                if !add_replica(master, replica, false) {
                    node_free(replica);
                    return fail(d, OOM);
                }
            }
        }
        d
    }
}

/// Parses one `N`, `A-B`, `[N->-id]` or `[N-<-id]` slot token of CLUSTER NODES.
enum SlotToken<'a> {
    Range(u32, u32),
    Open {
        slot: u32,
        migrating: bool,
        remote: &'a [u8],
    },
    Skip,
}

fn slot_token(t: &[u8]) -> SlotToken<'_> {
    fn num(s: &[u8]) -> Option<u32> {
        if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    }
    if t.first() == Some(&b'[') {
        let inner = t[1..].strip_suffix(b"]").unwrap_or(&t[1..]);
        for (sep, migrating) in [(&b"->-"[..], true), (&b"-<-"[..], false)] {
            if let Some(at) = inner.windows(3).position(|w| w == sep) {
                if let Some(slot) = num(&inner[..at]) {
                    return SlotToken::Open {
                        slot,
                        migrating,
                        remote: &inner[at + 3..],
                    };
                }
            }
        }
        return SlotToken::Skip;
    }
    let (a, b) = match t.iter().position(|&c| c == b'-') {
        Some(i) => (num(&t[..i]), num(&t[i + 1..])),
        None => (num(t), num(t)),
    };
    match (a, b) {
        (Some(a), Some(b)) if a <= b && b < SLOTS as u32 => SlotToken::Range(a, b),
        _ => SlotToken::Skip,
    }
}

unsafe fn add_open_slot(
    node: *mut redisClusterNode,
    slot: u32,
    migrating: bool,
    remote: &[u8],
) -> bool {
    // SAFETY: caller's promise: a live master.
    unsafe {
        let arr = if migrating {
            &mut (*node).migrating
        } else {
            &mut (*node).importing
        };
        if arr.is_null() {
            *arr = hiarray_create(1, size_of::<*mut copen_slot>());
            if arr.is_null() {
                return false;
            }
        }
        let os: *mut copen_slot = core::alloc_zeroed();
        if os.is_null() {
            return false;
        }
        (*os).slot_num = slot;
        (*os).migrate = migrating as c_int;
        (*os).node = node;
        (*os).remote_name = core::sds_from(remote);
        let at = hiarray_push(*arr) as *mut *mut copen_slot;
        if (*os).remote_name.is_null() || at.is_null() {
            core::sdsfree((*os).remote_name);
            core::free(os.cast());
            return false;
        }
        *at = os;
        true
    }
}

/// The node dict described by a CLUSTER NODES text, or NULL with the error on `cc`.
///
/// # Safety
/// `cc` live; `str` points to `str_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn parse_cluster_nodes(
    cc: *mut redisClusterContext,
    str: *mut c_char,
    str_len: c_int,
    flags: c_int,
) -> *mut dict {
    if cc.is_null() || str.is_null() || str_len <= 0 {
        if !cc.is_null() {
            // SAFETY: live.
            unsafe { set_error(cc, REDIS_ERR_OTHER, b"No slot information") };
        }
        return ptr::null_mut();
    }
    // SAFETY: caller's promise.
    let text = unsafe { std::slice::from_raw_parts(str as *const u8, str_len as usize) };
    // SAFETY: `cc` live.
    unsafe { parse_nodes_text(cc, text, flags) }
}

unsafe fn parse_nodes_text(cc: *mut redisClusterContext, text: &[u8], flags: c_int) -> *mut dict {
    // SAFETY: caller's promise: `cc` live. Nodes are owned by `d`, by `parked` until placed,
    // or freed on every error path.
    unsafe {
        let d = nodes_dict_new();
        let mut parked: HashMap<Vec<u8>, Vec<*mut redisClusterNode>> = HashMap::new();
        let mut masters_by_id: HashMap<Vec<u8>, *mut redisClusterNode> = HashMap::new();
        let cleanup = |d: *mut dict, parked: &mut HashMap<Vec<u8>, Vec<*mut redisClusterNode>>| {
            dictRelease(d);
            for (_, v) in parked.drain() {
                for n in v {
                    node_free(n);
                }
            }
        };
        macro_rules! fail {
            ($kind:expr, $t:expr) => {{
                cleanup(d, &mut parked);
                set_error(cc, $kind, $t);
                return ptr::null_mut();
            }};
        }
        if d.is_null() {
            fail!(REDIS_ERR_OOM, OOM);
        }
        let mut ranges = 0usize;
        // Complete lines only; after each line the scan resumes one byte into the next line
        // (0.14.0's quirk: an empty line merges into the one after it).
        let mut at = 0;
        while at + 1 < text.len() {
            let Some(k) = text[at + 1..].iter().position(|&b| b == b'\n') else {
                break;
            };
            let line = &text[at..at + 1 + k];
            at = at + 2 + k;
            let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            if fields.len() < 8 {
                fail!(REDIS_ERR_OTHER, b"split cluster nodes error");
            }
            let addr_field = fields[1];
            if addr_field.starts_with(b":0") {
                continue;
            }
            let addr = match addr_field.iter().position(|&b| b == b'@') {
                Some(i) => &addr_field[..i],
                None => addr_field,
            };
            let Some(colon) = addr.iter().rposition(|&b| b == b':') else {
                fail!(
                    REDIS_ERR_OTHER,
                    b"server address is incorrect, port separator missing."
                );
            };
            let host = &addr[..colon];
            let port = parse_port_digits(&addr[colon + 1..]).unwrap_or(0) as u16;
            let role_field = fields[2].strip_prefix(b"myself,").unwrap_or(fields[2]);
            let role = if role_field.starts_with(b"master") {
                REDIS_ROLE_MASTER
            } else if flags & HIRCLUSTER_FLAG_ADD_SLAVE != 0 && role_field.starts_with(b"slave") {
                REDIS_ROLE_SLAVE
            } else {
                continue;
            };
            let node = node_new(host, port, addr, role);
            if node.is_null() {
                fail!(REDIS_ERR_OOM, OOM);
            }
            (*node).name = core::sds_from(fields[0]);
            if (*node).name.is_null() {
                node_free(node);
                fail!(REDIS_ERR_OOM, OOM);
            }
            if role == REDIS_ROLE_SLAVE {
                let master_id = fields[3];
                match masters_by_id.get(master_id) {
                    Some(&m) => {
                        if !add_replica(m, node, false) {
                            node_free(node);
                            fail!(REDIS_ERR_OOM, OOM);
                        }
                    }
                    None => parked.entry(master_id.to_vec()).or_default().push(node),
                }
                continue;
            }
            if !dict_node(d, addr).is_null() {
                node_free(node);
                fail!(REDIS_ERR_OTHER, b"The address already exists in the nodes");
            }
            if masters_by_id.contains_key(fields[0]) {
                node_free(node);
                fail!(REDIS_ERR_OTHER, b"two masters have the same name");
            }
            if !dict_add_node(d, node) {
                node_free(node);
                fail!(REDIS_ERR_OOM, OOM);
            }
            masters_by_id.insert(fields[0].to_vec(), node);
            for tok in &fields[8..] {
                match slot_token(tok) {
                    SlotToken::Range(a, b) => {
                        if !add_range(node, a, b) {
                            fail!(REDIS_ERR_OOM, OOM);
                        }
                        ranges += 1;
                    }
                    SlotToken::Open {
                        slot,
                        migrating,
                        remote,
                    } => {
                        if flags & HIRCLUSTER_FLAG_ADD_OPENSLOT != 0
                            && !add_open_slot(node, slot, migrating, remote)
                        {
                            fail!(REDIS_ERR_OTHER, b"create open slot error");
                        }
                    }
                    SlotToken::Skip => {}
                }
            }
            // Replicas seen before their master move over, each onto the head of the list.
            if let Some(waiting) = parked.remove(fields[0]) {
                for (k, r) in waiting.iter().enumerate() {
                    if !add_replica(node, *r, true) {
                        for r in &waiting[k..] {
                            node_free(*r);
                        }
                        fail!(REDIS_ERR_OOM, OOM);
                    }
                }
            }
        }
        // Replicas whose master never appeared are dropped.
        for (_, v) in parked.drain() {
            for n in v {
                node_free(n);
            }
        }
        if ranges == 0 {
            dictRelease(d);
            set_error(cc, REDIS_ERR_OTHER, b"No slot information");
            return ptr::null_mut();
        }
        d
    }
}

/// Installs a parsed node dict: new slot table, connections moved over from the old nodes,
/// old nodes freed, events (spec §3.4.3). Takes `nodes` in every case.
///
/// # Safety
/// `cc` live; `nodes` NULL or an owned node dict.
pub(crate) unsafe fn install_nodes(cc: *mut redisClusterContext, nodes: *mut dict) -> c_int {
    if nodes.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        let table =
            core::calloc(SLOTS, size_of::<*mut redisClusterNode>()) as *mut *mut redisClusterNode;
        if table.is_null() {
            dictRelease(nodes);
            set_error(cc, REDIS_ERR_OOM, OOM);
            return REDIS_ERR;
        }
        let new_nodes = dict_nodes(nodes);
        for &n in &new_nodes {
            if (*n).role as c_int != REDIS_ROLE_MASTER {
                core::free(table.cast());
                dictRelease(nodes);
                set_error(cc, REDIS_ERR_OTHER, b"Node role must be master");
                return REDIS_ERR;
            }
            let mut l = if (*n).slots.is_null() {
                ptr::null_mut()
            } else {
                (*(*n).slots).head
            };
            while !l.is_null() {
                let s = (*l).value as *mut cluster_slot;
                if (*s).start > (*s).end || (*s).end as usize >= SLOTS {
                    core::free(table.cast());
                    dictRelease(nodes);
                    set_error(cc, REDIS_ERR_OTHER, b"Slot region for node is invalid");
                    return REDIS_ERR;
                }
                for slot in (*s).start..=(*s).end {
                    let cell = table.add(slot as usize);
                    if !(*cell).is_null() {
                        core::free(table.cast());
                        dictRelease(nodes);
                        set_error(cc, REDIS_ERR_OTHER, b"Different node holds same slot");
                        return REDIS_ERR;
                    }
                    *cell = n;
                }
                l = (*l).next;
            }
        }
        core::free((*cc).table.cast());
        (*cc).table = table;
        (*cc).route_version += 1;
        let old = (*cc).nodes;
        for &n in &new_nodes {
            let o = dict_node(old, core::sds_bytes((*n).addr));
            if o.is_null() {
                continue;
            }
            if !(*o).con.is_null() {
                std::mem::swap(&mut (*n).con, &mut (*o).con);
            }
            if !(*o).acon.is_null() {
                std::mem::swap(&mut (*n).acon, &mut (*o).acon);
                (*(*n).acon).data = n.cast();
            }
        }
        (*cc).nodes = nodes;
        dictRelease(old);
        if let Some(f) = (*cc).event_callback {
            f(cc, HIRCLUSTER_EVENT_SLOTMAP_UPDATED, (*cc).event_privdata);
            if (*cc).route_version == 1 {
                f(cc, HIRCLUSTER_EVENT_READY, (*cc).event_privdata);
            }
        }
        (*cc).need_update_route = 0;
        REDIS_OK
    }
}

// ---- keys, slots and the node iterator ------------------------------------------------------

/// The hash slot of a C-string key (hash tags honoured).
///
/// # Safety
/// `key` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterGetSlotByKey(key: *mut c_char) -> c_int {
    // SAFETY: caller's promise.
    crate::hiutil::key_hash_slot(unsafe { core::cstr_bytes(key) }) as c_int
}

/// The node serving a key by the current slot map (no update is made).
///
/// # Safety
/// `cc` live; `key` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterGetNodeByKey(
    cc: *mut redisClusterContext,
    key: *mut c_char,
) -> *mut redisClusterNode {
    if cc.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise.
    unsafe {
        let slot = crate::hiutil::key_hash_slot(core::cstr_bytes(key));
        node_for_slot(cc, slot)
    }
}

/// Starts a node iteration over `cc->nodes`.
///
/// # Safety
/// `iter` writable; `cc` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterInitNodeIterator(
    iter: *mut redisClusterNodeIterator,
    cc: *mut redisClusterContext,
) {
    // SAFETY: caller's promise.
    unsafe {
        (*iter).cc = cc;
        (*iter).route_version = (*cc).route_version;
        dictInitIterator(&mut (*iter).di, (*cc).nodes);
        (*iter).retries_left = 1;
    }
}

/// The next node, or NULL. When the slot map changed since the iteration began it restarts
/// once on the new nodes and runs through all of them (0.14.0 stops after one: fixed, as
/// issue 11 asks); a second change ends it.
///
/// # Safety
/// `iter` was initialised on a live context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterNodeNext(
    iter: *mut redisClusterNodeIterator,
) -> *mut redisClusterNode {
    // SAFETY: caller's promise.
    unsafe {
        let cc = (*iter).cc;
        if (*iter).route_version != (*cc).route_version {
            if (*iter).retries_left <= 0 {
                return ptr::null_mut();
            }
            (*iter).retries_left -= 1;
            dictInitIterator(&mut (*iter).di, (*cc).nodes);
            (*iter).route_version = (*cc).route_version;
        }
        if (*iter).di.ht.is_null() {
            // Nodes added after the iterator was made (0.14.0 would dereference NULL).
            if (*cc).nodes.is_null() {
                return ptr::null_mut();
            }
            if (*iter).di.index == -1 {
                (*iter).di.ht = (*cc).nodes;
            }
        }
        let e = dictNext(&mut (*iter).di);
        if e.is_null() {
            ptr::null_mut()
        } else {
            (*e).val.cast()
        }
    }
}

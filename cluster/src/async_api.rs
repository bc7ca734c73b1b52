//! The asynchronous API (spec §4): one hiredis async context per node, driven by the user's
//! event loop through the adapter stored in the cluster async context; keyed commands routed
//! by slot and their redirects followed from the reply callback; throttled asynchronous
//! slot-map updates; ToNode and formatted variants.

#![allow(non_snake_case, non_camel_case_types)]

use std::ffi::{c_char, c_int, c_longlong, c_void};
use std::ptr;

use crate::cluster::*;
use crate::command;
use crate::core::{self, redisAsyncContext, redisReply};
use crate::core::{
    REDIS_ERR, REDIS_ERR_CLUSTER_TOO_MANY_RETRIES, REDIS_ERR_OOM, REDIS_ERR_OTHER, REDIS_OK,
};
use crate::exec::{Redirect, classify, parse_error, redirect_target, spans_slots};
use crate::hiutil::hi_usec_now;
use crate::types::*;

/// The user callback type (`redisClusterCallbackFn *`).
pub type redisClusterCallbackFnPtr = Option<
    unsafe extern "C" fn(
        acc: *mut redisClusterAsyncContext,
        reply: *mut c_void,
        privdata: *mut c_void,
    ),
>;

const IN_FLIGHT: i64 = i64::MAX;
const THROTTLE_US: i64 = 1_000_000;

/// One submitted command, the privdata hiredis hands back to `reply_callback`: one
/// `hi_malloc` block, this header followed by the RESP command (kept for resending after a
/// redirect). Blocks with room for `POOLED_CMD` command bytes are kept on the async
/// context's free list when done with, larger ones on a second list bounded in count and bytes
/// (`BIG_MAX`, `BIG_BYTES`), so a steady stream of commands of any size allocates none.
#[repr(C)]
struct Record {
    acc: *mut redisClusterAsyncContext,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    /// The command's length, and the room for it in this block.
    len: usize,
    cap: usize,
    /// The next free record while on the free list.
    next: *mut Record,
    retry_count: c_int,
    /// ToNode commands are delivered as they come (no redirects).
    to_node: bool,
    /// A subscribe command: hiredis calls back for every frame, so the record lives until the
    /// last unsubscribe frame or a NULL reply (0.14.0 frees it after the first frame).
    subscribe: bool,
}

/// Pooled records are 256-byte blocks.
const POOLED_CMD: usize = 256 - size_of::<Record>();
/// The most records kept on a context's free list.
const POOL_MAX: usize = 4096;
/// The most larger records kept, and the most bytes they may hold together: one huge command
/// does not pin its block for the context's lifetime beyond this.
const BIG_MAX: usize = 1024;
const BIG_BYTES: usize = 1 << 20;
/// How many kept larger records a new command looks at for one with room enough.
const BIG_SCAN: usize = 8;
/// Larger records' room is rounded up to this, so commands of nearby sizes share blocks.
const BIG_ROUND: usize = 64;

/// The async context as allocated: the public struct, then the record free lists.
#[repr(C)]
struct AsyncContext {
    public: redisClusterAsyncContext,
    pool: *mut Record,
    pooled: usize,
    /// Records with room for more than `POOLED_CMD` bytes, their count and total block bytes.
    big: *mut Record,
    nbig: usize,
    big_bytes: usize,
}

/// A kept larger record with room for `need` command bytes (among the first `BIG_SCAN`), or
/// a fresh one whose room is `need` rounded up; NULL when out of memory. When none of those
/// looked at fits, the list's head is freed so that the larger block takes its place.
///
/// # Safety
/// `ctx` live; its `big` list holds only records it owns.
unsafe fn take_big(ctx: *mut AsyncContext, need: usize) -> (*mut Record, usize) {
    // SAFETY: caller's promise: every record on the list is a live block of its `cap`
    // command bytes after the header, linked through `next`.
    unsafe {
        let mut link = &raw mut (*ctx).big;
        let mut looked = 0;
        while !(*link).is_null() && looked < BIG_SCAN {
            let r = *link;
            if (*r).cap >= need {
                *link = (*r).next;
                (*ctx).nbig -= 1;
                (*ctx).big_bytes -= size_of::<Record>() + (*r).cap;
                return (r, (*r).cap);
            }
            link = &raw mut (*r).next;
            looked += 1;
        }
        let head = (*ctx).big;
        if !head.is_null() {
            (*ctx).big = (*head).next;
            (*ctx).nbig -= 1;
            (*ctx).big_bytes -= size_of::<Record>() + (*head).cap;
            core::free(head.cast());
        }
        let cap = need.div_ceil(BIG_ROUND) * BIG_ROUND;
        (core::malloc(size_of::<Record>() + cap) as *mut Record, cap)
    }
}

/// The command bytes of a record.
///
/// # Safety
/// `rec` live, outliving the slice.
unsafe fn record_cmd<'a>(rec: *const Record) -> &'a [u8] {
    // SAFETY: caller's promise; `len` command bytes follow the header in its block.
    unsafe { std::slice::from_raw_parts(rec.add(1) as *const u8, (*rec).len) }
}

/// A record for `cmd` (from the free list when it fits), NULL when out of memory.
///
/// # Safety
/// `acc` live (allocated by `wrap`).
unsafe fn new_record(
    acc: *mut redisClusterAsyncContext,
    cmd: &[u8],
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    to_node: bool,
    subscribe: bool,
) -> *mut Record {
    let ctx = acc as *mut AsyncContext;
    // SAFETY: caller's promise: `acc` is the head of an `AsyncContext`; free-list records are
    // blocks of `POOLED_CMD` command bytes this context owns.
    unsafe {
        let (rec, cap) = if cmd.len() <= POOLED_CMD {
            let rec = if (*ctx).pool.is_null() {
                core::malloc(size_of::<Record>() + POOLED_CMD) as *mut Record
            } else {
                let r = (*ctx).pool;
                (*ctx).pool = (*r).next;
                (*ctx).pooled -= 1;
                r
            };
            (rec, POOLED_CMD)
        } else {
            take_big(ctx, cmd.len())
        };
        if rec.is_null() {
            return rec;
        }
        rec.write(Record {
            acc,
            fn_,
            privdata,
            len: cmd.len(),
            cap,
            next: ptr::null_mut(),
            retry_count: 0,
            to_node,
            subscribe,
        });
        ptr::copy_nonoverlapping(cmd.as_ptr(), rec.add(1) as *mut u8, cmd.len());
        rec
    }
}

/// Done with a record: back on its context's free list, or freed.
///
/// # Safety
/// `rec` live and not used afterwards; its context live.
unsafe fn free_record(rec: *mut Record) {
    // SAFETY: caller's promise.
    unsafe {
        let ctx = (*rec).acc as *mut AsyncContext;
        let bytes = size_of::<Record>() + (*rec).cap;
        if (*rec).cap == POOLED_CMD {
            if (*ctx).pooled < POOL_MAX {
                (*rec).next = (*ctx).pool;
                (*ctx).pool = rec;
                (*ctx).pooled += 1;
            } else {
                core::free(rec.cast());
            }
        } else if (*ctx).nbig < BIG_MAX && (*ctx).big_bytes + bytes <= BIG_BYTES {
            (*rec).next = (*ctx).big;
            (*ctx).big = rec;
            (*ctx).nbig += 1;
            (*ctx).big_bytes += bytes;
        } else {
            core::free(rec.cast());
        }
    }
}

unsafe fn set_acc_error(acc: *mut redisClusterAsyncContext, kind: c_int, text: &[u8]) {
    // SAFETY: caller's promise: a live async context.
    unsafe {
        (*acc).err = kind;
        write_errstr(&mut (*acc).errstr, text);
    }
}

unsafe fn clear_acc_error(acc: *mut redisClusterAsyncContext) {
    // SAFETY: caller's promise.
    unsafe {
        (*acc).err = 0;
        (*acc).errstr = [0; 128];
    }
}

/// Copies `cc`'s error to `acc`.
unsafe fn copy_cc_error(acc: *mut redisClusterAsyncContext) {
    // SAFETY: caller's promise: `acc` and its `cc` live.
    unsafe {
        let cc = (*acc).cc;
        (*acc).err = (*cc).err;
        (*acc).errstr = (*cc).errstr;
    }
}

/// Copies a hiredis async context's error to `acc`.
unsafe fn copy_ac_error(acc: *mut redisClusterAsyncContext, ac: *const redisAsyncContext) {
    // SAFETY: caller's promise; errstr is NUL-terminated within its 128 bytes.
    unsafe {
        let text = std::ffi::CStr::from_ptr((*ac).c.errstr.as_ptr()).to_bytes();
        set_acc_error(acc, (*ac).c.err, text);
    }
}

unsafe extern "C" fn unlink_node(data: *mut c_void) {
    if !data.is_null() {
        // SAFETY: `data` is the node that owns the context being freed (set below).
        unsafe { (*(data as *mut redisClusterNode)).acon = ptr::null_mut() };
    }
}

/// The node's hiredis async context, created (and attached to the event loop) on demand
/// (spec §4.3). NULL with the error on `acc`.
///
/// # Safety
/// `acc` live; `node` NULL or a live node of its context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn actx_get_by_node(
    acc: *mut redisClusterAsyncContext,
    node: *mut redisClusterNode,
) -> *mut redisAsyncContext {
    if acc.is_null() || node.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise.
    unsafe {
        let cc = (*acc).cc;
        let ac = (*node).acon;
        if !ac.is_null() {
            if (*ac).c.err == 0 {
                return ac;
            }
            copy_ac_error(acc, ac);
            return ptr::null_mut();
        }
        if (*node).host.is_null() || (*node).port == 0 {
            set_acc_error(acc, REDIS_ERR_OTHER, b"node host or port is error");
            return ptr::null_mut();
        }
        (*node).lastConnectionAttempt = hi_usec_now();
        let opts = core::redisOptions {
            r#type: 0,
            options: 0,
            connect_timeout: (*cc).connect_timeout,
            command_timeout: (*cc).command_timeout,
            source_addr: ptr::null(),
            ip: (*node).host,
            port: (*node).port as c_int,
            privdata: ptr::null_mut(),
            free_privdata: ptr::null_mut(),
            push_cb: ptr::null_mut(),
            async_push_cb: ptr::null_mut(),
        };
        let ac = core::redisAsyncConnectWithOptions(&opts);
        if ac.is_null() {
            set_acc_error(acc, REDIS_ERR_OOM, OOM);
            return ac;
        }
        let fail = |ac: *mut redisAsyncContext| {
            core::redisAsyncFree(ac);
            ptr::null_mut()
        };
        if (*ac).c.err != 0 {
            copy_ac_error(acc, ac);
            return fail(ac);
        }
        if let (false, Some(init)) = ((*cc).ssl.is_null(), (*cc).ssl_init_fn) {
            if init(&mut (*ac).c, (*cc).ssl) != REDIS_OK {
                copy_ac_error(acc, ac);
                return fail(ac);
            }
        }
        if !(*cc).password.is_null() {
            let mut argv: Vec<*const c_char> = vec![c"AUTH".as_ptr()];
            let mut lens: Vec<usize> = vec![4];
            if !(*cc).username.is_null() {
                argv.push((*cc).username);
                lens.push(libc::strlen((*cc).username));
            }
            argv.push((*cc).password);
            lens.push(libc::strlen((*cc).password));
            let rc = core::redisAsyncCommandArgv(
                ac,
                None,
                ptr::null_mut(),
                argv.len() as c_int,
                argv.as_ptr(),
                lens.as_ptr(),
            );
            if rc != REDIS_OK {
                copy_ac_error(acc, ac);
                return fail(ac);
            }
        }
        if !(*acc).adapter.is_null() {
            let attached = match (*acc).attach_fn {
                Some(f) => f(ac, (*acc).adapter) == REDIS_OK,
                None => false,
            };
            if !attached {
                set_acc_error(acc, REDIS_ERR_OTHER, b"Failed to attach event adapter");
                return fail(ac);
            }
        }
        if (*acc).onConnect.is_some() {
            core::redisAsyncSetConnectCallback(ac, (*acc).onConnect);
        } else if (*acc).onConnectNC.is_some() {
            core::redisAsyncSetConnectCallbackNC(ac, (*acc).onConnectNC);
        }
        if (*acc).onDisconnect.is_some() {
            core::redisAsyncSetDisconnectCallback(ac, (*acc).onDisconnect);
        }
        (*ac).data = node.cast();
        (*ac).dataCleanup = Some(unlink_node);
        (*node).acon = ac;
        ac
    }
}

// ---- asynchronous slot-map updates --------------------------------------------------------

/// Whether a node's async context is up (hiredis's CONNECTED flag, no error).
unsafe fn connected(node: *mut redisClusterNode) -> bool {
    // SAFETY: caller's promise: a live node.
    unsafe {
        let ac = (*node).acon;
        !ac.is_null() && (*ac).c.err == 0 && (*ac).c.flags & 0x2 != 0
    }
}

/// A node to ask for the slot map (spec §4.6: a random start, connected nodes preferred,
/// nodes that failed to connect within the last second skipped). NULL if none fits.
unsafe fn select_node(cc: *mut redisClusterContext) -> *mut redisClusterNode {
    // SAFETY: caller's promise: `cc` live.
    unsafe {
        let nodes = dict_nodes((*cc).nodes);
        if nodes.is_empty() {
            return ptr::null_mut();
        }
        let check = (core::random() as usize) % nodes.len();
        let now = hi_usec_now();
        let mut choice: *mut redisClusterNode = ptr::null_mut();
        for (i, &n) in nodes.iter().enumerate() {
            // A connected node always; else one not tried within the last second, when nothing
            // is chosen yet or (before the random index) the choice is not connected either.
            let retryable = (*n).lastConnectionAttempt < now - THROTTLE_US
                && (choice.is_null() || (i < check && !connected(choice)));
            if connected(n) || retryable {
                choice = n;
            }
            if i >= check && !choice.is_null() && connected(choice) {
                break;
            }
        }
        choice
    }
}

unsafe extern "C" fn slotmap_callback(
    ac: *mut redisAsyncContext,
    r: *mut c_void,
    privdata: *mut c_void,
) {
    let acc = privdata as *mut redisClusterAsyncContext;
    // SAFETY: hiredis hands back the async cluster context given with the request; it lives
    // until `redisClusterAsyncFree`, which tears the node contexts down before freeing it.
    unsafe {
        let _ = ac;
        (*acc).lastSlotmapUpdateAttempt = hi_usec_now();
        let cc = (*acc).cc;
        let r = r as *mut redisReply;
        if r.is_null() {
            update_slotmap_async(acc, ptr::null_mut());
            return;
        }
        let nodes = if uses_slots(cc) {
            parse_cluster_slots(cc, r, (*cc).flags)
        } else {
            parse_cluster_nodes(cc, (*r).str, (*r).len as c_int, (*cc).flags)
        };
        install_nodes(cc, nodes);
    }
}

/// Starts a slot-map update on `ac` (or on a selected node's context).
unsafe fn update_slotmap_async(
    acc: *mut redisClusterAsyncContext,
    mut ac: *mut redisAsyncContext,
) -> c_int {
    // SAFETY: caller's promise: `acc` live; `ac` NULL or a live node context.
    unsafe {
        let cc = (*acc).cc;
        if (*acc).lastSlotmapUpdateAttempt == IN_FLIGHT
            || (*cc).flags & HIRCLUSTER_FLAG_SHUTDOWN != 0
        {
            return REDIS_ERR;
        }
        if ac.is_null() {
            if (*cc).nodes.is_null() {
                set_acc_error(acc, REDIS_ERR_OTHER, b"no nodes added");
                (*acc).lastSlotmapUpdateAttempt = hi_usec_now();
                return REDIS_ERR;
            }
            let node = select_node(cc);
            ac = actx_get_by_node(acc, node);
            if ac.is_null() {
                (*acc).lastSlotmapUpdateAttempt = hi_usec_now();
                return REDIS_ERR;
            }
        }
        let cmd = if uses_slots(cc) {
            CMD_CLUSTER_SLOTS
        } else {
            CMD_CLUSTER_NODES
        };
        if core::redisAsyncFormattedCommand(
            ac,
            Some(slotmap_callback),
            acc.cast(),
            cmd.as_ptr().cast(),
            cmd.len(),
        ) != REDIS_OK
        {
            (*acc).lastSlotmapUpdateAttempt = hi_usec_now();
            return REDIS_ERR;
        }
        (*acc).lastSlotmapUpdateAttempt = IN_FLIGHT;
        REDIS_OK
    }
}

/// An update unless one is in flight or one was tried within the last second.
unsafe fn throttled_update(acc: *mut redisClusterAsyncContext, ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    unsafe {
        let last = (*acc).lastSlotmapUpdateAttempt;
        if last != IN_FLIGHT && last.saturating_add(THROTTLE_US) < hi_usec_now() {
            update_slotmap_async(acc, ac);
        }
    }
}

// ---- the reply callback -------------------------------------------------------------------

/// Whether a subscribe record is done with: a NULL reply, or an unsubscribe frame that leaves
/// no subscription.
unsafe fn subscription_over(r: *const redisReply) -> bool {
    // SAFETY: caller's promise: NULL or a live reply.
    unsafe {
        if r.is_null() {
            return true;
        }
        if (*r).r#type != core::REDIS_REPLY_ARRAY || (*r).elements < 3 {
            return false;
        }
        let kind = *(*r).element;
        let count = *(*r).element.add(2);
        let name = reply_str(kind);
        let word = b"unsubscribe";
        name.len() >= word.len()
            && name[name.len() - word.len()..].eq_ignore_ascii_case(word)
            && (*count).r#type == core::REDIS_REPLY_INTEGER
            && (*count).integer == 0
    }
}

/// Calls the user with `reply` (NULL on failure), clears the errors afterwards and frees the
/// record unless a subscription keeps it.
unsafe fn deliver(rec: *mut Record, reply: *mut redisReply) {
    // SAFETY: caller's promise: `rec` is a live boxed record, not used by the caller after.
    unsafe {
        let acc = (*rec).acc;
        if let Some(f) = (*rec).fn_ {
            f(acc, reply.cast(), (*rec).privdata);
        }
        if !acc.is_null() {
            clear_error((*acc).cc);
            clear_acc_error(acc);
        }
        if !(*rec).subscribe || subscription_over(reply) {
            free_record(rec);
        }
    }
}

/// Sends (or resends) a record's command on `ac`; false (error on acc) when hiredis refuses.
unsafe fn send(rec: *mut Record, ac: *mut redisAsyncContext) -> bool {
    // SAFETY: caller's promise: both live.
    unsafe {
        let cmd = record_cmd(rec);
        if core::redisAsyncFormattedCommand(
            ac,
            Some(reply_callback),
            rec.cast(),
            cmd.as_ptr().cast(),
            cmd.len(),
        ) != REDIS_OK
        {
            copy_ac_error((*rec).acc, ac);
            return false;
        }
        true
    }
}

unsafe extern "C" fn reply_callback(
    ac: *mut redisAsyncContext,
    r: *mut c_void,
    privdata: *mut c_void,
) {
    let rec = privdata as *mut Record;
    let r = r as *mut redisReply;
    // SAFETY: hiredis hands back the record given with the command; it stays ours until
    // delivered or resent. The reply is hiredis's until this returns.
    unsafe {
        let acc = (*rec).acc;
        let cc = (*acc).cc;
        if r.is_null() {
            copy_ac_error(acc, ac);
            if !(*ac).data.is_null() {
                throttled_update(acc, ptr::null_mut());
            }
            return deliver(rec, ptr::null_mut());
        }
        if (*rec).to_node || (*cc).flags & HIRCLUSTER_FLAG_SHUTDOWN != 0 {
            return deliver(rec, r);
        }
        let Some(kind) = classify(r) else {
            return deliver(rec, r);
        };
        (*rec).retry_count += 1;
        if (*rec).retry_count > (*cc).max_retry_count {
            set_acc_error(
                acc,
                REDIS_ERR_CLUSTER_TOO_MANY_RETRIES,
                b"too many cluster retries",
            );
            return deliver(rec, ptr::null_mut());
        }
        let target_ac = if kind == Redirect::Retry {
            ac
        } else {
            if kind == Redirect::Moved {
                throttled_update(acc, ac);
            }
            let Some((slot, addr)) = redirect_target(cc, r) else {
                copy_cc_error(acc);
                return deliver(rec, ptr::null_mut());
            };
            let node = dict_node((*cc).nodes, addr.as_slice());
            if kind == Redirect::Moved
                && (0..SLOTS as i64).contains(&slot)
                && !(*cc).table.is_null()
            {
                *(*cc).table.add(slot as usize) = node;
            }
            let t = actx_get_by_node(acc, node);
            if t.is_null() {
                return deliver(rec, ptr::null_mut());
            }
            if kind == Redirect::Ask {
                let asking = b"*1\r\n$6\r\nASKING\r\n";
                if core::redisAsyncFormattedCommand(
                    t,
                    None,
                    ptr::null_mut(),
                    asking.as_ptr().cast(),
                    asking.len(),
                ) != REDIS_OK
                {
                    copy_ac_error(acc, t);
                    return deliver(rec, ptr::null_mut());
                }
            }
            t
        };
        if !send(rec, target_ac) {
            deliver(rec, ptr::null_mut());
        }
    }
}

// ---- contexts -----------------------------------------------------------------------------

unsafe fn wrap(cc: *mut redisClusterContext) -> *mut redisClusterAsyncContext {
    let acc: *mut redisClusterAsyncContext = core::alloc_zeroed::<AsyncContext>().cast();
    if !acc.is_null() {
        // SAFETY: fresh; `cc` live.
        unsafe {
            (*acc).cc = cc;
            (*acc).err = (*cc).err;
            (*acc).errstr = (*cc).errstr;
        }
    }
    acc
}

/// A new async cluster context (and its cluster context); NULL on OOM.
#[unsafe(no_mangle)]
pub extern "C" fn redisClusterAsyncContextInit() -> *mut redisClusterAsyncContext {
    let cc = redisClusterContextInit();
    if cc.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `cc` is fresh.
    unsafe {
        let acc = wrap(cc);
        if acc.is_null() {
            redisClusterFree(cc);
        }
        acc
    }
}

/// A blocking `redisClusterConnect` wrapped in an async context (check `acc->err`).
///
/// # Safety
/// `addrs` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncConnect(
    addrs: *const c_char,
    flags: c_int,
) -> *mut redisClusterAsyncContext {
    // SAFETY: caller's promise.
    unsafe {
        let cc = redisClusterConnect(addrs, flags);
        if cc.is_null() {
            return ptr::null_mut();
        }
        let acc = wrap(cc);
        if acc.is_null() {
            redisClusterFree(cc);
        }
        acc
    }
}

/// Starts the first slot-map update in the event loop (the adapter must be attached).
///
/// # Safety
/// `acc` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncConnect2(acc: *mut redisClusterAsyncContext) -> c_int {
    if acc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        if (*acc).adapter.is_null() {
            return REDIS_ERR;
        }
        update_slotmap_async(acc, ptr::null_mut())
    }
}

/// Applies to node contexts created afterwards; only one connect callback may be set.
///
/// # Safety
/// `acc` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncSetConnectCallback(
    acc: *mut redisClusterAsyncContext,
    fn_: Option<unsafe extern "C" fn(ac: *const redisAsyncContext, status: c_int)>,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        if acc.is_null() || (*acc).onConnect.is_some() || (*acc).onConnectNC.is_some() {
            return REDIS_ERR;
        }
        (*acc).onConnect = fn_;
    }
    REDIS_OK
}

/// The non-const variant.
///
/// # Safety
/// `acc` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncSetConnectCallbackNC(
    acc: *mut redisClusterAsyncContext,
    fn_: Option<unsafe extern "C" fn(ac: *mut redisAsyncContext, status: c_int)>,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        if acc.is_null() || (*acc).onConnect.is_some() || (*acc).onConnectNC.is_some() {
            return REDIS_ERR;
        }
        (*acc).onConnectNC = fn_;
    }
    REDIS_OK
}

/// Applies to node contexts created afterwards; only one may be set.
///
/// # Safety
/// `acc` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncSetDisconnectCallback(
    acc: *mut redisClusterAsyncContext,
    fn_: Option<unsafe extern "C" fn(ac: *const redisAsyncContext, status: c_int)>,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        if acc.is_null() || (*acc).onDisconnect.is_some() {
            return REDIS_ERR;
        }
        (*acc).onDisconnect = fn_;
    }
    REDIS_OK
}

/// Disconnects every node once its pending replies are in; new commands are refused. The
/// context must still be freed with `redisClusterAsyncFree`.
///
/// # Safety
/// `acc` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncDisconnect(acc: *mut redisClusterAsyncContext) {
    if acc.is_null() {
        return;
    }
    // SAFETY: caller's promise; each node's context is looked up again before use, as a
    // disconnect may free one (and clear its node's pointer) at once.
    unsafe {
        let cc = (*acc).cc;
        (*cc).flags |= HIRCLUSTER_FLAG_SHUTDOWN;
        for node in dict_nodes((*cc).nodes) {
            let ac = (*node).acon;
            if !ac.is_null() {
                core::redisAsyncDisconnect(ac);
            }
        }
    }
}

/// Frees everything: pending callbacks run with NULL, then the contexts go.
///
/// # Safety
/// `acc` NULL or live, not used afterwards (and not called from a cluster callback).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncFree(acc: *mut redisClusterAsyncContext) {
    if acc.is_null() {
        return;
    }
    // SAFETY: caller's promise.
    unsafe {
        let cc = (*acc).cc;
        (*cc).flags |= HIRCLUSTER_FLAG_SHUTDOWN;
        redisClusterFree(cc);
        // Every pending callback has run: the free lists hold all remaining records.
        let ctx = acc as *mut AsyncContext;
        for list in [&raw mut (*ctx).pool, &raw mut (*ctx).big] {
            while !(*list).is_null() {
                let r = *list;
                *list = (*r).next;
                core::free(r.cast());
            }
        }
        core::free(acc.cast());
    }
}

// ---- submitting commands ------------------------------------------------------------------

/// Sends an UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE without a callback record: hiredis keeps
/// no callback for them (their frames go to the subscribe callbacks), so a record would never
/// be freed (0.14.0 leaks it). The user's callback is not called for them, as in hiredis.
unsafe fn send_unsubscribe(
    acc: *mut redisClusterAsyncContext,
    ac: *mut redisAsyncContext,
    b: &[u8],
) -> c_int {
    // SAFETY: caller's promise: `acc` and `ac` live.
    unsafe {
        if core::redisAsyncFormattedCommand(ac, None, ptr::null_mut(), b.as_ptr().cast(), b.len())
            != REDIS_OK
        {
            copy_ac_error(acc, ac);
            return REDIS_ERR;
        }
        REDIS_OK
    }
}

/// Routes and sends a RESP command (spec §4.4); exactly one callback follows an OK.
///
/// # Safety
/// `acc` NULL or live; `cmd` points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncFormattedCommand(
    acc: *mut redisClusterAsyncContext,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    cmd: *mut c_char,
    len: c_int,
) -> c_int {
    if acc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        let cc = (*acc).cc;
        if (*cc).flags & HIRCLUSTER_FLAG_SHUTDOWN != 0 {
            set_acc_error(acc, REDIS_ERR_OTHER, b"client closing");
            return REDIS_ERR;
        }
        clear_error(cc);
        clear_acc_error(acc);
        if cmd.is_null() || len <= 0 {
            return REDIS_ERR;
        }
        let b = std::slice::from_raw_parts(cmd as *const u8, len as usize);
        let mut store = command::Args::new();
        let p = match command::parse(b, &mut store, scratch(cc)) {
            Ok(p) => p,
            Err(e) => {
                parse_error(cc, e);
                copy_cc_error(acc);
                return REDIS_ERR;
            }
        };
        if p.multi.is_some() && spans_slots(&p) {
            set_acc_error(
                acc,
                REDIS_ERR_OTHER,
                b"Asynchronous API now not support multi-key command",
            );
            return REDIS_ERR;
        }
        let node = node_for_slot(cc, p.slot(0));
        if node.is_null() {
            throttled_update(acc, ptr::null_mut());
            copy_cc_error(acc);
            return REDIS_ERR;
        }
        let ac = actx_get_by_node(acc, node);
        if ac.is_null() {
            return REDIS_ERR;
        }
        if command::is_unsubscribe(p.args[0]) {
            return send_unsubscribe(acc, ac, b);
        }
        let subscribe = command::is_subscribe(p.args[0]);
        let rec = new_record(acc, b, fn_, privdata, false, subscribe);
        if rec.is_null() {
            set_acc_error(acc, REDIS_ERR_OOM, OOM);
            return REDIS_ERR;
        }
        if !send(rec, ac) {
            free_record(rec);
            return REDIS_ERR;
        }
        REDIS_OK
    }
}

/// Sends a RESP command to one node, no routing and no redirects (spec §4.8).
///
/// # Safety
/// `acc` live; `node` NULL or a live node; `cmd` points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncFormattedCommandToNode(
    acc: *mut redisClusterAsyncContext,
    node: *mut redisClusterNode,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    cmd: *mut c_char,
    len: c_int,
) -> c_int {
    if acc.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        let cc = (*acc).cc;
        if (*cc).flags & HIRCLUSTER_FLAG_SHUTDOWN != 0 {
            set_acc_error(acc, REDIS_ERR_OTHER, b"disconnecting");
            return REDIS_ERR;
        }
        let ac = actx_get_by_node(acc, node);
        if ac.is_null() {
            return REDIS_ERR;
        }
        clear_error(cc);
        clear_acc_error(acc);
        if cmd.is_null() || len <= 0 {
            return REDIS_ERR;
        }
        let b = std::slice::from_raw_parts(cmd as *const u8, len as usize);
        let name = command::command_name(b);
        if name.is_some_and(command::is_unsubscribe) {
            return send_unsubscribe(acc, ac, b);
        }
        let subscribe = name.is_some_and(command::is_subscribe);
        let rec = new_record(acc, b, fn_, privdata, true, subscribe);
        if rec.is_null() {
            set_acc_error(acc, REDIS_ERR_OOM, OOM);
            return REDIS_ERR;
        }
        if !send(rec, ac) {
            free_record(rec);
            return REDIS_ERR;
        }
        REDIS_OK
    }
}

/// Formats `argc` arguments and submits the keyed command.
///
/// # Safety
/// `acc` NULL or live; `argv`/`argvlen` as for `redisFormatCommandArgv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncCommandArgv(
    acc: *mut redisClusterAsyncContext,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_int {
    if acc.is_null() {
        return REDIS_ERR;
    }
    let mut cmd: *mut c_char = ptr::null_mut();
    // SAFETY: caller's promise.
    unsafe {
        let len = core::redisFormatCommandArgv(&mut cmd, argc, argv, argvlen);
        hircl_async_result(acc, fn_, privdata, cmd, len)
    }
}

/// Formats `argc` arguments and sends them to one node.
///
/// # Safety
/// As `redisClusterAsyncCommandArgv`; `node` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAsyncCommandArgvToNode(
    acc: *mut redisClusterAsyncContext,
    node: *mut redisClusterNode,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_int {
    if acc.is_null() {
        return REDIS_ERR;
    }
    let mut cmd: *mut c_char = ptr::null_mut();
    // SAFETY: caller's promise.
    unsafe {
        let len = core::redisFormatCommandArgv(&mut cmd, argc, argv, argvlen);
        if len < 0 {
            set_acc_error(acc, REDIS_ERR_OOM, OOM);
            return REDIS_ERR;
        }
        let rc =
            redisClusterAsyncFormattedCommandToNode(acc, node, fn_, privdata, cmd, len as c_int);
        core::redisFreeCommand(cmd);
        rc
    }
}

/// The end of the formatting keyed entry points: -1 OOM, -2 invalid format, else submit.
///
/// # Safety
/// `acc` live; `cmd` from the core's formatter (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_async_result(
    acc: *mut redisClusterAsyncContext,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    cmd: *mut c_char,
    len: c_longlong,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        match formatted_len(len) {
            Err((kind, text)) => {
                set_acc_error(acc, kind, text);
                REDIS_ERR
            }
            Ok(n) => {
                let rc = redisClusterAsyncFormattedCommand(acc, fn_, privdata, cmd, n as c_int);
                core::redisFreeCommand(cmd);
                rc
            }
        }
    }
}

/// The end of `redisClusterAsyncCommandToNode`: as 0.14.0, a formatting OOM is kind OTHER.
///
/// # Safety
/// `acc` live; `node` NULL or live; `cmd` from the core's formatter (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_async_to_node_result(
    acc: *mut redisClusterAsyncContext,
    node: *mut redisClusterNode,
    fn_: redisClusterCallbackFnPtr,
    privdata: *mut c_void,
    cmd: *mut c_char,
    len: c_longlong,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        match formatted_len(len) {
            // 0.14.0 reports this path's out-of-memory with kind OTHER.
            Err((_, text)) => {
                set_acc_error(acc, REDIS_ERR_OTHER, text);
                REDIS_ERR
            }
            Ok(n) => {
                let rc = redisClusterAsyncFormattedCommandToNode(
                    acc, node, fn_, privdata, cmd, n as c_int,
                );
                core::redisFreeCommand(cmd);
                rc
            }
        }
    }
}

//! The asynchronous engine behind `async.h`.
//!
//! An async context is the sync context's heap block grown (with the configured allocator) to
//! hold [`AsyncCtx`]: the public `redisAsyncContext` at offset 0, then [`AsyncState`], the
//! private part. The state owns the callback queues (rings of `redisCallback` records, so a
//! command costs no allocation) and the three subscription tables (channels, patterns and
//! shard channels). The public `replies`/`sub.replies` head and tail pointers are re-derived
//! from the rings after every change, so C sees a truthful, walkable list.
//!
//! Re-entrancy: user callbacks and event hooks may call back into the library (issue commands,
//! disconnect, free). So nothing here keeps a Rust reference to the context across a call
//! into C: every access goes through short-lived borrows of the [`Ac`] handle, and
//! fields C may write (`ev.*`, `data`, `onConnect`, flags) are re-read after each call.
//!
//! This file is safe Rust (`unsafe_code` is denied); the `unsafe` of the engine is in the
//! handle (`handle.rs`), with the reply-tree view of pub/sub.
#![deny(unsafe_code)]

use core::ffi::{c_int, c_void};
use core::ptr;

use crate::alloc::{HMap, HRing};

use crate::abi::r#async::{
    dict, redisAsyncContext, redisCallback, redisCallbackFnPtr, redisCallbackList,
    redisConnectCallbackNCPtr, redisConnectCallbackPtr,
};
use crate::abi::hiredis::{
    REDIS_CONN_TCP, REDIS_CONNECTED, REDIS_DISCONNECTING, REDIS_FREEING, REDIS_IN_CALLBACK,
    REDIS_MONITORING, REDIS_NO_AUTO_FREE, REDIS_NO_AUTO_FREE_REPLIES, REDIS_OPT_NO_PUSH_AUTOFREE,
    REDIS_OPT_NONBLOCK, REDIS_SUBSCRIBED, REDIS_SUPPORTS_PUSH, redisAsyncPushFnPtr,
    redisContextFuncs, redisReply,
};
use crate::abi::read::{
    REDIS_ERR, REDIS_ERR_IO, REDIS_ERR_OOM, REDIS_ERR_OTHER, REDIS_ERR_TIMEOUT, REDIS_OK,
    REDIS_REPLY_ARRAY, REDIS_REPLY_ERROR, REDIS_REPLY_INTEGER, REDIS_REPLY_PUSH,
    REDIS_REPLY_STRING,
};
use crate::{context, net};

mod command;
mod dispatch;
mod handle;
mod hooks;
mod pubsub;
mod queue;
mod submit;

use command::{CmdKind, Multibulk, classify};
pub(crate) use dispatch::process_callbacks;
#[cfg(test)]
use handle::test_handle;
pub(crate) use handle::{Ac, Alive};
use pubsub::{FrameKind, ReplyView, SubTable, Table, frame_kind, is_frame, is_pubsub_name};
use queue::CbQueue;
pub(crate) use queue::ReplyCallback;
pub(crate) use submit::{argv_command, formatted_command, printf_command};

// ---------------------------------------------------------------------------------------------
// The context block

/// Private state behind the public struct.
#[derive(Default)]
pub(crate) struct AsyncState {
    replies: CbQueue,
    sub_replies: CbQueue,
    channels: SubTable,
    patterns: SubTable,
    shards: SubTable,
    /// The free sequence is running: refuse commands, ignore nested frees.
    tearing_down: bool,
    /// Made over a caller-supplied descriptor (hiredis leaves `connection_type` at TCP then).
    user_fd: bool,
}

impl AsyncState {
    fn table(&mut self, t: Table) -> &mut SubTable {
        match t {
            Table::Channels => &mut self.channels,
            Table::Patterns => &mut self.patterns,
            Table::Shards => &mut self.shards,
        }
    }
}

/// The whole heap block: public struct first (offset 0), private state after it.
#[repr(C)]
pub(crate) struct AsyncCtx {
    ac: redisAsyncContext,
    st: AsyncState,
}

/// `redisAsyncConnectWithOptions` on the options read from C, with `funcs` as the default
/// transport table and `push_cb` as the async push callback: NULL on OOM or for an unknown
/// connection type.
pub(crate) fn connect(
    mut opts: context::Options<'_>,
    push_cb: redisAsyncPushFnPtr,
    funcs: *const redisContextFuncs,
) -> *mut redisAsyncContext {
    opts.push_cb = None;
    opts.options |= REDIS_OPT_NO_PUSH_AUTOFREE | REDIS_OPT_NONBLOCK;
    let Some(c) = context::connect(&opts, funcs, None) else {
        return ptr::null_mut();
    };
    let mut ac = match Ac::adopt(c) {
        Ok(ac) => ac,
        Err(c) => {
            context::free(c);
            return ptr::null_mut();
        }
    };
    let (a, st) = ac.parts();
    // Async "connected" means "the first I/O event confirmed it".
    a.c.flags &= !REDIS_CONNECTED;
    a.sub.channels = &mut st.channels as *mut SubTable as *mut dict;
    a.sub.patterns = &mut st.patterns as *mut SubTable as *mut dict;
    a.push_cb = push_cb;
    st.user_fd = matches!(opts.endpoint, Some(context::Endpoint::Fd(_)));
    if st.user_fd && a.c.fd >= 0 {
        // A caller's descriptor is already connected; the loop needs it non-blocking.
        net::set_nonblocking_fd(a.c.fd);
    }
    copy_error(ac.ctx());
    ac.as_ptr()
}

/// Mirrors the sync error into `ac->err` (`errstr` always points at `c.errstr`).
fn copy_error(a: &mut redisAsyncContext) {
    a.err = a.c.err;
    a.errstr = a.c.errstr.as_mut_ptr();
}

/// Sets an error with `text` (cut at 127 bytes or a NUL) and mirrors it.
fn set_error(a: &mut redisAsyncContext, kind: c_int, text: &[u8]) {
    net::set_error(&mut a.c, kind, Some(text));
    copy_error(a);
}

/// Sets OOM "Out of memory" and mirrors it.
fn oom(a: &mut redisAsyncContext) {
    set_error(a, REDIS_ERR_OOM, b"Out of memory")
}

// ---------------------------------------------------------------------------------------------
// Connect, disconnect and free

/// Takes the oldest regular callback, keeping the C list truthful.
fn pop_reply_cb(ac: &mut Ac) -> Option<ReplyCallback> {
    let (a, st) = ac.parts();
    st.replies.pop(&mut a.replies)
}

fn pop_sub_reply_cb(ac: &mut Ac) -> Option<ReplyCallback> {
    let (a, st) = ac.parts();
    st.sub_replies.pop(&mut a.sub.replies)
}

/// The free sequence: every pending callback once with NULL, the cleanup hook, onDisconnect,
/// dataCleanup, then the memory. The context is gone afterwards, unless a free was already
/// running (nested free requests are no-ops while tearing down).
pub(crate) fn free_now(mut ac: Ac) -> Alive {
    if ac.state().tearing_down {
        return Alive::Yes(ac);
    }
    ac.state().tearing_down = true;
    while let Some(cb) = pop_reply_cb(&mut ac) {
        ac.invoke(cb, ptr::null_mut());
    }
    while let Some(cb) = pop_sub_reply_cb(&mut ac) {
        ac.invoke(cb, ptr::null_mut());
    }
    for t in [Table::Channels, Table::Patterns, Table::Shards] {
        let mut taken = core::mem::take(&mut ac.state().table(t).map);
        for e in taken.drain_values() {
            ac.invoke(ReplyCallback::new(e.f, e.privdata), ptr::null_mut());
        }
    }
    ac.cleanup();
    let flags = ac.flags();
    if flags & REDIS_CONNECTED != 0 {
        let ok = ac.ctx().err == 0 || flags & REDIS_FREEING != 0;
        ac.run_disconnect_cb(if ok { REDIS_OK } else { REDIS_ERR });
    }
    ac.run_data_cleanup();
    ac.release();
    Alive::Gone
}

/// `__redisAsyncDisconnect`: a clean disconnect when `err` is 0, else an error disconnect.
pub(crate) fn disconnect_now(mut ac: Ac) -> Alive {
    let a = ac.ctx();
    copy_error(a);
    if a.err != 0 {
        // Pending callbacks must not be able to issue new commands.
        a.c.flags |= REDIS_DISCONNECTING;
    }
    // (hiredis asserts the queue is empty on a clean disconnect; here the free
    // sequence simply hands any leftover callback NULL.)
    ac.cleanup();
    let flags = ac.flags();
    // A free requested from inside onConnect(REDIS_ERR) is honoured even with NOAUTOFREE.
    if flags & REDIS_NO_AUTO_FREE == 0 || flags & REDIS_FREEING != 0 {
        return free_now(ac);
    }
    Alive::Yes(ac)
}

/// `redisAsyncDisconnect`.
pub(crate) fn disconnect(mut ac: Ac) -> Alive {
    let a = ac.ctx();
    a.c.flags |= REDIS_DISCONNECTING;
    a.c.flags &= !REDIS_NO_AUTO_FREE;
    if a.c.flags & REDIS_IN_CALLBACK == 0 && a.replies.head.is_null() {
        return disconnect_now(ac);
    }
    Alive::Yes(ac)
}

/// `redisAsyncFree`.
pub(crate) fn free(mut ac: Ac) -> Alive {
    ac.ctx().c.flags |= REDIS_FREEING;
    if ac.flags() & REDIS_IN_CALLBACK == 0 {
        return free_now(ac);
    }
    Alive::Yes(ac)
}

/// Connect failure: onConnect(REDIS_ERR), then an error disconnect.
fn connect_failed(mut ac: Ac) -> Alive {
    let a = ac.ctx();
    if a.c.err == 0 {
        // Never tear down as "clean" after a failure: take errno's text.
        net::set_error(&mut a.c, REDIS_ERR_IO, None);
    }
    copy_error(a);
    ac.run_connect_cb(REDIS_ERR);
    disconnect_now(ac)
}

/// The connect check at the start of each I/O event while not CONNECTED. Gives the handle
/// back when the caller may go on with its I/O (then check CONNECTED).
fn handle_connect(mut ac: Ac) -> Alive {
    // Deliberate difference: a caller-supplied descriptor is connected already.
    if !ac.state().user_fd {
        let c = &mut ac.ctx().c;
        let mut completed: c_int = 0;
        if net::check_connect_done(c, &mut completed) == REDIS_ERR {
            // Sets the context's error (mirrored by connect_failed) from SO_ERROR/errno.
            net::check_socket_error(c);
            return connect_failed(ac);
        }
        if completed == 0 {
            return Alive::Yes(ac);
        }
        if c.connection_type == REDIS_CONN_TCP && net::set_tcp_no_delay(c) == REDIS_ERR {
            return connect_failed(ac);
        }
    }
    ac.ctx().c.flags |= REDIS_CONNECTED;
    ac.run_connect_cb(REDIS_OK);
    let flags = ac.flags();
    if flags & REDIS_DISCONNECTING != 0 {
        let _ = disconnect(ac);
        return Alive::Gone;
    }
    if flags & REDIS_FREEING != 0 {
        let _ = free(ac);
        return Alive::Gone;
    }
    Alive::Yes(ac)
}

// ---------------------------------------------------------------------------------------------
// I/O events

/// Runs the connect check while not CONNECTED. Gives the handle back when the context is
/// alive and connected; `None` when it is still connecting or was torn down.
fn ensure_connected(mut ac: Ac) -> Option<Ac> {
    if ac.flags() & REDIS_CONNECTED != 0 {
        return Some(ac);
    }
    let mut ac = handle_connect(ac).handle()?;
    (ac.flags() & REDIS_CONNECTED != 0).then_some(ac)
}

/// `redisAsyncHandleRead`.
pub(crate) fn handle_read(mut ac: Ac) {
    // hiredis asserts here; re-entry from a callback is ignored instead.
    if ac.flags() & REDIS_IN_CALLBACK != 0 {
        return;
    }
    let Some(ac) = ensure_connected(ac) else {
        return;
    };
    if let Err(ac) = ac.run_transport_hook(false) {
        let _ = async_read(ac);
    }
}

/// `redisAsyncHandleWrite`.
pub(crate) fn handle_write(mut ac: Ac) {
    if ac.flags() & REDIS_IN_CALLBACK != 0 {
        return;
    }
    let Some(ac) = ensure_connected(ac) else {
        return;
    };
    if let Err(ac) = ac.run_transport_hook(true) {
        let _ = async_write(ac);
    }
}

/// `redisAsyncRead`: one socket read, then reply dispatch.
pub(crate) fn async_read(mut ac: Ac) -> Alive {
    if ac.buffer_read() == REDIS_ERR {
        disconnect_now(ac)
    } else {
        ac.add_read();
        process_callbacks(ac)
    }
}

/// `redisAsyncWrite`: one write of everything buffered.
pub(crate) fn async_write(mut ac: Ac) -> Alive {
    let mut done: c_int = 0;
    if ac.buffer_write(&mut done) == REDIS_ERR {
        return disconnect_now(ac);
    }
    if done == 0 {
        ac.add_write();
    } else {
        ac.del_write();
    }
    ac.add_read();
    Alive::Yes(ac)
}

/// `redisAsyncHandleTimeout`.
pub(crate) fn handle_timeout(mut ac: Ac) -> Alive {
    let a = ac.ctx();
    if a.c.flags & REDIS_IN_CALLBACK != 0 {
        return Alive::Yes(ac);
    }
    if a.c.flags & REDIS_CONNECTED != 0 {
        if a.replies.head.is_null() && a.sub.replies.head.is_null() {
            return Alive::Yes(ac); // idle
        }
        if !net::command_timeout_set(&mut a.c) {
            return Alive::Yes(ac); // a late connect timer
        }
    }
    if a.c.err == 0 {
        set_error(a, REDIS_ERR_TIMEOUT, b"Timeout");
    }
    if ac.flags() & REDIS_CONNECTED == 0 {
        ac.run_connect_cb(REDIS_ERR);
    }
    while let Some(cb) = pop_reply_cb(&mut ac) {
        ac.invoke(cb, ptr::null_mut());
    }
    disconnect_now(ac)
}

/// `redisAsyncSetTimeout`.
pub(crate) fn set_timeout(mut ac: Ac, tv: libc::timeval) -> c_int {
    let a = ac.ctx();
    // hiredis's async setter allocates with the calloc hook (the sync one with malloc).
    if net::alloc_command_timeout(&mut a.c).is_err() {
        oom(a);
        return REDIS_ERR;
    }
    net::store_command_timeout(&mut a.c, &tv)
}

/// `redisAsyncSetConnectCallback(NC)`: installs `plain` or `nc` unless one is set already,
/// then arms the write hook so the connect check runs.
pub(crate) fn set_connect_cb(
    mut ac: Ac,
    plain: redisConnectCallbackPtr,
    nc: redisConnectCallbackNCPtr,
) -> c_int {
    let a = ac.ctx();
    if a.onConnect.is_some() || a.onConnectNC.is_some() {
        return REDIS_ERR;
    }
    if plain.is_some() {
        a.onConnect = plain;
    } else if nc.is_some() {
        a.onConnectNC = nc;
    }
    ac.add_write();
    REDIS_OK
}

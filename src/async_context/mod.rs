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
//! into C: every access goes through short-lived borrows taken from the raw pointer, and
//! fields C may write (`ev.*`, `data`, `onConnect`, flags) are re-read after each call.

use core::ffi::{c_int, c_void};
use core::mem::size_of;
use core::ptr;

use crate::alloc::{HMap, HRing};

use crate::ffi::r#async::{
    dict, redisAsyncContext, redisCallback, redisCallbackFnPtr, redisCallbackList,
};
use crate::ffi::hiredis::{
    REDIS_CONN_TCP, REDIS_CONN_USERFD, REDIS_CONNECTED, REDIS_DISCONNECTING, REDIS_FREEING,
    REDIS_IN_CALLBACK, REDIS_MONITORING, REDIS_NO_AUTO_FREE, REDIS_NO_AUTO_FREE_REPLIES,
    REDIS_OPT_NO_PUSH_AUTOFREE, REDIS_OPT_NONBLOCK, REDIS_SUBSCRIBED, REDIS_SUPPORTS_PUSH,
    redisContext, redisOptions, redisReply,
};
use crate::ffi::read::{
    REDIS_ERR, REDIS_ERR_IO, REDIS_ERR_OOM, REDIS_ERR_OTHER, REDIS_ERR_TIMEOUT, REDIS_OK,
    REDIS_REPLY_ARRAY, REDIS_REPLY_ERROR, REDIS_REPLY_INTEGER, REDIS_REPLY_PUSH,
    REDIS_REPLY_STRING,
};
use crate::{context, net, sds};

mod command;
mod dispatch;
mod hooks;
mod pubsub;
mod queue;
mod submit;

pub(crate) use command::*;
pub(crate) use dispatch::*;
use hooks::{add_read, add_write, del_write};
pub(crate) use pubsub::*;
pub(crate) use queue::*;
pub(crate) use submit::*;

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

/// The private state of a context made by [`connect`].
///
/// # Safety
/// `ac` is a live context from this module; the returned borrow must end before any call
/// into C.
unsafe fn state<'a>(ac: *mut redisAsyncContext) -> &'a mut AsyncState {
    // SAFETY: every async context is the first field of an `AsyncCtx` block (made in
    // `initialize`), so the cast recovers the block.
    unsafe { &mut (*(ac as *mut AsyncCtx)).st }
}

/// Grows a fresh sync context into an async one. NULL on OOM (then `c` is untouched).
///
/// # Safety
/// `c` is a live context from `redisConnectWithOptions`.
unsafe fn initialize(c: *mut redisContext) -> *mut redisAsyncContext {
    // SAFETY: `c` came from the configured allocator; realloc keeps its prefix.
    unsafe {
        let block = crate::alloc::realloc(c as *mut c_void, size_of::<AsyncCtx>()) as *mut AsyncCtx;
        if block.is_null() {
            return ptr::null_mut();
        }
        let tail = size_of::<redisContext>();
        ptr::write_bytes(
            (block as *mut u8).add(tail),
            0,
            size_of::<AsyncCtx>() - tail,
        );
        ptr::write(&mut (*block).st, AsyncState::default());
        let ac = block as *mut redisAsyncContext;
        // Async "connected" means "the first I/O event confirmed it".
        (*ac).c.flags &= !REDIS_CONNECTED;
        (*ac).errstr = (*ac).c.errstr.as_mut_ptr();
        (*ac).sub.channels = &mut (*block).st.channels as *mut SubTable as *mut dict;
        (*ac).sub.patterns = &mut (*block).st.patterns as *mut SubTable as *mut dict;
        ac
    }
}

/// `redisAsyncConnectWithOptions`.
///
/// # Safety
/// `options` is a valid `redisOptions` whose strings are C strings.
pub(crate) unsafe fn connect(options: &redisOptions) -> *mut redisAsyncContext {
    let mut my = *options;
    my.push_cb = None;
    my.options |= REDIS_OPT_NO_PUSH_AUTOFREE | REDIS_OPT_NONBLOCK;
    // SAFETY: `my` is a valid options struct; the results are checked before use.
    unsafe {
        let c = context::connect_with_options(&my);
        if c.is_null() {
            return ptr::null_mut();
        }
        let ac = initialize(c);
        if ac.is_null() {
            context::free(c);
            return ptr::null_mut();
        }
        (*ac).push_cb = my.async_push_cb;
        state(ac).user_fd = my.r#type == REDIS_CONN_USERFD;
        if state(ac).user_fd && (*ac).c.fd >= 0 {
            // A caller's descriptor is already connected; the loop needs it non-blocking.
            let fl = libc::fcntl((*ac).c.fd, libc::F_GETFL);
            if fl >= 0 {
                libc::fcntl((*ac).c.fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
            }
        }
        copy_error(ac);
        ac
    }
}

/// Mirrors the sync error into `ac->err` (`errstr` always points at `c.errstr`).
///
/// # Safety
/// `ac` is live.
unsafe fn copy_error(ac: *mut redisAsyncContext) {
    // SAFETY: plain field accesses on a live context.
    unsafe {
        (*ac).err = (*ac).c.err;
        (*ac).errstr = (*ac).c.errstr.as_mut_ptr();
    }
}

/// Sets an error with `text` (cut at 127 bytes or a NUL) and mirrors it.
///
/// # Safety
/// `ac` is live; `text` does not point into its `errstr`.
unsafe fn set_error(ac: *mut redisAsyncContext, kind: c_int, text: &[u8]) {
    // SAFETY: `ac` is live.
    unsafe {
        net::set_error(&mut (*ac).c, kind, Some(text));
        copy_error(ac);
    }
}

/// Sets OOM "Out of memory" and mirrors it.
///
/// # Safety
/// `ac` is live.
unsafe fn oom(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live.
    unsafe { set_error(ac, REDIS_ERR_OOM, b"Out of memory") }
}

// ---------------------------------------------------------------------------------------------
// Event hooks

/// Calls `cleanup` at most once: the hook is cleared before it runs.
///
/// # Safety
/// `ac` is live.
unsafe fn cleanup(ac: *mut redisAsyncContext) {
    // SAFETY: as in `add_read`.
    unsafe {
        if let Some(h) = (*ac).ev.cleanup.take() {
            h((*ac).ev.data);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Connect, disconnect and free

/// Runs onConnect or onConnectNC (whichever is set) with `status`.
///
/// # Safety
/// `ac` is live.
unsafe fn run_connect_cb(ac: *mut redisAsyncContext, status: c_int) {
    // SAFETY: `ac` is live; the hooks are read from the struct right before the call.
    unsafe {
        let (plain, nc) = ((*ac).onConnect, (*ac).onConnectNC);
        if plain.is_none() && nc.is_none() {
            return;
        }
        let was_in = enter_callback(ac);
        if let Some(f) = plain {
            f(ac, status);
        } else if let Some(f) = nc {
            f(ac, status);
        }
        leave_callback(ac, was_in);
    }
}

/// # Safety
/// `ac` is live.
unsafe fn run_disconnect_cb(ac: *mut redisAsyncContext, status: c_int) {
    // SAFETY: as in `run_connect_cb`.
    unsafe {
        if let Some(f) = (*ac).onDisconnect {
            let was_in = enter_callback(ac);
            f(ac, status);
            leave_callback(ac, was_in);
        }
    }
}

/// Takes the oldest regular callback, keeping the C list truthful.
///
/// # Safety
/// `ac` is live.
unsafe fn pop_reply_cb(ac: *mut redisAsyncContext) -> Option<ReplyCallback> {
    // SAFETY: the state and the public list are disjoint parts of the live block.
    unsafe { state(ac).replies.pop(&mut (*ac).replies) }
}

/// # Safety
/// `ac` is live.
unsafe fn pop_sub_reply_cb(ac: *mut redisAsyncContext) -> Option<ReplyCallback> {
    // SAFETY: as in `pop_reply_cb`.
    unsafe { state(ac).sub_replies.pop(&mut (*ac).sub.replies) }
}

/// The free sequence: every pending callback once with NULL, the cleanup hook, onDisconnect,
/// dataCleanup, then the memory.
///
/// # Safety
/// `ac` is live; it is dead when this returns (unless a free was already running).
pub(crate) unsafe fn free_now(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live throughout: nested free requests are no-ops while tearing down.
    unsafe {
        if state(ac).tearing_down {
            return;
        }
        state(ac).tearing_down = true;
        while let Some(cb) = pop_reply_cb(ac) {
            cb.invoke(ac, ptr::null_mut());
        }
        while let Some(cb) = pop_sub_reply_cb(ac) {
            cb.invoke(ac, ptr::null_mut());
        }
        for t in [Table::Channels, Table::Patterns, Table::Shards] {
            let mut taken = core::mem::take(&mut state(ac).table(t).map);
            for e in taken.drain_values() {
                ReplyCallback::new(e.f, e.privdata).invoke(ac, ptr::null_mut());
            }
        }
        cleanup(ac);
        let flags = (*ac).c.flags;
        if flags & REDIS_CONNECTED != 0 {
            let ok = (*ac).err == 0 || flags & REDIS_FREEING != 0;
            run_disconnect_cb(ac, if ok { REDIS_OK } else { REDIS_ERR });
        }
        if let Some(f) = (*ac).dataCleanup {
            f((*ac).data);
        }
        let block = ac as *mut AsyncCtx;
        ptr::drop_in_place(&mut (*block).st);
        // The maps are gone: don't leave C pointing at them while redisFree runs.
        (*ac).sub.channels = ptr::null_mut();
        (*ac).sub.patterns = ptr::null_mut();
        context::free(&mut (*ac).c);
    }
}

/// `__redisAsyncDisconnect`: a clean disconnect when `err` is 0, else an error disconnect.
///
/// # Safety
/// `ac` is live; it may be dead when this returns.
pub(crate) unsafe fn disconnect_now(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live until `free_now`.
    unsafe {
        copy_error(ac);
        if (*ac).err != 0 {
            // Pending callbacks must not be able to issue new commands.
            (*ac).c.flags |= REDIS_DISCONNECTING;
        }
        // (hiredis asserts the queue is empty on a clean disconnect; here the free
        // sequence simply hands any leftover callback NULL.)
        cleanup(ac);
        let flags = (*ac).c.flags;
        // A free requested from inside onConnect(REDIS_ERR) is honoured even with NOAUTOFREE.
        if flags & REDIS_NO_AUTO_FREE == 0 || flags & REDIS_FREEING != 0 {
            free_now(ac);
        }
    }
}

/// `redisAsyncDisconnect`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn disconnect(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live.
    unsafe {
        (*ac).c.flags |= REDIS_DISCONNECTING;
        (*ac).c.flags &= !REDIS_NO_AUTO_FREE;
        if (*ac).c.flags & REDIS_IN_CALLBACK == 0 && (*ac).replies.head.is_null() {
            disconnect_now(ac);
        }
    }
}

/// `redisAsyncFree`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn free(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live.
    unsafe {
        (*ac).c.flags |= REDIS_FREEING;
        if (*ac).c.flags & REDIS_IN_CALLBACK == 0 {
            free_now(ac);
        }
    }
}

/// Connect failure: onConnect(REDIS_ERR), then an error disconnect.
///
/// # Safety
/// `ac` is live; it may be dead when this returns.
unsafe fn connect_failed(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live until `disconnect_now`.
    unsafe {
        if (*ac).c.err == 0 {
            // Never tear down as "clean" after a failure: take errno's text.
            net::set_error(&mut (*ac).c, REDIS_ERR_IO, None);
        }
        copy_error(ac);
        run_connect_cb(ac, REDIS_ERR);
        disconnect_now(ac);
    }
}

/// The connect check at the start of each I/O event while not CONNECTED. Returns true when
/// the caller may go on with its I/O (the context is then alive; check CONNECTED).
///
/// # Safety
/// `ac` is live; when this returns false it may be dead.
unsafe fn handle_connect(ac: *mut redisAsyncContext) -> bool {
    // SAFETY: `ac` is live until a teardown, after which we return false at once.
    unsafe {
        let c: *mut redisContext = &mut (*ac).c;
        // Deliberate difference: a caller-supplied descriptor is connected already.
        if !state(ac).user_fd {
            let mut completed: c_int = 0;
            if net::check_connect_done(&mut *c, &mut completed) == REDIS_ERR {
                // Sets the context's error (mirrored by connect_failed) from SO_ERROR/errno.
                net::check_socket_error(&mut *c);
                connect_failed(ac);
                return false;
            }
            if completed == 0 {
                return true;
            }
            if (*c).connection_type == REDIS_CONN_TCP && net::set_tcp_no_delay(&mut *c) == REDIS_ERR
            {
                connect_failed(ac);
                return false;
            }
        }
        (*c).flags |= REDIS_CONNECTED;
        run_connect_cb(ac, REDIS_OK);
        let flags = (*ac).c.flags;
        if flags & REDIS_DISCONNECTING != 0 {
            disconnect(ac);
            return false;
        }
        if flags & REDIS_FREEING != 0 {
            free(ac);
            return false;
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// I/O events

/// Runs the connect check while not CONNECTED. True when the context is alive and connected;
/// false when it is still connecting or was torn down (then it must not be touched).
///
/// # Safety
/// `ac` is live.
unsafe fn ensure_connected(ac: *mut redisAsyncContext) -> bool {
    // SAFETY: `ac` is live; after `handle_connect` returns false it may be dead and is not
    // read again.
    unsafe {
        if (*ac).c.flags & REDIS_CONNECTED != 0 {
            return true;
        }
        if !handle_connect(ac) {
            return false;
        }
        (*ac).c.flags & REDIS_CONNECTED != 0
    }
}

/// `redisAsyncHandleRead`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn handle_read(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live; after a teardown we return without touching it.
    unsafe {
        // hiredis asserts here; re-entry from a callback is ignored instead.
        if (*ac).c.flags & REDIS_IN_CALLBACK != 0 {
            return;
        }
        if !ensure_connected(ac) {
            return;
        }
        match (*ac).c.funcs.as_ref().and_then(|f| f.async_read) {
            Some(f) => f(ac),
            None => async_read(ac),
        }
    }
}

/// `redisAsyncHandleWrite`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn handle_write(ac: *mut redisAsyncContext) {
    // SAFETY: as in `handle_read`.
    unsafe {
        if (*ac).c.flags & REDIS_IN_CALLBACK != 0 {
            return;
        }
        if !ensure_connected(ac) {
            return;
        }
        match (*ac).c.funcs.as_ref().and_then(|f| f.async_write) {
            Some(f) => f(ac),
            None => async_write(ac),
        }
    }
}

/// `redisAsyncRead`: one socket read, then reply dispatch.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn async_read(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live.
    unsafe {
        if context::buffer_read(&mut (*ac).c) == REDIS_ERR {
            disconnect_now(ac);
        } else {
            add_read(ac);
            process_callbacks(ac);
        }
    }
}

/// `redisAsyncWrite`: one write of everything buffered.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn async_write(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live.
    unsafe {
        let mut done: c_int = 0;
        if context::buffer_write(&mut (*ac).c, Some(&mut done)) == REDIS_ERR {
            disconnect_now(ac);
        } else {
            if done == 0 {
                add_write(ac);
            } else {
                del_write(ac);
            }
            add_read(ac);
        }
    }
}

/// `redisAsyncHandleTimeout`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn handle_timeout(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live until `disconnect_now`.
    unsafe {
        if (*ac).c.flags & REDIS_IN_CALLBACK != 0 {
            return;
        }
        if (*ac).c.flags & REDIS_CONNECTED != 0 {
            if (*ac).replies.head.is_null() && (*ac).sub.replies.head.is_null() {
                return; // idle
            }
            match (*ac).c.command_timeout.as_ref() {
                Some(tv) if tv.tv_sec != 0 || tv.tv_usec != 0 => {}
                _ => return, // a late connect timer
            }
        }
        if (*ac).c.err == 0 {
            set_error(ac, REDIS_ERR_TIMEOUT, b"Timeout");
        }
        if (*ac).c.flags & REDIS_CONNECTED == 0 {
            run_connect_cb(ac, REDIS_ERR);
        }
        while let Some(cb) = pop_reply_cb(ac) {
            cb.invoke(ac, ptr::null_mut());
        }
        disconnect_now(ac);
    }
}

/// `redisAsyncSetTimeout`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn set_timeout(ac: *mut redisAsyncContext, tv: libc::timeval) -> c_int {
    // SAFETY: `ac` is live; `command_timeout` is NULL or a block from the allocator.
    unsafe {
        if (*ac).c.command_timeout.is_null() {
            // hiredis's async setter allocates with the calloc hook (the sync one with malloc).
            let t = crate::alloc::calloc(1, size_of::<libc::timeval>()) as *mut libc::timeval;
            if t.is_null() {
                oom(ac);
                return REDIS_ERR;
            }
            (*ac).c.command_timeout = t;
        }
        // Only copies now: the block exists.
        net::update_command_timeout(&mut (*ac).c, &tv)
    }
}

/// Arms the write hook after a connect callback was installed.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn arm_connect_check(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live.
    unsafe { add_write(ac) }
}

#[cfg(test)]
mod tests {
    use super::queue::tests::cb;
    use super::*;
    use core::ffi::c_char;

    // ---- routing decisions on a context built in Rust (no socket, no hooks) ----

    fn fake_ctx() -> Box<AsyncCtx> {
        let mut b = Box::<AsyncCtx>::new_zeroed();
        // SAFETY: an all-zero `redisAsyncContext` is valid (NULL pointers, `None` callbacks);
        // the state is written before `assume_init`.
        unsafe {
            ptr::write(&mut (*b.as_mut_ptr()).st, AsyncState::default());
            b.assume_init()
        }
    }

    /// Reply trees for the tests (leaked: test-only).
    fn reply(kind: c_int) -> *mut redisReply {
        // SAFETY: an all-zero redisReply is a valid value.
        let r = Box::into_raw(Box::new(unsafe { core::mem::zeroed::<redisReply>() }));
        // SAFETY: `r` is fresh and owned here.
        unsafe { (*r).r#type = kind };
        r
    }

    fn st(text: &str) -> *mut redisReply {
        let r = reply(REDIS_REPLY_STRING);
        let bytes: &'static mut [u8] =
            Box::leak(format!("{text}\0").into_bytes().into_boxed_slice());
        // SAFETY: `r` is a fresh reply owned here.
        unsafe {
            (*r).str = bytes.as_mut_ptr() as *mut c_char;
            (*r).len = text.len();
        }
        r
    }
    fn int(n: i64) -> *mut redisReply {
        let r = reply(REDIS_REPLY_INTEGER);
        // SAFETY: as above.
        unsafe { (*r).integer = n };
        r
    }
    fn agg(kind: c_int, elems: Vec<*mut redisReply>) -> *mut redisReply {
        let r = reply(kind);
        let n = elems.len();
        let arr: &'static mut [*mut redisReply] = Box::leak(elems.into_boxed_slice());
        // SAFETY: as above; `arr` outlives the test.
        unsafe {
            (*r).elements = n;
            (*r).element = if n == 0 {
                ptr::null_mut()
            } else {
                arr.as_mut_ptr()
            };
        }
        r
    }
    fn view(r: *mut redisReply) -> ReplyView<'static> {
        // SAFETY: test trees are leaked, so 'static.
        unsafe { ReplyView::new(r) }.unwrap()
    }

    fn tag(cb: Option<ReplyCallback>) -> Option<usize> {
        cb.map(|c| c.privdata as usize)
    }

    /// Registers a pre-formatted command as the command functions do.
    fn reg(ac: *mut redisAsyncContext, privdata: usize, args: &[&str]) -> Result<(), ()> {
        let mut cmd = format!("*{}\r\n", args.len());
        for a in args {
            cmd += &format!("${}\r\n{a}\r\n", a.len());
        }
        let mb = Multibulk::parse(cmd.as_bytes()).unwrap();
        // SAFETY: `ac` is a live fake context.
        unsafe { register(ac, cb(privdata), mb.argc(), mb.args()) }.map_err(|_| ())
    }

    #[test]
    fn resp2_channel_lifecycle() {
        let mut b = fake_ctx();
        let ac = &mut b.ac as *mut redisAsyncContext;
        reg(ac, 7, &["SUBSCRIBE", "a"]).unwrap();
        reg(ac, 8, &["PING"]).unwrap();
        // SAFETY: `ac` is live for the whole test; no callback runs.
        unsafe {
            assert!((*ac).c.flags & REDIS_SUBSCRIBED != 0);
            assert!((*ac).replies.head.is_null(), "SUBSCRIBE is not queued");
            assert!(
                !(*ac).sub.replies.head.is_null(),
                "PING waits on sub.replies"
            );
            let f = agg(REDIS_REPLY_ARRAY, vec![st("subscribe"), st("a"), int(1)]);
            assert_eq!(tag(subscribe_callback(ac, view(f))), Some(7));
            assert_eq!(b.st.channels.map.get(b"a").unwrap().pending_subs, 0);
            let m = agg(REDIS_REPLY_ARRAY, vec![st("message"), st("a"), st("hi")]);
            assert_eq!(tag(subscribe_callback(ac, view(m))), Some(7));
            // RESP2 PING while subscribed: a 2-element array is not a frame.
            let pong = agg(REDIS_REPLY_ARRAY, vec![st("pong"), st("")]);
            assert_eq!(tag(subscribe_callback(ac, view(pong))), Some(8));
            reg(ac, 9, &["GET", "k"]).unwrap();
            let u = agg(REDIS_REPLY_ARRAY, vec![st("unsubscribe"), st("a"), int(0)]);
            assert_eq!(tag(subscribe_callback(ac, view(u))), Some(7));
            assert_eq!(b.st.channels.len(), 0);
            assert!((*ac).c.flags & REDIS_SUBSCRIBED == 0);
            // GET moved from sub.replies to replies.
            assert!((*ac).sub.replies.head.is_null());
            assert_eq!((*(*ac).replies.head).privdata as usize, 9);
        }
    }

    #[test]
    fn unsubscribe_counting_and_refusal() {
        let mut b = fake_ctx();
        let ac = &mut b.ac as *mut redisAsyncContext;
        assert!(
            reg(ac, 1, &["UNSUBSCRIBE"]).is_err(),
            "refused when not subscribed"
        );
        reg(ac, 1, &["SUBSCRIBE", "A", "B"]).unwrap();
        reg(ac, 0, &["UNSUBSCRIBE", "B", "X", "A", "A", "Z"]).unwrap();
        reg(ac, 0, &["PUNSUBSCRIBE"]).unwrap();
        // SAFETY: as above.
        unsafe {
            assert_eq!((*ac).sub.pending_unsubs, 4);
            for ch in ["A", "B"] {
                let f = agg(REDIS_REPLY_ARRAY, vec![st("subscribe"), st(ch), int(1)]);
                assert_eq!(tag(subscribe_callback(ac, view(f))), Some(1));
            }
            // (channel, count in the frame, who gets it)
            let frames = [
                ("B", 1, Some(1)),
                ("X", 1, None),
                ("A", 0, Some(1)),
                ("A", 0, None),
                ("Z", 0, None),
            ];
            for (ch, count, want) in frames {
                let f = agg(
                    REDIS_REPLY_ARRAY,
                    vec![st("unsubscribe"), st(ch), int(count)],
                );
                assert_eq!(tag(subscribe_callback(ac, view(f))), want, "{ch}");
                assert!(
                    (*ac).c.flags & REDIS_SUBSCRIBED != 0,
                    "still waiting for ignored replies"
                );
            }
            let nil = reply(crate::ffi::read::REDIS_REPLY_NIL);
            let f = agg(REDIS_REPLY_ARRAY, vec![st("punsubscribe"), nil, int(0)]);
            assert_eq!(tag(subscribe_callback(ac, view(f))), None);
            assert_eq!((*ac).sub.pending_unsubs, 0);
            assert!((*ac).c.flags & REDIS_SUBSCRIBED == 0);
        }
    }

    #[test]
    fn malformed_frames_are_ignored_safely() {
        let mut b = fake_ctx();
        let ac = &mut b.ac as *mut redisAsyncContext;
        reg(ac, 3, &["SUBSCRIBE", "ch"]).unwrap();
        // SAFETY: as above.
        unsafe {
            (*ac).c.flags |= REDIS_SUPPORTS_PUSH;
            let cases = [
                (agg(REDIS_REPLY_PUSH, vec![]), None),
                (agg(REDIS_REPLY_PUSH, vec![int(1)]), None),
                (agg(REDIS_REPLY_PUSH, vec![st("message")]), None),
                (agg(REDIS_REPLY_PUSH, vec![st("message"), int(5)]), None),
                (
                    agg(
                        REDIS_REPLY_PUSH,
                        vec![st("subscribe"), st("unknown"), int(1)],
                    ),
                    None,
                ),
                // a short unsubscribe for a known channel still reaches its callback
                (
                    agg(REDIS_REPLY_PUSH, vec![st("unsubscribe"), st("ch")]),
                    Some(3),
                ),
            ];
            for (f, want) in cases {
                assert_eq!(tag(subscribe_callback(ac, view(f))), want);
            }
            // No count in the frame: SUBSCRIBED stays (nothing assumed).
            assert!((*ac).c.flags & REDIS_SUBSCRIBED != 0);
            let m = agg(REDIS_REPLY_PUSH, vec![st("message"), st("ch"), st("x")]);
            assert_eq!(tag(subscribe_callback(ac, view(m))), Some(3));
            // With push support a 3-element array is a regular reply.
            let arr = agg(REDIS_REPLY_ARRAY, vec![st("message"), st("ch"), st("x")]);
            assert!(!is_frame(view(arr), true));
        }
    }

    #[test]
    fn sharded_frames_use_their_own_table() {
        let mut b = fake_ctx();
        let ac = &mut b.ac as *mut redisAsyncContext;
        reg(ac, 5, &["SSUBSCRIBE", "s1"]).unwrap();
        reg(ac, 6, &["SUBSCRIBE", "s1"]).unwrap();
        // SAFETY: as above.
        unsafe {
            assert_eq!(b.st.shards.len(), 1);
            let sm = agg(REDIS_REPLY_PUSH, vec![st("smessage"), st("s1"), st("x")]);
            assert_eq!(tag(subscribe_callback(ac, view(sm))), Some(5));
            let m = agg(REDIS_REPLY_PUSH, vec![st("message"), st("s1"), st("x")]);
            assert_eq!(tag(subscribe_callback(ac, view(m))), Some(6));
            reg(ac, 0, &["SUNSUBSCRIBE"]).unwrap();
            let f = agg(REDIS_REPLY_PUSH, vec![st("ssubscribe"), st("s1"), int(1)]);
            assert_eq!(tag(subscribe_callback(ac, view(f))), Some(5));
            let f = agg(REDIS_REPLY_PUSH, vec![st("sunsubscribe"), st("s1"), int(0)]);
            assert_eq!(tag(subscribe_callback(ac, view(f))), Some(5));
            assert_eq!(b.st.shards.len(), 0);
            // The plain channel is still there: still subscribed.
            assert!((*ac).c.flags & REDIS_SUBSCRIBED != 0);
        }
    }
}

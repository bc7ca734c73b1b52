//! [`Ac`], the handle through which the engine reaches an async context, and [`Alive`], what
//! every engine step that can end in a teardown returns.
//!
//! The re-entrancy rule lives here. A user callback or event hook may call back into the
//! library (issue commands, disconnect, free), so no Rust reference to the context may be held
//! across a call into C, and after a call that can free the context it must not be touched.
//! The handle enforces both with the borrow checker:
//!
//! - `Ac` is neither `Copy` nor `Clone`. Field access goes through [`Ac::ctx`], [`Ac::state`]
//!   and [`Ac::parts`], whose borrows are tied to a borrow of the handle, so they end before
//!   the handle can be used again.
//! - The calls into C that cannot free the context (reply callbacks, connect/disconnect and
//!   push callbacks, the adapter's hooks) are methods taking `&mut self`: no field borrow can
//!   be alive across them.
//! - The engine functions that can free it (`disconnect_now`, `free_now`, dispatch, the I/O
//!   events) take the handle by value and give it back inside [`Alive::Yes`] only if it is
//!   still alive.
//!
//! `unsafe` is confined to this file (and the adapter hook calls of [`hooks`]): creating a
//! handle from a raw pointer (the caller promises a live context made by this engine), growing
//! the sync block into an async one and releasing it, the field borrows of [`Ac::parts`], the
//! sync handle lent to the context code, the two `obuf` byte operations, and the calls into
//! C: every user callback goes through one function (`call_user`), the one-argument hooks
//! through another (`call_plain`).

use core::ffi::{c_int, c_void};
use core::ptr::{self, NonNull};

use super::hooks::{self, Hook};
use super::{AsyncCtx, AsyncState, ReplyCallback};
use crate::abi::r#async::{
    redisAsyncContext, redisCallbackFnPtr, redisConnectCallbackNCPtr, redisConnectCallbackPtr,
    redisDisconnectCallbackPtr,
};
use crate::abi::hiredis::{REDIS_IN_CALLBACK, redisAsyncPushFnPtr, redisContext};
use crate::abi::read::redisReplyObjectFunctions;
use crate::context::Ctx;

/// A live async context made by [`super::connect`].
pub(crate) struct Ac(NonNull<AsyncCtx>);

/// Whether the context survived a step that can free it.
#[must_use = "the context may have been freed: use the handle given back, or stop"]
pub(crate) enum Alive {
    Yes(Ac),
    Gone,
}

impl Alive {
    /// The handle if the context is still alive.
    pub(crate) fn handle(self) -> Option<Ac> {
        match self {
            Alive::Yes(ac) => Some(ac),
            Alive::Gone => None,
        }
    }
}

/// A call into one of the context's user callbacks: the function C installed (if any) and
/// the arguments that go with it besides the context.
enum UserCall {
    Reply(redisCallbackFnPtr, *mut c_void, *mut c_void),
    Push(redisAsyncPushFnPtr, *mut c_void),
    Connect(redisConnectCallbackPtr, c_int),
    ConnectNC(redisConnectCallbackNCPtr, c_int),
    Disconnect(redisDisconnectCallbackPtr, c_int),
}

impl UserCall {
    #[inline(always)]
    fn is_set(&self) -> bool {
        match self {
            UserCall::Reply(f, ..) => f.is_some(),
            UserCall::Push(f, _) => f.is_some(),
            UserCall::Connect(f, _) | UserCall::Disconnect(f, _) => f.is_some(),
            UserCall::ConnectNC(f, _) => f.is_some(),
        }
    }
}

/// A one-argument hook of the context that runs outside IN_CALLBACK.
#[derive(Clone, Copy)]
enum PlainHook {
    /// `ac->dataCleanup(ac->data)`.
    DataCleanup,
    /// The adapter's `ev.cleanup(ev.data)`, cleared before it runs.
    AdapterCleanup,
}

impl Ac {
    /// A handle on `ac`; `None` for NULL.
    ///
    /// # Safety
    /// `ac` is NULL or a live context made by [`super::connect`] (so the first field of an
    /// [`AsyncCtx`] block), and no other handle on it is in use by the caller's frame.
    pub(crate) unsafe fn from_raw(ac: *mut redisAsyncContext) -> Option<Ac> {
        NonNull::new(ac as *mut AsyncCtx).map(Ac)
    }

    /// Grows the sync context `c` (fresh from `redisConnectWithOptions`) into an async
    /// context block with a default state. On OOM `c` is given back untouched.
    pub(crate) fn adopt(c: Ctx) -> Result<Ac, Ctx> {
        let size = core::mem::size_of::<AsyncCtx>();
        let tail = core::mem::size_of::<redisContext>();
        // SAFETY: `c`'s block came from the allocator hooks; realloc keeps its prefix (the
        // `redisContext`) or fails leaving it as it was. The handle `c` is consumed only on
        // success. The tail is zeroed (NULL pointers, no callbacks) and the state written
        // before anything reads the block.
        let block = unsafe {
            let block = crate::alloc::realloc(c.as_ptr() as *mut c_void, size) as *mut AsyncCtx;
            if !block.is_null() {
                ptr::write_bytes((block as *mut u8).add(tail), 0, size - tail);
                ptr::write(&raw mut (*block).st, AsyncState::default());
            }
            block
        };
        match NonNull::new(block) {
            // `c` (a plain pointer) is superseded by the new handle.
            Some(b) => Ok(Ac(b)),
            None => Err(c),
        }
    }

    /// A handle on a block built in a unit test.
    #[cfg(test)]
    pub(crate) fn of_block(b: &mut AsyncCtx) -> Ac {
        Ac(NonNull::from(b))
    }

    /// The pointer C callbacks and hooks receive.
    pub(crate) fn as_ptr(&self) -> *mut redisAsyncContext {
        self.0.as_ptr() as *mut redisAsyncContext
    }

    /// Both halves of the block, borrowed for as long as the handle is.
    pub(crate) fn parts(&mut self) -> (&mut redisAsyncContext, &mut AsyncState) {
        let b = self.0.as_ptr();
        // SAFETY: the block is live (handle invariant); `ac` and `st` are distinct fields, so
        // the borrows do not overlap, and both are tied to `&mut self`, so they end before any
        // method of the handle can call into C.
        unsafe { (&mut (*b).ac, &mut (*b).st) }
    }

    /// The public struct.
    pub(crate) fn ctx(&mut self) -> &mut redisAsyncContext {
        self.parts().0
    }

    /// The private state.
    pub(crate) fn state(&mut self) -> &mut AsyncState {
        self.parts().1
    }

    pub(crate) fn flags(&mut self) -> c_int {
        self.ctx().c.flags
    }

    /// Every call into a user callback of the context. It runs with IN_CALLBACK set (restored
    /// after, unless an outer callback runs), so it cannot free the context:
    /// `redisAsyncFree` and `redisAsyncDisconnect` only set a flag then, and the caller acts
    /// on it afterwards. Returns whether a function was set (and ran).
    #[inline(always)]
    fn call_user(&mut self, call: UserCall) -> bool {
        if !call.is_set() {
            return false;
        }
        let was_in = self.flags() & REDIS_IN_CALLBACK != 0;
        self.ctx().c.flags |= REDIS_IN_CALLBACK;
        let ac = self.as_ptr();
        // SAFETY: C installed each function for this context with the signature of its
        // field (or queued it with `privdata`), and calls it with its context and its own
        // arguments: a reply of the context's reader (or NULL), `privdata`, a status. No
        // Rust borrow of the context is alive across the call.
        unsafe {
            match call {
                UserCall::Reply(Some(f), reply, privdata) => f(ac, reply, privdata),
                UserCall::Push(Some(f), reply) => f(ac, reply),
                UserCall::Connect(Some(f), status) | UserCall::Disconnect(Some(f), status) => {
                    f(ac, status)
                }
                UserCall::ConnectNC(Some(f), status) => f(ac, status),
                _ => {}
            }
        }
        if !was_in {
            self.ctx().c.flags &= !REDIS_IN_CALLBACK;
        }
        true
    }

    /// Runs a reply callback (if it has a function) with `reply`. Returns whether it ran.
    pub(crate) fn invoke(&mut self, cb: ReplyCallback, reply: *mut c_void) -> bool {
        self.call_user(UserCall::Reply(cb.f, reply, cb.privdata))
    }

    /// The push callback (`ac->push_cb`), if set, with a push reply it may read, not keep.
    pub(crate) fn run_push_cb(&mut self, reply: *mut c_void) {
        let f = self.ctx().push_cb;
        self.call_user(UserCall::Push(f, reply));
    }

    /// onConnect or onConnectNC (whichever is set) with `status`.
    pub(crate) fn run_connect_cb(&mut self, status: c_int) {
        let (plain, nc) = (self.ctx().onConnect, self.ctx().onConnectNC);
        if plain.is_some() {
            self.call_user(UserCall::Connect(plain, status));
        } else {
            self.call_user(UserCall::ConnectNC(nc, status));
        }
    }

    pub(crate) fn run_disconnect_cb(&mut self, status: c_int) {
        let f = self.ctx().onDisconnect;
        self.call_user(UserCall::Disconnect(f, status));
    }

    /// The context's one-argument hooks, which get only their own data pointer.
    #[inline(always)]
    fn call_plain(&mut self, which: PlainHook) {
        let a = self.ctx();
        let (f, data) = match which {
            PlainHook::DataCleanup => (a.dataCleanup, a.data),
            PlainHook::AdapterCleanup => (a.ev.cleanup.take(), a.ev.data),
        };
        if let Some(f) = f {
            // SAFETY: C installed `f` to release `data` (its own pointer, read with it); no
            // Rust borrow of the context is alive across the call.
            unsafe { f(data) };
        }
    }

    /// `ac->dataCleanup(ac->data)`, during the free sequence.
    pub(crate) fn run_data_cleanup(&mut self) {
        self.call_plain(PlainHook::DataCleanup);
    }

    /// The adapter's `cleanup` hook, at most once (cleared before it runs).
    pub(crate) fn cleanup(&mut self) {
        self.call_plain(PlainHook::AdapterCleanup);
    }

    #[inline(always)]
    fn hook(&mut self, h: Hook) {
        // SAFETY: the context is live; `hooks::run` reads fields through the raw pointer and
        // holds no reference across the adapter's hooks.
        unsafe { hooks::run(self.as_ptr(), h) }
    }

    pub(crate) fn add_read(&mut self) {
        self.hook(Hook::AddRead)
    }

    pub(crate) fn add_write(&mut self) {
        self.hook(Hook::AddWrite)
    }

    pub(crate) fn del_write(&mut self) {
        self.hook(Hook::DelWrite)
    }

    /// The transport's `async_read`/`async_write` hook (TLS installs them), if set. They run
    /// the engine's own read or write, which may free the context: the handle is consumed.
    pub(crate) fn run_transport_hook(self, write: bool) -> Result<(), Ac> {
        let mut me = self;
        let funcs = me.ctx().c.funcs;
        // SAFETY: `funcs` is NULL or the transport's static table (set at connect).
        let hook = unsafe { funcs.as_ref() }
            .and_then(|f| if write { f.async_write } else { f.async_read });
        match hook {
            // SAFETY: the transport's hook for this context; nothing is touched afterwards.
            Some(h) => unsafe { h(me.as_ptr()) },
            None => return Err(me),
        }
        Ok(())
    }

    /// Runs `f` with a sync handle on the context's `c` member (for the sync context's
    /// buffer, reader and output-buffer functions).
    #[inline(always)]
    fn with_sync<R>(&mut self, f: impl FnOnce(&mut Ctx) -> R) -> R {
        // SAFETY: `c` is the first member of the live block, so it is a live context; the
        // sync handle is only lent to `f` while `self` is borrowed mutably, so no other
        // handle on the context is used meanwhile.
        let mut c = unsafe { Ctx::from_raw(&raw mut (*self.0.as_ptr()).ac.c) }.expect("non-null");
        f(&mut c)
    }

    /// `redisBufferRead` on the context: one transport read, fed to the reader.
    pub(crate) fn buffer_read(&mut self) -> c_int {
        self.with_sync(crate::context::buffer_read)
    }

    /// `redisBufferWrite` on the context; `done` tells whether `obuf` is now empty.
    pub(crate) fn buffer_write(&mut self, done: &mut c_int) -> c_int {
        self.with_sync(|c| crate::context::buffer_write(c, Some(done)))
    }

    /// The next complete reply in the reader (NULL when none); Err on a reader error (then
    /// the context's `err` is set). The reader's reply functions may be C's (custom table):
    /// they get only the reader's own data, never the context (async contexts have no sync
    /// push callback).
    pub(crate) fn next_reply(&mut self) -> Result<*mut c_void, ()> {
        let mut reply = ptr::null_mut();
        match self.with_sync(|c| crate::context::get_reply(c, Some(&mut reply))) {
            crate::abi::read::REDIS_OK => Ok(reply),
            _ => Err(()),
        }
    }

    /// The reader's object functions (NULL for the placeholder mode); `None` without a reader.
    fn reader_fns(&mut self) -> Option<*const redisReplyObjectFunctions> {
        let reader = self.ctx().c.reader;
        // SAFETY: the reader is NULL or a live part of the context; only the pointer leaves.
        unsafe { reader.as_ref() }.map(|r| r.r#fn as *const _)
    }

    /// Frees a reply with the reader's own destructor (the reader's `fn` may be C's).
    pub(crate) fn free_reply(&mut self, reply: *mut c_void) {
        if let Some(f) = self.reader_fns() {
            crate::reader::free_object(f, reply);
        }
    }

    /// Whether the reader's replies are `redisReply` trees (the default functions); a NULL
    /// `fn` makes it hand out placeholder values instead.
    pub(crate) fn replies_are_trees(&mut self) -> bool {
        self.reader_fns().is_some_and(|f| !f.is_null())
    }

    /// The length of the output buffer.
    pub(crate) fn obuf_len(&mut self) -> usize {
        self.with_sync(|c| c.obuf_len())
    }

    /// Appends raw bytes to `obuf`; false on OOM (then `obuf` is unchanged).
    pub(crate) fn obuf_cat(&mut self, bytes: &[u8]) -> bool {
        self.with_sync(|c| c.obuf_cat(bytes))
    }

    /// Appends the RESP encoding of `args` to `obuf`; false on OOM (`obuf` unchanged).
    pub(crate) fn obuf_argv<'a>(&mut self, args: impl Iterator<Item = &'a [u8]> + Clone) -> bool {
        self.with_sync(|c| c.obuf_argv(args))
    }

    /// Formats a command onto the end of `obuf`; the appended bytes' length, or the error.
    pub(crate) fn obuf_format(
        &mut self,
        fmt: &[u8],
        args: &mut dyn crate::format::ArgSource,
    ) -> Result<usize, crate::format::FormatError> {
        let c = &mut self.ctx().c;
        // SAFETY: `obuf` is the context's live sds, used only through this handle here and
        // stored back in every case. The arguments are the ArgSource's slices (not `obuf`).
        let Some(mut obuf) = (unsafe { crate::sds::Sds::from_raw(c.obuf) }) else {
            return Err(crate::format::FormatError::Oom);
        };
        let r = crate::format::append_command_sds(&mut obuf, fmt, args);
        c.obuf = obuf.into_raw();
        r
    }

    /// Runs `f` on the last `n` bytes of `obuf` (`n` <= its length) together with both
    /// halves of the context.
    pub(crate) fn with_obuf_tail<R>(
        &mut self,
        n: usize,
        f: impl FnOnce(&[u8], &mut redisAsyncContext, &mut AsyncState) -> R,
    ) -> R {
        let (a, st) = self.parts();
        // SAFETY: `obuf` is the context's live sds, a hook allocation apart from the block, so
        // the slice overlaps neither borrow; `f` cannot resize or free it (reaching an sds from
        // its raw pointer is `unsafe`), so it stays valid for the call.
        let all = unsafe { crate::sds::bytes_of(a.c.obuf) };
        f(&all[all.len() - n..], a, st)
    }

    /// Cuts the last `n` bytes off `obuf` (`n` <= its length).
    pub(crate) fn obuf_truncate(&mut self, n: usize) {
        debug_assert!(n <= self.obuf_len());
        // SAFETY: `obuf` is the context's live sds.
        if let Some(mut obuf) = unsafe { crate::sds::Sds::from_raw(self.ctx().c.obuf) } {
            obuf.shorten(n);
        }
    }

    /// Drops the private state and frees the block with the sync context's `redisFree`.
    pub(crate) fn release(mut self) {
        // C's dict pointers into the state are cleared before it goes.
        let a = self.ctx();
        a.sub.channels = ptr::null_mut();
        a.sub.patterns = ptr::null_mut();
        let b = self.0.as_ptr();
        // SAFETY: the block is live and this consumes the last handle: the state is dropped
        // exactly once, then the block goes to the sync context's free as its only handle.
        let c = unsafe {
            ptr::drop_in_place(&raw mut (*b).st);
            Ctx::from_raw(&raw mut (*b).ac.c)
        };
        crate::context::free(c.expect("non-null"));
    }
}

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
//! `unsafe` is confined to this file: creating a handle from a raw pointer (the caller
//! promises a live context made by this engine) and the calls into C.

use core::ffi::{c_int, c_void};
use core::ptr::NonNull;

use super::{AsyncCtx, AsyncState, ReplyCallback, hooks};
use crate::abi::r#async::redisAsyncContext;
use crate::abi::hiredis::REDIS_IN_CALLBACK;
use crate::context::Ctx;
use crate::sds;

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

impl Ac {
    /// A handle on `ac`; `None` for NULL.
    ///
    /// # Safety
    /// `ac` is NULL or a live context made by [`super::connect`] (so the first field of an
    /// [`AsyncCtx`] block), and no other handle on it is in use by the caller's frame.
    pub(crate) unsafe fn from_raw(ac: *mut redisAsyncContext) -> Option<Ac> {
        NonNull::new(ac as *mut AsyncCtx).map(Ac)
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

    /// The public struct, borrowed for as long as the handle is.
    pub(crate) fn ctx(&mut self) -> &mut redisAsyncContext {
        // SAFETY: the block is live (handle invariant) and the borrow is tied to `&mut self`,
        // so it ends before any method of the handle can call into C.
        unsafe { &mut (*self.0.as_ptr()).ac }
    }

    /// The private state, borrowed like [`Ac::ctx`].
    pub(crate) fn state(&mut self) -> &mut AsyncState {
        // SAFETY: as in `ctx`.
        unsafe { &mut (*self.0.as_ptr()).st }
    }

    /// Both halves at once (disjoint fields of the block).
    pub(crate) fn parts(&mut self) -> (&mut redisAsyncContext, &mut AsyncState) {
        let b = self.0.as_ptr();
        // SAFETY: as in `ctx`; `ac` and `st` are distinct fields, so the borrows do not overlap.
        unsafe { (&mut (*b).ac, &mut (*b).st) }
    }

    pub(crate) fn flags(&mut self) -> c_int {
        self.ctx().c.flags
    }

    /// Runs `call` with IN_CALLBACK set (restored after, unless an outer callback runs). A
    /// callback cannot free the context: `redisAsyncFree` and `redisAsyncDisconnect` only
    /// set a flag while IN_CALLBACK is on, and the caller acts on it afterwards.
    fn in_callback(&mut self, call: impl FnOnce(*mut redisAsyncContext)) {
        let was_in = self.flags() & REDIS_IN_CALLBACK != 0;
        self.ctx().c.flags |= REDIS_IN_CALLBACK;
        call(self.as_ptr());
        if !was_in {
            self.ctx().c.flags &= !REDIS_IN_CALLBACK;
        }
    }

    /// Runs a reply callback (if it has a function) with `reply`. Returns whether it ran.
    pub(crate) fn invoke(&mut self, cb: ReplyCallback, reply: *mut c_void) -> bool {
        let Some(f) = cb.f else { return false };
        // SAFETY: C promised, when queueing it, that `f` may be called with its context, a
        // reply of its reader (or NULL) and `privdata`; no Rust borrow of the context is held.
        self.in_callback(|ac| unsafe { f(ac, reply, cb.privdata) });
        true
    }

    /// The push callback (`ac->push_cb`), if set, with a push reply it may read, not keep.
    pub(crate) fn run_push_cb(&mut self, reply: *mut c_void) {
        if let Some(f) = self.ctx().push_cb {
            // SAFETY: C installed `f` for push replies of this context; no borrow is held.
            self.in_callback(|ac| unsafe { f(ac, reply) });
        }
    }

    /// onConnect or onConnectNC (whichever is set) with `status`.
    pub(crate) fn run_connect_cb(&mut self, status: c_int) {
        let (plain, nc) = (self.ctx().onConnect, self.ctx().onConnectNC);
        if let Some(f) = plain {
            // SAFETY: C installed `f` as this context's connect callback; no borrow is held.
            self.in_callback(|ac| unsafe { f(ac, status) });
        } else if let Some(f) = nc {
            // SAFETY: as above, for the non-const variant.
            self.in_callback(|ac| unsafe { f(ac, status) });
        }
    }

    pub(crate) fn run_disconnect_cb(&mut self, status: c_int) {
        if let Some(f) = self.ctx().onDisconnect {
            // SAFETY: C installed `f` as this context's disconnect callback; no borrow held.
            self.in_callback(|ac| unsafe { f(ac, status) });
        }
    }

    /// `ac->dataCleanup(ac->data)`, during the free sequence.
    pub(crate) fn run_data_cleanup(&mut self) {
        let (f, data) = (self.ctx().dataCleanup, self.ctx().data);
        if let Some(f) = f {
            // SAFETY: C installed `f` to release `data`; it receives only that pointer.
            unsafe { f(data) };
        }
    }

    /// The adapter's `cleanup` hook, at most once (cleared before it runs).
    pub(crate) fn cleanup(&mut self) {
        if let Some(h) = self.ctx().ev.cleanup.take() {
            let data = self.ctx().ev.data;
            // SAFETY: the adapter installed `h` for its own `data`; no borrow is held.
            unsafe { h(data) };
        }
    }

    pub(crate) fn add_read(&mut self) {
        // SAFETY: the context is live; `hooks` reads fields through the raw pointer and holds
        // no reference across the adapter's hook.
        unsafe { hooks::add_read(self.as_ptr()) }
    }

    pub(crate) fn add_write(&mut self) {
        // SAFETY: as in `add_read`.
        unsafe { hooks::add_write(self.as_ptr()) }
    }

    pub(crate) fn del_write(&mut self) {
        // SAFETY: as in `add_read`.
        unsafe { hooks::del_write(self.as_ptr()) }
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

    /// A sync handle on the context's `c` member, for one sync-context call.
    ///
    /// # Safety
    /// The caller does not use `self` while the returned handle is alive.
    unsafe fn sync(&mut self) -> Ctx {
        // SAFETY: `c` is the first member of the live block, so it is a live context.
        unsafe { Ctx::from_raw(&raw mut (*self.0.as_ptr()).ac.c) }.expect("non-null")
    }

    /// `redisBufferRead` on the context: one transport read, fed to the reader.
    pub(crate) fn buffer_read(&mut self) -> c_int {
        // SAFETY: the context is live; the transport's read hook gets the raw pointer and
        // no Rust borrow of the context is held across it.
        crate::context::buffer_read(&mut unsafe { self.sync() })
    }

    /// `redisBufferWrite` on the context; `done` tells whether `obuf` is now empty.
    pub(crate) fn buffer_write(&mut self, done: &mut c_int) -> c_int {
        // SAFETY: as in `buffer_read`, for the write hook.
        crate::context::buffer_write(&mut unsafe { self.sync() }, Some(done))
    }

    /// The next complete reply in the reader (NULL when none); Err on a reader error (then
    /// the context's `err` is set). The reader's reply functions may be C's (custom table):
    /// they get only the reader's own data, never the context.
    pub(crate) fn next_reply(&mut self) -> Result<*mut c_void, ()> {
        let mut reply = core::ptr::null_mut();
        // SAFETY: the context is live; async contexts have no sync push callback, so only the
        // reader's functions run, and they do not reach the context.
        match crate::context::get_reply(&mut unsafe { self.sync() }, Some(&mut reply)) {
            crate::abi::read::REDIS_OK => Ok(reply),
            _ => Err(()),
        }
    }

    /// The length of the output buffer.
    pub(crate) fn obuf_len(&mut self) -> usize {
        // SAFETY: `obuf` is the context's live sds (context invariant).
        unsafe { sds::len(self.ctx().c.obuf) }
    }

    /// Appends raw bytes to `obuf`; false on OOM (then `obuf` is unchanged).
    pub(crate) fn obuf_cat(&mut self, bytes: &[u8]) -> bool {
        let c = &mut self.ctx().c;
        // SAFETY: `obuf` is the context's live sds; `bytes` is a caller's slice, so it does
        // not point into `obuf` (the handle is borrowed mutably here).
        let grown = unsafe { sds::cat_len(c.obuf, bytes) };
        if grown.is_null() {
            return false;
        }
        c.obuf = grown;
        true
    }

    /// Appends the RESP encoding of `args` to `obuf`; false on OOM (`obuf` unchanged).
    pub(crate) fn obuf_argv<'a>(&mut self, args: impl Iterator<Item = &'a [u8]> + Clone) -> bool {
        let c = &mut self.ctx().c;
        // SAFETY: `obuf` is the context's live sds and is replaced by the live result; the
        // arguments are the caller's buffers, not `obuf` (the ArgSource's promise).
        let (grown, r) = unsafe { crate::format::append_argv_sds(c.obuf, args) };
        c.obuf = grown;
        r.is_some()
    }

    /// Formats a command onto the end of `obuf`; the appended bytes' length, or the error.
    pub(crate) fn obuf_format(
        &mut self,
        fmt: &[u8],
        args: &mut dyn crate::format::ArgSource,
    ) -> Result<usize, crate::format::FormatError> {
        let c = &mut self.ctx().c;
        // SAFETY: `obuf` is the context's live sds; it is replaced by the live result in
        // every case. The arguments' pointers are the ArgSource's promise (not into `obuf`).
        let (obuf, r) = unsafe { crate::format::append_command_sds(c.obuf, fmt, args) };
        c.obuf = obuf;
        r
    }

    /// Runs `f` on the last `n` bytes of `obuf` (`n` <= its length) together with both
    /// halves of the context.
    pub(crate) fn with_obuf_tail<R>(
        &mut self,
        n: usize,
        f: impl FnOnce(&[u8], &mut redisAsyncContext, &mut AsyncState) -> R,
    ) -> R {
        let b = self.0.as_ptr();
        // SAFETY: `obuf` is the context's live sds, a hook allocation apart from the block, so
        // the slice overlaps neither borrow; `f` cannot resize or free it (the sds functions
        // are `unsafe` and not reachable from safe code), so it stays valid for the call.
        unsafe {
            let all = sds::as_bytes((*b).ac.c.obuf);
            f(&all[all.len() - n..], &mut (*b).ac, &mut (*b).st)
        }
    }

    /// Cuts the last `n` bytes off `obuf` (`n` <= its length).
    pub(crate) fn obuf_truncate(&mut self, n: usize) {
        debug_assert!(n <= self.obuf_len());
        // SAFETY: `obuf` is the context's live sds and holds at least `n` bytes.
        unsafe { sds::incr_len(self.ctx().c.obuf, -(n as isize)) }
    }

    /// Drops the private state and frees the block with the sync context's `redisFree`.
    pub(crate) fn release(mut self) {
        let b = self.0.as_ptr();
        // SAFETY: the block is live and this consumes the last handle; the state is dropped
        // exactly once, and C's dict pointers into it are cleared before redisFree runs.
        unsafe {
            core::ptr::drop_in_place(&mut (*b).st);
            (*b).ac.sub.channels = core::ptr::null_mut();
            (*b).ac.sub.patterns = core::ptr::null_mut();
        }
        // SAFETY: `self` is not used again (it is consumed here).
        crate::context::free(unsafe { self.sync() });
    }
}

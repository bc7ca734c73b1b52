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
//! The engine's `unsafe` is in this file: creating a handle from a raw pointer (the caller
//! promises a live context made by this engine), growing the sync block into an async one,
//! the field borrows of [`Ac::parts`], and the calls into C, which all go through one
//! function ([`Ac::call_c`]: user callbacks, the context's and the adapter's hooks, the
//! transport's async hooks); pub/sub looks at reply trees through one view. The handle
//! holds the sync handle on the block's first member, so the sync context's functions (its
//! buffers, its reader, its replies) are lent to it without another raw step.
#![allow(unsafe_code)]

use core::ffi::{c_int, c_void};
use core::ptr;

use super::hooks::{self, Hook};
use super::{AsyncCtx, AsyncState, ReplyCallback};
use crate::abi::r#async::{
    redisAsyncContext, redisCallbackFnPtr, redisConnectCallbackNCPtr, redisConnectCallbackPtr,
    redisDisconnectCallbackPtr,
};
use crate::abi::hiredis::{REDIS_IN_CALLBACK, redisAsyncPushFnPtr, redisContext};
use crate::context::{Ctx, Reply};
use crate::net::owned::Timeout;
use crate::sds::Sds;

/// A live async context made by [`super::connect`]: the sync handle on its first member
/// `c`, whose block is the whole [`AsyncCtx`].
pub(crate) struct Ac(Ctx);

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

/// Every call the engine makes into C for a context.
enum CCall {
    /// A user callback (see [`Ac::call_user`] for the IN_CALLBACK rule).
    User(UserCall),
    /// `ac->dataCleanup(ac->data)`.
    DataCleanup,
    /// The adapter's `ev.cleanup(ev.data)`, cleared before it runs.
    AdapterCleanup,
    /// The adapter's `addRead`/`addWrite`/`delWrite` with `ev.data`.
    Adapter(Hook),
    /// The adapter's `ev.scheduleTimer(ev.data, tv)`.
    Timer(libc::timeval),
    /// The transport's `async_read` (false) or `async_write` (true) hook.
    Transport(bool),
}

impl Ac {
    /// A handle on `ac`; `None` for NULL.
    ///
    /// # Safety
    /// `ac` is NULL or a live context made by [`super::connect`] (so the first field of an
    /// [`AsyncCtx`] block), and no other handle on it is in use by the caller's frame.
    pub(crate) unsafe fn from_raw(ac: *mut redisAsyncContext) -> Option<Ac> {
        // SAFETY: the block's first member is its live sync context (offset 0), and the
        // caller's promise about other handles covers the sync handle too.
        unsafe { Ctx::from_raw(ac as *mut redisContext) }.map(Ac)
    }

    /// Grows the sync context `c` (fresh from `redisConnectWithOptions`) into an async
    /// context block with a default state. On OOM `c` is given back untouched.
    pub(crate) fn adopt(c: Ctx) -> Result<Ac, Ctx> {
        let size = core::mem::size_of::<AsyncCtx>();
        let tail = core::mem::size_of::<redisContext>();
        // SAFETY: `c`'s block came from the allocator hooks; realloc keeps its prefix (the
        // `redisContext`) or fails leaving it as it was. The tail is zeroed (NULL pointers, no
        // callbacks) and the state written before anything reads the block, so the new block
        // is a live context whose only handle is the one made here (`c`, a plain pointer to
        // the old block, is superseded; on failure it is given back).
        let grown = unsafe {
            let block = crate::alloc::realloc(c.as_ptr() as *mut c_void, size) as *mut AsyncCtx;
            if !block.is_null() {
                ptr::write_bytes((block as *mut u8).add(tail), 0, size - tail);
                ptr::write(&raw mut (*block).st, AsyncState::default());
            }
            Ctx::from_raw(block as *mut redisContext)
        };
        grown.map(Ac).ok_or(c)
    }

    /// The pointer C callbacks and hooks receive.
    pub(crate) fn as_ptr(&self) -> *mut redisAsyncContext {
        self.0.as_ptr() as *mut redisAsyncContext
    }

    /// Both halves of the block, borrowed for as long as the handle is.
    pub(crate) fn parts(&mut self) -> (&mut redisAsyncContext, &mut AsyncState) {
        let b = self.0.as_ptr() as *mut AsyncCtx;
        // SAFETY: the block is a live `AsyncCtx` (handle invariant); `ac` and `st` are
        // distinct fields, so the borrows do not overlap, and both are tied to `&mut self`,
        // so they end before any method of the handle can call into C.
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

    /// The one place the engine calls into C. Each function is read from its field right
    /// before its call (as hiredis does) and gets only its context or its own data pointer
    /// besides its arguments; no Rust borrow of the context is alive across the call.
    /// Returns whether a function was set (and ran).
    #[inline(always)]
    fn call_c(&mut self, call: CCall) -> bool {
        let ac = self.as_ptr();
        let a = self.ctx();
        let plain = match call {
            CCall::DataCleanup => a.dataCleanup.zip(Some(a.data)),
            CCall::AdapterCleanup => a.ev.cleanup.take().zip(Some(a.ev.data)),
            CCall::Adapter(h) => match h {
                Hook::AddRead => a.ev.addRead,
                Hook::AddWrite => a.ev.addWrite,
                Hook::DelWrite => a.ev.delWrite,
            }
            .zip(Some(a.ev.data)),
            _ => None,
        };
        let timer = match call {
            CCall::Timer(tv) => a.ev.scheduleTimer.map(|f| (f, a.ev.data, tv)),
            _ => None,
        };
        let funcs = a.c.funcs;
        // SAFETY: C installed each function in the field it was just read from (a reply
        // callback: queued with its `privdata`) with that field's signature, and it gets what
        // its contract gives it: this context, a reply of the context's reader (or NULL), a
        // status, or the data pointer installed with it. `funcs` is NULL or the transport's
        // static table, set at connect. `a` is not used past this point.
        unsafe {
            match call {
                CCall::User(UserCall::Reply(Some(f), reply, privdata)) => f(ac, reply, privdata),
                CCall::User(UserCall::Push(Some(f), reply)) => f(ac, reply),
                CCall::User(
                    UserCall::Connect(Some(f), status) | UserCall::Disconnect(Some(f), status),
                ) => f(ac, status),
                CCall::User(UserCall::ConnectNC(Some(f), status)) => f(ac, status),
                CCall::Transport(write) => {
                    let t = funcs.as_ref();
                    match t.and_then(|t| if write { t.async_write } else { t.async_read }) {
                        Some(h) => h(ac),
                        None => return false,
                    }
                }
                _ => match (plain, timer) {
                    (Some((f, data)), _) => f(data),
                    (_, Some((f, data, tv))) => f(data, tv),
                    _ => return false,
                },
            }
        }
        true
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
        self.call_c(CCall::User(call));
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

    /// `ac->dataCleanup(ac->data)`, during the free sequence.
    pub(crate) fn run_data_cleanup(&mut self) {
        self.call_c(CCall::DataCleanup);
    }

    /// The adapter's `cleanup` hook, at most once (cleared before it runs).
    pub(crate) fn cleanup(&mut self) {
        self.call_c(CCall::AdapterCleanup);
    }

    pub(crate) fn add_read(&mut self) {
        hooks::run(self, Hook::AddRead)
    }

    pub(crate) fn add_write(&mut self) {
        hooks::run(self, Hook::AddWrite)
    }

    pub(crate) fn del_write(&mut self) {
        hooks::run(self, Hook::DelWrite)
    }

    /// The transport's `async_read`/`async_write` hook (TLS installs them), if set. They run
    /// the engine's own read or write, which may free the context: the handle is consumed.
    pub(crate) fn run_transport_hook(self, write: bool) -> Result<(), Ac> {
        let mut me = self;
        if me.call_c(CCall::Transport(write)) {
            // The context may be gone: `me` goes without being touched.
            Ok(())
        } else {
            Err(me)
        }
    }

    /// Runs `f` with the sync handle on the context's `c` member (for the sync context's
    /// buffer, reader and output-buffer functions).
    #[inline(always)]
    fn with_sync<R>(&mut self, f: impl FnOnce(&mut Ctx) -> R) -> R {
        f(&mut self.0)
    }

    /// `redisBufferRead` on the context: one transport read, fed to the reader.
    pub(crate) fn buffer_read(&mut self) -> c_int {
        self.with_sync(crate::context::buffer_read)
    }

    /// `redisBufferWrite` on the context; `done` tells whether `obuf` is now empty.
    pub(crate) fn buffer_write(&mut self, done: &mut c_int) -> c_int {
        self.with_sync(|c| crate::context::buffer_write(c, Some(done)))
    }

    /// The next complete reply in the reader (`None` when none); Err on a reader error
    /// (then the context's `err` is set). The reader's reply functions may be C's (custom
    /// table): they get only the reader's own data, never the context (async contexts have
    /// no sync push callback).
    pub(crate) fn next_reply(&mut self) -> Result<Option<Reply>, ()> {
        self.with_sync(crate::context::next_reply)
    }

    /// Frees a reply with the reader's own destructor (the reader's `fn` may be C's).
    pub(crate) fn free_reply(&mut self, reply: Reply) {
        self.with_sync(|c| c.free_reply(reply))
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
        self.with_sync(|c| c.obuf_format(fmt, args))
    }

    /// Runs `f` on the output buffer together with both halves of the context (to classify
    /// bytes in place while recording their callback); the buffer is taken out of the
    /// context meanwhile (the field is NULL), and the handle `f` leaves (growing may move the
    /// string) is stored back. `None` when there is no `obuf` (after an OOM).
    pub(crate) fn with_obuf<R>(
        &mut self,
        f: impl FnOnce(&mut Sds, &mut redisAsyncContext, &mut AsyncState) -> R,
    ) -> Option<R> {
        let mut obuf = self.0.take_obuf()?;
        let (a, st) = self.parts();
        let r = f(&mut obuf, a, st);
        self.0.put_obuf(Some(obuf));
        Some(r)
    }

    /// Drops the private state and frees the block with the sync context's `redisFree`.
    pub(crate) fn release(mut self) {
        // C's dict pointers into the state are cleared before it goes.
        let a = self.ctx();
        a.sub.channels = ptr::null_mut();
        a.sub.patterns = ptr::null_mut();
        // The queues and tables go now; the empty state left in the block owns nothing.
        drop(core::mem::take(self.state()));
        crate::context::free(self.0);
    }
}

/// What the adapter-hook sequence ([`hooks::run`]) needs of the context.
impl hooks::Events for Ac {
    fn flags(&mut self) -> c_int {
        Ac::flags(self)
    }

    fn timeout(&mut self, command: bool) -> Option<libc::timeval> {
        let which = if command {
            Timeout::Command
        } else {
            Timeout::Connect
        };
        crate::net::owned::timeout(&mut self.ctx().c, which)
    }

    fn schedule_timer(&mut self, tv: libc::timeval) {
        self.call_c(CCall::Timer(tv));
    }

    fn call(&mut self, hook: Hook) {
        self.call_c(CCall::Adapter(hook));
    }
}

/// A handle on a fresh context with no connection (for unit tests): the sync context of
/// `redisContextInit`, grown like a connected one.
#[cfg(test)]
pub(crate) fn test_handle() -> Ac {
    let c = crate::context::init(ptr::null()).expect("context");
    Ac::adopt(c).ok().expect("grown")
}

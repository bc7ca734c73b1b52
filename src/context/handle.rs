//! [`Ctx`], the handle through which the sync context code reaches a `redisContext`.
//!
//! As with the async engine's handle, field access goes through [`Ctx::ctx`], whose borrow
//! is tied to a borrow of the handle, and every call into C (the transport table
//! `c->funcs`, the push callback, the privdata destructor, the reader's functions) is a
//! method taking `&mut self`, so no Rust reference to the context is held across it; the
//! context's own hooks are called from one function, [`Ctx::call_c`]. C code called from
//! here may read and write the context through its pointer, but not free it (no hiredis API
//! allows that from these hooks). The `unsafe` of the sync context lives here; the C
//! `redisOptions` is read into [`super::Options`] by the exports, and the default push
//! handler (a function C calls) is theirs too.
#![allow(unsafe_code)]

use core::ffi::{c_char, c_int, c_void};
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};

use crate::abi::hiredis::{redisContext, redisReply};
use crate::abi::read::{
    REDIS_ERR, REDIS_OK, REDIS_REPLY_PUSH, redisReader, redisReplyObjectFunctions,
};
use crate::alloc;
use crate::reader::Reader;
use crate::sds::Sds;

/// A live sync context (or the sync half of an async one).
pub(crate) struct Ctx(NonNull<redisContext>);

/// A reply the context's reader built, owned by the holder until it is freed
/// ([`Ctx::free_reply`]) or handed to C ([`Reply::into_raw`]). It has no destructor: each
/// path out says which of the two it takes.
pub(crate) struct Reply {
    p: NonNull<c_void>,
    /// The reader builds `redisReply` trees (its `fn` is not NULL; hiredis asks that of
    /// readers whose replies the push callback and the async engine look into).
    tree: bool,
}

impl Reply {
    /// The reply lent to C for one call (the holder still owns it). Takes `&mut self`, so
    /// no view from [`Reply::tree`] is alive while C has it.
    pub(crate) fn lend(&mut self) -> *mut c_void {
        self.p.as_ptr()
    }

    /// The reply for C, which owns it from now on.
    pub(crate) fn into_raw(self) -> *mut c_void {
        self.p.as_ptr()
    }

    /// The reply as a `redisReply` tree, when the reader builds trees; borrowed from the
    /// handle, so it ends before the reply can be freed or handed over.
    pub(crate) fn tree(&self) -> Option<&redisReply> {
        // SAFETY: with `tree` the reader's functions build `redisReply` trees; this one stays
        // alive and unchanged while borrowed, since the borrow keeps the handle from being
        // consumed (freed, handed over) or lent to C.
        self.tree
            .then(|| unsafe { self.p.cast::<redisReply>().as_ref() })
    }

    /// Whether it is a RESP3 push (only a tree can be).
    pub(crate) fn is_push(&self) -> bool {
        self.tree().is_some_and(|r| r.r#type == REDIS_REPLY_PUSH)
    }
}

/// Every call the sync context makes into C.
enum CCall<'b, 'o> {
    /// The transport's `read` into the buffer; the bytes it reports go to the slot.
    Read(&'b mut [MaybeUninit<u8>], &'o mut &'b [u8]),
    /// The transport's `write` (of `obuf`).
    Write,
    /// The transport's `close`.
    Close,
    /// The transport's `free_privctx(c->privctx)`.
    FreePrivctx,
    /// `c->free_privdata(c->privdata)`.
    FreePrivdata,
    /// `c->push_cb(c->privdata, reply)`.
    Push(*mut c_void),
}

impl Ctx {
    /// A handle on `c`; `None` for NULL.
    ///
    /// # Safety
    /// `c` is NULL or a live context made by this library (see [`super::init`]), and no
    /// other handle on it is in use by the caller's frame.
    pub(crate) unsafe fn from_raw(c: *mut redisContext) -> Option<Ctx> {
        NonNull::new(c).map(Ctx)
    }

    /// A new all-zero context block from the allocator hooks; `None` on OOM. (All-zero is a
    /// valid context: every pointer NULL.)
    pub(super) fn alloc() -> Option<Ctx> {
        NonNull::new(alloc::calloc_one::<redisContext>()).map(Ctx)
    }

    pub(crate) fn as_ptr(&self) -> *mut redisContext {
        self.0.as_ptr()
    }

    /// The pointer, for C (the handle is given up).
    pub(crate) fn into_raw(self) -> *mut redisContext {
        self.0.as_ptr()
    }

    /// The public struct, borrowed for as long as the handle is.
    pub(crate) fn ctx(&mut self) -> &mut redisContext {
        // SAFETY: the context is live (handle invariant) and the borrow is tied to `&mut
        // self`, so it ends before any method of the handle can call into C.
        unsafe { self.0.as_mut() }
    }

    /// The one place the sync context calls into C. Each function is read from its field
    /// right before its call and gets this context, or the data pointer C installed with it,
    /// besides its arguments; no Rust borrow of the context is alive across a call. `None`
    /// when the function is not set, else what it returned (0 for `void` functions).
    #[inline(always)]
    fn call_c(&mut self, call: CCall<'_, '_>) -> Option<isize> {
        let c = self.as_ptr();
        let cx = self.ctx();
        let (funcs, privctx, privdata) = (cx.funcs, cx.privctx, cx.privdata);
        let (free_privdata, push_cb) = (cx.free_privdata, cx.push_cb);
        // SAFETY: `funcs` is NULL or a table that outlives the context (the default one or
        // the transport's static table); only the hook picked below is copied out of it.
        let t = || unsafe { funcs.as_ref() };
        // The destructors: each gets the pointer C installed with it.
        let (destroy, data) = match call {
            CCall::Read(buf, out) => {
                let read = t()?.read?;
                let (p, cap) = (buf.as_mut_ptr() as *mut u8, buf.len());
                // SAFETY: the transport's read hook for this context, given `buf`, writable
                // for `cap` bytes.
                let n = unsafe { read(c, p as *mut c_char, cap) };
                if n >= 0 {
                    // SAFETY: the hook wrote the `n` bytes it reports (clamped to `cap`) at
                    // the start of `buf`, whose loan moves into the slice.
                    *out = unsafe { core::slice::from_raw_parts(p, (n as usize).min(cap)) };
                }
                return Some(n);
            }
            CCall::Write => {
                let write = t()?.write?;
                // SAFETY: the transport's write hook, given its own context (it sends `obuf`).
                return Some(unsafe { write(c) });
            }
            CCall::Close => {
                let close = t()?.close?;
                // SAFETY: the transport's close hook, given its own context.
                unsafe { close(c) };
                return Some(0);
            }
            CCall::Push(reply) => {
                let push = push_cb?;
                // SAFETY: C installed `push` for this context's pushes; it gets `privdata`
                // and a reply of the context's reader, which it then owns.
                unsafe { push(privdata, reply) };
                return Some(0);
            }
            CCall::FreePrivctx => (t()?.free_privctx, privctx),
            CCall::FreePrivdata => (free_privdata, privdata),
        };
        let destroy = destroy?;
        // SAFETY: `destroy` is the destructor installed with `data` (the transport's for its
        // `privctx`, C's for its `privdata`), given that pointer.
        unsafe { destroy(data) };
        Some(0)
    }

    /// `c->funcs->read` into `buf`: the bytes read (the start of `buf`); Err on an error
    /// (< 0) or without a hook.
    pub(crate) fn transport_read<'b>(
        &mut self,
        buf: &'b mut [MaybeUninit<u8>],
    ) -> Result<&'b [u8], ()> {
        let mut read: &[u8] = &[];
        match self.call_c(CCall::Read(buf, &mut read)) {
            Some(n) if n >= 0 => Ok(read),
            _ => Err(()),
        }
    }

    /// `c->funcs->write` of `obuf`: bytes written (< 0 on error), `None` without a hook.
    pub(crate) fn transport_write(&mut self) -> Option<isize> {
        self.call_c(CCall::Write)
    }

    /// `c->funcs->close`, if set.
    pub(crate) fn transport_close(&mut self) {
        self.call_c(CCall::Close);
    }

    /// `c->funcs->free_privctx(c->privctx)` when the hook is set (and, with `skip_null`,
    /// the pointer too); the field is cleared after.
    pub(crate) fn free_privctx(&mut self, skip_null: bool) {
        if skip_null && self.ctx().privctx.is_null() {
            return;
        }
        if self.call_c(CCall::FreePrivctx).is_some() {
            self.ctx().privctx = core::ptr::null_mut();
        }
    }

    /// `c->free_privdata(c->privdata)` when both are set.
    pub(crate) fn free_privdata(&mut self) {
        if !self.ctx().privdata.is_null() {
            self.call_c(CCall::FreePrivdata);
        }
    }

    /// Hands a RESP3 push to `c->push_cb` (the caller checked that one is set), which then
    /// owns it.
    pub(crate) fn run_push_cb(&mut self, reply: Reply) {
        self.call_c(CCall::Push(reply.into_raw()));
    }

    /// The context's reader, lent for as long as the handle is borrowed (`None` if NULL).
    #[inline(always)]
    fn reader(&mut self) -> Option<Reader<'_>> {
        let r = self.ctx().reader;
        // SAFETY: `reader` is NULL or the context's live reader (context invariant), which
        // only this handle reaches, and the loan is tied to `&mut self`.
        unsafe { Reader::from_raw(r) }
    }

    /// Feeds `bytes` to the context's reader.
    pub(crate) fn reader_feed(&mut self, bytes: &[u8]) -> bool {
        self.reader()
            .is_some_and(|mut rd| rd.feed(bytes) == REDIS_OK)
    }

    /// The context's reader struct (`None` if NULL), read-only, for as long as the handle is
    /// borrowed.
    #[inline(always)]
    fn reader_struct(&mut self) -> Option<&redisReader> {
        let r = self.ctx().reader;
        // SAFETY: `reader` is NULL or the context's live reader (context invariant); the
        // borrow is tied to `&mut self`, so no loan of the reader ([`Ctx::reader`]) overlaps it.
        unsafe { r.as_ref() }
    }

    /// The reader's error code and text (a copy of its NUL-terminated `errstr`); `None`
    /// without a reader (after an OOM, whose error the context already holds).
    pub(crate) fn reader_error(&mut self) -> Option<(c_int, [u8; 128])> {
        let r = self.reader_struct()?;
        let mut text = [0u8; 128];
        for (d, &s) in text.iter_mut().zip(r.errstr.iter()) {
            *d = s as u8;
        }
        Some((r.err, text))
    }

    /// The reader's object functions (NULL for the placeholder mode); `None` without a
    /// reader.
    #[inline(always)]
    fn reader_fns(&mut self) -> Option<*const redisReplyObjectFunctions> {
        self.reader_struct().map(|r| r.r#fn as *const _)
    }

    /// One step of the context's reader: the next complete reply, if there is one; Err on a
    /// reader error (which the caller copies into the context).
    pub(crate) fn read_reply(&mut self) -> Result<Option<Reply>, ()> {
        let mut out = ptr::null_mut();
        let got = match self.reader() {
            Some(mut rd) => rd.get_reply(Some(&mut out)),
            None => REDIS_ERR,
        };
        if got == REDIS_ERR {
            return Err(());
        }
        let tree = self.reader_fns().is_some_and(|f| !f.is_null());
        Ok(NonNull::new(out).map(|p| Reply { p, tree }))
    }

    /// Frees a reply with the reader's own destructor (`fn->freeObject`, which C may have
    /// replaced).
    pub(crate) fn free_reply(&mut self, reply: Reply) {
        if let Some(f) = self.reader_fns() {
            crate::reader::free_object(f, reply.into_raw());
        }
    }

    /// Frees `obuf` and the reader (`obuf` is left NULL, `reader` dangling: the caller
    /// replaces them or frees the context).
    pub(crate) fn drop_obuf_and_reader(&mut self) {
        if let Some(obuf) = self.take_obuf() {
            obuf.free();
        }
        let reader = self.ctx().reader;
        if !reader.is_null() {
            // SAFETY: the context's own reader, and the field is not read again before it is
            // replaced or the block freed.
            unsafe { crate::reader::free(reader) };
        }
    }

    /// Takes the output buffer out of the context (the field is NULL until [`Ctx::put_obuf`]
    /// stores it, or another, back): the sds methods then work on a handle nothing else
    /// reaches. (Not put back, it is lost to the context, which then acts as after an OOM.)
    pub(crate) fn take_obuf(&mut self) -> Option<Sds> {
        let p = core::mem::replace(&mut self.ctx().obuf, ptr::null_mut());
        // SAFETY: `obuf` is NULL or the context's live sds (context invariant), now reachable
        // only through this handle.
        unsafe { Sds::from_raw(p) }
    }

    /// Stores the output buffer back (NULL for `None`).
    pub(crate) fn put_obuf(&mut self, obuf: Option<Sds>) {
        self.ctx().obuf = obuf.map_or(ptr::null_mut(), Sds::into_raw);
    }

    /// Poisons and frees the block, like hiredis, so a use after free fails loudly.
    pub(crate) fn release(self) {
        let c = self.as_ptr();
        // SAFETY: the context's block from the allocator hooks; this consumes the last handle.
        unsafe {
            core::ptr::write_bytes(c as *mut u8, 0xff, core::mem::size_of::<redisContext>());
            alloc::free(c as *mut c_void);
        }
    }

    /// The length of the output buffer.
    pub(crate) fn obuf_len(&mut self) -> usize {
        crate::net::owned::obuf(self.ctx()).len()
    }

    /// Runs `f` on the output buffer, taken out of the context meanwhile and stored back
    /// after (growing may move it); `None` when there is none (after an OOM). What `f` is
    /// given cannot point into `obuf`: the handle is borrowed mutably while it runs.
    #[inline(always)]
    fn with_obuf<R>(&mut self, f: impl FnOnce(&mut Sds) -> R) -> Option<R> {
        let mut obuf = self.take_obuf()?;
        let r = f(&mut obuf);
        self.put_obuf(Some(obuf));
        Some(r)
    }

    /// Appends raw bytes to `obuf`; false on OOM (then `obuf` is unchanged).
    pub(crate) fn obuf_cat(&mut self, bytes: &[u8]) -> bool {
        self.with_obuf(|obuf| obuf.cat(bytes).is_ok()) == Some(true)
    }

    /// Appends the RESP encoding of `args` to `obuf`; false on OOM (`obuf` unchanged).
    pub(crate) fn obuf_argv<'a>(&mut self, args: impl Iterator<Item = &'a [u8]> + Clone) -> bool {
        self.with_obuf(|obuf| crate::format::append_argv_sds(obuf, args).is_some()) == Some(true)
    }

    /// Formats a command onto the end of `obuf`; the appended length, or the error.
    pub(crate) fn obuf_format(
        &mut self,
        fmt: &[u8],
        args: &mut dyn crate::format::ArgSource,
    ) -> Result<usize, crate::format::FormatError> {
        // The arguments' pointers are the ArgSource's promise (not into `obuf`). (Not
        // through `with_obuf`: the closure changes how the formatter is inlined, +2.6%
        // instructions per formatted command.)
        let Some(mut obuf) = self.take_obuf() else {
            return Err(crate::format::FormatError::Oom);
        };
        let r = crate::format::append_command_sds(&mut obuf, fmt, args);
        self.put_obuf(Some(obuf));
        r
    }

    /// Drops what was sent from `obuf`: all of it (kept when small, else replaced by an empty
    /// sds) or its first `n` bytes. False on OOM.
    pub(crate) fn obuf_consume(&mut self, n: usize, keep_below: usize) -> bool {
        let Some(mut obuf) = self.take_obuf() else {
            return false;
        };
        let len = obuf.len();
        let ok = if n >= len && obuf.alloc() <= keep_below {
            // All sent: a small buffer is kept for the next commands (hiredis swaps in a
            // new empty sds, which the next command has to grow again).
            obuf.clear();
            true
        } else if n >= len {
            obuf.free();
            let empty = Sds::empty();
            let ok = empty.is_some();
            self.put_obuf(empty);
            return ok;
        } else {
            obuf.range(n as isize, -1).is_ok()
        };
        self.put_obuf(Some(obuf));
        ok
    }
}

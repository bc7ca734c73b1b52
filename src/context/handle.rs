//! [`Ctx`], the handle through which the sync context code reaches a `redisContext`.
//!
//! As with the async engine's handle, field access goes through [`Ctx::ctx`], whose borrow
//! is tied to a borrow of the handle, and every call into C (the transport table
//! `c->funcs`, the push callback, the privdata destructor, the reader's functions) is a
//! method taking `&mut self`, so no Rust reference to the context is held across it. C code
//! called from here may read and write the context through its pointer, but not free it (no
//! hiredis API allows that from these hooks). The `unsafe` of the sync context lives here.

use core::ffi::{c_char, c_int, c_void};
use core::mem::MaybeUninit;
use core::ptr::NonNull;

use crate::abi::hiredis::{redisContext, redisContextFuncs, redisReply};
use crate::abi::read::{REDIS_ERR, REDIS_OK, REDIS_REPLY_PUSH, redisReader};
use crate::reader::Reader;
use crate::{alloc, sds};

/// A live sync context (or the sync half of an async one).
pub(crate) struct Ctx(NonNull<redisContext>);

impl Ctx {
    /// A handle on `c`; `None` for NULL.
    ///
    /// # Safety
    /// `c` is NULL or a live context made by this library (see [`super::init`]), and no
    /// other handle on it is in use by the caller's frame.
    pub(crate) unsafe fn from_raw(c: *mut redisContext) -> Option<Ctx> {
        NonNull::new(c).map(Ctx)
    }

    pub(crate) fn as_ptr(&self) -> *mut redisContext {
        self.0.as_ptr()
    }

    /// The public struct, borrowed for as long as the handle is.
    pub(crate) fn ctx(&mut self) -> &mut redisContext {
        // SAFETY: the context is live (handle invariant) and the borrow is tied to `&mut
        // self`, so it ends before any method of the handle can call into C.
        unsafe { self.0.as_mut() }
    }

    /// One hook of the transport table (`c->funcs`), copied out.
    fn hook<T>(&mut self, pick: impl FnOnce(&redisContextFuncs) -> Option<T>) -> Option<T> {
        // SAFETY: `funcs` is NULL or a table that outlives the context (the default one or
        // the transport's static table); only the picked value leaves this call.
        unsafe { self.ctx().funcs.as_ref() }.and_then(pick)
    }

    /// `c->funcs->read` into `buf`: the byte count (< 0 on error), `None` without a hook.
    pub(crate) fn transport_read(&mut self, buf: &mut [MaybeUninit<u8>]) -> Option<isize> {
        let read = self.hook(|f| f.read)?;
        // SAFETY: the transport's hook for this context; `buf` is writable for its length.
        Some(unsafe { read(self.as_ptr(), buf.as_mut_ptr() as *mut c_char, buf.len()) })
    }

    /// `c->funcs->write` of `obuf`: bytes written (< 0 on error), `None` without a hook.
    pub(crate) fn transport_write(&mut self) -> Option<isize> {
        let write = self.hook(|f| f.write)?;
        // SAFETY: the transport's hook for this context.
        Some(unsafe { write(self.as_ptr()) })
    }

    /// `c->funcs->close`, if set.
    pub(crate) fn transport_close(&mut self) {
        if let Some(close) = self.hook(|f| f.close) {
            // SAFETY: the transport's hook for this context.
            unsafe { close(self.as_ptr()) };
        }
    }

    /// `c->funcs->free_privctx(c->privctx)` when the hook is set (and, with `skip_null`,
    /// the pointer too); the field is cleared after.
    pub(crate) fn free_privctx(&mut self, skip_null: bool) {
        let pc = self.ctx().privctx;
        if skip_null && pc.is_null() {
            return;
        }
        if let Some(f) = self.hook(|f| f.free_privctx) {
            // SAFETY: the transport's destructor for the `privctx` it installed.
            unsafe { f(pc) };
            self.ctx().privctx = core::ptr::null_mut();
        }
    }

    /// `c->free_privdata(c->privdata)` when both are set.
    pub(crate) fn free_privdata(&mut self) {
        let (pd, f) = (self.ctx().privdata, self.ctx().free_privdata);
        if let (false, Some(f)) = (pd.is_null(), f) {
            // SAFETY: C installed `f` to release its `privdata`.
            unsafe { f(pd) };
        }
    }

    /// Hands a RESP3 push to `c->push_cb` (which then owns it). False when none is set.
    pub(crate) fn run_push_cb(&mut self, reply: *mut c_void) -> bool {
        let (f, pd) = (self.ctx().push_cb, self.ctx().privdata);
        let Some(f) = f else { return false };
        // SAFETY: C installed `f` for this context's pushes; it gets `privdata` and the reply.
        unsafe { f(pd, reply) };
        true
    }

    /// Feeds `bytes` to the context's reader.
    pub(crate) fn reader_feed(&mut self, bytes: &[u8]) -> bool {
        let r = self.ctx().reader;
        // SAFETY: `reader` is NULL or the context's live reader, lent only for this call.
        unsafe { Reader::from_raw(r) }.is_some_and(|mut rd| rd.feed(bytes) == REDIS_OK)
    }

    /// One step of the context's reader into `*out` (`redisReaderGetReply`).
    pub(crate) fn reader_get_reply(&mut self, out: &mut *mut c_void) -> c_int {
        *out = core::ptr::null_mut();
        let r = self.ctx().reader;
        // SAFETY: `reader` is NULL or the context's live reader, lent only for this call.
        match unsafe { Reader::from_raw(r) } {
            Some(mut rd) => rd.get_reply(Some(out)),
            None => REDIS_ERR,
        }
    }

    /// The reader's error code and text (a copy of its NUL-terminated `errstr`).
    pub(crate) fn reader_error(&mut self) -> (c_int, [u8; 128]) {
        // SAFETY: `reader` is the context's live reader (context invariant).
        let r: &redisReader = unsafe { &*self.ctx().reader };
        let mut text = [0u8; 128];
        for (d, &s) in text.iter_mut().zip(r.errstr.iter()) {
            *d = s as u8;
        }
        (r.err, text)
    }

    /// Whether `reply`, made by the context's reader, is a RESP3 push. Only asked of
    /// contexts whose reader builds `redisReply` trees (the push callback's contract).
    pub(crate) fn is_push(&mut self, reply: *mut c_void) -> bool {
        // SAFETY: a non-NULL reply from the reader with the default functions is a live
        // `redisReply` (hiredis reads `type` the same way here).
        unsafe { (*(reply as *const redisReply)).r#type == REDIS_REPLY_PUSH }
    }

    /// Frees `obuf` and the reader (the fields are left dangling: the caller replaces them
    /// or frees the context).
    pub(crate) fn drop_obuf_and_reader(&mut self) {
        let c = self.ctx();
        let (obuf, reader) = (c.obuf, c.reader);
        // SAFETY: both are the context's own (the sds or NULL, the reader or NULL), and
        // neither field is read again before it is replaced or the block freed.
        unsafe {
            sds::free(obuf);
            if !reader.is_null() {
                crate::reader::free(reader);
            }
        }
    }

    /// Frees the hook blocks the context owns: endpoint strings, timeouts, `saddr`.
    pub(crate) fn free_owned(&mut self) {
        let c = self.ctx();
        for p in [
            c.tcp.host as *mut c_void,
            c.tcp.source_addr as *mut c_void,
            c.unix_sock.path as *mut c_void,
            c.connect_timeout as *mut c_void,
            c.command_timeout as *mut c_void,
            c.saddr as *mut c_void,
        ] {
            // SAFETY: each is NULL or a hook block owned by the context, freed once here
            // (the context is released right after).
            unsafe { alloc::free(p) };
        }
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
        // SAFETY: `obuf` is the context's live sds (context invariant).
        unsafe { sds::len(self.ctx().obuf) }
    }

    /// Appends raw bytes to `obuf`; false on OOM (then `obuf` is unchanged).
    pub(crate) fn obuf_cat(&mut self, bytes: &[u8]) -> bool {
        let c = self.ctx();
        // SAFETY: `obuf` is the context's live sds; `bytes` cannot point into it (the handle
        // is borrowed mutably while `bytes` is alive).
        let grown = unsafe { sds::cat_len(c.obuf, bytes) };
        if grown.is_null() {
            return false;
        }
        c.obuf = grown;
        true
    }

    /// Appends the RESP encoding of `args` to `obuf`; false on OOM (`obuf` unchanged).
    pub(crate) fn obuf_argv<'a>(&mut self, args: impl Iterator<Item = &'a [u8]> + Clone) -> bool {
        let c = self.ctx();
        // SAFETY: `obuf` is the context's live sds, replaced by the live result; the
        // arguments are slices that cannot point into it (the handle is borrowed mutably).
        let (grown, r) = unsafe { crate::format::append_argv_sds(c.obuf, args) };
        c.obuf = grown;
        r.is_some()
    }

    /// Formats a command onto the end of `obuf`; the appended length, or the error.
    pub(crate) fn obuf_format(
        &mut self,
        fmt: &[u8],
        args: &mut dyn crate::format::ArgSource,
    ) -> Result<usize, crate::format::FormatError> {
        let c = self.ctx();
        // SAFETY: `obuf` is the context's live sds, replaced by the live result in every
        // case; the arguments' pointers are the ArgSource's promise (not into `obuf`).
        let (obuf, r) = unsafe { crate::format::append_command_sds(c.obuf, fmt, args) };
        c.obuf = obuf;
        r
    }

    /// Drops what was sent from `obuf`: all of it (kept when small, else replaced by an empty
    /// sds) or its first `n` bytes. False on OOM.
    pub(crate) fn obuf_consume(&mut self, n: usize, keep_below: usize) -> bool {
        let c = self.ctx();
        // SAFETY: `obuf` is the context's live sds; a freed one is replaced at once.
        unsafe {
            let len = sds::len(c.obuf);
            if n >= len && sds::alloc(c.obuf) <= keep_below {
                // All sent: a small buffer is kept for the next commands (hiredis swaps in a
                // new empty sds, which the next command has to grow again).
                sds::clear(c.obuf);
            } else if n >= len {
                sds::free(c.obuf);
                c.obuf = sds::empty();
                return !c.obuf.is_null();
            } else if sds::range(c.obuf, n as isize, -1) < 0 {
                return false;
            }
        }
        true
    }
}

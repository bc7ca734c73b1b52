//! The synchronous context (hiredis.c): creation and connection, appending commands,
//! reading replies, reconnecting and freeing.
//!
//! # Contract with the async layer (`async_context.rs`); names below are stable
//! * A context is ONE block from [`crate::alloc`] of exactly `size_of::<redisContext>()`
//!   bytes, zeroed at creation. The async layer may `alloc::realloc` it to
//!   `size_of::<redisAsyncContext>()` (the `c` member stays at offset 0) and later release it
//!   with [`free`], which frees only what the public fields point at, then the block.
//! * No Rust-owned state lives outside that block: everything the context owns is reachable
//!   from public fields and allocated through the hooks (obuf sds, reader, host/source/path
//!   strings, the two timeval copies, `saddr`). `REDIS_OPT_SET_SOCK_CLOEXEC` is remembered in
//!   `flags` as [`crate::net::HIRS_SOCK_CLOEXEC`] (a bit hiredis does not define).
//! * All I/O goes through `c->funcs` (`read`, `write`, `close`, `free_privctx`), so an SSL
//!   layer that swaps the table keeps working.
//! * Helpers for the async layer, all taking a raw `*mut redisContext` because user callbacks
//!   may touch the context in between (each mirrors the C export named in brackets, which
//!   may be called instead):
//!   - [`connect_with_options`]`(&redisOptions) -> *mut redisContext` [redisConnectWithOptions]:
//!     create + connect; with `REDIS_OPT_NONBLOCK` the connect is left in progress;
//!   - [`init`]`() -> *mut redisContext`: a bare unconnected context;
//!   - [`set_error`]`(c, kind, Option<&[u8]>)` [__redisSetError]: `None` takes errno's text;
//!   - [`buffer_read`]`(c)` [redisBufferRead]: one `funcs->read`, fed to the reader;
//!   - [`buffer_write`]`(c, Option<&mut c_int>)` [redisBufferWrite]: one `funcs->write`;
//!   - [`get_reply_from_reader`]`(c, *mut *mut c_void)` [redisGetReplyFromReader];
//!   - [`get_reply`]`(c, *mut *mut c_void)` [redisGetReply]: buffered only when non-blocking;
//!   - [`append_command`]`(c, &[u8])` [__redisAppendCommand], [`append_format`]`(c, fmt,
//!     &mut dyn ArgSource)` [redisvAppendCommand], [`append_argv`]`(c, argc, argv, lens)`
//!     [redisAppendCommandArgv];
//!   - [`reconnect`]`(c)` [redisReconnect], [`free`]`(c)` [redisFree], [`free_keep_fd`]`(c)`.
//!
//! The socket-level pieces (`close`, `read`, `write`, `check_socket_error`,
//! `set_tcp_no_delay`, `keep_alive`, `set_timeout`, ...) are in [`crate::net`] on
//! `&mut redisContext`.

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use crate::abi::hiredis::{
    REDIS_BLOCK, REDIS_CONN_TCP, REDIS_CONN_UNIX, REDIS_CONN_USERFD, REDIS_CONNECTED,
    REDIS_INVALID_FD, REDIS_NO_AUTO_FREE, REDIS_NO_AUTO_FREE_REPLIES, REDIS_OPT_NO_PUSH_AUTOFREE,
    REDIS_OPT_NOAUTOFREE, REDIS_OPT_NOAUTOFREEREPLIES, REDIS_OPT_NONBLOCK, REDIS_OPT_PREFER_IPV4,
    REDIS_OPT_PREFER_IPV6, REDIS_OPT_REUSEADDR, REDIS_OPT_SET_SOCK_CLOEXEC, REDIS_PREFER_IPV4,
    REDIS_PREFER_IPV6, REDIS_REUSEADDR, redisContext, redisContextFuncs, redisOptions, redisReply,
};
use crate::abi::read::{REDIS_ERR, REDIS_ERR_OTHER, REDIS_OK, REDIS_REPLY_PUSH, redisReader};
use crate::alloc;
use crate::net;
use crate::sds;

/// The reader's exports this module builds on.
mod deps {
    pub(super) use crate::ffi::read::{redisReaderFeed, redisReaderFree, redisReaderGetReply};
    pub(super) use crate::ffi::reply::{freeReplyObject, redisReaderCreate};
}

/// hiredis's default I/O table (`redisContextDefaultFuncs`). Writable, like hiredis's: the
/// public `funcs` field is a non-const pointer, so C code may patch the table in place.
pub(crate) static mut DEFAULT_FUNCS: redisContextFuncs = redisContextFuncs {
    close: Some(crate::ffi::net::redisNetClose),
    free_privctx: None,
    async_read: Some(crate::ffi::r#async::redisAsyncRead),
    async_write: Some(crate::ffi::r#async::redisAsyncWrite),
    read: Some(crate::ffi::net::redisNetRead),
    write: Some(crate::ffi::net::redisNetWrite),
};

/// The push handler sync contexts get by default: RESP3 pushes are dropped.
unsafe extern "C" fn push_auto_free(_privdata: *mut c_void, reply: *mut c_void) {
    // SAFETY: the reader handed us ownership of this reply.
    unsafe { deps::freeReplyObject(reply) }
}

/// `redisContextInit`: a zeroed context with the default table, an empty `obuf`, a fresh
/// reader and no socket. NULL on OOM.
pub(crate) fn init() -> *mut redisContext {
    let c = alloc::calloc_one::<redisContext>();
    if c.is_null() {
        return c;
    }
    // SAFETY: `c` is a fresh zeroed block of the right size; all-zero is a valid context.
    unsafe {
        (*c).funcs = &raw const DEFAULT_FUNCS;
        (*c).obuf = sds::empty();
        (*c).reader = deps::redisReaderCreate();
        (*c).fd = REDIS_INVALID_FD;
        if (*c).obuf.is_null() || (*c).reader.is_null() {
            free(c);
            return ptr::null_mut();
        }
    }
    c
}

/// `__redisSetError` on a raw context (see [`net::set_error`]).
///
/// # Safety
/// `c` is a live context.
pub(crate) unsafe fn set_error(c: *mut redisContext, kind: c_int, msg: Option<&[u8]>) {
    // `msg` may point into `c->errstr` itself (C callers pass it back): copy it out first.
    let mut copy = [0u8; 128];
    let msg = msg.map(|m| {
        let n = m.iter().position(|&b| b == 0).unwrap_or(m.len()).min(127);
        copy[..n].copy_from_slice(&m[..n]);
        &copy[..n]
    });
    // SAFETY: live context; `msg` no longer borrows from it.
    net::set_error(unsafe { &mut *c }, kind, msg);
}

/// Copies the reader's error into the context.
///
/// # Safety
/// `c` is a live context with a live reader.
unsafe fn set_error_from_reader(c: *mut redisContext) {
    // SAFETY: the reader is live; its errstr is a NUL-terminated array in the struct, and
    // set_error copies the text before touching the context.
    unsafe {
        let r: &redisReader = &*(*c).reader;
        let text = core::ffi::CStr::from_ptr(r.errstr.as_ptr()).to_bytes();
        set_error(c, r.err, Some(text));
    }
}

/// `redisConnectWithOptions`. Returns NULL only on OOM at creation or an unknown connection
/// type; every other failure is reported through `err`.
///
/// # Safety
/// The strings and timevals `o` points at are readable.
pub(crate) unsafe fn connect_with_options(o: &redisOptions) -> *mut redisContext {
    let c = init();
    if c.is_null() {
        return c;
    }
    // SAFETY: `c` is a live context owned here; no callback runs while `cx` is borrowed.
    let cx = unsafe { &mut *c };
    let opts = o.options;
    if opts & REDIS_OPT_NONBLOCK == 0 {
        cx.flags |= REDIS_BLOCK;
    }
    for (opt, flag) in [
        (REDIS_OPT_REUSEADDR, REDIS_REUSEADDR),
        (REDIS_OPT_NOAUTOFREE, REDIS_NO_AUTO_FREE),
        (REDIS_OPT_NOAUTOFREEREPLIES, REDIS_NO_AUTO_FREE_REPLIES),
        (REDIS_OPT_PREFER_IPV4, REDIS_PREFER_IPV4),
        (REDIS_OPT_PREFER_IPV6, REDIS_PREFER_IPV6),
        // Deliberate difference: hiredis stores this as REDIS_REUSEADDR's bit.
        (REDIS_OPT_SET_SOCK_CLOEXEC, net::HIRS_SOCK_CLOEXEC),
    ] {
        if opts & opt != 0 {
            cx.flags |= flag;
        }
    }
    if o.push_cb.is_some() {
        cx.push_cb = o.push_cb;
    } else if opts & REDIS_OPT_NO_PUSH_AUTOFREE == 0 {
        cx.push_cb = Some(push_auto_free);
    }
    cx.privdata = o.privdata;
    cx.free_privdata = o.free_privdata;

    // SAFETY: the timevals are readable (caller's promise).
    let copied = unsafe {
        (o.connect_timeout.is_null()
            || net::update_connect_timeout(cx, o.connect_timeout) == REDIS_OK)
            && (o.command_timeout.is_null()
                || net::update_command_timeout(cx, o.command_timeout) == REDIS_OK)
    };
    if !copied {
        net::oom(cx);
        return c;
    }

    match o.r#type {
        REDIS_CONN_TCP => {
            // SAFETY: reading the union member the type selects; strings per caller.
            unsafe {
                let t = o.endpoint.tcp;
                net::connect_tcp(cx, t.ip, t.port, o.connect_timeout, t.source_addr);
            }
        }
        REDIS_CONN_UNIX => {
            // SAFETY: as above.
            unsafe { net::connect_unix(cx, o.endpoint.unix_socket, o.connect_timeout) };
        }
        REDIS_CONN_USERFD => {
            // SAFETY: as above. `connection_type` stays TCP (0), as in hiredis.
            cx.fd = unsafe { o.endpoint.fd };
            cx.flags |= REDIS_CONNECTED;
        }
        _ => {
            // SAFETY: `c` is ours and unused afterwards.
            unsafe { free(c) };
            return ptr::null_mut();
        }
    }
    if cx.err == 0
        && cx.fd != REDIS_INVALID_FD
        && !o.command_timeout.is_null()
        && cx.flags & REDIS_BLOCK != 0
    {
        // SAFETY: readable (caller's promise).
        net::set_timeout(cx, unsafe { *o.command_timeout });
    }
    c
}

/// `redisFree`: closes through `funcs->close`, frees everything the context owns, runs the
/// privdata and privctx destructors, poisons and releases the block. NULL is a no-op.
///
/// # Safety
/// `c` is NULL or a live context, not used afterwards.
pub(crate) unsafe fn free(c: *mut redisContext) {
    if c.is_null() {
        return;
    }
    // SAFETY: live context; each hook gets the raw pointer and no Rust borrow is held across it.
    unsafe {
        close_io(c);
        for p in [
            (*c).tcp.host as *mut c_void,
            (*c).tcp.source_addr as *mut c_void,
            (*c).unix_sock.path as *mut c_void,
            (*c).connect_timeout as *mut c_void,
            (*c).command_timeout as *mut c_void,
            (*c).saddr as *mut c_void,
        ] {
            alloc::free(p);
        }
        if let (false, Some(dtor)) = ((*c).privdata.is_null(), (*c).free_privdata) {
            dtor((*c).privdata);
        }
        if let Some(free_privctx) = (*c).funcs.as_ref().and_then(|f| f.free_privctx) {
            free_privctx((*c).privctx);
        }
        // Poison, like hiredis, so use-after-free fails loudly.
        ptr::write_bytes(c as *mut u8, 0xff, core::mem::size_of::<redisContext>());
        alloc::free(c as *mut c_void);
    }
}

/// Closes the connection through `funcs->close` and frees the output buffer and the reader
/// (the pointers are left dangling: the caller frees the context or replaces them).
///
/// # Safety
/// `c` is a live context.
unsafe fn close_io(c: *mut redisContext) {
    // SAFETY: live context; the hook gets the raw pointer with no borrow held.
    unsafe {
        if let Some(close) = (*c).funcs.as_ref().and_then(|f| f.close) {
            close(c);
        }
        sds::free((*c).obuf);
        if !(*c).reader.is_null() {
            deps::redisReaderFree((*c).reader);
        }
    }
}

/// `redisFreeKeepFd`: frees the context but returns its descriptor, still open.
///
/// # Safety
/// As [`free`]; `c` is not NULL.
pub(crate) unsafe fn free_keep_fd(c: *mut redisContext) -> c_int {
    // SAFETY: live context.
    unsafe {
        let fd = (*c).fd;
        (*c).fd = REDIS_INVALID_FD;
        free(c);
        fd
    }
}

/// `redisReconnect`: drops the connection, pending output and partial input, then connects
/// again with the stored endpoint and connect timeout.
///
/// # Safety
/// `c` is a live context.
pub(crate) unsafe fn reconnect(c: *mut redisContext) -> c_int {
    // SAFETY: live context; hooks get the raw pointer with no borrow held.
    unsafe {
        (*c).err = 0;
        (*c).errstr = [0; 128];
        if !(*c).privctx.is_null() {
            if let Some(f) = (*c).funcs.as_ref().and_then(|f| f.free_privctx) {
                f((*c).privctx);
                (*c).privctx = ptr::null_mut();
            }
        }
        close_io(c);
        (*c).obuf = sds::empty();
        (*c).reader = deps::redisReaderCreate();
        let cx = &mut *c;
        if cx.obuf.is_null() || cx.reader.is_null() {
            net::oom(cx);
            return REDIS_ERR;
        }
        let ret = match cx.connection_type {
            REDIS_CONN_TCP => {
                let (h, p, t, s) = (
                    cx.tcp.host,
                    cx.tcp.port,
                    cx.connect_timeout,
                    cx.tcp.source_addr,
                );
                net::connect_tcp(cx, h, p, t, s)
            }
            REDIS_CONN_UNIX => {
                let (p, t) = (cx.unix_sock.path, cx.connect_timeout);
                net::connect_unix(cx, p, t)
            }
            _ => {
                net::set_error(
                    cx,
                    REDIS_ERR_OTHER,
                    Some(b"Not enough information to reconnect"),
                );
                REDIS_ERR
            }
        };
        if !cx.command_timeout.is_null() && cx.flags & REDIS_BLOCK != 0 && cx.fd != REDIS_INVALID_FD
        {
            let tv = *cx.command_timeout;
            net::set_timeout(cx, tv);
        }
        ret
    }
}

/// `redisBufferRead`: one `funcs->read` into a 16 KiB buffer, fed to the reader.
///
/// # Safety
/// `c` is a live context.
pub(crate) unsafe fn buffer_read(c: *mut redisContext) -> c_int {
    // Not zeroed: the read hook fills the first `n` bytes, and only those are fed.
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 16 * 1024];
    // SAFETY: live context; the read hook gets the raw pointer and our buffer; the reader
    // reads only the `n` bytes the hook reported as written.
    unsafe {
        if (*c).err != 0 {
            return REDIS_ERR;
        }
        let Some(read) = (*c).funcs.as_ref().and_then(|f| f.read) else {
            return REDIS_ERR;
        };
        let n = read(c, buf.as_mut_ptr() as *mut c_char, buf.len());
        if n < 0 {
            return REDIS_ERR;
        }
        let n = (n as usize).min(buf.len());
        if n > 0 && deps::redisReaderFeed((*c).reader, buf.as_ptr() as *const c_char, n) != REDIS_OK
        {
            set_error_from_reader(c);
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// The largest output buffer kept (emptied) once everything in it was written; larger ones
/// are released, as the reader does with `maxbuf`.
const OBUF_KEEP: usize = 16 * 1024;

/// `redisBufferWrite`: one `funcs->write` of `obuf`, dropping what was sent. `*done` (when
/// given) tells whether `obuf` is now empty.
///
/// # Safety
/// `c` is a live context.
pub(crate) unsafe fn buffer_write(c: *mut redisContext, done: Option<&mut c_int>) -> c_int {
    // SAFETY: live context; the write hook gets the raw pointer with no borrow held.
    unsafe {
        if (*c).err != 0 {
            return REDIS_ERR;
        }
        if sds::len((*c).obuf) > 0 {
            let Some(write) = (*c).funcs.as_ref().and_then(|f| f.write) else {
                return REDIS_ERR;
            };
            let n = write(c);
            if n < 0 {
                return REDIS_ERR;
            }
            let n = n as usize;
            if n > 0 {
                if n >= sds::len((*c).obuf) && sds::alloc((*c).obuf) <= OBUF_KEEP {
                    // All sent: a small buffer is kept for the next commands (hiredis swaps
                    // in a new empty sds, which the next command has to grow again).
                    sds::clear((*c).obuf);
                } else if n >= sds::len((*c).obuf) {
                    sds::free((*c).obuf);
                    (*c).obuf = sds::empty();
                    if (*c).obuf.is_null() {
                        net::oom(&mut *c);
                        return REDIS_ERR;
                    }
                } else if sds::range((*c).obuf, n as isize, -1) < 0 {
                    net::oom(&mut *c);
                    return REDIS_ERR;
                }
            }
        }
        if let Some(d) = done {
            *d = (sds::len((*c).obuf) == 0) as c_int;
        }
    }
    REDIS_OK
}

/// `redisGetReplyFromReader`: one reader step; a reader error is copied into the context.
///
/// # Safety
/// `c` is a live context; `reply` is writable.
pub(crate) unsafe fn get_reply_from_reader(c: *mut redisContext, reply: *mut *mut c_void) -> c_int {
    // SAFETY: live context and reader; `reply` per caller.
    unsafe {
        if deps::redisReaderGetReply((*c).reader, reply) == REDIS_ERR {
            set_error_from_reader(c);
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// Next reply that is not a RESP3 push handled by `push_cb` (which takes ownership of it).
///
/// # Safety
/// `c` is a live context; `reply` is writable.
unsafe fn next_in_band(c: *mut redisContext, reply: *mut *mut c_void) -> c_int {
    loop {
        // SAFETY: per caller; the push callback gets the reply and may touch the context.
        unsafe {
            if get_reply_from_reader(c, reply) == REDIS_ERR {
                return REDIS_ERR;
            }
            let r = *reply;
            let Some(cb) = (*c).push_cb else {
                return REDIS_OK;
            };
            if r.is_null() || (*(r as *const redisReply)).r#type != REDIS_REPLY_PUSH {
                return REDIS_OK;
            }
            cb((*c).privdata, r);
        }
    }
}

/// `redisGetReply`: a buffered reply if there is one; otherwise, when blocking, flush `obuf`
/// and read until a reply arrives. `reply == NULL` frees the reply.
///
/// # Safety
/// `c` is a live context; `reply` is NULL or writable.
pub(crate) unsafe fn get_reply(c: *mut redisContext, reply: *mut *mut c_void) -> c_int {
    let mut aux: *mut c_void = ptr::null_mut();
    // SAFETY: live context; see the callees.
    unsafe {
        if next_in_band(c, &mut aux) == REDIS_ERR {
            return REDIS_ERR;
        }
        if aux.is_null() && (*c).flags & REDIS_BLOCK != 0 {
            let mut done: c_int = 0;
            while done == 0 {
                if buffer_write(c, Some(&mut done)) == REDIS_ERR {
                    return REDIS_ERR;
                }
            }
            while aux.is_null() {
                if buffer_read(c) == REDIS_ERR || next_in_band(c, &mut aux) == REDIS_ERR {
                    return REDIS_ERR;
                }
            }
        }
        if reply.is_null() {
            deps::freeReplyObject(aux);
        } else {
            *reply = aux;
        }
    }
    REDIS_OK
}

/// `__redisAppendCommand`: appends raw protocol bytes to `obuf` (OOM sets err OOM).
///
/// # Safety
/// `c` is a live context.
pub(crate) unsafe fn append_command(c: *mut redisContext, cmd: &[u8]) -> c_int {
    // SAFETY: live context with a live obuf; on failure the old obuf stays valid.
    unsafe {
        let nb = sds::cat_len((*c).obuf, cmd);
        if nb.is_null() {
            net::oom(&mut *c);
            return REDIS_ERR;
        }
        (*c).obuf = nb;
    }
    REDIS_OK
}

/// `redisvAppendCommand`: formats straight into `obuf` (format error: OTHER "Invalid format
/// string"; OOM: OOM "Out of memory"; `obuf` keeps its content either way).
///
/// # Safety
/// `c` is a live context; `args` matches `fmt` (see [`crate::format::ArgSource`]).
pub(crate) unsafe fn append_format(
    c: *mut redisContext,
    fmt: &[u8],
    args: &mut dyn crate::format::ArgSource,
) -> c_int {
    // SAFETY: live context with a live obuf; the returned sds replaces it in every case.
    unsafe {
        let (s, r) = crate::format::append_command_sds((*c).obuf, fmt, args);
        (*c).obuf = s;
        match r {
            Ok(_) => REDIS_OK,
            Err(crate::format::FormatError::Invalid) => {
                set_error(c, REDIS_ERR_OTHER, Some(b"Invalid format string"));
                REDIS_ERR
            }
            Err(crate::format::FormatError::Oom) => {
                net::oom(&mut *c);
                REDIS_ERR
            }
        }
    }
}

/// `redisAppendCommandArgv`: formats the arguments straight into `obuf` (bad arguments or a
/// failed growth: OOM "Out of memory", `obuf` unchanged).
///
/// `args` is `None` when the C arguments were unusable.
///
/// # Safety
/// `c` is a live context; no argument points into `obuf`.
pub(crate) unsafe fn append_argv<'a>(
    c: *mut redisContext,
    args: Option<impl Iterator<Item = &'a [u8]> + Clone>,
) -> c_int {
    // SAFETY: forwarded caller promises; `obuf` is the context's live sds.
    unsafe {
        let Some(args) = args else {
            net::oom(&mut *c);
            return REDIS_ERR;
        };
        let (s, r) = crate::format::append_argv_sds((*c).obuf, args);
        (*c).obuf = s;
        if r.is_none() {
            net::oom(&mut *c);
            return REDIS_ERR;
        }
        REDIS_OK
    }
}

/// `__redisBlockForReply`: on a blocking context, the next reply (NULL on error).
///
/// # Safety
/// `c` is a live context.
pub(crate) unsafe fn block_for_reply(c: *mut redisContext) -> *mut c_void {
    let mut reply: *mut c_void = ptr::null_mut();
    // SAFETY: live context.
    unsafe {
        if (*c).flags & REDIS_BLOCK != 0 && get_reply(c, &mut reply) == REDIS_OK {
            return reply;
        }
    }
    ptr::null_mut()
}

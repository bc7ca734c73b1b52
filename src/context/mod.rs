//! The synchronous context (hiredis.c): creation and connection, appending commands,
//! reading replies, reconnecting and freeing.
//!
//! * A context is ONE block from [`crate::alloc`] of exactly `size_of::<redisContext>()`
//!   bytes, zeroed at creation. The async engine may `alloc::realloc` it to hold the async
//!   context (the `c` member stays at offset 0) and later release it with [`free`], which
//!   frees only what the public fields point at, then the block.
//! * No Rust-owned state lives outside that block: everything the context owns is reachable
//!   from public fields and allocated through the hooks (obuf sds, reader, host/source/path
//!   strings, the two timeval copies, `saddr`). `REDIS_OPT_SET_SOCK_CLOEXEC` is remembered in
//!   `flags` as [`crate::net::HIRS_SOCK_CLOEXEC`] (a bit hiredis does not define).
//! * All I/O goes through `c->funcs` (`read`, `write`, `close`, `free_privctx`), so an SSL
//!   layer that swaps the table keeps working.
//! * Everything works on a [`Ctx`] handle (`handle.rs`), which holds the calls into C and
//!   the sds byte work; this file is safe Rust (`unsafe_code` is denied). The C
//!   `redisOptions` is read once, by the exports, into [`Options`].
//! * The default transport table and the default push handler are the caller's: the
//!   exports pass their own (`redisNetRead` & co., and a handler that frees the push, as in
//!   hiredis) to [`connect`].
//!
//! The socket-level pieces (`close`, `read`, `write`, `check_socket_error`,
//! `set_tcp_no_delay`, `keep_alive`, `set_timeout`, ...) are in [`crate::net`] on
//! `&mut redisContext`.
#![deny(unsafe_code)]

use core::ffi::{CStr, c_int, c_void};
use core::ptr;

use crate::abi::hiredis::{
    REDIS_BLOCK, REDIS_CONN_TCP, REDIS_CONN_UNIX, REDIS_CONNECTED, REDIS_INVALID_FD,
    REDIS_NO_AUTO_FREE, REDIS_NO_AUTO_FREE_REPLIES, REDIS_OPT_NO_PUSH_AUTOFREE,
    REDIS_OPT_NOAUTOFREE, REDIS_OPT_NOAUTOFREEREPLIES, REDIS_OPT_NONBLOCK, REDIS_OPT_PREFER_IPV4,
    REDIS_OPT_PREFER_IPV6, REDIS_OPT_REUSEADDR, REDIS_OPT_SET_SOCK_CLOEXEC, REDIS_PREFER_IPV4,
    REDIS_PREFER_IPV6, REDIS_REUSEADDR, redisContextFuncs, redisFD, redisPushFnPtr,
};
use crate::abi::read::{REDIS_ERR, REDIS_ERR_OTHER, REDIS_OK, redisReader};
use crate::net;
use crate::net::owned::Block;
use crate::sds::Sds;

mod handle;
pub(crate) use handle::{Ctx, Reply};

/// What a context connects to (the C `redisOptions.endpoint` by `type`).
pub(crate) enum Endpoint<'a> {
    Tcp {
        ip: Option<&'a CStr>,
        port: c_int,
        source_addr: Option<&'a CStr>,
    },
    Unix(Option<&'a CStr>),
    /// An adopted descriptor (`redisConnectFd`).
    Fd(redisFD),
}

/// `redisOptions`, read: `endpoint` is `None` for an unknown type, the timeouts are copies.
pub(crate) struct Options<'a> {
    pub(crate) endpoint: Option<Endpoint<'a>>,
    pub(crate) options: c_int,
    pub(crate) connect_timeout: Option<libc::timeval>,
    pub(crate) command_timeout: Option<libc::timeval>,
    pub(crate) privdata: *mut c_void,
    pub(crate) free_privdata: crate::abi::VoidPtrFn,
    pub(crate) push_cb: redisPushFnPtr,
}

/// A new reader with the default reply functions (NULL on OOM).
fn reader_create() -> *mut redisReader {
    crate::reader::create_default()
}

/// `redisContextInit`: a zeroed context with the transport table `funcs`, an empty `obuf`, a
/// fresh reader and no socket. `None` on OOM.
pub(crate) fn init(funcs: *const redisContextFuncs) -> Option<Ctx> {
    let mut h = Ctx::alloc()?;
    let cx = h.ctx();
    cx.funcs = funcs;
    cx.obuf = Sds::empty().map_or(ptr::null_mut(), Sds::into_raw);
    cx.reader = reader_create();
    cx.fd = REDIS_INVALID_FD;
    if cx.obuf.is_null() || cx.reader.is_null() {
        free(h);
        return None;
    }
    Some(h)
}

/// `__redisSetError` (see [`net::set_error`]); `msg` is copied first, so it may be text the
/// caller read out of the context's own `errstr`.
pub(crate) fn set_error(c: &mut Ctx, kind: c_int, msg: Option<&[u8]>) {
    let mut copy = [0u8; 128];
    let msg = msg.map(|m| {
        let n = m.iter().position(|&b| b == 0).unwrap_or(m.len()).min(127);
        copy[..n].copy_from_slice(&m[..n]);
        &copy[..n]
    });
    net::set_error(c.ctx(), kind, msg);
}

/// Copies the reader's error into the context (without a reader, the context keeps the
/// error it got when creating one failed).
fn set_error_from_reader(c: &mut Ctx) {
    if let Some((kind, text)) = c.reader_error() {
        let n = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        set_error(c, kind, Some(&text[..n]));
    }
}

/// `redisConnectWithOptions`, with `funcs` as the context's default transport table and
/// `default_push` as its push handler when `o` sets none and does not ask for
/// `REDIS_OPT_NO_PUSH_AUTOFREE`. `None` only on OOM at creation or an unknown connection
/// type; every other failure is reported through `err`.
pub(crate) fn connect(
    o: &Options<'_>,
    funcs: *const redisContextFuncs,
    default_push: redisPushFnPtr,
) -> Option<Ctx> {
    let mut h = init(funcs)?;
    let cx = h.ctx();
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
        cx.push_cb = default_push;
    }
    cx.privdata = o.privdata;
    cx.free_privdata = o.free_privdata;

    let copied = o
        .connect_timeout
        .is_none_or(|tv| net::update_connect_timeout(cx, tv) == REDIS_OK)
        && o.command_timeout
            .is_none_or(|tv| net::update_command_timeout(cx, tv) == REDIS_OK);
    if !copied {
        net::oom(cx);
        return Some(h);
    }

    match o.endpoint {
        Some(Endpoint::Tcp {
            ip,
            port,
            source_addr,
        }) => {
            net::connect_tcp(cx, ip, port, o.connect_timeout, source_addr);
        }
        Some(Endpoint::Unix(path)) => {
            net::connect_unix(cx, path, o.connect_timeout);
        }
        Some(Endpoint::Fd(fd)) => {
            // `connection_type` stays TCP (0), as in hiredis.
            cx.fd = fd;
            cx.flags |= REDIS_CONNECTED;
        }
        None => {
            free(h);
            return None;
        }
    }
    if let Some(tv) = o.command_timeout {
        if cx.err == 0 && cx.fd != REDIS_INVALID_FD && cx.flags & REDIS_BLOCK != 0 {
            net::set_timeout(cx, tv);
        }
    }
    Some(h)
}

/// `redisFree`: closes through `funcs->close`, frees everything the context owns, runs the
/// privdata and privctx destructors, poisons and releases the block.
pub(crate) fn free(mut c: Ctx) {
    close_io(&mut c);
    // The hook blocks the context owns: endpoint strings, timeouts, `saddr`.
    for b in [
        Block::Host,
        Block::SourceAddr,
        Block::UnixPath,
        Block::ConnectTimeout,
        Block::CommandTimeout,
        Block::Saddr,
    ] {
        net::owned::free(c.ctx(), b);
    }
    c.free_privdata();
    c.free_privctx(false);
    c.release();
}

/// Closes the connection through `funcs->close` and frees the output buffer and the reader
/// (the pointers are left dangling: the caller frees the context or replaces them).
fn close_io(c: &mut Ctx) {
    c.transport_close();
    c.drop_obuf_and_reader();
}

/// `redisFreeKeepFd`: frees the context but returns its descriptor, still open.
pub(crate) fn free_keep_fd(mut c: Ctx) -> c_int {
    let fd = c.ctx().fd;
    c.ctx().fd = REDIS_INVALID_FD;
    free(c);
    fd
}

/// `redisReconnect`: drops the connection, pending output and partial input, then connects
/// again with the stored endpoint and connect timeout.
pub(crate) fn reconnect(c: &mut Ctx) -> c_int {
    let cx = c.ctx();
    cx.err = 0;
    cx.errstr = [0; 128];
    c.free_privctx(true);
    close_io(c);
    let cx = c.ctx();
    cx.obuf = Sds::empty().map_or(ptr::null_mut(), Sds::into_raw);
    cx.reader = reader_create();
    if cx.obuf.is_null() || cx.reader.is_null() {
        net::oom(cx);
        return REDIS_ERR;
    }
    let ret = match cx.connection_type {
        REDIS_CONN_TCP => net::reconnect_tcp(cx),
        REDIS_CONN_UNIX => net::reconnect_unix(cx),
        _ => {
            net::set_error(
                cx,
                REDIS_ERR_OTHER,
                Some(b"Not enough information to reconnect"),
            );
            REDIS_ERR
        }
    };
    if cx.flags & REDIS_BLOCK != 0 && cx.fd != REDIS_INVALID_FD {
        if let Some(tv) = net::command_timeout(cx) {
            net::set_timeout(cx, tv);
        }
    }
    ret
}

/// `redisBufferRead`: one `funcs->read` into a 16 KiB buffer, fed to the reader.
pub(crate) fn buffer_read(c: &mut Ctx) -> c_int {
    // Not zeroed: the read hook fills the first `n` bytes, and only those are fed.
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 16 * 1024];
    if c.ctx().err != 0 {
        return REDIS_ERR;
    }
    let Ok(bytes) = c.transport_read(&mut buf) else {
        return REDIS_ERR;
    };
    if !bytes.is_empty() && !c.reader_feed(bytes) {
        set_error_from_reader(c);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// The largest output buffer kept (emptied) once everything in it was written; larger ones
/// are released, as the reader does with `maxbuf`.
const OBUF_KEEP: usize = 16 * 1024;

/// `redisBufferWrite`: one `funcs->write` of `obuf`, dropping what was sent. `*done` (when
/// given) tells whether `obuf` is now empty.
pub(crate) fn buffer_write(c: &mut Ctx, done: Option<&mut c_int>) -> c_int {
    if c.ctx().err != 0 {
        return REDIS_ERR;
    }
    if c.obuf_len() > 0 {
        let Some(n) = c.transport_write() else {
            return REDIS_ERR;
        };
        if n < 0 {
            return REDIS_ERR;
        }
        if n > 0 && !c.obuf_consume(n as usize, OBUF_KEEP) {
            net::oom(c.ctx());
            return REDIS_ERR;
        }
    }
    if let Some(d) = done {
        *d = (c.obuf_len() == 0) as c_int;
    }
    REDIS_OK
}

/// `redisGetReplyFromReader`: one reader step into `*reply`; a reader error is copied into
/// the context.
pub(crate) fn get_reply_from_reader(c: &mut Ctx, reply: &mut *mut c_void) -> c_int {
    let (r, status) = match read_reply(c) {
        Ok(r) => (r.map_or(ptr::null_mut(), Reply::into_raw), REDIS_OK),
        Err(()) => (ptr::null_mut(), REDIS_ERR),
    };
    *reply = r;
    status
}

/// The next reply from the reader (`None`: more data needed); a reader error is copied into
/// the context.
fn read_reply(c: &mut Ctx) -> Result<Option<Reply>, ()> {
    c.read_reply().inspect_err(|_| set_error_from_reader(c))
}

/// Next reply that is not a RESP3 push handled by `push_cb` (which takes ownership of it).
fn next_in_band(c: &mut Ctx) -> Result<Option<Reply>, ()> {
    loop {
        let Some(r) = read_reply(c)? else {
            return Ok(None);
        };
        // As in hiredis, a reply is looked into only when there is a push callback.
        if c.ctx().push_cb.is_none() || !r.is_push() {
            return Ok(Some(r));
        }
        c.run_push_cb(r);
    }
}

/// `redisGetReply` on a handle: a buffered reply if there is one; otherwise, when blocking,
/// flush `obuf` and read until a reply arrives. `Ok(None)`: none yet (non-blocking).
pub(crate) fn next_reply(c: &mut Ctx) -> Result<Option<Reply>, ()> {
    let mut aux = next_in_band(c)?;
    if aux.is_none() && c.ctx().flags & REDIS_BLOCK != 0 {
        let mut done: c_int = 0;
        while done == 0 {
            if buffer_write(c, Some(&mut done)) == REDIS_ERR {
                return Err(());
            }
        }
        while aux.is_none() {
            if buffer_read(c) == REDIS_ERR {
                return Err(());
            }
            aux = next_in_band(c)?;
        }
    }
    Ok(aux)
}

/// `redisGetReply`: [`next_reply`], the reply stored in `*reply` (NULL if none yet), or
/// freed when `reply` is `None`.
pub(crate) fn get_reply(c: &mut Ctx, reply: Option<&mut *mut c_void>) -> c_int {
    let Ok(aux) = next_reply(c) else {
        return REDIS_ERR;
    };
    match (reply, aux) {
        (Some(out), aux) => *out = aux.map_or(ptr::null_mut(), Reply::into_raw),
        (None, Some(r)) => c.free_reply(r),
        (None, None) => {}
    }
    REDIS_OK
}

/// `__redisAppendCommand`: appends raw protocol bytes to `obuf` (OOM sets err OOM).
pub(crate) fn append_command(c: &mut Ctx, cmd: &[u8]) -> c_int {
    if !c.obuf_cat(cmd) {
        net::oom(c.ctx());
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `redisvAppendCommand`: formats straight into `obuf` (format error: OTHER "Invalid format
/// string"; OOM: OOM "Out of memory"; `obuf` keeps its content either way).
pub(crate) fn append_format(
    c: &mut Ctx,
    fmt: &[u8],
    args: &mut dyn crate::format::ArgSource,
) -> c_int {
    match c.obuf_format(fmt, args) {
        Ok(_) => REDIS_OK,
        Err(crate::format::FormatError::Invalid) => {
            set_error(c, REDIS_ERR_OTHER, Some(b"Invalid format string"));
            REDIS_ERR
        }
        Err(crate::format::FormatError::Oom) => {
            net::oom(c.ctx());
            REDIS_ERR
        }
    }
}

/// `redisAppendCommandArgv`: formats the arguments straight into `obuf` (bad arguments,
/// `None`, or a failed growth: OOM "Out of memory", `obuf` unchanged).
pub(crate) fn append_argv<'a>(
    c: &mut Ctx,
    args: Option<impl Iterator<Item = &'a [u8]> + Clone>,
) -> c_int {
    if !args.is_some_and(|args| c.obuf_argv(args)) {
        net::oom(c.ctx());
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `__redisBlockForReply`: on a blocking context, the next reply (NULL on error).
pub(crate) fn block_for_reply(c: &mut Ctx) -> *mut c_void {
    let mut reply: *mut c_void = ptr::null_mut();
    if c.ctx().flags & REDIS_BLOCK != 0 && get_reply(c, Some(&mut reply)) == REDIS_OK {
        return reply;
    }
    ptr::null_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::read::REDIS_ERR_OOM;

    /// A reconnect that ran out of memory leaves the reader NULL: asking for a reply then
    /// fails with the OOM error the context already holds.
    #[test]
    fn get_reply_without_a_reader_keeps_the_context_error() {
        let mut c = init(ptr::null()).expect("context");
        c.drop_obuf_and_reader();
        let cx = c.ctx();
        // (The obuf is already taken; the reader's pointer is left dangling.)
        cx.reader = ptr::null_mut();
        net::oom(cx);
        let mut reply: *mut c_void = ptr::null_mut();
        assert_eq!(get_reply(&mut c, Some(&mut reply)), REDIS_ERR);
        assert!(reply.is_null());
        let cx = c.ctx();
        assert_eq!(cx.err, REDIS_ERR_OOM);
        assert!(
            cx.errstr
                .starts_with(&b"Out of memory\0".map(|b| b as core::ffi::c_char))
        );
        free(c);
    }
}

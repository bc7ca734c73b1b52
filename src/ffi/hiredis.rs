//! `hiredis.h`: replies, options, the synchronous context and its functions.

use crate::abi::hiredis::{
    REDIS_BLOCK, REDIS_CONN_TCP, REDIS_CONN_UNIX, REDIS_CONN_USERFD, REDIS_INVALID_FD,
    REDIS_KEEPALIVE_INTERVAL, REDIS_OPT_NONBLOCK, REDIS_OPT_REUSEADDR, redisContext, redisFD,
    redisOptions, redisOptionsEndpoint, redisOptionsTcp, redisPushFnPtr,
};
use core::ffi::{CStr, c_char, c_int, c_void};

// ---------------------------------------------------------------------------------------------
// The synchronous API. Each export checks its pointers and calls one function of
// `crate::context` or `crate::net`. Where hiredis would dereference a NULL context these
// return NULL / REDIS_ERR instead.

use core::ptr;

use crate::abi::read::{REDIS_ERR, REDIS_OK};
use crate::context::{self, Ctx, Endpoint, Options};

/// Reads a C `redisOptions` into [`Options`]: the endpoint member `o.type` selects (`None`
/// for an unknown type), its strings borrowed, the timevals copied.
///
/// # Safety
/// The endpoint member `o.type` selects is the one set; its strings are NULL or C strings
/// that outlive the borrow of `o`, and the timevals NULL or readable.
pub(crate) unsafe fn options(o: &redisOptions) -> Options<'_> {
    // SAFETY: the caller's promise above; the strings are borrowed no longer than `o`.
    unsafe {
        let cstr = |p: *const c_char| (!p.is_null()).then(|| CStr::from_ptr(p));
        Options {
            endpoint: match o.r#type {
                REDIS_CONN_TCP => Some(Endpoint::Tcp {
                    ip: cstr(o.endpoint.tcp.ip),
                    port: o.endpoint.tcp.port,
                    source_addr: cstr(o.endpoint.tcp.source_addr),
                }),
                REDIS_CONN_UNIX => Some(Endpoint::Unix(cstr(o.endpoint.unix_socket))),
                REDIS_CONN_USERFD => Some(Endpoint::Fd(o.endpoint.fd)),
                _ => None,
            },
            options: o.options,
            connect_timeout: o.connect_timeout.as_ref().copied(),
            command_timeout: o.command_timeout.as_ref().copied(),
            privdata: o.privdata,
            free_privdata: o.free_privdata,
            push_cb: o.push_cb,
        }
    }
}

/// The push handler sync contexts get by default: RESP3 pushes are freed.
///
/// # Safety
/// `reply` is NULL or a reply of the default reply functions, given up by the caller.
unsafe extern "C" fn push_auto_free(_privdata: *mut c_void, reply: *mut c_void) {
    // SAFETY: the caller's promise (the context hands over the push it read).
    unsafe { crate::reader::free_reply(reply) }
}

/// `redisConnectWithOptions` with the default transport table and push handler: NULL on OOM
/// at creation or for an unknown type.
///
/// # Safety
/// As for [`options`].
unsafe fn connect(o: &redisOptions) -> *mut redisContext {
    // SAFETY: forwarded caller promise.
    let o = unsafe { options(o) };
    let funcs = super::net::default_funcs();
    context::connect(&o, funcs, Some(push_auto_free)).map_or(ptr::null_mut(), Ctx::into_raw)
}

/// Options for a TCP endpoint, as hiredis's wrappers build them.
/// The options of the `redisConnect*`/`redisAsyncConnect*` shorthands for TCP.
pub(crate) fn tcp_options(
    ip: *const c_char,
    port: c_int,
    source: *const c_char,
    options: c_int,
) -> redisOptions {
    redisOptions {
        r#type: REDIS_CONN_TCP,
        options,
        connect_timeout: ptr::null(),
        command_timeout: ptr::null(),
        endpoint: redisOptionsEndpoint {
            tcp: redisOptionsTcp {
                source_addr: source,
                ip,
                port,
            },
        },
        privdata: ptr::null_mut(),
        free_privdata: None,
        push_cb: None,
        async_push_cb: None,
    }
}

/// The options of the unix-socket shorthands.
pub(crate) fn unix_options(path: *const c_char, options: c_int) -> redisOptions {
    let mut o = tcp_options(ptr::null(), 0, ptr::null(), options);
    o.r#type = REDIS_CONN_UNIX;
    o.endpoint = redisOptionsEndpoint { unix_socket: path };
    o
}

/// `redisConnectWithOptions`: NULL only on allocation failure or an unknown `type`;
/// connection errors are reported in `err`/`errstr`.
///
/// # Safety
/// `options` is a valid pointer; the strings and timevals it points at are readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectWithOptions(
    options: *const redisOptions,
) -> *mut redisContext {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { options.as_ref() } {
        // SAFETY: the strings and timevals `o` points at are readable (caller's promise).
        Some(o) => unsafe { connect(o) },
        None => ptr::null_mut(),
    }
}

/// `redisConnect`: blocking TCP connection.
///
/// # Safety
/// `ip` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnect(ip: *const c_char, port: c_int) -> *mut redisContext {
    // SAFETY: forwarded promise.
    unsafe { connect(&tcp_options(ip, port, ptr::null(), 0)) }
}

/// `redisConnectWithTimeout`: blocking TCP connection with a connect timeout.
///
/// # Safety
/// `ip` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectWithTimeout(
    ip: *const c_char,
    port: c_int,
    tv: libc::timeval,
) -> *mut redisContext {
    let mut o = tcp_options(ip, port, ptr::null(), 0);
    o.connect_timeout = &tv;
    // SAFETY: forwarded promise; `tv` outlives the call.
    unsafe { connect(&o) }
}

/// `redisConnectNonBlock`.
///
/// # Safety
/// `ip` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectNonBlock(ip: *const c_char, port: c_int) -> *mut redisContext {
    // SAFETY: forwarded promise.
    unsafe { connect(&tcp_options(ip, port, ptr::null(), REDIS_OPT_NONBLOCK)) }
}

/// `redisConnectBindNonBlock`: non-blocking, bound to `source_addr`.
///
/// # Safety
/// `ip` and `source_addr` are C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectBindNonBlock(
    ip: *const c_char,
    port: c_int,
    source_addr: *const c_char,
) -> *mut redisContext {
    // SAFETY: forwarded promise.
    unsafe { connect(&tcp_options(ip, port, source_addr, REDIS_OPT_NONBLOCK)) }
}

/// `redisConnectBindNonBlockWithReuse`: as above plus `REDIS_OPT_REUSEADDR`.
///
/// # Safety
/// `ip` and `source_addr` are C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectBindNonBlockWithReuse(
    ip: *const c_char,
    port: c_int,
    source_addr: *const c_char,
) -> *mut redisContext {
    let o = tcp_options(
        ip,
        port,
        source_addr,
        REDIS_OPT_NONBLOCK | REDIS_OPT_REUSEADDR,
    );
    // SAFETY: forwarded promise.
    unsafe { connect(&o) }
}

/// `redisConnectUnix`.
///
/// # Safety
/// `path` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectUnix(path: *const c_char) -> *mut redisContext {
    // SAFETY: forwarded promise.
    unsafe { connect(&unix_options(path, 0)) }
}

/// `redisConnectUnixWithTimeout`.
///
/// # Safety
/// `path` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectUnixWithTimeout(
    path: *const c_char,
    tv: libc::timeval,
) -> *mut redisContext {
    let mut o = unix_options(path, 0);
    o.connect_timeout = &tv;
    // SAFETY: forwarded promise; `tv` outlives the call.
    unsafe { connect(&o) }
}

/// `redisConnectUnixNonBlock`.
///
/// # Safety
/// `path` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisConnectUnixNonBlock(path: *const c_char) -> *mut redisContext {
    // SAFETY: forwarded promise.
    unsafe { connect(&unix_options(path, REDIS_OPT_NONBLOCK)) }
}

/// `redisConnectFd`: a blocking context over a descriptor the caller already connected.
#[unsafe(no_mangle)]
pub extern "C" fn redisConnectFd(fd: redisFD) -> *mut redisContext {
    let mut o = tcp_options(ptr::null(), 0, ptr::null(), 0);
    o.r#type = REDIS_CONN_USERFD;
    o.endpoint = redisOptionsEndpoint { fd };
    // SAFETY: no strings or timevals are referenced.
    unsafe { connect(&o) }
}

/// `redisReconnect`: closes and reconnects with the stored endpoint; pending I/O is lost.
///
/// # Safety
/// `c` is a valid pointer to a library context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReconnect(c: *mut redisContext) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    context::reconnect(&mut c)
}

/// `redisSetPushCallback`: installs `fn_` (NULL: pushes come in-band); returns the old one.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisSetPushCallback(
    c: *mut redisContext,
    r#fn: redisPushFnPtr,
) -> redisPushFnPtr {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => core::mem::replace(&mut c.push_cb, r#fn),
        None => None,
    }
}

/// `redisSetTimeout`: the command timeout of a blocking context (REDIS_ERR, no error set,
/// on a non-blocking one).
///
/// # Safety
/// `c` is a valid pointer to a library context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisSetTimeout(c: *mut redisContext, tv: libc::timeval) -> c_int {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) if c.flags & REDIS_BLOCK != 0 => crate::net::set_timeout(c, tv),
        _ => REDIS_ERR,
    }
}

/// `redisEnableKeepAlive`: keepalive with `REDIS_KEEPALIVE_INTERVAL`.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisEnableKeepAlive(c: *mut redisContext) -> c_int {
    // SAFETY: forwarded promise.
    unsafe { crate::ffi::net::redisKeepAlive(c, REDIS_KEEPALIVE_INTERVAL) }
}

/// `redisEnableKeepAliveWithInterval`.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisEnableKeepAliveWithInterval(
    c: *mut redisContext,
    interval: c_int,
) -> c_int {
    // SAFETY: forwarded promise.
    unsafe { crate::ffi::net::redisKeepAlive(c, interval) }
}

/// `redisSetTcpUserTimeout` (milliseconds); on failure the socket is closed.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisSetTcpUserTimeout(
    c: *mut redisContext,
    timeout: core::ffi::c_uint,
) -> c_int {
    // SAFETY: forwarded promise.
    unsafe { crate::ffi::net::redisContextSetTcpUserTimeout(c, timeout) }
}

/// `redisFree`. NULL is a no-op.
///
/// # Safety
/// `c` is NULL or a library context, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFree(c: *mut redisContext) {
    // SAFETY: caller's promise (NULL or a library context, not used afterwards).
    if let Some(c) = unsafe { Ctx::from_raw(c) } {
        context::free(c);
    }
}

/// `redisFreeKeepFd`: frees the context and returns its still-open descriptor
/// (-1 for NULL, where hiredis would crash).
///
/// # Safety
/// `c` is NULL or a library context, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFreeKeepFd(c: *mut redisContext) -> redisFD {
    // SAFETY: caller's promise (a library context).
    let Some(c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_INVALID_FD;
    };
    context::free_keep_fd(c)
}

/// `redisBufferRead`: one read from the socket, fed to the reader.
///
/// # Safety
/// `c` is a valid pointer to a library context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisBufferRead(c: *mut redisContext) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    context::buffer_read(&mut c)
}

/// `redisBufferWrite`: one write of the output buffer; `*done` = output buffer empty.
///
/// # Safety
/// `c` is a valid pointer to a library context; `done` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisBufferWrite(c: *mut redisContext, done: *mut c_int) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    // SAFETY: `done` is NULL or writable (caller's promise).
    context::buffer_write(&mut c, unsafe { done.as_mut() })
}

/// `redisGetReply`: the next reply (blocking contexts wait for it); NULL `reply` frees it.
///
/// # Safety
/// `c` is a valid pointer to a library context; `reply` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisGetReply(c: *mut redisContext, reply: *mut *mut c_void) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    // SAFETY: `reply` is NULL or writable (caller's promise).
    context::get_reply(&mut c, unsafe { reply.as_mut() })
}

/// `redisGetReplyFromReader`: one step of the reader, errors copied into the context.
///
/// # Safety
/// `c` is a valid pointer to a library context; `reply` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisGetReplyFromReader(
    c: *mut redisContext,
    reply: *mut *mut c_void,
) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    let mut tmp: *mut c_void = ptr::null_mut();
    // SAFETY: `reply` is NULL or writable (caller's promise).
    let out = unsafe { reply.as_mut() }.unwrap_or(&mut tmp);
    let r = context::get_reply_from_reader(&mut c, out);
    if reply.is_null() && !tmp.is_null() {
        // hiredis would write through NULL; we drop the reply instead.
        // SAFETY: the reply is ours.
        unsafe { crate::reader::free_reply(tmp) };
    }
    r
}

/// `redisAppendFormattedCommand`: appends an already formatted command.
///
/// # Safety
/// `c` is a valid pointer to a library context; `(cmd, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAppendFormattedCommand(
    c: *mut redisContext,
    cmd: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe { __redisAppendCommand(c, cmd, len) }
}

/// `__redisAppendCommand` (exported, declared nowhere): appends raw bytes to `obuf`.
///
/// # Safety
/// `c` is a valid pointer to a library context; `(cmd, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __redisAppendCommand(
    c: *mut redisContext,
    cmd: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: caller's promise.
    let Some(bytes) = (unsafe { super::args::bytes(cmd as *const u8, len) }) else {
        return REDIS_ERR;
    };
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    context::append_command(&mut c, bytes)
}

/// `__redisSetError` (exported, declared nowhere; the SSL library uses it). A NULL `str`
/// takes the text of `errno`.
///
/// # Safety
/// `c` is a valid pointer to a context; `str` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __redisSetError(c: *mut redisContext, r#type: c_int, str: *const c_char) {
    // SAFETY: caller's promise (a context of this library).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return;
    };
    // SAFETY: `str` is a C string (caller's promise); it may be the context's own `errstr`,
    // which set_error copies before it writes.
    context::set_error(&mut c, r#type, unsafe { super::args::cstr(str) })
}

/// `redisAppendCommandArgv`: formats `argv` and appends it.
///
/// # Safety
/// `c` is a valid pointer to a library context; `argv` holds `argc` C strings (or buffers
/// of `argvlen[i]` bytes when `argvlen` is not NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAppendCommandArgv(
    c: *mut redisContext,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    // SAFETY: `argv`/`argvlen` hold `argc` valid buffers or C strings (caller's promise).
    let args = unsafe { crate::ffi::format::c_argv(argc, argv, argvlen) };
    context::append_argv(&mut c, args)
}

/// `redisCommandArgv`: append, then (blocking contexts) wait for the reply.
///
/// # Safety
/// As [`redisAppendCommandArgv`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisCommandArgv(
    c: *mut redisContext,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> *mut c_void {
    // SAFETY: caller's promises, forwarded.
    if unsafe { redisAppendCommandArgv(c, argc, argv, argvlen) } != REDIS_OK {
        return ptr::null_mut();
    }
    // SAFETY: `c` is a library context (it took the command).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return ptr::null_mut();
    };
    context::block_for_reply(&mut c)
}

/// Called by `redisvAppendCommand` in `variadic.c`: format, then append.
///
/// # Safety
/// `c` is a valid pointer to a library context; `format` a C string whose directives match
/// the arguments behind `args`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_append_command(
    c: *mut redisContext,
    format: *const c_char,
    args: *mut crate::ffi::variadic::hirs_args,
) -> c_int {
    // SAFETY: caller's promise (a library context).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return REDIS_ERR;
    };
    // A NULL format would crash hiredis; report it as an invalid format.
    // SAFETY: the caller promises a C string.
    let Some(fmt) = (unsafe { super::args::cstr(format) }) else {
        context::set_error(
            &mut c,
            crate::abi::read::REDIS_ERR_OTHER,
            Some(b"Invalid format string"),
        );
        return REDIS_ERR;
    };
    // SAFETY: `args` wraps the caller's va_list, whose values match `format`; its `%s`/`%b`
    // arguments are the caller's buffers, never the context's `obuf`.
    let mut va = unsafe { crate::ffi::variadic::VaArgs::new(args) };
    context::append_format(&mut c, fmt, &mut va)
}

/// Called by `redisvCommand` in `variadic.c`: format, append, and (blocking contexts) wait
/// for the reply.
///
/// # Safety
/// As [`hirs_append_command`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_command(
    c: *mut redisContext,
    format: *const c_char,
    args: *mut crate::ffi::variadic::hirs_args,
) -> *mut c_void {
    // SAFETY: forwarded promises.
    if unsafe { hirs_append_command(c, format, args) } != REDIS_OK {
        return ptr::null_mut();
    }
    // SAFETY: `c` is a library context (it took the command).
    let Some(mut c) = (unsafe { Ctx::from_raw(c) }) else {
        return ptr::null_mut();
    };
    context::block_for_reply(&mut c)
}

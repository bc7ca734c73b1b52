//! `async.h`: the asynchronous context and its functions.

use crate::abi::r#async::{
    redisAsyncContext, redisCallbackFnPtr, redisConnectCallbackNCPtr, redisConnectCallbackPtr,
    redisDisconnectCallbackPtr,
};
use crate::abi::hiredis::redisAsyncPushFnPtr;
use core::ffi::{c_char, c_int, c_void};

// ---------------------------------------------------------------------------------------------
// Exports. Each checks its pointers, converts, and calls one function of `async_context`.
// Where hiredis would dereference NULL, these return the failure value instead.

use crate::abi::hiredis::{REDIS_OPT_REUSEADDR, redisOptions};
use crate::abi::read::{REDIS_ERR, REDIS_OK};
use crate::async_context::{self as engine, Ac};
use crate::ffi::hiredis::{tcp_options, unix_options};

/// `engine::connect` on the C options with the default transport table.
///
/// # Safety
/// As for [`super::hiredis::options`].
unsafe fn connect(o: &redisOptions) -> *mut redisAsyncContext {
    // SAFETY: forwarded caller promise.
    let opts = unsafe { super::hiredis::options(o) };
    engine::connect(opts, o.async_push_cb, super::net::default_funcs())
}

/// Connects with `options`; the returned context is released with `redisAsyncFree`.
///
/// # Safety
/// `options` is a valid pointer to options whose strings are C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncConnectWithOptions(
    options: *const redisOptions,
) -> *mut redisAsyncContext {
    // SAFETY: caller's promise; NULL options return NULL (hiredis would crash).
    let Some(o) = (unsafe { options.as_ref() }) else {
        return core::ptr::null_mut();
    };
    // SAFETY: `o` is a valid options struct whose strings are C strings.
    unsafe { connect(o) }
}

/// # Safety
/// `ip` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncConnect(
    ip: *const c_char,
    port: c_int,
) -> *mut redisAsyncContext {
    let o = tcp_options(ip, port, core::ptr::null(), 0);
    // SAFETY: `o` is valid; the strings are the caller's.
    unsafe { connect(&o) }
}

/// # Safety
/// `ip` and `source_addr` are C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncConnectBind(
    ip: *const c_char,
    port: c_int,
    source_addr: *const c_char,
) -> *mut redisAsyncContext {
    let o = tcp_options(ip, port, source_addr, 0);
    // SAFETY: as in `redisAsyncConnect`.
    unsafe { connect(&o) }
}

/// # Safety
/// `ip` and `source_addr` are C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncConnectBindWithReuse(
    ip: *const c_char,
    port: c_int,
    source_addr: *const c_char,
) -> *mut redisAsyncContext {
    let o = tcp_options(ip, port, source_addr, REDIS_OPT_REUSEADDR);
    // SAFETY: as in `redisAsyncConnect`.
    unsafe { connect(&o) }
}

/// # Safety
/// `path` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncConnectUnix(path: *const c_char) -> *mut redisAsyncContext {
    let o = unix_options(path, 0);
    // SAFETY: as in `redisAsyncConnect`.
    unsafe { connect(&o) }
}

/// # Safety
/// `ac` is a library object (or NULL, which fails).
unsafe fn set_connect_cb(
    ac: *mut redisAsyncContext,
    plain: redisConnectCallbackPtr,
    nc: redisConnectCallbackNCPtr,
) -> c_int {
    // SAFETY: caller's promise.
    match unsafe { Ac::from_raw(ac) } {
        Some(ac) => engine::set_connect_cb(ac, plain, nc),
        None => REDIS_ERR,
    }
}

/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncSetConnectCallback(
    ac: *mut redisAsyncContext,
    r#fn: redisConnectCallbackPtr,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe { set_connect_cb(ac, r#fn, None) }
}

/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncSetConnectCallbackNC(
    ac: *mut redisAsyncContext,
    r#fn: redisConnectCallbackNCPtr,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe { set_connect_cb(ac, None, r#fn) }
}

/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncSetDisconnectCallback(
    ac: *mut redisAsyncContext,
    r#fn: redisDisconnectCallbackPtr,
) -> c_int {
    // SAFETY: caller's promise.
    let Some(a) = (unsafe { ac.as_mut() }) else {
        return REDIS_ERR;
    };
    if a.onDisconnect.is_some() {
        return REDIS_ERR;
    }
    a.onDisconnect = r#fn;
    REDIS_OK
}

/// Stores the push callback and returns the previous one.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncSetPushCallback(
    ac: *mut redisAsyncContext,
    r#fn: redisAsyncPushFnPtr,
) -> redisAsyncPushFnPtr {
    // SAFETY: caller's promise.
    let a = unsafe { ac.as_mut() }?;
    core::mem::replace(&mut a.push_cb, r#fn)
}

/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncSetTimeout(
    ac: *mut redisAsyncContext,
    tv: libc::timeval,
) -> c_int {
    // SAFETY: caller's promise.
    match unsafe { Ac::from_raw(ac) } {
        Some(ac) => engine::set_timeout(ac, tv),
        None => REDIS_ERR,
    }
}

/// Clean disconnect once pending replies are in (immediately when none are).
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncDisconnect(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        let _ = engine::disconnect(ac);
    }
}

/// Frees the context (deferred when called from a callback). NULL is a no-op.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncFree(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        let _ = engine::free(ac);
    }
}

/// hiredis internal (`async_private.h`), exported: disconnect now.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __redisAsyncDisconnect(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        let _ = engine::disconnect_now(ac);
    }
}

/// hiredis internal (`async_private.h`), exported: dispatch buffered replies.
///
/// # Safety
/// `ac` is a library object, not inside one of its callbacks.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisProcessCallbacks(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(mut ac) = unsafe { Ac::from_raw(ac) } {
        // Re-entry from a callback is ignored.
        if ac.flags() & crate::abi::hiredis::REDIS_IN_CALLBACK == 0 {
            let _ = engine::process_callbacks(ac);
        }
    }
}

/// Socket readable.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncHandleRead(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        engine::handle_read(ac);
    }
}

/// Socket writable.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncHandleWrite(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        engine::handle_write(ac);
    }
}

/// Timer expired.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncHandleTimeout(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        let _ = engine::handle_timeout(ac);
    }
}

/// The default `funcs->async_read`.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncRead(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        let _ = engine::async_read(ac);
    }
}

/// The default `funcs->async_write`.
///
/// # Safety
/// `ac` is a library object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncWrite(ac: *mut redisAsyncContext) {
    // SAFETY: caller's promise.
    if let Some(ac) = unsafe { Ac::from_raw(ac) } {
        let _ = engine::async_write(ac);
    }
}

/// Queues a command given as an argument vector (`argvlen` NULL means C strings).
///
/// # Safety
/// `ac` is a library object; `argv` holds `argc` pointers, each a valid buffer of
/// `argvlen[i]` bytes (or a C string when `argvlen` is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncCommandArgv(
    ac: *mut redisAsyncContext,
    r#fn: redisCallbackFnPtr,
    privdata: *mut c_void,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_int {
    // SAFETY: caller's promise.
    let Some(ac) = (unsafe { Ac::from_raw(ac) }) else {
        return REDIS_ERR;
    };
    if argc <= 0 {
        return REDIS_ERR;
    }
    // hiredis would crash on a NULL argument; refuse the command instead.
    // SAFETY: the caller promises `argc` entries in `argv` (and `argvlen`), each a valid
    // buffer or C string that outlives the call.
    let Some(args) = (unsafe { crate::ffi::format::c_argv(argc, argv.cast_const(), argvlen) })
    else {
        return REDIS_ERR;
    };
    engine::argv_command(
        ac,
        engine::ReplyCallback::new(r#fn, privdata),
        argc as usize,
        args,
    )
}

/// Queues a pre-formatted RESP command. A malformed one returns REDIS_ERR (hiredis asserts).
///
/// # Safety
/// `ac` is a library object; `(cmd, len)` is a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisAsyncFormattedCommand(
    ac: *mut redisAsyncContext,
    r#fn: redisCallbackFnPtr,
    privdata: *mut c_void,
    cmd: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: caller's promise.
    let Some(bytes) = (unsafe { super::args::bytes(cmd as *const u8, len) }) else {
        return REDIS_ERR;
    };
    // SAFETY: caller's promise.
    let Some(ac) = (unsafe { Ac::from_raw(ac) }) else {
        return REDIS_ERR;
    };
    engine::formatted_command(ac, engine::ReplyCallback::new(r#fn, privdata), bytes)
}

/// Called by `redisvAsyncCommand` in `variadic.c`.
///
/// # Safety
/// `ac` is a library object; `format` a C string; `args` the live argument list for it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_async_command(
    ac: *mut redisAsyncContext,
    r#fn: redisCallbackFnPtr,
    privdata: *mut c_void,
    format: *const c_char,
    args: *mut crate::ffi::variadic::hirs_args,
) -> c_int {
    // SAFETY: caller's promise.
    let Some(ac) = (unsafe { Ac::from_raw(ac) }) else {
        return REDIS_ERR;
    };
    if format.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: the caller promises a C string.
    let Some(fmt) = (unsafe { super::args::cstr(format) }) else {
        return REDIS_ERR;
    };
    // SAFETY: `args` wraps the caller's va_list, valid for this call; its `%s`/`%b`
    // arguments are the caller's buffers, never the context's `obuf` (hiredis's rule too).
    let mut va = unsafe { crate::ffi::variadic::VaArgs::new(args) };
    engine::printf_command(ac, engine::ReplyCallback::new(r#fn, privdata), fmt, &mut va)
}

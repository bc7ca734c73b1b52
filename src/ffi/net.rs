//! `net.h` (shipped, not installed): the socket layer functions hiredis exports, plus the two
//! timeout helpers hiredis exports without declaring them anywhere (excluded from the header).
//!
//! Where hiredis would dereference a NULL context, these return `REDIS_ERR` (or do nothing).

use core::ffi::{CStr, c_char, c_int, c_uint};

use crate::abi::hiredis::{redisContext, redisContextFuncs};
use crate::abi::read::REDIS_ERR;
use crate::net;

/// hiredis's default I/O table (`redisContextDefaultFuncs`), which the connect exports hand to
/// the core for every new context: it points at the exported functions themselves, as
/// hiredis's does, so C may compare `c->funcs->read == redisNetRead`. Writable, like hiredis's:
/// the public `funcs` field is a non-const pointer, so C code may patch the table in place.
static mut DEFAULT_FUNCS: redisContextFuncs = redisContextFuncs {
    close: Some(redisNetClose),
    free_privctx: None,
    async_read: Some(super::r#async::redisAsyncRead),
    async_write: Some(super::r#async::redisAsyncWrite),
    read: Some(redisNetRead),
    write: Some(redisNetWrite),
};

/// The address of [`DEFAULT_FUNCS`].
pub(crate) fn default_funcs() -> *const redisContextFuncs {
    &raw const DEFAULT_FUNCS
}

/// A C string argument (NULL: `None`).
///
/// # Safety
/// `p` is NULL or a C string that outlives `'a`.
unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    // SAFETY: the caller's promise.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
}

/// A timeval argument, copied (NULL: `None`).
///
/// # Safety
/// `p` is NULL or readable.
unsafe fn timeval(p: *const libc::timeval) -> Option<libc::timeval> {
    // SAFETY: the caller's promise.
    unsafe { p.as_ref() }.copied()
}

/// `redisNetClose`: closes the socket, if any, and sets `fd` to -1.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisNetClose(c: *mut redisContext) {
    // SAFETY: valid pointer (caller's promise).
    if let Some(c) = unsafe { c.as_mut() } {
        net::close(c);
    }
}

/// `redisNetRead`: one `recv` into `buf`; bytes read, 0 to retry later, -1 on error or EOF.
///
/// # Safety
/// `c` is a library context; `(buf, bufcap)` is a writable buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisNetRead(
    c: *mut redisContext,
    buf: *mut c_char,
    bufcap: usize,
) -> libc::ssize_t {
    // SAFETY: valid pointer (caller's promise).
    let Some(c) = (unsafe { c.as_mut() }) else {
        return -1;
    };
    if buf.is_null() && bufcap != 0 {
        return -1;
    }
    let slice: &mut [u8] = if bufcap == 0 {
        &mut []
    } else {
        // SAFETY: writable buffer of `bufcap` bytes (caller's promise).
        unsafe { core::slice::from_raw_parts_mut(buf as *mut u8, bufcap) }
    };
    net::read(c, slice)
}

/// `redisNetWrite`: one `send` of `obuf`; bytes written, 0 to retry later, -1 on error.
///
/// # Safety
/// `c` is a library context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisNetWrite(c: *mut redisContext) -> libc::ssize_t {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => net::write(c),
        None => -1,
    }
}

/// `redisCheckSocketError`: turns a pending socket error (SO_ERROR or errno) into `err`.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisCheckSocketError(c: *mut redisContext) -> c_int {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => net::check_socket_error(c),
        None => REDIS_ERR,
    }
}

/// `redisContextSetTimeout`: stores `tv` as the command timeout and sets SO_RCVTIMEO/SO_SNDTIMEO.
///
/// # Safety
/// `c` is a library context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextSetTimeout(c: *mut redisContext, tv: libc::timeval) -> c_int {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => net::set_timeout(c, tv),
        None => REDIS_ERR,
    }
}

/// `redisContextConnectTcp`.
///
/// # Safety
/// `c` is a library context; `addr` a C string; `timeout` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextConnectTcp(
    c: *mut redisContext,
    addr: *const c_char,
    port: c_int,
    timeout: *const libc::timeval,
) -> c_int {
    // SAFETY: forwarded caller promises.
    unsafe { redisContextConnectBindTcp(c, addr, port, timeout, core::ptr::null()) }
}

/// `redisContextConnectBindTcp`.
///
/// # Safety
/// `c` is a library context; `addr`/`source_addr` C strings; `timeout` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextConnectBindTcp(
    c: *mut redisContext,
    addr: *const c_char,
    port: c_int,
    timeout: *const libc::timeval,
    source_addr: *const c_char,
) -> c_int {
    // SAFETY: valid pointer, strings and timeout (caller's promise).
    match unsafe { (c.as_mut(), cstr(addr), timeval(timeout), cstr(source_addr)) } {
        (Some(c), addr, timeout, source) => net::connect_tcp(c, addr, port, timeout, source),
        _ => REDIS_ERR,
    }
}

/// `redisContextConnectUnix`.
///
/// # Safety
/// `c` is a library context; `path` a C string; `timeout` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextConnectUnix(
    c: *mut redisContext,
    path: *const c_char,
    timeout: *const libc::timeval,
) -> c_int {
    // SAFETY: valid pointer, string and timeout (caller's promise).
    match unsafe { (c.as_mut(), cstr(path), timeval(timeout)) } {
        (Some(c), path, timeout) => net::connect_unix(c, path, timeout),
        _ => REDIS_ERR,
    }
}

/// `redisKeepAlive`: TCP keepalive with the given idle interval (seconds).
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisKeepAlive(c: *mut redisContext, interval: c_int) -> c_int {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => net::keep_alive(c, interval),
        None => REDIS_ERR,
    }
}

/// `redisCheckConnectDone`: `*completed` = 1 once a non-blocking connect finished, 0 while
/// it is in progress; REDIS_ERR when it failed.
///
/// # Safety
/// `c` is a valid pointer to a context; `completed` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisCheckConnectDone(
    c: *mut redisContext,
    completed: *mut c_int,
) -> c_int {
    // SAFETY: valid pointers (caller's promise).
    match unsafe { (c.as_mut(), completed.as_mut()) } {
        (Some(c), Some(done)) => net::check_connect_done(c, done),
        _ => REDIS_ERR,
    }
}

/// `redisSetTcpNoDelay`.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisSetTcpNoDelay(c: *mut redisContext) -> c_int {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => net::set_tcp_no_delay(c),
        None => REDIS_ERR,
    }
}

/// `redisContextSetTcpUserTimeout`; on failure the socket is closed, as in hiredis.
///
/// # Safety
/// `c` is a valid pointer to a context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextSetTcpUserTimeout(
    c: *mut redisContext,
    timeout: c_uint,
) -> c_int {
    // SAFETY: valid pointer (caller's promise).
    match unsafe { c.as_mut() } {
        Some(c) => net::set_tcp_user_timeout(c, timeout),
        None => REDIS_ERR,
    }
}

/// Exported by hiredis but declared in no header: copies `*timeout` into the context's own
/// heap timeval. REDIS_ERR only on OOM.
///
/// # Safety
/// `c` is a library context; `timeout` readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextUpdateConnectTimeout(
    c: *mut redisContext,
    timeout: *const libc::timeval,
) -> c_int {
    // SAFETY: valid pointers (caller's promise).
    match unsafe { c.as_mut() } {
        // SAFETY: `timeout` is readable (caller's promise; NULL gives REDIS_ERR).
        Some(c) => match unsafe { timeval(timeout) } {
            Some(tv) => net::update_connect_timeout(c, tv),
            None => REDIS_ERR,
        },
        None => REDIS_ERR,
    }
}

/// Like [`redisContextUpdateConnectTimeout`], for the command timeout.
///
/// # Safety
/// `c` is a library context; `timeout` readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisContextUpdateCommandTimeout(
    c: *mut redisContext,
    timeout: *const libc::timeval,
) -> c_int {
    // SAFETY: valid pointers (caller's promise).
    match unsafe { c.as_mut() } {
        // SAFETY: `timeout` is readable (caller's promise; NULL gives REDIS_ERR).
        Some(c) => match unsafe { timeval(timeout) } {
            Some(tv) => net::update_command_timeout(c, tv),
            None => REDIS_ERR,
        },
        None => REDIS_ERR,
    }
}

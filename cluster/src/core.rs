//! What this library uses of the hiredis-rs core: the C ABI structs it reads (mirrored here,
//! with layout asserts) and the core's exported C functions.
//!
//! As with libhiredis_rs_ssl (and hiredis-cluster on hiredis), the functions are declared, not
//! linked from a Rust dependency: the cdylib leaves them undefined and they resolve at run time
//! from the libhiredis_rs.so (or libhiredis.so) in the process, so there is one core, one
//! allocator table, one push/TLS machinery. Programs link both libraries.

#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

use std::ffi::{c_char, c_int, c_longlong, c_void};
use std::mem::{offset_of, size_of};
use std::ptr;

pub(crate) const REDIS_OK: c_int = 0;
pub(crate) const REDIS_ERR: c_int = -1;
pub(crate) const REDIS_ERR_OTHER: c_int = 2;
pub(crate) const REDIS_ERR_PROTOCOL: c_int = 4;
pub(crate) const REDIS_ERR_OOM: c_int = 5;
pub(crate) const REDIS_ERR_TIMEOUT: c_int = 6;
/// hiredis-cluster's own error kind (defined in no header there either).
pub(crate) const REDIS_ERR_CLUSTER_TOO_MANY_RETRIES: c_int = 100;

pub(crate) const REDIS_REPLY_STRING: c_int = 1;
pub(crate) const REDIS_REPLY_ARRAY: c_int = 2;
pub(crate) const REDIS_REPLY_INTEGER: c_int = 3;
pub(crate) const REDIS_REPLY_STATUS: c_int = 5;
pub(crate) const REDIS_REPLY_ERROR: c_int = 6;

/// `redisContext` (272 bytes); only the fields used here are named.
#[repr(C)]
pub struct redisContext {
    _funcs: *const c_void,
    pub(crate) err: c_int,
    pub(crate) errstr: [c_char; 128],
    pub(crate) fd: c_int,
    pub(crate) flags: c_int,
    _pad: [u8; 4],
    /// The output buffer (an sds) that appends fill and writes drain.
    pub(crate) obuf: *mut c_char,
    _rest: [u8; 112],
}

/// `redisAsyncContext` (464 bytes), a `redisContext` at offset 0; only `data` and
/// `dataCleanup` are named beyond it.
#[repr(C)]
pub struct redisAsyncContext {
    pub(crate) c: redisContext,
    _err_errstr: [u8; 16],
    pub(crate) data: *mut c_void,
    pub(crate) dataCleanup: Option<unsafe extern "C" fn(*mut c_void)>,
    _rest: [u8; 160],
}

/// `redisCallbackFn`.
pub(crate) type redisCallbackFn =
    unsafe extern "C" fn(*mut redisAsyncContext, *mut c_void, *mut c_void);

/// `redisReply` (64 bytes).
#[repr(C)]
pub struct redisReply {
    pub(crate) r#type: c_int,
    pub(crate) integer: c_longlong,
    pub(crate) dval: f64,
    pub(crate) len: usize,
    pub(crate) str: *mut c_char,
    pub(crate) vtype: [c_char; 4],
    pub(crate) elements: usize,
    pub(crate) element: *mut *mut redisReply,
}

/// `redisOptions` (80 bytes) with the TCP endpoint spelled out.
#[repr(C)]
pub(crate) struct redisOptions {
    pub(crate) r#type: c_int,
    pub(crate) options: c_int,
    pub(crate) connect_timeout: *const libc::timeval,
    pub(crate) command_timeout: *const libc::timeval,
    pub(crate) source_addr: *const c_char,
    pub(crate) ip: *const c_char,
    pub(crate) port: c_int,
    pub(crate) privdata: *mut c_void,
    pub(crate) free_privdata: *mut c_void,
    pub(crate) push_cb: *mut c_void,
    pub(crate) async_push_cb: *mut c_void,
}

/// `hiredisAllocFuncs`.
#[repr(C)]
pub(crate) struct hiredisAllocFuncs {
    pub(crate) mallocFn: Option<unsafe extern "C" fn(usize) -> *mut c_void>,
    pub(crate) callocFn: Option<unsafe extern "C" fn(usize, usize) -> *mut c_void>,
    pub(crate) reallocFn: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    pub(crate) strdupFn: Option<unsafe extern "C" fn(*const c_char) -> *mut c_char>,
    pub(crate) freeFn: Option<unsafe extern "C" fn(*mut c_void)>,
}

const _: () = {
    assert!(size_of::<redisContext>() == 272);
    assert!(offset_of!(redisContext, err) == 8);
    assert!(offset_of!(redisContext, errstr) == 12);
    assert!(offset_of!(redisContext, flags) == 144);
    assert!(offset_of!(redisContext, obuf) == 152);
    assert!(size_of::<redisAsyncContext>() == 464);
    assert!(offset_of!(redisAsyncContext, data) == 288);
    assert!(offset_of!(redisAsyncContext, dataCleanup) == 296);
    assert!(size_of::<redisReply>() == 64);
    assert!(offset_of!(redisReply, str) == 32);
    assert!(offset_of!(redisReply, element) == 56);
    assert!(size_of::<redisOptions>() == 80);
    assert!(offset_of!(redisOptions, ip) == 32);
    assert!(offset_of!(redisOptions, port) == 40);
    assert!(offset_of!(redisOptions, privdata) == 48);
    assert!(size_of::<hiredisAllocFuncs>() == 40);
};

unsafe extern "C" {
    pub(crate) static mut hiredisAllocFns: hiredisAllocFuncs;
    pub(crate) fn redisConnectWithOptions(options: *const redisOptions) -> *mut redisContext;
    pub(crate) fn redisFree(c: *mut redisContext);
    pub(crate) fn redisReconnect(c: *mut redisContext) -> c_int;
    pub(crate) fn redisSetTimeout(c: *mut redisContext, tv: libc::timeval) -> c_int;
    pub(crate) fn redisAppendFormattedCommand(
        c: *mut redisContext,
        cmd: *const c_char,
        len: usize,
    ) -> c_int;
    pub(crate) fn redisBufferWrite(c: *mut redisContext, done: *mut c_int) -> c_int;
    pub(crate) fn redisGetReply(c: *mut redisContext, reply: *mut *mut c_void) -> c_int;
    pub(crate) fn redisCommandArgv(
        c: *mut redisContext,
        argc: c_int,
        argv: *const *const c_char,
        argvlen: *const usize,
    ) -> *mut c_void;
    pub(crate) fn redisFormatCommandArgv(
        target: *mut *mut c_char,
        argc: c_int,
        argv: *const *const c_char,
        argvlen: *const usize,
    ) -> c_longlong;
    pub(crate) fn redisFreeCommand(cmd: *mut c_char);
    pub(crate) fn freeReplyObject(reply: *mut c_void);
    pub(crate) fn redisAsyncSetTimeout(ac: *mut redisAsyncContext, tv: libc::timeval) -> c_int;
    pub(crate) fn redisAsyncFree(ac: *mut redisAsyncContext);
    pub(crate) fn redisAsyncConnectWithOptions(
        options: *const redisOptions,
    ) -> *mut redisAsyncContext;
    pub(crate) fn redisAsyncDisconnect(ac: *mut redisAsyncContext);
    pub(crate) fn redisAsyncFormattedCommand(
        ac: *mut redisAsyncContext,
        fn_: Option<redisCallbackFn>,
        privdata: *mut c_void,
        cmd: *const c_char,
        len: usize,
    ) -> c_int;
    pub(crate) fn redisAsyncCommandArgv(
        ac: *mut redisAsyncContext,
        fn_: Option<redisCallbackFn>,
        privdata: *mut c_void,
        argc: c_int,
        argv: *const *const c_char,
        argvlen: *const usize,
    ) -> c_int;
    pub(crate) fn redisAsyncSetConnectCallback(
        ac: *mut redisAsyncContext,
        fn_: Option<unsafe extern "C" fn(*const redisAsyncContext, c_int)>,
    ) -> c_int;
    pub(crate) fn redisAsyncSetConnectCallbackNC(
        ac: *mut redisAsyncContext,
        fn_: Option<unsafe extern "C" fn(*mut redisAsyncContext, c_int)>,
    ) -> c_int;
    pub(crate) fn redisAsyncSetDisconnectCallback(
        ac: *mut redisAsyncContext,
        fn_: Option<unsafe extern "C" fn(*const redisAsyncContext, c_int)>,
    ) -> c_int;
    pub(crate) fn sdsnewlen(init: *const c_void, initlen: usize) -> *mut c_char;
    pub(crate) fn sdsfree(s: *mut c_char);
    pub(crate) fn sdsclear(s: *mut c_char);
    pub(crate) fn sdsrange(s: *mut c_char, start: isize, end: isize) -> c_int;
    /// libc's `random()` (not in the libc crate): node selection follows the user's `srandom()`.
    pub(crate) fn random() -> std::ffi::c_long;
}

/// `hi_calloc(n, size)` through the core's allocator table; NULL when it fails.
pub(crate) fn calloc(n: usize, size: usize) -> *mut c_void {
    // SAFETY: the table is a process-wide global of C function pointers that the core
    // initialises to libc's; reading it is what hiredis's inline `hi_calloc` does.
    unsafe {
        match hiredisAllocFns.callocFn {
            Some(f) => f(n, size),
            None => ptr::null_mut(),
        }
    }
}

/// `hi_malloc(size)`.
pub(crate) fn malloc(size: usize) -> *mut c_void {
    // SAFETY: as in `calloc`.
    unsafe {
        match hiredisAllocFns.mallocFn {
            Some(f) => f(size),
            None => ptr::null_mut(),
        }
    }
}

/// `hi_realloc(p, size)`.
///
/// # Safety
/// `p` is NULL or a live block from the same table.
pub(crate) unsafe fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: as in `calloc`; `p` is the caller's block.
    unsafe {
        match hiredisAllocFns.reallocFn {
            Some(f) => f(p, size),
            None => ptr::null_mut(),
        }
    }
}

/// `hi_free(p)`.
pub(crate) fn free(p: *mut c_void) {
    // SAFETY: as in `calloc`; `p` came from the same table (or is NULL, which free accepts).
    unsafe {
        if let Some(f) = hiredisAllocFns.freeFn {
            f(p);
        }
    }
}

/// A zeroed `T` from the allocator table, NULL on failure.
pub(crate) fn alloc_zeroed<T>() -> *mut T {
    calloc(1, size_of::<T>()).cast()
}

/// `hi_strdup` of a Rust byte string (NUL added); NULL on failure.
pub(crate) fn strdup_bytes(b: &[u8]) -> *mut c_char {
    let p = malloc(b.len() + 1) as *mut u8;
    if !p.is_null() {
        // SAFETY: `p` holds b.len() + 1 fresh bytes.
        unsafe {
            ptr::copy_nonoverlapping(b.as_ptr(), p, b.len());
            *p.add(b.len()) = 0;
        }
    }
    p.cast()
}

/// A new sds copy of `b` (NULL on OOM).
pub(crate) fn sds_from(b: &[u8]) -> *mut c_char {
    // SAFETY: `b` is a valid slice; sdsnewlen copies it.
    unsafe { sdsnewlen(b.as_ptr().cast(), b.len()) }
}

/// Length of the sds string `s` (its header sits just before `s`).
///
/// # Safety
/// `s` is a live sds string.
pub(crate) unsafe fn sdslen(s: *const c_char) -> usize {
    // SAFETY: caller's promise: the flags byte and the header before it belong to `s`.
    unsafe {
        let flags = *(s.sub(1) as *const u8);
        match flags & 7 {
            0 => (flags >> 3) as usize,
            1 => *(s.sub(3) as *const u8) as usize,
            2 => ptr::read_unaligned(s.sub(5) as *const u16) as usize,
            3 => ptr::read_unaligned(s.sub(9) as *const u32) as usize,
            _ => ptr::read_unaligned(s.sub(17) as *const u64) as usize,
        }
    }
}

/// The bytes of a live sds string.
///
/// # Safety
/// `s` is a live sds string that outlives the returned slice.
pub(crate) unsafe fn sds_bytes<'a>(s: *const c_char) -> &'a [u8] {
    // SAFETY: caller's promise; sdslen gives the number of initialised bytes at `s`.
    unsafe { std::slice::from_raw_parts(s as *const u8, sdslen(s)) }
}

/// The bytes of a NUL-terminated C string (empty for NULL).
///
/// # Safety
/// `s` is NULL or a valid C string outliving the slice.
pub(crate) unsafe fn cstr_bytes<'a>(s: *const c_char) -> &'a [u8] {
    if s.is_null() {
        return &[];
    }
    // SAFETY: caller's promise.
    unsafe { std::ffi::CStr::from_ptr(s).to_bytes() }
}

/// Unit tests link no core: they get libc's allocator under the table's name.
#[cfg(test)]
mod test_table {
    use super::hiredisAllocFuncs;

    #[unsafe(export_name = "hiredisAllocFns")]
    static mut TABLE: hiredisAllocFuncs = hiredisAllocFuncs {
        mallocFn: Some(libc::malloc),
        callocFn: Some(libc::calloc),
        reallocFn: Some(libc::realloc),
        strdupFn: Some(libc::strdup),
        freeFn: Some(libc::free),
    };
}

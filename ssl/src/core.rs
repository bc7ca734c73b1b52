//! What this library uses of the hiredis-rs core: the C ABI structs it reads (mirrored here,
//! with the layout asserts of spec §3) and the core's exported C functions.
//!
//! The functions are declared, not linked from a Rust dependency, and the cdylib leaves them
//! undefined, exactly like hiredis's libhiredis_ssl: they resolve at run time from the
//! libhiredis_rs.so (or libhiredis.so) already in the process, so there is one core, one
//! allocator table and one set of symbols. Programs link both (`pkg-config hiredis_ssl`
//! requires `hiredis`).

#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

pub(crate) const REDIS_OK: c_int = 0;
pub(crate) const REDIS_ERR: c_int = -1;
pub(crate) const REDIS_ERR_IO: c_int = 1;
pub(crate) const REDIS_ERR_OTHER: c_int = 2;
pub(crate) const REDIS_ERR_EOF: c_int = 3;
pub(crate) const REDIS_ERR_OOM: c_int = 5;
pub(crate) const REDIS_BLOCK: c_int = 0x1;
pub(crate) const REDIS_CONNECTED: c_int = 0x2;

/// `redisContextFuncs` (48 bytes).
#[repr(C)]
pub(crate) struct redisContextFuncs {
    pub(crate) close: Option<unsafe extern "C" fn(*mut redisContext)>,
    pub(crate) free_privctx: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) async_read: Option<unsafe extern "C" fn(*mut redisAsyncContext)>,
    pub(crate) async_write: Option<unsafe extern "C" fn(*mut redisAsyncContext)>,
    pub(crate) read:
        Option<unsafe extern "C" fn(*mut redisContext, *mut c_char, usize) -> libc::ssize_t>,
    pub(crate) write: Option<unsafe extern "C" fn(*mut redisContext) -> libc::ssize_t>,
}

/// `redisContext` (272 bytes); only the fields used here are named, the rest is padding.
#[repr(C)]
pub(crate) struct redisContext {
    pub(crate) funcs: *const redisContextFuncs,
    pub(crate) err: c_int,
    pub(crate) errstr: [c_char; 128],
    pub(crate) fd: c_int,
    pub(crate) flags: c_int,
    pub(crate) obuf: *mut c_char,
    _reader_and_type: [u8; 16],
    pub(crate) connect_timeout: *mut libc::timeval,
    pub(crate) command_timeout: *mut libc::timeval,
    _endpoint_to_free_privdata: [u8; 64],
    pub(crate) privctx: *mut c_void,
    _push_cb: *mut c_void,
}

/// `redisAsyncContext.ev`: the event-library hooks an adapter installs.
#[repr(C)]
pub(crate) struct redisAsyncEvents {
    pub(crate) data: *mut c_void,
    pub(crate) addRead: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) delRead: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) addWrite: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) delWrite: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) cleanup: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) scheduleTimer: Option<unsafe extern "C" fn(*mut c_void, libc::timeval)>,
}

/// `redisAsyncContext` (464 bytes), a `redisContext` at offset 0.
#[repr(C)]
pub(crate) struct redisAsyncContext {
    pub(crate) c: redisContext,
    _err_to_data_cleanup: [u8; 32],
    pub(crate) ev: redisAsyncEvents,
    _rest: [u8; 104],
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
    assert!(size_of::<redisContextFuncs>() == 48);
    assert!(size_of::<redisContext>() == 272);
    assert!(offset_of!(redisContext, err) == 8);
    assert!(offset_of!(redisContext, errstr) == 12);
    assert!(offset_of!(redisContext, fd) == 140);
    assert!(offset_of!(redisContext, flags) == 144);
    assert!(offset_of!(redisContext, obuf) == 152);
    assert!(offset_of!(redisContext, connect_timeout) == 176);
    assert!(offset_of!(redisContext, command_timeout) == 184);
    assert!(offset_of!(redisContext, privctx) == 256);
    assert!(size_of::<redisAsyncEvents>() == 56);
    assert!(size_of::<redisAsyncContext>() == 464);
    assert!(offset_of!(redisAsyncContext, ev) == 304);
    assert!(size_of::<hiredisAllocFuncs>() == 40);
};

unsafe extern "C" {
    pub(crate) static mut hiredisAllocFns: hiredisAllocFuncs;
    pub(crate) fn __redisSetError(c: *mut redisContext, r#type: c_int, str: *const c_char);
    pub(crate) fn redisBufferRead(c: *mut redisContext) -> c_int;
    pub(crate) fn redisBufferWrite(c: *mut redisContext, done: *mut c_int) -> c_int;
    pub(crate) fn redisNetClose(c: *mut redisContext);
    pub(crate) fn redisProcessCallbacks(ac: *mut redisAsyncContext);
    pub(crate) fn __redisAsyncDisconnect(ac: *mut redisAsyncContext);
}

/// `hi_calloc(1, size)` through the core's allocator table; NULL when it fails.
pub(crate) fn calloc(size: usize) -> *mut c_void {
    // SAFETY: the table is a process-wide global of C function pointers that the core
    // initialises to libc's; reading it is what hiredis's inline `hi_calloc` does.
    unsafe {
        match hiredisAllocFns.callocFn {
            Some(f) => f(1, size),
            None => std::ptr::null_mut(),
        }
    }
}

/// `hi_free(p)` through the core's allocator table.
pub(crate) fn free(p: *mut c_void) {
    // SAFETY: as in `calloc`; `p` came from the same table (or is NULL, which free accepts).
    unsafe {
        if let Some(f) = hiredisAllocFns.freeFn {
            f(p);
        }
    }
}

/// A NUL-terminated copy made by `hi_strdup` (the core's allocator table), freed with `hi_free`.
pub(crate) struct HookCStr(std::ptr::NonNull<c_char>);

impl HookCStr {
    /// `hi_strdup(s)`; None when the hook fails.
    pub(crate) fn new(s: &std::ffi::CStr) -> Option<HookCStr> {
        // SAFETY: as in `calloc`; strdupFn reads the NUL-terminated `s` and returns NULL or a
        // copy that is ours to free through the same table.
        let p = unsafe {
            match hiredisAllocFns.strdupFn {
                Some(f) => f(s.as_ptr()),
                None => std::ptr::null_mut(),
            }
        };
        std::ptr::NonNull::new(p).map(HookCStr)
    }

    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr()
    }

    #[cfg(test)]
    pub(crate) fn as_c_str(&self) -> &std::ffi::CStr {
        // SAFETY: the pointer is a live NUL-terminated copy owned by self.
        unsafe { std::ffi::CStr::from_ptr(self.0.as_ptr()) }
    }
}

impl Drop for HookCStr {
    fn drop(&mut self) {
        free(self.0.as_ptr().cast());
    }
}

/// Length of the sds string `s` (its header sits just before `s`, spec §8.2).
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
            2 => std::ptr::read_unaligned(s.sub(5) as *const u16) as usize,
            3 => std::ptr::read_unaligned(s.sub(9) as *const u32) as usize,
            _ => std::ptr::read_unaligned(s.sub(17) as *const u64) as usize,
        }
    }
}

/// The unit-test binary has no core to resolve the imports above from: these stand-ins let
/// it link (the tests here exercise the OpenSSL side; the C tests cover the real pairing).
#[cfg(test)]
mod test_stubs {
    use super::*;

    #[unsafe(no_mangle)]
    static mut hiredisAllocFns: hiredisAllocFuncs = hiredisAllocFuncs {
        mallocFn: Some(libc::malloc),
        callocFn: Some(libc::calloc),
        reallocFn: Some(libc::realloc),
        strdupFn: Some(libc::strdup),
        freeFn: Some(libc::free),
    };
    #[unsafe(no_mangle)]
    extern "C" fn __redisSetError(_: *mut redisContext, _: c_int, _: *const c_char) {}
    #[unsafe(no_mangle)]
    extern "C" fn redisBufferRead(_: *mut redisContext) -> c_int {
        REDIS_ERR
    }
    #[unsafe(no_mangle)]
    extern "C" fn redisBufferWrite(_: *mut redisContext, _: *mut c_int) -> c_int {
        REDIS_ERR
    }
    #[unsafe(no_mangle)]
    extern "C" fn redisNetClose(_: *mut redisContext) {}
    #[unsafe(no_mangle)]
    extern "C" fn redisProcessCallbacks(_: *mut redisAsyncContext) {}
    #[unsafe(no_mangle)]
    extern "C" fn __redisAsyncDisconnect(_: *mut redisAsyncContext) {}

    #[test]
    fn allocation_goes_through_the_table() {
        let p = calloc(16);
        assert!(!p.is_null());
        free(p);
    }
}

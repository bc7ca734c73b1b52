//! `sds.h`: hiredis's dynamic strings. The header structs and inline accessors are
//! hand-written in `headers/sds.pre.h`; the encoding lives in `crate::sds`.

use core::ffi::{c_char, c_int, c_void};

use crate::ffi::boundary;
use crate::sds as core_sds;

/// A pointer to the string bytes of an sds; the header sits just before it.
pub type sds = *mut c_char;

/// A new sds with `initlen` bytes from `init`, or zero bytes when `init` is NULL.
///
/// # Safety
/// `(init, initlen)` is a valid buffer or `init` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsnewlen(init: *const c_void, initlen: usize) -> sds {
    if init.is_null() {
        return core_sds::new_zeroed(initlen);
    }
    // SAFETY: the caller promises `initlen` readable bytes at `init`.
    match unsafe { boundary::bytes(init as *const u8, initlen) } {
        Some(b) => core_sds::new_len(b),
        None => core::ptr::null_mut(),
    }
}

/// A new sds copied from a C string; NULL gives an empty one.
///
/// # Safety
/// `init` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsnew(init: *const c_char) -> sds {
    // SAFETY: the caller promises a C string.
    core_sds::new_len(unsafe { boundary::cstr(init) }.unwrap_or(&[]))
}

#[unsafe(no_mangle)]
pub extern "C" fn sdsempty() -> sds {
    core_sds::empty()
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsdup(s: sds) -> sds {
    if s.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: the caller promises a live sds.
    core_sds::new_len(unsafe { core_sds::as_bytes(s) })
}

/// # Safety
/// `s` is NULL or a live sds, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsfree(s: sds) {
    // SAFETY: forwarded promise.
    unsafe { core_sds::free(s) }
}

/// # Safety
/// `s` is a live sds and `(t, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscatlen(s: sds, t: *const c_void, len: usize) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        match boundary::bytes(t as *const u8, len) {
            Some(b) if !s.is_null() => core_sds::cat_len(s, b),
            _ => core::ptr::null_mut(),
        }
    }
}

/// # Safety
/// `s` is a live sds and `t` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscat(s: sds, t: *const c_char) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        match boundary::cstr(t) {
            Some(b) if !s.is_null() => core_sds::cat_len(s, b),
            _ => core::ptr::null_mut(),
        }
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsMakeRoomFor(s: sds, addlen: usize) -> sds {
    if s.is_null() {
        return s;
    }
    // SAFETY: forwarded promise.
    unsafe { core_sds::make_room_for(s, addlen) }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsIncrLen(s: sds, incr: c_int) {
    if !s.is_null() {
        // SAFETY: forwarded promise.
        unsafe { core_sds::incr_len(s, incr as isize) }
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsrange(s: sds, start: libc::ssize_t, end: libc::ssize_t) -> c_int {
    if s.is_null() {
        return -1;
    }
    // SAFETY: forwarded promise.
    unsafe { core_sds::range(s, start, end) }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsclear(s: sds) {
    if !s.is_null() {
        // SAFETY: forwarded promise.
        unsafe { core_sds::clear(s) }
    }
}

/// Called by `sdscatfmt` in `variadic.c`. TODO(sds): implement.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_sdscatfmt(
    _s: sds,
    _fmt: *const c_char,
    _args: *mut crate::ffi::variadic::hirs_args,
) -> sds {
    core::ptr::null_mut()
}

/// Called by `sdscatvprintf` in `variadic.c`. TODO(sds): implement.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_sdscatvprintf(
    _s: sds,
    _fmt: *const c_char,
    _args: *mut crate::ffi::variadic::hirs_args,
) -> sds {
    core::ptr::null_mut()
}

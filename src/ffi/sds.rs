//! `sds.h`: hiredis's dynamic strings. The header structs and inline accessors are
//! hand-written in `headers/sds.pre.h`; the encoding lives in `crate::sds`.

use core::ffi::{c_char, c_int, c_longlong, c_ulonglong, c_void};
use core::ptr;

use crate::abi::sds::sds;
use crate::boundary;
use crate::ffi::variadic::{VaArgs, hirs_args, hirs_vsnprintf};
use crate::sds as core_sds;

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

/// Extends `s` to `len` bytes with zeros.
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsgrowzero(s: sds, len: usize) -> sds {
    if s.is_null() {
        return s;
    }
    // SAFETY: forwarded promise.
    unsafe { core_sds::grow_zero(s, len) }
}

/// # Safety
/// `s` and `t` are live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscatsds(s: sds, t: sds) -> sds {
    if s.is_null() || t.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: forwarded promises.
    unsafe { core_sds::cat_len(s, core_sds::as_bytes(t)) }
}

/// # Safety
/// `s` is a live sds and `(t, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscpylen(s: sds, t: *const c_char, len: usize) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        match boundary::bytes(t as *const u8, len) {
            Some(b) if !s.is_null() => core_sds::cpy_len(s, b),
            _ => ptr::null_mut(),
        }
    }
}

/// # Safety
/// `s` is a live sds and `t` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscpy(s: sds, t: *const c_char) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        match boundary::cstr(t) {
            Some(b) if !s.is_null() => core_sds::cpy_len(s, b),
            _ => ptr::null_mut(),
        }
    }
}

/// Removes leading and trailing bytes found in `cset`; returns `s`.
///
/// # Safety
/// `s` is a live sds and `cset` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdstrim(s: sds, cset: *const c_char) -> sds {
    if !s.is_null() {
        // SAFETY: forwarded promises.
        unsafe { core_sds::trim(s, boundary::cstr(cset).unwrap_or(&[])) }
    }
    s
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsupdatelen(s: sds) {
    if !s.is_null() {
        // SAFETY: forwarded promise.
        unsafe { core_sds::update_len(s) }
    }
}

/// # Safety
/// `s1` and `s2` are live sds (NULL, where hiredis would crash, sorts first).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscmp(s1: sds, s2: sds) -> c_int {
    match (s1.is_null(), s2.is_null()) {
        // SAFETY: forwarded promise.
        (false, false) => unsafe { core_sds::cmp(s1, s2) },
        (a, b) => b as c_int - a as c_int,
    }
}

/// Splits `(s, len)` on `(sep, seplen)`: an array of `*count` sds to free with
/// `sdsfreesplitres`, or NULL for bad arguments or OOM.
///
/// # Safety
/// `(s, len)` and `(sep, seplen)` are valid buffers, `count` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdssplitlen(
    s: *const c_char,
    len: c_int,
    sep: *const c_char,
    seplen: c_int,
    count: *mut c_int,
) -> *mut sds {
    if count.is_null() || len < 0 || seplen < 1 {
        return ptr::null_mut();
    }
    // SAFETY: forwarded promises (lengths are non-negative here).
    let (Some(s), Some(sep)) = (
        unsafe { boundary::bytes(s as *const u8, len as usize) },
        unsafe { boundary::bytes(sep as *const u8, seplen as usize) },
    ) else {
        return ptr::null_mut();
    };
    match core_sds::split_len(s, sep) {
        Some((tokens, n)) => {
            // SAFETY: `count` is valid (checked non-NULL); `n <= len + 1` fits an int.
            unsafe { *count = n as c_int };
            tokens
        }
        None => {
            // SAFETY: as above.
            unsafe { *count = 0 };
            ptr::null_mut()
        }
    }
}

/// # Safety
/// `tokens` is NULL or a result of `sdssplitlen`/`sdssplitargs` with its `count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsfreesplitres(tokens: *mut sds, count: c_int) {
    // SAFETY: forwarded promise.
    unsafe { core_sds::free_split_res(tokens, count.max(0) as usize) }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdstolower(s: sds) {
    if !s.is_null() {
        // SAFETY: forwarded promise.
        unsafe { core_sds::map_bytes(s, core_sds::c_tolower) }
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdstoupper(s: sds) {
    if !s.is_null() {
        // SAFETY: forwarded promise.
        unsafe { core_sds::map_bytes(s, core_sds::c_toupper) }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn sdsfromlonglong(value: c_longlong) -> sds {
    core_sds::from_longlong(value)
}

/// Appends `(p, len)` quoted and escaped.
///
/// # Safety
/// `s` is a live sds and `(p, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscatrepr(s: sds, p: *const c_char, len: usize) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        match boundary::bytes(p as *const u8, len) {
            Some(b) if !s.is_null() => core_sds::cat_repr(s, b),
            _ => ptr::null_mut(),
        }
    }
}

/// Splits a command line into `*argc` sds (free with `sdsfreesplitres`); NULL on unbalanced
/// quotes or OOM. An empty line gives a non-NULL empty array.
///
/// # Safety
/// `line` is a C string and `argc` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdssplitargs(line: *const c_char, argc: *mut c_int) -> *mut sds {
    if argc.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `argc` is valid (checked non-NULL).
    unsafe { *argc = 0 };
    // SAFETY: the caller promises a C string.
    let Some(line) = (unsafe { boundary::cstr(line) }) else {
        return ptr::null_mut();
    };
    match core_sds::split_args(line) {
        Ok(Some((v, n))) => {
            // SAFETY: as above; `n` is at most the line length, which fits an int.
            unsafe { *argc = n as c_int };
            v
        }
        _ => ptr::null_mut(),
    }
}

/// Replaces each byte of `s` found in `from` with the byte at the same index of `to`.
///
/// # Safety
/// `s` is a live sds; `from` and `to` are valid buffers of `setlen` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsmapchars(
    s: sds,
    from: *const c_char,
    to: *const c_char,
    setlen: usize,
) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        if let (false, Some(f), Some(t)) = (
            s.is_null(),
            boundary::bytes(from as *const u8, setlen),
            boundary::bytes(to as *const u8, setlen),
        ) {
            core_sds::map_chars(s, f, t);
        }
    }
    s
}

/// Joins `argc` C strings with the C string `sep`.
///
/// # Safety
/// `argv` has `argc` C strings and `sep` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsjoin(argv: *mut *mut c_char, argc: c_int, sep: *mut c_char) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        let argv = boundary::slice(argv, argc.max(0) as usize);
        let sep = boundary::cstr(sep).unwrap_or(&[]);
        core_sds::join(argv.iter().map(|&a| boundary::cstr(a).unwrap_or(&[])), sep)
    }
}

/// Joins `argc` sds with `(sep, seplen)`.
///
/// # Safety
/// `argv` has `argc` live sds and `(sep, seplen)` is a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsjoinsds(
    argv: *mut sds,
    argc: c_int,
    sep: *const c_char,
    seplen: usize,
) -> sds {
    // SAFETY: forwarded promises.
    unsafe {
        let argv = boundary::slice(argv, argc.max(0) as usize);
        let Some(sep) = boundary::bytes(sep as *const u8, seplen) else {
            return ptr::null_mut();
        };
        core_sds::join(
            argv.iter().map(|&a| {
                if a.is_null() {
                    &[][..]
                } else {
                    core_sds::as_bytes(a)
                }
            }),
            sep,
        )
    }
}

/// Shrinks the allocation of `s` to its content.
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsRemoveFreeSpace(s: sds) -> sds {
    if s.is_null() {
        return s;
    }
    // SAFETY: forwarded promise.
    unsafe { core_sds::remove_free_space(s) }
}

/// Header + capacity + NUL of `s` (0 for NULL).
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsAllocSize(s: sds) -> usize {
    if s.is_null() {
        return 0;
    }
    // SAFETY: forwarded promise.
    unsafe { core_sds::alloc_size(s) }
}

/// The start of the block holding `s` (its header).
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsAllocPtr(s: sds) -> *mut c_void {
    if s.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: forwarded promise.
    unsafe { core_sds::alloc_ptr(s) }
}

#[unsafe(no_mangle)]
pub extern "C" fn sds_malloc(size: usize) -> *mut c_void {
    crate::alloc::malloc(size)
}

/// # Safety
/// `ptr` is NULL or a block from `sds_malloc`/the allocator hooks.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sds_realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: forwarded promise.
    unsafe { crate::alloc::realloc(ptr, size) }
}

/// # Safety
/// `ptr` is NULL or a block from `sds_malloc`/the allocator hooks, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sds_free(ptr: *mut c_void) {
    // SAFETY: forwarded promise.
    unsafe { crate::alloc::free(ptr) }
}

/// Writes `value` in decimal plus a NUL into `s` (room for 21 bytes); returns the length.
/// Exported like hiredis's, declared in no header.
///
/// # Safety
/// `s` has room for 21 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsll2str(s: *mut c_char, value: c_longlong) -> c_int {
    let mut buf = [0u8; core_sds::LLSTR_SIZE];
    let n = core_sds::ll2str(&mut buf, value);
    if !s.is_null() {
        // SAFETY: the caller promises room for the digits and the NUL.
        unsafe { ptr::copy_nonoverlapping(buf.as_ptr(), s as *mut u8, n + 1) };
    }
    n as c_int
}

/// Unsigned twin of [`sdsll2str`].
///
/// # Safety
/// As [`sdsll2str`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsull2str(s: *mut c_char, v: c_ulonglong) -> c_int {
    let mut buf = [0u8; core_sds::LLSTR_SIZE];
    let n = core_sds::ull2str(&mut buf, v);
    if !s.is_null() {
        // SAFETY: as in `sdsll2str`.
        unsafe { ptr::copy_nonoverlapping(buf.as_ptr(), s as *mut u8, n + 1) };
    }
    n as c_int
}

/// 0..15 for a hex digit, 0 otherwise (exported, declared in no header).
#[unsafe(no_mangle)]
pub extern "C" fn hex_digit_to_int(c: c_char) -> c_int {
    core_sds::hex_digit_to_int(c as u8)
}

/// Called by `sdscatfmt` in `variadic.c`.
///
/// # Safety
/// `s` is a live sds, `fmt` a C string, `args` holds what `fmt` names.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_sdscatfmt(s: sds, fmt: *const c_char, args: *mut hirs_args) -> sds {
    // SAFETY: the caller promises a C string.
    let Some(fmt) = (unsafe { boundary::cstr(fmt) }) else {
        return ptr::null_mut();
    };
    if s.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `args` wraps the caller's va_list, valid for this call; `s` is live.
    unsafe {
        let mut va = VaArgs::new(args);
        core_sds::cat_fmt(s, fmt, &mut va)
    }
}

/// Called by `sdscatvprintf` in `variadic.c`: measures with `vsnprintf`, makes room, then
/// prints straight into `s`. Like hiredis (which appends with `sdscat`), the appended text
/// ends at the first NUL the conversion produced.
///
/// # Safety
/// `s` is a live sds, `fmt` a C string, `args` holds what `fmt` names.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_sdscatvprintf(
    s: sds,
    fmt: *const c_char,
    args: *mut hirs_args,
) -> sds {
    if s.is_null() || fmt.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: hirs_vsnprintf copies the va_list on each call; the room made below holds
    // `n` bytes and the NUL after the current content.
    unsafe {
        let n = hirs_vsnprintf(ptr::null_mut(), 0, fmt, args);
        let Ok(n) = usize::try_from(n) else {
            // An encoding error: hiredis would append an unspecified buffer; append nothing.
            return s;
        };
        let s = core_sds::make_room_for(s, n);
        if s.is_null() {
            return s;
        }
        let end = s.add(core_sds::len(s));
        hirs_vsnprintf(end, n + 1, fmt, args);
        let added = libc::strlen(end);
        core_sds::incr_len(s, added as isize);
        s
    }
}

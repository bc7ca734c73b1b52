//! `sds.h`: hiredis's dynamic strings. The header structs and inline accessors are
//! hand-written in `headers/sds.pre.h`; the encoding lives in `crate::sds`. Each export turns
//! its `sds` arguments into [`Sds`] handles (the unsafe step: the caller's promise that they
//! are live) and calls the core.

use std::borrow::Cow;

use core::ffi::{c_char, c_int, c_longlong, c_ulonglong, c_void};
use core::ptr;

use super::args;
use crate::abi::sds::sds;
use crate::alloc;
use crate::ffi::variadic::{VaArgs, hirs_args, hirs_vsnprintf};
use crate::sds::{self as core_sds, Sds};

/// The C pointer for a new sds, NULL for `None` (OOM).
fn out(s: Option<Sds>) -> sds {
    s.map_or(ptr::null_mut(), Sds::into_raw)
}

/// `s` after a change that may fail: its (possibly moved) pointer, or NULL on OOM, where `s`
/// is still live and the caller's, as in hiredis.
fn grown<T>(s: Sds, r: Result<T, alloc::AllocError>) -> sds {
    match r {
        Ok(_) => s.into_raw(),
        Err(_) => ptr::null_mut(),
    }
}

/// A C buffer to read while `s` is written: copied first when it lies in `s`'s block (C may
/// pass part of `s` itself, as in `sdscatsds(s, s)`), borrowed otherwise.
fn apart<'a>(s: &Sds, b: &'a [u8]) -> Cow<'a, [u8]> {
    let start = s.alloc_ptr() as usize;
    let end = start + s.alloc_size();
    let (bs, be) = (b.as_ptr() as usize, b.as_ptr() as usize + b.len());
    if !b.is_empty() && bs < end && be > start {
        Cow::Owned(b.to_vec())
    } else {
        Cow::Borrowed(b)
    }
}

/// A new sds with `initlen` bytes from `init`, or zero bytes when `init` is NULL.
///
/// # Safety
/// `(init, initlen)` is a valid buffer or `init` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsnewlen(init: *const c_void, initlen: usize) -> sds {
    if init.is_null() {
        return out(Sds::new_zeroed(initlen));
    }
    // SAFETY: the caller promises `initlen` readable bytes at `init`.
    match unsafe { args::bytes(init as *const u8, initlen) } {
        Some(b) => out(Sds::new(b)),
        None => ptr::null_mut(),
    }
}

/// A new sds copied from a C string; NULL gives an empty one.
///
/// # Safety
/// `init` is a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsnew(init: *const c_char) -> sds {
    // SAFETY: the caller promises a C string.
    out(Sds::new(unsafe { args::cstr(init) }.unwrap_or(&[])))
}

#[unsafe(no_mangle)]
pub extern "C" fn sdsempty() -> sds {
    out(Sds::empty())
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsdup(s: sds) -> sds {
    // SAFETY: the caller promises a live sds (or NULL).
    match unsafe { Sds::from_raw(s) } {
        Some(s) => out(Sds::new(s.as_bytes())),
        None => ptr::null_mut(),
    }
}

/// # Safety
/// `s` is NULL or a live sds, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsfree(s: sds) {
    // SAFETY: forwarded promise.
    if let Some(s) = unsafe { Sds::from_raw(s) } {
        s.free();
    }
}

/// # Safety
/// `s` is a live sds and `(t, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscatlen(s: sds, t: *const c_void, len: usize) -> sds {
    // SAFETY: forwarded promises.
    match unsafe { (Sds::from_raw(s), args::bytes(t as *const u8, len)) } {
        (Some(mut s), Some(t)) => {
            let r = s.cat(&apart(&s, t));
            grown(s, r)
        }
        _ => ptr::null_mut(),
    }
}

/// # Safety
/// `s` is a live sds and `t` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscat(s: sds, t: *const c_char) -> sds {
    // SAFETY: forwarded promises.
    match unsafe { (Sds::from_raw(s), args::cstr(t)) } {
        (Some(mut s), Some(t)) => {
            let r = s.cat(&apart(&s, t));
            grown(s, r)
        }
        _ => ptr::null_mut(),
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsMakeRoomFor(s: sds, addlen: usize) -> sds {
    // SAFETY: forwarded promise.
    match unsafe { Sds::from_raw(s) } {
        Some(mut s) => {
            let r = s.make_room_for(addlen);
            grown(s, r)
        }
        None => s,
    }
}

/// # Safety
/// `s` is a live sds; with `incr > 0`, the caller wrote `incr` bytes after its content,
/// inside its room.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsIncrLen(s: sds, incr: c_int) {
    // SAFETY: forwarded promise.
    let Some(mut s) = (unsafe { Sds::from_raw(s) }) else {
        return;
    };
    match usize::try_from(incr) {
        // SAFETY: the caller wrote the `incr` bytes (sdsIncrLen's contract).
        Ok(n) => unsafe { s.assume_appended(n) },
        Err(_) => s.shorten(incr.unsigned_abs() as usize),
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsrange(s: sds, start: libc::ssize_t, end: libc::ssize_t) -> c_int {
    // SAFETY: forwarded promise.
    match unsafe { Sds::from_raw(s) }.map(|mut s| s.range(start, end)) {
        Some(Ok(())) => 0,
        _ => -1,
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsclear(s: sds) {
    // SAFETY: forwarded promise.
    if let Some(mut s) = unsafe { Sds::from_raw(s) } {
        s.clear();
    }
}

/// Extends `s` to `len` bytes with zeros.
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsgrowzero(s: sds, len: usize) -> sds {
    // SAFETY: forwarded promise.
    match unsafe { Sds::from_raw(s) } {
        Some(mut s) => {
            let r = s.grow_zero(len);
            grown(s, r)
        }
        None => s,
    }
}

/// # Safety
/// `s` and `t` are live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscatsds(s: sds, t: sds) -> sds {
    // SAFETY: forwarded promises; `t` is only read, before `s` changes (`apart`).
    match unsafe { (Sds::from_raw(s), Sds::from_raw(t)) } {
        (Some(mut s), Some(t)) => {
            let t = apart(&s, t.as_bytes()).into_owned();
            let r = s.cat(&t);
            grown(s, r)
        }
        _ => ptr::null_mut(),
    }
}

/// # Safety
/// `s` is a live sds and `(t, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscpylen(s: sds, t: *const c_char, len: usize) -> sds {
    // SAFETY: forwarded promises.
    match unsafe { (Sds::from_raw(s), args::bytes(t as *const u8, len)) } {
        (Some(mut s), Some(t)) => {
            let r = s.cpy(&apart(&s, t));
            grown(s, r)
        }
        _ => ptr::null_mut(),
    }
}

/// # Safety
/// `s` is a live sds and `t` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscpy(s: sds, t: *const c_char) -> sds {
    // SAFETY: forwarded promises.
    match unsafe { (Sds::from_raw(s), args::cstr(t)) } {
        (Some(mut s), Some(t)) => {
            let r = s.cpy(&apart(&s, t));
            grown(s, r)
        }
        _ => ptr::null_mut(),
    }
}

/// Removes leading and trailing bytes found in `cset`; returns `s`.
///
/// # Safety
/// `s` is a live sds and `cset` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdstrim(s: sds, cset: *const c_char) -> sds {
    // SAFETY: forwarded promises.
    if let (Some(mut h), cset) = unsafe { (Sds::from_raw(s), args::cstr(cset)) } {
        let cset = apart(&h, cset.unwrap_or(&[]));
        h.trim(&cset);
    }
    s
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsupdatelen(s: sds) {
    // SAFETY: forwarded promise.
    if let Some(mut s) = unsafe { Sds::from_raw(s) } {
        s.update_len();
    }
}

/// # Safety
/// `s1` and `s2` are live sds (NULL, where hiredis would crash, sorts first).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscmp(s1: sds, s2: sds) -> c_int {
    // SAFETY: forwarded promise; both are only read.
    match unsafe { (Sds::from_raw(s1), Sds::from_raw(s2)) } {
        (Some(a), Some(b)) => a.cmp(&b),
        (a, b) => b.is_none() as c_int - a.is_none() as c_int,
    }
}

/// `sds` in a hook-allocated array (at least one slot, so never NULL on success), as
/// `sdssplitlen`/`sdssplitargs` return them; the strings are freed on OOM.
fn hook_array(items: Vec<Sds>) -> Option<(*mut sds, usize)> {
    let n = items.len();
    let p = alloc::malloc(n.max(1) * size_of::<sds>()) as *mut sds;
    if p.is_null() {
        items.into_iter().for_each(Sds::free);
        return None;
    }
    for (j, s) in items.into_iter().enumerate() {
        // SAFETY: `p` has room for `n` pointers.
        unsafe { p.add(j).write(s.into_raw()) };
    }
    Some((p, n))
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
        unsafe { args::bytes(s as *const u8, len as usize) },
        unsafe { args::bytes(sep as *const u8, seplen as usize) },
    ) else {
        return ptr::null_mut();
    };
    match core_sds::split_len(s, sep).and_then(hook_array) {
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
    if tokens.is_null() {
        return;
    }
    // SAFETY: the caller promises a hook-allocated array of `count` live sds.
    unsafe {
        for &t in args::slice(tokens, count.max(0) as usize).iter().rev() {
            sdsfree(t);
        }
        alloc::free(tokens.cast());
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdstolower(s: sds) {
    // SAFETY: forwarded promise.
    if let Some(mut s) = unsafe { Sds::from_raw(s) } {
        s.map_bytes(core_sds::c_tolower);
    }
}

/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdstoupper(s: sds) {
    // SAFETY: forwarded promise.
    if let Some(mut s) = unsafe { Sds::from_raw(s) } {
        s.map_bytes(core_sds::c_toupper);
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn sdsfromlonglong(value: c_longlong) -> sds {
    out(Sds::from_longlong(value))
}

/// Appends `(p, len)` quoted and escaped.
///
/// # Safety
/// `s` is a live sds and `(p, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdscatrepr(s: sds, p: *const c_char, len: usize) -> sds {
    // SAFETY: forwarded promises.
    match unsafe { (Sds::from_raw(s), args::bytes(p as *const u8, len)) } {
        (Some(mut s), Some(p)) => {
            let r = s.cat_repr(&apart(&s, p));
            grown(s, r)
        }
        _ => ptr::null_mut(),
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
    let Some(line) = (unsafe { args::cstr(line) }) else {
        return ptr::null_mut();
    };
    match core_sds::split_args(line)
        .ok()
        .flatten()
        .and_then(hook_array)
    {
        Some((v, n)) => {
            // SAFETY: as above; `n` is at most the line length, which fits an int.
            unsafe { *argc = n as c_int };
            v
        }
        None => ptr::null_mut(),
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
    let (h, f, t) = unsafe {
        (
            Sds::from_raw(s),
            args::bytes(from as *const u8, setlen),
            args::bytes(to as *const u8, setlen),
        )
    };
    if let (Some(mut h), Some(f), Some(t)) = (h, f, t) {
        let (f, t) = (apart(&h, f), apart(&h, t));
        h.map_chars(&f, &t);
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
        let argv = args::slice(argv, argc.max(0) as usize);
        let sep = args::cstr(sep).unwrap_or(&[]);
        out(core_sds::join(
            argv.iter().map(|&a| args::cstr(a).unwrap_or(&[])),
            sep,
        ))
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
    // SAFETY: forwarded promises; the parts are only read.
    unsafe {
        let Some(sep) = args::bytes(sep as *const u8, seplen) else {
            return ptr::null_mut();
        };
        let parts: Vec<Option<Sds>> = args::slice(argv, argc.max(0) as usize)
            .iter()
            .map(|&a| Sds::from_raw(a))
            .collect();
        out(core_sds::join(
            parts
                .iter()
                .map(|a| a.as_ref().map_or(&[][..], Sds::as_bytes)),
            sep,
        ))
    }
}

/// Shrinks the allocation of `s` to its content.
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsRemoveFreeSpace(s: sds) -> sds {
    // SAFETY: forwarded promise.
    match unsafe { Sds::from_raw(s) } {
        Some(mut s) => {
            let r = s.remove_free_space();
            grown(s, r)
        }
        None => s,
    }
}

/// Header + capacity + NUL of `s` (0 for NULL).
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsAllocSize(s: sds) -> usize {
    // SAFETY: forwarded promise.
    unsafe { Sds::from_raw(s) }.map_or(0, |s| s.alloc_size())
}

/// The start of the block holding `s` (its header).
///
/// # Safety
/// `s` is a live sds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdsAllocPtr(s: sds) -> *mut c_void {
    // SAFETY: forwarded promise.
    unsafe { Sds::from_raw(s) }.map_or(ptr::null_mut(), |s| s.alloc_ptr())
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
    let Some(fmt) = (unsafe { args::cstr(fmt) }) else {
        return ptr::null_mut();
    };
    // SAFETY: the caller promises a live sds.
    let Some(mut s) = (unsafe { Sds::from_raw(s) }) else {
        return ptr::null_mut();
    };
    // SAFETY: `args` wraps the caller's va_list, valid for this call.
    let mut va = unsafe { VaArgs::new(args) };
    let r = s.cat_fmt(fmt, &mut va);
    grown(s, r)
}

/// Called by `sdscatvprintf` in `variadic.c`: measures with `vsnprintf`, then prints straight
/// into the spare room of `s` when it fits, else into a buffer (an argument may point into
/// `s`, which growing moves) appended after growing as hiredis would. Like hiredis (which appends with `sdscat`), the appended text
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
    if fmt.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: the caller promises a live sds.
    let Some(mut h) = (unsafe { Sds::from_raw(s) }) else {
        return ptr::null_mut();
    };
    // SAFETY: hirs_vsnprintf copies the va_list on each call.
    let n = unsafe { hirs_vsnprintf(ptr::null_mut(), 0, fmt, args) };
    let Ok(n) = usize::try_from(n) else {
        // An encoding error: hiredis would append an unspecified buffer; append nothing.
        return s;
    };
    if h.avail() < n {
        // Growing may move `s`, which an argument may point into: print first, into a
        // buffer of our own, as hiredis does, then append.
        let mut buf = vec![0u8; n + 1];
        // SAFETY: `buf` has `n + 1` writable bytes.
        unsafe { hirs_vsnprintf(buf.as_mut_ptr().cast(), n + 1, fmt, args) };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(n);
        let r = h.make_room_for(n).and_then(|()| h.cat(&buf[..end]));
        return grown(h, r);
    }
    let end = h.as_ptr().wrapping_add(h.len());
    // SAFETY: the room after the content holds `n` bytes and the NUL; the string does not
    // move, so arguments pointing into its content stay valid.
    unsafe {
        hirs_vsnprintf(end, n + 1, fmt, args);
        // Like hiredis (which appends with `sdscat`), the text ends at its first NUL.
        let added = libc::strlen(end);
        h.assume_appended(added);
    }
    h.into_raw()
}

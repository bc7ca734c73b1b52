//! Command formatting exports of `hiredis.h` (`redisFormatCommand*`, `redisFreeCommand`...).
//! The variadic `redisFormatCommand`/`redisvFormatCommand` are in `variadic.c`, which calls
//! `hirs_format_command` here.

use core::ffi::{c_char, c_int, c_longlong};

use super::args;
use crate::abi::sds::sds;
use crate::ffi::variadic::{VaArgs, hirs_args};
use crate::sds::Sds;
use crate::{alloc, format};

/// Called by `redisvFormatCommand` in `variadic.c` (which narrows the result to `int`):
/// the length, -1 for a NULL target or OOM, -2 for an invalid format.
///
/// # Safety
/// `target` is a valid pointer, `format` a C string, `args` a live `hirs_args` whose values
/// match the format.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_format_command(
    target: *mut *mut c_char,
    format: *const c_char,
    args: *mut hirs_args,
) -> c_longlong {
    if target.is_null() {
        return -1;
    }
    // A NULL format would crash hiredis; treat it as an invalid format.
    // SAFETY: the caller promises a C string.
    let Some(fmt) = (unsafe { args::cstr(format) }) else {
        return -2;
    };
    // SAFETY: `args` wraps the caller's va_list, valid for this call.
    let mut va = unsafe { VaArgs::new(args) };
    match format::format_command(fmt, &mut va) {
        // The result must fit the `int` that redisvFormatCommand returns (dropped: freed).
        Ok(hb) if hb.len() > c_int::MAX as usize => -1,
        Ok(hb) => {
            let n = hb.len() as c_longlong;
            // SAFETY: `target` is valid for writes (checked non-NULL above).
            unsafe { *target = hb.into_raw() };
            n
        }
        Err(e) => e.code() as c_longlong,
    }
}

/// The C argv as byte slices: `lens[j]` bytes of `argv[j]`, or its `strlen` when `lens` is
/// NULL. `None` for a negative `argc` or a missing pointer (where hiredis would crash).
/// Shared with the context modules (`redisAppendCommandArgv`, `redisAsyncCommandArgv`).
///
/// # Safety
/// `argv` has `argc` entries, `lens` is NULL or has `argc` entries, and each argument is a
/// valid buffer (or C string).
pub(crate) unsafe fn c_argv<'a>(
    argc: c_int,
    argv: *const *const c_char,
    lens: *const usize,
) -> Option<impl Iterator<Item = &'a [u8]> + Clone> {
    let argc = usize::try_from(argc).ok()?;
    if argc > 0 && argv.is_null() {
        return None;
    }
    // SAFETY: the caller promises `argc` entries (none are read when argc is 0).
    let argv = unsafe { args::slice(argv, argc) };
    // SAFETY: as above, for the lengths.
    let lens = (!lens.is_null()).then(|| unsafe { args::slice(lens, argc) });
    // Refuse NULL arguments up front, so the iterator below never meets one.
    for (j, &a) in argv.iter().enumerate() {
        if a.is_null() && lens.is_none_or(|l| l[j] != 0) {
            return None;
        }
    }
    Some(argv.iter().enumerate().map(move |(j, &a)| {
        // SAFETY: the caller promises each argument is a valid buffer of `lens[j]` bytes or
        // a C string; NULL ones were checked above.
        unsafe {
            match lens {
                Some(l) => args::bytes(a as *const u8, l[j]).unwrap_or(&[]),
                None => args::cstr(a).unwrap_or(&[]),
            }
        }
    }))
}

/// Formats `argc` arguments into a `hi_malloc` block stored in `*target`; returns its
/// length, or -1 for a NULL target, bad arguments or OOM.
///
/// # Safety
/// `target` is a valid pointer; `argv` has `argc` valid buffers (or C strings when `argvlen`
/// is NULL); `argvlen` is NULL or has `argc` lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFormatCommandArgv(
    target: *mut *mut c_char,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_longlong {
    if target.is_null() {
        return -1;
    }
    // SAFETY: forwarded promises.
    let Some(args) = (unsafe { c_argv(argc, argv.cast_const(), argvlen) }) else {
        return -1;
    };
    match format::format_argv(args) {
        Some(hb) => {
            let n = hb.len() as c_longlong;
            // SAFETY: `target` is valid for writes (checked non-NULL above).
            unsafe { *target = hb.into_raw() };
            n
        }
        None => -1,
    }
}

/// Like [`redisFormatCommandArgv`], producing an sds (free it with `sdsfree`).
///
/// # Safety
/// As [`redisFormatCommandArgv`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFormatSdsCommandArgv(
    target: *mut sds,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_longlong {
    if target.is_null() {
        return -1;
    }
    // SAFETY: forwarded promises.
    let Some(args) = (unsafe { c_argv(argc, argv.cast_const(), argvlen) }) else {
        return -1;
    };
    // hiredis's capacity: sdsempty() grown by sdsMakeRoomFor(total).
    let Some(mut s) = Sds::empty() else {
        return -1;
    };
    match format::append_argv_sds(&mut s, args) {
        Some(n) => {
            // SAFETY: `target` is valid for writes (checked non-NULL above).
            unsafe { *target = s.into_raw() };
            n as c_longlong
        }
        None => {
            s.free();
            -1
        }
    }
}

/// Frees a command from `redis(v)FormatCommand(Argv)` (`hi_free`).
///
/// # Safety
/// `cmd` is NULL or such a command, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFreeCommand(cmd: *mut c_char) {
    // SAFETY: the caller promises a hook-allocated block or NULL.
    unsafe { alloc::free(cmd.cast()) }
}

/// Frees a command from `redisFormatSdsCommandArgv` (`sdsfree`).
///
/// # Safety
/// `cmd` is NULL or such a command, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFreeSdsCommand(cmd: sds) {
    // SAFETY: the caller promises an sds or NULL, not used afterwards.
    if let Some(s) = unsafe { Sds::from_raw(cmd) } {
        s.free();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr;

    fn cs(b: &'static [u8]) -> *const c_char {
        b.as_ptr().cast()
    }

    #[test]
    fn argv_with_and_without_lengths() {
        let argv = [cs(b"SET\0"), cs(b"foo\0xxx\0"), cs(b"bar\0")];
        let lens = [3usize, 7, 3];
        let mut out = ptr::null_mut();
        // SAFETY: valid argv/lens; the result is freed below.
        unsafe {
            let n = redisFormatCommandArgv(&mut out, 3, argv.as_ptr().cast_mut(), lens.as_ptr());
            assert_eq!(n, 35);
            let got = core::slice::from_raw_parts(out as *const u8, n as usize);
            assert_eq!(got, b"*3\r\n$3\r\nSET\r\n$7\r\nfoo\0xxx\r\n$3\r\nbar\r\n");
            redisFreeCommand(out);
            let n = redisFormatCommandArgv(&mut out, 3, argv.as_ptr().cast_mut(), ptr::null());
            assert_eq!(n, 31);
            let got = core::slice::from_raw_parts(out as *const u8, n as usize);
            assert_eq!(got, b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n");
            redisFreeCommand(out);

            let mut s: sds = ptr::null_mut();
            let n = redisFormatSdsCommandArgv(&mut s, 3, argv.as_ptr().cast_mut(), lens.as_ptr());
            assert_eq!(n, 35);
            assert_eq!(
                Sds::from_raw(s).unwrap().as_bytes(),
                b"*3\r\n$3\r\nSET\r\n$7\r\nfoo\0xxx\r\n$3\r\nbar\r\n"
            );
            redisFreeSdsCommand(s);

            assert_eq!(
                redisFormatCommandArgv(ptr::null_mut(), 3, argv.as_ptr().cast_mut(), ptr::null()),
                -1
            );
            assert_eq!(
                redisFormatSdsCommandArgv(
                    ptr::null_mut(),
                    3,
                    argv.as_ptr().cast_mut(),
                    ptr::null()
                ),
                -1
            );
            assert_eq!(
                redisFormatCommandArgv(&mut out, -1, argv.as_ptr().cast_mut(), ptr::null()),
                -1
            );
            assert_eq!(
                redisFormatCommandArgv(&mut out, 2, ptr::null_mut(), ptr::null()),
                -1
            );
            let holes = [cs(b"GET\0"), ptr::null()];
            assert_eq!(
                redisFormatCommandArgv(&mut out, 2, holes.as_ptr().cast_mut(), ptr::null()),
                -1
            );
            let zero = [3usize, 0];
            assert_eq!(
                redisFormatCommandArgv(&mut out, 2, holes.as_ptr().cast_mut(), zero.as_ptr()),
                19
            );
            redisFreeCommand(out);
        }
    }
}

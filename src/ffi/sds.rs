//! `sds.h`: hiredis's dynamic strings. The header structs and inline accessors are
//! hand-written in `headers/sds.pre.h`; the encoding lives in `crate::sds`.

use core::ffi::c_char;

/// A pointer to the string bytes of an sds; the header sits just before it.
pub type sds = *mut c_char;

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

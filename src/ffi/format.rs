//! Command formatting exports of `hiredis.h` (`redisFormatCommand*`, `redisFreeCommand`...).

use core::ffi::{c_char, c_longlong};

use crate::ffi::variadic::hirs_args;

/// Called by `redisvFormatCommand` in `variadic.c`. TODO(format): implement.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hirs_format_command(
    _target: *mut *mut c_char,
    _format: *const c_char,
    _args: *mut hirs_args,
) -> c_longlong {
    -1
}

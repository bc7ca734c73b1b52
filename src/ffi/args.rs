//! Helpers every export uses to turn C arguments into Rust values: NULL-aware views of C
//! strings and arrays. [`bytes`] is the core's ([`crate::boundary`]), shared with the
//! default reply builders.

use core::ffi::{CStr, c_char};

pub(crate) use crate::boundary::bytes;

/// The bytes of a C string, or `None` for NULL.
///
/// # Safety
/// `p` is a C string (see the crate's safety vocabulary).
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the caller promises a NUL-terminated string that outlives 'a.
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    }
}

/// A slice of `len` C values at `p`; NULL with length 0 is the empty slice.
///
/// # Safety
/// `p` points at `len` initialised values that outlive 'a, or `len == 0`.
pub(crate) unsafe fn slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 || p.is_null() {
        &[]
    } else {
        // SAFETY: the caller promises `len` readable values at `p`.
        unsafe { core::slice::from_raw_parts(p, len) }
    }
}

//! Helpers every export uses to turn C arguments into Rust values.

use core::ffi::{CStr, c_char};

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

/// A byte slice from a pointer and length; NULL with length 0 is the empty slice.
///
/// # Safety
/// `(p, len)` is a valid buffer.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        Some(&[])
    } else if p.is_null() {
        None
    } else {
        // SAFETY: the caller promises `len` readable bytes at `p` that outlive 'a.
        Some(unsafe { core::slice::from_raw_parts(p, len) })
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

//! The one pointer-and-length view the core shares with the exports: a C buffer as a byte
//! slice (the default reply builders, which C may call, read their string argument with
//! it). The exports' other argument helpers are in `ffi/args.rs`.

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

//! Allocation through the `hiredisAllocFns` hooks.
//!
//! Everything handed to C (replies, strings, sds, formatted commands, contexts) is allocated
//! here, never with Rust's global allocator, because C frees it with `hi_free`. So is the
//! library's own state that outlives a call (reader state and stacks, async callback rings,
//! subscription tables), through the small containers of [`vec`], [`ring`] and [`map`],
//! which all sit on one block type ([`raw::RawBuf`]):
//! programs account their memory through the hooks, and a failing hook is an "Out of
//! memory" error, never an abort.
//! A NULL hook behaves as an allocation failure instead of a crash.

use core::ffi::{CStr, c_char, c_void};
use core::ptr;

use crate::abi::alloc::{hiredisAllocFns, hiredisAllocFuncs};

pub(crate) mod cache;
pub(crate) mod map;
mod raw;

pub(crate) use raw::{Fill, RawBuf, as_uninit};
pub(crate) mod ring;
pub(crate) mod vec;

pub(crate) use map::HMap;
pub(crate) use ring::HRing;
pub(crate) use vec::{AllocError, HBox, HVec};

/// A copy of the current allocator table.
pub(crate) fn table() -> hiredisAllocFuncs {
    // SAFETY: the table is plain data; hiredis documents that it is not changed concurrently
    // with library calls, so this read does not race.
    unsafe { ptr::read(&raw const hiredisAllocFns) }
}

pub(crate) fn set_table(t: hiredisAllocFuncs) {
    // SAFETY: as in `table`: callers of hiredisSetAllocators keep other threads out.
    unsafe { ptr::write(&raw mut hiredisAllocFns, t) }
}

/// `hi_malloc`: NULL on failure.
pub(crate) fn malloc(size: usize) -> *mut c_void {
    match table().mallocFn {
        // SAFETY: the installed hook has malloc's contract.
        Some(f) => unsafe { f(size) },
        None => ptr::null_mut(),
    }
}

/// `hi_calloc`, with hiredis's overflow guard (it never calls the hook on overflow).
pub(crate) fn calloc(nmemb: usize, size: usize) -> *mut c_void {
    if size != 0 && usize::MAX / size < nmemb {
        return ptr::null_mut();
    }
    match table().callocFn {
        // SAFETY: the installed hook has calloc's contract.
        Some(f) => unsafe { f(nmemb, size) },
        None => ptr::null_mut(),
    }
}

/// `hi_realloc`: NULL on failure, leaving `p` untouched.
///
/// # Safety
/// `p` is NULL or a live block from this allocator table.
pub(crate) unsafe fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    match table().reallocFn {
        // SAFETY: the caller promises `p` came from these hooks.
        Some(f) => unsafe { f(p, size) },
        None => ptr::null_mut(),
    }
}

/// `hi_free`. NULL is a no-op.
///
/// # Safety
/// `p` is NULL or a live block from this allocator table, not used afterwards.
pub(crate) unsafe fn free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    if let Some(f) = table().freeFn {
        // SAFETY: the caller promises `p` came from these hooks.
        unsafe { f(p) }
    }
}

/// `hi_strdup` of a C string.
pub(crate) fn strdup(s: &CStr) -> *mut c_char {
    match table().strdupFn {
        // SAFETY: the installed hook has strdup's contract, and `s` is NUL-terminated.
        Some(f) => unsafe { f(s.as_ptr()) },
        None => ptr::null_mut(),
    }
}

/// A NUL-terminated copy of `bytes` in hook memory (the shape of every reply string).
pub(crate) fn copy_bytes(bytes: &[u8]) -> *mut c_char {
    nul_terminated(bytes.len(), |w| w.put(bytes)).map_or(ptr::null_mut(), |b| b.into_raw().cast())
}

/// A block from the hooks holding the `len` bytes `write` puts and a NUL after them (reply
/// strings, formatted commands); `None` on OOM.
#[inline(always)]
pub(crate) fn nul_terminated(len: usize, write: impl FnOnce(&mut Fill<'_>)) -> Option<RawBuf<u8>> {
    let mut block = RawBuf::with_capacity(len.checked_add(1)?).ok()?;
    block.fill_with(|w| {
        write(w);
        // Every byte handed out is written: writers produce exactly the measured length.
        assert_eq!(w.len(), len, "written length");
        w.put(&[0]);
    });
    Some(block)
}

/// Allocates one zeroed `T` from the hooks (for `#[repr(C)]` plain-data structs).
pub(crate) fn calloc_one<T>() -> *mut T {
    calloc(1, core::mem::size_of::<T>()) as *mut T
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calloc_refuses_overflow() {
        assert!(calloc(usize::MAX, 2).is_null());
    }

    #[test]
    fn copy_bytes_terminates() {
        let copy = |b: &[u8]| nul_terminated(b.len(), |w| w.put(b)).unwrap();
        assert_eq!(copy(b"a\0b").as_slice(), b"a\0b\0");
        assert_eq!(copy(&[]).as_slice(), b"\0");
    }
}

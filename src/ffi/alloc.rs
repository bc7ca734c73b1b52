//! `alloc.h`: the allocator table every byte handed to C comes from.

use crate::abi::alloc::{LIBC_ALLOCATORS, hiredisAllocFuncs};

/// Installs `ha` as the allocator table and returns the previous one by value.
///
/// # Safety
/// `ha` is a valid pointer; its functions behave like their libc namesakes. Like hiredis, this
/// is not thread-safe: no other thread may allocate through the library meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiredisSetAllocators(ha: *mut hiredisAllocFuncs) -> hiredisAllocFuncs {
    let old = crate::alloc::table();
    // SAFETY: the caller promises `ha` is NULL or valid; NULL leaves the table unchanged
    // (hiredis would crash).
    if let Some(new) = unsafe { ha.as_ref() } {
        crate::alloc::set_table(*new);
    }
    old
}

/// Restores the libc allocators.
#[unsafe(no_mangle)]
pub extern "C" fn hiredisResetAllocators() {
    crate::alloc::set_table(LIBC_ALLOCATORS);
}

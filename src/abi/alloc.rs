//! `alloc.h`'s types: the allocator table and the process-wide instance C calls through.

use crate::abi::VoidPtrFn;
use core::ffi::{c_char, c_void};

/// hiredis's allocator table (40 bytes). C code calls through it from the inline `hi_*`
/// helpers in `alloc.h`, so its layout and symbol name are ABI.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hiredisAllocFuncs {
    pub mallocFn: Option<unsafe extern "C" fn(usize) -> *mut c_void>,
    pub callocFn: Option<unsafe extern "C" fn(usize, usize) -> *mut c_void>,
    pub reallocFn: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    pub strdupFn: Option<unsafe extern "C" fn(*const c_char) -> *mut c_char>,
    pub freeFn: VoidPtrFn,
}

const _: () = assert!(core::mem::size_of::<hiredisAllocFuncs>() == 40);

/// The libc allocator set, the initial and the reset value of [`hiredisAllocFns`].
pub(crate) const LIBC_ALLOCATORS: hiredisAllocFuncs = hiredisAllocFuncs {
    mallocFn: Some(libc::malloc),
    callocFn: Some(libc::calloc),
    reallocFn: Some(libc::realloc),
    strdupFn: Some(libc::strdup),
    freeFn: Some(libc::free),
};

/// The process-wide allocator table, exported as writable data like hiredis's.
#[unsafe(no_mangle)]
pub static mut hiredisAllocFns: hiredisAllocFuncs = LIBC_ALLOCATORS;

//! `hiarray.h`: the growable array of `node->migrating` / `node->importing`.

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_int, c_void};
use std::mem::{offset_of, size_of};
use std::ptr;

use crate::core;

#[repr(C)]
pub struct hiarray {
    pub nelem: u32,
    pub elem: *mut c_void,
    pub size: usize,
    pub nalloc: u32,
}

const _: () = {
    assert!(size_of::<hiarray>() == 32);
    assert!(offset_of!(hiarray, elem) == 8);
    assert!(offset_of!(hiarray, nalloc) == 24);
};

pub type hiarray_compare_t = Option<unsafe extern "C" fn(*const c_void, *const c_void) -> c_int>;
pub type hiarray_each_t = Option<unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int>;

/// An array with room for `n` elements of `size` bytes, NULL on OOM (or `n == 0`).
#[unsafe(no_mangle)]
pub extern "C" fn hiarray_create(n: u32, size: usize) -> *mut hiarray {
    if n == 0 || size == 0 {
        return ptr::null_mut();
    }
    let a: *mut hiarray = core::alloc_zeroed();
    if a.is_null() {
        return ptr::null_mut();
    }
    let Some(bytes) = (n as usize).checked_mul(size) else {
        core::free(a.cast());
        return ptr::null_mut();
    };
    let elem = core::malloc(bytes);
    if elem.is_null() {
        core::free(a.cast());
        return ptr::null_mut();
    }
    // SAFETY: `a` is fresh.
    unsafe {
        (*a).elem = elem;
        (*a).size = size;
        (*a).nalloc = n;
    }
    a
}

/// Frees the elements' storage and the array (not what elements point to).
///
/// # Safety
/// `a` is NULL or from `hiarray_create`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_destroy(a: *mut hiarray) {
    if a.is_null() {
        return;
    }
    // SAFETY: caller's promise.
    unsafe { hiarray_deinit(a) };
    core::free(a.cast());
}

/// Frees the elements' storage only.
///
/// # Safety
/// `a` is a live array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_deinit(a: *mut hiarray) {
    // SAFETY: caller's promise.
    unsafe {
        if !(*a).elem.is_null() {
            core::free((*a).elem);
            (*a).elem = ptr::null_mut();
        }
    }
}

/// The index of `elem`, a pointer into the array.
///
/// # Safety
/// `a` is a live array and `elem` points at one of its elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_idx(a: *mut hiarray, elem: *mut c_void) -> u32 {
    // SAFETY: caller's promise.
    unsafe { ((elem as usize - (*a).elem as usize) / (*a).size) as u32 }
}

/// Room for one more element at the end (the storage doubles when full), NULL on OOM.
///
/// # Safety
/// `a` is a live array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_push(a: *mut hiarray) -> *mut c_void {
    // SAFETY: caller's promise; the storage holds `nalloc` elements of `size` bytes.
    unsafe {
        if (*a).nelem == (*a).nalloc {
            let Some(n) = (*a).nalloc.checked_mul(2) else {
                return ptr::null_mut();
            };
            let Some(bytes) = (n as usize).checked_mul((*a).size) else {
                return ptr::null_mut();
            };
            let p = core::realloc((*a).elem, bytes);
            if p.is_null() {
                return ptr::null_mut();
            }
            (*a).elem = p;
            (*a).nalloc = n;
        }
        let e = ((*a).elem as *mut u8).add((*a).size * (*a).nelem as usize);
        (*a).nelem += 1;
        e.cast()
    }
}

/// Removes the last element and returns a pointer to it (still in the storage).
///
/// # Safety
/// `a` is a live, non-empty array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_pop(a: *mut hiarray) -> *mut c_void {
    // SAFETY: caller's promise.
    unsafe {
        if (*a).nelem == 0 {
            return ptr::null_mut();
        }
        (*a).nelem -= 1;
        ((*a).elem as *mut u8)
            .add((*a).size * (*a).nelem as usize)
            .cast()
    }
}

/// The element at `idx`, NULL when out of range.
///
/// # Safety
/// `a` is a live array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_get(a: *mut hiarray, idx: u32) -> *mut c_void {
    // SAFETY: caller's promise.
    unsafe {
        if idx >= (*a).nelem {
            return ptr::null_mut();
        }
        ((*a).elem as *mut u8).add((*a).size * idx as usize).cast()
    }
}

/// The last element, NULL when empty.
///
/// # Safety
/// `a` is a live array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_top(a: *mut hiarray) -> *mut c_void {
    // SAFETY: caller's promise.
    unsafe {
        if (*a).nelem == 0 {
            return ptr::null_mut();
        }
        hiarray_get(a, (*a).nelem - 1)
    }
}

/// Exchanges the contents of two arrays.
///
/// # Safety
/// Both are live arrays.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_swap(a: *mut hiarray, b: *mut hiarray) {
    // SAFETY: caller's promise; distinct or equal, `ptr::swap` handles both.
    unsafe { ptr::swap(a, b) }
}

/// Sorts the elements with `compare` (qsort).
///
/// # Safety
/// `a` is a live array and `compare` a valid comparator for its elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_sort(a: *mut hiarray, compare: hiarray_compare_t) {
    // SAFETY: caller's promise.
    unsafe {
        if (*a).nelem > 1 {
            libc::qsort((*a).elem, (*a).nelem as usize, (*a).size, compare);
        }
    }
}

/// Calls `func(elem, data)` on each element until one returns non-zero (returned).
///
/// # Safety
/// `a` is a live array and `func` valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hiarray_each(
    a: *mut hiarray,
    func: hiarray_each_t,
    data: *mut c_void,
) -> c_int {
    let Some(f) = func else { return 0 };
    // SAFETY: caller's promise.
    unsafe {
        for i in 0..(*a).nelem {
            let rc = f(hiarray_get(a, i), data);
            if rc != 0 {
                return rc;
            }
        }
    }
    0
}

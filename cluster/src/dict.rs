//! `dict.h`: the small chained hash table `cc->nodes` is made of. C programs walk it with
//! `dictInitIterator`/`dictNext` and read `dictSize`, so its layout, hashing and iteration
//! order are hiredis-cluster 0.14.0's (spec §2.5): buckets in a power-of-two table, inserts
//! and rehashes push onto the head of a chain, growth doubles when `used == size`.

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_int, c_uchar, c_uint, c_ulong, c_void};
use std::mem::{offset_of, size_of};
use std::ptr;

use crate::core;

pub const DICT_OK: c_int = 0;
pub const DICT_ERR: c_int = 1;
const DICT_HT_INITIAL_SIZE: c_ulong = 4;

#[repr(C)]
pub struct dictEntry {
    pub key: *mut c_void,
    pub val: *mut c_void,
    pub next: *mut dictEntry,
}

#[repr(C)]
pub struct dictType {
    pub hashFunction: Option<unsafe extern "C" fn(key: *const c_void) -> c_uint>,
    pub keyDup:
        Option<unsafe extern "C" fn(privdata: *mut c_void, key: *const c_void) -> *mut c_void>,
    pub valDup:
        Option<unsafe extern "C" fn(privdata: *mut c_void, obj: *const c_void) -> *mut c_void>,
    pub keyCompare: Option<
        unsafe extern "C" fn(
            privdata: *mut c_void,
            key1: *const c_void,
            key2: *const c_void,
        ) -> c_int,
    >,
    pub keyDestructor: Option<unsafe extern "C" fn(privdata: *mut c_void, key: *mut c_void)>,
    pub valDestructor: Option<unsafe extern "C" fn(privdata: *mut c_void, obj: *mut c_void)>,
}

#[repr(C)]
pub struct dict {
    pub table: *mut *mut dictEntry,
    pub r#type: *mut dictType,
    pub size: c_ulong,
    pub sizemask: c_ulong,
    pub used: c_ulong,
    pub privdata: *mut c_void,
}

#[repr(C)]
pub struct dictIterator {
    pub ht: *mut dict,
    pub index: c_int,
    pub entry: *mut dictEntry,
    pub nextEntry: *mut dictEntry,
}

const _: () = {
    assert!(size_of::<dictEntry>() == 24);
    assert!(size_of::<dictType>() == 48);
    assert!(offset_of!(dictType, keyCompare) == 24);
    assert!(size_of::<dict>() == 48);
    assert!(offset_of!(dict, used) == 32);
    assert!(size_of::<dictIterator>() == 32);
    assert!(offset_of!(dictIterator, entry) == 16);
};

/// DJB2 over `len` bytes (`h = h * 33 + byte`, 32-bit).
///
/// # Safety
/// `buf` points to `len` readable bytes (or `len <= 0`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictGenHashFunction(buf: *const c_uchar, len: c_int) -> c_uint {
    let mut h: u32 = 5381;
    if len > 0 {
        // SAFETY: caller's promise.
        let bytes = unsafe { std::slice::from_raw_parts(buf, len as usize) };
        for &b in bytes {
            h = h.wrapping_mul(33).wrapping_add(b as u32);
        }
    }
    h
}

/// A new empty dict (no table yet), NULL on OOM.
#[unsafe(no_mangle)]
pub extern "C" fn dictCreate(r#type: *mut dictType, privDataPtr: *mut c_void) -> *mut dict {
    let d: *mut dict = core::alloc_zeroed();
    if !d.is_null() {
        // SAFETY: `d` is a fresh zeroed dict.
        unsafe {
            (*d).r#type = r#type;
            (*d).privdata = privDataPtr;
        }
    }
    d
}

/// The hash of `key` by the dict's type.
///
/// # Safety
/// `d` is a live dict whose type has a hash function.
unsafe fn hash_key(d: *mut dict, key: *const c_void) -> c_uint {
    // SAFETY: caller's promise.
    unsafe {
        match (*(*d).r#type).hashFunction {
            Some(f) => f(key),
            None => 0,
        }
    }
}

/// Whether two keys are equal by the dict's type (pointer identity without a comparator).
///
/// # Safety
/// `d` is a live dict.
unsafe fn keys_equal(d: *mut dict, a: *const c_void, b: *const c_void) -> bool {
    // SAFETY: caller's promise.
    unsafe {
        match (*(*d).r#type).keyCompare {
            Some(f) => f((*d).privdata, a, b) != 0,
            None => a == b,
        }
    }
}

/// Grows the table to the next power of two >= `size`, moving every entry onto the head of
/// its new chain (old buckets in order, each chain head to tail). `DICT_ERR` if `size` is
/// smaller than the number of entries, or on OOM.
///
/// # Safety
/// `ht` is a live dict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictExpand(ht: *mut dict, size: c_ulong) -> c_int {
    // SAFETY: caller's promise; the table holds `size` chain heads.
    unsafe {
        if (*ht).used > size {
            return DICT_ERR;
        }
        let mut real = DICT_HT_INITIAL_SIZE;
        while real < size {
            match real.checked_mul(2) {
                Some(r) => real = r,
                None => return DICT_ERR,
            }
        }
        let table = core::calloc(real as usize, size_of::<*mut dictEntry>()) as *mut *mut dictEntry;
        if table.is_null() {
            return DICT_ERR;
        }
        let mask = real - 1;
        let old = (*ht).table;
        for i in 0..(*ht).size {
            let mut e = *old.add(i as usize);
            while !e.is_null() {
                let next = (*e).next;
                let h = (hash_key(ht, (*e).key) as c_ulong & mask) as usize;
                (*e).next = *table.add(h);
                *table.add(h) = e;
                e = next;
            }
        }
        core::free(old.cast());
        (*ht).table = table;
        (*ht).size = real;
        (*ht).sizemask = mask;
        DICT_OK
    }
}

/// Adds `key` -> `val`; `DICT_ERR` if the key exists or on OOM.
///
/// # Safety
/// `ht` is a live dict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictAdd(ht: *mut dict, key: *mut c_void, val: *mut c_void) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        if (*ht).size == 0 {
            if dictExpand(ht, DICT_HT_INITIAL_SIZE) != DICT_OK {
                return DICT_ERR;
            }
        } else if (*ht).used == (*ht).size && dictExpand(ht, (*ht).size * 2) != DICT_OK {
            return DICT_ERR;
        }
        let h = (hash_key(ht, key) as c_ulong & (*ht).sizemask) as usize;
        let mut e = *(*ht).table.add(h);
        while !e.is_null() {
            if keys_equal(ht, key, (*e).key) {
                return DICT_ERR;
            }
            e = (*e).next;
        }
        let e: *mut dictEntry = core::alloc_zeroed();
        if e.is_null() {
            return DICT_ERR;
        }
        let t = &*(*ht).r#type;
        (*e).key = match t.keyDup {
            Some(f) => f((*ht).privdata, key),
            None => key,
        };
        (*e).val = match t.valDup {
            Some(f) => f((*ht).privdata, val),
            None => val,
        };
        (*e).next = *(*ht).table.add(h);
        *(*ht).table.add(h) = e;
        (*ht).used += 1;
        DICT_OK
    }
}

/// Frees every entry (with the type's destructors), the table and the dict.
///
/// # Safety
/// `ht` is a live dict, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictRelease(ht: *mut dict) {
    if ht.is_null() {
        return;
    }
    // SAFETY: caller's promise.
    unsafe {
        let t = (*ht).r#type;
        for i in 0..(*ht).size {
            let mut e = *(*ht).table.add(i as usize);
            while !e.is_null() {
                let next = (*e).next;
                if let Some(f) = (*t).keyDestructor {
                    f((*ht).privdata, (*e).key);
                }
                if let Some(f) = (*t).valDestructor {
                    f((*ht).privdata, (*e).val);
                }
                core::free(e.cast());
                (*ht).used -= 1;
                e = next;
            }
        }
        core::free((*ht).table.cast());
        core::free(ht.cast());
    }
}

/// The entry of `key`, or NULL.
///
/// # Safety
/// `ht` is a live dict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictFind(ht: *mut dict, key: *const c_void) -> *mut dictEntry {
    // SAFETY: caller's promise.
    unsafe {
        if (*ht).size == 0 {
            return ptr::null_mut();
        }
        let h = (hash_key(ht, key) as c_ulong & (*ht).sizemask) as usize;
        let mut e = *(*ht).table.add(h);
        while !e.is_null() {
            if keys_equal(ht, key, (*e).key) {
                return e;
            }
            e = (*e).next;
        }
        ptr::null_mut()
    }
}

/// Starts an iteration over `ht` in a caller-owned iterator.
///
/// # Safety
/// `iter` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictInitIterator(iter: *mut dictIterator, ht: *mut dict) {
    // SAFETY: caller's promise.
    unsafe {
        (*iter).ht = ht;
        (*iter).index = -1;
        (*iter).entry = ptr::null_mut();
        (*iter).nextEntry = ptr::null_mut();
    }
}

/// The next entry (buckets ascending, chains from the head), NULL at the end. The following
/// entry is remembered first, so the returned one may be deleted.
///
/// # Safety
/// `iter` was initialised on a live dict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dictNext(iter: *mut dictIterator) -> *mut dictEntry {
    // SAFETY: caller's promise.
    unsafe {
        let it = &mut *iter;
        loop {
            if it.entry.is_null() {
                it.index += 1;
                let ht = it.ht;
                if ht.is_null() || it.index as c_ulong >= (*ht).size {
                    return ptr::null_mut();
                }
                it.entry = *(*ht).table.add(it.index as usize);
            } else {
                it.entry = it.nextEntry;
            }
            if !it.entry.is_null() {
                it.nextEntry = (*it.entry).next;
                return it.entry;
            }
        }
    }
}

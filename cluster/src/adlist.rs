//! `adlist.h`: the doubly linked list behind `node->slots`, `node->slaves` and the pipeline's
//! request queue (Redis adlist semantics; `listRelease` frees each value with the list's
//! `free` method when one is set).

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::mem::size_of;
use std::ptr;

use crate::core;

pub const AL_START_HEAD: c_int = 0;
pub const AL_START_TAIL: c_int = 1;

#[repr(C)]
pub struct listNode {
    pub prev: *mut listNode,
    pub next: *mut listNode,
    pub value: *mut c_void,
}

#[repr(C)]
pub struct listIter {
    pub next: *mut listNode,
    pub direction: c_int,
}

#[repr(C)]
pub struct hilist {
    pub head: *mut listNode,
    pub tail: *mut listNode,
    pub dup: Option<unsafe extern "C" fn(ptr: *mut c_void) -> *mut c_void>,
    pub free: Option<unsafe extern "C" fn(ptr: *mut c_void)>,
    pub r#match: Option<unsafe extern "C" fn(ptr: *mut c_void, key: *mut c_void) -> c_int>,
    pub len: c_ulong,
}

const _: () = {
    assert!(size_of::<listNode>() == 24);
    assert!(size_of::<listIter>() == 16);
    assert!(size_of::<hilist>() == 48);
};

/// A new empty list, NULL on OOM.
#[unsafe(no_mangle)]
pub extern "C" fn listCreate() -> *mut hilist {
    core::alloc_zeroed()
}

/// Frees every node (values through `free` when set) and the list.
///
/// # Safety
/// `list` is a live list, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listRelease(list: *mut hilist) {
    if list.is_null() {
        return;
    }
    // SAFETY: caller's promise.
    unsafe {
        let mut n = (*list).head;
        let mut len = (*list).len;
        while len > 0 && !n.is_null() {
            let next = (*n).next;
            if let Some(f) = (*list).free {
                f((*n).value);
            }
            core::free(n.cast());
            n = next;
            len -= 1;
        }
        core::free(list.cast());
    }
}

/// # Safety
/// `list` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listAddNodeHead(list: *mut hilist, value: *mut c_void) -> *mut hilist {
    let n: *mut listNode = core::alloc_zeroed();
    if n.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; `n` is fresh.
    unsafe {
        (*n).value = value;
        if (*list).len == 0 {
            (*list).head = n;
            (*list).tail = n;
        } else {
            (*n).next = (*list).head;
            (*(*list).head).prev = n;
            (*list).head = n;
        }
        (*list).len += 1;
    }
    list
}

/// # Safety
/// `list` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listAddNodeTail(list: *mut hilist, value: *mut c_void) -> *mut hilist {
    let n: *mut listNode = core::alloc_zeroed();
    if n.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; `n` is fresh.
    unsafe {
        (*n).value = value;
        if (*list).len == 0 {
            (*list).head = n;
            (*list).tail = n;
        } else {
            (*n).prev = (*list).tail;
            (*(*list).tail).next = n;
            (*list).tail = n;
        }
        (*list).len += 1;
    }
    list
}

/// Inserts `value` after (`after != 0`) or before `old_node`.
///
/// # Safety
/// `list` is a live list and `old_node` one of its nodes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listInsertNode(
    list: *mut hilist,
    old_node: *mut listNode,
    value: *mut c_void,
    after: c_int,
) -> *mut hilist {
    let n: *mut listNode = core::alloc_zeroed();
    if n.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; `n` is fresh.
    unsafe {
        (*n).value = value;
        if after != 0 {
            (*n).prev = old_node;
            (*n).next = (*old_node).next;
            if (*list).tail == old_node {
                (*list).tail = n;
            }
        } else {
            (*n).next = old_node;
            (*n).prev = (*old_node).prev;
            if (*list).head == old_node {
                (*list).head = n;
            }
        }
        if !(*n).prev.is_null() {
            (*(*n).prev).next = n;
        }
        if !(*n).next.is_null() {
            (*(*n).next).prev = n;
        }
        (*list).len += 1;
    }
    list
}

/// Unlinks and frees `node` (its value through `free` when set).
///
/// # Safety
/// `node` belongs to the live `list`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listDelNode(list: *mut hilist, node: *mut listNode) {
    // SAFETY: caller's promise.
    unsafe {
        if (*node).prev.is_null() {
            (*list).head = (*node).next;
        } else {
            (*(*node).prev).next = (*node).next;
        }
        if (*node).next.is_null() {
            (*list).tail = (*node).prev;
        } else {
            (*(*node).next).prev = (*node).prev;
        }
        if let Some(f) = (*list).free {
            f((*node).value);
        }
        core::free(node.cast());
        (*list).len -= 1;
    }
}

/// A heap iterator (free with `listReleaseIterator`), NULL on OOM.
///
/// # Safety
/// `list` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listGetIterator(list: *mut hilist, direction: c_int) -> *mut listIter {
    let it: *mut listIter = core::alloc_zeroed();
    if it.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; `it` is fresh.
    unsafe {
        (*it).next = if direction == AL_START_HEAD {
            (*list).head
        } else {
            (*list).tail
        };
        (*it).direction = direction;
    }
    it
}

/// The next node, NULL at the end (the returned node may be deleted).
///
/// # Safety
/// `iter` is a live iterator over a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listNext(iter: *mut listIter) -> *mut listNode {
    // SAFETY: caller's promise.
    unsafe {
        let cur = (*iter).next;
        if !cur.is_null() {
            (*iter).next = if (*iter).direction == AL_START_HEAD {
                (*cur).next
            } else {
                (*cur).prev
            };
        }
        cur
    }
}

/// # Safety
/// `iter` came from `listGetIterator` (or is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listReleaseIterator(iter: *mut listIter) {
    core::free(iter.cast());
}

/// A copy of `orig` (values through `dup` when set), NULL on OOM.
///
/// # Safety
/// `orig` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listDup(orig: *mut hilist) -> *mut hilist {
    let copy = listCreate();
    if copy.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise; `copy` is fresh.
    unsafe {
        (*copy).dup = (*orig).dup;
        (*copy).free = (*orig).free;
        (*copy).r#match = (*orig).r#match;
        let mut n = (*orig).head;
        while !n.is_null() {
            let value = match (*copy).dup {
                Some(f) => {
                    let v = f((*n).value);
                    if v.is_null() {
                        listRelease(copy);
                        return ptr::null_mut();
                    }
                    v
                }
                None => (*n).value,
            };
            if listAddNodeTail(copy, value).is_null() {
                listRelease(copy);
                return ptr::null_mut();
            }
            n = (*n).next;
        }
    }
    copy
}

/// The first node whose value matches `key` (by `match`, else pointer equality), or NULL.
///
/// # Safety
/// `list` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listSearchKey(list: *mut hilist, key: *mut c_void) -> *mut listNode {
    // SAFETY: caller's promise.
    unsafe {
        let mut n = (*list).head;
        while !n.is_null() {
            let hit = match (*list).r#match {
                Some(f) => f((*n).value, key) != 0,
                None => (*n).value == key,
            };
            if hit {
                return n;
            }
            n = (*n).next;
        }
        ptr::null_mut()
    }
}

/// The node at `index` (negative counts from the tail, -1 is the last), or NULL.
///
/// # Safety
/// `list` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listIndex(list: *mut hilist, index: c_long) -> *mut listNode {
    // SAFETY: caller's promise.
    unsafe {
        let (mut n, mut i, back) = if index < 0 {
            ((*list).tail, -index - 1, true)
        } else {
            ((*list).head, index, false)
        };
        while i > 0 && !n.is_null() {
            n = if back { (*n).prev } else { (*n).next };
            i -= 1;
        }
        n
    }
}

/// # Safety
/// `list` is a live list and `li` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listRewind(list: *mut hilist, li: *mut listIter) {
    // SAFETY: caller's promise.
    unsafe {
        (*li).next = (*list).head;
        (*li).direction = AL_START_HEAD;
    }
}

/// # Safety
/// `list` is a live list and `li` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listRewindTail(list: *mut hilist, li: *mut listIter) {
    // SAFETY: caller's promise.
    unsafe {
        (*li).next = (*list).tail;
        (*li).direction = AL_START_TAIL;
    }
}

/// Moves the tail node to the head.
///
/// # Safety
/// `list` is a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn listRotate(list: *mut hilist) {
    // SAFETY: caller's promise.
    unsafe {
        if (*list).len <= 1 {
            return;
        }
        let tail = (*list).tail;
        (*list).tail = (*tail).prev;
        (*(*list).tail).next = ptr::null_mut();
        (*(*list).head).prev = tail;
        (*tail).prev = ptr::null_mut();
        (*tail).next = (*list).head;
        (*list).head = tail;
    }
}

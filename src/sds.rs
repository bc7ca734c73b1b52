//! sds, hiredis's dynamic strings, with its exact memory layout.
//!
//! An sds points at its string bytes; the byte before is the flags byte (header type in the
//! low 3 bits), preceded by the rest of a packed header (length and capacity, whose width
//! depends on the type). A NUL always follows the content. C code reads these headers through
//! the inline helpers in `sds.h`, so the encoding is ABI. All blocks come from the
//! `hiredisAllocFns` hooks.
//!
//! The functions here take raw `sds` pointers: each `unsafe fn` requires `s` to be a live sds
//! (made by this module or by C code with the same layout) that no one else mutates meanwhile.

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use crate::alloc;

mod ops;
pub(crate) use ops::{
    LLSTR_SIZE, alloc_size, c_tolower, c_toupper, cat_fmt, cat_repr, cmp, cpy_len, free_split_res,
    from_longlong, grow_zero, hex_digit_to_int, join, ll2str, map_bytes, map_chars,
    remove_free_space, split_args, split_len, trim, ull2str, update_len,
};

pub(crate) type Sds = *mut c_char;

/// Growth doubles the size below this, then grows by this much.
pub(crate) const SDS_MAX_PREALLOC: usize = 1024 * 1024;

const TYPE_5: u8 = 0;
const TYPE_8: u8 = 1;
const TYPE_16: u8 = 2;
const TYPE_32: u8 = 3;
const TYPE_64: u8 = 4;
const TYPE_MASK: u8 = 7;
const TYPE_BITS: u32 = 3;

/// The header type for a string of `size` bytes (hiredis's `< 0xff` style thresholds).
fn req_type(size: usize) -> u8 {
    if size < 32 {
        TYPE_5
    } else if size < 0xff {
        TYPE_8
    } else if size < 0xffff {
        TYPE_16
    } else if (size as u64) < 0xffff_ffff {
        TYPE_32
    } else {
        TYPE_64
    }
}

/// Header size in bytes, flags byte included.
fn hdr_size(ty: u8) -> usize {
    match ty & TYPE_MASK {
        TYPE_5 => 1,
        TYPE_8 => 3,
        TYPE_16 => 5,
        TYPE_32 => 9,
        TYPE_64 => 17,
        _ => 0,
    }
}

/// # Safety
/// `s` is a live sds.
unsafe fn flags(s: Sds) -> u8 {
    // SAFETY: every sds has its flags byte right before the string.
    unsafe { *(s as *const u8).sub(1) }
}

/// Reads an unaligned little header field of `width` bytes ending `back` bytes before `s`.
///
/// # Safety
/// `s` is a live sds whose header has that field.
unsafe fn read_field(s: Sds, back: usize, width: usize) -> usize {
    // SAFETY: the field lies `back` bytes before `s`, inside the header (caller's promise).
    let p = unsafe { (s as *const u8).sub(back) };
    // SAFETY: the header field lies within the sds block (promised by the caller).
    unsafe {
        match width {
            1 => *p as usize,
            2 => ptr::read_unaligned(p as *const u16) as usize,
            4 => ptr::read_unaligned(p as *const u32) as usize,
            _ => ptr::read_unaligned(p as *const u64) as usize,
        }
    }
}

/// # Safety
/// As [`read_field`]; the value fits the field (callers pick the type by size).
unsafe fn write_field(s: Sds, back: usize, width: usize, v: usize) {
    // SAFETY: as in `read_field`.
    let p = unsafe { (s as *mut u8).sub(back) };
    // SAFETY: as in `read_field`.
    unsafe {
        match width {
            1 => *p = v as u8,
            2 => ptr::write_unaligned(p as *mut u16, v as u16),
            4 => ptr::write_unaligned(p as *mut u32, v as u32),
            _ => ptr::write_unaligned(p as *mut u64, v as u64),
        }
    }
}

/// Width of the len/alloc fields of a header type (0 for type 5).
fn field_width(ty: u8) -> usize {
    match ty {
        TYPE_8 => 1,
        TYPE_16 => 2,
        TYPE_32 => 4,
        TYPE_64 => 8,
        _ => 0,
    }
}

/// `sdslen`.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn len(s: Sds) -> usize {
    // SAFETY: `s` is live; the header layout follows from its flags byte.
    unsafe {
        let f = flags(s);
        let ty = f & TYPE_MASK;
        match field_width(ty) {
            0 => (f >> TYPE_BITS) as usize,
            w => read_field(s, hdr_size(ty), w),
        }
    }
}

/// `sdsalloc`: the capacity, header and NUL not counted.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn alloc(s: Sds) -> usize {
    // SAFETY: as in `len`; the capacity field follows the length field.
    unsafe {
        let f = flags(s);
        let ty = f & TYPE_MASK;
        match field_width(ty) {
            0 => (f >> TYPE_BITS) as usize,
            w => read_field(s, hdr_size(ty) - w, w),
        }
    }
}

/// `sdsavail`.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn avail(s: Sds) -> usize {
    // SAFETY: forwarded promise.
    unsafe {
        if flags(s) & TYPE_MASK == TYPE_5 {
            0
        } else {
            alloc(s).saturating_sub(len(s))
        }
    }
}

/// `sdssetlen` (no NUL written).
///
/// # Safety
/// `s` is a live sds and `n` fits its header type.
unsafe fn set_len(s: Sds, n: usize) {
    // SAFETY: forwarded promise.
    unsafe {
        let f = flags(s);
        let ty = f & TYPE_MASK;
        match field_width(ty) {
            0 => *(s as *mut u8).sub(1) = TYPE_5 | ((n as u8) << TYPE_BITS),
            w => write_field(s, hdr_size(ty), w, n),
        }
    }
}

/// # Safety
/// `s` is a live sds of a type other than 5 and `n` fits its header type.
unsafe fn set_alloc(s: Sds, n: usize) {
    // SAFETY: forwarded promise.
    unsafe {
        let ty = flags(s) & TYPE_MASK;
        if let w @ 1.. = field_width(ty) {
            write_field(s, hdr_size(ty) - w, w, n);
        }
    }
}

/// The string bytes of `s`.
///
/// # Safety
/// `s` is a live sds that is not changed while the slice lives.
pub(crate) unsafe fn as_bytes<'a>(s: Sds) -> &'a [u8] {
    // SAFETY: `len(s)` bytes are initialised content.
    unsafe { core::slice::from_raw_parts(s as *const u8, len(s)) }
}

/// Start of the allocation that holds `s` (`sdsAllocPtr`).
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn alloc_ptr(s: Sds) -> *mut c_void {
    // SAFETY: the header precedes the string within the same block.
    unsafe { (s as *mut u8).sub(hdr_size(flags(s))) as *mut c_void }
}

/// A new sds holding `init` (or `n` zero bytes when `init` is `None`); NULL on OOM.
fn new_raw(init: Option<&[u8]>, n: usize) -> Sds {
    let mut ty = req_type(n);
    // Empty strings are usually appended to: give them a header that can grow.
    if ty == TYPE_5 && n == 0 {
        ty = TYPE_8;
    }
    let hdr = hdr_size(ty);
    let Some(total) = hdr.checked_add(n).and_then(|t| t.checked_add(1)) else {
        return ptr::null_mut();
    };
    let block = alloc::malloc(total) as *mut u8;
    if block.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `block` has `total` writable bytes; the header, content and NUL fit exactly.
    unsafe {
        let s = block.add(hdr);
        match init {
            Some(b) => ptr::copy_nonoverlapping(b.as_ptr(), s, n),
            None => ptr::write_bytes(block, 0, total),
        }
        *s.sub(1) = ty;
        let s = s as Sds;
        if ty == TYPE_5 {
            set_len(s, n);
        } else {
            set_len(s, n);
            set_alloc(s, n);
        }
        *(s as *mut u8).add(n) = 0;
        s
    }
}

/// `sdsnewlen` with content.
pub(crate) fn new_len(init: &[u8]) -> Sds {
    new_raw(Some(init), init.len())
}

/// `sdsnewlen(NULL, n)`: `n` zero bytes.
pub(crate) fn new_zeroed(n: usize) -> Sds {
    new_raw(None, n)
}

/// `sdsempty`.
pub(crate) fn empty() -> Sds {
    new_raw(Some(&[]), 0)
}

/// `sdsfree`; NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a live sds, not used afterwards.
pub(crate) unsafe fn free(s: Sds) {
    if !s.is_null() {
        // SAFETY: the block starts at the header and came from the hooks.
        unsafe { alloc::free(alloc_ptr(s)) }
    }
}

/// `sdsMakeRoomFor`: ensures `add` more bytes fit. NULL on OOM or size overflow, in which
/// case `s` is still valid and owned by the caller.
///
/// # Safety
/// `s` is a live sds; on success the old pointer is dead and the returned one replaces it.
pub(crate) unsafe fn make_room_for(s: Sds, add: usize) -> Sds {
    // SAFETY: `s` is live (caller's promise).
    unsafe {
        if avail(s) >= add {
            return s;
        }
        let Some(mut want) = len(s).checked_add(add) else {
            return ptr::null_mut();
        };
        want = if want < SDS_MAX_PREALLOC {
            want.saturating_mul(2)
        } else {
            want.saturating_add(SDS_MAX_PREALLOC)
        };
        let mut ty = req_type(want);
        // Type 5 records no capacity, so a growing string never uses it.
        if ty == TYPE_5 {
            ty = TYPE_8;
        }
        resize(s, ty, want)
    }
}

/// Moves `s` into a block with room for `cap` bytes and the NUL under a header of type `ty`:
/// the block is resized in place when the type stays, else the string is copied into a new
/// one. The length is kept and the capacity recorded (type 5 has none). NULL on OOM or size
/// overflow, with `s` untouched.
///
/// # Safety
/// `s` is a live sds of at most `cap` bytes; on success the old pointer is dead.
pub(crate) unsafe fn resize(s: Sds, ty: u8, cap: usize) -> Sds {
    // SAFETY: `s` is live; the new block holds the header, `cap >= len` bytes and the NUL.
    unsafe {
        let n = len(s);
        let hdr = hdr_size(ty);
        let Some(total) = hdr.checked_add(cap).and_then(|t| t.checked_add(1)) else {
            return ptr::null_mut();
        };
        let ns = if ty == flags(s) & TYPE_MASK {
            let block = alloc::realloc(alloc_ptr(s), total) as *mut u8;
            if block.is_null() {
                return ptr::null_mut();
            }
            block.add(hdr) as Sds
        } else {
            let block = alloc::malloc(total) as *mut u8;
            if block.is_null() {
                return ptr::null_mut();
            }
            ptr::copy_nonoverlapping(s as *const u8, block.add(hdr), n + 1);
            alloc::free(alloc_ptr(s));
            let ns = block.add(hdr);
            *ns.sub(1) = ty;
            ns as Sds
        };
        set_len(ns, n);
        set_alloc(ns, cap);
        ns
    }
}

/// `sdscatlen` when `t` fits the spare room: appended, the new length returned. `None`
/// (nothing changed) when it does not fit or the header (type 5) records no capacity. The
/// header is decoded once: this runs on every reader feed.
///
/// # Safety
/// As [`cat_len`].
#[inline(always)]
pub(crate) unsafe fn cat_in_place(s: Sds, t: &[u8]) -> Option<usize> {
    // SAFETY: `n + t.len() <= cap`, so the bytes and the NUL stay inside the block.
    unsafe {
        let ty = flags(s) & TYPE_MASK;
        let w = field_width(ty);
        if w == 0 {
            return None;
        }
        let hdr = hdr_size(ty);
        let (n, cap) = (read_field(s, hdr, w), read_field(s, hdr - w, w));
        if cap.checked_sub(n)? < t.len() {
            return None;
        }
        let p = s as *mut u8;
        ptr::copy(t.as_ptr(), p.add(n), t.len());
        write_field(s, hdr, w, n + t.len());
        *p.add(n + t.len()) = 0;
        Some(n + t.len())
    }
}

/// `sdscatlen`: appends `t`. NULL on OOM (then `s` is still valid).
///
/// # Safety
/// As [`make_room_for`]; `t` does not point into `s`'s spare room.
pub(crate) unsafe fn cat_len(s: Sds, t: &[u8]) -> Sds {
    // SAFETY: after make_room_for there is room for `t` and the NUL.
    unsafe {
        if cat_in_place(s, t).is_some() {
            return s;
        }
        let cur = len(s);
        let s = make_room_for(s, t.len());
        if s.is_null() {
            return s;
        }
        ptr::copy(t.as_ptr(), (s as *mut u8).add(cur), t.len());
        set_len(s, cur + t.len());
        *(s as *mut u8).add(cur + t.len()) = 0;
        s
    }
}

/// `sdsrange(s, from, -1)` without moving the kept bytes: a header is written over dropped
/// bytes right before `s + from`, and the string starting there is returned. `s` is `block`
/// or a string made by this function inside it; the result lies inside `block` too, with the
/// bytes that followed and the rest of `block`'s room as its capacity. It does not own an
/// allocation: it is never freed or resized (`block` is, once nothing uses the result).
/// `None`, with nothing written, when the header would not fit in the dropped bytes, `from`
/// is past the end or `block` has a type-5 header.
///
/// # Safety
/// `block` is a live sds and `s` is `block` or a result of this function for it.
pub(crate) unsafe fn cut_front(block: Sds, s: Sds, from: usize) -> Option<Sds> {
    // SAFETY: the new header sits in `s[from - hdr..from]`, dropped bytes inside `block`;
    // every field written is within the block and sized for `block`'s type.
    unsafe {
        let ty = flags(block) & TYPE_MASK;
        let hdr = hdr_size(ty);
        let n = len(s);
        if ty == TYPE_5 || from < hdr || from > n {
            return None;
        }
        let end = (block as *mut u8).add(alloc(block));
        let v = (s as *mut u8).add(from);
        *v.sub(1) = ty;
        let v = v as Sds;
        set_len(v, n - from);
        set_alloc(v, end.offset_from(v as *mut u8) as usize);
        Some(v)
    }
}

/// Undoes [`cut_front`]: moves the bytes of `s` (a view into `block`) and their NUL to the
/// start of `block`, which then holds them, and returns `block`.
///
/// # Safety
/// `block` is a live sds and `s` `block` or a result of [`cut_front`] for it.
pub(crate) unsafe fn uncut(block: Sds, s: Sds) -> Sds {
    // SAFETY: `s[..=n]` lies inside `block`'s room and `n` fits it; the regions may overlap.
    unsafe {
        let n = len(s);
        if s != block {
            ptr::copy(s as *const u8, block as *mut u8, n + 1);
            set_len(block, n);
        }
        block
    }
}

/// `sdsIncrLen`: moves the end by `incr` (after writing into spare room, or to drop a tail).
/// Out-of-range moves, where hiredis asserts, are ignored.
///
/// # Safety
/// `s` is a live sds; new bytes were written by the caller.
pub(crate) unsafe fn incr_len(s: Sds, incr: isize) {
    // SAFETY: the new length stays within the capacity, so the NUL store is in bounds.
    unsafe {
        let cur = len(s);
        let new = if incr >= 0 {
            // Type 5 has no capacity field: hiredis lets it grow while the length fits 5 bits.
            let room = if flags(s) & TYPE_MASK == TYPE_5 {
                31 - cur
            } else {
                avail(s)
            };
            if incr as usize > room {
                return;
            }
            cur + incr as usize
        } else {
            match cur.checked_sub(incr.unsigned_abs()) {
                Some(n) => n,
                None => return,
            }
        };
        set_len(s, new);
        *(s as *mut u8).add(new) = 0;
    }
}

/// `sdsrange`: keeps bytes `start..=end` (negative indexes count from the end).
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn range(s: Sds, start: isize, end: isize) -> c_int {
    // SAFETY: all indexes are clamped to the current length before the move.
    unsafe {
        let n = len(s);
        if n > isize::MAX as usize {
            return -1;
        }
        if n == 0 {
            return 0;
        }
        let n = n as isize;
        let mut start = if start < 0 { (n + start).max(0) } else { start };
        let mut end = if end < 0 { (n + end).max(0) } else { end };
        let mut newlen = if start > end { 0 } else { end - start + 1 };
        if newlen != 0 {
            if start >= n {
                newlen = 0;
            } else if end >= n {
                end = n - 1;
                newlen = if start > end { 0 } else { end - start + 1 };
            }
        } else {
            start = 0;
        }
        if start != 0 && newlen != 0 {
            ptr::copy(
                (s as *const u8).add(start as usize),
                s as *mut u8,
                newlen as usize,
            );
        }
        *(s as *mut u8).add(newlen as usize) = 0;
        set_len(s, newlen as usize);
        0
    }
}

/// `sdsclear`: empty, capacity kept.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn clear(s: Sds) {
    // SAFETY: every sds has room for its NUL at index 0.
    unsafe {
        set_len(s, 0);
        *s = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_front_views_the_rest_and_uncut_moves_it_back() {
        let text: Vec<u8> = (0..3000u32).map(|i| b'a' + (i % 26) as u8).collect();
        for n in [40, 300, 2000] {
            for cut in [3, 17, 20, n / 2, n - 1, n] {
                // SAFETY: live sds strings made and freed here; views stay inside the block.
                unsafe {
                    let block = make_room_for(new_len(&text[..n]), 100);
                    let cap_end = (block as *const u8).add(alloc(block));
                    let Some(v) = cut_front(block, block, cut) else {
                        assert!(cut < hdr_size(flags(block) & TYPE_MASK), "n {n} cut {cut}");
                        free(block);
                        continue;
                    };
                    assert_eq!(as_bytes(v), &text[cut..n]);
                    let v_end = (v as *const u8).add(alloc(v));
                    assert_eq!(v_end, cap_end, "room up to the block's end");
                    assert_eq!(*(v as *const u8).add(len(v)), 0);
                    // A view of a view, then appends in place and back to the block.
                    let w = cut_front(block, v, (n - cut) / 2).unwrap_or(v);
                    let kept = len(w);
                    assert_eq!(cat_in_place(w, b"xyz"), Some(kept + 3));
                    let b = uncut(block, w);
                    assert_eq!(b, block);
                    assert_eq!(&as_bytes(b)[..kept], &text[n - kept..n]);
                    assert_eq!(&as_bytes(b)[kept..], b"xyz");
                    assert_eq!(*(b as *const u8).add(len(b)), 0);
                    free(b);
                }
            }
        }
    }

    #[test]
    fn header_types_follow_size() {
        for (n, ty) in [
            (0, TYPE_8),
            (1, TYPE_5),
            (31, TYPE_5),
            (32, TYPE_8),
            (254, TYPE_8),
            (255, TYPE_16),
            (70000, TYPE_32),
        ] {
            let s = new_zeroed(n);
            // SAFETY: `s` is a fresh sds.
            unsafe {
                assert_eq!(flags(s) & TYPE_MASK, ty, "size {n}");
                assert_eq!(len(s), n);
                assert_eq!(*(s as *const u8).add(n), 0);
                free(s);
            }
        }
    }

    #[test]
    fn append_grows_and_keeps_content() {
        let mut s = new_len(b"ab");
        // SAFETY: `s` stays the one live sds, replaced by each call's result.
        unsafe {
            for i in 0..1000 {
                s = cat_len(s, format!("{i},").as_bytes());
                assert!(!s.is_null());
            }
            let b = as_bytes(s);
            assert!(b.starts_with(b"ab0,1,2,"));
            assert!(b.ends_with(b"998,999,"));
            assert!(alloc(s) >= len(s));
            free(s);
        }
    }

    #[test]
    fn range_matches_hiredis_rules() {
        let cases: &[(isize, isize, &[u8])] = &[
            (1, 1, b"e"),
            (1, -1, b"ello"),
            (-2, -1, b"lo"),
            (2, 1, b""),
            (1, 100, b"ello"),
            (100, 100, b""),
            (0, 0, b"h"),
        ];
        for &(a, b, want) in cases {
            let s = new_len(b"hello");
            // SAFETY: `s` is a fresh sds.
            unsafe {
                assert_eq!(range(s, a, b), 0);
                assert_eq!(as_bytes(s), want, "range({a},{b})");
                free(s);
            }
        }
    }

    #[test]
    fn incr_len_after_make_room() {
        // SAFETY: writes stay within the room made.
        unsafe {
            let s = make_room_for(empty(), 10);
            ptr::copy_nonoverlapping(b"xyz".as_ptr(), s as *mut u8, 3);
            incr_len(s, 3);
            assert_eq!(as_bytes(s), b"xyz");
            incr_len(s, -1);
            assert_eq!(as_bytes(s), b"xy");
            incr_len(s, -10); // ignored, hiredis would assert
            assert_eq!(as_bytes(s), b"xy");
            free(s);
        }
    }
}

//! sds, hiredis's dynamic strings, with its exact memory layout.
//!
//! An sds points at its string bytes; the byte before is the flags byte (header type in the
//! low 3 bits), preceded by the rest of a packed header (length and capacity, whose width
//! depends on the type). A NUL always follows the content. C code reads these headers through
//! the inline helpers in `sds.h`, so the encoding is ABI. All blocks come from the
//! `hiredisAllocFns` hooks.
//!
//! Rust code reaches an sds through [`Sds`], a handle made once from the raw pointer
//! ([`Sds::from_raw`], the one `unsafe` step, whose contract is "a live sds not accessed
//! otherwise meanwhile"). Its methods are safe: a few private primitives turn the header into
//! byte slices (the header, the content, the room up to the capacity) or hand the block to a
//! [`RawBuf`] (to free or resize it with the hooks); the encoding, growth and every string
//! operation here and in [`ops`] work on those slices.

use core::ffi::{c_char, c_void};
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use core::slice;

use crate::alloc::{AllocError, RawBuf};
pub(crate) use crate::alloc::{Fill, as_uninit};

mod ops;
pub(crate) use ops::{
    LLSTR_SIZE, c_tolower, c_toupper, hex_digit_to_int, join, ll2str, split_args, split_len,
    ull2str,
};

/// Growth doubles the size below this, then grows by this much.
pub(crate) const SDS_MAX_PREALLOC: usize = 1024 * 1024;

const TYPE_5: u8 = 0;
const TYPE_8: u8 = 1;
const TYPE_16: u8 = 2;
const TYPE_32: u8 = 3;
const TYPE_64: u8 = 4;
const TYPE_MASK: u8 = 7;
const TYPE_BITS: u32 = 3;
/// The largest header (type 64).
const MAX_HDR: usize = 17;

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

/// Header size in bytes, flags byte included (an unknown type reads as type 5's one byte).
#[inline(always)]
fn hdr_size(ty: u8) -> usize {
    match ty {
        TYPE_8 => 3,
        TYPE_16 => 5,
        TYPE_32 => 9,
        TYPE_64 => 17,
        _ => 1,
    }
}

/// A length/capacity field of one width, native-endian (the header is packed).
trait Field {
    const W: usize;
    fn get(b: &[u8]) -> usize;
    fn put(b: &mut [u8], v: usize);
}

macro_rules! field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const W: usize = size_of::<$t>();
            #[inline(always)]
            fn get(b: &[u8]) -> usize {
                let mut a = [0u8; size_of::<$t>()];
                a.copy_from_slice(&b[..size_of::<$t>()]);
                <$t>::from_ne_bytes(a) as usize
            }
            #[inline(always)]
            fn put(b: &mut [u8], v: usize) {
                // The value fits: the header type is picked by size.
                b[..size_of::<$t>()].copy_from_slice(&(v as $t).to_ne_bytes());
            }
        }
    )*};
}
field!(u8, u16, u32, u64);

/// Length and capacity from the fields at the start of a header.
#[inline(always)]
fn fields<F: Field>(h: &[u8]) -> (usize, usize) {
    (F::get(h), F::get(&h[F::W..]))
}

/// A header, by type: its bytes as an array of the type's size, flags byte last.
enum Hdr<'a> {
    T5(&'a mut [u8; 1]),
    T8(&'a mut [u8; 3]),
    T16(&'a mut [u8; 5]),
    T32(&'a mut [u8; 9]),
    T64(&'a mut [u8; 17]),
}

impl<'a> Hdr<'a> {
    /// The header of type `ty` that ends `b` (which holds it: panics otherwise).
    #[inline(always)]
    fn ending(ty: u8, b: &'a mut [u8]) -> Hdr<'a> {
        fn last<const N: usize>(b: &mut [u8]) -> &mut [u8; N] {
            b.last_chunk_mut().expect("room for the header")
        }
        match ty {
            TYPE_8 => Hdr::T8(last(b)),
            TYPE_16 => Hdr::T16(last(b)),
            TYPE_32 => Hdr::T32(last(b)),
            TYPE_64 => Hdr::T64(last(b)),
            _ => Hdr::T5(last(b)),
        }
    }

    /// Length and capacity (type 5 records no capacity: its length twice).
    #[inline(always)]
    fn len_cap(&self) -> (usize, usize) {
        match self {
            Hdr::T5(h) => {
                let n = (h[0] >> TYPE_BITS) as usize;
                (n, n)
            }
            Hdr::T8(h) => fields::<u8>(&h[..]),
            Hdr::T16(h) => fields::<u16>(&h[..]),
            Hdr::T32(h) => fields::<u32>(&h[..]),
            Hdr::T64(h) => fields::<u64>(&h[..]),
        }
    }

    #[inline(always)]
    fn set_len(&mut self, n: usize) {
        match self {
            Hdr::T5(h) => h[0] = TYPE_5 | ((n as u8) << TYPE_BITS),
            Hdr::T8(h) => u8::put(&mut h[..], n),
            Hdr::T16(h) => u16::put(&mut h[..], n),
            Hdr::T32(h) => u32::put(&mut h[..], n),
            Hdr::T64(h) => u64::put(&mut h[..], n),
        }
    }

    fn set_cap(&mut self, n: usize) {
        match self {
            Hdr::T5(_) => {}
            Hdr::T8(h) => u8::put(&mut h[1..], n),
            Hdr::T16(h) => u16::put(&mut h[2..], n),
            Hdr::T32(h) => u32::put(&mut h[4..], n),
            Hdr::T64(h) => u64::put(&mut h[8..], n),
        }
    }
}

/// What a header says.
#[derive(Clone, Copy)]
struct Head {
    ty: u8,
    /// Header size, flags byte included.
    hdr: usize,
    len: usize,
    cap: usize,
}

impl Head {
    #[inline(always)]
    fn of<F: Field>(ty: u8, h: &[u8]) -> Head {
        let (len, cap) = fields::<F>(h);
        Head {
            ty,
            hdr: h.len(),
            len,
            cap,
        }
    }
}

/// A whole header of type `ty` for length `len` and capacity `cap`: its bytes, flags last.
fn header_bytes(ty: u8, len: usize, cap: usize) -> ([u8; MAX_HDR], usize) {
    fn put<F: Field>(b: &mut [u8], len: usize, cap: usize) {
        F::put(b, len);
        F::put(&mut b[F::W..], cap);
    }
    let n = hdr_size(ty);
    let mut b = [0u8; MAX_HDR];
    match ty {
        TYPE_8 => put::<u8>(&mut b, len, cap),
        TYPE_16 => put::<u16>(&mut b, len, cap),
        TYPE_32 => put::<u32>(&mut b, len, cap),
        TYPE_64 => put::<u64>(&mut b, len, cap),
        _ => b[0] = (len as u8) << TYPE_BITS,
    }
    b[n - 1] |= ty;
    (b, n)
}

/// How a new sds's content starts.
enum Init<'a> {
    Copy(&'a [u8]),
    Zero(usize),
}

/// An sds string, by its content pointer (what C holds).
///
/// The handle does not free the string when dropped (C usually owns it): [`Sds::free`] does.
/// Growing may move the string; the handle then points at the new one, and the caller stores
/// [`Sds::into_raw`] back where the old pointer was.
pub(crate) struct Sds(NonNull<u8>);

impl Sds {
    /// The handle for the sds at `p`; `None` for NULL.
    ///
    /// # Safety
    /// `p` is NULL or a live sds (made by this module or by C code with hiredis's layout),
    /// and for as long as the handle is used nothing else reads or writes its block: no
    /// other handle to it (or to a view inside it, see [`Sds::cut_front`]) is used meanwhile.
    #[inline(always)]
    pub(crate) unsafe fn from_raw(p: *mut c_char) -> Option<Sds> {
        NonNull::new(p.cast()).map(Sds)
    }

    /// The raw pointer, for C (the handle is given up).
    #[inline(always)]
    pub(crate) fn into_raw(self) -> *mut c_char {
        self.0.as_ptr().cast()
    }

    /// The raw pointer, the handle kept.
    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut c_char {
        self.0.as_ptr().cast()
    }

    /// What the header says, and the content it describes.
    #[inline(always)]
    fn view(&self) -> (Head, &[u8]) {
        let p = self.0.as_ptr();
        // SAFETY: a live sds has its flags byte right before the content and the rest of the
        // header its type names before that, all inside its block, and its first `len` bytes
        // are initialised content (`from_raw`'s contract); the borrow is tied to `&self`.
        unsafe {
            let head = match *p.sub(1) & TYPE_MASK {
                TYPE_8 => Head::of::<u8>(TYPE_8, &*(p.sub(3) as *const [u8; 3])),
                TYPE_16 => Head::of::<u16>(TYPE_16, &*(p.sub(5) as *const [u8; 5])),
                TYPE_32 => Head::of::<u32>(TYPE_32, &*(p.sub(9) as *const [u8; 9])),
                TYPE_64 => Head::of::<u64>(TYPE_64, &*(p.sub(17) as *const [u8; 17])),
                _ => {
                    let n = (*p.sub(1) >> TYPE_BITS) as usize;
                    Head {
                        ty: TYPE_5,
                        hdr: 1,
                        len: n,
                        cap: n,
                    }
                }
            };
            (head, slice::from_raw_parts(p, head.len))
        }
    }

    /// What the header says.
    #[inline(always)]
    fn head(&self) -> Head {
        self.view().0
    }

    /// The header, writable, and the room after it: `cap + 1` bytes from the content's start
    /// (content, NUL, spare capacity), of which the first `len + 1` are initialised. Module
    /// code keeps that true: it raises the length only over bytes it wrote. (The capacity is
    /// read from the header: code that changes the block's size writes the header itself.)
    #[inline(always)]
    fn parts_mut(&mut self) -> (Hdr<'_>, &mut [MaybeUninit<u8>]) {
        let p = self.0.as_ptr();
        // SAFETY: as in `view` for the header; the block also holds the capacity and the NUL
        // after the content, disjoint from the header; `MaybeUninit` makes no claim about the
        // spare bytes; `&mut self` means nothing else uses the block now.
        unsafe {
            let ty = *p.sub(1) & TYPE_MASK;
            let n = hdr_size(ty);
            let h = Hdr::ending(ty, slice::from_raw_parts_mut(p.sub(n), n));
            let cap = h.len_cap().1;
            (h, slice::from_raw_parts_mut(p.cast(), cap + 1))
        }
    }

    /// `sdslen`.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.head().len
    }

    /// `sdsalloc`: the capacity, header and NUL not counted.
    pub(crate) fn alloc(&self) -> usize {
        self.head().cap
    }

    /// `sdsavail` (0 for type 5, which records no capacity).
    pub(crate) fn avail(&self) -> usize {
        let h = self.head();
        h.cap.saturating_sub(h.len)
    }

    /// `sdsAllocSize`: header + capacity + NUL.
    pub(crate) fn alloc_size(&self) -> usize {
        let h = self.head();
        h.hdr + h.cap + 1
    }

    /// `sdsAllocPtr`: the start of the block (its header).
    pub(crate) fn alloc_ptr(&self) -> *mut c_void {
        self.0.as_ptr().wrapping_sub(self.head().hdr).cast()
    }

    fn ty(&self) -> u8 {
        self.head().ty
    }

    /// The string bytes.
    #[inline(always)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.view().1
    }

    /// The string bytes, writable (the length stays).
    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        let n = self.len();
        // SAFETY: as in `as_bytes`; `&mut self` means nothing else uses them now.
        unsafe { slice::from_raw_parts_mut(self.0.as_ptr(), n) }
    }

    /// Sets the length to `n` (at most the capacity) and writes the NUL after it. The bytes
    /// up to `n` must be initialised: callers in this module shorten, or wrote them first.
    #[inline(always)]
    fn set_len(&mut self, n: usize) {
        let (mut h, room) = self.parts_mut();
        room[n].write(0);
        h.set_len(n);
    }

    /// A new sds with a header of type `ty`, room for `cap` bytes and `init` as content.
    fn with_capacity(ty: u8, cap: usize, init: Init<'_>) -> Option<Sds> {
        let (h, hdr) = header_bytes(ty, init.len(), cap);
        let total = hdr.checked_add(cap)?.checked_add(1)?;
        let mut block = RawBuf::<u8>::with_capacity(total).ok()?;
        let (head, room) = block.spare_mut().split_at_mut(hdr);
        head.copy_from_slice(as_uninit(&h[..hdr]));
        let n = match init {
            Init::Copy(b) => {
                room[..b.len()].copy_from_slice(as_uninit(b));
                b.len()
            }
            Init::Zero(n) => {
                // As hiredis, the header bytes that carry no field are zero too.
                room[..n].fill(MaybeUninit::new(0));
                n
            }
        };
        room[n].write(0);
        NonNull::new(block.into_raw().wrapping_add(hdr)).map(Sds)
    }

    /// `sdsnewlen` with content; `None` on OOM.
    pub(crate) fn new(init: &[u8]) -> Option<Sds> {
        Sds::new_with(Init::Copy(init))
    }

    /// `sdsnewlen(NULL, n)`: `n` zero bytes.
    pub(crate) fn new_zeroed(n: usize) -> Option<Sds> {
        Sds::new_with(Init::Zero(n))
    }

    /// `sdsempty`.
    pub(crate) fn empty() -> Option<Sds> {
        Sds::new(&[])
    }

    fn new_with(init: Init<'_>) -> Option<Sds> {
        let n = init.len();
        let mut ty = req_type(n);
        // Empty strings are usually appended to: give them a header that can grow.
        if ty == TYPE_5 && n == 0 {
            ty = TYPE_8;
        }
        Sds::with_capacity(ty, n, init)
    }

    /// The block the string lies in, as the byte buffer that owns it (no values counted):
    /// for the hooks to free or resize. The handle is given up.
    fn into_block(self) -> RawBuf<u8> {
        let size = self.alloc_size();
        // SAFETY: a live sds (`from_raw`'s contract) lies in a hook block that starts at its
        // header and holds the header, the capacity and the NUL; the handle, the only one in
        // use, is consumed, so the buffer is the block's one owner from now on.
        unsafe { RawBuf::from_raw(self.alloc_ptr().cast(), size, 0) }
    }

    /// `sdsfree`.
    pub(crate) fn free(self) {
        drop(self.into_block());
    }

    /// `sdsMakeRoomFor`: ensures `add` more bytes fit. On OOM or size overflow nothing
    /// changes.
    pub(crate) fn make_room_for(&mut self, add: usize) -> Result<(), AllocError> {
        if self.avail() >= add {
            return Ok(());
        }
        let mut want = self.len().checked_add(add).ok_or(AllocError)?;
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
        self.resize(ty, want)
    }

    /// Moves the string into a block with room for `cap >= len` bytes and the NUL under a
    /// header of type `ty`: the block is resized in place when the type stays, else the
    /// string is copied into a new one. The length is kept and the capacity recorded (type 5
    /// has none). On OOM or size overflow nothing changes.
    fn resize(&mut self, ty: u8, cap: usize) -> Result<(), AllocError> {
        let hdr = hdr_size(ty);
        let total = hdr
            .checked_add(cap)
            .and_then(|t| t.checked_add(1))
            .ok_or(AllocError)?;
        if ty != self.ty() {
            let grown =
                Sds::with_capacity(ty, cap, Init::Copy(self.as_bytes())).ok_or(AllocError)?;
            core::mem::replace(self, grown).free();
            return Ok(());
        }
        let len = self.len();
        let mut block = Sds(self.0).into_block();
        let resized = block.resize(total);
        if resized.is_ok() {
            // The same header with the new capacity.
            let (h, n) = header_bytes(ty, len, cap);
            block.spare_mut()[..n].copy_from_slice(as_uninit(&h[..n]));
        }
        // The block, moved or (on failure) as it was, is the string's again.
        self.0 = NonNull::new(block.into_raw().wrapping_add(hdr)).expect("never NULL");
        resized
    }

    /// `sdscatlen` when `t` fits the spare room: appended, the new length returned. `None`
    /// (nothing changed) when it does not fit (type 5 records no spare room).
    /// The header is decoded once: this runs on every reader feed.
    #[inline(always)]
    pub(crate) fn cat_in_place(&mut self, t: &[u8]) -> Option<usize> {
        let (mut h, room) = self.parts_mut();
        let n = h.len_cap().0;
        // The spare room and the NUL slot after the content (one byte for type 5, whose
        // capacity is its length: nothing fits).
        let spare = room.get_mut(n..)?;
        if spare.len() <= t.len() {
            return None;
        }
        spare[..t.len()].copy_from_slice(as_uninit(t));
        spare[t.len()].write(0);
        h.set_len(n + t.len());
        Some(n + t.len())
    }

    /// `sdscatlen`: appends `t`; the new length. On OOM nothing changes.
    pub(crate) fn cat(&mut self, t: &[u8]) -> Result<usize, AllocError> {
        if let Some(n) = self.cat_in_place(t) {
            return Ok(n);
        }
        self.append_with(t.len(), |w| w.put(t))?;
        Ok(self.len())
    }

    /// Makes room for `add` bytes, lets `f` write up to that many after the content through
    /// a [`Fill`], and appends what it wrote. On OOM `f` does not run and nothing changes.
    #[inline]
    pub(crate) fn append_with<R>(
        &mut self,
        add: usize,
        f: impl FnOnce(&mut Fill<'_>) -> R,
    ) -> Result<R, AllocError> {
        self.make_room_for(add)?;
        let (mut h, room) = self.parts_mut();
        let cur = h.len_cap().0;
        let (r, n) = Fill::run(&mut room[cur..cur + add], f);
        let end = cur + n;
        room[end].write(0);
        h.set_len(end);
        Ok(r)
    }

    /// `sdsrange(s, from, -1)` without moving the kept bytes: a header of the same type is
    /// written over dropped bytes right before `from`, and the string starting there is
    /// returned: a view with the bytes that followed and the rest of the room as its
    /// capacity. It owns no allocation: it is never freed or resized; the block it lies in
    /// (the string first cut, which this may be a view of already) is, once the view is no
    /// longer used ([`Sds::uncut`] brings its bytes back). The caller keeps that block's raw
    /// pointer and uses the view instead of `self` from then on. `Err(self)`, with nothing
    /// written, when the header would not fit in the dropped bytes, `from` is past the end
    /// or the header is type 5.
    pub(crate) fn cut_front(mut self, from: usize) -> Result<Sds, Sds> {
        let Head { ty, hdr, len, cap } = self.head();
        if ty == TYPE_5 || from < hdr || from > len {
            return Err(self);
        }
        let Some(p) = NonNull::new(self.0.as_ptr().wrapping_add(from)) else {
            return Err(self);
        };
        // The view's header, over dropped content right before it: its flags byte, then the
        // fields before that.
        let dropped = &mut self.as_bytes_mut()[..from];
        dropped[from - 1] = ty;
        let mut h = Hdr::ending(ty, dropped);
        h.set_len(len - from);
        h.set_cap(cap - from);
        Ok(Sds(p))
    }

    /// Undoes [`Sds::cut_front`]: moves the bytes of `view` (a view inside this block, or
    /// this string itself) and their NUL to the start of the block, which then holds them.
    pub(crate) fn uncut(&mut self, view: Sds) {
        if view.0 == self.0 {
            return;
        }
        let n = view.len();
        let off = view.0.as_ptr() as usize - self.0.as_ptr() as usize;
        let (mut h, room) = self.parts_mut();
        // The view's content and NUL lie in this block's room (initialised: they are the
        // view's); the bounds check keeps a stray pointer from reaching outside.
        room.copy_within(off..off + n + 1, 0);
        h.set_len(n);
    }

    /// `sdsIncrLen` with `incr >= 0`: the caller wrote `incr` bytes after the content.
    /// Out-of-range moves, where hiredis asserts, are ignored. Type 5, which records no
    /// capacity, grows while the length fits its 5 bits, as in hiredis.
    ///
    /// # Safety
    /// The `incr` bytes after the content are initialised and inside the block.
    pub(crate) unsafe fn assume_appended(&mut self, incr: usize) {
        let Head {
            ty, len: cur, cap, ..
        } = self.head();
        let room = if ty == TYPE_5 {
            31 - cur.min(31)
        } else {
            cap - cur.min(cap)
        };
        if incr > room {
            return;
        }
        let new = cur + incr;
        // SAFETY: the caller wrote `incr` bytes after the content inside the block, so the
        // NUL after them is in the block too (type 5 has no recorded capacity to check).
        unsafe { self.0.as_ptr().add(new).write(0) };
        self.parts_mut().0.set_len(new);
    }

    /// `sdsIncrLen` with a negative increment: drops the last `n` bytes (ignored when there
    /// are fewer, where hiredis asserts).
    pub(crate) fn shorten(&mut self, n: usize) {
        if let Some(new) = self.len().checked_sub(n) {
            self.set_len(new);
        }
    }

    /// `sdsrange`: keeps bytes `start..=end` (negative indexes count from the end).
    pub(crate) fn range(&mut self, start: isize, end: isize) -> Result<(), ()> {
        let n = self.len();
        if n > isize::MAX as usize {
            return Err(());
        }
        if n == 0 {
            return Ok(());
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
        self.keep(start as usize, newlen as usize);
        Ok(())
    }

    /// Keeps the `n` bytes from `start` (within the content), moved to the front.
    fn keep(&mut self, start: usize, n: usize) {
        if start != 0 && n != 0 {
            self.as_bytes_mut().copy_within(start..start + n, 0);
        }
        self.set_len(n);
    }

    /// `sdsclear`: empty, capacity kept.
    pub(crate) fn clear(&mut self) {
        self.set_len(0);
    }
}

impl Init<'_> {
    fn len(&self) -> usize {
        match *self {
            Init::Copy(b) => b.len(),
            Init::Zero(n) => n,
        }
    }
}

/// The content of the sds at `p` (NULL: empty), borrowed for `'a`: for a string held in a C
/// struct whose borrow the caller ties the slice to.
///
/// # Safety
/// `p` is NULL or a live sds that nothing changes or frees while the slice lives.
pub(crate) unsafe fn bytes_of<'a>(p: *const c_char) -> &'a [u8] {
    // SAFETY: the caller's promise: a live sds, so `len` initialised content bytes at `p`,
    // unchanged for 'a; the handle is only read.
    unsafe { Sds::from_raw(p.cast_mut()).map_or(&[], |s| slice::from_raw_parts(p.cast(), s.len())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(b: &[u8]) -> Sds {
        Sds::new(b).unwrap()
    }

    #[test]
    fn cut_front_views_the_rest_and_uncut_moves_it_back() {
        let text: Vec<u8> = (0..3000u32).map(|i| b'a' + (i % 26) as u8).collect();
        for n in [40, 300, 2000] {
            for cut in [3, 17, 20, n / 2, n - 1, n] {
                let mut block = new(&text[..n]);
                block.make_room_for(100).unwrap();
                let cap_end = block.as_ptr() as usize + block.alloc();
                let raw = block.as_ptr();
                let v = match block.cut_front(cut) {
                    Ok(v) => v,
                    Err(block) => {
                        assert!(cut < hdr_size(block.ty()), "n {n} cut {cut}");
                        block.free();
                        continue;
                    }
                };
                assert_eq!(v.as_bytes(), &text[cut..n]);
                assert_eq!(
                    v.as_ptr() as usize + v.alloc(),
                    cap_end,
                    "room to the block's end"
                );
                // A view of a view, then appends in place and back to the block.
                let half = (n - cut) / 2;
                let mut w = v.cut_front(half).unwrap_or_else(|v| v);
                let kept = w.len();
                assert_eq!(w.cat_in_place(b"xyz"), Some(kept + 3));
                assert_eq!(&w.as_bytes()[kept..], b"xyz");
                // SAFETY: `raw` is the block; the views are not used after `uncut`.
                let mut b = unsafe { Sds::from_raw(raw) }.unwrap();
                b.uncut(w);
                assert_eq!(&b.as_bytes()[..kept], &text[n - kept..n]);
                assert_eq!(&b.as_bytes()[kept..], b"xyz");
                b.free();
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
            let s = Sds::new_zeroed(n).unwrap();
            assert_eq!(s.ty(), ty, "size {n}");
            assert_eq!(s.len(), n);
            assert!(s.as_bytes().iter().all(|&b| b == 0));
            assert_eq!(s.alloc_size(), hdr_size(ty) + n + 1);
            s.free();
        }
    }

    #[test]
    fn header_encoding_is_hiredis_layout() {
        let mut s = new(&[b'x'; 300]);
        s.make_room_for(10).unwrap();
        let cap = s.alloc();
        let (Hdr::T16(h), _) = s.parts_mut() else {
            panic!("type 16 expected");
        };
        assert_eq!(u16::from_ne_bytes([h[0], h[1]]), 300);
        assert_eq!(u16::from_ne_bytes([h[2], h[3]]) as usize, cap);
        assert_eq!(h[4], TYPE_16);
        s.free();
        let mut s = new(b"abc");
        assert!(matches!(s.parts_mut().0, Hdr::T5(&mut [f]) if f == TYPE_5 | (3 << TYPE_BITS)));
        s.free();
        let (b, n) = header_bytes(TYPE_32, 70000, 80000);
        assert_eq!(n, 9);
        assert_eq!(b[..4], 70000u32.to_ne_bytes());
        assert_eq!(b[4..8], 80000u32.to_ne_bytes());
        assert_eq!(b[8], TYPE_32);
    }

    #[test]
    fn append_grows_and_keeps_content() {
        let mut s = new(b"ab");
        for i in 0..1000 {
            s.cat(format!("{i},").as_bytes()).unwrap();
        }
        let b = s.as_bytes();
        assert!(b.starts_with(b"ab0,1,2,"));
        assert!(b.ends_with(b"998,999,"));
        assert!(s.alloc() >= s.len());
        s.free();
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
            let mut s = new(b"hello");
            assert_eq!(s.range(a, b), Ok(()));
            assert_eq!(s.as_bytes(), want, "range({a},{b})");
            s.free();
        }
    }

    #[test]
    fn append_with_and_shorten() {
        let mut s = Sds::empty().unwrap();
        s.append_with(10, |w| w.put(b"xyz")).unwrap();
        assert_eq!(s.as_bytes(), b"xyz");
        assert!(s.avail() >= 7);
        s.shorten(1);
        assert_eq!(s.as_bytes(), b"xy");
        s.shorten(10); // ignored, hiredis would assert
        assert_eq!(s.as_bytes(), b"xy");
        s.clear();
        assert_eq!(s.len(), 0);
        s.free();
    }
}

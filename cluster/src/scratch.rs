//! The per-context scratch area: room for the rare large command's transient arrays (more
//! arguments or keys than the command paths keep inline on the stack, a sub-command over their
//! inline bytes, a redirect's address), so that a steady stream of such commands allocates
//! nothing and nothing goes through Rust's allocator.
//!
//! One `hi_malloc` block per context, kept after the public struct (`ContextAlloc`), handed out
//! as a stack: a `Lease` takes the bytes above the others and gives them back when dropped.
//! The block is only replaced (never moved with leases in it) when no lease is live, growing
//! to the most bytes asked of it at once, up to `BOUND`; a lease that does not fit (a larger
//! command, or a nested call while the block is full) gets a block of its own for its
//! lifetime. Leases are fixed-size: the callers know the sizes before filling them.

use std::marker::PhantomData;
use std::mem::{MaybeUninit, align_of, size_of};
use std::ptr;

use crate::core;

/// The scratch state of one context (zeroed: empty).
#[repr(C)]
pub(crate) struct Scratch {
    /// A `hi_malloc` block of `cap` bytes, or NULL.
    block: *mut u8,
    cap: usize,
    /// Bytes taken from the block's start: every live lease in the block lies below.
    top: usize,
    /// Live leases, in the block or in blocks of their own; `top` is 0 when none is.
    live: usize,
    /// The most block bytes asked for at once (at most `BOUND`): the block grows to it the
    /// next time no lease is live.
    want: usize,
}

/// The largest block kept.
pub(crate) const BOUND: usize = 1 << 20;
/// The smallest block, and the rounding of its size.
const STEP: usize = 4096;
/// Leases start at multiples of this (the block itself is `hi_malloc`-aligned).
const ALIGN: usize = 8;
/// `Lease::start` of a lease in a block of its own.
const OWN: usize = usize::MAX;

impl Scratch {
    /// Empty (as a zeroed context has it).
    pub(crate) const fn new() -> Scratch {
        Scratch {
            block: ptr::null_mut(),
            cap: 0,
            top: 0,
            live: 0,
            want: 0,
        }
    }

    /// Leases live.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Frees the block (at `redisClusterFree`; no lease is live then).
    pub(crate) fn release(&mut self) {
        debug_assert_eq!(self.live, 0);
        core::free(self.block.cast());
        *self = Scratch::new();
    }

    /// Replaces the (unused) block by a larger one when `want` or `size` (within the bound)
    /// asks for more than it has. A failed allocation keeps the old block.
    fn grow(&mut self, size: usize) {
        debug_assert_eq!(self.live, 0);
        // A lease larger than the bound gets a block of its own and leaves this one be.
        let target = if size <= BOUND {
            self.want.max(size)
        } else {
            self.want
        };
        if target <= self.cap {
            return;
        }
        let cap = target.div_ceil(STEP) * STEP;
        let b = core::malloc(cap) as *mut u8;
        if !b.is_null() {
            core::free(self.block.cast());
            self.block = b;
            self.cap = cap;
        }
    }
}

/// `n` values of `T` taken from a `Scratch`, given back when dropped. It holds a raw pointer
/// to its `Scratch`, which must outlive it (the context outlives every call using it).
pub(crate) struct Lease<T: Copy> {
    scratch: *mut Scratch,
    at: *mut T,
    /// The lease's bytes in the block, or `OWN`.
    start: usize,
    end: usize,
    _t: PhantomData<T>,
}

impl<T: Copy> Lease<T> {
    /// Room for `n` values (uninitialised); None when out of memory.
    ///
    /// # Safety
    /// `scratch` is a live `Scratch` that outlives the lease and is used only through leases
    /// (and `release` when none is live).
    pub(crate) unsafe fn new(scratch: *mut Scratch, n: usize) -> Option<Lease<T>> {
        const { assert!(align_of::<T>() <= ALIGN && size_of::<T>() > 0) };
        // At least ALIGN bytes, so that even an empty lease points into a live block.
        let bytes = n
            .checked_mul(size_of::<T>())?
            .max(1)
            .checked_next_multiple_of(ALIGN)?;
        // SAFETY: caller's promise: `scratch` is live and no other reference to it is held
        // (leases only touch it in `new` and `drop`).
        let s = unsafe { &mut *scratch };
        if s.live == 0 {
            s.grow(bytes);
        }
        let (at, start, end) = if bytes <= s.cap - s.top {
            let start = s.top;
            s.top += bytes;
            // SAFETY: `start + bytes <= cap`: inside the block; `start` is a multiple of
            // ALIGN, so `at` is aligned for T.
            (unsafe { s.block.add(start) }, start, start + bytes)
        } else {
            if s.top + bytes <= BOUND {
                s.want = s.want.max(s.top + bytes);
            }
            let b = core::malloc(bytes) as *mut u8;
            if b.is_null() {
                return None;
            }
            (b, OWN, OWN)
        };
        s.live += 1;
        Some(Lease {
            scratch,
            at: at.cast(),
            start,
            end,
            _t: PhantomData,
        })
    }

    /// The lease's first value; `n` values of room from there.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.at
    }
}

impl<T: Copy> Drop for Lease<T> {
    fn drop(&mut self) {
        // SAFETY: `new`'s promise: the scratch outlives the lease; its block is not replaced
        // while this lease is live (`grow` runs only when `live` is 0).
        let s = unsafe { &mut *self.scratch };
        s.live -= 1;
        if self.start == OWN {
            core::free(self.at.cast());
        } else if s.live == 0 {
            s.top = 0;
        } else if s.top == self.end {
            // The topmost lease: its bytes are free again. A lease dropped out of order keeps
            // its bytes until the leases above it are gone (then `live` reaches 0).
            s.top = self.start;
        }
    }
}

/// A vector of fixed capacity: `N` values inline (on the caller's stack), a `Lease` for a
/// larger capacity. Filled by `push`/`extend` up to the capacity given to `reserve`.
pub(crate) struct Small<T: Copy, const N: usize> {
    len: usize,
    cap: usize,
    inline: [MaybeUninit<T>; N],
    spill: Option<Lease<T>>,
}

impl<T: Copy, const N: usize> Small<T, N> {
    /// Empty, room for `N` values.
    pub(crate) fn new() -> Self {
        Small {
            len: 0,
            cap: N,
            inline: [const { MaybeUninit::uninit() }; N],
            spill: None,
        }
    }

    /// Empties it and makes room for `cap` values: inline when they fit, else leased from
    /// `scratch`. False when out of memory.
    ///
    /// # Safety
    /// As `Lease::new`.
    #[inline]
    pub(crate) unsafe fn reserve(&mut self, scratch: *mut Scratch, cap: usize) -> bool {
        self.len = 0;
        if self.spill.is_some() {
            self.spill = None;
            self.cap = N;
        }
        if cap <= N {
            return true;
        }
        // SAFETY: caller's promise.
        unsafe { self.lease(scratch, cap) }
    }

    /// `reserve` past the inline room.
    ///
    /// # Safety
    /// As `Lease::new`.
    #[inline(never)]
    unsafe fn lease(&mut self, scratch: *mut Scratch, cap: usize) -> bool {
        // SAFETY: caller's promise.
        match unsafe { Lease::new(scratch, cap) } {
            Some(l) => {
                self.spill = Some(l);
                self.cap = cap;
                true
            }
            None => false,
        }
    }

    #[inline]
    fn base(&self) -> *const T {
        match &self.spill {
            Some(l) => l.as_ptr(),
            None => self.inline.as_ptr().cast(),
        }
    }

    #[inline]
    fn base_mut(&mut self) -> *mut T {
        match &self.spill {
            Some(l) => l.as_ptr(),
            None => self.inline.as_mut_ptr().cast(),
        }
    }

    /// The storage: room for the reserved capacity, to be written and then counted with
    /// `set_len`.
    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        self.base_mut()
    }

    /// Counts the first `len` values as written.
    ///
    /// # Safety
    /// `len` is at most the reserved capacity and the first `len` values were written
    /// through `as_mut_ptr`.
    #[inline]
    pub(crate) unsafe fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.cap);
        self.len = len;
    }

    /// Adds a value; past the reserved capacity is a bug (the callers size it).
    pub(crate) fn push(&mut self, v: T) {
        assert!(self.len < self.cap, "Small: past the reserved capacity");
        // SAFETY: `len < cap`: inside the inline array or the lease, both of `cap` values.
        unsafe { self.base_mut().add(self.len).write(v) };
        self.len += 1;
    }

    pub(crate) fn extend(&mut self, vs: &[T]) {
        assert!(
            vs.len() <= self.cap - self.len,
            "Small: past the reserved capacity"
        );
        // SAFETY: `len + vs.len() <= cap` (above); `vs` cannot overlap this storage, which
        // only `&mut self` reaches.
        unsafe {
            ptr::copy_nonoverlapping(vs.as_ptr(), self.base_mut().add(self.len), vs.len());
        }
        self.len += vs.len();
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: the first `len` values were written by `push`/`extend`; the storage lives as
        // long as `self` (the lease is dropped with it).
        unsafe { std::slice::from_raw_parts(self.base(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as `as_slice`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.base_mut(), self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Scratch {
        Scratch::new()
    }

    /// Writes `v` over the lease's `n` bytes (the leases below are all of `n` bytes).
    fn fill(l: &Lease<u8>, n: usize, v: u8) {
        // SAFETY: the lease's own bytes.
        unsafe { ptr::write_bytes(l.as_ptr(), v, n) };
    }

    fn all(l: &Lease<u8>, n: usize, v: u8) -> bool {
        // SAFETY: bytes written by `fill`.
        unsafe { std::slice::from_raw_parts(l.as_ptr(), n) }
            .iter()
            .all(|&b| b == v)
    }

    fn in_block(s: &Scratch, l: &Lease<u8>) -> bool {
        l.start != OWN && (l.as_ptr() as usize).wrapping_sub(s.block as usize) < s.cap
    }

    #[test]
    fn stack_discipline_and_steady_state() {
        let mut s = empty();
        let sp: *mut Scratch = &mut s;
        // SAFETY: `s` outlives the leases (here and in the tests below) and is read only
        // through `sp` between their calls.
        unsafe {
            // The first lease sizes the block; the second, nested, does not fit: its own
            // block, and the block grows to both the next time.
            {
                let a = Lease::<u8>::new(sp, 3000).unwrap();
                let b = Lease::<u8>::new(sp, 3000).unwrap();
                assert!(in_block(&*sp, &a) && !in_block(&*sp, &b));
                fill(&a, 3000, 1);
                fill(&b, 3000, 2);
                assert!(all(&a, 3000, 1) && all(&b, 3000, 2));
                assert_eq!((*sp).want, 6000);
            }
            assert_eq!(((*sp).live, (*sp).top, (*sp).cap), (0, 0, STEP));
            let block;
            {
                let a = Lease::<u8>::new(sp, 3000).unwrap();
                let b = Lease::<u8>::new(sp, 3000).unwrap();
                let c = Lease::<(u32, u32)>::new(sp, 10).unwrap();
                assert!(in_block(&*sp, &a) && in_block(&*sp, &b));
                assert_eq!(c.as_ptr() as usize % align_of::<(u32, u32)>(), 0);
                block = (*sp).block;
                fill(&a, 3000, 3);
                fill(&b, 3000, 4);
                assert!(all(&a, 3000, 3) && all(&b, 3000, 4));
            }
            // Steady: the same leases again take the same block.
            {
                let _a = Lease::<u8>::new(sp, 3000).unwrap();
                let _b = Lease::<u8>::new(sp, 3000).unwrap();
                assert_eq!((*sp).block, block);
            }
            assert_eq!(((*sp).live, (*sp).top), (0, 0));
            (*sp).release();
        }
    }

    #[test]
    fn out_of_order_drop_keeps_live_bytes() {
        let mut s = empty();
        let sp: *mut Scratch = &mut s;
        // SAFETY: as above.
        unsafe {
            let a = Lease::<u8>::new(sp, 100).unwrap();
            let b = Lease::<u8>::new(sp, 100).unwrap();
            fill(&b, 100, 7);
            drop(a);
            // `b` is still live: a new lease must not overlap it.
            let c = Lease::<u8>::new(sp, 100).unwrap();
            fill(&c, 100, 8);
            assert!(all(&b, 100, 7) && all(&c, 100, 8));
            drop(b);
            drop(c);
            assert_eq!(((*sp).live, (*sp).top), (0, 0));
            (*sp).release();
        }
    }

    #[test]
    fn small_inline_then_leased() {
        let mut s = empty();
        let sp: *mut Scratch = &mut s;
        // SAFETY: as above.
        unsafe {
            let mut v: Small<u32, 4> = Small::new();
            v.extend(&[1, 2, 3]);
            v.push(4);
            assert_eq!(v.as_slice(), [1, 2, 3, 4]);
            assert!(v.reserve(sp, 4) && v.as_slice().is_empty() && (*sp).live == 0);
            assert!(v.reserve(sp, 40) && (*sp).live == 1);
            for i in 0..40 {
                v.push(i);
            }
            v.as_mut_slice().reverse();
            assert_eq!(v.as_slice()[0], 39);
            let mut w: Small<u8, 4> = Small::new();
            assert!(w.reserve(sp, 5));
            w.extend(b"hello");
            assert_eq!(w.as_slice(), b"hello");
            assert_eq!((*sp).live, 2);
            drop(w);
            drop(v);
            assert_eq!(((*sp).live, (*sp).top), (0, 0));
            (*sp).release();
        }
    }

    #[test]
    #[should_panic(expected = "past the reserved capacity")]
    fn small_refuses_past_capacity() {
        let mut v: Small<u8, 2> = Small::new();
        v.extend(b"abc");
    }

    #[test]
    fn larger_than_bound_is_its_own_block() {
        let mut s = empty();
        let sp: *mut Scratch = &mut s;
        // SAFETY: as above.
        unsafe {
            let big = Lease::<u8>::new(sp, BOUND + 1).unwrap();
            assert!(!in_block(&*sp, &big));
            assert_eq!(((*sp).want, (*sp).cap), (0, 0));
            fill(&big, BOUND + 1, 9);
            assert!(all(&big, BOUND + 1, 9));
            drop(big);
            // Overflowing sizes are refused.
            assert!(Lease::<u64>::new(sp, usize::MAX / 4).is_none());
            assert_eq!((*sp).live, 0);
            (*sp).release();
        }
    }
}

//! [`RawBuf`]: a block of slots from the `hiredisAllocFns` hooks, the one place the
//! containers ([`super::HVec`], [`super::HBox`], [`super::HRing`]) allocate, grow and free,
//! and the one place that knows which slots hold values: the first `len`. The containers are
//! safe code over its methods. Byte blocks for C (reply strings, formatted commands) are
//! written through a [`Fill`], which tracks how much of the room it initialised; a new sds
//! is written into the spare slots directly (`Sds::with_capacity`).

use core::marker::PhantomData;
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr::NonNull;

use super::vec::AllocError;

/// What a hook block guarantees: malloc's alignment for any fundamental type.
const HOOK_ALIGN: usize = 16;

/// `cap` slots of `T` in one hook block (none, and no block, while `cap` is 0), of which the
/// first `len` hold values (dropped with the buffer) and the rest are uninitialised.
pub(crate) struct RawBuf<T> {
    ptr: NonNull<T>,
    cap: usize,
    len: usize,
    _owns: PhantomData<T>,
}

/// The size in bytes of `cap` slots, refused past `isize::MAX` (Rust's limit for a slice).
fn block_bytes<T>(cap: usize) -> Result<usize, AllocError> {
    let bytes = cap.checked_mul(size_of::<T>()).ok_or(AllocError)?;
    if bytes > isize::MAX as usize {
        return Err(AllocError);
    }
    Ok(bytes)
}

impl<T> RawBuf<T> {
    const CHECK: () = assert!(size_of::<T>() > 0 && align_of::<T>() <= HOOK_ALIGN);

    pub(crate) const fn new() -> Self {
        let () = Self::CHECK;
        RawBuf {
            ptr: NonNull::dangling(),
            cap: 0,
            len: 0,
            _owns: PhantomData,
        }
    }

    /// A fresh block of `cap` (> 0) slots from the malloc hook.
    pub(crate) fn with_capacity(cap: usize) -> Result<Self, AllocError> {
        let () = Self::CHECK;
        let p = super::malloc(block_bytes::<T>(cap)?) as *mut T;
        Ok(RawBuf {
            ptr: NonNull::new(p).ok_or(AllocError)?,
            cap,
            len: 0,
            _owns: PhantomData,
        })
    }

    /// Takes back a block of `cap` slots, the first `len` holding values, whose owner gave it
    /// away (as [`super::HBox`] does).
    ///
    /// # Safety
    /// `p` is the pointer of a `RawBuf` of `cap` slots and `len` values that was forgotten,
    /// not freed, and is not used otherwise afterwards.
    pub(crate) unsafe fn from_raw(p: *mut T, cap: usize, len: usize) -> Self {
        RawBuf {
            ptr: NonNull::new(p).expect("a block pointer is never NULL"),
            cap,
            len,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// How many slots, from the first, hold values.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The values.
    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: the block's pointer is aligned and non-null (dangling only with `len` 0),
        // and its first `len` slots hold values.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The values, writable.
    #[inline(always)]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the borrow unique.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Appends `v` in the next free slot; gives it back when the block is full. The bounds
    /// check of the slot is the capacity check (one comparison).
    #[inline(always)]
    pub(crate) fn push(&mut self, v: T) -> Result<(), T> {
        let Some(slot) = self.spare_mut().first_mut() else {
            return Err(v);
        };
        slot.write(v);
        self.len += 1;
        Ok(())
    }

    /// Moves the last value out.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: slot `len` held a value and is now outside the values, so it is moved out
        // exactly once.
        Some(unsafe { self.ptr.as_ptr().add(self.len).read() })
    }

    /// Drops the values past the first `n`.
    pub(crate) fn truncate(&mut self, n: usize) {
        while self.len > n {
            drop(self.pop());
        }
    }

    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Gives the block away (to C, which frees it with `hi_free`, or back to
    /// [`RawBuf::from_raw`]), values included; NULL while there is none.
    #[inline(always)]
    pub(crate) fn into_raw(self) -> *mut T {
        let b = core::mem::ManuallyDrop::new(self);
        if b.cap == 0 {
            core::ptr::null_mut()
        } else {
            b.ptr.as_ptr()
        }
    }

    /// Resizes the block to `cap` (> 0, at least `len`) slots with the realloc hook (realloc
    /// of NULL for the first block), keeping the values. On failure nothing changes.
    #[cold]
    #[inline(never)]
    pub(crate) fn resize(&mut self, cap: usize) -> Result<(), AllocError> {
        if cap < self.len {
            // The values must all fit.
            return Err(AllocError);
        }
        let bytes = block_bytes::<T>(cap)?;
        let old = if self.cap == 0 {
            core::ptr::null_mut()
        } else {
            self.as_ptr().cast()
        };
        // SAFETY: `old` is NULL or this buffer's own hook block; on failure the hook leaves
        // it untouched, on success it is replaced by the result.
        let p = unsafe { super::realloc(old, bytes) } as *mut T;
        self.ptr = NonNull::new(p).ok_or(AllocError)?;
        self.cap = cap;
        Ok(())
    }

    /// The free slots, after the values (uninitialised; writing them does not change
    /// `len`: for a block filled here and then given away whole with [`RawBuf::into_raw`]).
    #[inline(always)]
    pub(crate) fn spare_mut(&mut self) -> &mut [MaybeUninit<T>] {
        // SAFETY: slots `len..cap` lie in the block (none while dangling) and belong to this
        // buffer; `MaybeUninit` makes no claim about their contents, and they hold no values
        // that a write could leak or break; `&mut self` makes the borrow unique.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.ptr.as_ptr().add(self.len).cast(),
                self.cap - self.len,
            )
        }
    }
}

/// Views initialised values as possibly uninitialised ones, to copy them into slots.
#[inline(always)]
pub(crate) fn as_uninit<T: Copy>(b: &[T]) -> &[MaybeUninit<T>] {
    // SAFETY: `MaybeUninit<T>` has `T`'s layout, and through a shared slice nothing can
    // write an uninitialised value back into `b`.
    unsafe { &*(b as *const [T] as *const [MaybeUninit<T>]) }
}

impl<T: Copy> RawBuf<T> {
    /// Appends copies of `s`; false (nothing written) when they do not fit.
    pub(crate) fn extend_from_slice(&mut self, s: &[T]) -> bool {
        let Some(room) = self.spare_mut().get_mut(..s.len()) else {
            return false;
        };
        room.copy_from_slice(as_uninit(s));
        self.len += s.len();
        true
    }

    /// Appends `v` until there are `n` values (none when there are already); false (nothing
    /// written) when they do not fit.
    pub(crate) fn fill_to(&mut self, n: usize, v: T) -> bool {
        let len = self.len;
        if n <= len {
            return true;
        }
        let Some(room) = self.spare_mut().get_mut(..n - len) else {
            return false;
        };
        room.fill(MaybeUninit::new(v));
        self.len = n;
        true
    }
}

impl RawBuf<u8> {
    /// Lets `f` write into the free slots through a [`Fill`] and counts what it wrote as
    /// values; `f`'s result.
    #[inline(always)]
    pub(crate) fn fill_with<R>(&mut self, f: impl FnOnce(&mut Fill<'_>) -> R) -> R {
        let (r, n) = Fill::run(self.spare_mut(), f);
        // The first `n` free slots were written.
        self.len += n;
        r
    }
}

/// Writes bytes front to back into uninitialised room: the first [`Fill::len`] bytes are
/// initialised, which is what makes appending through it safe. A `Fill` is only ever lent by
/// [`Fill::run`] (no other constructor, no `Default`, and the lent one's lifetime is its
/// own), so the writer cannot swap in one over other memory: the count is the room's.
pub(crate) struct Fill<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    pos: usize,
}

impl Fill<'_> {
    /// Lets `f` write into `room` front to back: `f`'s result, and how many bytes from the
    /// start of `room` it wrote (initialised from then on).
    #[inline(always)]
    pub(crate) fn run<R>(
        room: &mut [MaybeUninit<u8>],
        f: impl FnOnce(&mut Fill<'_>) -> R,
    ) -> (R, usize) {
        let mut w = Fill { buf: room, pos: 0 };
        let r = f(&mut w);
        (r, w.pos)
    }

    /// Appends `b` (panics past the room, which callers size beforehand).
    #[inline(always)]
    pub(crate) fn put(&mut self, b: &[u8]) {
        let end = self.pos + b.len();
        self.buf[self.pos..end].copy_from_slice(as_uninit(b));
        self.pos = end;
    }

    /// Appends `n` zero bytes.
    pub(crate) fn zeros(&mut self, n: usize) {
        let end = self.pos + n;
        self.buf[self.pos..end].fill(MaybeUninit::new(0));
        self.pos = end;
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.pos
    }
}

impl<T> Drop for RawBuf<T> {
    fn drop(&mut self) {
        // The values first, then the block.
        self.truncate(0);
        if self.cap != 0 {
            // SAFETY: the buffer's own hook block, freed once (the buffer goes with it); its
            // values were dropped just above.
            unsafe { super::free(self.ptr.as_ptr().cast()) };
        }
    }
}

//! [`RawBuf`]: a block of slots from the `hiredisAllocFns` hooks, the one place the
//! containers ([`super::HVec`], [`super::HBox`], [`super::HRing`]) allocate, grow and free.

use core::marker::PhantomData;
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr::NonNull;

use super::vec::AllocError;

/// What a hook block guarantees: malloc's alignment for any fundamental type.
const HOOK_ALIGN: usize = 16;

/// `cap` slots of `T` in one hook block (none, and no block, while `cap` is 0). The slots are
/// uninitialised memory to this type: its owner tracks which hold values and drops them
/// before the block goes (dropping a `RawBuf` frees the block only).
pub(crate) struct RawBuf<T> {
    ptr: NonNull<T>,
    cap: usize,
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
            _owns: PhantomData,
        })
    }

    /// Takes back a block of `cap` slots whose owner gave it away (as [`super::HBox`] does).
    ///
    /// # Safety
    /// `p` is the pointer of a `RawBuf` of `cap` slots that was forgotten, not freed, and is
    /// not used otherwise afterwards.
    pub(crate) unsafe fn from_raw(p: *mut T, cap: usize) -> Self {
        RawBuf {
            ptr: NonNull::new(p).expect("a block pointer is never NULL"),
            cap,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Gives the block away (to C, which frees it with `hi_free`); NULL while there is none.
    #[inline(always)]
    pub(crate) fn into_raw(self) -> *mut T {
        let b = core::mem::ManuallyDrop::new(self);
        if b.cap == 0 {
            core::ptr::null_mut()
        } else {
            b.ptr.as_ptr()
        }
    }

    /// Resizes the block to `cap` (> 0) slots with the realloc hook (realloc of NULL for the
    /// first block), keeping the bytes of the slots both sizes have. On failure nothing
    /// changes.
    #[cold]
    #[inline(never)]
    pub(crate) fn resize(&mut self, cap: usize) -> Result<(), AllocError> {
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

    /// The slots, each initialised or not (the owner knows).
    #[inline(always)]
    pub(crate) fn slots_mut(&mut self) -> &mut [MaybeUninit<T>] {
        // SAFETY: the block holds `cap` aligned slots (none while dangling) and belongs to
        // this buffer; `MaybeUninit` makes no claim about their contents; `&mut self` makes
        // the borrow unique.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().cast(), self.cap) }
    }
}

/// Views initialised values as possibly uninitialised ones, to copy them into slots.
#[inline(always)]
pub(crate) fn as_uninit<T: Copy>(b: &[T]) -> &[MaybeUninit<T>] {
    // SAFETY: `MaybeUninit<T>` has `T`'s layout, and through a shared slice nothing can
    // write an uninitialised value back into `b`.
    unsafe { &*(b as *const [T] as *const [MaybeUninit<T>]) }
}

impl<T> Drop for RawBuf<T> {
    fn drop(&mut self) {
        if self.cap != 0 {
            // SAFETY: the buffer's own hook block, freed once (the buffer goes with it); the
            // owner has dropped whatever values the slots held.
            unsafe { super::free(self.ptr.as_ptr().cast()) };
        }
    }
}

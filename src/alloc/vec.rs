//! [`HVec`]: a growable array whose storage comes from the `hiredisAllocFns` hooks, and
//! [`HBox`]: one value in hook memory. Growth is fallible ([`AllocError`]), never an abort.

use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};

/// A hook allocation failed (or the size overflowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AllocError;

/// What a hook block guarantees: malloc's alignment for any fundamental type.
const HOOK_ALIGN: usize = 16;

/// A `Vec` over hook memory, with only fallible growth.
pub(crate) struct HVec<T> {
    ptr: NonNull<T>,
    len: usize,
    cap: usize,
    _owns: PhantomData<T>,
}

impl<T> Default for HVec<T> {
    fn default() -> Self {
        HVec::new()
    }
}

impl<T> HVec<T> {
    const CHECK: () = assert!(size_of::<T>() > 0 && align_of::<T>() <= HOOK_ALIGN);

    pub(crate) const fn new() -> Self {
        let () = Self::CHECK;
        HVec {
            ptr: NonNull::dangling(),
            len: 0,
            cap: 0,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Makes room for `additional` more items (at least doubling, at least 4 slots).
    pub(crate) fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        let need = self.len.checked_add(additional).ok_or(AllocError)?;
        if need <= self.cap {
            return Ok(());
        }
        self.grow_to(need.max(self.cap.saturating_mul(2)).max(4))
    }

    /// Makes room for exactly `additional` more items.
    pub(crate) fn try_reserve_exact(&mut self, additional: usize) -> Result<(), AllocError> {
        let need = self.len.checked_add(additional).ok_or(AllocError)?;
        if need <= self.cap {
            return Ok(());
        }
        self.grow_to(need)
    }

    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, cap: usize) -> Result<(), AllocError> {
        let bytes = cap.checked_mul(size_of::<T>()).ok_or(AllocError)?;
        if bytes > isize::MAX as usize {
            return Err(AllocError);
        }
        let old = if self.cap == 0 {
            ptr::null_mut()
        } else {
            self.ptr.as_ptr().cast()
        };
        // SAFETY: `old` is NULL or this vector's hook block; on failure it is left untouched.
        let p = unsafe { super::realloc(old, bytes) } as *mut T;
        self.ptr = NonNull::new(p).ok_or(AllocError)?;
        self.cap = cap;
        Ok(())
    }

    /// Appends `v`; on allocation failure `v` is dropped and nothing else changes.
    #[inline]
    pub(crate) fn try_push(&mut self, v: T) -> Result<(), AllocError> {
        if self.len == self.cap {
            self.try_reserve(1)?;
        }
        // SAFETY: `len < cap`, so the slot is inside the block and unused.
        unsafe { self.ptr.as_ptr().add(self.len).write(v) };
        self.len += 1;
        Ok(())
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: the slot at the old `len - 1` was initialised and is now outside the
        // vector, so it is moved out exactly once.
        Some(unsafe { self.ptr.as_ptr().add(self.len).read() })
    }

    /// Drops the items past `n`.
    pub(crate) fn truncate(&mut self, n: usize) {
        while self.len > n {
            drop(self.pop());
        }
    }

    pub(crate) fn clear(&mut self) {
        self.truncate(0);
    }

    /// Gives the block back (after dropping the items).
    pub(crate) fn release(&mut self) {
        self.clear();
        if self.cap != 0 {
            // SAFETY: the vector's own hook block, not used afterwards (cap is reset).
            unsafe { super::free(self.ptr.as_ptr().cast()) };
            self.ptr = NonNull::dangling();
            self.cap = 0;
        }
    }

    #[inline(always)]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T: Copy> HVec<T> {
    /// Grows to `n` items, filling with `v` (never shrinks).
    pub(crate) fn try_resize(&mut self, n: usize, v: T) -> Result<(), AllocError> {
        if n > self.len {
            self.try_reserve_exact(n - self.len)?;
            while self.len < n {
                // SAFETY: `len < n <= cap`.
                unsafe { self.ptr.as_ptr().add(self.len).write(v) };
                self.len += 1;
            }
        }
        Ok(())
    }

    pub(crate) fn try_extend_from_slice(&mut self, s: &[T]) -> Result<(), AllocError> {
        self.try_reserve(s.len())?;
        // SAFETY: room for `s.len()` more items was reserved; `s` cannot overlap the unused
        // tail of this vector.
        unsafe {
            ptr::copy_nonoverlapping(s.as_ptr(), self.ptr.as_ptr().add(self.len), s.len());
        }
        self.len += s.len();
        Ok(())
    }
}

impl<T> Deref for HVec<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` is aligned and non-null, and the first `len` items are initialised.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for HVec<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow unique.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Drop for HVec<T> {
    fn drop(&mut self) {
        self.release();
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for HVec<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One `T` in a hook block.
pub(crate) struct HBox<T> {
    ptr: NonNull<T>,
}

impl<T> HBox<T> {
    const CHECK: () = assert!(size_of::<T>() > 0 && align_of::<T>() <= HOOK_ALIGN);

    /// Moves `v` into a hook block; gives it back when the hook fails.
    pub(crate) fn try_new(v: T) -> Result<HBox<T>, T> {
        let () = Self::CHECK;
        match NonNull::new(super::malloc(size_of::<T>()) as *mut T) {
            Some(ptr) => {
                // SAFETY: a fresh block of `T`'s size, aligned for it (HOOK_ALIGN).
                unsafe { ptr.as_ptr().write(v) };
                Ok(HBox { ptr })
            }
            None => Err(v),
        }
    }

    /// Hands the block to the caller, who gives it back with [`HBox::from_raw`].
    pub(crate) fn into_raw(b: HBox<T>) -> *mut T {
        let p = b.ptr.as_ptr();
        core::mem::forget(b);
        p
    }

    /// # Safety
    /// `p` came from [`HBox::into_raw`] and is not used otherwise afterwards.
    pub(crate) unsafe fn from_raw(p: *mut T) -> HBox<T> {
        HBox {
            // SAFETY: `into_raw` never returns NULL.
            ptr: unsafe { NonNull::new_unchecked(p) },
        }
    }
}

impl<T> Deref for HBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the block holds an initialised `T` owned by this box.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> DerefMut for HBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for HBox<T> {
    fn drop(&mut self) {
        // SAFETY: the box owns an initialised `T` in its hook block; both are released once.
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            super::free(self.ptr.as_ptr().cast());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::abi::alloc::hiredisAllocFuncs;
    use core::cell::Cell;
    use core::ffi::c_void;

    thread_local! {
        /// Hook calls left before one fails (tests on other threads use libc's hooks, which
        /// never fail, so a test's countdown only counts its own thread).
        static LEFT: Cell<i64> = const { Cell::new(-1) };
    }

    fn fail_now() -> bool {
        LEFT.with(|l| {
            let n = l.get();
            if n == 0 {
                l.set(-1);
                return true;
            }
            if n > 0 {
                l.set(n - 1);
            }
            false
        })
    }

    unsafe extern "C" fn f_malloc(n: usize) -> *mut c_void {
        if fail_now() {
            return ptr::null_mut();
        }
        // SAFETY: libc malloc.
        unsafe { libc::malloc(n) }
    }
    unsafe extern "C" fn f_realloc(p: *mut c_void, n: usize) -> *mut c_void {
        if fail_now() {
            return ptr::null_mut();
        }
        // SAFETY: `p` came from libc through these hooks.
        unsafe { libc::realloc(p, n) }
    }

    /// Runs `f` with the next `after` hook calls succeeding and the one after failing. The
    /// hooks stay libc's for other threads (the failing ones only fail on this thread).
    pub(crate) fn failing_after<R>(after: i64, f: impl FnOnce() -> R) -> R {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let old = crate::alloc::table();
        crate::alloc::set_table(hiredisAllocFuncs {
            mallocFn: Some(f_malloc),
            reallocFn: Some(f_realloc),
            ..old
        });
        LEFT.with(|l| l.set(after));
        let r = f();
        LEFT.with(|l| l.set(-1));
        crate::alloc::set_table(old);
        r
    }

    #[test]
    fn push_pop_grow() {
        let mut v: HVec<u64> = HVec::new();
        for i in 0..1000 {
            v.try_push(i).unwrap();
        }
        assert_eq!(v.len(), 1000);
        assert!(v.iter().copied().eq(0..1000));
        assert_eq!(v.pop(), Some(999));
        v.truncate(10);
        assert_eq!(&v[..], &(0..10).collect::<Vec<_>>()[..]);
        v.try_resize(12, 7).unwrap();
        assert_eq!(&v[10..], &[7, 7]);
        v.try_extend_from_slice(&[1, 2]).unwrap();
        assert_eq!(v.len(), 14);
        v.release();
        assert_eq!((v.len(), v.capacity()), (0, 0));
    }

    #[test]
    fn drops_items() {
        let mut v: HVec<HVec<u8>> = HVec::new();
        for i in 0..10u8 {
            let mut inner = HVec::new();
            inner.try_extend_from_slice(&[i; 40]).unwrap();
            v.try_push(inner).unwrap();
        }
        assert_eq!(v[3][0], 3);
        // Dropping the outer vector frees every inner block (valgrind checks the leak).
    }

    #[test]
    fn failed_growth_keeps_contents() {
        let mut v: HVec<u32> = HVec::new();
        v.try_extend_from_slice(&[1, 2, 3, 4]).unwrap();
        let r = failing_after(0, || v.try_push(5));
        assert_eq!(r, Err(AllocError));
        assert_eq!(&v[..], &[1, 2, 3, 4]);
        v.try_push(5).unwrap();
        assert_eq!(v.len(), 5);
        assert_eq!(v.try_reserve(usize::MAX), Err(AllocError));
        assert_eq!(
            HVec::<u64>::new().try_reserve_exact(usize::MAX / 4),
            Err(AllocError)
        );
    }

    #[test]
    fn boxes() {
        let b = HBox::try_new([5u64; 8]).unwrap();
        assert_eq!(b[7], 5);
        let p = HBox::into_raw(b);
        // SAFETY: `p` came from into_raw just above.
        let mut b = unsafe { HBox::from_raw(p) };
        b[0] = 1;
        assert_eq!(b[0], 1);
        let r = failing_after(0, || HBox::try_new(3u8).map(|_| ()));
        assert_eq!(r, Err(3));
    }
}

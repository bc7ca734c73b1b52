//! [`HVec`]: a growable array whose storage comes from the `hiredisAllocFns` hooks, and
//! [`HBox`]: one value in hook memory. Growth is fallible ([`AllocError`]), never an abort.
//! The block and its values are a [`RawBuf`]; this is safe code over it (growth policy and
//! the fallible API), but for taking an [`HBox`] back from a raw pointer.

use core::ops::{Deref, DerefMut};

use super::raw::RawBuf;

/// A hook allocation failed (or the size overflowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AllocError;

/// A `Vec` over hook memory, with only fallible growth: the values of `buf`.
pub(crate) struct HVec<T> {
    buf: RawBuf<T>,
}

impl<T> Default for HVec<T> {
    fn default() -> Self {
        HVec::new()
    }
}

impl<T> HVec<T> {
    pub(crate) const fn new() -> Self {
        HVec { buf: RawBuf::new() }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Makes room for `additional` more items (at least doubling, at least 4 slots).
    pub(crate) fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        let need = self.len().checked_add(additional).ok_or(AllocError)?;
        let cap = self.buf.capacity();
        if need <= cap {
            return Ok(());
        }
        self.buf.resize(need.max(cap.saturating_mul(2)).max(4))
    }

    /// Makes room for exactly `additional` more items.
    pub(crate) fn try_reserve_exact(&mut self, additional: usize) -> Result<(), AllocError> {
        let need = self.len().checked_add(additional).ok_or(AllocError)?;
        if need <= self.buf.capacity() {
            return Ok(());
        }
        self.buf.resize(need)
    }

    /// Appends `v`; on allocation failure `v` is dropped and nothing else changes.
    #[inline]
    pub(crate) fn try_push(&mut self, v: T) -> Result<(), AllocError> {
        match self.buf.push(v) {
            Ok(()) => Ok(()),
            Err(v) => self.grow_and_push(v),
        }
    }

    #[cold]
    fn grow_and_push(&mut self, v: T) -> Result<(), AllocError> {
        self.try_reserve(1)?;
        // Room was made: this push does not give `v` back.
        self.buf.push(v).map_err(|_| AllocError)
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.buf.pop()
    }

    /// Drops the items past `n`.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.buf.truncate(n);
    }

    pub(crate) fn clear(&mut self) {
        self.truncate(0);
    }

    /// Gives the block back (after dropping the items).
    #[cfg(test)]
    pub(crate) fn release(&mut self) {
        self.buf = RawBuf::new();
    }

    #[inline(always)]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        self.buf.as_ptr()
    }
}

impl<T: Copy> HVec<T> {
    /// Grows to `n` items, filling with `v` (never shrinks).
    pub(crate) fn try_resize(&mut self, n: usize, v: T) -> Result<(), AllocError> {
        if n > self.len() {
            self.try_reserve_exact(n - self.len())?;
            // Room was made: this fills.
            self.buf.fill_to(n, v);
        }
        Ok(())
    }

    pub(crate) fn try_extend_from_slice(&mut self, s: &[T]) -> Result<(), AllocError> {
        self.try_reserve(s.len())?;
        // Room was made: this copies.
        self.buf.extend_from_slice(s);
        Ok(())
    }
}

impl<T> Deref for HVec<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        self.buf.as_slice()
    }
}

impl<T> DerefMut for HVec<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        self.buf.as_mut_slice()
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for HVec<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One `T` in a hook block: a vector of exactly one item.
pub(crate) struct HBox<T>(HVec<T>);

impl<T> HBox<T> {
    /// Moves `v` into a hook block (from the malloc hook); gives it back when the hook fails.
    pub(crate) fn try_new(v: T) -> Result<HBox<T>, T> {
        let Ok(mut buf) = RawBuf::with_capacity(1) else {
            return Err(v);
        };
        buf.push(v)?;
        Ok(HBox(HVec { buf }))
    }

    /// Hands the block to the caller, who gives it back with [`HBox::from_raw`].
    pub(crate) fn into_raw(b: HBox<T>) -> *mut T {
        // The value and its block now belong to the caller.
        b.0.buf.into_raw()
    }

    /// # Safety
    /// `p` came from [`HBox::into_raw`] and is not used otherwise afterwards.
    pub(crate) unsafe fn from_raw(p: *mut T) -> HBox<T> {
        // SAFETY: `into_raw` gave away a one-slot block holding the value.
        let buf = unsafe { RawBuf::from_raw(p, 1, 1) };
        HBox(HVec { buf })
    }
}

impl<T> Deref for HBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0[0]
    }
}

impl<T> DerefMut for HBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0[0]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::abi::alloc::hiredisAllocFuncs;
    use core::cell::Cell;
    use core::ffi::c_void;
    use core::ptr;

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

    extern "C" fn f_malloc(n: usize) -> *mut c_void {
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

//! [`HRing`]: a FIFO ring buffer of plain-data items in a hook block ([`RawBuf`]), with
//! fallible growth. Safe code over the buffer's values.
#![forbid(unsafe_code)]

use super::raw::RawBuf;
use super::vec::AllocError;

/// A double-ended queue for `Copy` items (nothing to drop), stored in one hook block.
pub(crate) struct HRing<T: Copy> {
    /// Items are in slots `head..head + len` (modulo the capacity), all among the buffer's
    /// values: the back only ever moves on to the slot after the last one written, so the
    /// values grow from the first slot until they fill the block, and a slot is written
    /// either over an old value or as the next value.
    buf: RawBuf<T>,
    /// Index of the front item.
    head: usize,
    len: usize,
}

impl<T: Copy> Default for HRing<T> {
    fn default() -> Self {
        HRing::new()
    }
}

impl<T: Copy> HRing<T> {
    pub(crate) const fn new() -> Self {
        HRing {
            buf: RawBuf::new(),
            head: 0,
            len: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The slot index of the `i`th item (`i < cap`).
    #[inline(always)]
    fn index(&self, i: usize) -> usize {
        wrap(self.head + i, self.capacity())
    }

    /// Makes room for `additional` more items, moving them to a new block (front first).
    /// Item addresses change when this grows.
    pub(crate) fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        let need = self.len.checked_add(additional).ok_or(AllocError)?;
        if need <= self.capacity() {
            return Ok(());
        }
        let cap = need.max(self.capacity().saturating_mul(2)).max(16);
        let mut new = RawBuf::<T>::with_capacity(cap)?;
        let (head, old_cap, old) = (self.head, self.capacity(), self.buf.as_slice());
        for i in 0..self.len {
            // cap > len: every item fits.
            let _ = new.push(old[wrap(head + i, old_cap)]);
        }
        // The old block goes with the old value of `buf` (its items are `Copy`).
        self.buf = new;
        self.head = 0;
        Ok(())
    }

    /// Appends at the back; on allocation failure nothing changes.
    pub(crate) fn try_push_back(&mut self, v: T) -> Result<(), AllocError> {
        if self.len == self.capacity() {
            self.try_reserve(1)?;
        }
        self.put_back(v);
        Ok(())
    }

    /// Writes `v` behind the back item (there is room): over an old value, or as the
    /// buffer's next value.
    #[inline(always)]
    fn put_back(&mut self, v: T) {
        let k = self.index(self.len);
        match self.buf.as_mut_slice().get_mut(k) {
            Some(slot) => *slot = v,
            None => {
                debug_assert_eq!(k, self.buf.len());
                let _ = self.buf.push(v);
            }
        }
        self.len += 1;
    }

    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let v = self.buf.as_slice()[self.head];
        self.head += 1;
        if self.head == self.capacity() {
            self.head = 0;
        }
        self.len -= 1;
        Some(v)
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let k = self.index(i);
        self.buf.as_mut_slice().get_mut(k)
    }

    /// A raw pointer to item `i` (for C to hold), made without a reference, so later
    /// borrows of the ring do not invalidate it.
    pub(crate) fn ptr(&self, i: usize) -> Option<*mut T> {
        (i < self.len).then(|| self.buf.as_ptr().wrapping_add(self.index(i)))
    }

    /// Gives the block back if the ring is empty and holds more than `keep` slots.
    pub(crate) fn shrink_if_empty(&mut self, keep: usize) {
        if self.len == 0 && self.capacity() > keep {
            self.buf = RawBuf::new();
            self.head = 0;
        }
    }

    /// Moves every item of `other` to the back of `self`, in order; on allocation failure
    /// neither ring changes.
    pub(crate) fn try_append(&mut self, other: &mut HRing<T>) -> Result<(), AllocError> {
        if self.len == 0 && self.capacity() <= other.capacity() {
            core::mem::swap(self, other);
            return Ok(());
        }
        self.try_reserve(other.len)?;
        while let Some(v) = other.pop_front() {
            // Room was reserved: nothing allocates.
            self.put_back(v);
        }
        Ok(())
    }
}

/// `k` modulo `cap`, for `k < 2 * cap`.
#[inline(always)]
fn wrap(k: usize, cap: usize) -> usize {
    if k >= cap { k - cap } else { k }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc::vec::tests::failing_after;

    #[test]
    fn fifo_across_wraps_and_growth() {
        let mut r: HRing<u32> = HRing::new();
        let mut next_in = 0;
        let mut next_out = 0;
        for round in 0..50 {
            for _ in 0..(round % 7 + 3) {
                r.try_push_back(next_in).unwrap();
                next_in += 1;
            }
            for _ in 0..(round % 5 + 1) {
                if let Some(v) = r.pop_front() {
                    assert_eq!(v, next_out);
                    next_out += 1;
                }
            }
            assert_eq!(r.len(), (next_in - next_out) as usize);
            assert_eq!(r.get_mut(0).copied(), (!r.is_empty()).then_some(next_out));
            assert_eq!(
                r.get_mut(r.len().wrapping_sub(1)).copied(),
                (!r.is_empty()).then_some(next_in - 1)
            );
        }
        while let Some(v) = r.pop_front() {
            assert_eq!(v, next_out);
            next_out += 1;
        }
        assert!(r.is_empty());
        r.shrink_if_empty(0);
        assert_eq!(r.capacity(), 0);
    }

    #[test]
    fn failed_growth_changes_nothing() {
        let mut r: HRing<u64> = HRing::new();
        for i in 0..16 {
            r.try_push_back(i).unwrap();
        }
        assert_eq!(failing_after(0, || r.try_push_back(99)), Err(AllocError));
        assert_eq!(r.len(), 16);
        assert_eq!(r.pop_front(), Some(0));
        assert_eq!(r.try_push_back(16), Ok(()));
        assert_eq!(r.get_mut(15).copied(), Some(16));
    }

    #[test]
    fn append_moves_in_order() {
        let mut a: HRing<u8> = HRing::new();
        let mut b: HRing<u8> = HRing::new();
        for i in 0..5 {
            b.try_push_back(i).unwrap();
        }
        a.try_append(&mut b).unwrap();
        assert!(b.is_empty());
        for i in 5..40 {
            b.try_push_back(i).unwrap();
        }
        assert_eq!(failing_after(0, || a.try_append(&mut b)), Err(AllocError));
        assert_eq!((a.len(), b.len()), (5, 35));
        a.try_append(&mut b).unwrap();
        let mut out = vec![];
        while let Some(v) = a.pop_front() {
            out.push(v);
        }
        assert_eq!(out, (0..40).collect::<Vec<_>>());
    }
}

#![forbid(unsafe_code)]
//! [`HMap`]: a hash table from byte strings to values, keys and slots in hook memory.
//!
//! Open addressing with linear probing and backward-shift deletion (no tombstones); the
//! table doubles past 3/4 full. Growth is fallible and leaves the table unchanged on failure.

use super::vec::{AllocError, HVec};

struct Entry<V> {
    hash: u64,
    key: HVec<u8>,
    value: V,
}

/// A map from byte strings to `V`, every byte of it in hook blocks.
pub(crate) struct HMap<V> {
    /// A power of two slots (or none before the first insert).
    slots: HVec<Option<Entry<V>>>,
    len: usize,
}

impl<V> Default for HMap<V> {
    fn default() -> Self {
        HMap {
            slots: HVec::new(),
            len: 0,
        }
    }
}

/// FNV-1a: short channel names, no need for more.
fn hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl<V> HMap<V> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The slot holding `key`, if any.
    fn find(&self, key: &[u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let h = hash(key);
        let mut i = h as usize & self.mask();
        while let Some(e) = &self.slots[i] {
            if e.hash == h && &e.key[..] == key {
                return Some(i);
            }
            i = (i + 1) & self.mask();
        }
        None
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<&V> {
        let i = self.find(key)?;
        self.slots[i].as_ref().map(|e| &e.value)
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let i = self.find(key)?;
        self.slots[i].as_mut().map(|e| &mut e.value)
    }

    /// Places an entry known to be absent, in a table with a free slot.
    fn place(&mut self, e: Entry<V>) {
        let mut i = e.hash as usize & self.mask();
        while self.slots[i].is_some() {
            i = (i + 1) & self.mask();
        }
        self.slots[i] = Some(e);
        self.len += 1;
    }

    /// Makes room for one more entry (at most 3/4 full afterwards).
    fn reserve_one(&mut self) -> Result<(), AllocError> {
        let cap = self.slots.len();
        if (self.len + 1) * 4 <= cap * 3 {
            return Ok(());
        }
        let new_cap = (cap * 2).max(8);
        let mut slots = HVec::new();
        slots.try_reserve_exact(new_cap)?;
        for _ in 0..new_cap {
            // Reserved above: this never allocates.
            slots.try_push(None)?;
        }
        let old = core::mem::replace(&mut self.slots, slots);
        self.len = 0;
        for e in entries(old) {
            self.place(e);
        }
        Ok(())
    }

    /// Inserts or replaces `key`'s value. On allocation failure nothing changes.
    pub(crate) fn try_insert(&mut self, key: &[u8], value: V) -> Result<(), AllocError> {
        if let Some(v) = self.get_mut(key) {
            *v = value;
            return Ok(());
        }
        let mut k = HVec::new();
        k.try_reserve_exact(key.len().max(1))?;
        k.try_extend_from_slice(key)?;
        self.reserve_one()?;
        self.place(Entry {
            hash: hash(key),
            key: k,
            value,
        });
        Ok(())
    }

    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<V> {
        let mut i = self.find(key)?;
        let e = self.slots[i].take()?;
        self.len -= 1;
        // Backward shift: pull later entries of the probe run into the hole.
        let mask = self.mask();
        let mut j = (i + 1) & mask;
        while let Some(next) = &self.slots[j] {
            let home = next.hash as usize & mask;
            // The entry at `j` may move to `i` unless its home lies in (i, j] cyclically.
            let stays = if i <= j {
                i < home && home <= j
            } else {
                i < home || home <= j
            };
            if !stays {
                self.slots[i] = self.slots[j].take();
                i = j;
            }
            j = (j + 1) & mask;
        }
        Some(e.value)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.as_mut().map(|e| &mut e.value))
    }

    /// Empties the map, handing out its values (the slots are given back).
    pub(crate) fn drain_values(&mut self) -> impl Iterator<Item = V> {
        let slots = core::mem::take(&mut self.slots);
        self.len = 0;
        entries(slots).map(|e| e.value)
    }
}

/// The entries of a slot array, consuming it.
fn entries<V>(mut slots: HVec<Option<Entry<V>>>) -> impl Iterator<Item = Entry<V>> {
    core::iter::from_fn(move || {
        while let Some(s) = slots.pop() {
            if s.is_some() {
                return s;
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc::vec::tests::failing_after;

    #[test]
    fn insert_get_remove_many() {
        let mut m: HMap<usize> = HMap::default();
        let key = |i: usize| format!("channel:{i}").into_bytes();
        // Fewer under Miri, which runs about a thousand times slower.
        let n = if cfg!(miri) { 200 } else { 2000 };
        for i in 0..n {
            m.try_insert(&key(i), i).unwrap();
        }
        assert_eq!(m.len(), n);
        m.try_insert(&key(7), 70).unwrap();
        assert_eq!(m.len(), n);
        assert_eq!(m.get(&key(7)), Some(&70));
        for i in (0..n).step_by(3) {
            assert_eq!(m.remove(&key(i)), Some(if i == 7 { 70 } else { i }));
        }
        for i in 0..n {
            let want = (i % 3 != 0).then_some(if i == 7 { 70 } else { i });
            assert_eq!(m.get(&key(i)).copied(), want, "key {i}");
        }
        assert_eq!(m.remove(b"absent"), None);
        *m.get_mut(&key(1)).unwrap() = 5;
        assert_eq!(m.values_mut().count(), m.len());
        let mut all: Vec<usize> = m.drain_values().collect();
        all.sort();
        assert_eq!(all.len(), n - n.div_ceil(3));
        assert_eq!(m.len(), 0);
        assert_eq!(m.get(&key(1)), None);
        m.try_insert(b"", 1).unwrap();
        assert_eq!(m.get(b""), Some(&1));
    }

    #[test]
    fn failures_change_nothing() {
        let mut m: HMap<u32> = HMap::default();
        for i in 0..6u32 {
            m.try_insert(&i.to_le_bytes(), i).unwrap();
        }
        // The seventh entry needs a key block and a bigger table: fail each in turn.
        for n in 0..2 {
            let r = failing_after(n, || m.try_insert(b"seven", 7));
            assert_eq!(r, Err(AllocError));
            assert_eq!(m.len(), 6);
            assert_eq!(m.get(b"seven"), None);
        }
        m.try_insert(b"seven", 7).unwrap();
        assert_eq!(m.len(), 7);
        for i in 0..6u32 {
            assert_eq!(m.get(&i.to_le_bytes()), Some(&i));
        }
    }
}

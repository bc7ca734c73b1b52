#![forbid(unsafe_code)]
//! The callback ring and its C-visible `redisCallbackList`.

use super::*;

// ---------------------------------------------------------------------------------------------
// Callbacks

/// A reply callback ready to run once: the C function and its `privdata`.
///
/// C promises that `f`, when set, may be called with the context, a reply (or NULL) and
/// `privdata`. [`ReplyCallback::invoke`] consumes the value, so each queued record runs at most
/// once; the queues hand out records only by moving them.
pub(crate) struct ReplyCallback {
    pub(super) f: redisCallbackFnPtr,
    pub(super) privdata: *mut c_void,
}

impl ReplyCallback {
    pub(crate) fn new(f: redisCallbackFnPtr, privdata: *mut c_void) -> Self {
        ReplyCallback { f, privdata }
    }

    /// A copy for re-queuing (MONITOR re-arms the record it just consumed).
    pub(super) fn rearm(&self) -> Self {
        ReplyCallback {
            f: self.f,
            privdata: self.privdata,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Callback queue

/// An idle queue keeps at most this many slots.
pub(crate) const SHRINK_ABOVE: usize = 1 << 14;

/// A FIFO of callback records that keeps a C-visible `redisCallbackList` truthful. The ring
/// is a hook block, so queued commands count against the program's allocator.
#[derive(Default)]
pub(crate) struct CbQueue {
    pub(super) ring: HRing<redisCallback>,
}

impl CbQueue {
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Appends a record; `Err` (nothing queued) on allocation failure.
    pub(crate) fn push(
        &mut self,
        cb: ReplyCallback,
        list: &mut redisCallbackList,
    ) -> Result<(), ()> {
        if self.ring.len() == self.ring.capacity() {
            self.ring
                .try_reserve(self.ring.len().max(16))
                .map_err(|_| ())?;
            self.ring.try_push_back(Self::record(cb)).map_err(|_| ())?;
            self.relink_all();
        } else {
            self.ring.try_push_back(Self::record(cb)).map_err(|_| ())?;
            let n = self.ring.len();
            if n >= 2 {
                let new = self.slot(n - 1);
                if let Some(prev) = self.ring.get_mut(n - 2) {
                    prev.next = new;
                }
            }
        }
        self.publish(list);
        Ok(())
    }

    /// Removes the oldest record.
    pub(crate) fn pop(&mut self, list: &mut redisCallbackList) -> Option<ReplyCallback> {
        let r = self.ring.pop_front()?;
        // Give back what a large pipeline burst took (nothing to relink: it is empty).
        self.ring.shrink_if_empty(SHRINK_ABOVE);
        self.publish(list);
        Some(ReplyCallback {
            f: r.r#fn,
            privdata: r.privdata,
        })
    }

    /// Moves every record of `from` behind this queue's, in order. On allocation failure
    /// both queues are left as they were.
    pub(crate) fn append(
        &mut self,
        list: &mut redisCallbackList,
        from: &mut CbQueue,
        from_list: &mut redisCallbackList,
    ) -> Result<(), ()> {
        self.ring.try_append(&mut from.ring).map_err(|_| ())?;
        self.relink_all();
        self.publish(list);
        from.publish(from_list);
        Ok(())
    }

    pub(super) fn record(cb: ReplyCallback) -> redisCallback {
        redisCallback {
            next: ptr::null_mut(),
            r#fn: cb.f,
            pending_subs: 1,
            unsubscribe_sent: 0,
            privdata: cb.privdata,
        }
    }

    /// The address of record `i` (NULL past the end).
    fn slot(&self, i: usize) -> *mut redisCallback {
        self.ring.ptr(i).unwrap_or(ptr::null_mut())
    }

    /// After the ring moved its storage every `next` link is stale.
    pub(super) fn relink_all(&mut self) {
        for i in 0..self.ring.len() {
            let next = self.slot(i + 1);
            if let Some(r) = self.ring.get_mut(i) {
                r.next = next;
            }
        }
    }

    /// Points the C list's head and tail at the ring's ends (NULL when empty).
    pub(super) fn publish(&mut self, list: &mut redisCallbackList) {
        list.head = self.slot(0);
        list.tail = self.slot(self.ring.len().wrapping_sub(1));
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) extern "C" fn nop(_: *mut redisAsyncContext, _: *mut c_void, _: *mut c_void) {}

    pub(crate) fn cb(tag: usize) -> ReplyCallback {
        ReplyCallback::new(Some(nop), tag as *mut c_void)
    }

    /// The queue's records in order (their `privdata`), after checking that the C list
    /// links exactly them: head, each `next` and tail point at the ring's slots, in order.
    fn walk(q: &mut CbQueue, list: &redisCallbackList) -> Vec<usize> {
        let n = q.ring.len();
        assert_eq!(list.head, q.slot(0));
        assert_eq!(list.tail, q.slot(n.wrapping_sub(1)));
        (0..n)
            .map(|i| {
                let next = q.slot(i + 1);
                let r = q.ring.get_mut(i).unwrap();
                assert_eq!(r.next, next);
                r.privdata as usize
            })
            .collect()
    }

    #[test]
    fn queue_is_fifo_and_list_stays_truthful() {
        let mut q = CbQueue::default();
        let mut l = redisCallbackList {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        };
        for i in 1..=100 {
            q.push(cb(i), &mut l).unwrap();
        }
        assert_eq!(walk(&mut q, &l), (1..=100).collect::<Vec<_>>());
        for i in 1..=50 {
            assert_eq!(q.pop(&mut l).unwrap().privdata as usize, i);
        }
        // Wrap around the ring, then force growth while wrapped.
        for i in 101..=300 {
            q.push(cb(i), &mut l).unwrap();
        }
        assert_eq!(walk(&mut q, &l), (51..=300).collect::<Vec<_>>());
        while q.pop(&mut l).is_some() {}
        assert!(l.head.is_null() && l.tail.is_null());
        assert!(q.is_empty());
    }

    #[test]
    fn append_keeps_order_and_both_lists_truthful() {
        let (mut a, mut b) = (CbQueue::default(), CbQueue::default());
        let blank = || redisCallbackList {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        };
        let (mut la, mut lb) = (blank(), blank());
        for i in 1..=3 {
            a.push(cb(i), &mut la).unwrap();
        }
        for i in 4..=40 {
            b.push(cb(i), &mut lb).unwrap();
        }
        let r = crate::alloc::vec::tests::failing_after(0, || a.append(&mut la, &mut b, &mut lb));
        assert_eq!(r, Err(()));
        assert_eq!(walk(&mut a, &la), vec![1, 2, 3]);
        assert_eq!(walk(&mut b, &lb), (4..=40).collect::<Vec<_>>());
        a.append(&mut la, &mut b, &mut lb).unwrap();
        assert_eq!(walk(&mut a, &la), (1..=40).collect::<Vec<_>>());
        assert!(lb.head.is_null() && lb.tail.is_null());
        // An empty queue takes the other's ring as it is.
        let mut c = CbQueue::default();
        let mut lc = blank();
        c.append(&mut lc, &mut a, &mut la).unwrap();
        assert_eq!(walk(&mut c, &lc), (1..=40).collect::<Vec<_>>());
        assert!(la.head.is_null());
    }
}

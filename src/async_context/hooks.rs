//! Calls into the event-library hooks an adapter installed in `ac->ev`, re-arming the timer
//! before each add as hiredis does.
//!
//! Shared with the TLS library, whose async read and write hooks make the same calls:
//! `ssl/src/conn.rs` includes this file, and both parents provide `redisAsyncContext` (with
//! the `c` and `ev` fields used here) and `REDIS_CONNECTED` under these names.

use super::{REDIS_CONNECTED, redisAsyncContext};

/// Which adapter hook to call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Hook {
    AddRead,
    AddWrite,
    DelWrite,
}

/// Calls `hook` with the adapter's data. An add first re-arms the timer (`scheduleTimer`):
/// with the command timeout once connected, else the connect timeout, when it is non-zero.
/// Each hook is read just before its call, as hiredis does.
///
/// # Safety
/// `ac` is live.
#[inline(always)]
pub(super) unsafe fn run(ac: *mut redisAsyncContext, hook: Hook) {
    if hook != Hook::DelWrite {
        // SAFETY: `ac` is live and the timeout pointers are NULL or point to timevals the
        // context owns; only copies leave the block (no borrow spans the hook below).
        let (sched, data, tv) = unsafe {
            let (ev, c) = (&(*ac).ev, &(*ac).c);
            let connected = c.flags & REDIS_CONNECTED != 0;
            let tv = if connected {
                c.command_timeout
            } else {
                c.connect_timeout
            };
            (ev.scheduleTimer, ev.data, tv.as_ref().copied())
        };
        if let (Some(sched), Some(tv)) = (sched, tv) {
            if tv.tv_sec != 0 || tv.tv_usec != 0 {
                // SAFETY: the adapter installed `sched` for its own `data`.
                unsafe { sched(data, tv) };
            }
        }
    }
    // SAFETY: `ac` is live (an adapter hook cannot free it); only copies leave the block.
    let (h, data) = unsafe {
        let ev = &(*ac).ev;
        let h = match hook {
            Hook::AddRead => ev.addRead,
            Hook::AddWrite => ev.addWrite,
            Hook::DelWrite => ev.delWrite,
        };
        (h, ev.data)
    };
    if let Some(h) = h {
        // SAFETY: the adapter installed `h` for its own `data`.
        unsafe { h(data) };
    }
}

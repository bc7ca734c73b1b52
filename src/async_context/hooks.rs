//! Calls into the event-library hooks an adapter installed in `ac->ev`, re-arming the timer
//! before each add as hiredis does.
//!
//! Shared with the TLS library, whose async read and write hooks make the same calls:
//! `ssl/src/conn.rs` includes this file, and both parents provide `redisAsyncContext` (with
//! the `c` and `ev` fields used here) and `REDIS_CONNECTED` under these names.

use super::{REDIS_CONNECTED, redisAsyncContext};

/// Re-arms the timer before every add: command timeout once connected, else connect timeout.
///
/// # Safety
/// `ac` is live.
pub(super) unsafe fn refresh_timer(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live; the timeout pointers are NULL or owned by the context.
    unsafe {
        let Some(sched) = (*ac).ev.scheduleTimer else {
            return;
        };
        let tv = if (*ac).c.flags & REDIS_CONNECTED != 0 {
            (*ac).c.command_timeout
        } else {
            (*ac).c.connect_timeout
        };
        if let Some(tv) = tv.as_ref() {
            if tv.tv_sec != 0 || tv.tv_usec != 0 {
                sched((*ac).ev.data, *tv);
            }
        }
    }
}

/// # Safety
/// `ac` is live.
pub(super) unsafe fn add_read(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live; hooks get the adapter's own data pointer.
    unsafe {
        refresh_timer(ac);
        if let Some(h) = (*ac).ev.addRead {
            h((*ac).ev.data);
        }
    }
}

/// # Safety
/// `ac` is live.
pub(super) unsafe fn add_write(ac: *mut redisAsyncContext) {
    // SAFETY: as in `add_read`.
    unsafe {
        refresh_timer(ac);
        if let Some(h) = (*ac).ev.addWrite {
            h((*ac).ev.data);
        }
    }
}

/// # Safety
/// `ac` is live.
pub(super) unsafe fn del_write(ac: *mut redisAsyncContext) {
    // SAFETY: as in `add_read`.
    unsafe {
        if let Some(h) = (*ac).ev.delWrite {
            h((*ac).ev.data);
        }
    }
}

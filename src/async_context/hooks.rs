#![forbid(unsafe_code)]
//! The calls into the event-library hooks an adapter installed in `ac->ev`, re-arming the
//! timer before each add as hiredis does.
//!
//! Shared with the TLS library, whose async read and write hooks make the same calls:
//! `ssl/src/conn.rs` includes this file. The sequence is here; reaching the context and
//! making the calls is each side's [`Events`] (the engine's handle here, a raw pointer
//! there).

use core::ffi::c_int;

use super::REDIS_CONNECTED;

/// Which adapter hook to call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Hook {
    AddRead,
    AddWrite,
    DelWrite,
}

/// What [`run`] needs of a live context. The calls read their function and `ev.data` just
/// before calling (as hiredis does) and do nothing when the function is not set.
pub(super) trait Events {
    /// `c.flags`.
    fn flags(&mut self) -> c_int;
    /// A copy of the command timeout (`command`) or the connect timeout, if one is stored.
    fn timeout(&mut self, command: bool) -> Option<libc::timeval>;
    /// `ev.scheduleTimer(ev.data, tv)`.
    fn schedule_timer(&mut self, tv: libc::timeval);
    /// The adapter's `addRead`, `addWrite` or `delWrite` with `ev.data`.
    fn call(&mut self, hook: Hook);
}

/// Calls `hook`. An add first re-arms the timer (`scheduleTimer`): with the command timeout
/// once connected, else the connect timeout, when it is non-zero.
#[inline(always)]
pub(super) fn run(cx: &mut impl Events, hook: Hook) {
    if hook != Hook::DelWrite {
        let connected = cx.flags() & REDIS_CONNECTED != 0;
        if let Some(tv) = cx.timeout(connected) {
            if tv.tv_sec != 0 || tv.tv_usec != 0 {
                cx.schedule_timer(tv);
            }
        }
    }
    cx.call(hook);
}

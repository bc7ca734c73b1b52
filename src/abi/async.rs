//! `async.h`'s types: the asynchronous context, its callback records and hook tables.

use crate::abi::VoidPtrFn;
use crate::abi::hiredis::{redisAsyncPushFnPtr, redisContext};
use core::ffi::{c_char, c_int, c_void};
use core::mem::{offset_of, size_of};

/// hiredis's private pub/sub dictionary type, opaque to C (`struct dict`).
#[repr(C)]
pub struct dict {
    _private: [u8; 0],
}

/// `redisCallbackFn *`: the header declares `redisCallbackFn` as a function type.
pub type redisCallbackFnPtr =
    Option<unsafe extern "C" fn(*mut redisAsyncContext, *mut c_void, *mut c_void)>;
/// `redisDisconnectCallback *` and `redisConnectCallback *` (same shape; each name is
/// renamed to its own typedef in the header).
pub type redisDisconnectCallbackPtr = Option<unsafe extern "C" fn(*const redisAsyncContext, c_int)>;
pub type redisConnectCallbackPtr = redisDisconnectCallbackPtr;
/// `redisConnectCallbackNC *`: the non-const variant.
pub type redisConnectCallbackNCPtr = Option<unsafe extern "C" fn(*mut redisAsyncContext, c_int)>;

/// A queued reply callback.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct redisCallback {
    pub next: *mut redisCallback,
    pub r#fn: redisCallbackFnPtr,
    pub pending_subs: c_int,
    pub unsubscribe_sent: c_int,
    pub privdata: *mut c_void,
}

#[repr(C)]
pub struct redisCallbackList {
    pub head: *mut redisCallback,
    pub tail: *mut redisCallback,
}

/// `redisAsyncContext.ev` (anonymous in hiredis): hooks an event-loop adapter installs.
#[repr(C)]
pub struct redisAsyncEvents {
    pub data: *mut c_void,
    pub addRead: VoidPtrFn,
    pub delRead: VoidPtrFn,
    pub addWrite: VoidPtrFn,
    pub delWrite: VoidPtrFn,
    pub cleanup: VoidPtrFn,
    pub scheduleTimer: Option<unsafe extern "C" fn(*mut c_void, libc::timeval)>,
}

/// `redisAsyncContext.sub` (anonymous in hiredis).
#[repr(C)]
pub struct redisAsyncSub {
    pub replies: redisCallbackList,
    pub channels: *mut dict,
    pub patterns: *mut dict,
    pub pending_unsubs: c_int,
}

/// The asynchronous context; `c` must stay at offset 0.
#[repr(C)]
pub struct redisAsyncContext {
    pub c: redisContext,
    pub err: c_int,
    pub errstr: *mut c_char,
    pub data: *mut c_void,
    pub dataCleanup: VoidPtrFn,
    pub ev: redisAsyncEvents,
    pub onDisconnect: redisDisconnectCallbackPtr,
    pub onConnect: redisConnectCallbackPtr,
    pub onConnectNC: redisConnectCallbackNCPtr,
    pub replies: redisCallbackList,
    pub saddr: *mut libc::sockaddr,
    pub addrlen: usize,
    pub sub: redisAsyncSub,
    pub push_cb: redisAsyncPushFnPtr,
}

const _: () = {
    assert!(size_of::<redisCallback>() == 32);
    assert!(offset_of!(redisCallback, pending_subs) == 16);
    assert!(offset_of!(redisCallback, unsubscribe_sent) == 20);
    assert!(offset_of!(redisCallback, privdata) == 24);
    assert!(size_of::<redisCallbackList>() == 16);
    assert!(size_of::<redisAsyncEvents>() == 56);
    assert!(size_of::<redisAsyncSub>() == 40);
    assert!(size_of::<redisAsyncContext>() == 464);
    assert!(offset_of!(redisAsyncContext, err) == 272);
    assert!(offset_of!(redisAsyncContext, errstr) == 280);
    assert!(offset_of!(redisAsyncContext, data) == 288);
    assert!(offset_of!(redisAsyncContext, dataCleanup) == 296);
    assert!(offset_of!(redisAsyncContext, ev) == 304);
    assert!(offset_of!(redisAsyncContext, onDisconnect) == 360);
    assert!(offset_of!(redisAsyncContext, onConnect) == 368);
    assert!(offset_of!(redisAsyncContext, onConnectNC) == 376);
    assert!(offset_of!(redisAsyncContext, replies) == 384);
    assert!(offset_of!(redisAsyncContext, saddr) == 400);
    assert!(offset_of!(redisAsyncContext, addrlen) == 408);
    assert!(offset_of!(redisAsyncContext, sub) == 416);
    assert!(offset_of!(redisAsyncContext, push_cb) == 456);
};

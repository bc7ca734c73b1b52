//! `hiredis.h`'s types and constants: replies, options, the synchronous context.

use crate::abi::VoidPtrFn;
use crate::abi::read::redisReader;
use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::mem::{offset_of, size_of};

pub const HIREDIS_MAJOR: c_int = 1;
pub const HIREDIS_MINOR: c_int = 4;
pub const HIREDIS_PATCH: c_int = 0;

pub const REDIS_BLOCK: c_int = 0x1;
pub const REDIS_CONNECTED: c_int = 0x2;
pub const REDIS_DISCONNECTING: c_int = 0x4;
pub const REDIS_FREEING: c_int = 0x8;
pub const REDIS_IN_CALLBACK: c_int = 0x10;
pub const REDIS_SUBSCRIBED: c_int = 0x20;
pub const REDIS_MONITORING: c_int = 0x40;
pub const REDIS_REUSEADDR: c_int = 0x80;
pub const REDIS_SUPPORTS_PUSH: c_int = 0x100;
pub const REDIS_NO_AUTO_FREE: c_int = 0x200;
pub const REDIS_NO_AUTO_FREE_REPLIES: c_int = 0x400;
pub const REDIS_PREFER_IPV4: c_int = 0x800;
pub const REDIS_PREFER_IPV6: c_int = 0x1000;

pub const REDIS_KEEPALIVE_INTERVAL: c_int = 15;
pub const REDIS_CONNECT_RETRIES: c_int = 10;

pub const REDIS_OPT_NONBLOCK: c_int = 0x01;
pub const REDIS_OPT_REUSEADDR: c_int = 0x02;
pub const REDIS_OPT_NOAUTOFREE: c_int = 0x04;
pub const REDIS_OPT_NO_PUSH_AUTOFREE: c_int = 0x08;
pub const REDIS_OPT_NOAUTOFREEREPLIES: c_int = 0x10;
pub const REDIS_OPT_PREFER_IPV4: c_int = 0x20;
pub const REDIS_OPT_PREFER_IPV6: c_int = 0x40;
pub const REDIS_OPT_SET_SOCK_CLOEXEC: c_int = 0x80;

/// `enum redisConnectionType` values.
pub const REDIS_CONN_TCP: c_int = 0;
pub const REDIS_CONN_UNIX: c_int = 1;
pub const REDIS_CONN_USERFD: c_int = 2;

pub type redisFD = c_int;
pub const REDIS_INVALID_FD: redisFD = -1;

/// Field type spelled `enum redisConnectionType` in the header (4 bytes, any int stored).
pub type redisConnectionTypeField = c_int;
/// `redisPushFn *`: the header declares `redisPushFn` as a function type.
pub type redisPushFnPtr = Option<unsafe extern "C" fn(*mut c_void, *mut c_void)>;
/// `redisAsyncPushFn *`.
pub type redisAsyncPushFnPtr =
    Option<unsafe extern "C" fn(*mut crate::abi::r#async::redisAsyncContext, *mut c_void)>;

/// A reply object as the default builders make it; every pointer comes from the hooks.
#[repr(C)]
pub struct redisReply {
    pub r#type: c_int,
    pub integer: c_longlong,
    pub dval: f64,
    pub len: usize,
    pub str: *mut c_char,
    pub vtype: [c_char; 4],
    pub elements: usize,
    pub element: *mut *mut redisReply,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct redisOptionsTcp {
    pub source_addr: *const c_char,
    pub ip: *const c_char,
    pub port: c_int,
}

/// `redisOptions.endpoint` (anonymous in hiredis).
#[repr(C)]
#[derive(Clone, Copy)]
pub union redisOptionsEndpoint {
    pub tcp: redisOptionsTcp,
    pub unix_socket: *const c_char,
    pub fd: redisFD,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct redisOptions {
    pub r#type: c_int,
    pub options: c_int,
    pub connect_timeout: *const libc::timeval,
    pub command_timeout: *const libc::timeval,
    pub endpoint: redisOptionsEndpoint,
    pub privdata: *mut c_void,
    pub free_privdata: VoidPtrFn,
    pub push_cb: redisPushFnPtr,
    pub async_push_cb: redisAsyncPushFnPtr,
}

/// `void (*name)(struct redisAsyncContext *)`, spelled out at each field in the header.
pub type AsyncHookFn = Option<unsafe extern "C" fn(*mut crate::abi::r#async::redisAsyncContext)>;

/// I/O function table; the SSL layer swaps it, so all I/O goes through it.
#[repr(C)]
pub struct redisContextFuncs {
    pub close: Option<unsafe extern "C" fn(*mut redisContext)>,
    pub free_privctx: VoidPtrFn,
    pub async_read: AsyncHookFn,
    pub async_write: AsyncHookFn,
    pub read: Option<unsafe extern "C" fn(*mut redisContext, *mut c_char, usize) -> libc::ssize_t>,
    pub write: Option<unsafe extern "C" fn(*mut redisContext) -> libc::ssize_t>,
}

/// `redisContext.tcp` (anonymous in hiredis).
#[repr(C)]
pub struct redisContextTcp {
    pub host: *mut c_char,
    pub source_addr: *mut c_char,
    pub port: c_int,
}

/// `redisContext.unix_sock` (anonymous in hiredis).
#[repr(C)]
pub struct redisContextUnix {
    pub path: *mut c_char,
}

/// The connection context. Every field is public ABI that C programs read directly.
#[repr(C)]
pub struct redisContext {
    pub funcs: *const redisContextFuncs,
    pub err: c_int,
    pub errstr: [c_char; 128],
    pub fd: redisFD,
    pub flags: c_int,
    pub obuf: *mut c_char,
    pub reader: *mut redisReader,
    pub connection_type: redisConnectionTypeField,
    pub connect_timeout: *mut libc::timeval,
    pub command_timeout: *mut libc::timeval,
    pub tcp: redisContextTcp,
    pub unix_sock: redisContextUnix,
    pub saddr: *mut libc::sockaddr,
    pub addrlen: usize,
    pub privdata: *mut c_void,
    pub free_privdata: VoidPtrFn,
    pub privctx: *mut c_void,
    pub push_cb: redisPushFnPtr,
}

const _: () = {
    assert!(size_of::<redisReply>() == 64);
    assert!(offset_of!(redisReply, integer) == 8);
    assert!(offset_of!(redisReply, dval) == 16);
    assert!(offset_of!(redisReply, len) == 24);
    assert!(offset_of!(redisReply, str) == 32);
    assert!(offset_of!(redisReply, vtype) == 40);
    assert!(offset_of!(redisReply, elements) == 48);
    assert!(offset_of!(redisReply, element) == 56);
    assert!(size_of::<redisOptions>() == 80);
    assert!(offset_of!(redisOptions, connect_timeout) == 8);
    assert!(offset_of!(redisOptions, endpoint) == 24);
    assert!(size_of::<redisOptionsEndpoint>() == 24);
    assert!(offset_of!(redisOptions, privdata) == 48);
    assert!(offset_of!(redisOptions, async_push_cb) == 72);
    assert!(size_of::<redisContextFuncs>() == 48);
    assert!(size_of::<redisContext>() == 272);
    assert!(offset_of!(redisContext, err) == 8);
    assert!(offset_of!(redisContext, errstr) == 12);
    assert!(offset_of!(redisContext, fd) == 140);
    assert!(offset_of!(redisContext, flags) == 144);
    assert!(offset_of!(redisContext, obuf) == 152);
    assert!(offset_of!(redisContext, reader) == 160);
    assert!(offset_of!(redisContext, connection_type) == 168);
    assert!(offset_of!(redisContext, connect_timeout) == 176);
    assert!(offset_of!(redisContext, command_timeout) == 184);
    assert!(offset_of!(redisContext, tcp) == 192);
    assert!(offset_of!(redisContext, unix_sock) == 216);
    assert!(offset_of!(redisContext, saddr) == 224);
    assert!(offset_of!(redisContext, addrlen) == 232);
    assert!(offset_of!(redisContext, privdata) == 240);
    assert!(offset_of!(redisContext, free_privdata) == 248);
    assert!(offset_of!(redisContext, privctx) == 256);
    assert!(offset_of!(redisContext, push_cb) == 264);
};

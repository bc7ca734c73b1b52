//! `read.h`'s types and constants: reply types, error codes, the reader struct C sees.

use crate::abi::VoidPtrFn;
use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::mem::{offset_of, size_of};

pub const REDIS_ERR: c_int = -1;
pub const REDIS_OK: c_int = 0;

pub const REDIS_ERR_IO: c_int = 1;
pub const REDIS_ERR_OTHER: c_int = 2;
pub const REDIS_ERR_EOF: c_int = 3;
pub const REDIS_ERR_PROTOCOL: c_int = 4;
pub const REDIS_ERR_OOM: c_int = 5;
pub const REDIS_ERR_TIMEOUT: c_int = 6;

pub const REDIS_REPLY_STRING: c_int = 1;
pub const REDIS_REPLY_ARRAY: c_int = 2;
pub const REDIS_REPLY_INTEGER: c_int = 3;
pub const REDIS_REPLY_NIL: c_int = 4;
pub const REDIS_REPLY_STATUS: c_int = 5;
pub const REDIS_REPLY_ERROR: c_int = 6;
pub const REDIS_REPLY_DOUBLE: c_int = 7;
pub const REDIS_REPLY_BOOL: c_int = 8;
pub const REDIS_REPLY_MAP: c_int = 9;
pub const REDIS_REPLY_SET: c_int = 10;
pub const REDIS_REPLY_ATTR: c_int = 11;
pub const REDIS_REPLY_PUSH: c_int = 12;
pub const REDIS_REPLY_BIGNUM: c_int = 13;
pub const REDIS_REPLY_VERB: c_int = 14;

pub const REDIS_READER_MAX_BUF: usize = 1024 * 16;
// Written out: cbindgen would print `(1 << 32) - 1`, an int overflow in C.
pub const REDIS_READER_MAX_ARRAY_ELEMENTS: c_longlong = 4294967295;

/// What a reply builder is told about the item it builds.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct redisReadTask {
    pub r#type: c_int,
    pub elements: c_longlong,
    pub idx: c_int,
    pub obj: *mut c_void,
    pub parent: *mut redisReadTask,
    pub privdata: *mut c_void,
}

/// Reply builders; each may be NULL (the reader then uses the type number as a stand-in object).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct redisReplyObjectFunctions {
    pub createString:
        Option<unsafe extern "C" fn(*const redisReadTask, *mut c_char, usize) -> *mut c_void>,
    pub createArray: Option<unsafe extern "C" fn(*const redisReadTask, usize) -> *mut c_void>,
    pub createInteger:
        Option<unsafe extern "C" fn(*const redisReadTask, c_longlong) -> *mut c_void>,
    pub createDouble:
        Option<unsafe extern "C" fn(*const redisReadTask, f64, *mut c_char, usize) -> *mut c_void>,
    pub createNil: Option<unsafe extern "C" fn(*const redisReadTask) -> *mut c_void>,
    pub createBool: Option<unsafe extern "C" fn(*const redisReadTask, c_int) -> *mut c_void>,
    pub freeObject: VoidPtrFn,
}

/// The reader, allocated by the library. Callers read `err`, `errstr`, `reply` and tune
/// `maxbuf`, `maxelements`, `fn` and `privdata` directly.
#[repr(C)]
pub struct redisReader {
    pub err: c_int,
    pub errstr: [c_char; 128],
    pub buf: *mut c_char,
    pub pos: usize,
    pub len: usize,
    pub maxbuf: usize,
    pub maxelements: c_longlong,
    pub task: *mut *mut redisReadTask,
    pub tasks: c_int,
    pub ridx: c_int,
    pub reply: *mut c_void,
    pub r#fn: *mut redisReplyObjectFunctions,
    pub privdata: *mut c_void,
}

const _: () = {
    assert!(size_of::<redisReadTask>() == 48);
    assert!(offset_of!(redisReadTask, idx) == 16);
    assert!(offset_of!(redisReadTask, privdata) == 40);
    assert!(size_of::<redisReplyObjectFunctions>() == 56);
    assert!(size_of::<redisReader>() == 216);
    assert!(offset_of!(redisReader, errstr) == 4);
    assert!(offset_of!(redisReader, buf) == 136);
    assert!(offset_of!(redisReader, maxelements) == 168);
    assert!(offset_of!(redisReader, task) == 176);
    assert!(offset_of!(redisReader, tasks) == 184);
    assert!(offset_of!(redisReader, ridx) == 188);
    assert!(offset_of!(redisReader, reply) == 192);
    assert!(offset_of!(redisReader, r#fn) == 200);
    assert!(offset_of!(redisReader, privdata) == 208);
};

//! Reply exports of `hiredis.h`: `freeReplyObject` and `redisReaderCreate`.

use core::ffi::c_void;

use crate::abi::read::redisReader;
use crate::reader;

/// Frees a reply and everything it owns. NULL is a no-op.
///
/// # Safety
/// `reply` is NULL or a reply built by the default builders (a library object).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn freeReplyObject(reply: *mut c_void) {
    // SAFETY: the caller's promise.
    unsafe { reader::free_reply(reply) }
}

/// A reader that builds `redisReply` objects. NULL when out of memory.
#[unsafe(no_mangle)]
pub extern "C" fn redisReaderCreate() -> *mut redisReader {
    reader::create_default()
}

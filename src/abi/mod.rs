//! The C types and constants: byte-for-byte copies of hiredis 1.4.1's public structs (with
//! const layout asserts) and its `REDIS_*` constants, one file per installed header. No
//! logic lives here; `build.rs` runs cbindgen over these files together with the matching
//! `src/ffi/*.rs` exports.

use core::ffi::c_void;

/// A C function taking one `void *` and returning nothing: the destructors (`freeFn`,
/// `free_privdata`, `dataCleanup`, `freeObject`...) and the event hooks of `redisAsyncContext.ev`.
/// The headers spell each field out as `void (*name)(void*)` (`fn_fields` in build.rs).
pub type VoidPtrFn = Option<unsafe extern "C" fn(*mut c_void)>;

pub mod alloc;
#[path = "async.rs"]
pub mod r#async;
pub mod hiredis;
pub mod read;
pub mod sds;

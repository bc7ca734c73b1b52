//! The C types and constants: byte-for-byte copies of hiredis 1.4.1's public structs (with
//! const layout asserts) and its `REDIS_*` constants, one file per installed header. No
//! logic lives here; `build.rs` runs cbindgen over these files together with the matching
//! `src/ffi/*.rs` exports.

pub mod alloc;
#[path = "async.rs"]
pub mod r#async;
pub mod hiredis;
pub mod read;
pub mod sds;

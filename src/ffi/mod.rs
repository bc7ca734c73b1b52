//! The exported C surface: one file per installed hiredis header, plus `boundary` helpers.
//!
//! The `#[repr(C)]` types here are byte-for-byte copies of hiredis 1.4.1's public structs;
//! `build.rs` runs cbindgen over each file to produce the matching header.

pub mod alloc;
#[path = "async.rs"]
pub mod r#async;
pub(crate) mod boundary;
pub mod format;
pub mod hiredis;
pub mod net;
pub mod read;
pub mod reply;
pub mod sds;
pub(crate) mod variadic;

//! The exported C surface: one file per installed hiredis header. Each export checks its
//! pointers (helpers in [`args`]) and calls the core; the `#[repr(C)]` types are
//! in [`crate::abi`]. `build.rs` runs cbindgen over these files and `abi/` to produce the
//! headers.

pub mod alloc;
pub(crate) mod args;
#[path = "async.rs"]
pub mod r#async;
pub mod format;
pub mod hiredis;
pub mod net;
pub mod read;
pub mod reply;
pub mod sds;
pub(crate) mod variadic;

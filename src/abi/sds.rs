//! `sds.h`'s one type cbindgen sees (the header structs are hand-written in
//! `src/ffi/headers/sds.pre.h`).

use core::ffi::c_char;

/// A pointer to the string bytes of an sds; the header sits just before it.
pub type sds = *mut c_char;

//! hiredis-rs: a C-ABI-compatible drop-in replacement for hiredis 1.4.1.
//!
//! The C types and constants live in [`abi`], the exported C functions in [`ffi`], one file
//! per installed header in each. An export checks pointers, converts arguments (a context
//! becomes a handle), calls one function of a core module and converts the result back. The
//! core modules (`alloc`, `sds`, `reader`, `format`, `net`, `context`, `async_context`) hold
//! the logic; where they still need `unsafe` (the context and reader handles, calls into C
//! builders and callbacks, socket calls, sds and allocator byte work) ARCHITECTURE.md says why.
//!
//! # Safety vocabulary
//! The `# Safety` sections of exported functions use these terms:
//! - *valid pointer*: NULL or a pointer that satisfies `&*ptr` (or `&mut *ptr`) for the
//!   duration of the call;
//! - *valid buffer* `(ptr, len)`: satisfies `slice::from_raw_parts(ptr, len)`, or `len == 0`;
//! - *C string*: NULL or a pointer that satisfies `CStr::from_ptr`;
//! - *library object*: a pointer this library returned (a context, reader, reply or sds) that was
//!   not freed yet.

#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

// The shipped library must never unwind into C. Unit tests run with the default strategy.
#[cfg(all(not(panic = "abort"), not(test)))]
compile_error!("hiredis-rs must be built with panic = \"abort\"");

pub mod abi;
pub(crate) mod alloc;
pub(crate) mod async_context;
pub(crate) mod boundary;
pub(crate) mod context;
pub mod ffi;
pub(crate) mod format;
pub(crate) mod net;
pub(crate) mod reader;
pub(crate) mod sds;

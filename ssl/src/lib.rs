//! libhiredis_rs_ssl: hiredis 1.4.1's `libhiredis_ssl` (TLS over OpenSSL) for hiredis-rs.
//!
//! A separate library, as in hiredis: it swaps `c->funcs` of a connected context for TLS
//! read/write hooks and calls back into the core only through the core's exported C
//! functions (see `core`), so the process holds exactly one hiredis-rs core.

mod conn;
mod context;
mod core;
pub mod ffi;

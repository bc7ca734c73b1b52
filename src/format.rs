//! Command formatting: printf-like formats and argv vectors to RESP multi-bulk commands.

use core::ffi::{c_int, c_long, c_longlong, c_uint, c_ulonglong, c_void};

/// Where the formatter gets its arguments: a C `va_list` in the library, a list in tests.
pub(crate) trait ArgSource {
    fn ptr(&mut self) -> *const c_void;
    fn size(&mut self) -> usize;
    fn int(&mut self) -> c_int;
    fn uint(&mut self) -> c_uint;
    fn long(&mut self) -> c_long;
    fn llong(&mut self) -> c_longlong;
    fn ullong(&mut self) -> c_ulonglong;
    fn double(&mut self) -> f64;
}

//! The Rust side of `variadic.c`: a handle to a C `va_list` from which arguments are pulled
//! one at a time, in the order and with the types the format string dictates.

use core::ffi::{c_char, c_int, c_long, c_longlong, c_uint, c_ulonglong, c_void};
use core::marker::PhantomData;

use super::args;

/// `hirs_args` in `variadic.c`: wraps a `va_list`. Only C touches its inside.
#[repr(C)]
pub struct hirs_args {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) union hirs_arg {
    pub(crate) ptr: *const c_void,
    pub(crate) size: usize,
    pub(crate) i: c_int,
    pub(crate) u: c_uint,
    pub(crate) l: c_long,
    pub(crate) ll: c_longlong,
    pub(crate) ull: c_ulonglong,
    pub(crate) d: f64,
}

// Argument kinds, as in variadic.c.
pub(crate) const HIRS_ARG_PTR: c_int = 1;
pub(crate) const HIRS_ARG_SIZE: c_int = 2;
pub(crate) const HIRS_ARG_INT: c_int = 3;
pub(crate) const HIRS_ARG_UINT: c_int = 4;
pub(crate) const HIRS_ARG_LONG: c_int = 5;
pub(crate) const HIRS_ARG_LLONG: c_int = 6;
pub(crate) const HIRS_ARG_ULLONG: c_int = 7;
pub(crate) const HIRS_ARG_DOUBLE: c_int = 8;

unsafe extern "C" {
    fn hirs_args_next(a: *mut hirs_args, kind: c_int, out: *mut hirs_arg);
    /// `vsnprintf` on a copy of the wrapped `va_list` (it can be called more than once).
    pub(crate) fn hirs_vsnprintf(
        buf: *mut c_char,
        cap: usize,
        fmt: *const c_char,
        args: *mut hirs_args,
    ) -> c_int;
}

/// Pulls typed arguments out of a `hirs_args`.
///
/// The format parser decides each type; asking for the wrong one is undefined behaviour in C,
/// which is why only the formatters (which follow hiredis's type rules) use this.
pub(crate) struct VaArgs<'a>(*mut hirs_args, PhantomData<&'a [u8]>);

impl VaArgs<'_> {
    /// # Safety
    /// `a` comes from `variadic.c` and stays valid while this value is used; the caller pulls
    /// arguments with the types the C caller passed, and the strings and buffers among them
    /// (C strings for `%s`, `size` bytes for `%b`, live sds for `%S`) stay valid and
    /// unchanged for `'a`.
    pub(crate) unsafe fn new(a: *mut hirs_args) -> Self {
        VaArgs(a, PhantomData)
    }

    fn next(&mut self, kind: c_int) -> hirs_arg {
        let mut out = hirs_arg { ull: 0 };
        // SAFETY: `self.0` is live (promised by `new`) and `out` is a valid slot.
        unsafe { hirs_args_next(self.0, kind, &mut out) };
        out
    }

    fn ptr(&mut self) -> *const c_void {
        // SAFETY: the union field matches the kind C filled in.
        unsafe { self.next(HIRS_ARG_PTR).ptr }
    }
}

impl<'a> crate::format::ArgSource<'a> for VaArgs<'a> {
    fn cstr(&mut self) -> Option<&'a [u8]> {
        let p = self.ptr();
        // SAFETY: a `%s` argument is NULL or a C string valid for 'a (`new`'s contract).
        unsafe { args::cstr(p.cast()) }
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let p = self.ptr();
        // SAFETY: the union field matches the kind C filled in.
        let size = unsafe { self.next(HIRS_ARG_SIZE).size };
        // SAFETY: a `%b` argument is `size` readable bytes valid for 'a (`new`'s contract).
        unsafe { args::bytes(p.cast(), size) }
    }
    fn sds(&mut self) -> Option<&'a [u8]> {
        let p = self.ptr() as *const c_char;
        // SAFETY: an `%S` argument is NULL or a live sds, unchanged for 'a (`new`'s contract).
        (!p.is_null()).then(|| unsafe { crate::sds::bytes_of(p) })
    }
    fn int(&mut self) -> c_int {
        // SAFETY: as above.
        unsafe { self.next(HIRS_ARG_INT).i }
    }
    fn uint(&mut self) -> c_uint {
        // SAFETY: as above.
        unsafe { self.next(HIRS_ARG_UINT).u }
    }
    fn long(&mut self) -> c_long {
        // SAFETY: as above.
        unsafe { self.next(HIRS_ARG_LONG).l }
    }
    fn llong(&mut self) -> c_longlong {
        // SAFETY: as above.
        unsafe { self.next(HIRS_ARG_LLONG).ll }
    }
    fn ullong(&mut self) -> c_ulonglong {
        // SAFETY: as above.
        unsafe { self.next(HIRS_ARG_ULLONG).ull }
    }
    fn double(&mut self) -> f64 {
        // SAFETY: as above.
        unsafe { self.next(HIRS_ARG_DOUBLE).d }
    }
}

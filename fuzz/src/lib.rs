//! Shared pieces of the fuzz targets: the C API they call (declared here by hand, as a C user
//! would, so the targets go through the exported symbols and not the crate's Rust API), and a
//! counting allocator installed with `hiredisSetAllocators` that
//! - catches leaks: every allocation made through the hooks must be freed by the end of an input;
//! - injects allocation failures, so out-of-memory paths get exercised too;
//! - refuses absurd sizes (a `*4000000000` header must fail cleanly, not eat the machine).

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_longlong, c_void};

// Keeps the library linked even though nothing below names it in Rust.
extern crate hiredis_rs;

#[repr(C)]
pub struct hiredisAllocFuncs {
    pub malloc_fn: Option<unsafe extern "C" fn(usize) -> *mut c_void>,
    pub calloc_fn: Option<unsafe extern "C" fn(usize, usize) -> *mut c_void>,
    pub realloc_fn: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    pub strdup_fn: Option<unsafe extern "C" fn(*const c_char) -> *mut c_char>,
    pub free_fn: Option<unsafe extern "C" fn(*mut c_void)>,
}

/// `redisReply` as laid out by hiredis 1.4.1 (spec §3), written out independently of the crate.
#[repr(C)]
pub struct redisReply {
    pub r#type: c_int,
    pub integer: c_longlong,
    pub dval: f64,
    pub len: usize,
    pub str: *mut c_char,
    pub vtype: [c_char; 4],
    pub elements: usize,
    pub element: *mut *mut redisReply,
}

/// `redisReadTask` (hiredis 1.4.1 layout).
#[repr(C)]
pub struct redisReadTask {
    pub r#type: c_int,
    pub elements: c_longlong,
    pub idx: c_int,
    pub obj: *mut c_void,
    pub parent: *mut redisReadTask,
    pub privdata: *mut c_void,
}

/// `redisReplyObjectFunctions` (hiredis 1.4.1 layout; the fields in Rust case).
#[repr(C)]
pub struct redisReplyObjectFunctions {
    pub create_string:
        Option<unsafe extern "C" fn(*const redisReadTask, *mut c_char, usize) -> *mut c_void>,
    pub create_array: Option<unsafe extern "C" fn(*const redisReadTask, usize) -> *mut c_void>,
    pub create_integer:
        Option<unsafe extern "C" fn(*const redisReadTask, c_longlong) -> *mut c_void>,
    pub create_double:
        Option<unsafe extern "C" fn(*const redisReadTask, f64, *mut c_char, usize) -> *mut c_void>,
    pub create_nil: Option<unsafe extern "C" fn(*const redisReadTask) -> *mut c_void>,
    pub create_bool: Option<unsafe extern "C" fn(*const redisReadTask, c_int) -> *mut c_void>,
    pub free_object: Option<unsafe extern "C" fn(*mut c_void)>,
}

unsafe extern "C" {
    pub fn redisReaderCreateWithFunctions(fns: *mut redisReplyObjectFunctions) -> *mut c_void;
    pub fn hiredisSetAllocators(fns: *mut hiredisAllocFuncs) -> hiredisAllocFuncs;
    pub fn hiredisResetAllocators();
    pub fn redisReaderCreate() -> *mut c_void;
    pub fn redisReaderFree(r: *mut c_void);
    pub fn redisReaderFeed(r: *mut c_void, buf: *const c_char, len: usize) -> c_int;
    pub fn redisReaderGetReply(r: *mut c_void, reply: *mut *mut c_void) -> c_int;
    pub fn freeReplyObject(reply: *mut c_void);
    pub fn redisFormatCommandArgv(
        target: *mut *mut c_char,
        argc: c_int,
        argv: *const *const c_char,
        argvlen: *const usize,
    ) -> c_longlong;
    pub fn redisFreeCommand(cmd: *mut c_char);
    pub fn redisFormatSdsCommandArgv(
        target: *mut *mut c_char,
        argc: c_int,
        argv: *const *const c_char,
        argvlen: *const usize,
    ) -> c_longlong;
    pub fn redisFreeSdsCommand(cmd: *mut c_char);
}

/// Larger requests fail (the reader must turn that into an error, not a crash).
const MAX_ALLOC: usize = 64 << 20;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static COUNTDOWN: Cell<u32> = const { Cell::new(0) };
}

/// Whether the next allocation should fail: `fail_at` counts down to the injected failure.
fn should_fail(size: usize) -> bool {
    if size > MAX_ALLOC {
        return true;
    }
    COUNTDOWN.with(|c| match c.get() {
        0 => false,
        1 => {
            c.set(0);
            true
        }
        n => {
            c.set(n - 1);
            false
        }
    })
}

fn track(p: *mut c_void) -> *mut c_void {
    if !p.is_null() {
        LIVE.with(|l| l.set(l.get() + 1));
    }
    p
}

unsafe extern "C" fn f_malloc(size: usize) -> *mut c_void {
    if should_fail(size) {
        return std::ptr::null_mut();
    }
    // SAFETY: plain libc call.
    track(unsafe { libc_malloc(size) })
}

unsafe extern "C" fn f_calloc(n: usize, size: usize) -> *mut c_void {
    if should_fail(n.saturating_mul(size)) {
        return std::ptr::null_mut();
    }
    // SAFETY: plain libc call.
    track(unsafe { libc_calloc(n, size) })
}

unsafe extern "C" fn f_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    if should_fail(size) {
        return std::ptr::null_mut();
    }
    // SAFETY: `p` came from these hooks (or is NULL), as hiredis's contract requires.
    let q = unsafe { libc_realloc(p, size) };
    if p.is_null() { track(q) } else { q }
}

unsafe extern "C" fn f_strdup(s: *const c_char) -> *mut c_char {
    if should_fail(0) {
        return std::ptr::null_mut();
    }
    // SAFETY: `s` is a C string per the hook's contract.
    track(unsafe { libc_strdup(s) }.cast()).cast()
}

unsafe extern "C" fn f_free(p: *mut c_void) {
    if !p.is_null() {
        LIVE.with(|l| l.set(l.get() - 1));
    }
    // SAFETY: `p` came from these hooks (or is NULL).
    unsafe { libc_free(p) }
}

unsafe extern "C" {
    #[link_name = "malloc"]
    fn libc_malloc(size: usize) -> *mut c_void;
    #[link_name = "calloc"]
    fn libc_calloc(n: usize, size: usize) -> *mut c_void;
    #[link_name = "realloc"]
    fn libc_realloc(p: *mut c_void, size: usize) -> *mut c_void;
    #[link_name = "strdup"]
    fn libc_strdup(s: *const c_char) -> *mut c_char;
    #[link_name = "free"]
    fn libc_free(p: *mut c_void);
}

/// Installs the counting hooks; the `fail_at`-th allocation from now fails (0: none does).
pub fn begin(fail_at: u32) {
    let mut fns = hiredisAllocFuncs {
        malloc_fn: Some(f_malloc),
        calloc_fn: Some(f_calloc),
        realloc_fn: Some(f_realloc),
        strdup_fn: Some(f_strdup),
        free_fn: Some(f_free),
    };
    LIVE.with(|l| l.set(0));
    COUNTDOWN.with(|c| c.set(fail_at));
    // SAFETY: the table is copied by the library; the functions live for the whole program.
    unsafe { hiredisSetAllocators(&mut fns) };
}

/// Restores libc allocation and panics (a reported crash) if anything leaked.
pub fn end() {
    COUNTDOWN.with(|c| c.set(0));
    let live = LIVE.with(|l| l.get());
    // SAFETY: no arguments.
    unsafe { hiredisResetAllocators() };
    assert_eq!(
        live, 0,
        "{live} allocation(s) made through hiredisAllocFns were not freed"
    );
}

/// A cursor over the fuzzer's bytes: control values first, then payload.
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

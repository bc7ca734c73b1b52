//! A small per-thread cache of freed reply blocks.
//!
//! Parsing a reply and freeing it costs two `malloc`/`free` pairs (the `redisReply` and its
//! string), more than the parse itself. `freeReplyObject` therefore keeps up to [`CAP`] reply
//! structs and [`CAP`] small string blocks per thread, and the reader takes them back for the
//! next replies. Each block is still a separate block of the libc allocator, so C code that
//! `free`s a reply's `str` or steals it keeps working.
//!
//! The cache is used only while `hiredisAllocFns` holds the libc functions (custom allocator
//! hooks see every allocation and free, as in hiredis), and it is off under AddressSanitizer
//! and valgrind's memcheck, whose use-after-free reports it would hide.
//! `HIREDIS_RS_REPLY_CACHE=0` turns it off, `=1` on even there. Blocks left when a thread
//! exits (or calls `exit`) go back to `free`. Each thread's cache is a heap block found
//! through one thread-local word.

use core::cell::Cell;
use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicU8, Ordering};

use crate::abi::alloc::LIBC_ALLOCATORS;

/// Blocks kept per kind and thread: enough for an array of a few hundred small replies.
pub(crate) const CAP: usize = 256;

/// The size of the string blocks kept: requests up to this size (the string and its NUL) are
/// served from the cache. glibc's smallest chunk holds 24 bytes.
pub(crate) const SMALL: usize = 24;

/// The largest usable size of a string block worth keeping when blocks are measured (a
/// shrunk `len` must not make a big block look small; with glibc, where they are not, such a
/// block may be kept, and at most [`CAP`] are).
const SMALL_MAX_USABLE: usize = 64;

/// A LIFO of free blocks.
struct Stack {
    n: Cell<usize>,
    slots: [Cell<*mut c_void>; CAP],
}

impl Stack {
    const fn new() -> Stack {
        Stack {
            n: Cell::new(0),
            slots: [const { Cell::new(ptr::null_mut()) }; CAP],
        }
    }

    #[inline(always)]
    fn pop(&self) -> Option<*mut c_void> {
        let n = self.n.get().checked_sub(1)?;
        self.n.set(n);
        Some(self.slots[n].get())
    }

    /// False when full (the caller frees the block instead).
    #[inline(always)]
    fn push(&self, p: *mut c_void) -> bool {
        let n = self.n.get();
        let Some(slot) = self.slots.get(n) else {
            return false;
        };
        slot.set(p);
        self.n.set(n + 1);
        true
    }

    fn drain(&self) {
        while let Some(p) = self.pop() {
            // SAFETY: every cached block came from libc `malloc` and is owned by the cache.
            unsafe { libc::free(p) };
        }
    }
}

/// One thread's cached blocks: `redisReply`-sized ones and small string ones.
pub(crate) struct Blocks {
    replies: Stack,
    strings: Stack,
    /// Freed strings need no measuring (the allocator's smallest block is big enough).
    floor: bool,
}

/// Frees the thread's cache (once: the slot is left UNUSED, so later frees on this thread go
/// to `free`). Run at thread exit by the key's destructor.
fn release() {
    let p = slot::get();
    slot::set(UNUSED);
    if !p.is_null() && p != UNUSED {
        // SAFETY: a live slot holds the Box made by `set_up`, released only here.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// The pthread key whose destructor frees a thread's cache when the thread exits. A key
/// rather than a Rust thread-local destructor: glibc runs key destructors after all
/// thread-local ones (replies freed by those are still cached, then freed), and it also runs
/// the destructors of keys set during that phase (a thread whose first reply is made in
/// another key's destructor), where a thread-local destructor registered then never runs.
/// `None` if no key could be made: then there is no cache.
static KEY: std::sync::OnceLock<Option<libc::pthread_key_t>> = std::sync::OnceLock::new();

fn make_key() -> Option<libc::pthread_key_t> {
    let mut k = 0;
    // SAFETY: `k` is written by pthread_key_create; the destructor only calls `release`.
    if unsafe { libc::pthread_key_create(&mut k, Some(key_destructor)) } != 0 {
        return None;
    }
    // (Miri has neither dladdr nor atexit; its runs never unload or exit early.)
    #[cfg(not(miri))]
    {
        keep_loaded();
        // SAFETY: registers a plain function of this (never unloaded) object.
        unsafe { libc::atexit(release_at_exit) };
    }
    Some(k)
}

unsafe extern "C" fn key_destructor(_blocks: *mut c_void) {
    release();
}

/// `exit` runs no key destructors: the cache of the thread that calls it is freed here.
#[cfg(not(miri))]
extern "C" fn release_at_exit() {
    release();
}

/// Marks the object holding this code (the library, or whatever it was linked into) as never
/// to be unloaded: threads that hold a cache call `key_destructor` when they exit, even after
/// a `dlclose`.
#[cfg(not(miri))]
fn keep_loaded() {
    // SAFETY: dladdr fills `info` for an address in a loaded object; dlopen with
    // RTLD_NOLOAD only takes another reference to that already loaded object.
    unsafe {
        let mut info: libc::Dl_info = core::mem::zeroed();
        if libc::dladdr(key_destructor as *const c_void, &mut info) != 0
            && !info.dli_fname.is_null()
        {
            libc::dlopen(
                info.dli_fname,
                libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
            );
        }
    }
}

impl Drop for Blocks {
    fn drop(&mut self) {
        self.replies.drain();
        self.strings.drain();
    }
}

impl Blocks {
    const fn new(floor: bool) -> Blocks {
        Blocks {
            replies: Stack::new(),
            strings: Stack::new(),
            floor,
        }
    }

    /// A block for a `redisReply`, if one is cached.
    #[inline(always)]
    pub(crate) fn take_reply(&self) -> Option<*mut c_void> {
        self.replies.pop()
    }

    /// A block of at least [`SMALL`] bytes for a string of `len` bytes and its NUL, if it
    /// fits one and one is cached.
    #[inline(always)]
    pub(crate) fn take_string(&self, len: usize) -> Option<*mut c_void> {
        if len >= SMALL {
            return None;
        }
        self.strings.pop()
    }

    /// Keeps a freed `redisReply` block, or frees it when the cache is full.
    ///
    /// # Safety
    /// `p` is a live libc `malloc` block of at least `size_of::<redisReply>()` bytes, owned
    /// by the caller and not used afterwards.
    #[inline(always)]
    pub(crate) unsafe fn give_reply(&self, p: *mut c_void) {
        if !self.replies.push(p) {
            // SAFETY: caller's promise.
            unsafe { libc::free(p) }
        }
    }

    /// Keeps a freed reply string of `len` bytes (NUL not counted) when it is a small block,
    /// else frees it. NULL is a no-op.
    ///
    /// # Safety
    /// `p` is NULL or a live libc `malloc` block owned by the caller, not used afterwards.
    #[inline(always)]
    pub(crate) unsafe fn give_string(&self, p: *mut c_void, len: usize) {
        if p.is_null() {
            return;
        }
        // SAFETY: `p` is a live malloc block.
        if unsafe { small_block(p, len, self.floor) } && self.strings.push(p) {
            return;
        }
        // SAFETY: caller's promise.
        unsafe { libc::free(p) }
    }
}

/// Whether a freed string block of `len` bytes may serve small strings. `len` is only a
/// hint (C code may have changed it, or put in a block of its own): unless every block has
/// room for a small string (`floor`), the block's real size decides.
///
/// # Safety
/// `p` is a live libc `malloc` block.
#[inline(always)]
unsafe fn small_block(p: *mut c_void, len: usize, floor: bool) -> bool {
    // SAFETY: caller's promise.
    len < SMALL && (floor || (SMALL..=SMALL_MAX_USABLE).contains(&unsafe { usable_size(p) }))
}

#[cfg(not(miri))]
unsafe extern "C" {
    fn malloc_usable_size(p: *mut c_void) -> usize;
}

/// # Safety
/// `p` is a live libc `malloc` block.
#[cfg(not(miri))]
unsafe fn usable_size(p: *mut c_void) -> usize {
    // SAFETY: caller's promise; glibc, musl and the malloc replacements all provide it.
    unsafe { malloc_usable_size(p) }
}

/// Miri cannot measure a block: none counts as a small one, so no string block is kept.
#[cfg(miri)]
unsafe fn usable_size(_p: *mut c_void) -> usize {
    0
}

/// The thread's slot value when it has no cache: it is off, or the thread is exiting.
const UNUSED: *mut Blocks = core::ptr::dangling_mut();

const UNDECIDED: u8 = 0;
const OFF: u8 = 1;
/// On; freed strings are measured with `malloc_usable_size` before they are kept.
const ON: u8 = 2;
/// On, and the allocator never hands out fewer than [`SMALL`] usable bytes (glibc), so any
/// freed string block can serve a small string without measuring it.
const ON_SMALL_FLOOR: u8 = 3;

static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// Whether the environment allows the cache (decided once per process).
#[inline(always)]
fn allowed() -> bool {
    match MODE.load(Ordering::Relaxed) {
        ON | ON_SMALL_FLOOR => true,
        OFF => false,
        _ => decide_now(),
    }
}

#[cold]
fn decide_now() -> bool {
    let on = decide(
        std::env::var_os("HIREDIS_RS_REPLY_CACHE").as_deref(),
        std::env::var_os("LD_PRELOAD").as_deref(),
        asan_present(),
    );
    let mode = match on {
        false => OFF,
        true if small_floor() => ON_SMALL_FLOOR,
        true => ON,
    };
    MODE.store(mode, Ordering::Relaxed);
    on
}

/// True when the allocator's smallest block has [`SMALL`] usable bytes.
fn small_floor() -> bool {
    // SAFETY: a 1-byte libc allocation, measured and freed at once.
    unsafe {
        let p = libc::malloc(1);
        if p.is_null() {
            return false;
        }
        let floor = usable_size(p) >= SMALL;
        libc::free(p);
        floor
    }
}

fn decide(
    setting: Option<&std::ffi::OsStr>,
    preload: Option<&std::ffi::OsStr>,
    asan: bool,
) -> bool {
    match setting.map(|s| s.as_encoded_bytes()) {
        Some(b"0") => false,
        Some(b"1") => true,
        _ => {
            // memcheck preloads its own malloc from this library (callgrind and the other
            // tools, which report no use-after-free, keep the cache).
            let memcheck = preload.is_some_and(|p| {
                p.as_encoded_bytes()
                    .windows(18)
                    .any(|w| w == b"vgpreload_memcheck")
            });
            !memcheck && !asan
        }
    }
}

fn asan_present() -> bool {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks the symbol up.
    !unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__asan_init".as_ptr()) }.is_null()
}

/// True while the allocator table holds libc's `malloc` and `free`.
#[inline(always)]
fn libc_hooks() -> bool {
    let t = super::table();
    let addr = |f: Option<unsafe extern "C" fn(usize) -> *mut c_void>| f.map(|f| f as usize);
    let faddr = |f: Option<unsafe extern "C" fn(*mut c_void)>| f.map(|f| f as usize);
    addr(t.mallocFn) == addr(LIBC_ALLOCATORS.mallocFn)
        && faddr(t.freeFn) == faddr(LIBC_ALLOCATORS.freeFn)
}

/// This thread's cache, or `None` when it must not be used (custom allocator hooks, or
/// turned off).
#[inline(always)]
pub(crate) fn local() -> Option<&'static Blocks> {
    if !libc_hooks() {
        return None;
    }
    let p = slot::get();
    if p.is_null() {
        return set_up();
    }
    // SAFETY: a slot other than NULL and UNUSED holds this thread's live `Blocks`, freed only
    // by `release` at thread exit, after which the slot is UNUSED. `Blocks` is not `Sync`, so
    // the reference never reaches another thread.
    (p != UNUSED).then(|| unsafe { &*p })
}

/// Makes the thread's cache on first use, if the cache is allowed and blocks can be freed at
/// thread exit.
#[cold]
fn set_up() -> Option<&'static Blocks> {
    slot::set(UNUSED);
    let key = match allowed() {
        true => (*KEY.get_or_init(make_key))?,
        false => return None,
    };
    let floor = MODE.load(Ordering::Relaxed) == ON_SMALL_FLOOR;
    let p = Box::into_raw(Box::new(Blocks::new(floor)));
    // SAFETY: a key of ours; a non-NULL value makes glibc call `key_destructor` at exit.
    if unsafe { libc::pthread_setspecific(key, p as *const c_void) } != 0 {
        // SAFETY: just made and not shared.
        drop(unsafe { Box::from_raw(p) });
        return None;
    }
    slot::set(p);
    // SAFETY: just made; owned by the slot until `release` frees it at thread exit.
    Some(unsafe { &*p })
}

/// The thread's pointer to its [`Blocks`]: NULL before first use, then the cache or
/// [`UNUSED`]. Read once on every reply and every free. A `thread_local!`: in the shared
/// library each read is a `__tls_get_addr` call (about a dozen instructions; linked from the
/// static archive into a program, the linker makes it a direct access). An initial-exec TLS
/// word would be two instructions, but it marks the library STATIC_TLS: `dlopen` of it then
/// fails once other libraries have used glibc's small static TLS reserve (musl refuses it
/// outright), where hiredis loads (tests/test_dlopen.c).
mod slot {
    use super::Blocks;
    use core::cell::Cell;

    thread_local! {
        static SLOT: Cell<*mut Blocks> = const { Cell::new(core::ptr::null_mut()) };
    }

    #[inline(always)]
    pub(super) fn get() -> *mut Blocks {
        SLOT.with(Cell::get)
    }

    pub(super) fn set(p: *mut Blocks) {
        SLOT.with(|s| s.set(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn decision() {
        assert!(decide(None, None, false));
        assert!(!decide(None, None, true));
        let memcheck = "/usr/libexec/valgrind/vgpreload_core-amd64-linux.so:/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so";
        assert!(!decide(None, Some(OsStr::new(memcheck)), false));
        let callgrind = "/usr/libexec/valgrind/vgpreload_core-amd64-linux.so";
        assert!(decide(None, Some(OsStr::new(callgrind)), false));
        assert!(decide(Some(OsStr::new("1")), None, true));
        assert!(!decide(Some(OsStr::new("0")), None, false));
        assert!(decide(Some(OsStr::new("yes")), None, false));
    }

    #[test]
    fn stack_is_lifo_and_bounded() {
        let s = Stack::new();
        assert_eq!(s.pop(), None);
        for i in 1..=CAP {
            assert!(s.push(i as *mut c_void));
        }
        assert!(!s.push(ptr::null_mut()));
        assert_eq!(s.pop(), Some(CAP as *mut c_void));
        s.n.set(0);
    }

    #[test]
    fn small_blocks_by_real_size() {
        // SAFETY: blocks from libc malloc, measured and freed here.
        unsafe {
            let (small, big) = (libc::malloc(3), libc::malloc(4096));
            let glibc_floor = usable_size(small) >= SMALL;
            assert_eq!(small_block(small, 2, false), glibc_floor);
            assert!(small_block(small, 2, true));
            assert!(!small_block(small, SMALL, true));
            // A big block whose len was shrunk is measured and refused...
            assert!(!small_block(big, 1, false));
            // ...unless every block is known to be big enough.
            assert!(small_block(big, 1, true));
            libc::free(small);
            libc::free(big);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri has no malloc_usable_size")]
    fn kept_blocks_come_back() {
        let b = Blocks::new(false);
        // SAFETY: blocks from libc malloc, handed to the cache and taken back.
        unsafe {
            let p = libc::malloc(64);
            b.give_reply(p);
            assert_eq!(b.take_reply(), Some(p));
            assert_eq!(b.take_reply(), None);
            libc::free(p);
            let s = libc::malloc(SMALL);
            b.give_string(s, 2);
            assert!(b.take_string(SMALL).is_none(), "too long for a small block");
            assert_eq!(b.take_string(SMALL - 1), Some(s));
            libc::free(s);
        }
    }
}

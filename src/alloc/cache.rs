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
use core::ptr::NonNull;
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

/// A block of libc's `malloc`, owned: dropping it gives it to `free`. The one step that
/// trusts a raw pointer is [`Block::from_raw`], made by whoever frees a block into the cache;
/// keeping, measuring and freeing are safe methods.
pub(crate) struct Block(NonNull<c_void>);

impl Block {
    /// Takes ownership of `p`.
    ///
    /// # Safety
    /// `p` is a live libc `malloc` block that nothing else uses or frees afterwards.
    #[inline(always)]
    pub(crate) unsafe fn from_raw(p: NonNull<c_void>) -> Block {
        Block(p)
    }

    /// A fresh block of `n` bytes; `None` when malloc fails.
    fn alloc(n: usize) -> Option<Block> {
        // SAFETY: what libc malloc returns is NULL or a new block that only this handle holds.
        NonNull::new(unsafe { libc::malloc(n) }).map(Block)
    }

    /// Gives up ownership: the pointer, for the reader to fill.
    #[inline(always)]
    fn into_raw(self) -> *mut c_void {
        core::mem::ManuallyDrop::new(self).0.as_ptr()
    }

    /// The block's usable size as the allocator reports it.
    #[cfg(not(miri))]
    fn usable_size(&self) -> usize {
        // SAFETY: a live malloc block (handle invariant); glibc, musl and the malloc
        // replacements all provide the call.
        unsafe { libc::malloc_usable_size(self.0.as_ptr()) }
    }

    /// Miri cannot measure a block: none counts as a small one, so no string block is kept.
    #[cfg(miri)]
    fn usable_size(&self) -> usize {
        0
    }

    /// Whether this freed string block of `len` bytes may serve small strings. `len` is only
    /// a hint (C code may have changed it, or put in a block of its own): unless every block
    /// has room for a small string (`floor`), the block's real size decides.
    #[inline(always)]
    fn is_small(&self, len: usize, floor: bool) -> bool {
        len < SMALL && (floor || (SMALL..=SMALL_MAX_USABLE).contains(&self.usable_size()))
    }
}

impl Drop for Block {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: the handle owns the live block (see `from_raw`) and is going away.
        unsafe { libc::free(self.0.as_ptr()) }
    }
}

/// A LIFO of free blocks: the first `n` slots each own a live malloc block (moved in by
/// `push` from a [`Block`] and out by `pop` as one), the others hold nothing of worth.
struct Stack {
    n: Cell<usize>,
    slots: [Cell<NonNull<c_void>>; CAP],
}

impl Stack {
    const fn new() -> Stack {
        Stack {
            n: Cell::new(0),
            slots: [const { Cell::new(NonNull::dangling()) }; CAP],
        }
    }

    /// The most recently kept block.
    #[inline(always)]
    fn pop(&self) -> Option<Block> {
        let n = self.n.get().checked_sub(1)?;
        self.n.set(n);
        // Slot `n` owned its block; now the returned handle does.
        Some(Block(self.slots[n].get()))
    }

    /// Keeps `b`; gives it back when full (the caller then frees it).
    #[inline(always)]
    fn push(&self, b: Block) -> Result<(), Block> {
        let n = self.n.get();
        let Some(slot) = self.slots.get(n) else {
            return Err(b);
        };
        slot.set(core::mem::ManuallyDrop::new(b).0);
        self.n.set(n + 1);
        Ok(())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        while let Some(b) = self.pop() {
            drop(b);
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
        // SAFETY: a live slot holds the Box leaked by `set_up`, released only here (the slot
        // is UNUSED from now on, so no reference to it is handed out again).
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

extern "C" fn key_destructor(_blocks: *mut c_void) {
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

impl Blocks {
    const fn new(floor: bool) -> Blocks {
        Blocks {
            replies: Stack::new(),
            strings: Stack::new(),
            floor,
        }
    }

    /// A block for a `redisReply`, if one is cached, given up to the caller.
    #[inline(always)]
    pub(crate) fn take_reply(&self) -> Option<*mut c_void> {
        self.replies.pop().map(Block::into_raw)
    }

    /// A block of at least [`SMALL`] bytes for a string of `len` bytes and its NUL, if it
    /// fits one and one is cached, given up to the caller.
    #[inline(always)]
    pub(crate) fn take_string(&self, len: usize) -> Option<*mut c_void> {
        self.string_block(len).map(Block::into_raw)
    }

    /// The most recently kept string block, if a string of `len` bytes fits one.
    #[inline(always)]
    fn string_block(&self, len: usize) -> Option<Block> {
        if len >= SMALL {
            return None;
        }
        self.strings.pop()
    }

    /// Keeps a freed `redisReply` block (at least `size_of::<redisReply>()` bytes), or frees
    /// it when the cache is full.
    #[inline(always)]
    pub(crate) fn keep_reply(&self, b: Block) {
        // A full stack hands the block back, and it is freed here.
        let _ = self.replies.push(b);
    }

    /// Keeps a freed reply string block of `len` bytes (NUL not counted) when it is a small
    /// one, else frees it.
    #[inline(always)]
    pub(crate) fn keep_string(&self, b: Block, len: usize) {
        if b.is_small(len, self.floor) {
            let _ = self.strings.push(b);
        }
    }
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
    Block::alloc(1).is_some_and(|b| b.usable_size() >= SMALL)
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
    let (t, libc) = (super::table(), &LIBC_ALLOCATORS);
    t.mallocFn.map(|f| f as usize) == libc.mallocFn.map(|f| f as usize)
        && t.freeFn.map(|f| f as usize) == libc.freeFn.map(|f| f as usize)
}

/// This thread's cache, or `None` when it must not be used (custom allocator hooks, or
/// turned off).
#[inline(always)]
pub(crate) fn local() -> Option<&'static Blocks> {
    if !libc_hooks() {
        return None;
    }
    let mut p = slot::get();
    if p.is_null() {
        p = set_up();
    }
    // SAFETY: a slot other than NULL and UNUSED holds this thread's live `Blocks`, freed only
    // by `release` at thread exit, after which the slot is UNUSED. `Blocks` is not `Sync`, so
    // the reference never reaches another thread.
    (p != UNUSED).then(|| unsafe { &*p })
}

/// Makes the thread's cache on first use, if the cache is allowed and blocks can be freed at
/// thread exit: the new slot value (UNUSED when there is none).
#[cold]
fn set_up() -> *mut Blocks {
    slot::set(UNUSED);
    let key = match allowed() {
        true => *KEY.get_or_init(make_key),
        false => None,
    };
    let Some(key) = key else {
        return UNUSED;
    };
    // Any non-NULL value makes glibc call `key_destructor` at thread exit, which finds the
    // cache through the slot.
    // SAFETY: a key of ours, given a value that is never dereferenced.
    if unsafe { libc::pthread_setspecific(key, UNUSED as *const c_void) } != 0 {
        return UNUSED;
    }
    let floor = MODE.load(Ordering::Relaxed) == ON_SMALL_FLOOR;
    // Owned by the slot until `release` frees it at thread exit.
    let p = Box::into_raw(Box::new(Blocks::new(floor)));
    slot::set(p);
    p
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
        assert!(s.pop().is_none());
        let mut last = core::ptr::null_mut();
        for _ in 0..CAP {
            let b = Block::alloc(8).unwrap();
            last = b.0.as_ptr();
            assert!(s.push(b).is_ok());
        }
        assert!(s.push(Block::alloc(8).unwrap()).is_err());
        assert_eq!(s.pop().map(|b| b.0.as_ptr()), Some(last));
        // The popped block is freed here, the others with the stack.
    }

    #[test]
    fn small_blocks_by_real_size() {
        let (small, big) = (Block::alloc(3).unwrap(), Block::alloc(4096).unwrap());
        let glibc_floor = small.usable_size() >= SMALL;
        assert_eq!(small.is_small(2, false), glibc_floor);
        assert!(small.is_small(2, true));
        assert!(!small.is_small(SMALL, true));
        // A big block whose len was shrunk is measured and refused...
        assert!(!big.is_small(1, false));
        // ...unless every block is known to be big enough.
        assert!(big.is_small(1, true));
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri has no malloc_usable_size")]
    fn kept_blocks_come_back() {
        let b = Blocks::new(false);
        let (r, s) = (Block::alloc(64).unwrap(), Block::alloc(SMALL).unwrap());
        let (rp, sp) = (r.0, s.0);
        b.keep_reply(r);
        let r = b.replies.pop().unwrap();
        assert_eq!(r.0, rp);
        assert!(b.replies.pop().is_none());
        b.keep_string(s, 2);
        assert!(
            b.string_block(SMALL).is_none(),
            "too long for a small block"
        );
        let s = b.string_block(SMALL - 1).unwrap();
        assert_eq!(s.0, sp);
        // The cache frees them when it goes.
        b.keep_reply(r);
        b.keep_string(s, 2);
    }
}

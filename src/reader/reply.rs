//! The default reply builders (hiredis's `defaultFunctions`) and freeing of `redisReply` trees.
//!
//! The default builders exist twice over the same helpers: as the C function table that
//! `redisReader.fn` points at (callers may call or wrap its entries), and as
//! [`DefaultBuilder`], which the reader uses directly when `fn` is that untouched table.

use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::ptr;

use super::parser::{At, Builder, Kind, Scalar};
use super::tasks::Mirror;
use crate::abi::hiredis::redisReply;
use crate::abi::read::{
    REDIS_REPLY_ARRAY, REDIS_REPLY_ATTR, REDIS_REPLY_BIGNUM, REDIS_REPLY_BOOL, REDIS_REPLY_DOUBLE,
    REDIS_REPLY_ERROR, REDIS_REPLY_INTEGER, REDIS_REPLY_MAP, REDIS_REPLY_NIL, REDIS_REPLY_PUSH,
    REDIS_REPLY_SET, REDIS_REPLY_STATUS, REDIS_REPLY_STRING, REDIS_REPLY_VERB, redisReadTask,
    redisReplyObjectFunctions,
};
use crate::alloc;
use crate::alloc::cache::{self, Blocks};
use crate::boundary;

/// hiredis's `defaultFunctions` entries.
const DEFAULTS: redisReplyObjectFunctions = redisReplyObjectFunctions {
    createString: Some(create_string_object),
    createArray: Some(create_array_object),
    createInteger: Some(create_integer_object),
    createDouble: Some(create_double_object),
    createNil: Some(create_nil_object),
    createBool: Some(create_bool_object),
    freeObject: Some(free_reply_object),
};

/// hiredis's `defaultFunctions`: mutable memory like hiredis's, since callers can reach it
/// through `reader->fn`.
static mut DEFAULT_FUNCTIONS: redisReplyObjectFunctions = DEFAULTS;

/// The table `redisReaderCreate` installs.
pub(crate) fn default_functions() -> *mut redisReplyObjectFunctions {
    &raw mut DEFAULT_FUNCTIONS
}

/// The table's entries as addresses (NULL entries as 0).
fn addresses(t: redisReplyObjectFunctions) -> [usize; 7] {
    // SAFETY: the struct is seven `Option<fn>`, each pointer-sized with NULL as `None`.
    unsafe { core::mem::transmute(t) }
}

/// True when `f` is the default table with its original entries, so the reader may build
/// `redisReply` objects directly instead of calling through it.
#[inline]
pub(crate) fn is_default(f: *const redisReplyObjectFunctions) -> bool {
    // `f` is then our static; hiredis objects are not shared between threads.
    if !ptr::eq(f, default_functions()) {
        return false;
    }
    // SAFETY: as above.
    let (now, orig) = (addresses(unsafe { ptr::read(f) }), addresses(DEFAULTS));
    // Element-wise, which compiles to seven compares rather than a memcmp call.
    now.iter().zip(orig.iter()).all(|(a, b)| a == b)
}

/// With the default table installed: true when its entry for an integer (`integer`) or a
/// string is the original one, so [`scalar_reply`] builds what calling through the table would.
#[inline(always)]
pub(crate) fn default_entry_kept(integer: bool) -> bool {
    // SAFETY: our static; hiredis objects are not shared between threads.
    let t = unsafe { &*default_functions() };
    if integer {
        t.createInteger.map(|e| e as usize) == DEFAULTS.createInteger.map(|e| e as usize)
    } else {
        t.createString.map(|e| e as usize) == DEFAULTS.createString.map(|e| e as usize)
    }
}

#[inline(always)]
fn is_aggregate(ty: c_int) -> bool {
    matches!(
        ty,
        REDIS_REPLY_ARRAY | REDIS_REPLY_MAP | REDIS_REPLY_ATTR | REDIS_REPLY_SET | REDIS_REPLY_PUSH
    )
}

/// Memory for one `redisReply` (uninitialised), from the thread's cache when there is one.
#[inline(always)]
fn reply_block(c: Option<&Blocks>) -> *mut redisReply {
    match c.and_then(Blocks::take_reply) {
        Some(p) => p as *mut redisReply,
        None => alloc::malloc(size_of::<redisReply>()) as *mut redisReply,
    }
}

/// A NUL-terminated copy of `s` for a reply's `str`, from the thread's cache when it fits.
#[inline(always)]
fn reply_string(c: Option<&Blocks>, s: &[u8]) -> *mut c_char {
    let Some(p) = c.and_then(|c| c.take_string(s.len())) else {
        return alloc::copy_bytes(s);
    };
    // SAFETY: a cached string block holds `cache::SMALL` bytes, more than `s.len()`, and is
    // owned here.
    unsafe { copy_small(p as *mut u8, s) };
    p as *mut c_char
}

/// Copies `s` and a NUL into `p` with a few fixed-size moves instead of a `memcpy` call (which
/// costs more than the copy for strings this short): two overlapping 8- or 4-byte moves, or
/// three single bytes, cover every length below [`cache::SMALL`].
///
/// # Safety
/// `p` is writable for [`cache::SMALL`] bytes, does not overlap `s`, and `s.len() < SMALL`.
#[inline(always)]
unsafe fn copy_small(p: *mut u8, s: &[u8]) {
    let (n, src) = (s.len(), s.as_ptr());
    // SAFETY: every move stays within `s` and within the first `n + 1 <= SMALL` bytes of `p`.
    unsafe {
        if n >= 8 {
            ptr::copy_nonoverlapping(src, p, 8);
            if n > 16 {
                ptr::copy_nonoverlapping(src.add(8), p.add(8), 8);
            }
            ptr::copy_nonoverlapping(src.add(n - 8), p.add(n - 8), 8);
        } else if n >= 4 {
            ptr::copy_nonoverlapping(src, p, 4);
            ptr::copy_nonoverlapping(src.add(n - 4), p.add(n - 4), 4);
        } else if n > 0 {
            *p = s[0];
            *p.add(n / 2) = s[n / 2];
            *p.add(n - 1) = s[n - 1];
        }
        *p.add(n) = 0;
    }
}

/// Gives a reply's blocks back: to the thread's cache, or to the hooks.
///
/// # Safety
/// `p` is a live block from the hooks that is not used afterwards.
#[inline(always)]
unsafe fn drop_reply_block(c: Option<&Blocks>, p: *mut redisReply) {
    // SAFETY: caller's promise; with a cache the hooks are libc's, so `p` is a malloc block.
    unsafe {
        match c {
            Some(c) => c.give_reply(p.cast()),
            None => alloc::free(p.cast()),
        }
    }
}

/// A reply with every field given, or NULL. Built in `malloc` memory and written whole:
/// glibc's `calloc` skips its thread cache, so a zeroing calloc costs about 100 instructions
/// more per reply than malloc plus these stores.
#[inline(always)]
fn alloc_reply(c: Option<&Blocks>, fields: redisReply) -> *mut redisReply {
    let r = reply_block(c);
    if !r.is_null() {
        // SAFETY: `r` is fresh memory of the reply's size from the hooks (malloc alignment
        // suits the struct), exclusively owned here.
        unsafe { ptr::write(r, fields) };
    }
    r
}

/// A reply of type `ty` with all other fields zero/NULL, as hiredis's calloc leaves them.
#[inline(always)]
fn reply_fields(ty: c_int) -> redisReply {
    redisReply {
        r#type: ty,
        integer: 0,
        dval: 0.0,
        len: 0,
        str: ptr::null_mut(),
        vtype: [0; 4],
        elements: 0,
        element: ptr::null_mut(),
    }
}

/// A zeroed reply of type `ty`, or NULL.
#[inline(always)]
fn new_reply(c: Option<&Blocks>, ty: c_int) -> *mut redisReply {
    alloc_reply(c, reply_fields(ty))
}

/// A string-like reply: `str`/`len` copy `s`; for VERB, `vtype` gets the first 3 bytes and
/// `str` what follows the 4-byte `xxx:` prefix.
#[inline(always)]
fn string_reply(c: Option<&Blocks>, ty: c_int, s: &[u8]) -> *mut redisReply {
    let (vtype, body) = if ty == REDIS_REPLY_VERB {
        // hiredis would underflow here; the reader never passes fewer than 4 bytes.
        let Some((head, body)) = s.split_first_chunk::<4>() else {
            return ptr::null_mut();
        };
        (Some(head), body)
    } else {
        (None, s)
    };
    // The reply is allocated before its string, as in hiredis (allocator hooks that fail
    // the n-th call see the same sequence).
    let r = reply_block(c);
    if r.is_null() {
        return r;
    }
    let str = reply_string(c, body);
    if str.is_null() {
        // SAFETY: `r` came from `reply_block` just above and was never handed out.
        unsafe { drop_reply_block(c, r) };
        return ptr::null_mut();
    }
    let mut f = reply_fields(ty);
    f.str = str;
    f.len = body.len();
    if let Some(head) = vtype {
        for (d, s) in f.vtype.iter_mut().zip(&head[..3]) {
            *d = *s as c_char;
        }
    }
    // SAFETY: `r` is fresh memory of the reply's size from the hooks, owned here.
    unsafe { ptr::write(r, f) };
    r
}

/// The reply for a top-level scalar the reader recognised on its fast path.
#[inline(always)]
pub(crate) fn scalar_reply(c: Option<&Blocks>, item: Scalar<'_>) -> *mut redisReply {
    if item.kind == Kind::Integer {
        integer_reply(c, REDIS_REPLY_INTEGER, item.int)
    } else {
        // Kind numbers are hiredis's reply types.
        string_reply(c, item.kind as c_int, item.text)
    }
}

/// An aggregate with room for `n` children (no vector when `n == 0`). The vector goes through
/// the overflow-checked calloc, so absurd counts fail cleanly.
#[inline(always)]
fn array_reply(c: Option<&Blocks>, ty: c_int, n: usize) -> *mut redisReply {
    let r = new_reply(c, ty);
    if r.is_null() || n == 0 {
        return r;
    }
    let element = alloc::calloc(n, size_of::<*mut redisReply>()) as *mut *mut redisReply;
    // SAFETY: `r` is a fresh reply owned here.
    unsafe {
        if element.is_null() {
            drop_reply_block(c, r);
            return ptr::null_mut();
        }
        (*r).element = element;
        (*r).elements = n;
    }
    r
}

#[inline(always)]
fn integer_reply(c: Option<&Blocks>, ty: c_int, v: c_longlong) -> *mut redisReply {
    let mut f = reply_fields(ty);
    f.integer = v;
    alloc_reply(c, f)
}

#[inline(always)]
fn double_reply(c: Option<&Blocks>, v: f64, text: &[u8]) -> *mut redisReply {
    let r = string_reply(c, REDIS_REPLY_DOUBLE, text);
    if !r.is_null() {
        // SAFETY: fresh reply owned here.
        unsafe { (*r).dval = v };
    }
    r
}

/// Stores `r` as child `idx` of `parent` (NULL parent: `r` is a root), as hiredis's default
/// builders do. Where hiredis would assert (the parent is not an aggregate reply with room
/// at `idx`), `r` is freed and NULL returned, which the reader reports as out of memory.
///
/// # Safety
/// `parent` is NULL, a small fake object (a type number), or a live reply.
#[inline(always)]
unsafe fn link(parent: *mut c_void, idx: usize, r: *mut redisReply) -> *mut c_void {
    if r.is_null() || parent.is_null() {
        return r.cast();
    }
    let p = parent as *mut redisReply;
    // SAFETY: the caller promises a live reply unless the pointer is a fake type number.
    unsafe {
        if (parent as usize) <= REDIS_REPLY_VERB as usize
            || !is_aggregate((*p).r#type)
            || idx >= (*p).elements
            || (*p).element.is_null()
        {
            free_reply(r.cast());
            return ptr::null_mut();
        }
        *(*p).element.add(idx) = r;
    }
    r.cast()
}

/// What every default C-table builder does around its reply: NULL for a NULL task, else the
/// reply `make` builds (NULL on failure), linked into the task's parent as hiredis's builders
/// link it.
///
/// # Safety
/// `task` is NULL or a valid task whose `parent` is NULL or a valid task.
#[inline(always)]
unsafe fn build_for(
    task: *const redisReadTask,
    make: impl FnOnce(&redisReadTask) -> *mut redisReply,
) -> *mut c_void {
    // SAFETY: caller's promise.
    let Some(task) = (unsafe { task.as_ref() }) else {
        return ptr::null_mut();
    };
    // SAFETY: caller's promise.
    let (parent, idx) = match unsafe { task.parent.as_ref() } {
        None => (ptr::null_mut(), 0),
        // A negative index wraps to a huge one, which `link` refuses.
        Some(p) => (p.obj, task.idx as usize),
    };
    // SAFETY: a parent task's object is one its builder returned (reader contract).
    unsafe { link(parent, idx, make(task)) }
}

unsafe extern "C" fn create_string_object(
    task: *const redisReadTask,
    str: *mut c_char,
    len: usize,
) -> *mut c_void {
    // SAFETY: builders get a valid task and `len` bytes at `str` (reader contract).
    unsafe {
        build_for(task, |t| match boundary::bytes(str as *const u8, len) {
            Some(s) => string_reply(None, t.r#type, s),
            None => ptr::null_mut(),
        })
    }
}

unsafe extern "C" fn create_array_object(task: *const redisReadTask, n: usize) -> *mut c_void {
    // SAFETY: builders get a valid task.
    unsafe { build_for(task, |t| array_reply(None, t.r#type, n)) }
}

unsafe extern "C" fn create_integer_object(
    task: *const redisReadTask,
    v: c_longlong,
) -> *mut c_void {
    // SAFETY: builders get a valid task.
    unsafe { build_for(task, |_| integer_reply(None, REDIS_REPLY_INTEGER, v)) }
}

unsafe extern "C" fn create_double_object(
    task: *const redisReadTask,
    v: f64,
    str: *mut c_char,
    len: usize,
) -> *mut c_void {
    // SAFETY: builders get a valid task and `len` bytes at `str`.
    unsafe {
        build_for(task, |_| match boundary::bytes(str as *const u8, len) {
            Some(s) => double_reply(None, v, s),
            None => ptr::null_mut(),
        })
    }
}

unsafe extern "C" fn create_nil_object(task: *const redisReadTask) -> *mut c_void {
    // SAFETY: builders get a valid task.
    unsafe { build_for(task, |_| new_reply(None, REDIS_REPLY_NIL)) }
}

unsafe extern "C" fn create_bool_object(task: *const redisReadTask, v: c_int) -> *mut c_void {
    // SAFETY: builders get a valid task.
    unsafe {
        build_for(task, |_| {
            integer_reply(None, REDIS_REPLY_BOOL, (v != 0) as c_longlong)
        })
    }
}

/// The default builders without the C table in between: objects are `redisReply`s, linked
/// into their parents at creation.
pub(crate) struct DefaultBuilder<'a> {
    /// Notified of opened levels, so a switch to a C table mid-reply shows correct tasks.
    pub(crate) mirror: &'a mut Mirror,
    pub(crate) privdata: *mut c_void,
    /// The thread's block cache, if it may be used.
    pub(crate) blocks: Option<&'static Blocks>,
}

impl DefaultBuilder<'_> {
    #[inline(always)]
    fn place(at: At<'_, *mut c_void>, r: *mut redisReply) -> Option<*mut c_void> {
        let (parent, idx) = at.parent().unwrap_or((ptr::null_mut(), 0));
        // SAFETY: open aggregates hold what a builder returned for them: replies from this
        // builder, or (if the caller switched tables mid-reply, as hiredis allows) whatever
        // that table made, which hiredis's default builders would equally treat as a reply.
        let obj = unsafe { link(parent, idx, r) };
        (!obj.is_null()).then_some(obj)
    }
}

impl Builder for DefaultBuilder<'_> {
    type Obj = *mut c_void;
    /// The parent aggregate.
    type Run = *mut c_void;

    const SCALAR_RUNS: bool = true;

    #[inline(always)]
    fn run_start(&mut self, at: At<'_, *mut c_void>) -> Option<*mut c_void> {
        at.parent().map(|(parent, _)| parent)
    }

    #[inline(always)]
    fn run_item(
        &mut self,
        parent: *mut c_void,
        idx: usize,
        item: Scalar<'_>,
    ) -> Option<*mut c_void> {
        // SAFETY: as in `place`.
        let obj = unsafe { link(parent, idx, scalar_reply(self.blocks, item)) };
        (!obj.is_null()).then_some(obj)
    }

    #[inline(always)]
    fn string(&mut self, at: At<'_, *mut c_void>, kind: Kind, s: &[u8]) -> Option<*mut c_void> {
        Self::place(at, string_reply(self.blocks, kind as c_int, s))
    }

    #[inline(always)]
    fn array(&mut self, at: At<'_, *mut c_void>, kind: Kind, n: usize) -> Option<*mut c_void> {
        if n > 0 {
            // Room for the level first: a top-level object not yet handed to the parser
            // would have no owner if this failed after it was made.
            self.mirror.reserve(at.depth()).ok()?;
        }
        let obj = Self::place(at, array_reply(self.blocks, kind as c_int, n))?;
        if n > 0 {
            self.mirror.opened(at.depth(), obj, self.privdata);
        }
        Some(obj)
    }

    #[inline(always)]
    fn integer(&mut self, at: At<'_, *mut c_void>, v: i64) -> Option<*mut c_void> {
        Self::place(at, integer_reply(self.blocks, REDIS_REPLY_INTEGER, v))
    }

    #[inline(always)]
    fn double(&mut self, at: At<'_, *mut c_void>, v: f64, text: &[u8]) -> Option<*mut c_void> {
        Self::place(at, double_reply(self.blocks, v, text))
    }

    #[inline(always)]
    fn nil(&mut self, at: At<'_, *mut c_void>, _kind: Kind) -> Option<*mut c_void> {
        Self::place(at, new_reply(self.blocks, REDIS_REPLY_NIL))
    }

    #[inline(always)]
    fn boolean(&mut self, at: At<'_, *mut c_void>, v: bool) -> Option<*mut c_void> {
        Self::place(
            at,
            integer_reply(self.blocks, REDIS_REPLY_BOOL, v as c_longlong),
        )
    }
}

/// `freeObject` of the default table: [`free_reply`].
///
/// # Safety
/// As for [`free_reply`].
unsafe extern "C" fn free_reply_object(reply: *mut c_void) {
    // SAFETY: the caller's promise.
    unsafe { free_reply(reply) }
}

/// Frees a reply and everything it owns (`freeReplyObject`). NULL is a no-op.
///
/// # Safety
/// `reply` is NULL or a reply tree built by the default builders, owned by the caller.
#[inline(always)]
pub(crate) unsafe fn free_reply(reply: *mut c_void) {
    if reply.is_null() {
        return;
    }
    let r = reply as *mut redisReply;
    let c = cache::local();
    // SAFETY: the caller promises a live reply tree it owns.
    unsafe {
        if is_aggregate((*r).r#type) {
            free_aggregate(c, r);
        } else {
            free_scalar(c, r);
        }
    }
}

/// Frees an aggregate reply, its children and its vector.
///
/// # Safety
/// `r` is a live aggregate reply tree from the hooks, owned by the caller.
unsafe fn free_aggregate(c: Option<&Blocks>, r: *mut redisReply) {
    // SAFETY: caller's promise.
    unsafe {
        let element = (*r).element;
        if !element.is_null() {
            for j in 0..(*r).elements {
                let child = *element.add(j);
                if child.is_null() {
                    continue;
                }
                // Scalar children, the common case, are freed without a recursive call.
                if is_aggregate((*child).r#type) {
                    free_aggregate(c, child);
                } else {
                    free_scalar(c, child);
                }
            }
            alloc::free(element.cast());
        }
        drop_reply_block(c, r);
    }
}

/// Frees a non-aggregate reply and its string.
///
/// # Safety
/// `r` is a live non-aggregate reply from the hooks, owned by the caller.
#[inline(always)]
unsafe fn free_scalar(c: Option<&Blocks>, r: *mut redisReply) {
    // SAFETY: caller's promise.
    unsafe {
        if matches!(
            (*r).r#type,
            REDIS_REPLY_ERROR
                | REDIS_REPLY_STATUS
                | REDIS_REPLY_STRING
                | REDIS_REPLY_DOUBLE
                | REDIS_REPLY_VERB
                | REDIS_REPLY_BIGNUM
        ) {
            match c {
                Some(c) => c.give_string((*r).str.cast(), (*r).len),
                None => alloc::free((*r).str.cast()),
            }
        }
        drop_reply_block(c, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_copies_of_every_length() {
        let src: Vec<u8> = (1..=40).collect();
        for n in 0..cache::SMALL {
            let mut dst = [0xffu8; cache::SMALL];
            // SAFETY: `dst` has SMALL bytes and `n < SMALL`.
            unsafe { copy_small(dst.as_mut_ptr(), &src[..n]) };
            assert_eq!(&dst[..n], &src[..n], "length {n}");
            assert_eq!(dst[n], 0, "NUL after {n}");
            assert!(
                dst[n + 1..].iter().all(|&b| b == 0xff),
                "nothing written past {n}"
            );
        }
    }

    #[test]
    fn default_table_is_recognised() {
        assert!(is_default(default_functions()));
        assert!(!is_default(ptr::null()));
    }

    #[test]
    fn verb_reply_splits_prefix() {
        let r = string_reply(None, REDIS_REPLY_VERB, b"txt:hello");
        assert!(!r.is_null());
        // SAFETY: `r` is a fresh reply from this module.
        unsafe {
            assert_eq!((*r).len, 5);
            assert_eq!(boundary::cstr((*r).str), Some(&b"hello"[..]));
            assert_eq!(boundary::cstr((*r).vtype.as_ptr()), Some(&b"txt"[..]));
            free_reply(r.cast());
        }
        assert!(string_reply(None, REDIS_REPLY_VERB, b"txt").is_null());
    }

    #[test]
    fn link_refuses_bad_parents() {
        let parent = array_reply(None, REDIS_REPLY_ARRAY, 1);
        // SAFETY: replies from this module; `link` takes ownership of the child.
        unsafe {
            assert!(link(parent.cast(), 1, new_reply(None, REDIS_REPLY_NIL)).is_null());
            assert!(link(2 as *mut c_void, 0, new_reply(None, REDIS_REPLY_NIL)).is_null());
            let child = link(parent.cast(), 0, new_reply(None, REDIS_REPLY_NIL));
            assert_eq!(*(*parent).element, child.cast());
            free_reply(parent.cast());
        }
    }
}

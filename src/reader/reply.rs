//! The default reply builders (hiredis's `defaultFunctions`) and freeing of `redisReply` trees.
//!
//! The default builders exist twice over the same helpers: as the C function table that
//! `redisReader.fn` points at (callers may call or wrap its entries), and as
//! [`DefaultBuilder`], which the reader uses directly when `fn` is that untouched table.
//!
//! Reply memory is reached through two handles: `Fresh`, a block from the hooks (or the
//! thread's cache) not yet written, and `Node`, a reply tree it owns. Their few primitives
//! write a block whole, view an aggregate's child slots and give blocks back; building,
//! linking a child into its parent's slot (the C entries' parents are raw objects: `link`)
//! and freeing a tree (`free_tree`, the one place) are safe code over them. The C entries
//! are thin: each turns its task into a parent slot (`build_for`) around the same builders.

use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::ptr::{self, NonNull};
use core::slice;
use core::sync::atomic::{AtomicPtr, Ordering::Relaxed};

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
use crate::alloc::cache::{self, Block, Blocks};
use crate::boundary;

/// hiredis's `defaultFunctions` entries, in the table's field order.
const DEFAULTS: [*mut (); 7] = [
    create_string_object as *mut (),
    create_object::<usize> as *mut (),
    create_object::<c_longlong> as *mut (),
    create_double_object as *mut (),
    create_nil_object as *mut (),
    create_object::<c_int> as *mut (),
    free_reply as *mut (),
];

/// [`DEFAULTS`] are the entries of a valid table: their signatures are checked here.
const _: redisReplyObjectFunctions = redisReplyObjectFunctions {
    createString: Some(create_string_object),
    createArray: Some(create_object::<usize>),
    createInteger: Some(create_object::<c_longlong>),
    createDouble: Some(create_double_object),
    createNil: Some(create_nil_object),
    createBool: Some(create_object::<c_int>),
    freeObject: Some(free_reply),
};

/// The entries of [`DEFAULTS`] by name.
const STRING: usize = 0;
const INTEGER: usize = 2;

/// A `redisReplyObjectFunctions` C may write to: its seven function pointers as atomic
/// pointers, which have their layout, so that the static is writable memory that Rust reads
/// without `unsafe` (hiredis objects are not shared between threads, so C's plain stores race
/// none of these loads).
#[repr(transparent)]
struct Table([AtomicPtr<()>; 7]);

const _: () = assert!(
    size_of::<Table>() == size_of::<redisReplyObjectFunctions>()
        && align_of::<Table>() == align_of::<redisReplyObjectFunctions>()
);

impl Table {
    const fn new() -> Table {
        let [a, b, c, d, e, f, g] = DEFAULTS;
        Table([
            AtomicPtr::new(a),
            AtomicPtr::new(b),
            AtomicPtr::new(c),
            AtomicPtr::new(d),
            AtomicPtr::new(e),
            AtomicPtr::new(f),
            AtomicPtr::new(g),
        ])
    }

    /// Entry `i` now (NULL for a missing one).
    #[inline(always)]
    fn entry(&self, i: usize) -> *mut () {
        self.0[i].load(Relaxed)
    }
}

/// hiredis's `defaultFunctions` (`table`: mutable memory like hiredis's, since callers can
/// reach it through `reader->fn`), and its entries as they were (`original`, never written).
/// One static, so that both hold the same address for each function (the address of an
/// `#[inline]` function can differ between the places that take it).
struct Defaults {
    table: Table,
    original: Table,
}

static DEFAULT_FUNCTIONS: Defaults = Defaults {
    table: Table::new(),
    original: Table::new(),
};

/// The table `redisReaderCreate` installs.
pub(crate) fn default_functions() -> *mut redisReplyObjectFunctions {
    // Writable through this pointer: the entries are atomics (interior mutability).
    ptr::from_ref(&DEFAULT_FUNCTIONS.table).cast_mut().cast()
}

/// Entry `i` of the default table is the original one.
#[inline(always)]
fn kept(i: usize) -> bool {
    let d = &DEFAULT_FUNCTIONS;
    d.table.entry(i) == d.original.entry(i)
}

/// True when `f` is the default table with its original entries, so the reader may build
/// `redisReply` objects directly instead of calling through it.
#[inline]
pub(crate) fn is_default(f: *const redisReplyObjectFunctions) -> bool {
    ptr::eq(f, default_functions()) && all_kept()
}

/// Every entry of the default table is the original one. Out of line: the atomic loads
/// would cost the parser's loop, inlined beside them, some of its optimisations.
#[inline(never)]
fn all_kept() -> bool {
    // Element-wise, which compiles to seven compares rather than a memcmp call.
    (0..DEFAULTS.len()).all(kept)
}

/// With the default table installed: true when its entry for an integer (`integer`) or a
/// string is the original one, so [`scalar_reply`] builds what calling through the table would.
#[inline(always)]
pub(crate) fn default_entry_kept(integer: bool) -> bool {
    kept(if integer { INTEGER } else { STRING })
}

#[inline(always)]
fn is_aggregate(ty: c_int) -> bool {
    matches!(
        ty,
        REDIS_REPLY_ARRAY | REDIS_REPLY_MAP | REDIS_REPLY_ATTR | REDIS_REPLY_SET | REDIS_REPLY_PUSH
    )
}

/// Types whose `str` the reply owns.
#[inline(always)]
fn has_string(ty: c_int) -> bool {
    matches!(
        ty,
        REDIS_REPLY_ERROR
            | REDIS_REPLY_STATUS
            | REDIS_REPLY_STRING
            | REDIS_REPLY_DOUBLE
            | REDIS_REPLY_VERB
            | REDIS_REPLY_BIGNUM
    )
}

/// A reply the default builders made, or C code shaped like one (hiredis lets callers edit
/// and assemble replies), owned by the handle: its block, string and vector come from the
/// hooks (libc's whenever the thread's cache is used); an aggregate's `element` is NULL or
/// holds `elements` slots, each NULL or such a reply, owned by it. A reply that is not an
/// aggregate owns its `str` only for the string types ([`has_string`]).
#[repr(transparent)]
struct Node(NonNull<redisReply>);

impl Node {
    /// The reply at `p`, or `None` for NULL.
    ///
    /// # Safety
    /// `p` is NULL or a reply as [`Node`] describes, owned by the caller, who gives it up.
    #[inline(always)]
    unsafe fn from_raw(p: *mut c_void) -> Option<Node> {
        NonNull::new(p.cast()).map(Node)
    }

    /// The reply for C; the handle is given up.
    #[inline(always)]
    fn into_raw(self) -> *mut redisReply {
        self.0.as_ptr()
    }

    #[inline(always)]
    fn fields(&self) -> &redisReply {
        // SAFETY: a live reply, owned by the handle (see the type).
        unsafe { self.0.as_ref() }
    }

    /// The child slots of an aggregate (none for other replies, or without a vector).
    #[inline(always)]
    fn children(&mut self) -> &mut [Option<Node>] {
        let r = self.fields();
        let (element, n) = (r.element, r.elements);
        if !is_aggregate(r.r#type) || element.is_null() {
            return &mut [];
        }
        // SAFETY: the vector holds `n` slots, each NULL or a reply the handle owns (see the
        // type); `Option<Node>` has the layout of a reply pointer, NULL as `None`. The
        // `&mut self` borrow makes the access unique.
        unsafe { slice::from_raw_parts_mut(element.cast::<Option<Node>>(), n) }
    }

    /// Frees the reply's own blocks: `own` (for an aggregate, the children are gone), then the
    /// reply, to the thread's cache `c` or the hooks.
    #[inline(always)]
    fn release(self, c: Option<&Blocks>, own: Own) {
        let r = self.fields();
        let (str, len, element) = (r.str, r.len, r.element);
        let block = self.0.cast::<c_void>();
        // SAFETY: the blocks are the handle's, from the hooks (libc's when there is a
        // cache), and nothing uses them afterwards: the handle is consumed.
        unsafe {
            match (own, c) {
                (Own::Vector, _) => alloc::free(element.cast()),
                (Own::String, Some(c)) => {
                    if let Some(s) = NonNull::new(str.cast()) {
                        c.keep_string(Block::from_raw(s), len)
                    }
                }
                (Own::String, None) => alloc::free(str.cast()),
                (Own::Block, _) => {}
            }
            match c {
                Some(c) => c.keep_reply(Block::from_raw(block)),
                None => alloc::free(block.as_ptr()),
            }
        }
    }
}

/// What a reply owns besides its block (and, for an aggregate, its children).
#[derive(Clone, Copy)]
enum Own {
    Block,
    /// `str` ([`has_string`]).
    String,
    /// `element` (aggregates).
    Vector,
}

/// Frees `node` and everything it owns: the one place that frees a reply tree.
#[inline(always)]
fn free_tree(c: Option<&Blocks>, node: Node) {
    // String replies, the common case, are told apart first.
    match node.fields().r#type {
        ty if has_string(ty) => node.release(c, Own::String),
        ty if is_aggregate(ty) => free_aggregate(c, node),
        _ => node.release(c, Own::Block),
    }
}

/// [`free_tree`] for an aggregate: its children, then its own blocks.
fn free_aggregate(c: Option<&Blocks>, mut node: Node) {
    for slot in node.children() {
        if let Some(child) = slot.take() {
            // Scalar children, the common case, are freed without a recursive call.
            free_tree(c, child);
        }
    }
    node.release(c, Own::Vector);
}

/// Memory for one `redisReply`, not yet written, owned here: from the thread's cache when
/// there is one, else from the hooks.
struct Fresh(NonNull<redisReply>);

impl Fresh {
    #[inline(always)]
    fn new(c: Option<&Blocks>) -> Option<Fresh> {
        let p = match c.and_then(Blocks::take_reply) {
            Some(p) => p,
            None => alloc::malloc(size_of::<redisReply>()),
        };
        NonNull::new(p.cast()).map(Fresh)
    }

    /// The reply, written whole. (Built in `malloc` memory and written once: glibc's `calloc`
    /// skips its thread cache, so a zeroing calloc costs about 100 instructions more per
    /// reply than malloc plus these stores.)
    #[inline(always)]
    fn init(self, fields: redisReply) -> Node {
        // SAFETY: fresh memory of the reply's size (malloc alignment suits the struct),
        // owned here; every pointer in `fields` is NULL or a block the reply now owns.
        unsafe { self.0.write(fields) };
        Node(self.0)
    }

    /// Gives the memory back unused.
    #[cold]
    fn discard(self, c: Option<&Blocks>) {
        self.init(reply_fields(REDIS_REPLY_NIL))
            .release(c, Own::Block);
    }
}

/// A NUL-terminated copy of `s` for a reply's `str`, from the thread's cache when it fits.
#[inline(always)]
fn reply_string(c: Option<&Blocks>, s: &[u8]) -> *mut c_char {
    let Some(p) = c.and_then(|c| c.take_string(s.len())) else {
        return alloc::copy_bytes(s);
    };
    // SAFETY: a cached string block holds `cache::SMALL` bytes and is owned here.
    copy_small(unsafe { &mut *p.cast::<[u8; cache::SMALL]>() }, s);
    p.cast()
}

/// Copies `s` (shorter than the block) and a NUL into `p` with a few fixed-size moves
/// instead of a `memcpy` call (which costs more than the copy for strings this short): two
/// overlapping 8- or 4-byte moves, or three single bytes, cover every length below
/// [`cache::SMALL`].
#[inline(always)]
fn copy_small(p: &mut [u8; cache::SMALL], s: &[u8]) {
    let n = s.len();
    if n >= cache::SMALL {
        // The cache hands out no block for these.
        return;
    }
    if n >= 8 {
        p[..8].copy_from_slice(&s[..8]);
        if n > 16 {
            p[8..16].copy_from_slice(&s[8..16]);
        }
        p[n - 8..n].copy_from_slice(&s[n - 8..]);
    } else if n >= 4 {
        p[..4].copy_from_slice(&s[..4]);
        p[n - 4..n].copy_from_slice(&s[n - 4..]);
    } else if n > 0 {
        p[0] = s[0];
        p[n / 2] = s[n / 2];
        p[n - 1] = s[n - 1];
    }
    p[n] = 0;
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

/// A reply with the fields `f`, or `None` when out of memory.
#[inline(always)]
fn plain_reply(c: Option<&Blocks>, f: redisReply) -> Option<Node> {
    Some(Fresh::new(c)?.init(f))
}

/// A string-like reply with the fields `f` (type and all but the string): `str`/`len` copy
/// `s`; for VERB, `vtype` gets the first 3 bytes and `str` what follows the 4-byte `xxx:`
/// prefix.
#[inline(always)]
fn string_reply(c: Option<&Blocks>, mut f: redisReply, s: &[u8]) -> Option<Node> {
    let (vtype, body) = if f.r#type == REDIS_REPLY_VERB {
        // hiredis would underflow here; the reader never passes fewer than 4 bytes.
        let (head, body) = s.split_first_chunk::<4>()?;
        (Some(head), body)
    } else {
        (None, s)
    };
    // The reply is allocated before its string, as in hiredis (allocator hooks that fail
    // the n-th call see the same sequence).
    let r = Fresh::new(c)?;
    let str = reply_string(c, body);
    if str.is_null() {
        r.discard(c);
        return None;
    }
    f.str = str;
    f.len = body.len();
    if let Some(head) = vtype {
        for (d, s) in f.vtype.iter_mut().zip(&head[..3]) {
            *d = *s as c_char;
        }
    }
    Some(r.init(f))
}

/// The reply for a top-level scalar the reader recognised on its fast path (NULL when out
/// of memory).
#[inline(always)]
pub(crate) fn scalar_reply(c: Option<&Blocks>, item: Scalar<'_>) -> *mut c_void {
    scalar_node(c, item).map_or(ptr::null_mut(), |r| r.into_raw().cast())
}

#[inline(always)]
fn scalar_node(c: Option<&Blocks>, item: Scalar<'_>) -> Option<Node> {
    if item.kind == Kind::Integer {
        integer_reply(c, REDIS_REPLY_INTEGER, item.int)
    } else {
        // Kind numbers are hiredis's reply types.
        string_reply(c, reply_fields(item.kind as c_int), item.text)
    }
}

/// An aggregate with room for `n` children (no vector when `n == 0`). The vector goes through
/// the overflow-checked calloc, so absurd counts fail cleanly.
#[inline(always)]
fn array_reply(c: Option<&Blocks>, ty: c_int, n: usize) -> Option<Node> {
    let r = Fresh::new(c)?;
    let mut f = reply_fields(ty);
    if n > 0 {
        let element = alloc::calloc(n, size_of::<*mut redisReply>()) as *mut *mut redisReply;
        if element.is_null() {
            r.discard(c);
            return None;
        }
        f.element = element;
        f.elements = n;
    }
    Some(r.init(f))
}

#[inline(always)]
fn integer_reply(c: Option<&Blocks>, ty: c_int, v: c_longlong) -> Option<Node> {
    let mut f = reply_fields(ty);
    f.integer = v;
    plain_reply(c, f)
}

#[inline(always)]
fn double_reply(c: Option<&Blocks>, v: f64, text: &[u8]) -> Option<Node> {
    let mut f = reply_fields(REDIS_REPLY_DOUBLE);
    f.dval = v;
    string_reply(c, f, text)
}

/// Stores `r` as child `idx` of `parent` (NULL parent: `r` is a root), as hiredis's default
/// builders do; NULL when `r` is. Where hiredis would assert (the parent is not an
/// aggregate reply with room at `idx`), `r` is freed and NULL returned, which the reader
/// reports as out of memory.
///
/// # Safety
/// `parent` is NULL, a small fake object (a type number), or a live reply.
#[inline(always)]
unsafe fn link(parent: *mut c_void, idx: usize, r: Option<Node>) -> *mut c_void {
    let Some(r) = r else {
        return ptr::null_mut();
    };
    if parent.is_null() {
        return r.into_raw().cast();
    }
    let p = parent as *mut redisReply;
    // SAFETY: the caller promises a live reply unless the pointer is a fake type number; an
    // aggregate's vector holds `elements` slots.
    let slot = unsafe {
        if (parent as usize) <= REDIS_REPLY_VERB as usize
            || !is_aggregate((*p).r#type)
            || idx >= (*p).elements
            || (*p).element.is_null()
        {
            None
        } else {
            Some(&mut *(*p).element.add(idx))
        }
    };
    match slot {
        Some(slot) => {
            *slot = r.into_raw();
            (*slot).cast()
        }
        None => {
            free_tree(cache::local(), r);
            ptr::null_mut()
        }
    }
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
    make: impl FnOnce(&redisReadTask) -> Option<Node>,
) -> *mut c_void {
    // SAFETY: the caller's promise; a parent task's object is one its builder returned
    // (reader contract).
    unsafe {
        let Some(task) = task.as_ref() else {
            return ptr::null_mut();
        };
        let (parent, idx) = match task.parent.as_ref() {
            None => (ptr::null_mut(), 0),
            // A negative index wraps to a huge one, which `link` refuses.
            Some(p) => (p.obj, task.idx as usize),
        };
        link(parent, idx, make(task))
    }
}

unsafe extern "C" fn create_string_object(
    task: *const redisReadTask,
    str: *mut c_char,
    len: usize,
) -> *mut c_void {
    // SAFETY: builders get a valid task and `len` bytes at `str` (reader contract).
    unsafe {
        build_for(task, |t| {
            string_reply(
                None,
                reply_fields(t.r#type),
                boundary::bytes(str as *const u8, len)?,
            )
        })
    }
}

/// The argument of the default builders that take one besides the task: its type tells
/// which builder it is.
trait Arg: Copy {
    fn build(self, ty: c_int) -> Option<Node>;
}

/// `createArray`.
impl Arg for usize {
    fn build(self, ty: c_int) -> Option<Node> {
        array_reply(None, ty, self)
    }
}

/// `createInteger`.
impl Arg for c_longlong {
    fn build(self, _ty: c_int) -> Option<Node> {
        integer_reply(None, REDIS_REPLY_INTEGER, self)
    }
}

/// `createBool`.
impl Arg for c_int {
    fn build(self, _ty: c_int) -> Option<Node> {
        integer_reply(None, REDIS_REPLY_BOOL, (self != 0) as c_longlong)
    }
}

/// `createArray`, `createInteger` and `createBool` of the default table (one per [`Arg`]).
unsafe extern "C" fn create_object<A: Arg>(task: *const redisReadTask, v: A) -> *mut c_void {
    // SAFETY: builders get a valid task (reader contract).
    unsafe { build_for(task, |t| v.build(t.r#type)) }
}

unsafe extern "C" fn create_double_object(
    task: *const redisReadTask,
    v: f64,
    str: *mut c_char,
    len: usize,
) -> *mut c_void {
    // SAFETY: builders get a valid task and `len` bytes at `str` (reader contract).
    unsafe {
        build_for(task, |_| {
            double_reply(None, v, boundary::bytes(str as *const u8, len)?)
        })
    }
}

unsafe extern "C" fn create_nil_object(task: *const redisReadTask) -> *mut c_void {
    // SAFETY: builders get a valid task (reader contract).
    unsafe { build_for(task, |_| plain_reply(None, reply_fields(REDIS_REPLY_NIL))) }
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
    fn attach(parent: *mut c_void, idx: usize, r: Option<Node>) -> Option<*mut c_void> {
        // SAFETY: open aggregates hold what a builder returned for them: replies from this
        // builder, or (if the caller switched tables mid-reply, as hiredis allows) whatever
        // that table made, which hiredis's default builders would equally treat as a reply.
        let obj = unsafe { link(parent, idx, r) };
        (!obj.is_null()).then_some(obj)
    }

    #[inline(always)]
    fn place(at: At<'_, *mut c_void>, r: Option<Node>) -> Option<*mut c_void> {
        let (parent, idx) = at.parent().unwrap_or((ptr::null_mut(), 0));
        Self::attach(parent, idx, r)
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
        Self::attach(parent, idx, scalar_node(self.blocks, item))
    }

    #[inline(always)]
    fn string(&mut self, at: At<'_, *mut c_void>, kind: Kind, s: &[u8]) -> Option<*mut c_void> {
        Self::place(
            at,
            string_reply(self.blocks, reply_fields(kind as c_int), s),
        )
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
        Self::place(at, plain_reply(self.blocks, reply_fields(REDIS_REPLY_NIL)))
    }

    #[inline(always)]
    fn boolean(&mut self, at: At<'_, *mut c_void>, v: bool) -> Option<*mut c_void> {
        Self::place(
            at,
            integer_reply(self.blocks, REDIS_REPLY_BOOL, v as c_longlong),
        )
    }
}

/// Frees a reply and everything it owns (`freeReplyObject`, and the default table's
/// `freeObject`). NULL is a no-op.
///
/// # Safety
/// `reply` is NULL or a reply tree built by the default builders, owned by the caller.
#[inline(always)]
pub(crate) unsafe extern "C" fn free_reply(reply: *mut c_void) {
    // SAFETY: the caller's promise, which is the handle's.
    if let Some(node) = unsafe { Node::from_raw(reply) } {
        free_tree(cache::local(), node);
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
            copy_small(&mut dst, &src[..n]);
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
        assert!(default_entry_kept(true) && default_entry_kept(false));
    }

    #[test]
    fn verb_reply_splits_prefix() {
        let r = string_reply(None, reply_fields(REDIS_REPLY_VERB), b"txt:hello").unwrap();
        let f = r.fields();
        assert_eq!(f.len, 5);
        assert_eq!(f.vtype.map(|c| c as u8), *b"txt\0");
        // SAFETY: the reply's `str` holds `len` bytes and a NUL.
        let s = unsafe { slice::from_raw_parts(f.str as *const u8, f.len + 1) };
        assert_eq!(s, b"hello\0");
        free_tree(None, r);
        assert!(string_reply(None, reply_fields(REDIS_REPLY_VERB), b"txt").is_none());
    }

    #[test]
    fn link_refuses_bad_parents() {
        let nil = || plain_reply(None, reply_fields(REDIS_REPLY_NIL));
        let parent = array_reply(None, REDIS_REPLY_ARRAY, 1).unwrap().into_raw();
        let link = |parent: *mut c_void, idx| DefaultBuilder::attach(parent, idx, nil());
        // Past the end; a fake object (a type number); the slot.
        assert_eq!(link(parent.cast(), 1), None);
        assert_eq!(link(REDIS_REPLY_ARRAY as usize as *mut c_void, 0), None);
        let child = link(parent.cast(), 0).unwrap();
        let mut parent = Node(NonNull::new(parent).unwrap());
        assert_eq!(parent.children().len(), 1);
        assert_eq!(
            parent.children()[0].as_ref().map(|c| c.0.as_ptr().cast()),
            Some(child)
        );
        free_tree(None, parent);
    }
}

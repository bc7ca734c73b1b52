//! The `redisReader` state machine C sees: feeding, the buffer's trimming, handing replies out,
//! and the fast paths for whole top-level scalars. The parser ([`super::parser`]) does the
//! parsing; objects are made by the default builders ([`super::reply`]) or a C table
//! ([`super::tasks::CBuilder`]).
//!
//! [`Reader`] is the handle: made once from a raw reader (the one `unsafe` step, which
//! relies on the reader being ours), it lends the public struct and the private state
//! together, so everything below works on `&mut` borrows. What is left `unsafe` here is
//! that step, making and freeing the reader's blocks, the sds handles of the buffer and the
//! one view of its bytes each fast path and the parser take.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::{self, NonNull};
use core::slice;

use super::parser::{self, Found, Kind, Parser, ReadError, Scalar, TopLevel};
use super::reply;
use super::tasks::{self, CBuilder, Make, Mirror, free_object};
use crate::abi::read::{
    REDIS_ERR, REDIS_ERR_OOM, REDIS_ERR_PROTOCOL, REDIS_OK, REDIS_READER_MAX_ARRAY_ELEMENTS,
    REDIS_READER_MAX_BUF, REDIS_REPLY_INTEGER, redisReadTask, redisReader,
    redisReplyObjectFunctions,
};
use crate::abi::sds::sds;
use crate::alloc::{self, HBox, cache};
use crate::sds::Sds;

/// Reader state C never sees, boxed behind `redisReader.task` (the 216-byte struct has no
/// other room; hiredis keeps its own task stack there).
struct State {
    parser: Parser<*mut c_void>,
    mirror: Mirror,
    /// When `buf` is a view made by `trim` (consumed bytes cut without moving the rest), the
    /// sds that owns the allocation (a handle kept while the view is in use, never used
    /// meanwhile); `view` is that `buf`.
    block: Option<Sds>,
    view: sds,
}

/// A library reader lent out for one call: the public struct and its private state.
pub(crate) struct Reader<'a> {
    r: &'a mut redisReader,
    st: &'a mut State,
}

/// A reply slot given by the caller of `redisReaderGetReply`: NULL (a complete reply is
/// freed) or a writable pointer.
pub(crate) type Out<'a> = Option<&'a mut *mut c_void>;

impl<'a> Reader<'a> {
    /// The reader behind `r`, or `None` for NULL.
    ///
    /// # Safety
    /// `r` is NULL or a reader made by [`create`], not freed, and not lent out elsewhere
    /// for `'a`; its `fn` is NULL or a table valid for `'a`.
    #[inline(always)]
    pub(crate) unsafe fn from_raw(r: *mut redisReader) -> Option<Self> {
        // SAFETY: the caller promises an unaliased library reader or NULL. A library reader's
        // `task` always holds the `HBox<State>` that `create` installed (until `free`), a
        // block of its own, so the two borrows do not overlap.
        let (r, st) = unsafe {
            let r = r.as_mut()?;
            let st = &mut *(r.task as *mut State);
            (r, st)
        };
        Some(Reader { r, st })
    }

    /// `redisReaderFeed`: appends `data` to the buffer.
    #[inline(always)]
    pub(crate) fn feed(&mut self, data: &[u8]) -> c_int {
        let (r, st) = (&mut *self.r, &mut *self.st);
        if r.err != 0 {
            return REDIS_ERR;
        }
        if data.is_empty() {
            return REDIS_OK;
        }
        // The common case: the bytes fit the spare room (of a view too, see `trim`), and the
        // buffer is not empty (maxbuf applies only then).
        if r.len != 0 && (st.block.is_none() || r.buf == st.view) {
            // SAFETY: outside the error state `buf` is the reader's live sds (or view).
            if let Some(n) = unsafe { Sds::from_raw(r.buf) }.and_then(|mut b| b.cat_in_place(data))
            {
                r.len = n;
                return REDIS_OK;
            }
        }
        feed_slow(r, st, data)
    }

    /// `redisReaderGetReply`: a complete reply into `out`, or nothing yet (more data needed).
    #[inline(always)]
    pub(crate) fn get_reply(&mut self, out: Out<'_>) -> c_int {
        let (r, st) = (&mut *self.r, &mut *self.st);
        if r.err != 0 || r.buf.is_null() {
            return REDIS_ERR;
        }
        // Two paths out of line, so that this part needs no saved registers. (The custom
        // path's first test, of `pos < len`, also covers an empty buffer.)
        if ptr::eq(r.r#fn, reply::default_functions()) {
            if r.len == 0 {
                return REDIS_OK;
            }
            get_reply_default(r, st, out)
        } else {
            get_reply_custom(r, st, out)
        }
    }
}

/// A reader that builds objects with `fns` (NULL: type numbers as stand-in objects).
/// NULL when out of memory. The table must stay valid while the reader uses it.
pub(crate) fn create(fns: *mut redisReplyObjectFunctions) -> *mut redisReader {
    let r = alloc::calloc_one::<redisReader>();
    if r.is_null() {
        return r;
    }
    // The buffer, then the state: hiredis's order of allocations.
    let parts = Sds::empty().map(|buf| {
        let st = State {
            parser: Parser::default(),
            mirror: Mirror::new(),
            block: None,
            view: ptr::null_mut(),
        };
        (buf, HBox::try_new(st))
    });
    // SAFETY: `r` is a fresh zeroed block of the reader's size from the hooks, owned here and
    // not handed out: filled in below, or given back when the rest could not be made.
    let (rr, buf, st) = unsafe {
        match parts {
            Some((buf, Ok(st))) => (&mut *r, buf, st),
            failed => {
                if let Some((buf, _)) = failed {
                    buf.free();
                }
                alloc::free(r.cast());
                return ptr::null_mut();
            }
        }
    };
    rr.buf = buf.into_raw();
    rr.r#fn = fns;
    rr.maxbuf = REDIS_READER_MAX_BUF;
    rr.maxelements = REDIS_READER_MAX_ARRAY_ELEMENTS;
    rr.task = HBox::into_raw(st) as *mut *mut redisReadTask;
    rr.ridx = -1;
    r
}

/// A reader that builds `redisReply` objects (`redisReaderCreate`).
pub(crate) fn create_default() -> *mut redisReader {
    create(reply::default_functions())
}

/// Frees the reader, the reply in progress (through `fn->freeObject`) and the buffer.
///
/// # Safety
/// `r` is NULL or a reader made by [`create`], not used afterwards.
pub(crate) unsafe fn free(r: *mut redisReader) {
    if r.is_null() {
        return;
    }
    // SAFETY: the caller gives up a library reader, each part taken back once and not used
    // afterwards: its `task` holds the HBox made at creation (NULL only if C code cleared
    // it), `buf` is then NULL (released with the state) or the reader's sds, and the block
    // came from the hooks.
    unsafe {
        let rr = &mut *r;
        if let Some(st) = NonNull::new(rr.task as *mut State) {
            discard(rr, HBox::from_raw(st.as_ptr()));
        }
        if let Some(buf) = Sds::from_raw(rr.buf) {
            buf.free();
        }
        alloc::free(r.cast());
    }
}

/// The reader's state at [`free`]: the reply in progress goes (through `fn->freeObject`),
/// and the buffer.
fn discard(r: &mut redisReader, mut st: HBox<State>) {
    if let Some(root) = st.parser.reset() {
        free_object(r.r#fn, root);
    }
    release_buf(r, &mut st);
}

/// Puts the reader in its final error state: partial reply freed, buffer released.
fn set_error(r: &mut redisReader, st: &mut State, kind: c_int, msg: &[u8]) {
    if let Some(root) = st.parser.reset() {
        free_object(r.r#fn, root);
    }
    r.reply = ptr::null_mut();
    release_buf(r, st);
    r.pos = 0;
    r.len = 0;
    r.ridx = -1;
    r.err = kind;
    let n = msg.len().min(r.errstr.len() - 1);
    for (d, s) in r.errstr.iter_mut().zip(&msg[..n]) {
        *d = *s as c_char;
    }
    r.errstr[n] = 0;
}

/// Frees the buffer (the block behind a view too) and sets `buf` to NULL.
#[cold]
#[inline(never)]
fn release_buf(r: &mut redisReader, st: &mut State) {
    let owner = own_buf(r, st);
    // SAFETY: `owner` is NULL or the sds that owns the buffer's allocation.
    if let Some(owner) = unsafe { Sds::from_raw(owner) } {
        owner.free();
    }
    st.block = None;
    r.buf = ptr::null_mut();
}

/// The sds owning `buf`'s allocation: the block behind a view, else `buf` itself. A block
/// whose view C code replaced in `buf` is freed (it cannot be reached otherwise).
fn own_buf(r: &redisReader, st: &mut State) -> sds {
    match &st.block {
        None => return r.buf,
        Some(block) if r.buf == st.view => return block.as_ptr(),
        Some(_) => {}
    }
    if let Some(block) = st.block.take() {
        block.free();
    }
    r.buf
}

fn set_oom(r: &mut redisReader, st: &mut State) {
    set_error(r, st, REDIS_ERR_OOM, b"Out of memory");
}

/// [`Reader::feed`] when the buffer must grow, is empty, or is a view that ran out of room.
#[inline(never)]
fn feed_slow(r: &mut redisReader, st: &mut State, data: &[u8]) -> c_int {
    let owner = own_buf(r, st);
    // SAFETY: outside the error state `owner` is the reader's live sds and `buf` the same one
    // or a view into it (see `trim`); the view is only read, before the block is written.
    let (block, view) = unsafe { (Sds::from_raw(owner), Sds::from_raw(r.buf)) };
    let Some(mut buf) = block else {
        return REDIS_ERR;
    };
    if owner != r.buf {
        // A view's bytes move to the start of their block, which then grows as hiredis's
        // buffer would (same length, same capacity).
        if let Some(view) = view {
            buf.uncut(view);
        }
        st.block = None;
    }
    // An empty buffer with lots of spare room is dropped for a fresh one. Consumed bytes
    // are not cut here: like hiredis, `redisReaderGetReply` cuts them (see `trim`).
    if r.len == 0 && r.maxbuf != 0 && buf.avail() > r.maxbuf {
        buf.free();
        r.pos = 0;
        let Some(fresh) = Sds::empty() else {
            r.buf = ptr::null_mut();
            set_oom(r, st);
            return REDIS_ERR;
        };
        buf = fresh;
    }
    let grown = buf.cat(data);
    r.buf = buf.into_raw();
    let Ok(n) = grown else {
        set_oom(r, st);
        return REDIS_ERR;
    };
    r.len = n;
    REDIS_OK
}

fn get_reply_default(r: &mut redisReader, st: &mut State, mut out: Out<'_>) -> c_int {
    if !scalar_fast_path(r, st, out.as_deref_mut()) && parse(r, st, out) != REDIS_OK {
        return REDIS_ERR;
    }
    if r.pos >= TRIM_AT {
        trim(r, st);
    }
    REDIS_OK
}

/// [`redisReaderGetReply`] for a reader with a table of its own (or none), from the point
/// where it has bytes to look at.
///
/// The commonest case first: between replies, a short whole scalar ([`parser::scalar_in_word`])
/// and a table with its builder. It does what [`hand_out_custom_scalar`] does, in fewer steps
/// (`pending` is already clear, the table's entry is read once); anything else goes the
/// general way.
#[inline(never)]
fn get_reply_custom(r: &mut redisReader, st: &mut State, out: Out<'_>) -> c_int {
    // A reply started by an earlier call (`ridx` 0: its root task keeps that call's
    // privdata) goes the general way too.
    // The root task must be blank (`Mirror::root_blank`), as a reply through this table
    // leaves it; the parser is then between replies too (the note is dropped whenever it
    // starts a reply: `parse`, `start_waiting`).
    if r.ridx != -1 || !st.mirror.root_blank() {
        return get_reply_custom_general(r, st, out);
    }
    debug_assert!(st.parser.is_idle());
    // SAFETY: not in the error state (checked on entry), so `buf` is the reader's live sds
    // of `len` bytes (`Reader::from_raw`); `bytes` is dropped before `buf` changes.
    let bytes = unsafe { slice::from_raw_parts(r.buf as *const u8, r.len) };
    // One copy of the rest per kind (bulk strings first: aggregates mostly hold those).
    // Three kinds, so that they are told apart by compares rather than a jump table: errors
    // go the general way.
    let Some(&c) = bytes.get(r.pos) else {
        return get_reply_custom_general(r, st, out);
    };
    let mut out = out;
    let step = if c == b'$' {
        custom_scalar(r, st, out.as_deref_mut(), bytes, Kind::String)
    } else if c == b'+' {
        custom_scalar(r, st, out.as_deref_mut(), bytes, Kind::Status)
    } else if c == b':' {
        custom_scalar(r, st, out.as_deref_mut(), bytes, Kind::Integer)
    } else {
        Step::General
    };
    // What may free the buffer runs here, where `bytes` is no longer in use (not while a
    // callee holds it as an argument).
    match step {
        Step::Done => REDIS_OK,
        Step::General => get_reply_custom_general(r, st, out),
        Step::Failed => {
            set_oom(r, st);
            REDIS_ERR
        }
    }
}

/// How [`custom_scalar`] ended.
enum Step {
    /// The reply was built and handed out.
    Done,
    /// Not the common case: the general way is to run.
    General,
    /// The builder returned NULL: the reader is to be put in its OOM state.
    Failed,
}

/// [`get_reply_custom`] for a `kind` item at `pos` in `bytes` (the buffer), its type byte
/// checked.
#[inline(always)]
fn custom_scalar(
    r: &mut redisReader,
    st: &mut State,
    out: Out<'_>,
    bytes: &[u8],
    kind: Kind,
) -> Step {
    let Some((item, next)) = parser::scalar_data_in_word(kind, bytes, r.pos + 1) else {
        return Step::General;
    };
    let fns = tasks::entries(r.r#fn);
    // The root task as hiredis passes it (see `hand_out_custom_scalar`), with the privdata
    // of now (the reply starts in this call); room for it was checked by the caller.
    // Between replies the root task already holds the rest (see `Mirror::blank_root`).
    let privdata = r.privdata;
    let Some(t) = st.mirror.slot(0) else {
        return Step::General;
    };
    debug_assert_eq!(
        {
            let t = &st.mirror.tasks[0];
            (t.elements, t.idx, t.obj, t.parent)
        },
        (-1, -1, ptr::null_mut(), ptr::null_mut())
    );
    let make = if kind == Kind::Integer {
        if fns.createInteger.is_none() {
            return Step::General;
        }
        Make::Integer(item.int)
    } else {
        if fns.createString.is_none() {
            return Step::General;
        }
        Make::String(item.text)
    };
    r.pos = next;
    let obj = t
        .call(&fns, make, |t| {
            t.r#type = kind as c_int;
            t.privdata = privdata;
        })
        .unwrap_or(ptr::null_mut());
    if obj.is_null() {
        return Step::Failed;
    }
    // (`ridx` is still -1: the reply ends in this call.)
    r.reply = ptr::null_mut();
    hand_out(r, obj, out);
    if r.pos >= TRIM_AT {
        trim(r, st);
    }
    Step::Done
}

/// [`get_reply_custom`] for everything but its commonest case.
#[inline(never)]
fn get_reply_custom_general(r: &mut redisReader, st: &mut State, mut out: Out<'_>) -> c_int {
    if r.len == 0 {
        return REDIS_OK;
    }
    if !custom_scalar_fast_path(r, st, out.as_deref_mut()) && parse(r, st, out) != REDIS_OK {
        return REDIS_ERR;
    }
    if r.pos >= TRIM_AT {
        trim(r, st);
    }
    REDIS_OK
}

/// Consumed bytes are cut from the buffer once at least this many have piled up, at the end
/// of a successful `redisReaderGetReply`, as in hiredis (the public `pos`, `len` and `buf`
/// contents follow its rule; Python's `hiredis` package, among others, reads them).
const TRIM_AT: usize = 1024;

/// hiredis's `sdsrange(buf, pos, -1)`, with `pos >= TRIM_AT`. hiredis moves the unread rest
/// to the front each time (quadratic for one huge feed); here `buf` becomes a view of the
/// rest inside the same block (`Sds::cut_front`), with the same length and contents, and
/// the bytes move once, when a feed needs the block's room (README: differences).
#[cold]
#[inline(never)]
fn trim(r: &mut redisReader, st: &mut State) {
    let owner = own_buf(r, st);
    // SAFETY: `buf` is the reader's live sds, a view into `owner` or `owner` itself (not in
    // the error state: the parse succeeded); one of the two handles is used.
    let (block, buf) = unsafe { (Sds::from_raw(owner), Sds::from_raw(r.buf)) };
    if r.pos >= r.len {
        // All consumed: back to the block's start, empty, nothing moved.
        if let Some(mut block) = block {
            block.clear();
        }
        r.buf = owner;
        r.len = 0;
        st.block = None;
    } else {
        match buf.map(|b| b.cut_front(r.pos)) {
            Some(Ok(view)) => {
                r.len = view.len();
                r.buf = view.into_raw();
                st.block = block;
                st.view = r.buf;
            }
            Some(Err(mut buf)) => {
                let _ = buf.range(r.pos.min(isize::MAX as usize) as isize, -1);
                r.len = buf.len();
            }
            None => {}
        }
    }
    r.pos = 0;
}

/// The common case between replies, with the default table installed (the caller checked):
/// one whole status, error, integer or bulk reply at `pos`, built and handed out, or the start
/// of one, noted as the parser would (true). False leaves everything untouched for the parser (other shapes,
/// aggregates in progress, or a failed allocation, which the parser then meets and reports).
#[inline(always)]
fn scalar_fast_path(r: &mut redisReader, st: &mut State, reply: Out<'_>) -> bool {
    match st.parser.top_level() {
        TopLevel::Idle => {}
        TopLevel::Waiting(kind) => return resume_scalar(r, st, kind, reply),
        TopLevel::Busy => return false,
    }
    // SAFETY: not in the error state (checked on entry), so `buf` is the reader's live sds
    // of `len` bytes (`Reader::from_raw`); nothing below frees or grows it, so `bytes` is
    // dropped before `buf` changes.
    let bytes = unsafe { slice::from_raw_parts(r.buf as *const u8, r.len) };
    match parser::scalar_at(bytes, r.pos) {
        Some(Found::Whole(item, next)) => hand_out_scalar(r, st, item, next, reply),
        Some(Found::Partial(kind)) => start_waiting(r, st, kind),
        // All read (hiredis keeps consumed bytes until 1 KiB piles up): as with the parser,
        // the next reply counts as started, its root task set up now.
        None if r.pos == r.len => start_reply(r, st),
        None => false,
    }
}

/// [`scalar_fast_path`] for readers with a table of their own (or none): whole scalars are
/// built through it. False when nothing was done, or when a builder returned NULL and the
/// reader is in its error state: the parser then runs, or reports the error.
#[inline(always)]
fn custom_scalar_fast_path(r: &mut redisReader, st: &mut State, reply: Out<'_>) -> bool {
    let top = st.parser.top_level();
    if top == TopLevel::Busy {
        return false;
    }
    // SAFETY: as in `scalar_fast_path`: only the builder's failure below frees `buf`, after
    // the last use of `bytes`.
    let bytes = unsafe { slice::from_raw_parts(r.buf as *const u8, r.len) };
    let found = match top {
        TopLevel::Busy => return false,
        TopLevel::Waiting(kind) => {
            if r.pos >= r.len {
                // As in `resume_scalar`.
                return r.pos == r.len;
            }
            parser::scalar_data(kind, bytes, r.pos)
        }
        TopLevel::Idle => match parser::scalar_at(bytes, r.pos) {
            Some(Found::Partial(kind)) => return start_waiting(r, st, kind),
            None if r.pos == r.len => return start_reply(r, st),
            found => found,
        },
    };
    match found {
        Some(Found::Whole(item, next)) => match hand_out_custom_scalar(r, st, item, next, reply) {
            Some(done) => done,
            None => {
                // Here, where `bytes` is no longer in use: this frees the buffer.
                set_oom(r, st);
                false
            }
        },
        Some(Found::Partial(_)) => true,
        None => false,
    }
}

/// hiredis's first step of a call with bytes to look at: the root task is set up with the
/// current privdata, unless a reply is already started (then its task keeps its own). False
/// (nothing changed) when the root task cannot be made: the parser then meets and reports
/// the failure.
#[inline(always)]
fn start_reply(r: &mut redisReader, st: &mut State) -> bool {
    if r.ridx < 0 {
        if st.mirror.start_reply(r.privdata).is_err() {
            return false;
        }
        r.ridx = 0;
    }
    true
}

/// The parser's step for the start of a top-level scalar that is not whole yet (no object
/// is made until it is, so this holds for any builders): the type byte read, the reply
/// started. False (nothing changed) when the root task cannot be made: the parser then
/// meets and reports the failure.
#[inline(never)]
fn start_waiting(r: &mut redisReader, st: &mut State, kind: Kind) -> bool {
    if !start_reply(r, st) {
        return false;
    }
    st.parser.wait_for(kind);
    st.mirror.leave_root_blank();
    r.pos += 1;
    true
}

/// The fast path for a top-level scalar whose type byte an earlier call read: once its
/// data is all here, it is built as [`scalar_fast_path`] builds whole ones; until then
/// nothing changes, as with the parser.
#[inline(never)]
fn resume_scalar(r: &mut redisReader, st: &mut State, kind: Kind, reply: Out<'_>) -> bool {
    if r.pos >= r.len {
        // Nothing new after the type byte: nothing changes. (Past the end only if C code
        // moved `pos`: the parser's clamping applies.)
        return r.pos == r.len;
    }
    // SAFETY: as in `scalar_fast_path` (a view taken here, after the cheap test above, so
    // that the fast path's caller passes less).
    let bytes = unsafe { slice::from_raw_parts(r.buf as *const u8, r.len) };
    match parser::scalar_data(kind, bytes, r.pos) {
        Some(Found::Whole(item, next)) => hand_out_scalar(r, st, item, next, reply),
        Some(Found::Partial(_)) => true,
        None => false,
    }
}

/// Builds a whole top-level scalar ending at `next` with the default builders and hands it
/// out; false (nothing changed) when the builders are not the defaults or memory ran out.
#[inline(always)]
fn hand_out_scalar(
    r: &mut redisReader,
    st: &mut State,
    item: Scalar<'_>,
    next: usize,
    reply: Out<'_>,
) -> bool {
    // (`redisReaderGetReply` found the default table installed.)
    if !reply::default_entry_kept(item.kind == Kind::Integer) {
        return false;
    }
    let obj = reply::scalar_reply(cache::local(), item);
    if obj.is_null() {
        return false;
    }
    st.parser.done_waiting();
    r.pos = next;
    r.ridx = -1;
    r.reply = ptr::null_mut();
    hand_out(r, obj.cast(), reply);
    true
}

/// Builds a whole top-level scalar ending at `next` through `fn` (a C table, or NULL: type
/// numbers as stand-in objects) and hands it out: `Some(true)`; `Some(false)` when the root
/// task could not be made (nothing changed); `None` when the builder returned NULL (the caller
/// then puts the reader in its OOM state, once `item`'s borrow of the buffer has ended).
/// Builders see the root task hiredis passes: the item's type, elements and idx -1, no object,
/// no parent, and the privdata of the reply's start (now, unless an earlier call started it).
#[inline(always)]
fn hand_out_custom_scalar(
    r: &mut redisReader,
    st: &mut State,
    item: Scalar<'_>,
    next: usize,
    reply: Out<'_>,
) -> Option<bool> {
    let fns = tasks::entries(r.r#fn);
    let builder = if item.kind == Kind::Integer {
        fns.createInteger.is_some()
    } else {
        fns.createString.is_some()
    };
    let obj = if !builder {
        st.parser.done_waiting();
        r.pos = next;
        (if item.kind == Kind::Integer {
            REDIS_REPLY_INTEGER
        } else {
            item.kind as c_int
        }) as usize as *mut c_void
    } else {
        let m = &mut st.mirror;
        if m.reserve(0).is_err() {
            return Some(false);
        }
        let privdata = if r.ridx < 0 {
            r.privdata
        } else {
            m.tasks[0].privdata
        };
        let Some(t) = m.slot(0) else {
            return Some(false);
        };
        m.set_root_blank();
        // The reader is past the item while its builder runs (fewer values are kept across
        // the call). Builders do not see `pos` move in step with hiredis's anyway: the
        // parser's calls run before it is stored.
        st.parser.done_waiting();
        r.pos = next;
        let make = if item.kind == Kind::Integer {
            Make::Integer(item.int)
        } else {
            Make::String(item.text)
        };
        let task = redisReadTask {
            r#type: item.kind as c_int,
            elements: -1,
            idx: -1,
            obj: ptr::null_mut(),
            parent: ptr::null_mut(),
            privdata,
        };
        let obj = t.call(&fns, make, |t| *t = task).unwrap_or(ptr::null_mut());
        if obj.is_null() {
            return None;
        }
        obj
    };
    r.ridx = -1;
    r.reply = ptr::null_mut();
    hand_out(r, obj, reply);
    Some(true)
}

/// [`redisReaderGetReply`] through the parser. Out of line: the fast path's caller stays
/// small.
#[inline(never)]
fn parse(r: &mut redisReader, st: &mut State, reply: Out<'_>) -> c_int {
    if r.err != 0 {
        // The fast path met an error (a builder returned NULL).
        return REDIS_ERR;
    }
    // SAFETY: not in the error state (checked above), so `buf` is the reader's live sds of
    // `len` bytes (`Reader::from_raw`); `bytes` is not used after `set_error`.
    let bytes = unsafe { slice::from_raw_parts(r.buf as *const u8, r.len) };
    let mut pos = r.pos.min(bytes.len());
    if r.ridx < 0 {
        // A new reply starts: its tasks carry the current privdata.
        if st.mirror.start_reply(r.privdata).is_err() {
            set_oom(r, st);
            return REDIS_ERR;
        }
    }
    let res = if reply::is_default(r.r#fn) {
        // The default builders keep only the tasks' `obj` and `privdata`: a C table used
        // later writes the rest again.
        st.mirror.synced = 0;
        let mut b = reply::DefaultBuilder {
            mirror: &mut st.mirror,
            privdata: r.privdata,
            blocks: cache::local(),
        };
        st.parser.parse(bytes, &mut pos, r.maxelements, &mut b)
    } else {
        parse_custom(r, st, bytes, &mut pos)
    };
    let done = match res {
        Ok(done) => done,
        Err(e) => {
            let kind = if e == ReadError::Oom {
                REDIS_ERR_OOM
            } else {
                REDIS_ERR_PROTOCOL
            };
            set_error(r, st, kind, e.message().as_bytes());
            return REDIS_ERR;
        }
    };
    r.pos = pos;
    // As in hiredis, a reply counts as started (root task set up) from the first call that
    // had bytes to look at, even if none were consumed.
    r.ridx = if done.is_some() {
        -1
    } else {
        st.parser.depth().unwrap_or(0) as c_int
    };
    r.reply = st.parser.root().unwrap_or(ptr::null_mut());
    if let Some(obj) = done {
        hand_out(r, obj, reply);
    }
    REDIS_OK
}

/// The parser with a C table (or none). Out of line, so that `parse` holds only the
/// default builders' loop.
#[inline(never)]
fn parse_custom(
    r: &redisReader,
    st: &mut State,
    bytes: &[u8],
    pos: &mut usize,
) -> Result<Option<*mut c_void>, ReadError> {
    st.mirror.leave_root_blank();
    let mut b = CBuilder::new(r.r#fn, &mut st.mirror, r.privdata);
    let res = st.parser.parse(bytes, pos, r.maxelements, &mut b);
    if let Ok(Some(_)) = res {
        st.mirror.blank_root();
    }
    res
}

/// Gives a complete reply to the caller, or frees it when the caller passed no pointer.
#[inline(always)]
fn hand_out(r: &redisReader, obj: *mut c_void, reply: Out<'_>) {
    match reply {
        Some(out) => *out = obj,
        None => free_object(r.r#fn, obj),
    }
}

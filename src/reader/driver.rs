//! The `redisReader` state machine C sees: feeding, the buffer's trimming, handing replies out,
//! and the fast paths for whole top-level scalars. The parser ([`super::parser`]) does the
//! parsing; objects are made by the default builders ([`super::reply`]) or a C table
//! ([`super::tasks::CBuilder`]).
//!
//! [`Reader`] is the handle: made once from a raw reader (the one `unsafe` step, which
//! relies on the reader being ours), it lends the public struct and the private state
//! together, so everything below works on `&mut` borrows. The buffer is owned by the
//! private state (sds handles; `buf` shows it to C), and its bytes are read through one
//! [`Reader::view`], whose borrow keeps whatever changes or frees the buffer away while they
//! are in use. What is left `unsafe` here is that step, the view, making and freeing the
//! reader's blocks, and adopting a buffer by its pointer (one C code put in `buf`, or the
//! block a view was cut from).

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
use crate::alloc::{self, HBox, cache};
use crate::sds::Sds;

/// Reader state C never sees, boxed behind `redisReader.task` (the 216-byte struct has no
/// other room; hiredis keeps its own task stack there).
struct State {
    parser: Parser<*mut c_void>,
    mirror: Mirror,
    /// The buffer C sees in `buf`, owned here: the sds that owns the allocation (none in the
    /// error state) and, when `buf` is a view made by `trim` (consumed bytes cut without
    /// moving the rest), that view, a string inside the block. `buf` is `view`, else
    /// `block`, unless C code replaced it (see [`sync_buf`]).
    block: Option<Sds>,
    view: Option<Sds>,
}

impl State {
    /// The handle whose string `buf` should be: the view, else the block.
    #[inline(always)]
    fn cur(&mut self) -> Option<&mut Sds> {
        match &mut self.view {
            Some(view) => Some(view),
            None => self.block.as_mut(),
        }
    }
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
        if r.len != 0 {
            if let Some(cur) = st.cur().filter(|b| b.as_ptr() == r.buf) {
                if let Some(n) = cur.cat_in_place(data) {
                    r.len = n;
                    return REDIS_OK;
                }
            }
        }
        feed_slow(r, st, data)
    }

    /// `redisReaderGetReply`: a complete reply into `out`, or nothing yet (more data needed).
    #[inline(always)]
    pub(crate) fn get_reply(&mut self, out: Out<'_>) -> c_int {
        let r = &*self.r;
        if r.err != 0 || r.buf.is_null() {
            return REDIS_ERR;
        }
        // Two paths out of line, so that this part needs no saved registers. (The custom
        // path's first test, of `pos < len`, also covers an empty buffer.)
        if ptr::eq(r.r#fn, reply::default_functions()) {
            if r.len == 0 {
                return REDIS_OK;
            }
            get_reply_default(self.rb(), out)
        } else {
            get_reply_custom(self.rb(), out)
        }
    }

    /// The reader again, for a callee.
    #[inline(always)]
    fn rb(&mut self) -> Reader<'_> {
        Reader {
            r: &mut *self.r,
            st: &mut *self.st,
        }
    }

    /// The buffer's `len` bytes, lent with what may change while they are in use.
    #[inline(always)]
    fn view(&mut self) -> View<'_> {
        let r = &mut *self.r;
        let bytes: &[u8] = if r.len == 0 {
            &[]
        } else {
            // SAFETY: with bytes buffered, a library reader's `buf` is its live sds (or a view
            // into one, see `trim`) of `len` bytes (`Reader::from_raw`; the error state has
            // none). The view holds the reader's borrow, so nothing changes or frees the
            // buffer while `bytes` is in use.
            unsafe { slice::from_raw_parts(r.buf as *const u8, r.len) }
        };
        View {
            bytes,
            pos: &mut r.pos,
            parser: &mut self.st.parser,
            mirror: &mut self.st.mirror,
            fns: &r.r#fn,
            privdata: &r.privdata,
        }
    }
}

/// The buffer's bytes ([`Reader::view`]) and the parts of the reader that may change while
/// they are in use: `pos`, the parser and the tasks. The rest of the reader, whatever changes
/// or frees the buffer, stays out of reach until the view's last use (other fields the user
/// needs are read before).
struct View<'s> {
    bytes: &'s [u8],
    /// `redisReader.pos`.
    pos: &'s mut usize,
    parser: &'s mut Parser<*mut c_void>,
    mirror: &'s mut Mirror,
    /// `redisReader.fn` and `privdata`, read where they are used.
    fns: &'s *mut redisReplyObjectFunctions,
    privdata: &'s *mut c_void,
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
        let p = buf.as_ptr();
        let st = State {
            parser: Parser::default(),
            mirror: Mirror::new(),
            block: Some(buf),
            view: None,
        };
        (p, HBox::try_new(st))
    });
    // SAFETY: `r` is a fresh zeroed block of the reader's size from the hooks, owned here and
    // not handed out: filled in below, or given back when the rest could not be made.
    let (rr, buf, st) = unsafe {
        match parts {
            Some((buf, Ok(st))) => (&mut *r, buf, st),
            failed => {
                if let Some((_, Err(st))) = failed {
                    st.block.into_iter().for_each(Sds::free);
                }
                alloc::free(r.cast());
                return ptr::null_mut();
            }
        }
    };
    rr.buf = buf;
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
            discard(rr, &mut HBox::from_raw(st.as_ptr()));
        }
        if let Some(buf) = Sds::from_raw(rr.buf) {
            buf.free();
        }
        alloc::free(r.cast());
    }
}

/// Drops what the reader holds: the reply in progress (through `fn->freeObject`) and the
/// buffer. At [`free`], and on the way into the error state.
fn discard(r: &mut redisReader, st: &mut State) {
    if let Some(root) = st.parser.reset() {
        free_object(r.r#fn, root);
    }
    release_buf(r, st);
}

/// Puts the reader in its final error state: partial reply freed, buffer released.
fn set_error(r: &mut redisReader, st: &mut State, kind: c_int, msg: &[u8]) {
    discard(r, st);
    r.reply = ptr::null_mut();
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
    sync_buf(r, st);
    // A view is a string inside the block: it goes with it.
    st.view = None;
    if let Some(block) = st.block.take() {
        block.free();
    }
    r.buf = ptr::null_mut();
}

/// Brings the state's handles in step with `buf` (see [`State::block`]), which C code may
/// have replaced: the new one is adopted, and a block whose view it replaced is freed (it
/// cannot be reached otherwise; a replaced whole buffer was C's to free).
#[inline(always)]
fn sync_buf(r: &redisReader, st: &mut State) {
    if st.cur().map_or(ptr::null_mut(), |b| b.as_ptr()) != r.buf {
        adopt_buf(r, st);
    }
}

#[cold]
#[inline(never)]
fn adopt_buf(r: &redisReader, st: &mut State) {
    if st.view.take().is_some() {
        if let Some(block) = st.block.take() {
            block.free();
        }
    }
    // SAFETY: a library reader's `buf` is NULL or a live sds, which C code that puts one
    // there hands over to the reader (as hiredis's reader owns whatever `buf` holds); the
    // state's handles no longer refer to anything else.
    st.block = unsafe { Sds::from_raw(r.buf) };
}

fn set_oom(r: &mut redisReader, st: &mut State) {
    set_error(r, st, REDIS_ERR_OOM, b"Out of memory");
}

/// [`Reader::feed`] when the buffer must grow, is empty, or is a view that ran out of room.
#[inline(never)]
fn feed_slow(r: &mut redisReader, st: &mut State, data: &[u8]) -> c_int {
    sync_buf(r, st);
    let Some(mut buf) = st.block.take() else {
        return REDIS_ERR;
    };
    if let Some(view) = st.view.take() {
        // A view's bytes move to the start of their block, which then grows as hiredis's
        // buffer would (same length, same capacity).
        buf.uncut(view);
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
    r.buf = buf.as_ptr();
    st.block = Some(buf);
    let Ok(n) = grown else {
        set_oom(r, st);
        return REDIS_ERR;
    };
    r.len = n;
    REDIS_OK
}

fn get_reply_default(mut rd: Reader<'_>, mut out: Out<'_>) -> c_int {
    if !scalar_fast_path(rd.rb(), out.as_deref_mut()) && parse(rd.rb(), out) != REDIS_OK {
        return REDIS_ERR;
    }
    if rd.r.pos >= TRIM_AT {
        trim(rd.r, rd.st);
    }
    REDIS_OK
}

/// [`redisReaderGetReply`] for a reader with a table of its own (or none), from the point
/// where it has bytes to look at.
///
/// The commonest case first: between replies, a short whole scalar ([`parser::scalar_in_word`])
/// and a table with its builder. It does what [`custom_item`] does, in fewer steps
/// (`pending` is already clear, the table's entry is read once); anything else goes the
/// general way.
#[inline(never)]
fn get_reply_custom(mut rd: Reader<'_>, out: Out<'_>) -> c_int {
    // A reply started by an earlier call (`ridx` 0: its root task keeps that call's
    // privdata) goes the general way too.
    // The root task must be blank (`Mirror::root_blank`), as a reply through this table
    // leaves it; the parser is then between replies too (the note is dropped whenever it
    // starts a reply: `parse`, `start_waiting`).
    if rd.r.ridx != -1 || !rd.st.mirror.root_blank() {
        return get_reply_custom_general(rd, out);
    }
    debug_assert!(rd.st.parser.is_idle());
    if rd.r.pos >= rd.r.len {
        return get_reply_custom_general(rd, out);
    }
    // (Taken after the test above, which tells the compiler that there are bytes.)
    let v = rd.view();
    // One copy of the rest per kind (bulk strings first: aggregates mostly hold those).
    // Three kinds, so that they are told apart by compares rather than a jump table: errors
    // go the general way.
    let Some(&c) = v.bytes.get(*v.pos) else {
        return get_reply_custom_general(rd, out);
    };
    let step = if c == b'$' {
        custom_scalar(v, Kind::String)
    } else if c == b'+' {
        custom_scalar(v, Kind::Status)
    } else if c == b':' {
        custom_scalar(v, Kind::Integer)
    } else {
        Step::General
    };
    // The view's last use is over: what may change the buffer runs here.
    match step {
        Step::Built(obj) => {
            // (`ridx` is still -1: the reply ends in this call.)
            rd.r.reply = ptr::null_mut();
            hand_out(rd.r, obj, out);
            if rd.r.pos >= TRIM_AT {
                trim(rd.r, rd.st);
            }
            REDIS_OK
        }
        Step::General => get_reply_custom_general(rd, out),
        Step::Failed => {
            set_oom(rd.r, rd.st);
            REDIS_ERR
        }
    }
}

/// How [`custom_scalar`] or [`custom_item`] ended.
enum Step {
    /// The reply was built (and the reader moved past it), to be handed out.
    Built(*mut c_void),
    /// Not the common case, or no room for the root task: the general way is to run.
    General,
    /// The builder returned NULL: the reader is to be put in its OOM state.
    Failed,
}

/// [`get_reply_custom`] for a `kind` item at `pos` (its type byte checked), with the
/// reader's `fn` and `privdata`.
#[inline(always)]
fn custom_scalar(v: View<'_>, kind: Kind) -> Step {
    let Some((item, next)) = parser::scalar_data_in_word(kind, v.bytes, *v.pos + 1) else {
        return Step::General;
    };
    let fns = tasks::entries(*v.fns);
    let privdata = *v.privdata;
    // The root task as hiredis passes it (see `custom_item`), with the privdata of now (the
    // reply starts in this call); room for it was checked by the caller. Between replies
    // the root task already holds the rest (see `Mirror::blank_root`).
    let Some(t) = v.mirror.slot(0) else {
        return Step::General;
    };
    debug_assert_eq!(
        {
            let t = &v.mirror.tasks[0];
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
    *v.pos = next;
    let obj = t
        .call(&fns, make, |t| {
            t.r#type = kind as c_int;
            t.privdata = privdata;
        })
        .unwrap_or(ptr::null_mut());
    if obj.is_null() {
        Step::Failed
    } else {
        Step::Built(obj)
    }
}

/// [`get_reply_custom`] for everything but its commonest case.
#[inline(never)]
fn get_reply_custom_general(mut rd: Reader<'_>, mut out: Out<'_>) -> c_int {
    if rd.r.len == 0 {
        return REDIS_OK;
    }
    if !custom_scalar_fast_path(rd.rb(), out.as_deref_mut()) && parse(rd.rb(), out) != REDIS_OK {
        return REDIS_ERR;
    }
    if rd.r.pos >= TRIM_AT {
        trim(rd.r, rd.st);
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
    sync_buf(r, st);
    if r.pos >= r.len {
        // All consumed: back to the block's start, empty, nothing moved.
        st.view = None;
        if let Some(block) = &mut st.block {
            block.clear();
        }
        r.buf = st.block.as_ref().map_or(ptr::null_mut(), Sds::as_ptr);
        r.len = 0;
        r.pos = 0;
        return;
    }
    // The handle of `buf`: a view (cut again, inside the same block), else the block itself,
    // whose pointer is kept for the view cut from it (see `Sds::cut_front`).
    let (cur, block) = match st.view.take() {
        Some(view) => (view, None),
        None => match st.block.take() {
            Some(block) => {
                let p = block.as_ptr();
                (block, Some(p))
            }
            None => {
                r.pos = 0;
                return;
            }
        },
    };
    match cur.cut_front(r.pos) {
        Ok(view) => {
            r.len = view.len();
            r.buf = view.as_ptr();
            st.view = Some(view);
            if let Some(p) = block {
                // SAFETY: `p` is the block just cut, a live sds the view lies in, given up
                // by its handle to `cut_front` and held by nothing else.
                st.block = unsafe { Sds::from_raw(p) };
            }
        }
        Err(mut buf) => {
            let _ = buf.range(r.pos.min(isize::MAX as usize) as isize, -1);
            r.len = buf.len();
            match block {
                Some(_) => st.block = Some(buf),
                None => st.view = Some(buf),
            }
        }
    }
    r.pos = 0;
}

/// The common case between replies, with the default table installed (the caller checked):
/// one whole status, error, integer or bulk reply at `pos`, built and handed out, or the start
/// of one, noted as the parser would (true). False leaves everything untouched for the parser (other shapes,
/// aggregates in progress, or a failed allocation, which the parser then meets and reports).
#[inline(always)]
fn scalar_fast_path(mut rd: Reader<'_>, reply: Out<'_>) -> bool {
    match rd.st.parser.top_level() {
        TopLevel::Idle => {}
        TopLevel::Waiting(kind) => return resume_scalar(rd, kind, reply),
        TopLevel::Busy => return false,
    }
    if rd.r.pos >= rd.r.len {
        // All read (hiredis keeps consumed bytes until 1 KiB piles up): as with the parser,
        // the next reply counts as started, its root task set up now.
        return rd.r.pos == rd.r.len && start_reply(rd.r, rd.st);
    }
    // (Taken after the test above, which tells the compiler that there are bytes.)
    let v = rd.view();
    let (obj, next) = match parser::scalar_at(v.bytes, *v.pos) {
        Some(Found::Whole(item, next)) => match default_scalar(item) {
            Some(obj) => (obj, next),
            None => return false,
        },
        Some(Found::Partial(kind)) => return start_waiting(rd.r, rd.st, kind),
        None => return false,
    };
    hand_out_scalar(rd.r, rd.st, obj, next, reply);
    true
}

/// [`scalar_fast_path`] for readers with a table of their own (or none): whole scalars are
/// built through it. False when nothing was done, or when a builder returned NULL and the
/// reader is in its error state: the parser then runs, or reports the error.
#[inline(always)]
fn custom_scalar_fast_path(mut rd: Reader<'_>, reply: Out<'_>) -> bool {
    let top = rd.st.parser.top_level();
    if top == TopLevel::Busy {
        return false;
    }
    if rd.r.pos >= rd.r.len {
        // As in `resume_scalar` and `scalar_fast_path`.
        return rd.r.pos == rd.r.len && (top != TopLevel::Idle || start_reply(rd.r, rd.st));
    }
    let (fns, ridx, privdata) = (rd.r.r#fn, rd.r.ridx, rd.r.privdata);
    // (Taken after the test above, which tells the compiler that there are bytes.)
    let v = rd.view();
    let found = match top {
        TopLevel::Busy => return false,
        TopLevel::Waiting(kind) => parser::scalar_data(kind, v.bytes, *v.pos),
        TopLevel::Idle => match parser::scalar_at(v.bytes, *v.pos) {
            Some(Found::Partial(kind)) => return start_waiting(rd.r, rd.st, kind),
            found => found,
        },
    };
    let step = match found {
        Some(Found::Whole(item, next)) => custom_item(v, fns, ridx, privdata, item, next),
        Some(Found::Partial(_)) => return true,
        None => return false,
    };
    // The view's last use is over: what may change the buffer runs here.
    match step {
        Step::Built(obj) => {
            rd.r.ridx = -1;
            rd.r.reply = ptr::null_mut();
            hand_out(rd.r, obj, reply);
            true
        }
        Step::General => false,
        Step::Failed => {
            set_oom(rd.r, rd.st);
            false
        }
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
fn resume_scalar(mut rd: Reader<'_>, kind: Kind, reply: Out<'_>) -> bool {
    if rd.r.pos >= rd.r.len {
        // Nothing new after the type byte: nothing changes. (Past the end only if C code
        // moved `pos`: the parser's clamping applies.)
        return rd.r.pos == rd.r.len;
    }
    // (The view is taken after the cheap test above, so that the fast path's caller passes
    // less.)
    let v = rd.view();
    let (obj, next) = match parser::scalar_data(kind, v.bytes, *v.pos) {
        Some(Found::Whole(item, next)) => match default_scalar(item) {
            Some(obj) => (obj, next),
            None => return false,
        },
        Some(Found::Partial(_)) => return true,
        None => return false,
    };
    hand_out_scalar(rd.r, rd.st, obj, next, reply);
    true
}

/// The reply for a whole top-level scalar, built with the default builders; `None` when
/// their entry for it was replaced or memory ran out (nothing changed).
#[inline(always)]
fn default_scalar(item: Scalar<'_>) -> Option<*mut c_void> {
    // (`redisReaderGetReply` found the default table installed.)
    if !reply::default_entry_kept(item.kind == Kind::Integer) {
        return None;
    }
    let obj = reply::scalar_reply(cache::local(), item);
    (!obj.is_null()).then_some(obj)
}

/// Hands out `obj`, the reply [`default_scalar`] built for the top-level scalar ending at
/// `next`.
#[inline(always)]
fn hand_out_scalar(
    r: &mut redisReader,
    st: &mut State,
    obj: *mut c_void,
    next: usize,
    reply: Out<'_>,
) {
    st.parser.done_waiting();
    r.pos = next;
    r.ridx = -1;
    r.reply = ptr::null_mut();
    hand_out(r, obj, reply);
}

/// Builds a whole top-level scalar ending at `next` through `fns` (a C table, or NULL: type
/// numbers as stand-in objects), the reader moved past it: [`Step::Built`]; [`Step::General`]
/// when the root task could not be made (nothing changed); [`Step::Failed`] when the builder
/// returned NULL (the caller then puts the reader in its OOM state, once the view is over).
/// Builders see the root task hiredis passes: the item's type, elements and idx -1, no object,
/// no parent, and the privdata of the reply's start (now, `privdata`, unless an earlier call
/// started it: `ridx` 0).
#[inline(always)]
fn custom_item(
    v: View<'_>,
    fns: *const redisReplyObjectFunctions,
    ridx: c_int,
    privdata: *mut c_void,
    item: Scalar<'_>,
    next: usize,
) -> Step {
    let fns = tasks::entries(fns);
    let builder = if item.kind == Kind::Integer {
        fns.createInteger.is_some()
    } else {
        fns.createString.is_some()
    };
    if !builder {
        v.parser.done_waiting();
        *v.pos = next;
        let ty = if item.kind == Kind::Integer {
            REDIS_REPLY_INTEGER
        } else {
            item.kind as c_int
        };
        return Step::Built(ty as usize as *mut c_void);
    }
    let m = v.mirror;
    if m.reserve(0).is_err() {
        return Step::General;
    }
    let privdata = if ridx < 0 {
        privdata
    } else {
        m.tasks[0].privdata
    };
    let Some(t) = m.slot(0) else {
        return Step::General;
    };
    m.set_root_blank();
    // The reader is past the item while its builder runs (fewer values are kept across
    // the call). Builders do not see `pos` move in step with hiredis's anyway: the
    // parser's calls run before it is stored.
    v.parser.done_waiting();
    *v.pos = next;
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
    match t.call(&fns, make, |t| *t = task) {
        Some(obj) if !obj.is_null() => Step::Built(obj),
        _ => Step::Failed,
    }
}

/// [`redisReaderGetReply`] through the parser. Out of line: the fast path's caller stays
/// small.
#[inline(never)]
fn parse(mut rd: Reader<'_>, reply: Out<'_>) -> c_int {
    if rd.r.err != 0 {
        // The fast path met an error (a builder returned NULL).
        return REDIS_ERR;
    }
    let (fns, privdata, maxelements) = (rd.r.r#fn, rd.r.privdata, rd.r.maxelements);
    if rd.r.ridx < 0 {
        // A new reply starts: its tasks carry the current privdata.
        if rd.st.mirror.start_reply(privdata).is_err() {
            set_oom(rd.r, rd.st);
            return REDIS_ERR;
        }
    }
    let mut pos = rd.r.pos.min(rd.r.len);
    let res = if reply::is_default(fns) {
        let v = rd.view();
        // The default builders keep only the tasks' `obj` and `privdata`: a C table used
        // later writes the rest again.
        v.mirror.synced = 0;
        let mut b = reply::DefaultBuilder {
            mirror: v.mirror,
            privdata,
            blocks: cache::local(),
        };
        v.parser.parse(v.bytes, &mut pos, maxelements, &mut b)
    } else {
        parse_custom(rd.rb(), &mut pos)
    };
    // The view's last use is over.
    let done = match res {
        Ok(done) => done,
        Err(e) => {
            let kind = if e == ReadError::Oom {
                REDIS_ERR_OOM
            } else {
                REDIS_ERR_PROTOCOL
            };
            set_error(rd.r, rd.st, kind, e.message().as_bytes());
            return REDIS_ERR;
        }
    };
    let (r, st) = (&mut *rd.r, &mut *rd.st);
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

/// The parser with a C table (or none), from `pos`. Out of line, so that `parse` holds only
/// the default builders' loop.
#[inline(never)]
fn parse_custom(mut rd: Reader<'_>, pos: &mut usize) -> Result<Option<*mut c_void>, ReadError> {
    let (fns, privdata, maxelements) = (rd.r.r#fn, rd.r.privdata, rd.r.maxelements);
    let v = rd.view();
    v.mirror.leave_root_blank();
    let mut b = CBuilder::new(fns, &mut *v.mirror, privdata);
    let res = v.parser.parse(v.bytes, pos, maxelements, &mut b);
    if let Ok(Some(_)) = res {
        v.mirror.blank_root();
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

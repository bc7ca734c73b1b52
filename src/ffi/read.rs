//! `read.h`: the RESP reader's public types and functions.

use crate::abi::read::{
    REDIS_ERR, REDIS_ERR_OOM, REDIS_ERR_PROTOCOL, REDIS_OK, REDIS_READER_MAX_ARRAY_ELEMENTS,
    REDIS_READER_MAX_BUF, REDIS_REPLY_BOOL, REDIS_REPLY_DOUBLE, REDIS_REPLY_INTEGER,
    REDIS_REPLY_NIL, redisReadTask, redisReader, redisReplyObjectFunctions,
};

use crate::alloc::{self, AllocError, HBox, HVec, cache};
use crate::ffi::reply;
use crate::reader::{self, At, Builder, Found, Kind, Parser, ReadError, Scalar, TopLevel};
use crate::sds;
use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::ptr;

/// Reader state C never sees, boxed behind `redisReader.task` (the 216-byte struct has no
/// other room; hiredis keeps its own task stack there).
struct State {
    parser: Parser<*mut c_void>,
    mirror: Mirror,
    /// When `buf` is a view made by `trim` (consumed bytes cut without moving the rest), the
    /// sds that owns the allocation, else NULL; `view` is that `buf`.
    block: sds::Sds,
    view: sds::Sds,
}

/// The `redisReadTask` chain shown to C builders, rebuilt from the parser's frames.
///
/// As in hiredis, a level's `privdata` is `reader->privdata` as it was when that level was
/// opened (the root: when the reply started); it is kept in the slots and never resynced.
pub(crate) struct Mirror {
    tasks: HVec<redisReadTask>,
    /// `tasks[..synced]` match the parser's open aggregates.
    synced: usize,
}

impl Mirror {
    /// Makes room for a task at `depth` and a child level below it. Growing may move the
    /// tasks, so afterwards every parent pointer is rewritten. Fails only when the hooks do.
    #[inline]
    pub(crate) fn reserve(&mut self, depth: usize) -> Result<(), AllocError> {
        if self.tasks.len() < depth + 2 {
            self.grow(depth + 2)?;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) -> Result<(), AllocError> {
        // Doubling, so that deep replies resize (and relink) rarely.
        let want = n.max(self.tasks.len() * 2).max(4);
        self.tasks.try_resize(want, BLANK_TASK)?;
        self.synced = 0;
        Ok(())
    }

    /// Notes an aggregate at `depth` that opens a level: hiredis keeps its object in the
    /// level's task (later siblings still see it there) and starts the child level with no
    /// object and the current privdata. The caller reserved the level
    /// ([`Mirror::reserve`]) before making `obj`; without room nothing is noted.
    #[inline]
    pub(crate) fn opened(&mut self, depth: usize, obj: *mut c_void, privdata: *mut c_void) {
        if let Some([t, child, ..]) = self.tasks.get_mut(depth..) {
            t.obj = obj;
            child.obj = ptr::null_mut();
            child.privdata = privdata;
        }
    }

    /// A reply starts: the root task carries the current privdata.
    fn start_reply(&mut self, privdata: *mut c_void) -> Result<(), AllocError> {
        self.reserve(0)?;
        self.tasks[0].obj = ptr::null_mut();
        self.tasks[0].privdata = privdata;
        Ok(())
    }
}

const BLANK_TASK: redisReadTask = redisReadTask {
    r#type: -1,
    elements: -1,
    idx: -1,
    obj: ptr::null_mut(),
    parent: ptr::null_mut(),
    privdata: ptr::null_mut(),
};

/// The private state of a reader from this library.
///
/// # Safety
/// `r` was made by `redisReaderCreateWithFunctions` and its state is not borrowed elsewhere.
unsafe fn state<'a>(r: &redisReader) -> Option<&'a mut State> {
    // SAFETY: `task` holds the `HBox<State>` pointer installed at creation.
    unsafe { (r.task as *mut State).as_mut() }
}

/// Calls `fn->freeObject` on `obj` when the table and the entry exist, as hiredis does
/// (the sync and async layers free replies this way: `free_object(reader.fn, reply)`).
pub(crate) fn free_object(f: *const redisReplyObjectFunctions, obj: *mut c_void) {
    // SAFETY: `fn` is NULL or a valid table (a documented requirement of the field).
    if let Some(free) = unsafe { f.as_ref() }.and_then(|t| t.freeObject) {
        // SAFETY: `obj` came from this table's builders.
        unsafe { free(obj) }
    }
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
    unsafe { sds::free(owner) };
    st.block = ptr::null_mut();
    r.buf = ptr::null_mut();
}

/// The sds owning `buf`'s allocation: the block behind a view, else `buf` itself. A block
/// whose view C code replaced in `buf` is freed (it cannot be reached otherwise).
fn own_buf(r: &redisReader, st: &mut State) -> sds::Sds {
    if st.block.is_null() {
        return r.buf;
    }
    if r.buf == st.view {
        return st.block;
    }
    // SAFETY: the block is ours and nothing points into it any more.
    unsafe { sds::free(st.block) };
    st.block = ptr::null_mut();
    r.buf
}

fn set_oom(r: &mut redisReader, st: &mut State) {
    set_error(r, st, REDIS_ERR_OOM, b"Out of memory");
}

/// Builds through a C function table; a NULL table or entry yields the type number as a
/// stand-in object, as in hiredis.
struct CBuilder<'a> {
    /// `createString` and `createInteger` of the table, the common ones.
    create_string: CreateString,
    create_integer: CreateInteger,
    /// The table (a valid one: [`NO_FUNCTIONS`] for NULL), for its other entries.
    fns: *const redisReplyObjectFunctions,
    m: &'a mut Mirror,
    /// `reader->privdata` now, for levels opened during this call.
    privdata: *mut c_void,
}

fn non_null(p: *mut c_void) -> Option<*mut c_void> {
    (!p.is_null()).then_some(p)
}

type CreateString =
    Option<unsafe extern "C" fn(*const redisReadTask, *mut c_char, usize) -> *mut c_void>;
type CreateInteger = Option<unsafe extern "C" fn(*const redisReadTask, c_longlong) -> *mut c_void>;

impl CBuilder<'_> {
    /// The table's entries now.
    #[inline(always)]
    fn fns(&self) -> redisReplyObjectFunctions {
        // SAFETY: a valid table (see the field); copied, no reference kept.
        unsafe { ptr::read(self.fns) }
    }

    /// No builder for this item: hiredis uses the type number as the object. No task is
    /// written, so the slot at this depth no longer matches the parser.
    #[inline]
    fn stand_in(&mut self, at: At<'_, *mut c_void>, ty: c_int) -> Option<*mut c_void> {
        self.m.synced = self.m.synced.min(at.depth());
        Some(ty as usize as *mut c_void)
    }

    /// The task for the item at `at`: type, elements, idx and parent written as hiredis has
    /// them when it calls a builder; `obj` and `privdata` are the level's (see
    /// [`Mirror::opened`]). The ancestors' tasks are written only when they are out of step
    /// (after a table switch or a move of the tasks). `None` when the task stack cannot grow.
    #[inline(always)]
    fn task(&mut self, at: At<'_, *mut c_void>, kind: Kind) -> Option<*mut redisReadTask> {
        let d = at.depth();
        // Level `d` was reserved when its parent opened (the root at the reply's start), so
        // this only guards against a broken promise.
        self.m.reserve(d).ok()?;
        if self.m.synced < d {
            self.m.sync(at.frames());
        }
        let base = self.m.tasks.as_mut_ptr();
        // SAFETY: d < tasks.len() (reserved above); `base` is the vector's live buffer, and
        // nothing else borrows the tasks now.
        let t = unsafe { &mut *base.add(d) };
        t.r#type = kind as c_int;
        t.elements = -1;
        // `obj` is left alone: hiredis reuses a level's task for siblings, so it still holds
        // the last opened sibling aggregate (cleared when the level was opened).
        match at.frames().last() {
            None => {
                t.idx = -1;
                t.parent = ptr::null_mut();
            }
            Some(f) => {
                t.idx = f.next as c_int;
                t.parent = base.wrapping_add(d - 1);
            }
        }
        Some(t)
    }
}

impl Mirror {
    /// Writes the tasks of the open aggregates `frames` (root first) from `synced` on.
    #[cold]
    #[inline(never)]
    fn sync(&mut self, frames: &[reader::Frame<*mut c_void>]) {
        let base = self.tasks.as_mut_ptr();
        for (k, f) in frames.iter().enumerate().skip(self.synced) {
            if k + 1 >= self.tasks.len() {
                // Cannot happen (every open level reserved its child's slot); not written.
                break;
            }
            // SAFETY: k < tasks.len(); `base` is the vector's live buffer.
            let t = unsafe { &mut *base.add(k) };
            t.r#type = f.kind as c_int;
            t.elements = f.elements as c_longlong;
            t.obj = f.obj;
            if k == 0 {
                t.idx = -1;
                t.parent = ptr::null_mut();
            } else {
                t.idx = frames[k - 1].next as c_int;
                t.parent = base.wrapping_add(k - 1);
            }
            self.synced = k + 1;
        }
    }
}

impl Builder for CBuilder<'_> {
    type Obj = *mut c_void;
    /// The task of the run's level.
    type Run = *mut redisReadTask;

    const SCALAR_RUNS: bool = true;

    /// The level's task, linked to its parent, with the ancestors' tasks in step.
    #[inline(always)]
    fn run_start(&mut self, at: At<'_, *mut c_void>) -> Option<*mut redisReadTask> {
        let d = at.depth();
        if d == 0 {
            return None;
        }
        self.m.reserve(d).ok()?;
        if self.m.synced < d {
            self.m.sync(at.frames());
        }
        let base = self.m.tasks.as_mut_ptr();
        // SAFETY: 1 <= d < tasks.len() (reserved above); nothing else borrows the tasks.
        let t = unsafe { &mut *base.add(d) };
        t.parent = base.wrapping_add(d - 1);
        t.elements = -1;
        Some(t)
    }

    /// As [`CBuilder::integer`] or [`CBuilder::string`] would: the task gets the item's type
    /// and idx (its elements, -1, were set for the run: builders get it read-only).
    #[inline(always)]
    fn run_item(
        &mut self,
        t: *mut redisReadTask,
        idx: usize,
        item: Scalar<'_>,
    ) -> Option<*mut c_void> {
        // SAFETY: `t` is the run's task (`run_start`); no aggregate opens during a run, so
        // the tasks are not moved, and nothing else borrows them.
        unsafe {
            (*t).r#type = item.kind as c_int;
            (*t).idx = idx as c_int;
        }
        if item.kind == Kind::Integer {
            match self.create_integer {
                // SAFETY: a valid task.
                Some(f) => non_null(unsafe { f(t, item.int) }),
                None => Some(REDIS_REPLY_INTEGER as usize as *mut c_void),
            }
        } else {
            match self.create_string {
                Some(f) => {
                    let (s, n) = (item.text.as_ptr() as *mut c_char, item.text.len());
                    // SAFETY: a valid task and the text, valid for the call (builders must
                    // not write to it).
                    non_null(unsafe { f(t, s, n) })
                }
                None => Some(item.kind as c_int as usize as *mut c_void),
            }
        }
    }

    #[inline(always)]
    fn string(&mut self, at: At<'_, *mut c_void>, kind: Kind, s: &[u8]) -> Option<*mut c_void> {
        let Some(f) = self.create_string else {
            return self.stand_in(at, kind as c_int);
        };
        let t = self.task(at, kind)?;
        // SAFETY: a valid task and `s`, valid for the call (builders must not write to it).
        non_null(unsafe { f(t, s.as_ptr() as *mut c_char, s.len()) })
    }

    #[inline(always)]
    fn array(&mut self, at: At<'_, *mut c_void>, kind: Kind, n: usize) -> Option<*mut c_void> {
        let d = at.depth();
        if n > 0 {
            // Room for the level before the object exists (see DefaultBuilder::array).
            self.m.reserve(d).ok()?;
        }
        let obj = match self.fns().createArray {
            None => self.stand_in(at, kind as c_int)?,
            Some(f) => {
                let t = self.task(at, kind)?;
                // SAFETY: a valid task.
                let obj = non_null(unsafe { f(t, n) })?;
                if n > 0 {
                    // This aggregate's task becomes the parent of the next items, whose
                    // level starts linked to it (their idx and type are written per item).
                    // SAFETY: `t` and `t + 1` point into the mirror (reserved above), which
                    // nothing else borrows now.
                    unsafe {
                        (*t).elements = n as c_longlong;
                        (*t.add(1)).parent = t;
                    }
                    self.m.synced = d + 1;
                }
                obj
            }
        };
        if n > 0 {
            self.m.opened(d, obj, self.privdata);
        }
        Some(obj)
    }

    #[inline(always)]
    fn integer(&mut self, at: At<'_, *mut c_void>, v: i64) -> Option<*mut c_void> {
        let Some(f) = self.create_integer else {
            return self.stand_in(at, REDIS_REPLY_INTEGER);
        };
        let t = self.task(at, Kind::Integer)?;
        // SAFETY: a valid task.
        non_null(unsafe { f(t, v) })
    }

    fn double(&mut self, at: At<'_, *mut c_void>, v: f64, text: &[u8]) -> Option<*mut c_void> {
        let Some(f) = self.fns().createDouble else {
            return self.stand_in(at, REDIS_REPLY_DOUBLE);
        };
        let t = self.task(at, Kind::Double)?;
        // Builders get a NUL-terminated copy (the parser keeps doubles under 326 bytes).
        let mut copy = [0u8; 327];
        let n = text.len().min(326);
        copy[..n].copy_from_slice(&text[..n]);
        // SAFETY: a valid task and a terminated temporary valid for the call.
        non_null(unsafe { f(t, v, copy.as_mut_ptr() as *mut c_char, n) })
    }

    #[inline(always)]
    fn nil(&mut self, at: At<'_, *mut c_void>, kind: Kind) -> Option<*mut c_void> {
        let Some(f) = self.fns().createNil else {
            return self.stand_in(at, REDIS_REPLY_NIL);
        };
        let t = self.task(at, kind)?;
        // SAFETY: a valid task.
        non_null(unsafe { f(t) })
    }

    #[inline(always)]
    fn boolean(&mut self, at: At<'_, *mut c_void>, v: bool) -> Option<*mut c_void> {
        let Some(f) = self.fns().createBool else {
            return self.stand_in(at, REDIS_REPLY_BOOL);
        };
        let t = self.task(at, Kind::Bool)?;
        // SAFETY: a valid task.
        non_null(unsafe { f(t, v as c_int) })
    }
}

/// A reader that builds objects with `fn` (NULL: type numbers as stand-in objects).
/// NULL when out of memory.
///
/// # Safety
/// `fn` is NULL or a function table that stays valid while the reader uses it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderCreateWithFunctions(
    r#fn: *mut redisReplyObjectFunctions,
) -> *mut redisReader {
    let r = alloc::calloc_one::<redisReader>();
    if r.is_null() {
        return r;
    }
    let buf = sds::empty();
    if buf.is_null() {
        // SAFETY: `r` is our fresh block.
        unsafe { alloc::free(r.cast()) };
        return ptr::null_mut();
    }
    let st = State {
        parser: Parser::default(),
        mirror: Mirror {
            tasks: HVec::new(),
            synced: 0,
        },
        block: ptr::null_mut(),
        view: ptr::null_mut(),
    };
    let Ok(st) = HBox::try_new(st) else {
        // SAFETY: `buf` and `r` are our fresh blocks.
        unsafe {
            sds::free(buf);
            alloc::free(r.cast());
        }
        return ptr::null_mut();
    };
    // SAFETY: `r` is a fresh zeroed reader owned here.
    let rr = unsafe { &mut *r };
    rr.buf = buf;
    rr.r#fn = r#fn;
    rr.maxbuf = REDIS_READER_MAX_BUF;
    rr.maxelements = REDIS_READER_MAX_ARRAY_ELEMENTS;
    rr.task = HBox::into_raw(st) as *mut *mut redisReadTask;
    rr.ridx = -1;
    r
}

/// Frees the reader, the reply in progress (through `fn->freeObject`) and the buffer.
///
/// # Safety
/// `r` is NULL or a library reader, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderFree(r: *mut redisReader) {
    // SAFETY: the caller promises a library reader or NULL.
    let Some(rr) = (unsafe { r.as_mut() }) else {
        return;
    };
    if !rr.task.is_null() {
        // SAFETY: `task` holds the HBox made at creation; it is released exactly once here.
        let mut st = unsafe { HBox::from_raw(rr.task as *mut State) };
        if let Some(root) = st.parser.reset() {
            free_object(rr.r#fn, root);
        }
        release_buf(rr, &mut st);
    }
    // SAFETY: `buf` is NULL (released above) or the reader's sds; `r` came from the hooks.
    unsafe {
        sds::free(rr.buf);
        alloc::free(r.cast());
    }
}

/// Appends `len` bytes at `buf` to the reader's buffer.
///
/// # Safety
/// `r` is a library reader (NULL returns REDIS_ERR where hiredis would crash) and
/// `(buf, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderFeed(
    r: *mut redisReader,
    buf: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: the caller promises a library reader or NULL.
    let Some(r) = (unsafe { r.as_mut() }) else {
        return REDIS_ERR;
    };
    // SAFETY: a library reader's state.
    let Some(st) = (unsafe { state(r) }) else {
        return REDIS_ERR;
    };
    if r.err != 0 {
        return REDIS_ERR;
    }
    if buf.is_null() || len == 0 {
        return REDIS_OK;
    }
    // SAFETY: the caller promises `len` readable bytes at `buf`.
    let data = unsafe { core::slice::from_raw_parts(buf as *const u8, len) };
    // The common case: the bytes fit the spare room (of a view too, see `trim`), and the
    // buffer is not empty (maxbuf applies only then).
    if r.len != 0 && (st.block.is_null() || r.buf == st.view) {
        // SAFETY: outside the error state `buf` is the reader's live sds (or view).
        if let Some(n) = unsafe { sds::cat_in_place(r.buf, data) } {
            r.len = n;
            return REDIS_OK;
        }
    }
    feed_slow(r, st, data)
}

/// [`redisReaderFeed`] when the buffer must grow, is empty, or is a view that ran out of room.
#[inline(never)]
fn feed_slow(r: &mut redisReader, st: &mut State, data: &[u8]) -> c_int {
    // SAFETY: outside the error state `buf` is the reader's live sds.
    unsafe {
        // A view's bytes move to the start of their block, which then grows as hiredis's
        // buffer would (same length, same capacity).
        let owner = own_buf(r, st);
        if owner != r.buf {
            r.buf = sds::uncut(owner, r.buf);
            st.block = ptr::null_mut();
        }
        // An empty buffer with lots of spare room is dropped for a fresh one. Consumed bytes
        // are not cut here: like hiredis, `redisReaderGetReply` cuts them (see `trim`).
        if r.len == 0 && r.maxbuf != 0 && sds::avail(r.buf) > r.maxbuf {
            sds::free(r.buf);
            r.buf = sds::empty();
            r.pos = 0;
            if r.buf.is_null() {
                set_oom(r, st);
                return REDIS_ERR;
            }
        }
        let grown = sds::cat_len(r.buf, data);
        if grown.is_null() {
            set_oom(r, st);
            return REDIS_ERR;
        }
        r.buf = grown;
        r.len = sds::len(grown);
    }
    REDIS_OK
}

/// Parses buffered bytes. `*reply` receives a complete reply or NULL (more data needed);
/// with a NULL `reply` a complete one is freed. REDIS_ERR once the reader is in error.
///
/// # Safety
/// `r` is a library reader (NULL returns REDIS_ERR) and `reply` a valid pointer or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderGetReply(
    r: *mut redisReader,
    reply: *mut *mut c_void,
) -> c_int {
    if !reply.is_null() {
        // SAFETY: the caller promises a writable pointer.
        unsafe { *reply = ptr::null_mut() };
    }
    // SAFETY: the caller promises a library reader or NULL.
    let Some(r) = (unsafe { r.as_mut() }) else {
        return REDIS_ERR;
    };
    if r.err != 0 || r.buf.is_null() {
        return REDIS_ERR;
    }
    if r.len == 0 {
        return REDIS_OK;
    }
    // Two paths out of line, so that this part needs no saved registers.
    if ptr::eq(r.r#fn, reply::default_functions()) {
        get_reply_default(r, reply)
    } else {
        get_reply_custom(r, reply)
    }
}

/// [`redisReaderGetReply`] with the default table installed, from the point where it has
/// bytes to look at.
#[inline(never)]
fn get_reply_default(r: &mut redisReader, reply: *mut *mut c_void) -> c_int {
    if !scalar_fast_path(r, reply) && parse(r, reply) != REDIS_OK {
        return REDIS_ERR;
    }
    if r.pos >= TRIM_AT {
        trim(r);
    }
    REDIS_OK
}

/// [`redisReaderGetReply`] for a reader with a table of its own (or none), from the point
/// where it has bytes to look at.
#[inline(never)]
fn get_reply_custom(r: &mut redisReader, reply: *mut *mut c_void) -> c_int {
    if !custom_scalar_fast_path(r, reply) && parse(r, reply) != REDIS_OK {
        return REDIS_ERR;
    }
    if r.pos >= TRIM_AT {
        trim(r);
    }
    REDIS_OK
}

/// Consumed bytes are cut from the buffer once at least this many have piled up, at the end
/// of a successful `redisReaderGetReply`, as in hiredis (the public `pos`, `len` and `buf`
/// contents follow its rule; Python's `hiredis` package, among others, reads them).
const TRIM_AT: usize = 1024;

/// hiredis's `sdsrange(buf, pos, -1)`, with `pos >= TRIM_AT`. hiredis moves the unread rest
/// to the front each time (quadratic for one huge feed); here `buf` becomes a view of the
/// rest inside the same block (`sds::cut_front`), with the same length and contents, and
/// the bytes move once, when a feed needs the block's room (README: differences).
#[cold]
#[inline(never)]
fn trim(r: &mut redisReader) {
    // SAFETY: a library reader's state.
    let Some(st) = (unsafe { state(r) }) else {
        return;
    };
    let owner = own_buf(r, st);
    // SAFETY: `buf` is the reader's live sds, a view into `owner` or `owner` itself (not in
    // the error state: the parse succeeded).
    unsafe {
        if r.pos >= r.len {
            // All consumed: back to the block's start, empty, nothing moved.
            sds::clear(owner);
            r.buf = owner;
            st.block = ptr::null_mut();
        } else if let Some(v) = sds::cut_front(owner, r.buf, r.pos) {
            r.buf = v;
            st.block = owner;
            st.view = v;
        } else {
            sds::range(r.buf, r.pos.min(isize::MAX as usize) as isize, -1);
        }
        r.len = sds::len(r.buf);
    }
    r.pos = 0;
}

/// The common case between replies, with the default table installed (the caller checked):
/// one whole status, error, integer or bulk reply at `pos`, built and handed out, or the start
/// of one, noted as the parser would (true). False leaves everything untouched for the parser (other shapes,
/// aggregates in progress, or a failed allocation, which the parser then meets and reports).
#[inline(always)]
fn scalar_fast_path(r: &mut redisReader, reply: *mut *mut c_void) -> bool {
    // SAFETY: a library reader's state.
    let Some(st) = (unsafe { state(r) }) else {
        return false;
    };
    match st.parser.top_level() {
        TopLevel::Idle => {}
        TopLevel::Waiting(kind) => return resume_scalar(r, st, kind, reply),
        TopLevel::Busy => return false,
    }
    // SAFETY: as in `parse`.
    let bytes = unsafe { core::slice::from_raw_parts(r.buf as *const u8, r.len) };
    match reader::scalar_at(bytes, r.pos) {
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
fn custom_scalar_fast_path(r: &mut redisReader, reply: *mut *mut c_void) -> bool {
    // SAFETY: a library reader's state.
    let Some(st) = (unsafe { state(r) }) else {
        return false;
    };
    let found = match st.parser.top_level() {
        TopLevel::Busy => return false,
        TopLevel::Waiting(kind) => {
            if r.pos >= r.len {
                // As in `resume_scalar`.
                return r.pos == r.len;
            }
            // SAFETY: as in `parse`.
            let bytes = unsafe { core::slice::from_raw_parts(r.buf as *const u8, r.len) };
            reader::scalar_data(kind, bytes, r.pos)
        }
        TopLevel::Idle => {
            // SAFETY: as in `parse`.
            let bytes = unsafe { core::slice::from_raw_parts(r.buf as *const u8, r.len) };
            match reader::scalar_at(bytes, r.pos) {
                Some(Found::Partial(kind)) => return start_waiting(r, st, kind),
                None if r.pos == r.len => return start_reply(r, st),
                found => found,
            }
        }
    };
    match found {
        Some(Found::Whole(item, next)) => hand_out_custom_scalar(r, st, item, next, reply),
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
    r.pos += 1;
    true
}

/// The fast path for a top-level scalar whose type byte an earlier call read: once its
/// data is all here, it is built as [`scalar_fast_path`] builds whole ones; until then
/// nothing changes, as with the parser.
#[inline(never)]
fn resume_scalar(r: &mut redisReader, st: &mut State, kind: Kind, reply: *mut *mut c_void) -> bool {
    if r.pos >= r.len {
        // Nothing new after the type byte: nothing changes. (Past the end only if C code
        // moved `pos`: the parser's clamping applies.)
        return r.pos == r.len;
    }
    // SAFETY: as in `parse`.
    let bytes = unsafe { core::slice::from_raw_parts(r.buf as *const u8, r.len) };
    match reader::scalar_data(kind, bytes, r.pos) {
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
    reply: *mut *mut c_void,
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
/// numbers as stand-in objects) and hands it out; false when the builder returned NULL (the
/// reader is then in its error state) or the root task could not be made (nothing changed).
/// Builders see the root task hiredis passes: the item's type, elements and idx -1, no object,
/// no parent, and the privdata of the reply's start (now, unless an earlier call started it).
#[inline(always)]
fn hand_out_custom_scalar(
    r: &mut redisReader,
    st: &mut State,
    item: Scalar<'_>,
    next: usize,
    reply: *mut *mut c_void,
) -> bool {
    // SAFETY: `fn` is NULL or a valid table.
    let fns = unsafe { r.r#fn.as_ref() };
    let (integer, string) = fns.map_or((None, None), |f| (f.createInteger, f.createString));
    let builder = if item.kind == Kind::Integer {
        integer.is_some()
    } else {
        string.is_some()
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
            return false;
        }
        let privdata = if r.ridx < 0 {
            r.privdata
        } else {
            m.tasks[0].privdata
        };
        let t = &mut m.tasks[0];
        *t = redisReadTask {
            r#type: item.kind as c_int,
            elements: -1,
            idx: -1,
            obj: ptr::null_mut(),
            parent: ptr::null_mut(),
            privdata,
        };
        let t: *mut redisReadTask = t;
        // The reader is past the item while its builder runs (fewer values are kept across
        // the call). Builders do not see `pos` move in step with hiredis's anyway: the
        // parser's calls run before it is stored.
        st.parser.done_waiting();
        r.pos = next;
        let obj = match (integer, string) {
            // SAFETY: a valid task.
            (Some(f), _) if item.kind == Kind::Integer => unsafe { f(t, item.int) },
            // SAFETY: a valid task and the text, valid for the call (builders must not
            // write to it).
            (_, Some(f)) => unsafe { f(t, item.text.as_ptr() as *mut c_char, item.text.len()) },
            _ => ptr::null_mut(),
        };
        if obj.is_null() {
            // SAFETY: a library reader's state.
            if let Some(st) = unsafe { state(r) } {
                set_oom(r, st);
            }
            return false;
        }
        obj
    };
    r.ridx = -1;
    r.reply = ptr::null_mut();
    hand_out(r, obj, reply);
    true
}

/// [`redisReaderGetReply`] through the parser. Out of line: the fast path's caller stays
/// small.
#[inline(never)]
fn parse(r: &mut redisReader, reply: *mut *mut c_void) -> c_int {
    if r.err != 0 {
        // The fast path met an error (a builder returned NULL).
        return REDIS_ERR;
    }
    // SAFETY: a library reader's state.
    let Some(st) = (unsafe { state(r) }) else {
        return REDIS_ERR;
    };
    // SAFETY: `buf` is the reader's live sds and `len` its length (this file keeps the two
    // in step; C code that edits these public fields must too, as with hiredis). It is not
    // resized while `bytes` lives.
    let bytes = unsafe { core::slice::from_raw_parts(r.buf as *const u8, r.len) };
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
    // SAFETY: `fn` is NULL or a valid table.
    let fns = unsafe { r.r#fn.as_ref() }.unwrap_or(&NO_FUNCTIONS);
    let mut b = CBuilder {
        create_string: fns.createString,
        create_integer: fns.createInteger,
        fns,
        m: &mut st.mirror,
        privdata: r.privdata,
    };
    st.parser.parse(bytes, pos, r.maxelements, &mut b)
}

/// Gives a complete reply to the caller, or frees it when the caller passed no pointer.
#[inline(always)]
fn hand_out(r: &redisReader, obj: *mut c_void, reply: *mut *mut c_void) {
    if reply.is_null() {
        free_object(r.r#fn, obj);
    } else {
        // SAFETY: the caller's pointer, checked writable on entry to redisReaderGetReply.
        unsafe { *reply = obj };
    }
}

const NO_FUNCTIONS: redisReplyObjectFunctions = redisReplyObjectFunctions {
    createString: None,
    createArray: None,
    createInteger: None,
    createDouble: None,
    createNil: None,
    createBool: None,
    freeObject: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::hiredis::redisReply;
    use crate::abi::read::{REDIS_REPLY_ARRAY, REDIS_REPLY_MAP, REDIS_REPLY_STATUS};
    use crate::ffi::reply::{freeReplyObject, redisReaderCreate};
    use core::cell::RefCell;

    fn feed(r: *mut redisReader, b: &[u8]) -> c_int {
        // SAFETY: `r` is a live reader and `b` a valid buffer.
        unsafe { redisReaderFeed(r, b.as_ptr() as *const c_char, b.len()) }
    }

    fn get(r: *mut redisReader) -> (c_int, *mut c_void) {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: `r` is a live reader; `out` is writable.
        let rc = unsafe { redisReaderGetReply(r, &mut out) };
        (rc, out)
    }

    fn errstr(r: *mut redisReader) -> String {
        // SAFETY: `errstr` is always NUL-terminated.
        let s = unsafe { core::ffi::CStr::from_ptr((*r).errstr.as_ptr()) };
        s.to_string_lossy().into_owned()
    }

    #[test]
    fn null_arguments_fail_instead_of_crashing() {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: NULL readers are refused before any access.
        unsafe {
            assert_eq!(redisReaderGetReply(ptr::null_mut(), &mut out), REDIS_ERR);
            assert!(out.is_null());
            assert_eq!(
                redisReaderFeed(ptr::null_mut(), c"x".as_ptr(), 1),
                REDIS_ERR
            );
            redisReaderFree(ptr::null_mut());
        }
    }

    #[test]
    fn reply_buffer_and_error_state() {
        let r = redisReaderCreate();
        assert!(!r.is_null());
        assert_eq!(feed(r, b"*2\r\n+a\r\n:7\r\n+b"), REDIS_OK);
        let (rc, rep) = get(r);
        assert_eq!(rc, REDIS_OK);
        // SAFETY: a reply from the default builders; the reader fields are plain data.
        unsafe {
            let rep = &*(rep as *const redisReply);
            assert_eq!((rep.r#type, rep.elements), (REDIS_REPLY_ARRAY, 2));
            assert_eq!((**rep.element.add(1)).integer, 7);
            freeReplyObject(rep as *const redisReply as *mut c_void);
            assert_eq!(((*r).pos, (*r).len, sds::len((*r).buf)), (12, 14, 14));
        }
        assert_eq!(get(r), (REDIS_OK, ptr::null_mut()));
        // SAFETY: plain field reads.
        unsafe { assert_eq!(((*r).pos, (*r).ridx), (13, 0)) };
        assert_eq!(feed(r, b"\r\n~1\r\n!"), REDIS_OK);
        let (_, rep) = get(r);
        // SAFETY: a reply from the default builders.
        unsafe { freeReplyObject(rep) };
        assert_eq!(get(r), (REDIS_ERR, ptr::null_mut()));
        assert_eq!(errstr(r), "Protocol error, got \"!\" as reply type byte");
        // SAFETY: plain field reads.
        unsafe {
            assert_eq!((*r).err, REDIS_ERR_PROTOCOL);
            assert!((*r).buf.is_null() && (*r).reply.is_null());
            assert_eq!(((*r).pos, (*r).len, (*r).ridx), (0, 0, -1));
        }
        assert_eq!(feed(r, b"+x\r\n"), REDIS_ERR);
        assert_eq!(get(r), (REDIS_ERR, ptr::null_mut()));
        // SAFETY: a live reader.
        unsafe { redisReaderFree(r) };
    }

    #[test]
    fn huge_aggregate_is_oom() {
        let r = redisReaderCreate();
        // SAFETY: a live reader.
        unsafe { (*r).maxelements = 0 };
        let count = format!("*{}\r\n", usize::MAX / 8 + 3);
        feed(r, count.as_bytes());
        assert_eq!(get(r), (REDIS_ERR, ptr::null_mut()));
        assert_eq!(errstr(r), "Out of memory");
        // SAFETY: plain field read, then free.
        unsafe {
            assert_eq!((*r).err, REDIS_ERR_OOM);
            redisReaderFree(r);
        }
    }

    thread_local! {
        static SEEN: RefCell<Vec<(c_int, c_int, c_longlong, c_int)>> = const { RefCell::new(Vec::new()) };
    }

    /// Records (type, idx, parent elements or -9, parent type or -9) and returns a fake object.
    unsafe extern "C" fn rec_array(t: *const redisReadTask, n: usize) -> *mut c_void {
        // SAFETY: the reader passes a valid task chain.
        let t = unsafe { &*t };
        // SAFETY: as above.
        let p = unsafe { t.parent.as_ref() };
        SEEN.with(|s| {
            s.borrow_mut().push((
                t.r#type,
                t.idx,
                p.map_or(-9, |p| p.elements),
                p.map_or(-9, |p| p.r#type),
            ))
        });
        (100 + n) as *mut c_void
    }

    unsafe extern "C" fn rec_int(t: *const redisReadTask, v: c_longlong) -> *mut c_void {
        // SAFETY: the reader passes a valid task chain.
        let t = unsafe { &*t };
        // SAFETY: as above.
        let p = unsafe { &*t.parent };
        assert_eq!(
            p.obj as usize, 102,
            "parent object is what createArray returned"
        );
        SEEN.with(|s| {
            s.borrow_mut()
                .push((t.r#type, t.idx, p.elements, v as c_int))
        });
        200 as *mut c_void
    }

    #[test]
    fn c_builders_see_hiredis_tasks() {
        let mut fns = NO_FUNCTIONS;
        fns.createArray = Some(rec_array);
        fns.createInteger = Some(rec_int);
        // SAFETY: `fns` outlives the reader.
        let r = unsafe { redisReaderCreateWithFunctions(&mut fns) };
        for b in b"%1\r\n:5\r\n:6\r\n" {
            feed(r, &[*b]);
            let (rc, rep) = get(r);
            assert_eq!(rc, REDIS_OK);
            if !rep.is_null() {
                assert_eq!(rep as usize, 102);
            }
        }
        let seen = SEEN.with(|s| s.borrow().clone());
        assert_eq!(
            seen,
            [
                (REDIS_REPLY_MAP, -1, -9, -9),
                (REDIS_REPLY_INTEGER, 0, 2, 5),
                (REDIS_REPLY_INTEGER, 1, 2, 6)
            ]
        );
        // Unknown entries give the type number as object.
        feed(r, b"+OK\r\n");
        assert_eq!(
            get(r),
            (REDIS_OK, REDIS_REPLY_STATUS as usize as *mut c_void)
        );
        // SAFETY: a live reader.
        unsafe { redisReaderFree(r) };
    }

    #[test]
    fn maxbuf_reclaims_idle_buffer() {
        let r = redisReaderCreate();
        let mut big = b"$40000\r\n".to_vec();
        big.resize(big.len() + 40000, b'x');
        big.extend_from_slice(b"\r\n");
        feed(r, &big);
        let (_, rep) = get(r);
        // SAFETY: a reply from the default builders; `buf` is the reader's sds.
        unsafe {
            freeReplyObject(rep);
            assert_eq!((*r).len, 0);
            assert!(sds::avail((*r).buf) > (*r).maxbuf);
            feed(r, b"+a\r\n");
            assert!(sds::avail((*r).buf) <= (*r).maxbuf);
            redisReaderFree(r);
        }
    }
}

//! Builders that call a C function table (`redisReader.fn`), and the `redisReadTask` chain
//! they are shown, kept in step with the parser's open aggregates as hiredis keeps its own.
//!
//! Every call into a C table goes through [`TaskPtr::call`] (the driver's fast paths too): a
//! task of the mirror, filled by a closure, then the entry for a [`Make`]. The tasks are
//! otherwise written through safe indexing; only the pointers C follows (a task and its
//! `parent` chain) are raw, taken from the mirror's buffer.

use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::ptr;

use super::parser::{At, Builder, Frame, Kind, Scalar};
use crate::abi::read::{
    REDIS_REPLY_BOOL, REDIS_REPLY_DOUBLE, REDIS_REPLY_INTEGER, REDIS_REPLY_NIL, redisReadTask,
    redisReplyObjectFunctions,
};
use crate::alloc::{AllocError, HVec};

/// The `redisReadTask` chain shown to C builders, rebuilt from the parser's frames.
///
/// As in hiredis, a level's `privdata` is `reader->privdata` as it was when that level was
/// opened (the root: when the reply started); it is kept in the slots and never resynced.
pub(crate) struct Mirror {
    pub(super) tasks: HVec<redisReadTask>,
    /// `tasks[..synced]` match the parser's open aggregates.
    pub(super) synced: usize,
}

impl Mirror {
    pub(super) const fn new() -> Self {
        Mirror {
            tasks: HVec::new(),
            synced: 0,
        }
    }

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

    /// A reply through a C table ends: the root task is left as a top-level scalar's task
    /// has it but for the type and privdata (elements and idx -1, no object, no parent), and
    /// noted so ([`Mirror::root_blank`]): between replies the custom table's fast path then
    /// writes only those two. The note lives in `synced` (a value it never takes otherwise),
    /// so that the default builders' parse, which sets `synced` to 0, clears it unawares.
    pub(super) fn blank_root(&mut self) {
        if let Some(t) = self.tasks.first_mut() {
            t.elements = -1;
            t.idx = -1;
            t.obj = ptr::null_mut();
            t.parent = ptr::null_mut();
            self.synced = ROOT_BLANK;
        }
    }

    /// The root task was written whole for a top-level scalar (see [`Mirror::blank_root`]).
    pub(super) fn set_root_blank(&mut self) {
        if !self.tasks.is_empty() {
            self.synced = ROOT_BLANK;
        }
    }

    /// Between replies: the root task exists and is blank (see [`Mirror::blank_root`]).
    #[inline(always)]
    pub(super) fn root_blank(&self) -> bool {
        self.synced == ROOT_BLANK
    }

    /// Before the parser runs with a C table, or starts a reply: the note is dropped (no
    /// levels in step).
    #[inline(always)]
    pub(super) fn leave_root_blank(&mut self) {
        if self.synced == ROOT_BLANK {
            self.synced = 0;
        }
    }

    /// A reply starts: the root task carries the current privdata.
    pub(super) fn start_reply(&mut self, privdata: *mut c_void) -> Result<(), AllocError> {
        self.reserve(0)?;
        self.tasks[0].obj = ptr::null_mut();
        self.tasks[0].privdata = privdata;
        Ok(())
    }
}

/// `synced` when the root task is blank between replies ([`Mirror::blank_root`]).
const ROOT_BLANK: usize = usize::MAX;

const BLANK_TASK: redisReadTask = redisReadTask {
    r#type: -1,
    elements: -1,
    idx: -1,
    obj: ptr::null_mut(),
    parent: ptr::null_mut(),
    privdata: ptr::null_mut(),
};

/// The entries of the table at `f` now: a copy, so no reference to memory that C code may
/// change is kept (a NULL table: [`NO_FUNCTIONS`]).
#[inline(always)]
pub(crate) fn entries(f: *const redisReplyObjectFunctions) -> redisReplyObjectFunctions {
    if f.is_null() {
        return NO_FUNCTIONS;
    }
    // SAFETY: a reader's `fn` is NULL or a valid table (a documented requirement of the
    // field, restated by `Reader::from_raw`); it is read once and not kept.
    unsafe { ptr::read(f) }
}

/// Calls `fn->freeObject` on `obj` when the table and the entry exist, as hiredis does
/// (the sync and async layers free replies this way: `free_object(reader.fn, reply)`).
pub(crate) fn free_object(f: *const redisReplyObjectFunctions, obj: *mut c_void) {
    if let Some(free) = entries(f).freeObject {
        // SAFETY: `obj` came from this table's builders (the callers' contract).
        unsafe { free(obj) }
    }
}

/// A task of the [`Mirror`], as the pointer C builders get: its `parent` chain leads to the
/// tasks before it in the same buffer.
///
/// Made only by the mirror ([`Mirror::slot`]), for a slot it holds; valid until the mirror
/// next grows ([`Mirror::reserve`]). Its users call builders with it before anything
/// reserves again: within the parser's call that made it, or, for a run's task, while the
/// run lasts (no aggregate opens during a run, and only opening one grows the mirror).
#[derive(Clone, Copy)]
pub(crate) struct TaskPtr(*mut redisReadTask);

/// What a builder is called for: the entry of the table, and its arguments besides the task.
pub(crate) enum Make<'s> {
    /// `createString`: the text (builders must not write to it).
    String(&'s [u8]),
    Array(usize),
    Integer(c_longlong),
    /// `createDouble`: the value, and its text with a NUL as the last byte.
    Double(f64, &'s [u8]),
    Nil,
    Bool(bool),
}

impl TaskPtr {
    /// The pointer C sees.
    #[inline(always)]
    pub(crate) fn as_ptr(self) -> *mut redisReadTask {
        self.0
    }

    /// The one place that calls a C table's builders: `prep` fills the task, then the
    /// entry of `fns` for `make` is called with it. The builder's object (NULL when it
    /// failed), or `None` when the table has no such entry.
    #[inline(always)]
    pub(crate) fn call(
        self,
        fns: &redisReplyObjectFunctions,
        make: Make<'_>,
        prep: impl FnOnce(&mut redisReadTask),
    ) -> Option<*mut c_void> {
        let t = self.0;
        // SAFETY: `t` is a task of the mirror's live buffer (see the type); the `&mut` given
        // to `prep` ends before C sees `t`. Each entry gets the arguments of its C signature:
        // text valid for the call (builders only read it), a double's NUL-terminated.
        unsafe {
            prep(&mut *t);
            match make {
                Make::String(s) => fns
                    .createString
                    .map(|f| f(t, s.as_ptr() as *mut c_char, s.len())),
                Make::Array(n) => fns.createArray.map(|f| f(t, n)),
                Make::Integer(v) => fns.createInteger.map(|f| f(t, v)),
                Make::Double(v, text) => fns
                    .createDouble
                    .map(|f| f(t, v, text.as_ptr() as *mut c_char, text.len() - 1)),
                Make::Nil => fns.createNil.map(|f| f(t)),
                Make::Bool(v) => fns.createBool.map(|f| f(t, v as c_int)),
            }
        }
    }
}

/// Builds through a C function table; a NULL table or entry yields the type number as a
/// stand-in object, as in hiredis.
pub(super) struct CBuilder<'a> {
    /// `createString` and `createInteger` of the table when the parse began (the common
    /// ones, taken from here); no other entries.
    hot: redisReplyObjectFunctions,
    /// The table (NULL: none), read again for its other entries.
    fns: *const redisReplyObjectFunctions,
    m: &'a mut Mirror,
    /// `reader->privdata` now, for levels opened during this call.
    privdata: *mut c_void,
}

fn non_null(p: *mut c_void) -> Option<*mut c_void> {
    (!p.is_null()).then_some(p)
}

impl<'a> CBuilder<'a> {
    pub(super) fn new(
        fns: *const redisReplyObjectFunctions,
        m: &'a mut Mirror,
        privdata: *mut c_void,
    ) -> Self {
        let t = entries(fns);
        CBuilder {
            hot: redisReplyObjectFunctions {
                createString: t.createString,
                createInteger: t.createInteger,
                ..NO_FUNCTIONS
            },
            fns,
            m,
            privdata,
        }
    }

    /// No builder for this item: hiredis uses the type number as the object. No task is
    /// written, so the slot at this depth no longer matches the parser.
    #[inline]
    fn stand_in(&mut self, at: At<'_, *mut c_void>, ty: c_int) -> Option<*mut c_void> {
        self.m.synced = self.m.synced.min(at.depth());
        Some(ty as usize as *mut c_void)
    }

    /// The task at `at`'s depth, reserved and with the ancestors' tasks in step. `None`
    /// when the task stack cannot grow.
    #[inline(always)]
    fn level(&mut self, at: At<'_, *mut c_void>) -> Option<TaskPtr> {
        let d = at.depth();
        // Level `d` was reserved when its parent opened (the root at the reply's start), so
        // this only guards against a broken promise.
        self.m.reserve(d).ok()?;
        if self.m.synced < d {
            self.m.sync(at.frames());
        }
        self.m.slot(d)
    }

    /// Calls the builder for the item at `at` (outside a run) with its task written as
    /// hiredis has it: type, elements, idx and parent; `obj` and `privdata` are the level's
    /// (see [`Mirror::opened`]). The ancestors' tasks are written only when they are out of
    /// step (after a table switch or a move of the tasks). `None` when the task stack cannot
    /// grow or the builder returned NULL; the caller checked that the entry exists.
    #[inline(always)]
    fn make(
        &mut self,
        at: At<'_, *mut c_void>,
        kind: Kind,
        fns: &redisReplyObjectFunctions,
        make: Make<'_>,
    ) -> Option<(TaskPtr, *mut c_void)> {
        let t = self.level(at)?;
        // Not the root: the parent is the task before this one.
        let (idx, parent) = match at.frames().last() {
            None => (-1, ptr::null_mut()),
            Some(f) => (f.next as c_int, t.as_ptr().wrapping_sub(1)),
        };
        let obj = t.call(fns, make, |t| {
            t.r#type = kind as c_int;
            t.elements = -1;
            // `obj` is left alone: hiredis reuses a level's task for siblings, so it still
            // holds the last opened sibling aggregate (cleared when the level was opened).
            t.idx = idx;
            t.parent = parent;
        })?;
        Some((t, non_null(obj)?))
    }
}

impl Mirror {
    /// The task at `d`, if the mirror holds it.
    #[inline(always)]
    pub(super) fn slot(&mut self, d: usize) -> Option<TaskPtr> {
        (d < self.tasks.len()).then(|| TaskPtr(self.tasks.as_mut_ptr().wrapping_add(d)))
    }

    /// Writes the tasks of the open aggregates `frames` (root first) from `synced` on.
    #[cold]
    #[inline(never)]
    fn sync(&mut self, frames: &[Frame<*mut c_void>]) {
        // Parent links point into the buffer itself, as C follows them.
        let base = self.tasks.as_mut_ptr();
        for (k, f) in frames.iter().enumerate().skip(self.synced) {
            if k + 1 >= self.tasks.len() {
                // Cannot happen (every open level reserved its child's slot); not written.
                break;
            }
            let t = &mut self.tasks[k];
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
    type Run = TaskPtr;

    const SCALAR_RUNS: bool = true;

    /// The level's task, linked to its parent, with the ancestors' tasks in step.
    #[inline(always)]
    fn run_start(&mut self, at: At<'_, *mut c_void>) -> Option<TaskPtr> {
        let d = at.depth();
        if d == 0 {
            return None;
        }
        let t = self.level(at)?;
        let task = &mut self.m.tasks[d];
        task.parent = t.as_ptr().wrapping_sub(1);
        task.elements = -1;
        Some(t)
    }

    /// As [`CBuilder::integer`] or [`CBuilder::string`] would: the task gets the item's type
    /// and idx (its elements, -1, were set for the run: builders get it read-only).
    #[inline(always)]
    fn run_item(&mut self, t: TaskPtr, idx: usize, item: Scalar<'_>) -> Option<*mut c_void> {
        // `t` is the run's task (`run_start`): no aggregate opens during a run, so the tasks
        // have not moved.
        let (ty, idx) = (item.kind as c_int, idx as c_int);
        let prep = move |t: &mut redisReadTask| {
            t.r#type = ty;
            t.idx = idx;
        };
        if item.kind == Kind::Integer {
            match t.call(&self.hot, Make::Integer(item.int), prep) {
                Some(obj) => non_null(obj),
                None => Some(REDIS_REPLY_INTEGER as usize as *mut c_void),
            }
        } else {
            match t.call(&self.hot, Make::String(item.text), prep) {
                Some(obj) => non_null(obj),
                None => Some(item.kind as c_int as usize as *mut c_void),
            }
        }
    }

    #[inline(always)]
    fn string(&mut self, at: At<'_, *mut c_void>, kind: Kind, s: &[u8]) -> Option<*mut c_void> {
        let fns = self.hot;
        if fns.createString.is_none() {
            return self.stand_in(at, kind as c_int);
        }
        Some(self.make(at, kind, &fns, Make::String(s))?.1)
    }

    #[inline(always)]
    fn array(&mut self, at: At<'_, *mut c_void>, kind: Kind, n: usize) -> Option<*mut c_void> {
        let d = at.depth();
        if n > 0 {
            // Room for the level before the object exists (see DefaultBuilder::array).
            self.m.reserve(d).ok()?;
        }
        let fns = entries(self.fns);
        let obj = if fns.createArray.is_none() {
            self.stand_in(at, kind as c_int)?
        } else {
            let (t, obj) = self.make(at, kind, &fns, Make::Array(n))?;
            if n > 0 {
                // This aggregate's task becomes the parent of the next items, whose level
                // starts linked to it (their idx and type are written per item). Both slots
                // were reserved above.
                self.m.tasks[d].elements = n as c_longlong;
                self.m.tasks[d + 1].parent = t.as_ptr();
                self.m.synced = d + 1;
            }
            obj
        };
        if n > 0 {
            self.m.opened(d, obj, self.privdata);
        }
        Some(obj)
    }

    #[inline(always)]
    fn integer(&mut self, at: At<'_, *mut c_void>, v: i64) -> Option<*mut c_void> {
        let fns = self.hot;
        if fns.createInteger.is_none() {
            return self.stand_in(at, REDIS_REPLY_INTEGER);
        }
        Some(self.make(at, Kind::Integer, &fns, Make::Integer(v))?.1)
    }

    fn double(&mut self, at: At<'_, *mut c_void>, v: f64, text: &[u8]) -> Option<*mut c_void> {
        let fns = entries(self.fns);
        if fns.createDouble.is_none() {
            return self.stand_in(at, REDIS_REPLY_DOUBLE);
        }
        // Builders get a NUL-terminated copy (the parser keeps doubles under 326 bytes).
        let mut copy = [0u8; 327];
        let n = text.len().min(326);
        copy[..n].copy_from_slice(&text[..n]);
        Some(
            self.make(at, Kind::Double, &fns, Make::Double(v, &copy[..=n]))?
                .1,
        )
    }

    #[inline(always)]
    fn nil(&mut self, at: At<'_, *mut c_void>, kind: Kind) -> Option<*mut c_void> {
        let fns = entries(self.fns);
        if fns.createNil.is_none() {
            return self.stand_in(at, REDIS_REPLY_NIL);
        }
        Some(self.make(at, kind, &fns, Make::Nil)?.1)
    }

    #[inline(always)]
    fn boolean(&mut self, at: At<'_, *mut c_void>, v: bool) -> Option<*mut c_void> {
        let fns = entries(self.fns);
        if fns.createBool.is_none() {
            return self.stand_in(at, REDIS_REPLY_BOOL);
        }
        Some(self.make(at, Kind::Bool, &fns, Make::Bool(v))?.1)
    }
}

/// The table used for a reader whose `fn` is NULL: every entry missing.
pub(crate) const NO_FUNCTIONS: redisReplyObjectFunctions = redisReplyObjectFunctions {
    createString: None,
    createArray: None,
    createInteger: None,
    createDouble: None,
    createNil: None,
    createBool: None,
    freeObject: None,
};

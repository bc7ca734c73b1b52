//! Builders that call a C function table (`redisReader.fn`), and the `redisReadTask` chain
//! they are shown, kept in step with the parser's open aggregates as hiredis keeps its own.

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

/// Calls `fn->freeObject` on `obj` when the table and the entry exist, as hiredis does
/// (the sync and async layers free replies this way: `free_object(reader.fn, reply)`).
pub(crate) fn free_object(f: *const redisReplyObjectFunctions, obj: *mut c_void) {
    // SAFETY: `fn` is NULL or a valid table (a documented requirement of the field).
    if let Some(free) = unsafe { f.as_ref() }.and_then(|t| t.freeObject) {
        // SAFETY: `obj` came from this table's builders.
        unsafe { free(obj) }
    }
}

/// Builds through a C function table; a NULL table or entry yields the type number as a
/// stand-in object, as in hiredis.
pub(super) struct CBuilder<'a> {
    /// `createString` and `createInteger` of the table, the common ones.
    pub(super) create_string: CreateString,
    pub(super) create_integer: CreateInteger,
    /// The table (a valid one: [`NO_FUNCTIONS`] for NULL), for its other entries.
    pub(super) fns: *const redisReplyObjectFunctions,
    pub(super) m: &'a mut Mirror,
    /// `reader->privdata` now, for levels opened during this call.
    pub(super) privdata: *mut c_void,
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

    /// The mirror's buffer and the task at `at`'s depth, reserved and with the ancestors'
    /// tasks in step. Both pointers derive from the buffer (not from a reference to one task),
    /// so the task pointer may reach its neighbours too (`array` links the child level through
    /// it). `None` when the task stack cannot grow.
    #[inline(always)]
    fn level(
        &mut self,
        at: At<'_, *mut c_void>,
    ) -> Option<(*mut redisReadTask, *mut redisReadTask)> {
        let d = at.depth();
        // Level `d` was reserved when its parent opened (the root at the reply's start), so
        // this only guards against a broken promise.
        self.m.reserve(d).ok()?;
        if self.m.synced < d {
            self.m.sync(at.frames());
        }
        let base = self.m.tasks.as_mut_ptr();
        Some((base, base.wrapping_add(d)))
    }

    /// The task for the item at `at`: type, elements, idx and parent written as hiredis has
    /// them when it calls a builder; `obj` and `privdata` are the level's (see
    /// [`Mirror::opened`]). The ancestors' tasks are written only when they are out of step
    /// (after a table switch or a move of the tasks). `None` when the task stack cannot grow.
    #[inline(always)]
    fn task(&mut self, at: At<'_, *mut c_void>, kind: Kind) -> Option<*mut redisReadTask> {
        let (_, tp) = self.level(at)?;
        // SAFETY: `tp` is the reserved task at this depth in the vector's live buffer, and
        // nothing else borrows the tasks now.
        let t = unsafe { &mut *tp };
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
                // Not the root: the parent is the task before this one.
                t.parent = tp.wrapping_sub(1);
            }
        }
        Some(tp)
    }
}

impl Mirror {
    /// Writes the tasks of the open aggregates `frames` (root first) from `synced` on.
    #[cold]
    #[inline(never)]
    fn sync(&mut self, frames: &[Frame<*mut c_void>]) {
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
        let (base, tp) = self.level(at)?;
        // SAFETY: `tp` is the reserved task at depth d >= 1; nothing else borrows the tasks.
        let t = unsafe { &mut *tp };
        t.parent = base.wrapping_add(d - 1);
        t.elements = -1;
        Some(tp)
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

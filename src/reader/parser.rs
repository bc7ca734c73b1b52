//! The RESP2/RESP3 reply parser behind `redisReader` (hiredis 1.4.1 `read.c` semantics).
//!
//! [`Parser`] is resumable: [`Parser::parse`] consumes what it can of a byte buffer, hands
//! every item to a [`Builder`] in wire order (parents before children), and either returns
//! a complete reply or remembers where it stopped so a later call with more bytes continues.
//! Splitting the input at any byte boundary gives the same replies as feeding it at once.
//!
//! Safe Rust only, enforced (`forbid(unsafe_code)`): the C function table and the `redisReply`
//! objects are the sibling modules' business. The
//! stack of open aggregates is a hook-allocated [`HVec`]: failing to grow it is
//! [`ReadError::Oom`].

#![forbid(unsafe_code)]

use crate::alloc::HVec;

/// hiredis 1.4.1 refuses an aggregate nested at this depth (0-based) or deeper.
pub(crate) const MAX_DEPTH: usize = 1024;

/// Lines for doubles this long or longer are refused (hiredis copies them into 326 bytes).
const MAX_DOUBLE_LINE: usize = 326;

/// Item types, numbered like hiredis's `REDIS_REPLY_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum Kind {
    String = 1,
    Array = 2,
    Integer = 3,
    Nil = 4,
    Status = 5,
    Error = 6,
    Double = 7,
    Bool = 8,
    Map = 9,
    Set = 10,
    Attr = 11,
    Push = 12,
    BigNum = 13,
    Verb = 14,
}

impl Kind {
    /// The type announced by a RESP type byte.
    #[inline]
    fn from_byte(c: u8) -> Option<Kind> {
        Some(match c {
            b'-' => Kind::Error,
            b'+' => Kind::Status,
            b':' => Kind::Integer,
            b',' => Kind::Double,
            b'_' => Kind::Nil,
            b'$' => Kind::String,
            b'*' => Kind::Array,
            b'%' => Kind::Map,
            b'|' => Kind::Attr,
            b'~' => Kind::Set,
            b'#' => Kind::Bool,
            b'=' => Kind::Verb,
            b'>' => Kind::Push,
            b'(' => Kind::BigNum,
            _ => return None,
        })
    }
}

/// Why a stream was refused. Every error is final for the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    TypeByte(u8),
    BadInteger,
    DoubleTooLarge,
    BadDouble,
    BadNil,
    BadBool,
    BadBignum,
    BadSimpleString,
    BadBulkLength,
    BulkLengthRange,
    BadVerbatim,
    BadMultiBulkLength,
    MultiBulkRange,
    MaxDepth,
    /// A builder returned no object.
    Oom,
}

impl ReadError {
    /// hiredis's error text for this error (no allocation: the reader may be reporting that
    /// memory ran out).
    pub(crate) fn message(&self) -> ErrText {
        let mut t = ErrText::default();
        let s = match self {
            ReadError::TypeByte(c) => {
                t.push(b"Protocol error, got \"");
                match *c {
                    b'\\' | b'"' => t.push(&[b'\\', *c]),
                    b'\n' => t.push(b"\\n"),
                    b'\r' => t.push(b"\\r"),
                    b'\t' => t.push(b"\\t"),
                    0x07 => t.push(b"\\a"),
                    0x08 => t.push(b"\\b"),
                    0x20..=0x7e => t.push(&[*c]),
                    _ => {
                        let hex = b"0123456789abcdef";
                        t.push(&[
                            b'\\',
                            b'x',
                            hex[usize::from(c >> 4)],
                            hex[usize::from(c & 15)],
                        ]);
                    }
                }
                t.push(b"\" as reply type byte");
                return t;
            }
            ReadError::BadInteger => "Bad integer value",
            ReadError::DoubleTooLarge => "Double value is too large",
            ReadError::BadDouble => "Bad double value",
            ReadError::BadNil => "Bad nil value",
            ReadError::BadBool => "Bad bool value",
            ReadError::BadBignum => "Bad bignum value",
            ReadError::BadSimpleString => "Bad simple string value",
            ReadError::BadBulkLength => "Bad bulk string length",
            ReadError::BulkLengthRange => "Bulk string length out of range",
            ReadError::BadVerbatim => {
                "Verbatim string 4 bytes of content type are missing or incorrectly encoded."
            }
            ReadError::BadMultiBulkLength => "Bad multi-bulk length",
            ReadError::MultiBulkRange => "Multi-bulk length out of range",
            ReadError::MaxDepth => "Max nesting depth exceeded",
            ReadError::Oom => "Out of memory",
        };
        t.push(s.as_bytes());
        t
    }
}

/// An error text in a fixed buffer (longer text is cut, as `errstr` would cut it).
#[derive(Clone, Copy)]
pub(crate) struct ErrText {
    buf: [u8; 128],
    len: usize,
}

impl Default for ErrText {
    fn default() -> Self {
        ErrText {
            buf: [0; 128],
            len: 0,
        }
    }
}

impl ErrText {
    fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl PartialEq<&str> for ErrText {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl core::fmt::Debug for ErrText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// An aggregate whose children are being read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame<O> {
    pub(crate) kind: Kind,
    /// Child count (already doubled for maps and attributes), always > 0.
    pub(crate) elements: usize,
    /// Index of the child being read.
    pub(crate) next: usize,
    /// What the builder returned for this aggregate.
    pub(crate) obj: O,
}

/// Where the item being built sits: the open aggregates from the root down to its parent.
#[derive(Clone, Copy)]
pub(crate) struct At<'a, O> {
    frames: &'a [Frame<O>],
}

impl<'a, O: Copy> At<'a, O> {
    /// Nesting depth of the item (0 for the root).
    #[inline]
    pub(crate) fn depth(&self) -> usize {
        self.frames.len()
    }

    /// The open aggregates, root first; the last one is the item's parent.
    #[inline]
    pub(crate) fn frames(&self) -> &'a [Frame<O>] {
        self.frames
    }

    /// The parent's object and the item's index in it; `None` for the root.
    #[inline]
    pub(crate) fn parent(&self) -> Option<(O, usize)> {
        self.frames.last().map(|f| (f.obj, f.next))
    }
}

/// Makes objects for parsed items. Returning `None` means out of memory.
///
/// Each object is created after its parent and is expected to link itself into it
/// (at `at.parent()`), as hiredis's builders do.
pub(crate) trait Builder {
    type Obj: Copy;
    /// Status, error, bulk string, verbatim string (the whole payload, prefix included) and
    /// bignum items; `s` borrows the input.
    fn string(&mut self, at: At<'_, Self::Obj>, kind: Kind, s: &[u8]) -> Option<Self::Obj>;
    /// An aggregate of `n` children (twice the pair count for maps and attributes).
    fn array(&mut self, at: At<'_, Self::Obj>, kind: Kind, n: usize) -> Option<Self::Obj>;
    fn integer(&mut self, at: At<'_, Self::Obj>, v: i64) -> Option<Self::Obj>;
    /// A double and the text it was parsed from.
    fn double(&mut self, at: At<'_, Self::Obj>, v: f64, text: &[u8]) -> Option<Self::Obj>;
    /// `_`, `$-1` or an aggregate with count -1; `kind` is the announced type.
    fn nil(&mut self, at: At<'_, Self::Obj>, kind: Kind) -> Option<Self::Obj>;
    fn boolean(&mut self, at: At<'_, Self::Obj>, v: bool) -> Option<Self::Obj>;

    /// What a builder keeps for a run of whole scalar children of one aggregate (see
    /// [`Builder::run_start`]).
    type Run: Copy;

    /// Whether the parser offers runs at all ([`Builder::run_start`]).
    const SCALAR_RUNS: bool = false;

    /// Offered when the next child of the innermost open aggregate (`at`'s last frame) is a
    /// whole status, error, integer or bulk string: `Some` has the parser hand it, and the
    /// whole scalar siblings after it, to [`Builder::run_item`] (found with [`scalar_at`],
    /// without the general loop); `None` (the default) leaves every item to the other methods.
    #[inline(always)]
    fn run_start(&mut self, at: At<'_, Self::Obj>) -> Option<Self::Run> {
        let _ = at;
        None
    }

    /// Builds child `idx` of the run's aggregate: what [`Builder::integer`] or
    /// [`Builder::string`] would build for it at that place.
    #[inline(always)]
    fn run_item(&mut self, run: Self::Run, idx: usize, item: Scalar<'_>) -> Option<Self::Obj> {
        let _ = (run, idx, item);
        None
    }
}

/// Resumable parser state: open aggregates and a type byte read ahead of its data.
#[derive(Debug)]
pub(crate) struct Parser<O> {
    stack: HVec<Frame<O>>,
    /// The current item's type byte was consumed but its data is incomplete.
    pending: Option<Kind>,
    /// The root aggregate of the reply in progress.
    root: Option<O>,
}

impl<O: Copy> Default for Parser<O> {
    fn default() -> Self {
        Parser {
            stack: HVec::new(),
            pending: None,
            root: None,
        }
    }
}

impl<O: Copy> Parser<O> {
    /// Depth of the item awaiting data, or `None` between replies.
    pub(crate) fn depth(&self) -> Option<usize> {
        if self.stack.is_empty() && self.pending.is_none() {
            None
        } else {
            Some(self.stack.len())
        }
    }

    /// Where a reply stands for the scalar fast path: between replies, waiting for the data
    /// of a top-level item whose type byte was read (of any type: [`scalar_data`] takes only
    /// the four scalar ones), or inside an aggregate.
    #[inline(always)]
    pub(crate) fn top_level(&self) -> TopLevel {
        if !self.stack.is_empty() {
            return TopLevel::Busy;
        }
        match self.pending {
            None => TopLevel::Idle,
            Some(k) => TopLevel::Waiting(k),
        }
    }

    /// Between replies: [`Parser::top_level`] is `Idle`.
    #[inline(always)]
    pub(crate) fn is_idle(&self) -> bool {
        self.stack.is_empty() && self.pending.is_none()
    }

    /// Notes what [`Parser::parse`] would on meeting the start of a top-level scalar that is
    /// not complete: its type byte is read (the caller moves past it) and its data awaited.
    #[inline(always)]
    pub(crate) fn wait_for(&mut self, kind: Kind) {
        self.pending = Some(kind);
    }

    /// Back between replies after the awaited top-level scalar was built elsewhere.
    #[inline(always)]
    pub(crate) fn done_waiting(&mut self) {
        self.pending = None;
    }

    /// The partially built root aggregate, if any.
    pub(crate) fn root(&self) -> Option<O> {
        self.root
    }

    /// Forgets the reply in progress, returning its root for the caller to free.
    pub(crate) fn reset(&mut self) -> Option<O> {
        self.stack.clear();
        self.pending = None;
        self.root.take()
    }

    /// Parses from `buf[*pos..]`, advancing `*pos` past consumed bytes. Returns the reply
    /// once complete, `Ok(None)` when more input is needed. After an error the state is
    /// undefined until [`Parser::reset`] (the partial root is still held for freeing).
    ///
    /// `maxelements` caps aggregate counts when > 0.
    #[inline(always)]
    pub(crate) fn parse<B: Builder<Obj = O>>(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        maxelements: i64,
        b: &mut B,
    ) -> Result<Option<O>, ReadError> {
        let mut p = *pos;
        let res = self.run(buf, &mut p, maxelements, b);
        *pos = p;
        res
    }

    #[inline(always)]
    fn run<B: Builder<Obj = O>>(
        &mut self,
        buf: &[u8],
        p: &mut usize,
        maxelements: i64,
        b: &mut B,
    ) -> Result<Option<O>, ReadError> {
        loop {
            if B::SCALAR_RUNS && !self.stack.is_empty() {
                match self.scalar_runs(buf, p, b)? {
                    RunEnd::Reply(root) => return Ok(root),
                    RunEnd::More => return Ok(None),
                    RunEnd::General => {}
                }
            }
            let kind = match self.pending.take() {
                Some(k) => k,
                None => {
                    let Some(&c) = buf.get(*p) else {
                        return Ok(None);
                    };
                    *p += 1;
                    Kind::from_byte(c).ok_or(ReadError::TypeByte(c))?
                }
            };
            let step = match kind {
                Kind::String | Kind::Verb => self.bulk(kind, buf, p, b)?,
                Kind::Array | Kind::Map | Kind::Attr | Kind::Set | Kind::Push => {
                    self.aggregate(kind, buf, p, maxelements, b)?
                }
                _ => {
                    let Some((cr, clean)) = find_line(buf, *p) else {
                        self.pending = Some(kind);
                        return Ok(None);
                    };
                    let start = *p;
                    *p = cr + 2;
                    let at = At {
                        frames: &self.stack[..],
                    };
                    Step::Item(line_item(at, kind, buf, start..cr, clean, b)?)
                }
            };
            let obj = match step {
                Step::Item(obj) => obj,
                Step::NeedMore => {
                    self.pending = Some(kind);
                    return Ok(None);
                }
                Step::Opened => continue,
            };
            let obj = obj.ok_or(ReadError::Oom)?;
            // The item is complete: step to the next sibling, closing finished aggregates.
            loop {
                let Some(top) = self.stack.last_mut() else {
                    return Ok(Some(obj));
                };
                top.next += 1;
                if top.next < top.elements {
                    break;
                }
                self.stack.pop();
                if self.stack.is_empty() {
                    return Ok(self.root.take());
                }
            }
        }
    }

    /// A bulk or verbatim string after its type byte: its item, or `NeedMore` until the
    /// length line, the payload and the two bytes after it are all in `buf`.
    #[inline(always)]
    fn bulk<B: Builder<Obj = O>>(
        &mut self,
        kind: Kind,
        buf: &[u8],
        p: &mut usize,
        b: &mut B,
    ) -> Result<Step<O>, ReadError> {
        let at = At {
            frames: &self.stack[..],
        };
        let Some(cr) = find_crlf(buf, *p) else {
            return Ok(Step::NeedMore);
        };
        let n = parse_ll(&buf[*p..cr]).ok_or(ReadError::BadBulkLength)?;
        if n < -1 {
            return Err(ReadError::BulkLengthRange);
        }
        let start = cr + 2;
        if n == -1 {
            *p = start;
            return Ok(Step::Item(b.nil(at, kind)));
        }
        // Only 32-bit targets can see a length above SIZE_MAX.
        let n = usize::try_from(n).map_err(|_| ReadError::BulkLengthRange)?;
        // The length line is read again until payload and CR LF are here.
        let end = match start.checked_add(n) {
            Some(end) if end < buf.len() - 1 => end,
            _ => return Ok(Step::NeedMore),
        };
        let payload = &buf[start..end];
        if kind == Kind::Verb && (n < 4 || payload[3] != b':') {
            return Err(ReadError::BadVerbatim);
        }
        // Like hiredis, the two bytes after the payload are skipped unchecked.
        *p = end + 2;
        Ok(Step::Item(b.string(at, kind, payload)))
    }

    /// An aggregate after its type byte: a nil or empty one is an item; otherwise it is
    /// opened (a frame pushed) and its elements follow.
    #[inline(always)]
    fn aggregate<B: Builder<Obj = O>>(
        &mut self,
        kind: Kind,
        buf: &[u8],
        p: &mut usize,
        maxelements: i64,
        b: &mut B,
    ) -> Result<Step<O>, ReadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ReadError::MaxDepth);
        }
        let Some(cr) = find_crlf(buf, *p) else {
            return Ok(Step::NeedMore);
        };
        let n = parse_ll(&buf[*p..cr]).ok_or(ReadError::BadMultiBulkLength)?;
        *p = cr + 2;
        if n < -1 || (maxelements > 0 && n > maxelements) {
            return Err(ReadError::MultiBulkRange);
        }
        let at = At {
            frames: &self.stack[..],
        };
        if n == -1 {
            return Ok(Step::Item(b.nil(at, kind)));
        }
        let mut count = usize::try_from(n).map_err(|_| ReadError::MultiBulkRange)?;
        if matches!(kind, Kind::Map | Kind::Attr) {
            if count > usize::MAX / 2 || n > i64::MAX / 2 {
                return Err(ReadError::MultiBulkRange);
            }
            count *= 2;
        }
        let obj = b.array(at, kind, count).ok_or(ReadError::Oom)?;
        if count == 0 {
            return Ok(Step::Item(Some(obj)));
        }
        if self.stack.is_empty() {
            self.root = Some(obj);
        }
        // A failed push leaves `obj` linked under the root (or as the root), so the caller's
        // reset frees it.
        self.stack
            .try_push(Frame {
                kind,
                elements: count,
                next: 0,
                obj,
            })
            .map_err(|_| ReadError::Oom)?;
        Ok(Step::Opened)
    }
}

/// What parsing one item's data came to.
enum Step<O> {
    /// The item is complete (`None`: the builder ran out of memory).
    Item(Option<O>),
    /// The item's data has not all arrived.
    NeedMore,
    /// An aggregate was opened: its elements come next.
    Opened,
}

/// Where [`Parser::scalar_runs`] stopped.
enum RunEnd<O> {
    /// The reply is complete (its root, as the general loop returns it).
    Reply(Option<O>),
    /// The next item is for the general loop.
    General,
    /// The next item has not all arrived: its type byte is read and its data awaited, as
    /// the general loop would leave it.
    More,
}

impl<O: Copy> Parser<O> {
    /// Runs of whole scalar children ([`Builder::run_start`]), level after level as they
    /// complete, starting with the item whose data is awaited, if any. The stack, the
    /// position and the awaited item are left as the general loop would leave them.
    #[inline(always)]
    fn scalar_runs<B: Builder<Obj = O>>(
        &mut self,
        buf: &[u8],
        p: &mut usize,
        b: &mut B,
    ) -> Result<RunEnd<O>, ReadError> {
        loop {
            let found = match self.pending {
                None => scalar_at(buf, *p),
                Some(kind) => scalar_data(kind, buf, *p),
            };
            let (item, end) = match found {
                Some(Found::Whole(item, end)) => (item, end),
                Some(Found::Partial(kind)) => return Ok(self.await_item(p, kind)),
                None => return Ok(RunEnd::General),
            };
            let Some(run) = b.run_start(At {
                frames: &self.stack[..],
            }) else {
                return Ok(RunEnd::General);
            };
            let Some(top) = self.stack.last_mut() else {
                return Ok(RunEnd::General);
            };
            self.pending = None;
            let (mut next, elements) = (top.next, top.elements);
            let (mut item, mut end) = (item, end);
            'run: loop {
                // (After an error the parser's state does not matter: it is reset.)
                b.run_item(run, next, item).ok_or(ReadError::Oom)?;
                next += 1;
                *p = end;
                if next == elements {
                    break;
                }
                // Siblings in a run are mostly short bulk strings and integers: those are
                // read by a loop of their own, a call per kind.
                loop {
                    if let Some((text, e)) = short_bulk_at(buf, *p) {
                        b.run_item(run, next, Scalar::text(Kind::String, text))
                            .ok_or(ReadError::Oom)?;
                        *p = e;
                    } else if let Some((int, e)) = short_int_at(buf, *p) {
                        let item = Scalar {
                            kind: Kind::Integer,
                            text: &[],
                            int,
                        };
                        b.run_item(run, next, item).ok_or(ReadError::Oom)?;
                        *p = e;
                    } else {
                        break;
                    }
                    next += 1;
                    if next == elements {
                        break 'run;
                    }
                }
                match scalar_at(buf, *p) {
                    Some(Found::Whole(i, e)) => (item, end) = (i, e),
                    found => {
                        top.next = next;
                        return Ok(match found {
                            Some(Found::Partial(kind)) => self.await_item(p, kind),
                            _ => RunEnd::General,
                        });
                    }
                }
            }
            // The aggregate is complete: on to its parent's next child, closing finished
            // aggregates as after any item.
            self.stack.pop();
            loop {
                let Some(top) = self.stack.last_mut() else {
                    return Ok(RunEnd::Reply(self.root.take()));
                };
                top.next += 1;
                if top.next < top.elements {
                    break;
                }
                self.stack.pop();
            }
        }
    }

    /// The general loop's step for a scalar that has not all arrived: its type byte read
    /// (unless an earlier call read it), its data awaited.
    #[inline(always)]
    fn await_item(&mut self, p: &mut usize, kind: Kind) -> RunEnd<O> {
        if self.pending.is_none() {
            *p += 1;
            self.pending = Some(kind);
        }
        RunEnd::More
    }
}

/// A complete, valid top-level scalar: what [`scalar_at`] recognises. A plain record rather
/// than an enum, so that building it takes one test (integer or string) instead of a dispatch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scalar<'a> {
    /// Status, Error, Integer or String (a bulk string of length >= 0).
    pub(crate) kind: Kind,
    /// The text of a status, error or bulk string.
    pub(crate) text: &'a [u8],
    /// The value of an integer.
    pub(crate) int: i64,
}

impl<'a> Scalar<'a> {
    #[inline(always)]
    pub(crate) fn text(kind: Kind, text: &'a [u8]) -> Scalar<'a> {
        Scalar { kind, text, int: 0 }
    }
}

/// See [`Parser::top_level`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TopLevel {
    Idle,
    Waiting(Kind),
    Busy,
}

/// What [`scalar_at`] finds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Found<'a> {
    /// A whole item, and the position after it.
    Whole(Scalar<'a>, usize),
    /// The start of a status, error, integer or bulk string whose line or payload has not
    /// all arrived: the parser, given these bytes, would read the type byte and wait.
    Partial(Kind),
}

/// The common reply shapes (status, error, integer, bulk string), when one starts at
/// `buf[pos]`, whole and valid or not yet complete. Anything else (other types, malformed
/// input) gives `None`, and the caller runs the [`Parser`], which handles it; for a whole
/// item, the parser would build the same and stop at the same position (the
/// `scalar_path_agrees_with_parser` test checks this and what `Partial` promises).
#[inline(always)]
pub(crate) fn scalar_at(buf: &[u8], pos: usize) -> Option<Found<'_>> {
    // (Wrapping: with `pos` at the very end the `get` below fails anyway.)
    let p = pos.wrapping_add(1);
    // A call per kind, so that each is compiled for its own kind; compares rather than a
    // jump table (four kinds, bulk strings first: aggregates mostly hold those).
    let c = *buf.get(pos)?;
    if c == b'$' {
        scalar_data(Kind::String, buf, p)
    } else if c == b'+' {
        scalar_data(Kind::Status, buf, p)
    } else if c == b':' {
        scalar_data(Kind::Integer, buf, p)
    } else if c == b'-' {
        scalar_data(Kind::Error, buf, p)
    } else {
        None
    }
}

/// A whole bulk string at `buf[pos]` (its `$` included) whose length has 1 to 6 digits and
/// whose payload and the two bytes after it are in `buf`: the payload and the position after
/// the item. `None` for anything else, which [`scalar_at`] then looks at: where this finds an
/// item, [`scalar_at`] finds the same one (the `short_scalars_agree` test).
#[inline(always)]
pub(crate) fn short_bulk_at(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    // The type byte and the 8 bytes after it, in one bounds check.
    let tail = buf.get(pos..)?;
    let head = tail.first_chunk::<9>()?;
    if head[0] != b'$' {
        return None;
    }
    let w = u64::from_le_bytes(*head.last_chunk::<8>()?);
    let d0 = usize::from((w as u8).wrapping_sub(b'0'));
    // One and two digits are looked for directly; longer lengths by their line's end.
    if (w >> 8) as u16 == CRLF {
        if d0 > 9 {
            return None;
        }
        bulk_item(tail, pos, 1, d0)
    } else if (w >> 16) as u16 == CRLF {
        let d1 = usize::from(((w >> 8) as u8).wrapping_sub(b'0'));
        if d0.wrapping_sub(1) > 8 || d1 > 9 {
            return None;
        }
        bulk_item(tail, pos, 2, d0 * 10 + d1)
    } else {
        let n = line_end(w)?;
        bulk_item(tail, pos, n, short_len(&head[1..=n])?)
    }
}

/// [`short_bulk_at`]'s item after a length line of `n` digits, with `tail` the input from
/// the `$` at `pos` on: the payload of `len` bytes and the two bytes after it (skipped
/// unchecked, as by the parser). Written out per case, so that the short ones are compiled
/// for their `n`.
#[inline(always)]
fn bulk_item(tail: &[u8], pos: usize, n: usize, len: usize) -> Option<(&[u8], usize)> {
    // (The sums cannot overflow: `len` has at most 6 digits.)
    if tail.len() < n + len + 5 {
        return None;
    }
    Some((&tail[n + 3..n + 3 + len], pos + 5 + n + len))
}

/// A whole integer at `buf[pos]` (its `:` included) of at most 6 bytes (sign included):
/// the value and the position after the item. `None` for anything else, as
/// [`short_bulk_at`].
#[inline(always)]
pub(crate) fn short_int_at(buf: &[u8], pos: usize) -> Option<(i64, usize)> {
    let head = buf.get(pos..)?.first_chunk::<9>()?;
    if head[0] != b':' {
        return None;
    }
    let w = u64::from_le_bytes(*head.last_chunk::<8>()?);
    let n = line_end(w)?;
    let neg = w as u8 == b'-';
    let (mut x, digits) = if neg { (w >> 8, n - 1) } else { (w, n) };
    let d0 = (x as u8).wrapping_sub(b'0');
    // No leading zero, no "-0", no lone "-".
    if d0 > 9 || digits == 0 || (d0 == 0 && (digits > 1 || neg)) {
        return None;
    }
    // Digit by digit: for numbers this short, cheaper than `parse_short`'s whole-word
    // conversion (a map of 16 small integers: 5,587 against 5,693 instructions per reply).
    let mut v = i64::from(d0);
    for _ in 1..digits {
        x >>= 8;
        let d = (x as u8).wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some((if neg { -v } else { v }, pos + 3 + n))
}

/// [`scalar_at`] for the shortest shapes only, with no searching: a whole status, error or
/// integer whose line ends with the first CR or LF among the 8 bytes after the type byte
/// (an integer of at most 8 bytes), or a bulk string as [`short_bulk_at`] takes it. `None`
/// for everything else, which [`scalar_at`] then looks at: where
/// this finds an item, [`scalar_at`] finds the same one (the `word_scan_agrees` test).
#[cfg(test)]
pub(crate) fn scalar_in_word(buf: &[u8], pos: usize) -> Option<(Scalar<'_>, usize)> {
    let kind = match *buf.get(pos)? {
        b'$' => Kind::String,
        b'+' => Kind::Status,
        b':' => Kind::Integer,
        b'-' => Kind::Error,
        _ => return None,
    };
    scalar_data_in_word(kind, buf, pos + 1)
}

/// [`scalar_in_word`] after the type byte: the data of a `kind` item (one of the four) at
/// `buf[from..]`, with `from <= buf.len()` and `buf[from - 1]` its type byte. Bulk strings
/// are [`short_bulk_at`]'s.
#[inline(always)]
pub(crate) fn scalar_data_in_word(
    kind: Kind,
    buf: &[u8],
    from: usize,
) -> Option<(Scalar<'_>, usize)> {
    if kind == Kind::String {
        let (text, next) = short_bulk_at(buf, from.checked_sub(1)?)?;
        return Some((Scalar::text(kind, text), next));
    }
    let (rest, w, n) = line_in_word(buf, from)?;
    let cr = from + n;
    if kind == Kind::Integer {
        let int = parse_short(w, n)?;
        return Some((
            Scalar {
                kind,
                text: &[],
                int,
            },
            cr + 2,
        ));
    }
    Some((Scalar::text(kind, &rest[..n]), cr + 2))
}

/// A line at `buf[from..]` ending within the 8 bytes there: `buf[from..]`, those bytes as
/// a little-endian word, and the offset of the line's CR. The CR LF must be the first bytes
/// below 0x0e ([`low_marks`]), so the line holds no CR or LF, as status and error lines must
/// (one with other control bytes is searched).
#[inline(always)]
fn line_in_word(buf: &[u8], from: usize) -> Option<(&[u8], u64, usize)> {
    let rest = buf.get(from..)?;
    let w = u64::from_le_bytes(*rest.first_chunk::<8>()?);
    let marks = low_marks(w);
    if marks == 0 {
        return None;
    }
    let n = first_marked(marks);
    if rest[n] != b'\r' || *rest.get(n + 1)? != b'\n' {
        return None;
    }
    Some((rest, w, n))
}

/// CR LF as a little-endian `u16`.
const CRLF: u16 = u16::from_le_bytes(*b"\r\n");

/// The high bit of each byte of `w` that may be below 0x0e (CR, LF and some other control
/// bytes); the lowest mark is exact (as in `bytes_equal`).
#[inline(always)]
fn low_marks(w: u64) -> u64 {
    const LOW: u64 = 0x0101_0101_0101_0101;
    w.wrapping_sub(LOW * 0x0e) & !w & (LOW * 0x80)
}

/// The offset of the CR of a line that starts the little-endian word `w` and ends with
/// CR LF within its first 8 bytes, at most 6 bytes long (the CR LF must be the first bytes
/// below 0x0e, see [`low_marks`]); `None` for anything else.
#[inline(always)]
fn line_end(w: u64) -> Option<usize> {
    let n = first_marked(low_marks(w));
    ((1..=6).contains(&n) && (w >> (8 * n)) as u16 == CRLF).then_some(n)
}

/// [`parse_len`] of at most 8 bytes (no overflow possible): digits only, no leading zero
/// (but "0").
#[inline(always)]
fn short_len(digits: &[u8]) -> Option<usize> {
    let (&d0, more) = digits.split_first()?;
    let mut len = usize::from(d0.wrapping_sub(b'0'));
    if len > 9 || (len == 0 && !more.is_empty()) {
        return None;
    }
    for &c in more {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        len = len * 10 + usize::from(d);
    }
    Some(len)
}

/// [`scalar_at`] after the type byte: the data of a `kind` item (one of the four) at
/// `buf[p]`. Also what a parser waiting for such a top-level item would read.
#[inline(always)]
pub(crate) fn scalar_data(kind: Kind, buf: &[u8], p: usize) -> Option<Found<'_>> {
    // Short lines are found without searching ([`line_in_word`]).
    if kind == Kind::String {
        let (cr, n) = match line_in_word(buf, p) {
            Some((rest, _, k)) => (p + k, short_len(&rest[..k])?),
            None => {
                let Some(cr) = find_crlf(buf, p) else {
                    return Some(Found::Partial(kind));
                };
                (cr, usize::try_from(parse_len(&buf[p..cr])?).ok()?)
            }
        };
        let start = cr + 2;
        let end = start.checked_add(n)?;
        // The payload and the two bytes after it (skipped unchecked, as by the parser).
        if end >= buf.len() - 1 {
            return Some(Found::Partial(kind));
        }
        return Some(Found::Whole(Scalar::text(kind, &buf[start..end]), end + 2));
    }
    if !matches!(kind, Kind::Status | Kind::Error | Kind::Integer) {
        return None;
    }
    if let Some((rest, w, n)) = line_in_word(buf, p) {
        let item = if kind == Kind::Integer {
            Scalar {
                kind,
                text: &[],
                int: parse_short(w, n)?,
            }
        } else {
            Scalar::text(kind, &rest[..n])
        };
        return Some(Found::Whole(item, p + n + 2));
    }
    let Some((cr, clean)) = find_line(buf, p) else {
        return Some(Found::Partial(kind));
    };
    let line = &buf[p..cr];
    let item = match kind {
        Kind::Integer => Scalar {
            kind,
            text: &[],
            int: parse_ll_at(buf, p, cr)?,
        },
        _ if !clean => return None,
        Kind::Status | Kind::Error => Scalar::text(kind, line),
        _ => return None,
    };
    Some(Found::Whole(item, cr + 2))
}

/// Validates the single-line item `buf[line]` and builds it.
#[inline(always)]
fn line_item<B: Builder>(
    at: At<'_, B::Obj>,
    kind: Kind,
    buf: &[u8],
    line: core::ops::Range<usize>,
    clean: bool,
    b: &mut B,
) -> Result<Option<B::Obj>, ReadError> {
    let (start, end) = (line.start, line.end);
    let line = &buf[line];
    Ok(match kind {
        Kind::Integer => b.integer(
            at,
            parse_ll_at(buf, start, end).ok_or(ReadError::BadInteger)?,
        ),
        Kind::Double => b.double(at, parse_double(line)?, line),
        Kind::Nil => {
            if !line.is_empty() {
                return Err(ReadError::BadNil);
            }
            b.nil(at, Kind::Nil)
        }
        Kind::Bool => match line {
            [b't' | b'T'] => b.boolean(at, true),
            // hiredis's strchr("tTfF", c) also matches the terminating NUL: "#\0" is false.
            [b'f' | b'F' | 0] => b.boolean(at, false),
            _ => return Err(ReadError::BadBool),
        },
        Kind::BigNum => {
            let digits = line.strip_prefix(b"-").unwrap_or(line);
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(ReadError::BadBignum);
            }
            b.string(at, kind, line)
        }
        // Status and error lines.
        _ => {
            if !clean {
                return Err(ReadError::BadSimpleString);
            }
            b.string(at, kind, line)
        }
    })
}

/// The first CR LF at or after `from`: the index of its CR, and whether the bytes before it
/// are free of CR and LF (which status and error lines require).
#[inline(always)]
fn find_line(buf: &[u8], from: usize) -> Option<(usize, bool)> {
    // Most lines are short and clean: their CR LF is the first CR or LF in the 8 bytes at
    // `from`, looked at as one word. Anything else is searched out of line, so that callers'
    // loops do not carry the searchers' set-up.
    let marks = word_at(buf, from).map_or(0, |w| bytes_equal(w, b'\r') | bytes_equal(w, b'\n'));
    if marks != 0 {
        let first = from + first_marked(marks);
        if buf.get(first) == Some(&b'\r') && buf.get(first + 1) == Some(&b'\n') {
            return Some((first, true));
        }
    }
    find_line_searched(buf, from)
}

/// [`find_line`] by `memchr`.
#[inline(never)]
fn find_line_searched(buf: &[u8], from: usize) -> Option<(usize, bool)> {
    // A CR at the last byte cannot start a CR LF, so it is excluded from the search.
    let end = buf.len().checked_sub(1)?;
    // One pass finds the terminator of a clean line; a stray CR or LF costs a second search.
    // Most lines are short: the first 8 bytes are looked at as one word before memchr.
    let marks = word_at(buf, from).map_or(0, |w| bytes_equal(w, b'\r') | bytes_equal(w, b'\n'));
    let first = if marks != 0 {
        from + first_marked(marks)
    } else {
        from + find2(b'\r', b'\n', buf.get(from..end)?)?
    };
    if first >= end {
        // Only the last byte is a CR or LF: no CR LF yet.
        return None;
    }
    if buf[first] == b'\r' && buf[first + 1] == b'\n' {
        return Some((first, true));
    }
    let mut i = first + 1;
    while i < end {
        let at = i + find1(b'\r', &buf[i..end])?;
        if buf[at + 1] == b'\n' {
            return Some((at, false));
        }
        i = at + 1;
    }
    None
}

// RESP lines are short, so the per-call cost of `memchr`'s runtime CPU dispatch matters more
// than vector width: on x86_64 the always-present SSE2 searchers are used directly (inlined).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn find2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    match memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        Some(t) => t.find(hay),
        None => memchr::memchr2(a, b, hay),
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn find1(a: u8, hay: &[u8]) -> Option<usize> {
    match memchr::arch::x86_64::sse2::memchr::One::new(a) {
        Some(t) => t.find(hay),
        None => memchr::memchr(a, hay),
    }
}

#[cfg(not(target_arch = "x86_64"))]
use memchr::{memchr as find1, memchr2 as find2};

/// The 8 bytes at `buf[at..]` as a little-endian word, if there are 8.
#[inline(always)]
fn word_at(buf: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = buf.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The high bit of each byte of `w` that may equal `b`. The lowest marked byte is exact (the
/// borrow that can mark a byte spuriously only runs upwards from a real match).
#[inline(always)]
fn bytes_equal(w: u64, b: u8) -> u64 {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = w ^ (LOW * u64::from(b));
    x.wrapping_sub(LOW) & !x & HIGH
}

/// Index of the lowest marked byte of a non-zero mark word.
#[inline(always)]
fn first_marked(marks: u64) -> usize {
    (marks.trailing_zeros() / 8) as usize
}

/// Index of the CR of the first CR LF at or after `from` (length and count lines, where
/// stray CR or LF bytes fail the number parse anyway).
#[inline(always)]
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.len().checked_sub(1)?;
    // Length lines are short: the first 8 bytes are looked at as one word; the rest is
    // searched out of line (see `find_line`).
    if let Some(w) = word_at(buf, from) {
        let cr = bytes_equal(w, b'\r');
        if cr != 0 {
            let at = from + first_marked(cr);
            if buf.get(at + 1) == Some(&b'\n') {
                return Some(at);
            }
        }
    }
    find_crlf_searched(buf, from)
}

/// [`find_crlf`] by `memchr`.
#[inline(never)]
fn find_crlf_searched(buf: &[u8], from: usize) -> Option<usize> {
    let end = buf.len().checked_sub(1)?;
    let mut i = from;
    while i < end {
        let at = i + find1(b'\r', &buf[i..end])?;
        if buf[at + 1] == b'\n' {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// [`parse_ll`] of `buf[start..end]`. A number of up to 8 bytes is read as one word when
/// 8 bytes from `start` are in `buf` (a line is followed by its CR LF, so they usually are).
#[inline(always)]
pub(crate) fn parse_ll_at(buf: &[u8], start: usize, end: usize) -> Option<i64> {
    let n = end.checked_sub(start)?;
    if n <= 8 {
        if let Some(w) = word_at(buf, start) {
            return parse_short(w, n);
        }
    }
    parse_ll(buf.get(start..end)?)
}

/// [`parse_ll`] of the first `n` (at most 8) bytes of the little-endian word `w`, without a
/// loop: the digits are checked and combined a word at a time.
#[inline(always)]
fn parse_short(w: u64, n: usize) -> Option<i64> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    let neg = w as u8 == b'-';
    let (w, n) = if neg { (w >> 8, n - 1) } else { (w, n) };
    debug_assert!(n <= 8);
    if n == 0 {
        return None;
    }
    // The digits move to the top bytes; the bytes below them read as leading zeros.
    let shift = (8 * (8 - n)) as u32;
    let d = w << shift;
    let keep = u64::MAX << shift;
    // Each kept byte is 0x30..=0x39: its high nibble is 3, and still 3 after adding 6.
    let nib = (LOW * 0xf0) & keep;
    let want = (LOW * 0x30) & keep;
    if d & nib != want || d.wrapping_add(LOW * 6) & nib != want {
        return None;
    }
    // No leading zero, and no "-0".
    if w as u8 == b'0' && (n > 1 || neg) {
        return None;
    }
    // Eight digits, most significant in the lowest byte: pairs, then fours, then all.
    let v = d & (LOW * 0x0f);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let v = ((v & 0x0000_00ff_0000_00ff)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32))))
        >> 32;
    let v = v as i64;
    Some(if neg { -v } else { v })
}

/// hiredis's strict `string2ll`: optional `-`, no leading zeros (but "0"), no "-0", no `+`,
/// nothing else, within `i64`. Lengths and counts, never negative but for -1, test the sign
/// once and go straight to the digits.
#[inline(always)]
pub(crate) fn parse_ll(s: &[u8]) -> Option<i64> {
    match s.split_first()? {
        (b'-', digits) => {
            let v = parse_digits(digits)?;
            // No "-0"; i64::MIN's magnitude is one above i64::MAX.
            if v == 0 || v > i64::MAX as u64 + 1 {
                return None;
            }
            Some((v as i64).wrapping_neg())
        }
        _ => parse_len(s).map(|v| v as i64),
    }
}

/// [`parse_ll`] for a number without a sign: `None` for anything else, negative numbers
/// included.
#[inline(always)]
pub(crate) fn parse_len(s: &[u8]) -> Option<u64> {
    parse_digits(s).filter(|&v| v <= i64::MAX as u64)
}

/// Digits only, no leading zero (but "0"), within `u64`.
#[inline(always)]
fn parse_digits(s: &[u8]) -> Option<u64> {
    let (&first, rest) = s.split_first()?;
    let mut v = u64::from(first.wrapping_sub(b'0'));
    if v > 9 || (v == 0 && !rest.is_empty()) {
        return None;
    }
    if rest.len() < 19 {
        // At most 19 digits: below 10^19, so no u64 overflow is possible.
        for &c in rest {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + u64::from(d);
        }
    } else {
        for &c in rest {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
        }
    }
    Some(v)
}

/// A RESP3 double: `inf`, `-inf`, `nan`, `-nan` (any case), or a finite decimal number
/// with an optional exponent, parsed without regard to the C locale.
pub(crate) fn parse_double(line: &[u8]) -> Result<f64, ReadError> {
    if line.len() >= MAX_DOUBLE_LINE {
        return Err(ReadError::DoubleTooLarge);
    }
    if let Some(d) = short_decimal(line) {
        return Ok(d);
    }
    if line.eq_ignore_ascii_case(b"inf") {
        return Ok(f64::INFINITY);
    }
    if line.eq_ignore_ascii_case(b"-inf") {
        return Ok(f64::NEG_INFINITY);
    }
    if line.eq_ignore_ascii_case(b"nan") || line.eq_ignore_ascii_case(b"-nan") {
        return Ok(f64::NAN);
    }
    // Rust's parser also takes a leading '+' and "inf"/"nan" words, which hiredis refuses;
    // within this alphabet and without a leading '+' the two grammars agree.
    let ok_chars = line
        .iter()
        .all(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok_chars || line.first() == Some(&b'+') {
        return Err(ReadError::BadDouble);
    }
    let text = core::str::from_utf8(line).map_err(|_| ReadError::BadDouble)?;
    let d: f64 = text.parse().map_err(|_| ReadError::BadDouble)?;
    if !d.is_finite() {
        return Err(ReadError::BadDouble);
    }
    // hiredis refuses a nonzero number that rounds to zero (underflow).
    if d == 0.0 {
        let mantissa = line
            .split(|&c| c == b'e' || c == b'E')
            .next()
            .unwrap_or(line);
        if mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) {
            return Err(ReadError::BadDouble);
        }
    }
    Ok(d)
}

/// Powers of ten that are exact in an `f64`.
const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// The common short form `-?digits[.digits]` without an exponent, when its digits fit in 53
/// bits: then `m / 10^k` is one correctly rounded division of exact operands (Clinger's fast
/// path), so the result is bit-identical to a full parse. `None` sends the text to the full
/// parser (which also rejects what is malformed).
#[inline]
fn short_decimal(line: &[u8]) -> Option<f64> {
    let (neg, body) = match line.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, line),
    };
    if body.len() > 19 {
        return None;
    }
    let mut m: u64 = 0;
    let mut digits = 0;
    let mut dot = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            // At most 19 digits: no u64 overflow.
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if dot.is_none() => dot = Some(i),
            _ => return None,
        }
    }
    if digits == 0 || m > 1 << 53 {
        return None;
    }
    let scale = dot.map_or(0, |i| body.len() - i - 1);
    let v = m as f64 / POW10[scale];
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random-input rounds: a thousandth under Miri, which runs about a thousand times slower.
    fn rounds(n: usize) -> usize {
        if cfg!(miri) { n / 1000 } else { n }
    }

    /// `count` of `pieces` picked at random, one after another, and a random place to cut
    /// them.
    fn random_join(seed: &mut u64, pieces: &[&[u8]], count: usize) -> (Vec<u8>, usize) {
        let mut input = Vec::new();
        for _ in 0..count {
            xorshift(seed);
            input.extend_from_slice(pieces[(*seed % pieces.len() as u64) as usize]);
        }
        let cut = (*seed >> 32) as usize % (input.len() + 1);
        (input, cut)
    }

    /// The random tests' generator: one xorshift64 step on `seed`.
    fn xorshift(seed: &mut u64) {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
    }

    /// A reply tree built by [`Tree`]; `Arr` children are filled in by linking.
    #[derive(Clone, Debug, PartialEq)]
    enum V {
        Str(Kind, Vec<u8>),
        Int(i64),
        Dbl(u64, Vec<u8>),
        Nil(Kind),
        Bool(bool),
        Arr(Kind, Vec<Option<usize>>),
    }

    /// Builds into an arena; objects are arena indexes. Records (depth, idx) of each call.
    #[derive(Default)]
    struct Tree {
        nodes: Vec<V>,
        calls: Vec<(usize, Option<usize>)>,
        fail_at: Option<usize>,
    }

    impl Tree {
        fn add(&mut self, at: At<'_, usize>, v: V) -> Option<usize> {
            self.add_at(at.depth(), at.parent(), v)
        }

        fn add_at(&mut self, depth: usize, parent: Option<(usize, usize)>, v: V) -> Option<usize> {
            self.calls.push((depth, parent.map(|p| p.1)));
            if self.fail_at == Some(self.calls.len()) {
                return None;
            }
            self.nodes.push(v);
            let id = self.nodes.len() - 1;
            if let Some((parent, idx)) = parent {
                match &mut self.nodes[parent] {
                    V::Arr(_, kids) => {
                        assert!(kids[idx].is_none());
                        kids[idx] = Some(id);
                    }
                    other => panic!("parent is {other:?}"),
                }
            }
            Some(id)
        }

        /// A readable rendering of node `id`.
        fn show(&self, id: usize) -> String {
            match &self.nodes[id] {
                V::Str(k, s) => format!("{k:?}({})", String::from_utf8_lossy(s)),
                V::Int(v) => format!("Int({v})"),
                V::Dbl(bits, t) => {
                    format!(
                        "Dbl({},{})",
                        f64::from_bits(*bits),
                        String::from_utf8_lossy(t)
                    )
                }
                V::Nil(k) => format!("Nil({k:?})"),
                V::Bool(v) => format!("Bool({v})"),
                V::Arr(k, kids) => {
                    let inner: Vec<String> = kids
                        .iter()
                        .map(|c| c.map_or("?".into(), |c| self.show(c)))
                        .collect();
                    format!("{k:?}[{}]", inner.join(","))
                }
            }
        }
    }

    impl Builder for Tree {
        type Obj = usize;
        type Run = ();
        fn string(&mut self, at: At<'_, usize>, kind: Kind, s: &[u8]) -> Option<usize> {
            self.add(at, V::Str(kind, s.to_vec()))
        }
        fn array(&mut self, at: At<'_, usize>, kind: Kind, n: usize) -> Option<usize> {
            // Hostile counts are fine here: only allocate for small ones.
            let kids = if n <= 1 << 20 {
                vec![None; n]
            } else {
                Vec::new()
            };
            self.add(at, V::Arr(kind, kids))
        }
        fn integer(&mut self, at: At<'_, usize>, v: i64) -> Option<usize> {
            self.add(at, V::Int(v))
        }
        fn double(&mut self, at: At<'_, usize>, v: f64, text: &[u8]) -> Option<usize> {
            self.add(at, V::Dbl(v.to_bits(), text.to_vec()))
        }
        fn nil(&mut self, at: At<'_, usize>, kind: Kind) -> Option<usize> {
            self.add(at, V::Nil(kind))
        }
        fn boolean(&mut self, at: At<'_, usize>, v: bool) -> Option<usize> {
            self.add(at, V::Bool(v))
        }
    }

    /// [`Tree`] with [`Builder::SCALAR_RUNS`]: the parser must make the same calls.
    #[derive(Default)]
    struct RunsTree(Tree);

    impl Builder for RunsTree {
        type Obj = usize;
        /// The run's depth and parent.
        type Run = (usize, usize);
        const SCALAR_RUNS: bool = true;
        fn run_start(&mut self, at: At<'_, usize>) -> Option<(usize, usize)> {
            Some((at.depth(), at.parent()?.0))
        }
        fn run_item(&mut self, run: (usize, usize), idx: usize, item: Scalar<'_>) -> Option<usize> {
            let v = match item.kind {
                Kind::Integer => V::Int(item.int),
                k => V::Str(k, item.text.to_vec()),
            };
            self.0.add_at(run.0, Some((run.1, idx)), v)
        }
        fn string(&mut self, at: At<'_, usize>, kind: Kind, s: &[u8]) -> Option<usize> {
            self.0.string(at, kind, s)
        }
        fn array(&mut self, at: At<'_, usize>, kind: Kind, n: usize) -> Option<usize> {
            self.0.array(at, kind, n)
        }
        fn integer(&mut self, at: At<'_, usize>, v: i64) -> Option<usize> {
            self.0.integer(at, v)
        }
        fn double(&mut self, at: At<'_, usize>, v: f64, text: &[u8]) -> Option<usize> {
            self.0.double(at, v, text)
        }
        fn nil(&mut self, at: At<'_, usize>, kind: Kind) -> Option<usize> {
            self.0.nil(at, kind)
        }
        fn boolean(&mut self, at: At<'_, usize>, v: bool) -> Option<usize> {
            self.0.boolean(at, v)
        }
    }

    /// What a builder saw and made from `input` fed in `chunk`-byte pieces, until an error:
    /// the replies, the error, the builder calls and the positions after each call.
    type Outcome = (
        Vec<String>,
        Option<ReadError>,
        Vec<(usize, Option<usize>)>,
        Vec<usize>,
    );

    fn run_chunks_with<B: Builder<Obj = usize>>(
        input: &[u8],
        chunk: usize,
        maxelements: i64,
        b: &mut B,
        tree: fn(&B) -> &Tree,
    ) -> Outcome {
        let mut p: Parser<usize> = Parser::default();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        let mut pos = 0;
        let mut positions = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                let r = p.parse(&buf, &mut pos, maxelements, b);
                let t = tree(b);
                match r {
                    Ok(Some(id)) => out.push(t.show(id)),
                    Ok(None) => break,
                    Err(e) => return (out, Some(e), t.calls.clone(), positions),
                }
                positions.push(pos);
            }
            positions.push(pos);
        }
        (out, None, tree(b).calls.clone(), positions)
    }

    /// Everything parsed from `input` fed in `chunk`-byte pieces, until an error; the
    /// parser with scalar runs must agree in every respect.
    fn run_chunks(
        input: &[u8],
        chunk: usize,
        maxelements: i64,
    ) -> (Vec<String>, Option<ReadError>) {
        let plain = run_chunks_with(input, chunk, maxelements, &mut Tree::default(), |t| t);
        let runs = run_chunks_with(input, chunk, maxelements, &mut RunsTree::default(), |t| {
            &t.0
        });
        assert_eq!(
            plain,
            runs,
            "scalar runs, chunk {chunk}: {}",
            String::from_utf8_lossy(input)
        );
        (plain.0, plain.1)
    }

    /// Parses `input` whole and at every chunk size 1..=8; all must agree.
    fn parse_all(input: &[u8]) -> (Vec<String>, Option<ReadError>) {
        parse_all_max(input, (1 << 32) - 1)
    }

    fn parse_all_max(input: &[u8], maxelements: i64) -> (Vec<String>, Option<ReadError>) {
        let whole = run_chunks(input, input.len(), maxelements);
        for chunk in 1..=8 {
            assert_eq!(
                run_chunks(input, chunk, maxelements),
                whole,
                "chunk {chunk}"
            );
        }
        whole
    }

    fn one(input: &[u8]) -> String {
        let (out, err) = parse_all(input);
        assert_eq!(err, None, "{}", String::from_utf8_lossy(input));
        assert_eq!(out.len(), 1, "{}", String::from_utf8_lossy(input));
        out[0].clone()
    }

    fn err(input: &[u8]) -> String {
        String::from_utf8_lossy(parse_all(input).1.expect("an error").message().as_bytes())
            .into_owned()
    }

    #[test]
    fn scalars() {
        assert_eq!(one(b"+OK\r\n"), "Status(OK)");
        assert_eq!(one(b"-ERR x\r\n"), "Error(ERR x)");
        assert_eq!(one(b"+\r\n"), "Status()");
        assert_eq!(one(b":-42\r\n"), "Int(-42)");
        assert_eq!(one(b":0\r\n"), "Int(0)");
        assert_eq!(one(b"$5\r\nhe\r\no\r\n"), "String(he\r\no)");
        assert_eq!(one(b"$0\r\n\r\n"), "String()");
        assert_eq!(one(b"$-1\r\n"), "Nil(String)");
        assert_eq!(one(b"*-1\r\n"), "Nil(Array)");
        assert_eq!(one(b"%-1\r\n"), "Nil(Map)");
        assert_eq!(one(b"_\r\n"), "Nil(Nil)");
        assert_eq!(one(b"#t\r\n"), "Bool(true)");
        assert_eq!(one(b"#F\r\n"), "Bool(false)");
        assert_eq!(one(b",3.25\r\n"), "Dbl(3.25,3.25)");
        assert_eq!(one(b"=8\r\ntxt:abcd\r\n"), "Verb(txt:abcd)");
        assert_eq!(
            one(b"(-1234567890123456789012345678901234567890\r\n"),
            "BigNum(-1234567890123456789012345678901234567890)"
        );
        assert_eq!(one(b"(\r\n"), "BigNum()");
        // A lone LF is part of a line; only CR LF ends it.
        assert_eq!(one(b"$3\r\na\nb\r\n"), "String(a\nb)");
    }

    #[test]
    fn aggregates() {
        assert_eq!(one(b"*0\r\n"), "Array[]");
        assert_eq!(one(b"*2\r\n$1\r\na\r\n:1\r\n"), "Array[String(a),Int(1)]");
        assert_eq!(one(b"%1\r\n+k\r\n:2\r\n"), "Map[Status(k),Int(2)]");
        assert_eq!(one(b"~2\r\n#t\r\n_\r\n"), "Set[Bool(true),Nil(Nil)]");
        assert_eq!(one(b">2\r\n+a\r\n*0\r\n"), "Push[Status(a),Array[]]");
        assert_eq!(
            one(b"*3\r\n*2\r\n:1\r\n*1\r\n:2\r\n*-1\r\n,1e3\r\n"),
            "Array[Array[Int(1),Array[Int(2)]],Nil(Array),Dbl(1000,1e3)]"
        );
        // An attribute is a reply of its own; the annotated reply follows.
        let (out, e) = parse_all(b"|1\r\n+ttl\r\n:3\r\n+v\r\n");
        assert_eq!(e, None);
        assert_eq!(out, ["Attr[Status(ttl),Int(3)]", "Status(v)"]);
    }

    #[test]
    fn builder_positions() {
        let mut p: Parser<usize> = Parser::default();
        let mut t = Tree::default();
        let mut pos = 0;
        let input = b"*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n";
        assert!(p.parse(input, &mut pos, 0, &mut t).unwrap().is_some());
        assert_eq!(pos, input.len());
        assert_eq!(
            t.calls,
            [
                (0, None),
                (1, Some(0)),
                (2, Some(0)),
                (2, Some(1)),
                (1, Some(1))
            ]
        );
    }

    #[test]
    fn several_replies_and_partial_state() {
        let (out, e) = parse_all(b"+a\r\n:1\r\n*1\r\n+b\r\n");
        assert_eq!(e, None);
        assert_eq!(out, ["Status(a)", "Int(1)", "Array[Status(b)]"]);

        let mut p: Parser<usize> = Parser::default();
        let mut t = Tree::default();
        let mut pos = 0;
        let buf = b"*2\r\n:1\r\n$3\r\nab";
        assert_eq!(p.parse(buf, &mut pos, 0, &mut t), Ok(None));
        // The bulk's type byte is consumed; its length line is read again later.
        assert_eq!(pos, 9);
        assert_eq!(p.depth(), Some(1));
        assert_eq!(p.root(), Some(0));
        assert_eq!(p.reset(), Some(0));
        assert_eq!(p.depth(), None);
    }

    #[test]
    fn type_byte_errors() {
        assert_eq!(
            err(b"@foo\r\n"),
            "Protocol error, got \"@\" as reply type byte"
        );
        assert_eq!(
            err(b"\x01"),
            "Protocol error, got \"\\x01\" as reply type byte"
        );
        assert_eq!(
            err(b"\xff"),
            "Protocol error, got \"\\xff\" as reply type byte"
        );
        assert_eq!(
            err(b"\\"),
            "Protocol error, got \"\\\\\" as reply type byte"
        );
        assert_eq!(
            err(b"\""),
            "Protocol error, got \"\\\"\" as reply type byte"
        );
        assert_eq!(err(b"\n"), "Protocol error, got \"\\n\" as reply type byte");
        assert_eq!(err(b"\r"), "Protocol error, got \"\\r\" as reply type byte");
        assert_eq!(err(b"\t"), "Protocol error, got \"\\t\" as reply type byte");
        assert_eq!(
            err(b"\x07"),
            "Protocol error, got \"\\a\" as reply type byte"
        );
        assert_eq!(
            err(b"\x08"),
            "Protocol error, got \"\\b\" as reply type byte"
        );
        assert_eq!(err(b" "), "Protocol error, got \" \" as reply type byte");
        // Inside an aggregate, after a complete first element.
        let (out, e) = parse_all(b"*2\r\n:1\r\n!x\r\n");
        assert!(out.is_empty());
        assert_eq!(e, Some(ReadError::TypeByte(b'!')));
    }

    #[test]
    fn line_errors() {
        assert_eq!(err(b":1x\r\n"), "Bad integer value");
        assert_eq!(err(b":\r\n"), "Bad integer value");
        assert_eq!(err(b":-\r\n"), "Bad integer value");
        assert_eq!(err(b":-0\r\n"), "Bad integer value");
        assert_eq!(err(b":01\r\n"), "Bad integer value");
        assert_eq!(err(b":+1\r\n"), "Bad integer value");
        assert_eq!(err(b": 1\r\n"), "Bad integer value");
        assert_eq!(err(b"_x\r\n"), "Bad nil value");
        assert_eq!(err(b"#x\r\n"), "Bad bool value");
        assert_eq!(err(b"#tt\r\n"), "Bad bool value");
        assert_eq!(err(b"#\r\n"), "Bad bool value");
        assert_eq!(one(b"#\0\r\n"), "Bool(false)");
        assert_eq!(err(b"(12a\r\n"), "Bad bignum value");
        assert_eq!(err(b"(1-2\r\n"), "Bad bignum value");
        assert_eq!(err(b"+a\rb\r\n"), "Bad simple string value");
        assert_eq!(err(b"-a\nb\r\n"), "Bad simple string value");
        assert_eq!(err(b"$x\r\n"), "Bad bulk string length");
        assert_eq!(err(b"$-0\r\n"), "Bad bulk string length");
        assert_eq!(err(b"$-2\r\n"), "Bulk string length out of range");
        assert_eq!(
            err(b"=3\r\ntxt\r\n"),
            "Verbatim string 4 bytes of content type are missing or incorrectly encoded."
        );
        assert_eq!(
            err(b"=5\r\ntxt;a\r\n"),
            "Verbatim string 4 bytes of content type are missing or incorrectly encoded."
        );
        assert_eq!(err(b"*x\r\n"), "Bad multi-bulk length");
        assert_eq!(err(b"*-2\r\n"), "Multi-bulk length out of range");
        assert_eq!(err(b"%-2\r\n"), "Multi-bulk length out of range");
    }

    #[test]
    fn integer_bounds() {
        assert_eq!(one(b":9223372036854775807\r\n"), "Int(9223372036854775807)");
        assert_eq!(
            one(b":-9223372036854775808\r\n"),
            "Int(-9223372036854775808)"
        );
        assert_eq!(err(b":9223372036854775808\r\n"), "Bad integer value");
        assert_eq!(err(b":-9223372036854775809\r\n"), "Bad integer value");
        assert_eq!(err(b":99999999999999999999999\r\n"), "Bad integer value");
    }

    #[test]
    fn hostile_lengths() {
        // A huge bulk just waits for data; no overflow in the position arithmetic.
        assert_eq!(parse_all(b"$9223372036854775807\r\nab"), (vec![], None));
        // Map pair counts above LLONG_MAX/2 are refused before doubling.
        assert_eq!(
            parse_all_max(b"%4611686018427387904\r\n", 0).1,
            Some(ReadError::MultiBulkRange)
        );
        assert_eq!(
            parse_all_max(b"|4611686018427387904\r\n", 0).1,
            Some(ReadError::MultiBulkRange)
        );
        // Just below, the doubled count reaches the builder (which may fail to allocate).
        let mut p: Parser<usize> = Parser::default();
        let mut t = Tree::default();
        let mut pos = 0;
        let r = p.parse(b"%4611686018427387903\r\n", &mut pos, 0, &mut t);
        assert_eq!(r, Ok(None));
        assert_eq!(p.stack[0].elements, 9223372036854775806);
    }

    #[test]
    fn maxelements() {
        let mut big = b"*1024\r\n".to_vec();
        big.extend(b":1\r\n".repeat(1024));
        assert_eq!(run_chunks(&big, big.len(), 1024).1, None);
        assert_eq!(
            run_chunks(b"*1025\r\n", 7, 1024).1,
            Some(ReadError::MultiBulkRange)
        );
        // The raw pair count is compared, before doubling.
        assert_eq!(run_chunks(b"%3\r\n", 4, 3).1, None);
        assert_eq!(
            run_chunks(b"%4\r\n", 4, 3).1,
            Some(ReadError::MultiBulkRange)
        );
        // <= 0 means unlimited.
        assert_eq!(run_chunks(b"*4294967296\r\n", 13, 0).1, None);
        assert_eq!(run_chunks(b"*4294967296\r\n", 13, -1).1, None);
        assert_eq!(
            run_chunks(b"*4294967296\r\n", 13, (1 << 32) - 1).1,
            Some(ReadError::MultiBulkRange)
        );
    }

    #[test]
    #[cfg_attr(miri, ignore = "1024 levels fed a byte at a time: minutes under Miri")]
    fn nesting_limit() {
        // Rendering a 1024-deep tree recurses; give it room.
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(nesting_limit_body)
            .unwrap()
            .join()
            .unwrap();
    }

    fn nesting_limit_body() {
        let mut ok = b"*1\r\n".repeat(1024);
        ok.extend(b":7\r\n");
        let (out, e) = parse_all(&ok);
        assert_eq!(e, None);
        assert_eq!(out.len(), 1);
        assert!(out[0].starts_with("Array[Array["));

        let mut deep = b"*1\r\n".repeat(1024);
        deep.push(b'*');
        // Refused as soon as the 1025th aggregate's type byte is seen.
        assert_eq!(parse_all(&deep).1, Some(ReadError::MaxDepth));
        assert_eq!(ReadError::MaxDepth.message(), "Max nesting depth exceeded");
        // A scalar at depth 1024 is fine, and so is any type byte deeper than nothing.
        let mut deep_scalar = b"*1\r\n".repeat(1024);
        deep_scalar.extend(b"$1\r\nx\r\n");
        assert_eq!(parse_all(&deep_scalar).1, None);
    }

    #[test]
    fn builder_failure_is_oom() {
        let mut p: Parser<usize> = Parser::default();
        let mut t = Tree {
            fail_at: Some(3),
            ..Tree::default()
        };
        let mut pos = 0;
        let r = p.parse(b"*3\r\n:1\r\n:2\r\n:3\r\n", &mut pos, 0, &mut t);
        assert_eq!(r, Err(ReadError::Oom));
        assert_eq!(ReadError::Oom.message(), "Out of memory");
        // The partial root is still there for the caller to free.
        assert_eq!(p.reset(), Some(0));
    }

    fn dbl(text: &str) -> Result<u64, ReadError> {
        parse_double(text.as_bytes()).map(f64::to_bits)
    }

    #[test]
    fn doubles() {
        for (t, v) in [
            ("0", 0.0),
            ("-0", -0.0),
            ("1.5", 1.5),
            ("-2.25", -2.25),
            ("1e308", 1e308),
            ("5e-324", 5e-324),
            ("2.2250738585072014e-308", 2.2250738585072014e-308),
            ("1.7976931348623157e308", 1.7976931348623157e308),
            ("3.141592653589793", core::f64::consts::PI),
            (".5", 0.5),
            ("5.", 5.0),
            ("-.5", -0.5),
            ("1E+2", 100.0),
            ("1e-2", 0.01),
            ("0e999", 0.0),
            ("00012", 12.0),
        ] {
            assert_eq!(dbl(t), Ok(f64::to_bits(v)), "{t}");
        }
        // The short path agrees with the full parser bit for bit.
        for t in [
            "0.1",
            "0.3",
            "123.456",
            "-0.0",
            "9007199254740993",
            "9007199254740992.5",
            "0.000001",
            "1234567890.12345678",
            "5.",
            ".5",
            "0.1923",
            "3.14159265358979",
        ] {
            let full: f64 = t.parse().unwrap();
            assert_eq!(dbl(t), Ok(full.to_bits()), "{t}");
        }
        assert_eq!(short_decimal(b"."), None);
        assert_eq!(short_decimal(b"-"), None);
        assert_eq!(short_decimal(b"1.2.3"), None);
        assert_eq!(short_decimal(b"1e5"), None);
        assert_eq!(parse_double(b"inf"), Ok(f64::INFINITY));
        assert_eq!(parse_double(b"INF"), Ok(f64::INFINITY));
        assert_eq!(parse_double(b"-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_double(b"nan").unwrap().is_nan());
        assert!(parse_double(b"-NaN").unwrap().is_nan());
        for bad in [
            "1e400", "-1e400", "+inf", "+1", "1.2.3", "1e", "1e+", "+", ".", "-", "1,5", "abc",
            "3.14x", "", " 1", "1 ", "infinity", "inf ", "0x10", "1e-400", "2e-324", "--1", "e5",
        ] {
            assert_eq!(dbl(bad), Err(ReadError::BadDouble), "{bad:?}");
        }
        assert_eq!(parse_double(b"1\x002"), Err(ReadError::BadDouble));
        let long = format!("1.{}", "0".repeat(323));
        assert_eq!(parse_double(long.as_bytes()), Ok(1.0));
        let long = "1".repeat(326);
        assert_eq!(
            parse_double(long.as_bytes()),
            Err(ReadError::DoubleTooLarge)
        );
        // Through the parser, the builder gets the original text.
        assert_eq!(one(b",-0\r\n"), "Dbl(-0,-0)");
        assert_eq!(err(b",1e400\r\n"), "Bad double value");
        assert_eq!(err(b",inf\x00\r\n"), "Bad double value");
    }

    #[test]
    fn crlf_search() {
        assert_eq!(find_crlf(b"ab\r\n", 0), Some(2));
        assert_eq!(find_crlf(b"a\rb\r\n", 0), Some(3));
        assert_eq!(find_crlf(b"a\r", 0), None);
        assert_eq!(find_crlf(b"\r", 0), None);
        assert_eq!(find_crlf(b"", 0), None);
        assert_eq!(find_crlf(b"\r\n\r\n", 1), Some(2));
        assert_eq!(find_crlf(b"\r\r\n", 0), Some(1));
        assert_eq!(find_line(b"ab\r\n", 0), Some((2, true)));
        assert_eq!(find_line(b"a\nb\r\n", 0), Some((3, false)));
        assert_eq!(find_line(b"a\rb\r\n", 0), Some((3, false)));
        assert_eq!(find_line(b"a\nb\r", 0), None);
        assert_eq!(find_line(b"\n\r\n", 0), Some((1, false)));
        assert_eq!(find_line(b"x\r\n", 3), None);
        assert_eq!(find_line(b"x\r\n", 5), None);
    }

    /// Random streams of scalars, valid and broken: wherever the fast path accepts an item,
    /// the parser reads the same item and ends at the same position.
    #[test]
    fn only_top_level_scalars_are_waited_for() {
        for (input, want) in [
            (&b"+O"[..], TopLevel::Waiting(Kind::Status)),
            (b"$3\r\nab", TopLevel::Waiting(Kind::String)),
            (b":1", TopLevel::Waiting(Kind::Integer)),
            (b">2\r", TopLevel::Waiting(Kind::Push)),
            (b"*1\r\n+a", TopLevel::Busy),
            (b",1.", TopLevel::Waiting(Kind::Double)),
            (b"_", TopLevel::Waiting(Kind::Nil)),
            (b"+OK\r\n", TopLevel::Idle),
        ] {
            let mut parser = Parser::default();
            let (mut tree, mut pos) = (Tree::default(), 0);
            let _ = parser.parse(input, &mut pos, 0, &mut tree);
            assert_eq!(
                parser.top_level(),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        // The data of other kinds is never taken for a scalar's.
        for kind in [
            Kind::Push,
            Kind::Array,
            Kind::Map,
            Kind::Set,
            Kind::Attr,
            Kind::Double,
            Kind::Nil,
            Kind::Bool,
            Kind::BigNum,
            Kind::Verb,
        ] {
            for data in [&b"2\r\n"[..], b"\r\n", b"3\r\ntxt:\r\n", b"2"] {
                assert_eq!(scalar_data(kind, data, 0), None, "{kind:?}");
            }
        }
    }

    #[test]
    fn word_scan_agrees() {
        // Whatever the word scan finds, `scalar_at` finds too; and it finds the short shapes.
        let pieces: [&[u8]; 16] = [
            b"+OK\r\n",
            b"-ERR\r\n",
            b":1234567\r\n",
            b":12345678\r\n",
            b":-5\r\n",
            b":01\r\n",
            b":-0\r\n",
            b"$3\r\nabc\r\n",
            b"$0\r\n\r\n",
            b"$-1\r\n",
            b"$03\r\nabc\r\n",
            b"+a\rb\r\n",
            b"+a\nb\r\n",
            b"+\r\n",
            b":\r\n",
            b"\r\n\r",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut found = 0;
        for _ in 0..rounds(20_000).max(200) {
            let (input, cut) = random_join(&mut seed, &pieces, 3);
            let buf = &input[..cut];
            let at = (seed >> 16) as usize % 3;
            let Some((item, next)) = scalar_in_word(buf, at) else {
                continue;
            };
            found += 1;
            assert_eq!(
                scalar_at(buf, at),
                Some(Found::Whole(item, next)),
                "{:?} at {at}",
                String::from_utf8_lossy(buf)
            );
        }
        assert!(found > rounds(1000), "{found}");
        assert_eq!(
            scalar_in_word(b"+OK\r\n+OK\r\n", 0),
            Some((Scalar::text(Kind::Status, b"OK"), 5))
        );
        let int = scalar_in_word(b":1234567\r\n:", 0).map(|(s, n)| (s.int, n));
        assert_eq!(int, Some((1_234_567, 10)));
        assert_eq!(
            scalar_in_word(b"$3\r\nabc\r\n", 0),
            Some((Scalar::text(Kind::String, b"abc"), 9))
        );
        // A stray LF, a leading zero, a nil: not taken.
        assert_eq!(scalar_in_word(b"+a\nb\r\n+OK\r\n", 0), None);
        assert_eq!(scalar_in_word(b"$03\r\nabc\r\n", 0), None);
        assert_eq!(scalar_in_word(b"$-1\r\n+OK\r\n", 0), None);
    }

    #[test]
    fn short_scalars_agree() {
        // Whatever the run loop's readers find, `scalar_at` finds too; and they find the
        // shapes they are for.
        let pieces: [&[u8]; 24] = [
            b"$7\r\nfield00\r\n",
            b"$10\r\n0123456789\r\n",
            b"$0\r\n\r\n",
            b"$100\r\n",
            b"$123456\r\n",
            b"$03\r\nabc\r\n",
            b"$-1\r\n",
            b"$1\r\r\n",
            b"$1\n\r\n",
            b"$a\r\n",
            b"$1a\r\n",
            b":1000\r\n",
            b":0\r\n",
            b":-5\r\n",
            b":-0\r\n",
            b":01\r\n",
            b":-\r\n",
            b":123456\r\n",
            b":1234567\r\n",
            b":1\r\r\n",
            b":\r\n",
            b"+OK\r\n",
            b"abcdefghijklmnop",
            b"\r\n",
        ];
        let mut seed = 0x6a09_e667_f3bc_c908u64;
        let (mut bulks, mut ints) = (0, 0);
        for _ in 0..rounds(40_000).max(400) {
            let (input, cut) = random_join(&mut seed, &pieces, 4);
            let buf = &input[..cut];
            let at = (seed >> 16) as usize % 4;
            let show = || String::from_utf8_lossy(buf).into_owned();
            if let Some((text, next)) = short_bulk_at(buf, at) {
                bulks += 1;
                let want = Scalar::text(Kind::String, text);
                assert_eq!(
                    scalar_at(buf, at),
                    Some(Found::Whole(want, next)),
                    "{}",
                    show()
                );
            }
            if let Some((int, next)) = short_int_at(buf, at) {
                ints += 1;
                let want = Scalar {
                    kind: Kind::Integer,
                    text: &[],
                    int,
                };
                assert_eq!(
                    scalar_at(buf, at),
                    Some(Found::Whole(want, next)),
                    "{}",
                    show()
                );
            }
        }
        assert!(bulks > rounds(500) && ints > rounds(500), "{bulks} {ints}");
        let tail = b"\r\n+OK\r\n";
        let with_tail = |item: &[u8]| [item, &tail[..]].concat();
        assert_eq!(
            short_bulk_at(&with_tail(b"$10\r\n0123456789"), 0),
            Some((&b"0123456789"[..], 17))
        );
        assert_eq!(
            short_bulk_at(&with_tail(b"$3\r\nabc"), 0),
            Some((&b"abc"[..], 9))
        );
        let long = [&b"$123\r\n"[..], &[b'x'; 123]].concat();
        assert_eq!(
            short_bulk_at(&with_tail(&long), 0).map(|(t, n)| (t.len(), n)),
            Some((123, 131))
        );
        assert_eq!(short_int_at(b":-1234\r\n+OK\r\n", 0), Some((-1234, 8)));
        assert_eq!(short_int_at(b":0\r\n+OK\r\n+OK\r\n", 0), Some((0, 4)));
        // Leading zeros, "-0", a lone "-", a stray CR, a payload not all here: not taken.
        for bad in [
            &b"$03\r\nabc\r\n+OK\r\n"[..],
            b"$1\r\r\nab\r\n+OK",
            b"$5\r\nabc\r\n",
        ] {
            assert_eq!(
                short_bulk_at(bad, 0),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        for bad in [
            &b":01\r\n+OK\r\n"[..],
            b":-0\r\n+OK\r\n",
            b":-\r\n+OK\r\n+",
            b":1\r\r\n+OK\r\n",
        ] {
            assert_eq!(
                short_int_at(bad, 0),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn scalar_path_agrees_with_parser() {
        fn show(item: Scalar<'_>) -> String {
            let text = String::from_utf8_lossy(item.text);
            match item.kind {
                Kind::Status => format!("Status({text})"),
                Kind::Error => format!("Error({text})"),
                Kind::Integer => format!("Int({})", item.int),
                Kind::String => format!("String({text})"),
                k => panic!("not a fast-path kind: {k:?}"),
            }
        }
        let pieces: [&[u8]; 22] = [
            b"+OK\r\n",
            b"-ERR x\r\n",
            b":1234567\r\n",
            b":-5\r\n",
            b":0\r\n",
            b":01\r\n",
            b":-0\r\n",
            b"$3\r\nabc\r\n",
            b"$0\r\n\r\n",
            b"$-1\r\n",
            b"$03\r\nabc\r\n",
            b"+a\rb\r\n",
            b"+a\nb\r\n",
            b"$2\r\na\r\r\n",
            b"*1\r\n:1\r\n",
            b"_\r\n",
            b":9223372036854775807\r\n",
            b":9223372036854775808\r\n",
            b"$1\r\n",
            b"+",
            b"$10\r\n0123456789xy",
            b"\r\n",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut seen = [0usize; 4];
        let mut partial = 0;
        for _ in 0..rounds(20_000).max(200) {
            let (input, cut) = random_join(&mut seed, &pieces, 4);
            let buf = &input[..cut];
            let mut parser = Parser::default();
            let mut tree = Tree::default();
            let mut pos = 0;
            let (item, next) = match scalar_at(buf, 0) {
                None => continue,
                Some(Found::Whole(item, next)) => (item, next),
                Some(Found::Partial(kind)) => {
                    let got = parser.parse(buf, &mut pos, 0, &mut tree);
                    assert_eq!(got, Ok(None), "{:?}", String::from_utf8_lossy(buf));
                    // The parser read the type byte and waits for this kind...
                    assert_eq!((pos, parser.top_level()), (1, TopLevel::Waiting(kind)));
                    // ...and with the rest of the input it builds what the data at 1 gives.
                    let resumed = parser.parse(&input, &mut pos, 0, &mut tree);
                    match scalar_data(kind, &input, 1) {
                        Some(Found::Whole(item, next)) => {
                            let id = resumed.expect("accepted").expect("complete");
                            assert_eq!(tree.show(id), show(item));
                            assert_eq!(pos, next);
                        }
                        Some(Found::Partial(k)) => {
                            assert_eq!((k, resumed), (kind, Ok(None)));
                            assert_eq!(pos, 1);
                        }
                        None => {}
                    }
                    partial += 1;
                    continue;
                }
            };
            let got = parser.parse(buf, &mut pos, 0, &mut tree);
            seen[match item.kind {
                Kind::Status => 0,
                Kind::Error => 1,
                Kind::Integer => 2,
                _ => 3,
            }] += 1;
            let id = got.expect("the parser accepts it too").expect("complete");
            assert_eq!(
                tree.show(id),
                show(item),
                "{:?}",
                String::from_utf8_lossy(buf)
            );
            assert_eq!(pos, next, "{:?}", String::from_utf8_lossy(buf));
        }
        assert!(
            seen.iter().all(|&n| n > rounds(100)) && partial > rounds(100),
            "each shape taken often: {seen:?}, partial {partial}"
        );
    }

    #[test]
    fn word_marks_are_exact_at_the_lowest_byte() {
        // 0x0c above a CR is where the borrow can mark a byte that is no CR.
        let w = u64::from_le_bytes(*b"a\r\x0c\r\x0cxyz");
        assert_eq!(first_marked(bytes_equal(w, b'\r')), 1);
        assert_eq!(bytes_equal(u64::from_le_bytes(*b"abcdefgh"), b'\r'), 0);
        let w = u64::from_le_bytes(*b"\x0e\x0c\x0c\x0c\x0c\x0c\x0c\r");
        assert_eq!(first_marked(bytes_equal(w, b'\r')), 7);
    }

    /// Every placement of CR, LF and look-alike bytes in short buffers, against a plain scan.
    #[test]
    fn line_search_matches_a_plain_scan() {
        fn crlf_ref(buf: &[u8], from: usize) -> Option<usize> {
            (from..buf.len().saturating_sub(1)).find(|&i| buf[i] == b'\r' && buf[i + 1] == b'\n')
        }
        fn line_ref(buf: &[u8], from: usize) -> Option<(usize, bool)> {
            let at = crlf_ref(buf, from)?;
            Some((at, !buf[from..at].iter().any(|&c| c == b'\r' || c == b'\n')))
        }
        let alphabet = [b'a', b'\r', b'\n', 0x0c, 0x0e, 0x0b];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..rounds(200_000) {
            xorshift(&mut seed);
            let len = (seed % 20) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i % 16 * 4)) % alphabet.len() as u64) as usize])
                .collect();
            let from = ((seed >> 40) % 4) as usize;
            assert_eq!(
                find_crlf(&buf, from),
                crlf_ref(&buf, from),
                "crlf {buf:?} from {from}"
            );
            assert_eq!(
                find_line(&buf, from),
                line_ref(&buf, from),
                "line {buf:?} from {from}"
            );
        }
    }

    #[test]
    fn parse_ll_strict() {
        assert_eq!(parse_ll(b"0"), Some(0));
        assert_eq!(parse_ll(b"-1"), Some(-1));
        assert_eq!(parse_ll(b"10"), Some(10));
        assert_eq!(parse_ll(b"1234567890123456789"), Some(1234567890123456789));
        assert_eq!(parse_ll(b"-9999999999999999999"), None);
        assert_eq!(parse_ll(b"9999999999999999999"), None);
        for bad in [
            &b""[..],
            b"-",
            b"00",
            b"-0",
            b"+1",
            b"1 ",
            b"1a",
            b"1/",
            b"1:",
            b"18446744073709551616",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_ll(bad), None, "{bad:?}");
        }
    }

    /// Calls `f` with every string of up to `max_len` bytes from `alphabet`.
    fn every_string(alphabet: &[u8], max_len: u32, f: &mut impl FnMut(&[u8])) {
        let mut s = Vec::new();
        for len in 0..=max_len {
            for mut k in 0..alphabet.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                f(&s);
            }
        }
    }

    #[test]
    fn number_parse_agrees_with_reference() {
        // string2ll's rules over Rust's own parser.
        fn reference(s: &[u8]) -> Option<i64> {
            let t = std::str::from_utf8(s).ok()?;
            let digits = t.strip_prefix('-').unwrap_or(t);
            let strict = !digits.is_empty()
                && digits.bytes().all(|c| c.is_ascii_digit())
                && !(digits.len() > 1 && digits.starts_with('0'))
                && t != "-0";
            if strict { t.parse().ok() } else { None }
        }
        let alphabet = b"0123456789-+ \r";
        let mut check = |s: &[u8]| {
            assert_eq!(parse_ll(s), reference(s), "{s:?}");
            let unsigned = parse_ll(s).and_then(|v| u64::try_from(v).ok());
            assert_eq!(parse_len(s), unsigned, "{s:?}");
        };
        every_string(alphabet, if cfg!(miri) { 2 } else { 4 }, &mut check);
        for v in [
            i64::MAX,
            i64::MIN,
            -1,
            999_999_999_999_999_999,
            1_000_000_000_000_000_000,
        ] {
            check(v.to_string().as_bytes());
        }
        for t in [
            "9223372036854775808",
            "18446744073709551616",
            "99999999999999999999",
        ] {
            check(t.as_bytes());
        }
    }

    #[test]
    fn word_number_parse_agrees_with_plain() {
        // Every string of up to 4 bytes over digits and the bytes around them, then random
        // ones up to 10 bytes, each followed by CR LF and padding so words can be loaded.
        let alphabet = b"0123456789-/:+ \r\xff";
        let mut check = |s: &[u8]| {
            let mut buf = s.to_vec();
            buf.extend_from_slice(b"\r\n\0\0\0\0\0\0\0\0");
            assert_eq!(parse_ll_at(&buf, 0, s.len()), parse_ll(s), "{s:?}");
            // Without room for a word the plain parse is used.
            assert_eq!(parse_ll_at(s, 0, s.len()), parse_ll(s), "{s:?}");
        };
        let mut s = Vec::new();
        every_string(alphabet, if cfg!(miri) { 2 } else { 4 }, &mut check);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..rounds(200_000) {
            xorshift(&mut seed);
            let len = 1 + (seed % 10) as usize;
            s.clear();
            for i in 0..len {
                let r = (seed >> (i * 6)) as usize;
                // Mostly digits, so that many strings are numbers.
                s.push(if r % 8 == 0 {
                    alphabet[r / 8 % alphabet.len()]
                } else {
                    b'0' + (r / 8 % 10) as u8
                });
            }
            if seed >> 62 == 0 {
                s[0] = b'-';
            }
            check(&s);
        }
        for v in [
            0i64,
            1,
            -1,
            9,
            10,
            99_999_999,
            -99_999_999,
            12_345_678,
            -1_234_567,
        ] {
            check(v.to_string().as_bytes());
        }
    }

    #[test]
    fn byte_at_a_time_mixed_stream() {
        let input: &[u8] = b"*3\r\n$3\r\nfoo\r\n%1\r\n=9\r\nmkd:hello\r\n~1\r\n(12\r\n,-1.5\r\n\
            >2\r\n+message\r\n#f\r\n|1\r\n+a\r\n_\r\n:5\r\n-ERR no\r\n*2\r\n$-1\r\n*-1\r\n";
        let (out, e) = parse_all(input);
        assert_eq!(e, None);
        assert_eq!(
            out,
            [
                "Array[String(foo),Map[Verb(mkd:hello),Set[BigNum(12)]],Dbl(-1.5,-1.5)]",
                "Push[Status(message),Bool(false)]",
                "Attr[Status(a),Nil(Nil)]",
                "Int(5)",
                "Error(ERR no)",
                "Array[Nil(String),Nil(Array)]",
            ]
        );
    }
}

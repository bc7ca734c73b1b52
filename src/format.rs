//! Command formatting: printf-like formats and argv vectors to RESP multi-bulk commands.
//!
//! # API for the context modules (sync `redis(v)AppendCommand*`, async `redis(v)AsyncCommand*`)
//! - [`append_command_sds`]`(&mut obuf, fmt, &mut args)`: formats straight into the spare room
//!   of an [`Sds`] such as `c->obuf` (one `sdsMakeRoomFor`, no intermediate buffer) and returns
//!   `Result<len, FormatError>`; on error the content is unchanged. Store the handle back
//!   (it may have moved). For C callers, `args = unsafe { VaArgs::new(hirs_args_ptr) }`.
//! - [`append_argv_sds`]`(&mut obuf, argv_iter)`: the same for an argv; from C pointers build
//!   the iterator with `crate::ffi::format::c_argv(argc, argv, argvlen)` (`None` for bad
//!   arguments). Returns `Option<len>`, `None` meaning OOM.
//! - [`format_command`]`(fmt, &mut args) -> Result<HookBuf, FormatError>` and
//!   [`format_argv`]`(iter) -> Option<HookBuf>`: a fresh NUL-terminated `hi_malloc` block
//!   ([`HookBuf`], freed when dropped, or handed to C with `into_raw`), as
//!   `redisvFormatCommand` returns.
//!
//! Formatting is two steps: parsing pulls every argument and measures the command, then the
//! bytes are written front to back through a [`Fill`] into room of exactly that size. The
//! arguments come as slices ([`ArgSource`]: the C `va_list` side turns pointers into slices at
//! the boundary); `unsafe` is left only in the stack array's uninitialised slots and the
//! `snprintf` call ([`HookBuf`] is a [`RawBuf`] of bytes, filled through its `fill_with`).
//!
//! Errors are [`FormatError`]: `Oom` (hiredis's -1: set `REDIS_ERR_OOM` "Out of memory") or
//! `Invalid` (-2: hiredis sets `REDIS_ERR_OTHER` "Invalid format string"); `.code()` gives the
//! number.
//!
//! The format rules are hiredis 1.4.1's (spec §7.1): only spaces in the format split arguments,
//! `%s`, `%b`, `%%`, and printf directives (flags, width, precision, `hh`/`h`/`l`/`ll`, integer
//! and double conversions) rendered by the C library's `snprintf`, so locale rules match
//! (bare `%d`/`%i`/`%u` are printed in Rust: no locale affects them).
//! Where hiredis would crash (NULL `%s`, NULL `%b` with a length), the format is `Invalid`.

use core::ffi::{c_char, c_int, c_long, c_longlong, c_uint, c_ulonglong};
use core::mem::MaybeUninit;

use crate::alloc::RawBuf;
use crate::sds::{self, Fill, Sds};

/// Where the formatter gets its arguments: a C `va_list` in the library, a list in tests.
/// Byte arguments come as slices valid for `'a` (the whole formatting call).
pub(crate) trait ArgSource<'a> {
    /// A `%s` argument: the bytes of a C string; `None` for NULL.
    fn cstr(&mut self) -> Option<&'a [u8]>;
    /// A `%b` argument (a pointer, then a `size_t`): its bytes; `None` for NULL with a
    /// non-zero size.
    fn bytes(&mut self) -> Option<&'a [u8]>;
    /// An `%S` argument of `sdscatfmt`: the content of an sds; `None` for NULL.
    fn sds(&mut self) -> Option<&'a [u8]>;
    fn int(&mut self) -> c_int;
    fn uint(&mut self) -> c_uint;
    fn long(&mut self) -> c_long;
    fn llong(&mut self) -> c_longlong;
    fn ullong(&mut self) -> c_ulonglong;
    fn double(&mut self) -> f64;
}

/// Why a command could not be formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatError {
    /// Allocation failed or a size overflowed (hiredis returns -1).
    Oom,
    /// The format string has an unsupported directive (hiredis returns -2).
    Invalid,
}

impl FormatError {
    /// hiredis's return code for this error.
    pub(crate) fn code(self) -> c_int {
        match self {
            FormatError::Oom => -1,
            FormatError::Invalid => -2,
        }
    }
}

/// A stack array that spills to the heap past `N` items (most commands are short). The
/// inline part starts uninitialised: building a command must not pay for clearing it.
struct Small<T: Copy, const N: usize> {
    inline: [MaybeUninit<T>; N],
    len: usize,
    heap: Vec<T>,
}

impl<T: Copy, const N: usize> Small<T, N> {
    fn new() -> Self {
        Small {
            inline: [const { MaybeUninit::uninit() }; N],
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, v: T) {
        if self.len < N {
            self.inline[self.len].write(v);
        } else {
            if self.len == N {
                let mut heap = core::mem::take(&mut self.heap);
                heap.reserve(2 * N);
                heap.extend_from_slice(self.inline_init());
                self.heap = heap;
            }
            self.heap.push(v);
        }
        self.len += 1;
    }

    /// Appends `vs`: into the inline part while they fit, else everything moves to the heap
    /// (reserved fallibly: a huge printf width reports OOM, as hiredis does).
    fn extend_from_slice(&mut self, vs: &[T]) -> Result<(), FormatError> {
        let end = self.len + vs.len();
        if end <= N {
            for (slot, &v) in self.inline[self.len..end].iter_mut().zip(vs) {
                slot.write(v);
            }
        } else {
            if self.len <= N {
                let mut heap = core::mem::take(&mut self.heap);
                heap.try_reserve(end.max(2 * N))
                    .map_err(|_| FormatError::Oom)?;
                heap.extend_from_slice(self.inline_init());
                self.heap = heap;
            } else {
                self.heap
                    .try_reserve(vs.len())
                    .map_err(|_| FormatError::Oom)?;
            }
            self.heap.extend_from_slice(vs);
        }
        self.len = end;
        Ok(())
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The inline items pushed so far (all `N` once spilled).
    fn inline_init(&self) -> &[T] {
        let init = &self.inline[..self.len.min(N)];
        // SAFETY: `push` writes an inline item before counting it, and nothing un-writes
        // them, so the first `min(len, N)` are initialised; `MaybeUninit<T>` has `T`'s layout.
        unsafe { core::slice::from_raw_parts(init.as_ptr() as *const T, init.len()) }
    }

    fn as_slice(&self) -> &[T] {
        if self.len <= N {
            self.inline_init()
        } else {
            &self.heap
        }
    }
}

/// One piece of an argument's bytes.
#[derive(Clone, Copy)]
enum Piece<'a> {
    /// Bytes `start..end` of the format string.
    Lit(usize, usize),
    /// Bytes of a `%s`/`%b` argument.
    Ext(&'a [u8]),
    /// Bytes `start..end` of the printf scratch buffer.
    Printed(usize, usize),
    /// The current argument ends here.
    End,
}

/// A command parsed from a format: its arguments as pieces, not yet copied.
struct Parsed<'a> {
    pieces: Small<Piece<'a>, 24>,
    lens: Small<usize, 12>,
    /// What the printf directives printed: most fit inline, so a `%d` costs no allocation.
    scratch: Small<u8, 128>,
}

const INT_CONVS: &[u8] = b"diouxX";
const DOUBLE_CONVS: &[u8] = b"eEfFgGaA";
const FLAGS: &[u8] = b"#0-+ ";
/// hiredis copies a directive into a 16-byte buffer and silently skips longer ones.
const MAX_DIRECTIVE: usize = 14;

/// The value a printf directive consumes.
#[derive(Clone, Copy)]
enum Value {
    Int(c_int),
    Long(c_long),
    LLong(c_longlong),
    Double(f64),
}

/// Scans the printf directive starting at `fmt[at] == '%'`: returns the index of its
/// conversion letter and the vararg type it consumes, or `None` when hiredis rejects it.
fn scan_directive(fmt: &[u8], at: usize) -> Option<(usize, Kind)> {
    let mut p = at + 1;
    let byte = |i: usize| fmt.get(i).copied().unwrap_or(0);
    while p < fmt.len() && FLAGS.contains(&fmt[p]) {
        p += 1;
    }
    while byte(p).is_ascii_digit() {
        p += 1;
    }
    if byte(p) == b'.' {
        p += 1;
        while byte(p).is_ascii_digit() {
            p += 1;
        }
    }
    let c = byte(p);
    if c == 0 {
        return None;
    }
    if INT_CONVS.contains(&c) {
        return Some((p, Kind::Int));
    }
    if DOUBLE_CONVS.contains(&c) {
        return Some((p, Kind::Double));
    }
    let (skip, kind) = match (c, byte(p + 1)) {
        (b'h', b'h') => (2, Kind::Int), // char, promoted to int
        (b'h', _) => (1, Kind::Int),    // short, promoted to int
        (b'l', b'l') => (2, Kind::LLong),
        (b'l', _) => (1, Kind::Long),
        _ => return None,
    };
    p += skip;
    let c = byte(p);
    (c != 0 && INT_CONVS.contains(&c)).then_some((p, kind))
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Long,
    LLong,
    Double,
}

fn pull(args: &mut dyn ArgSource<'_>, kind: Kind) -> Value {
    match kind {
        Kind::Int => Value::Int(args.int()),
        Kind::Long => Value::Long(args.long()),
        Kind::LLong => Value::LLong(args.llong()),
        Kind::Double => Value::Double(args.double()),
    }
}

/// Renders one printf directive (`directive` without NUL) with `v`, appending to `out`.
fn render<const N: usize>(
    directive: &[u8],
    v: Value,
    out: &mut Small<u8, N>,
) -> Result<(), FormatError> {
    if let Some(n) = plain_decimal(directive, v) {
        if n < 0 {
            out.extend_from_slice(b"-")?;
        }
        // Every C integer magnitude fits in u64 (i64::MIN and u64::MAX included).
        let mut digits = [0u8; sds::LLSTR_SIZE];
        let len = sds::ull2str(&mut digits, n.unsigned_abs() as u64);
        return out.extend_from_slice(&digits[..len]);
    }
    let mut f = [0u8; MAX_DIRECTIVE + 2];
    f[..directive.len()].copy_from_slice(directive);
    let print = |buf: &mut [u8]| -> c_int {
        let (out, cap, f) = (
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
            f.as_ptr().cast(),
        );
        // SAFETY: `f` is a NUL-terminated directive whose conversion consumes exactly the
        // C type passed here (checked by `scan_directive`); `out` has `cap` writable bytes.
        unsafe {
            match v {
                Value::Int(x) => libc::snprintf(out, cap, f, x),
                Value::Long(x) => libc::snprintf(out, cap, f, x),
                Value::LLong(x) => libc::snprintf(out, cap, f, x),
                Value::Double(x) => libc::snprintf(out, cap, f, x),
            }
        }
    };
    // Most conversions fit a small stack buffer; a wide one is printed again, into the heap.
    let mut small = [0u8; 64];
    let n = usize::try_from(print(&mut small)).map_err(|_| FormatError::Oom)?;
    if n < small.len() {
        return out.extend_from_slice(&small[..n]);
    }
    let mut wide = Vec::new();
    wide.try_reserve(n + 1).map_err(|_| FormatError::Oom)?;
    wide.resize(n + 1, 0);
    if print(&mut wide) < 0 {
        return Err(FormatError::Oom);
    }
    out.extend_from_slice(&wide[..n])
}

/// The value of a bare `%d`/`%i`/`%u` (with an optional `hh`/`h`/`l`/`ll`) after C's
/// conversion to the directive's type: those print the same in every locale, so they skip
/// `snprintf`. `None` for anything with flags, width or precision, or another conversion.
fn plain_decimal(directive: &[u8], v: Value) -> Option<i128> {
    let (&conv, len_mod) = directive.get(1..)?.split_last()?;
    let signed = match conv {
        b'd' | b'i' => true,
        b'u' => false,
        _ => return None,
    };
    let n: i128 = match (len_mod, v) {
        (b"", Value::Int(x)) => {
            if signed {
                x as i128
            } else {
                x as u32 as i128
            }
        }
        (b"h", Value::Int(x)) => {
            if signed {
                x as i16 as i128
            } else {
                x as u16 as i128
            }
        }
        (b"hh", Value::Int(x)) => {
            if signed {
                x as i8 as i128
            } else {
                x as u8 as i128
            }
        }
        (b"l", Value::Long(x)) => {
            if signed {
                x as i128
            } else {
                x as u64 as i128
            }
        }
        (b"ll", Value::LLong(x)) => {
            if signed {
                x as i128
            } else {
                x as u64 as i128
            }
        }
        _ => return None,
    };
    Some(n)
}

/// Parses `fmt`, pulling every argument it names, and records where each RESP argument's
/// bytes come from.
fn parse<'a>(
    fmt: &[u8],
    args: &mut dyn ArgSource<'a>,
    out: &mut Parsed<'a>,
) -> Result<(), FormatError> {
    let n = fmt.len();
    let mut cur = 0usize; // bytes in the current argument
    let mut touched = false;
    let mut i = 0;
    while i < n {
        let c = fmt[i];
        if c == b' ' {
            if touched {
                out.pieces.push(Piece::End);
                out.lens.push(cur);
                cur = 0;
                touched = false;
            }
            i += 1;
            continue;
        }
        if c != b'%' || i + 1 == n {
            // A run of literal text up to the next space or directive (a final '%' is text).
            let mut end = match memchr::memchr2(b' ', b'%', &fmt[i + 1..]) {
                Some(k) => i + 1 + k,
                None => n,
            };
            if end + 1 == n && fmt[end] == b'%' {
                end = n;
            }
            out.pieces.push(Piece::Lit(i, end));
            cur += end - i;
            touched = true;
            i = end;
            continue;
        }
        match fmt[i + 1] {
            b's' => {
                // hiredis would crash in strlen on NULL; refuse instead.
                let b = args.cstr().ok_or(FormatError::Invalid)?;
                if !b.is_empty() {
                    out.pieces.push(Piece::Ext(b));
                    cur += b.len();
                }
                i += 2;
            }
            b'b' => {
                // hiredis would crash in memcpy on NULL with a length; refuse instead.
                let b = args.bytes().ok_or(FormatError::Invalid)?;
                if !b.is_empty() {
                    out.pieces.push(Piece::Ext(b));
                    cur = cur.checked_add(b.len()).ok_or(FormatError::Oom)?;
                }
                i += 2;
            }
            b'%' => {
                out.pieces.push(Piece::Lit(i, i + 1));
                cur += 1;
                i += 2;
            }
            _ => {
                let (conv, kind) = scan_directive(fmt, i).ok_or(FormatError::Invalid)?;
                let v = pull(args, kind);
                let dlen = conv + 1 - i;
                if dlen < MAX_DIRECTIVE {
                    let start = out.scratch.len();
                    render(&fmt[i..=conv], v, &mut out.scratch)?;
                    let end = out.scratch.len();
                    out.pieces.push(Piece::Printed(start, end));
                    cur += end - start;
                    i = conv + 1;
                } else {
                    // hiredis quirk: the value is consumed, nothing is printed and scanning
                    // resumes two characters after the '%'.
                    i += 2;
                }
            }
        }
        touched = true;
    }
    if touched {
        out.pieces.push(Piece::End);
        out.lens.push(cur);
    }
    Ok(())
}

/// Decimal digits of `v`.
fn digits(mut v: usize) -> usize {
    let mut d = 1;
    while v >= 10 {
        v /= 10;
        d += 1;
    }
    d
}

/// Bytes of one bulk string of `len` bytes: `$<len>\r\n<bytes>\r\n`.
fn bulk_len(len: usize) -> Option<usize> {
    len.checked_add(digits(len) + 5)
}

/// Writes `<prefix><v>\r\n`.
#[inline(always)]
fn put_header(w: &mut Fill<'_>, prefix: u8, mut v: usize) {
    let mut tmp = [0u8; 24];
    let mut k = tmp.len() - 2;
    tmp[k] = b'\r';
    tmp[k + 1] = b'\n';
    loop {
        k -= 1;
        tmp[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    k -= 1;
    tmp[k] = prefix;
    w.put(&tmp[k..]);
}

impl<'a> Parsed<'a> {
    #[inline(always)]
    fn new() -> Self {
        Parsed {
            pieces: Small::new(),
            lens: Small::new(),
            scratch: Small::new(),
        }
    }

    /// Parses `fmt`, pulling the arguments it names from `args`; returns the length of the
    /// command. (`self` is filled in place: it is large, and moving it would cost a copy.)
    fn measure(&mut self, fmt: &[u8], args: &mut dyn ArgSource<'a>) -> Result<usize, FormatError> {
        parse(fmt, args, self)?;
        let lens = self.lens.as_slice();
        let mut total = 1 + digits(lens.len()) + 2;
        for &l in lens {
            total = bulk_len(l)
                .and_then(|b| total.checked_add(b))
                .ok_or(FormatError::Oom)?;
        }
        Ok(total)
    }

    /// Writes the measured command for `fmt`, the format it was parsed from.
    #[inline(always)]
    fn write(&self, fmt: &[u8], w: &mut Fill<'_>) {
        let lens = self.lens.as_slice();
        put_header(w, b'*', lens.len());
        let mut arg = 0;
        let mut open = false;
        for piece in self.pieces.as_slice() {
            if !open {
                put_header(w, b'$', lens[arg]);
                open = true;
            }
            match *piece {
                Piece::Lit(a, b) => w.put(&fmt[a..b]),
                Piece::Ext(b) => w.put(b),
                Piece::Printed(a, b) => w.put(&self.scratch.as_slice()[a..b]),
                Piece::End => {
                    w.put(b"\r\n");
                    arg += 1;
                    open = false;
                }
            }
        }
    }
}

/// The length of the argv command for `args`, and the argument count.
#[inline(always)]
fn argv_total<'a>(args: impl Iterator<Item = &'a [u8]>) -> Option<(usize, usize)> {
    let mut argc = 0usize;
    let mut body = 0usize;
    for a in args {
        argc += 1;
        body = body.checked_add(bulk_len(a.len())?)?;
    }
    Some((body.checked_add(1 + digits(argc) + 2)?, argc))
}

/// Writes the argv command for the `argc` arguments `args`.
#[inline(always)]
fn write_argv<'a>(args: impl Iterator<Item = &'a [u8]>, argc: usize, w: &mut Fill<'_>) {
    put_header(w, b'*', argc);
    for a in args {
        put_header(w, b'$', a.len());
        w.put(a);
        w.put(b"\r\n");
    }
}

/// A `hi_malloc`-allocated, NUL-terminated command: freed when dropped, or handed to C with
/// [`HookBuf::into_raw`] (C frees it with `hi_free`). Its values are the command and the NUL.
pub(crate) struct HookBuf(RawBuf<u8>);

impl HookBuf {
    /// A block holding the `len` bytes `write` puts and a NUL; `None` on OOM.
    #[inline(always)]
    fn build(len: usize, write: impl FnOnce(&mut Fill<'_>)) -> Option<HookBuf> {
        crate::alloc::nul_terminated(len, write).map(HookBuf)
    }

    /// The command's length (the NUL not counted).
    pub(crate) fn len(&self) -> usize {
        self.0.len() - 1
    }

    /// The command's bytes and the NUL after them.
    #[cfg(test)]
    pub(crate) fn with_nul(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The command's bytes.
    #[cfg(test)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.with_nul()[..self.len()]
    }

    /// The block, for C.
    #[inline(always)]
    pub(crate) fn into_raw(self) -> *mut c_char {
        // The block (never empty: `RawBuf::into_raw`'s test for none is not needed) now
        // belongs to C.
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p.cast()
    }
}

/// `redisvFormatCommand` in Rust: the command in a fresh `hi_malloc` block.
pub(crate) fn format_command(
    fmt: &[u8],
    args: &mut dyn ArgSource<'_>,
) -> Result<HookBuf, FormatError> {
    let mut cmd = Parsed::new();
    let total = cmd.measure(fmt, args)?;
    HookBuf::build(total, |w| cmd.write(fmt, w)).ok_or(FormatError::Oom)
}

/// Appends the formatted command to `s` (e.g. `c->obuf`) without an intermediate copy.
/// Returns the command length. On error the content is unchanged (the handle may have moved
/// all the same: store it back).
pub(crate) fn append_command_sds(
    s: &mut Sds,
    fmt: &[u8],
    args: &mut dyn ArgSource<'_>,
) -> Result<usize, FormatError> {
    let mut cmd = Parsed::new();
    let total = cmd.measure(fmt, args)?;
    s.append_with(total, |w| cmd.write(fmt, w))
        .map_err(|_| FormatError::Oom)?;
    Ok(total)
}

/// `redisFormatCommandArgv` in Rust: the command in a fresh `hi_malloc` block.
pub(crate) fn format_argv<'a, I>(args: I) -> Option<HookBuf>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    let (total, argc) = argv_total(args.clone())?;
    HookBuf::build(total, |w| write_argv(args, argc, w))
}

/// Appends the argv command to `s`, like [`append_command_sds`]; `None` on OOM.
pub(crate) fn append_argv_sds<'a, I>(s: &mut Sds, args: I) -> Option<usize>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    let (total, argc) = argv_total(args.clone())?;
    s.append_with(total, |w| write_argv(args, argc, w)).ok()?;
    Some(total)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::ffi::CString;

    /// A test argument list, checked against the types the formatter asks for.
    pub(crate) enum Arg {
        S(CString),
        /// A NULL pointer (`%s`, `%S`, or `%b` with length 0).
        Null,
        /// `%b` bytes, or the content of an sds for `sdscatfmt`'s `%S`.
        B(Vec<u8>),
        I(c_int),
        L(c_long),
        LL(c_longlong),
        U(c_uint),
        Ull(c_ulonglong),
        D(f64),
    }

    pub(crate) struct ListArgs<'a> {
        args: &'a [Arg],
        next: usize,
    }

    impl<'a> ListArgs<'a> {
        pub(crate) fn new(args: &'a [Arg]) -> Self {
            ListArgs { args, next: 0 }
        }
        fn take(&mut self) -> &'a Arg {
            let a = &self.args[self.next];
            self.next += 1;
            a
        }
        pub(crate) fn consumed(&self) -> usize {
            self.next
        }
    }

    impl<'a> ArgSource<'a> for ListArgs<'a> {
        fn cstr(&mut self) -> Option<&'a [u8]> {
            match self.take() {
                Arg::S(s) => Some(s.as_bytes()),
                Arg::Null => None,
                _ => panic!("C string expected"),
            }
        }
        fn bytes(&mut self) -> Option<&'a [u8]> {
            match self.take() {
                Arg::B(b) => Some(b),
                Arg::Null => Some(&[]),
                _ => panic!("%b bytes expected"),
            }
        }
        fn sds(&mut self) -> Option<&'a [u8]> {
            match self.take() {
                Arg::B(b) => Some(b),
                Arg::Null => None,
                _ => panic!("sds expected"),
            }
        }
        fn int(&mut self) -> c_int {
            match self.take() {
                Arg::I(v) => *v,
                _ => panic!("int expected"),
            }
        }
        fn uint(&mut self) -> c_uint {
            match self.take() {
                Arg::U(v) => *v,
                _ => panic!("uint expected"),
            }
        }
        fn long(&mut self) -> c_long {
            match self.take() {
                Arg::L(v) => *v,
                _ => panic!("long expected"),
            }
        }
        fn llong(&mut self) -> c_longlong {
            match self.take() {
                Arg::LL(v) => *v,
                _ => panic!("long long expected"),
            }
        }
        fn ullong(&mut self) -> c_ulonglong {
            match self.take() {
                Arg::Ull(v) => *v,
                _ => panic!("unsigned long long expected"),
            }
        }
        fn double(&mut self) -> f64 {
            match self.take() {
                Arg::D(v) => *v,
                _ => panic!("double expected"),
            }
        }
    }

    pub(crate) fn s(v: &str) -> Arg {
        Arg::S(CString::new(v).unwrap())
    }

    fn fmt(f: &str, args: Vec<Arg>) -> Result<Vec<u8>, FormatError> {
        let mut a = ListArgs::new(&args);
        let r = format_command(f.as_bytes(), &mut a).map(|hb| {
            let v = hb.as_bytes().to_vec();
            assert_eq!(v.len(), hb.len());
            v
        });
        if r.is_ok() {
            assert_eq!(a.consumed(), args.len(), "every argument consumed");
        }
        r
    }

    fn ok(f: &str, args: Vec<Arg>, want: &[u8]) {
        assert_eq!(fmt(f, args).as_deref(), Ok(want), "format {f:?}");
    }

    #[test]
    fn no_interpolation() {
        ok(
            "SET foo bar",
            vec![],
            b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n",
        );
    }

    #[test]
    fn string_interpolation() {
        ok(
            "SET %s %s",
            vec![s("foo"), s("bar")],
            b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n",
        );
        ok(
            "SET %s %s",
            vec![s("foo"), s("")],
            b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$0\r\n\r\n",
        );
        ok(
            "SET %s %s",
            vec![s(""), s("foo")],
            b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\nfoo\r\n",
        );
    }

    #[test]
    fn binary_interpolation() {
        ok(
            "SET %b %b",
            vec![Arg::B(b"foo".to_vec()), Arg::B(b"b\0r".to_vec())],
            b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nb\0r\r\n",
        );
        ok(
            "SET %b %b",
            vec![Arg::B(b"foo".to_vec()), Arg::B(vec![])],
            b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$0\r\n\r\n",
        );
        ok("SET %b", vec![Arg::Null], b"*2\r\n$3\r\nSET\r\n$0\r\n\r\n");
    }

    #[test]
    fn literal_percent_and_trailing_percent() {
        ok(
            "SET %% %%",
            vec![],
            b"*3\r\n$3\r\nSET\r\n$1\r\n%\r\n$1\r\n%\r\n",
        );
        ok("SET a%", vec![], b"*2\r\n$3\r\nSET\r\n$2\r\na%\r\n");
        ok("%", vec![], b"*1\r\n$1\r\n%\r\n");
        ok("a %", vec![], b"*2\r\n$1\r\na\r\n$1\r\n%\r\n");
        ok("x%%y%", vec![], b"*1\r\n$4\r\nx%y%\r\n");
    }

    #[test]
    fn splitting_rules() {
        ok("", vec![], b"*0\r\n");
        ok("   ", vec![], b"*0\r\n");
        ok("  GET   key  ", vec![], b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
        ok("a\tb\r\nc", vec![], b"*1\r\n$6\r\na\tb\r\nc\r\n");
        ok("key:%s:x", vec![s("a b")], b"*1\r\n$9\r\nkey:a b:x\r\n");
        ok("%s", vec![s("")], b"*1\r\n$0\r\n\r\n");
        ok("%s %s", vec![s(""), s("")], b"*2\r\n$0\r\n\r\n$0\r\n\r\n");
        ok("%b%s", vec![Arg::B(vec![]), s("")], b"*1\r\n$0\r\n\r\n");
        ok(
            "%d%s-%b",
            vec![Arg::I(1), s("x"), Arg::B(b"y".to_vec())],
            b"*1\r\n$4\r\n1x-y\r\n",
        );
    }

    fn two(f: &str, first: Arg, want_first: &str) {
        let want = format!(
            "*2\r\n${}\r\n{}\r\n$5\r\nhello\r\n",
            want_first.len(),
            want_first
        );
        ok(f, vec![first, s("hello")], want.as_bytes());
    }

    #[test]
    fn printf_delegation() {
        two("key:%08d %s", Arg::I(1234), "key:00001234");
        two("key:%08hhd %s", Arg::I(13), "key:00000013");
        two("key:%08hd %s", Arg::I(1234), "key:00001234");
        two("key:%08ld %s", Arg::L(1234), "key:00001234");
        two("key:%08lld %s", Arg::LL(1234), "key:00001234");
        two("key:%08u %s", Arg::I(1234), "key:00001234");
        two("key:%08hhu %s", Arg::I(13), "key:00000013");
        two("key:%08hu %s", Arg::I(1234), "key:00001234");
        two("key:%08lu %s", Arg::L(1234), "key:00001234");
        two("key:%08llu %s", Arg::LL(1234), "key:00001234");
        two("key:%08.3f %s", Arg::D(1.5), "key:0001.500");
        two("key:%08.3f %s", Arg::D(1.5f32 as f64), "key:0001.500");
        two("%-5d| %s", Arg::I(42), "42   |");
        two("%+d %s", Arg::I(42), "+42");
        two("% d %s", Arg::I(42), " 42");
        two("%#x %s", Arg::I(255), "0xff");
        two("%X %s", Arg::I(255), "FF");
        two("%o %s", Arg::I(8), "10");
        two("%i %s", Arg::I(-7), "-7");
        two("%hhd %s", Arg::I(300), "44");
        two("%hd %s", Arg::I(70000), "4464");
        two("%u %s", Arg::I(-1), "4294967295");
        two("%lld %s", Arg::LL(i64::MIN), "-9223372036854775808");
        two("%lx %s", Arg::L(-1), "ffffffffffffffff");
        two("%e %s", Arg::D(12345.678), "1.234568e+04");
        two("%E %s", Arg::D(0.5), "5.000000E-01");
        two("%g %s", Arg::D(0.0001), "0.0001");
        two("%G %s", Arg::D(1e20), "1E+20");
        two("%a %s", Arg::D(1.0), "0x1p+0");
        two("%A %s", Arg::D(1.0), "0X1P+0");
        two("%F %s", Arg::D(f64::INFINITY), "INF");
        two("%f %s", Arg::D(f64::NAN), "nan");
        two("%.0f %s", Arg::D(2.5), "2");
        two("%.d %s", Arg::I(0), "");
        two("%d %s", Arg::I(i32::MIN), "-2147483648");
        two("%hhu %s", Arg::I(-1), "255");
        two("%hu %s", Arg::I(-1), "65535");
        two("%hd %s", Arg::I(40000), "-25536");
        two("%lu %s", Arg::L(-1), "18446744073709551615");
        two("%llu %s", Arg::LL(-1), "18446744073709551615");
        two("%lli %s", Arg::LL(i64::MIN), "-9223372036854775808");
        two("%li %s", Arg::L(0), "0");
    }

    #[test]
    fn wide_printf_output() {
        let want = format!("*1\r\n$300\r\n{}7\r\n", " ".repeat(299));
        ok("%300d", vec![Arg::I(7)], want.as_bytes());
    }

    #[test]
    fn long_directive_quirk() {
        // 14+ characters from '%' to the conversion: consumed, not printed, resume at '%'+2.
        ok(
            "%0000000000000000d!",
            vec![Arg::I(5)],
            b"*1\r\n$17\r\n000000000000000d!\r\n",
        );
        // 13 characters still print.
        ok(
            "%000000009.1f",
            vec![Arg::D(1.0)],
            b"*1\r\n$9\r\n0000001.0\r\n",
        );
        // Exactly 14: the quirk, and the next %s still gets its own argument.
        ok(
            "%0000000009.1f %s",
            vec![Arg::D(1.0), s("z")],
            b"*2\r\n$12\r\n000000009.1f\r\n$1\r\nz\r\n",
        );
    }

    #[test]
    fn rejected_directives() {
        for f in [
            "%c",
            "%08p %s",
            "%zu",
            "%lf",
            "%5s",
            "%*d",
            "%Lf",
            "%-",
            "key:%-",
            "%hhf",
            "%hs",
            "%llf",
            "%l",
            "%h",
            "%q",
            "% ",
            "%#",
            "%. %s",
            "%5.s",
            "%+-#0 12.34",
        ] {
            assert_eq!(
                fmt(f, vec![s("x"), s("y")]),
                Err(FormatError::Invalid),
                "format {f:?}"
            );
        }
        assert_eq!(fmt("%s", vec![Arg::Null]), Err(FormatError::Invalid));
    }

    #[test]
    fn many_arguments_spill_to_the_heap() {
        // More arguments and pieces than the inline storage holds.
        let n = 40;
        let f = vec!["k%d:%s"; n].join(" ");
        let mut args = Vec::new();
        let mut want: Vec<String> = Vec::new();
        for i in 0..n {
            args.push(Arg::I(i as c_int));
            args.push(s(&"v".repeat(i)));
            want.push(format!("k{i}:{}", "v".repeat(i)));
        }
        let got = fmt(&f, args).unwrap();
        let hb = format_argv(want.iter().map(|w| w.as_bytes())).unwrap();
        assert_eq!(got, hb.as_bytes());
        assert!(got.starts_with(b"*40\r\n$3\r\nk0:\r\n$4\r\nk1:v\r\n"));
    }

    #[test]
    fn argv_forms() {
        let argv: [&[u8]; 3] = [b"SET", b"foo\0xxx", b"bar"];
        let hb = format_argv(argv.iter().copied()).unwrap();
        assert_eq!(
            hb.as_bytes(),
            b"*3\r\n$3\r\nSET\r\n$7\r\nfoo\0xxx\r\n$3\r\nbar\r\n"
        );
        assert_eq!(hb.with_nul()[35..], [0], "NUL terminated");
        drop(hb);
        let hb = format_argv(core::iter::empty()).unwrap();
        assert_eq!(hb.as_bytes(), b"*0\r\n");
    }

    #[test]
    fn sds_append_forms() {
        let mut o = Sds::new(b"prefix").unwrap();
        let list = [s("k"), Arg::B(b"v\0".to_vec())];
        let mut a = ListArgs::new(&list);
        assert_eq!(append_command_sds(&mut o, b"SET %s %b", &mut a), Ok(28));
        let argv: [&[u8]; 1] = [b"PING"];
        assert_eq!(append_argv_sds(&mut o, argv.iter().copied()), Some(14));
        assert_eq!(
            o.as_bytes(),
            b"prefix*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv\0\r\n*1\r\n$4\r\nPING\r\n"
        );
        let mut a = ListArgs::new(&[]);
        assert_eq!(
            append_command_sds(&mut o, b"%c", &mut a),
            Err(FormatError::Invalid)
        );
        assert_eq!(o.len(), 6 + 28 + 14);
        o.free();
    }
}

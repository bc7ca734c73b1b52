//! The rest of hiredis's sds API on top of the core encoding: copying, trimming, comparing,
//! splitting, joining, number conversion, quoting and `sdscatfmt`'s mini-format. All of it is
//! safe code over the [`Sds`] handle's slices.

use core::ffi::{CStr, c_char, c_int};

use super::{Sds, as_uninit, req_type};
use crate::alloc::AllocError;
use crate::format::ArgSource;

/// Buffer size `sdsll2str`/`sdsull2str` need (20 digits, sign or NUL).
pub(crate) const LLSTR_SIZE: usize = 21;

impl Sds {
    /// `sdsgrowzero`: extends the string to `n` bytes with zeros (nothing when already that
    /// long). On OOM nothing changes.
    pub(crate) fn grow_zero(&mut self, n: usize) -> Result<(), AllocError> {
        let cur = self.len();
        if n <= cur {
            return Ok(());
        }
        // hiredis zeroes the new bytes and the NUL after them.
        self.append_with(n - cur, |w| w.zeros(n - cur))
    }

    /// `sdscpylen`: replaces the content with `t`. On OOM nothing changes.
    pub(crate) fn cpy(&mut self, t: &[u8]) -> Result<(), AllocError> {
        if self.alloc() < t.len() {
            self.make_room_for(t.len() - self.len())?;
        }
        let (mut h, room) = self.parts_mut();
        room[..t.len()].copy_from_slice(as_uninit(t));
        room[t.len()].write(0);
        h.set_len(t.len());
        Ok(())
    }

    /// `sdstrim`: drops leading and trailing bytes found in `cset`. Like hiredis (which uses
    /// `strchr`), a NUL byte always counts as part of the set.
    pub(crate) fn trim(&mut self, cset: &[u8]) {
        let in_set = |b: u8| b == 0 || cset.contains(&b);
        let b = self.as_bytes();
        let start = b.iter().position(|&c| !in_set(c)).unwrap_or(b.len());
        let end = b.iter().rposition(|&c| !in_set(c)).map_or(start, |e| e + 1);
        self.keep(start, end - start);
    }

    /// `sdsupdatelen`: sets the length to `strlen` of the string.
    pub(crate) fn update_len(&mut self) {
        // SAFETY: a live sds has a NUL inside its block (after the content, or earlier where
        // C wrote one, which is what this looks for).
        let n = unsafe { CStr::from_ptr(self.as_ptr()) }.count_bytes();
        // The new length only shrinks unless C wrote into the spare room and ended it with
        // a NUL: either way the bytes up to it are initialised.
        self.keep(0, n.min(self.alloc()));
    }

    /// `sdscmp`: `memcmp` of the common prefix, else the length difference (as hiredis, the
    /// `size_t` difference narrowed to `int`).
    pub(crate) fn cmp(&self, other: &Sds) -> c_int {
        let (a, b) = (self.as_bytes(), other.as_bytes());
        // The C libraries' `memcmp` (glibc's, musl's) returns the difference of the first
        // differing bytes, as unsigned chars: so does this.
        match a.iter().zip(b).find(|(x, y)| x != y) {
            Some((&x, &y)) => c_int::from(x) - c_int::from(y),
            None => a.len().wrapping_sub(b.len()) as c_int,
        }
    }

    /// Applies `f` to every byte (`sdstolower`/`sdstoupper` with [`c_tolower`]/[`c_toupper`]).
    pub(crate) fn map_bytes(&mut self, f: impl Fn(u8) -> u8) {
        for c in self.as_bytes_mut() {
            *c = f(*c);
        }
    }

    /// `sdsmapchars`: replaces each byte found in `from` by the byte at the same index in `to`.
    pub(crate) fn map_chars(&mut self, from: &[u8], to: &[u8]) {
        self.map_bytes(|c| match from.iter().position(|&f| f == c) {
            Some(i) => to[i],
            None => c,
        })
    }

    /// `sdscatrepr`: appends `p` quoted, with C escapes and `\xNN` for unprintable bytes.
    pub(crate) fn cat_repr(&mut self, p: &[u8]) -> Result<(), AllocError> {
        let mut out = Vec::with_capacity(p.len() + 2);
        out.push(b'"');
        for &c in p {
            match c {
                b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x07 => out.extend_from_slice(b"\\a"),
                0x08 => out.extend_from_slice(b"\\b"),
                _ if c_isprint(c) => out.push(c),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(&[
                        b'\\',
                        b'x',
                        HEX[(c >> 4) as usize],
                        HEX[(c & 15) as usize],
                    ]);
                }
            }
        }
        out.push(b'"');
        self.cat(&out).map(drop)
    }

    /// `sdsRemoveFreeSpace`: shrinks the block to the content (the header type may shrink
    /// too, down to type 5). On OOM nothing changes.
    pub(crate) fn remove_free_space(&mut self) -> Result<(), AllocError> {
        let n = self.len();
        self.resize(req_type(n), n)
    }

    /// `sdscatfmt`: appends `fmt` with `%s` (C string), `%S` (sds), `%i` (int), `%I` (long
    /// long), `%u` (unsigned), `%U` (unsigned long long); `%` followed by any other byte emits
    /// that byte. A final lone `%` ends the output (hiredis would read past the terminator).
    /// NULL `%s`/`%S` arguments append nothing (hiredis would crash). On OOM what was
    /// appended so far stays.
    pub(crate) fn cat_fmt(
        &mut self,
        fmt: &[u8],
        args: &mut dyn ArgSource<'_>,
    ) -> Result<(), AllocError> {
        let mut i = 0;
        let mut num = [0u8; LLSTR_SIZE];
        while i < fmt.len() {
            // Literal text up to the next '%' in one append.
            let lit_end = memchr::memchr(b'%', &fmt[i..]).map_or(fmt.len(), |k| i + k);
            let piece: &[u8] = if lit_end > i {
                let p = &fmt[i..lit_end];
                i = lit_end;
                p
            } else {
                let Some(&next) = fmt.get(i + 1) else { break };
                i += 2;
                match next {
                    b's' => args.cstr().unwrap_or(&[]),
                    b'S' => args.sds().unwrap_or(&[]),
                    b'i' => {
                        let n = ll2str(&mut num, args.int() as i64);
                        &num[..n]
                    }
                    b'I' => {
                        let n = ll2str(&mut num, args.llong());
                        &num[..n]
                    }
                    b'u' => {
                        let n = ull2str(&mut num, args.uint() as u64);
                        &num[..n]
                    }
                    b'U' => {
                        let n = ull2str(&mut num, args.ullong());
                        &num[..n]
                    }
                    _ => &fmt[i - 1..i],
                }
            };
            self.cat(piece)?;
        }
        Ok(())
    }
}

/// Frees a list of sds built so far (OOM paths).
fn free_all(items: Vec<Sds>) {
    for s in items {
        s.free();
    }
}

/// `sdssplitlen`: splits `s` on `sep` (non-empty); an empty `s` gives zero tokens. `None` on
/// OOM or an empty `sep`.
pub(crate) fn split_len(s: &[u8], sep: &[u8]) -> Option<Vec<Sds>> {
    if sep.is_empty() {
        return None;
    }
    let mut tokens = Vec::new();
    if !s.is_empty() {
        let mut start = 0;
        let mut j = 0;
        while j + sep.len() <= s.len() {
            if &s[j..j + sep.len()] == sep {
                let Some(t) = Sds::new(&s[start..j]) else {
                    free_all(tokens);
                    return None;
                };
                tokens.push(t);
                start = j + sep.len();
                j = start;
            } else {
                j += 1;
            }
        }
        let Some(t) = Sds::new(&s[start..]) else {
            free_all(tokens);
            return None;
        };
        tokens.push(t);
    }
    Some(tokens)
}

/// The C library's `<ctype.h>` functions hiredis's sds calls.
#[derive(Clone, Copy)]
enum Ctype {
    ToLower,
    ToUpper,
    IsPrint,
    IsSpace,
    IsXdigit,
}

/// The C library's `<ctype.h>` function `f` on `c` as hiredis passes it: the (signed) `char`
/// value, so locale rules match.
#[inline(always)]
fn ctype(f: Ctype, c: u8) -> c_int {
    let c = c as c_char as c_int;
    // SAFETY: glibc's ctype functions accept every signed char value (and EOF), which is all
    // `c` can be, and only read the locale's tables.
    unsafe {
        match f {
            Ctype::ToLower => libc::tolower(c),
            Ctype::ToUpper => libc::toupper(c),
            Ctype::IsPrint => libc::isprint(c),
            Ctype::IsSpace => libc::isspace(c),
            Ctype::IsXdigit => libc::isxdigit(c),
        }
    }
}

/// `tolower` as hiredis calls it.
pub(crate) fn c_tolower(c: u8) -> u8 {
    ctype(Ctype::ToLower, c) as u8
}

/// `toupper` as hiredis calls it.
pub(crate) fn c_toupper(c: u8) -> u8 {
    ctype(Ctype::ToUpper, c) as u8
}

fn c_isprint(c: u8) -> bool {
    ctype(Ctype::IsPrint, c) != 0
}

fn c_isspace(c: u8) -> bool {
    ctype(Ctype::IsSpace, c) != 0
}

fn c_isxdigit(c: u8) -> bool {
    ctype(Ctype::IsXdigit, c) != 0
}

/// `sdsull2str`: decimal digits of `v` into `buf`, NUL-terminated; returns the digit count.
pub(crate) fn ull2str(buf: &mut [u8; LLSTR_SIZE], mut v: u64) -> usize {
    let mut tmp = [0u8; LLSTR_SIZE];
    let mut k = tmp.len();
    loop {
        k -= 1;
        tmp[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let n = tmp.len() - k;
    buf[..n].copy_from_slice(&tmp[k..]);
    buf[n] = 0;
    n
}

/// `sdsll2str`: like [`ull2str`] with a leading '-' for negative values.
pub(crate) fn ll2str(buf: &mut [u8; LLSTR_SIZE], v: i64) -> usize {
    if v >= 0 {
        return ull2str(buf, v as u64);
    }
    let mut digits = [0u8; LLSTR_SIZE];
    let n = ull2str(&mut digits, v.unsigned_abs());
    buf[0] = b'-';
    buf[1..=n].copy_from_slice(&digits[..n]);
    buf[n + 1] = 0;
    n + 1
}

impl Sds {
    /// `sdsfromlonglong`.
    pub(crate) fn from_longlong(v: i64) -> Option<Sds> {
        let mut buf = [0u8; LLSTR_SIZE];
        let n = ll2str(&mut buf, v);
        Sds::new(&buf[..n])
    }
}

/// `hex_digit_to_int`: 0..15, 0 for anything else.
pub(crate) fn hex_digit_to_int(c: u8) -> c_int {
    (c as char).to_digit(16).map_or(0, |d| d as c_int)
}

/// `sdssplitargs`: splits a command line like redis-cli does (quotes, escapes, `\xNN`).
/// `Ok(None)` on unbalanced quotes or a closing quote followed by a non-space; an empty line
/// gives no arguments. `Err` on OOM.
pub(crate) fn split_args(line: &[u8]) -> Result<Option<Vec<Sds>>, AllocError> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut p = 0;
    loop {
        while at(p) != 0 && c_isspace(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            break;
        }
        let (mut inq, mut insq, mut done) = (false, false, false);
        let mut cur = Vec::new();
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\' && at(p + 1) == b'x' && c_isxdigit(at(p + 2)) && c_isxdigit(at(p + 3))
                {
                    cur.push(
                        (hex_digit_to_int(at(p + 2)) * 16 + hex_digit_to_int(at(p + 3))) as u8,
                    );
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        o => o,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !c_isspace(at(p + 1)) {
                        return Ok(None);
                    }
                    done = true;
                } else if c == 0 {
                    return Ok(None);
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !c_isspace(at(p + 1)) {
                        return Ok(None);
                    }
                    done = true;
                } else if c == 0 {
                    return Ok(None);
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => cur.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        args.push(cur);
    }
    let mut out = Vec::with_capacity(args.len());
    for a in &args {
        let Some(s) = Sds::new(a) else {
            free_all(out);
            return Err(AllocError);
        };
        out.push(s);
    }
    Ok(Some(out))
}

/// `sdsjoin`/`sdsjoinsds`: a new sds with `parts` separated by `sep`; `None` on OOM.
pub(crate) fn join<'a>(parts: impl Iterator<Item = &'a [u8]>, sep: &[u8]) -> Option<Sds> {
    let mut s = Sds::empty()?;
    for (j, part) in parts.enumerate() {
        let r = if j > 0 { s.cat(sep) } else { Ok(0) };
        if r.and_then(|_| s.cat(part)).is_err() {
            s.free();
            return None;
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::tests::{Arg, ListArgs, s as cs};
    use crate::sds::TYPE_5;

    fn new(b: &[u8]) -> Sds {
        Sds::new(b).unwrap()
    }

    #[test]
    fn grow_copy_trim() {
        let mut s = new(b"ab");
        s.grow_zero(5).unwrap();
        assert_eq!(s.as_bytes(), b"ab\0\0\0");
        s.grow_zero(3).unwrap();
        assert_eq!(s.len(), 5);
        s.cpy(b"a").unwrap();
        assert_eq!(s.as_bytes(), b"a");
        s.cpy(b"xyzxxxxxxxxxxyyyyyyyyyykkkkkkkkkk").unwrap();
        assert_eq!(s.len(), 33);
        s.free();
        // A type-5 string copies in place when the new content fits.
        let mut s = new(b"hello");
        let before = s.as_ptr();
        s.cpy(b"hi").unwrap();
        assert_eq!((s.as_bytes(), s.as_ptr()), (&b"hi"[..], before));
        assert_eq!(s.ty(), TYPE_5);
        s.free();
        for (input, set, want) in [
            (&b" x "[..], &b" x"[..], &b""[..]),
            (b" x ", b" ", b"x"),
            (b"xxciaoyyy", b"xy", b"ciao"),
            (b"\0ab\0", b"", b"ab"),
            (b"", b"a", b""),
        ] {
            let mut s = new(input);
            s.trim(set);
            assert_eq!(s.as_bytes(), want);
            s.free();
        }
    }

    #[test]
    fn update_len_stops_at_the_first_nul() {
        let mut s = new(b"foobar");
        s.as_bytes_mut()[2] = 0;
        s.update_len();
        assert_eq!(s.as_bytes(), b"fo");
        s.free();
    }

    #[test]
    fn compare_and_case() {
        let (a, b, mut c) = (new(b"foo"), new(b"foa"), new(b"foobar"));
        assert!(a.cmp(&b) > 0);
        assert!(b.cmp(&a) < 0);
        assert_eq!(a.cmp(&a), 0);
        assert_eq!(a.cmp(&c), -3);
        assert_eq!(c.cmp(&a), 3);
        c.map_bytes(c_toupper);
        assert_eq!(c.as_bytes(), b"FOOBAR");
        c.map_bytes(c_tolower);
        assert_eq!(c.as_bytes(), b"foobar");
        c.map_chars(b"ob", b"01");
        assert_eq!(c.as_bytes(), b"f001ar");
        for s in [a, b, c] {
            s.free();
        }
    }

    #[test]
    fn numbers() {
        let mut buf = [0u8; LLSTR_SIZE];
        assert_eq!(ll2str(&mut buf, i64::MIN), 20);
        assert_eq!(&buf[..21], b"-9223372036854775808\0");
        assert_eq!(ll2str(&mut buf, 0), 1);
        assert_eq!(&buf[..2], b"0\0");
        assert_eq!(ull2str(&mut buf, u64::MAX), 20);
        assert_eq!(&buf[..21], b"18446744073709551615\0");
        let s = Sds::from_longlong(-123).unwrap();
        assert_eq!(s.as_bytes(), b"-123");
        s.free();
        let hex: Vec<c_int> = b"09afAFgx".iter().map(|&c| hex_digit_to_int(c)).collect();
        assert_eq!(hex, [0, 9, 10, 15, 10, 15, 0, 0]);
    }

    fn tokens(v: Vec<Sds>) -> Vec<Vec<u8>> {
        v.into_iter()
            .map(|s| {
                let b = s.as_bytes().to_vec();
                s.free();
                b
            })
            .collect()
    }

    #[test]
    fn split_len_cases() {
        type Case<'a> = (&'a [u8], &'a [u8], &'a [&'a [u8]]);
        let cases: &[Case] = &[
            (b"a,b,,c", b",", &[b"a", b"b", b"", b"c"]),
            (b"foo_-_bar", b"_-_", &[b"foo", b"bar"]),
            (b"abc", b"abcd", &[b"abc"]),
            (b",", b",", &[b"", b""]),
            (b"", b",", &[]),
        ];
        for &(input, sep, want) in cases {
            assert_eq!(tokens(split_len(input, sep).unwrap()), want, "{input:?}");
        }
        assert!(split_len(b"abc", b"").is_none());
    }

    #[test]
    fn split_args_cases() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"set foo bar", &[b"set", b"foo", b"bar"]),
            (
                b"  a\t\"b c\"  'd\\'e' \"\\x41\\n\\q\" ",
                &[b"a", b"b c", b"d'e", b"A\nq"],
            ),
            (b"", &[]),
            (b"   ", &[]),
            (b"\"\"", &[b""]),
            (b"a\x0bb", &[b"a\x0bb"]),
        ];
        for &(line, want) in cases {
            assert_eq!(tokens(split_args(line).unwrap().unwrap()), want, "{line:?}");
        }
        for bad in [&b"\"abc"[..], b"'abc", b"\"a\"b", b"'a'b"] {
            assert!(matches!(split_args(bad), Ok(None)), "{bad:?}");
        }
    }

    #[test]
    fn repr_join_remove_free_space() {
        let mut s = Sds::empty().unwrap();
        s.cat_repr(b"a\"\\\n\r\t\x07\x08\x01\xff ").unwrap();
        assert_eq!(s.as_bytes(), b"\"a\\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff \"");
        s.free();
        let parts: [&[u8]; 3] = [b"a", b"", b"c"];
        let s = join(parts.iter().copied(), b", ").unwrap();
        assert_eq!(s.as_bytes(), b"a, , c");
        s.free();
        let s = join(core::iter::empty(), b"-").unwrap();
        assert_eq!(s.len(), 0);
        s.free();

        let mut s = new(b"hello");
        s.make_room_for(100).unwrap();
        assert!(s.alloc() >= 105);
        s.remove_free_space().unwrap();
        assert_eq!(s.ty(), TYPE_5);
        assert_eq!(s.as_bytes(), b"hello");
        assert_eq!(s.alloc_size(), 1 + 5 + 1);
        s.free();
        let mut s = new(&[b'x'; 40]);
        s.make_room_for(100).unwrap();
        s.remove_free_space().unwrap();
        assert_eq!(s.alloc(), 40);
        assert_eq!(s.alloc_size(), 3 + 40 + 1);
        s.free();
    }

    #[test]
    fn cat_fmt_directives() {
        let list = [
            cs("Hi!"),
            Arg::LL(i64::MIN),
            Arg::LL(i64::MAX),
            Arg::U(u32::MAX),
            Arg::Ull(u64::MAX),
            Arg::I(-5),
            Arg::B(b"sds!".to_vec()),
        ];
        let mut a = ListArgs::new(&list);
        let mut s = new(b"--");
        s.cat_fmt(b"Hello %s World %I,%I--%u,%U %i %S %% %x%", &mut a)
            .unwrap();
        assert_eq!(
            s.as_bytes(),
            b"--Hello Hi! World -9223372036854775808,9223372036854775807--4294967295,18446744073709551615 -5 sds! % x"
        );
        assert_eq!(a.consumed(), 7);
        s.free();
    }
}

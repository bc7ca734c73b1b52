//! The rest of hiredis's sds API on top of the core encoding: copying, trimming, comparing,
//! splitting, joining, number conversion, quoting and `sdscatfmt`'s mini-format.
//!
//! As in the parent module, every `unsafe fn` taking an `Sds` requires a live sds that
//! nobody else mutates meanwhile; functions returning an `Sds` return NULL on OOM.

use core::ffi::{CStr, c_char, c_int, c_void};
use core::ptr;

use super::{
    Sds, alloc, as_bytes, cat_len, empty, flags, free, hdr_size, len, make_room_for, new_len,
    req_type, set_len,
};
use crate::alloc as hooks;
use crate::format::ArgSource;

/// Buffer size `sdsll2str`/`sdsull2str` need (20 digits, sign or NUL).
pub(crate) const LLSTR_SIZE: usize = 21;

/// `sdsgrowzero`: extends `s` to `n` bytes with zeros (no-op when already that long).
///
/// # Safety
/// `s` is a live sds; the old pointer is dead after a non-NULL return.
pub(crate) unsafe fn grow_zero(s: Sds, n: usize) -> Sds {
    // SAFETY: after make_room_for there are `n - cur` spare bytes plus the NUL.
    unsafe {
        let cur = len(s);
        if n <= cur {
            return s;
        }
        let s = make_room_for(s, n - cur);
        if s.is_null() {
            return s;
        }
        ptr::write_bytes((s as *mut u8).add(cur), 0, n - cur + 1);
        set_len(s, n);
        s
    }
}

/// `sdscpylen`: replaces the content of `s` with `t`.
///
/// # Safety
/// As [`grow_zero`].
pub(crate) unsafe fn cpy_len(s: Sds, t: &[u8]) -> Sds {
    // SAFETY: after the optional growth the capacity holds `t` and the NUL.
    unsafe {
        let mut s = s;
        if alloc(s) < t.len() {
            s = make_room_for(s, t.len() - len(s));
            if s.is_null() {
                return s;
            }
        }
        ptr::copy(t.as_ptr(), s as *mut u8, t.len());
        *(s as *mut u8).add(t.len()) = 0;
        set_len(s, t.len());
        s
    }
}

/// `sdstrim`: drops leading and trailing bytes found in `cset`. Like hiredis (which uses
/// `strchr`), a NUL byte always counts as part of the set.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn trim(s: Sds, cset: &[u8]) {
    let in_set = |b: u8| b == 0 || cset.contains(&b);
    // SAFETY: `s` is live; the kept range lies within its content.
    unsafe {
        let b = as_bytes(s);
        let start = b.iter().position(|&c| !in_set(c)).unwrap_or(b.len());
        let end = b.iter().rposition(|&c| !in_set(c)).map_or(start, |e| e + 1);
        let n = end - start;
        ptr::copy((s as *const u8).add(start), s as *mut u8, n);
        *(s as *mut u8).add(n) = 0;
        set_len(s, n);
    }
}

/// `sdsupdatelen`: sets the length to `strlen(s)`.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn update_len(s: Sds) {
    // SAFETY: an sds always has a NUL within its block.
    unsafe { set_len(s, CStr::from_ptr(s).count_bytes()) }
}

/// `sdscmp`: `memcmp` of the common prefix, else the length difference (as hiredis, the
/// `size_t` difference narrowed to `int`).
///
/// # Safety
/// Both are live sds.
pub(crate) unsafe fn cmp(a: Sds, b: Sds) -> c_int {
    // SAFETY: both have at least `min` content bytes.
    unsafe {
        let (la, lb) = (len(a), len(b));
        let c = libc::memcmp(a as *const c_void, b as *const c_void, la.min(lb));
        if c == 0 {
            la.wrapping_sub(lb) as c_int
        } else {
            c
        }
    }
}

/// Copies `items` into a hook-allocated array (at least one slot, so never NULL on
/// success), freeing the items on OOM. This is what `sdssplitlen`/`sdssplitargs` return.
fn hook_array(items: Vec<Sds>) -> Option<*mut Sds> {
    let p = hooks::malloc(items.len().max(1) * size_of::<Sds>()) as *mut Sds;
    if p.is_null() {
        for s in items {
            // SAFETY: each item is a live sds owned here.
            unsafe { free(s) };
        }
        return None;
    }
    // SAFETY: `p` has room for `items.len()` pointers.
    unsafe { ptr::copy_nonoverlapping(items.as_ptr(), p, items.len()) };
    Some(p)
}

/// Frees a list of sds built so far (OOM paths).
fn free_all(items: Vec<Sds>) {
    for s in items {
        // SAFETY: each item is a live sds owned by the caller's list.
        unsafe { free(s) };
    }
}

/// `sdssplitlen`: splits `s` on `sep` (non-empty); an empty `s` gives zero tokens. Returns
/// the hook-allocated token array and the count, `None` on OOM or an empty `sep`.
pub(crate) fn split_len(s: &[u8], sep: &[u8]) -> Option<(*mut Sds, usize)> {
    if sep.is_empty() {
        return None;
    }
    let mut tokens = Vec::new();
    if !s.is_empty() {
        let mut start = 0;
        let mut j = 0;
        while j + sep.len() <= s.len() {
            if &s[j..j + sep.len()] == sep {
                let t = new_len(&s[start..j]);
                if t.is_null() {
                    free_all(tokens);
                    return None;
                }
                tokens.push(t);
                start = j + sep.len();
                j = start;
            } else {
                j += 1;
            }
        }
        let t = new_len(&s[start..]);
        if t.is_null() {
            free_all(tokens);
            return None;
        }
        tokens.push(t);
    }
    let n = tokens.len();
    hook_array(tokens).map(|p| (p, n))
}

/// `sdsfreesplitres`.
///
/// # Safety
/// `tokens` is NULL or an array from [`split_len`]/[`split_args`] with `count` live sds.
pub(crate) unsafe fn free_split_res(tokens: *mut Sds, count: usize) {
    if tokens.is_null() {
        return;
    }
    // SAFETY: the caller promises `count` live tokens in a hook-allocated array.
    unsafe {
        for j in (0..count).rev() {
            free(*tokens.add(j));
        }
        hooks::free(tokens as *mut c_void);
    }
}

/// Applies `f` to every byte of `s` (`sdstolower`/`sdstoupper` with the C library's
/// locale-aware `tolower`/`toupper`).
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn map_bytes(s: Sds, f: impl Fn(u8) -> u8) {
    // SAFETY: `s` has `len(s)` content bytes and nobody else holds them.
    let b = unsafe { core::slice::from_raw_parts_mut(s as *mut u8, len(s)) };
    for c in b {
        *c = f(*c);
    }
}

/// `tolower`/`toupper` as hiredis calls them: on the (signed) `char` value.
pub(crate) fn c_tolower(c: u8) -> u8 {
    // SAFETY: glibc's tolower accepts every signed char value.
    unsafe { libc::tolower(c as c_char as c_int) as u8 }
}

pub(crate) fn c_toupper(c: u8) -> u8 {
    // SAFETY: as in `c_tolower`.
    unsafe { libc::toupper(c as c_char as c_int) as u8 }
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

/// `sdsfromlonglong`.
pub(crate) fn from_longlong(v: i64) -> Sds {
    let mut buf = [0u8; LLSTR_SIZE];
    let n = ll2str(&mut buf, v);
    new_len(&buf[..n])
}

/// `hex_digit_to_int`: 0..15, 0 for anything else.
pub(crate) fn hex_digit_to_int(c: u8) -> c_int {
    (c as char).to_digit(16).map_or(0, |d| d as c_int)
}

fn c_isprint(c: u8) -> bool {
    // SAFETY: glibc's ctype functions accept every signed char value.
    unsafe { libc::isprint(c as c_char as c_int) != 0 }
}

fn c_isspace(c: u8) -> bool {
    // SAFETY: as in `c_isprint`.
    unsafe { libc::isspace(c as c_char as c_int) != 0 }
}

fn c_isxdigit(c: u8) -> bool {
    // SAFETY: as in `c_isprint`.
    unsafe { libc::isxdigit(c as c_char as c_int) != 0 }
}

/// `sdscatrepr`: appends `p` quoted, with C escapes and `\xNN` for unprintable bytes.
///
/// # Safety
/// As [`grow_zero`].
pub(crate) unsafe fn cat_repr(s: Sds, p: &[u8]) -> Sds {
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
    // SAFETY: forwarded promise.
    unsafe { cat_len(s, &out) }
}

/// `sdssplitargs`: splits a command line like redis-cli does (quotes, escapes, `\xNN`).
/// `Ok(None)` on unbalanced quotes or a closing quote followed by a non-space; an empty line
/// gives an empty (but allocated) array. `Err(())` on OOM.
pub(crate) fn split_args(line: &[u8]) -> Result<Option<(*mut Sds, usize)>, ()> {
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
        let s = new_len(a);
        if s.is_null() {
            free_all(out);
            return Err(());
        }
        out.push(s);
    }
    let n = out.len();
    hook_array(out).map(|p| Some((p, n))).ok_or(())
}

/// `sdsmapchars`: replaces each byte found in `from` by the byte at the same index in `to`.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn map_chars(s: Sds, from: &[u8], to: &[u8]) {
    // SAFETY: forwarded promise.
    unsafe {
        map_bytes(s, |c| match from.iter().position(|&f| f == c) {
            Some(i) => to[i],
            None => c,
        })
    }
}

/// `sdsjoin`/`sdsjoinsds`: a new sds with `parts` separated by `sep`.
pub(crate) fn join<'a>(parts: impl Iterator<Item = &'a [u8]>, sep: &[u8]) -> Sds {
    let mut s = empty();
    for (j, part) in parts.enumerate() {
        if s.is_null() {
            break;
        }
        // SAFETY: `s` is the live sds built so far; each call returns its replacement.
        unsafe {
            if j > 0 {
                let t = cat_len(s, sep);
                if t.is_null() {
                    free(s);
                }
                s = t;
                if s.is_null() {
                    break;
                }
            }
            let t = cat_len(s, part);
            if t.is_null() {
                free(s);
            }
            s = t;
        }
    }
    s
}

/// `sdsRemoveFreeSpace`: shrinks the block to the content (the header type may shrink too,
/// down to type 5).
///
/// # Safety
/// As [`grow_zero`].
pub(crate) unsafe fn remove_free_space(s: Sds) -> Sds {
    // SAFETY: forwarded promise; the block shrinks to the length.
    unsafe {
        let n = len(s);
        super::resize(s, req_type(n), n)
    }
}

/// `sdsAllocSize`: header + capacity + NUL.
///
/// # Safety
/// `s` is a live sds.
pub(crate) unsafe fn alloc_size(s: Sds) -> usize {
    // SAFETY: forwarded promise.
    unsafe { hdr_size(flags(s)) + alloc(s) + 1 }
}

/// `sdscatfmt`: appends `fmt` with `%s` (C string), `%S` (sds), `%i` (int), `%I` (long long),
/// `%u` (unsigned), `%U` (unsigned long long); `%` followed by any other byte emits that
/// byte. A final lone `%` ends the output (hiredis would read past the terminator).
/// NULL `%s`/`%S` arguments append nothing (hiredis would crash).
///
/// # Safety
/// As [`grow_zero`]; `args` holds the arguments `fmt` names (`%S` ones are live sds).
pub(crate) unsafe fn cat_fmt(s: Sds, fmt: &[u8], args: &mut dyn ArgSource) -> Sds {
    let mut s = s;
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
                b's' | b'S' => {
                    let p = args.ptr() as *const c_char;
                    if p.is_null() {
                        &[]
                    } else if next == b's' {
                        // SAFETY: `%s` arguments are C strings (caller's promise).
                        unsafe { CStr::from_ptr(p) }.to_bytes()
                    } else {
                        // SAFETY: `%S` arguments are live sds (caller's promise).
                        unsafe { as_bytes(p as Sds) }
                    }
                }
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
        // SAFETY: `s` is the live sds; the piece never points into its spare room.
        s = unsafe { cat_len(s, piece) };
        if s.is_null() {
            return s;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::tests::{Arg, ListArgs, s as cs};
    use crate::sds::{TYPE_5, TYPE_MASK};

    fn bytes_of(s: Sds) -> Vec<u8> {
        // SAFETY: test sds are live.
        unsafe { as_bytes(s) }.to_vec()
    }

    #[test]
    fn grow_copy_trim() {
        // SAFETY: `s` stays the one live sds, replaced by each call's result.
        unsafe {
            let mut s = new_len(b"ab");
            s = grow_zero(s, 5);
            assert_eq!(bytes_of(s), b"ab\0\0\0");
            s = grow_zero(s, 3);
            assert_eq!(len(s), 5);
            s = cpy_len(s, b"a");
            assert_eq!(bytes_of(s), b"a");
            s = cpy_len(s, b"xyzxxxxxxxxxxyyyyyyyyyykkkkkkkkkk");
            assert_eq!(len(s), 33);
            free(s);
            for (input, set, want) in [
                (&b" x "[..], &b" x"[..], &b""[..]),
                (b" x ", b" ", b"x"),
                (b"xxciaoyyy", b"xy", b"ciao"),
                (b"\0ab\0", b"", b"ab"),
                (b"", b"a", b""),
            ] {
                let s = new_len(input);
                trim(s, set);
                assert_eq!(bytes_of(s), want);
                assert_eq!(*(s as *const u8).add(want.len()), 0);
                free(s);
            }
        }
    }

    #[test]
    fn compare_and_case() {
        // SAFETY: fresh sds, freed at the end.
        unsafe {
            let (a, b, c) = (new_len(b"foo"), new_len(b"foa"), new_len(b"foobar"));
            assert!(cmp(a, b) > 0);
            assert!(cmp(b, a) < 0);
            assert_eq!(cmp(a, a), 0);
            assert_eq!(cmp(a, c), -3);
            assert_eq!(cmp(c, a), 3);
            map_bytes(c, c_toupper);
            assert_eq!(bytes_of(c), b"FOOBAR");
            map_bytes(c, c_tolower);
            assert_eq!(bytes_of(c), b"foobar");
            map_chars(c, b"ob", b"01");
            assert_eq!(bytes_of(c), b"f001ar");
            for s in [a, b, c] {
                free(s);
            }
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
        let s = from_longlong(-123);
        assert_eq!(bytes_of(s), b"-123");
        // SAFETY: fresh sds.
        unsafe { free(s) };
        let hex: Vec<c_int> = b"09afAFgx".iter().map(|&c| hex_digit_to_int(c)).collect();
        assert_eq!(hex, [0, 9, 10, 15, 10, 15, 0, 0]);
    }

    fn tokens(p: *mut Sds, n: usize) -> Vec<Vec<u8>> {
        // SAFETY: `p` holds `n` live sds; freed by the caller.
        (0..n).map(|j| bytes_of(unsafe { *p.add(j) })).collect()
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
            let (p, n) = split_len(input, sep).unwrap();
            assert_eq!(tokens(p, n), want, "{input:?}");
            // SAFETY: the array and its tokens came from split_len.
            unsafe { free_split_res(p, n) };
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
            let (p, n) = split_args(line).unwrap().unwrap();
            assert!(!p.is_null());
            assert_eq!(tokens(p, n), want, "{line:?}");
            // SAFETY: as above.
            unsafe { free_split_res(p, n) };
        }
        for bad in [&b"\"abc"[..], b"'abc", b"\"a\"b", b"'a'b"] {
            assert_eq!(split_args(bad), Ok(None), "{bad:?}");
        }
    }

    #[test]
    fn repr_join_remove_free_space() {
        // SAFETY: each sds is live until freed.
        unsafe {
            let s = cat_repr(empty(), b"a\"\\\n\r\t\x07\x08\x01\xff ");
            assert_eq!(bytes_of(s), b"\"a\\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff \"");
            free(s);
            let parts: [&[u8]; 3] = [b"a", b"", b"c"];
            let s = join(parts.iter().copied(), b", ");
            assert_eq!(bytes_of(s), b"a, , c");
            free(s);
            let s = join(core::iter::empty(), b"-");
            assert_eq!(len(s), 0);
            free(s);

            let s = make_room_for(new_len(b"hello"), 100);
            assert!(alloc(s) >= 105);
            let s = remove_free_space(s);
            assert_eq!(flags(s) & TYPE_MASK, TYPE_5);
            assert_eq!(bytes_of(s), b"hello");
            assert_eq!(alloc_size(s), 1 + 5 + 1);
            free(s);
            let s = make_room_for(new_len(&[b'x'; 40]), 100);
            let s = remove_free_space(s);
            assert_eq!(alloc(s), 40);
            assert_eq!(alloc_size(s), 3 + 40 + 1);
            free(s);
        }
    }

    #[test]
    fn cat_fmt_directives() {
        // SAFETY: `s` is live; the %S argument is a live sds.
        unsafe {
            let t = new_len(b"sds!");
            let mut a = ListArgs::new(vec![
                cs("Hi!"),
                Arg::LL(i64::MIN),
                Arg::LL(i64::MAX),
                Arg::U(u32::MAX),
                Arg::Ull(u64::MAX),
                Arg::I(-5),
                Arg::Raw(t as *const c_void),
            ]);
            let s = cat_fmt(
                new_len(b"--"),
                b"Hello %s World %I,%I--%u,%U %i %S %% %x%",
                &mut a,
            );
            assert_eq!(
                bytes_of(s),
                b"--Hello Hi! World -9223372036854775808,9223372036854775807--4294967295,18446744073709551615 -5 sds! % x"
                    .to_vec()
            );
            assert_eq!(a.consumed(), 7);
            free(s);
            free(t);
        }
    }
}

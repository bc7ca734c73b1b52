//! Format strings: `redisFormatCommand` (through the C variadic shim) on random format strings
//! made of literal text, spaces, `%s`, `%b`, `%d`, `%lld` and `%%`, with random argument values;
//! the output must equal the RESP encoding a reference model of hiredis's splitting and
//! interpolation rules predicts. Other `%` sequences are rewritten first, since a directive the
//! caller passes no matching argument for is undefined behaviour in C too.
//!
//! Input: control byte (top bit: inject an allocation failure at the next byte's count), the
//! format text up to a 0xff byte, then the bytes argument values are taken from.
//! Run (stable toolchain): `cd fuzz && cargo fuzz run -s none format` or `make fuzz-smoke`.
#![no_main]

use std::ffi::{c_char, c_int};

use hiredis_rs_fuzz::*;
use libfuzzer_sys::fuzz_target;

unsafe extern "C" {
    fn redisFormatCommand(target: *mut *mut c_char, format: *const c_char, ...) -> c_int;
}

/// Directives taking arguments, at most 8 per format (16 argument slots).
const MAX_DIRECTIVES: usize = 8;
const SLOTS: usize = 16;

enum Piece {
    Byte(u8),
    Space,
    Str(Vec<u8>),
    Bin(Vec<u8>),
    Int(i32),
    LongLong(i64),
    Percent,
}

/// Turns the raw format into pieces, taking each directive's value from `vals`.
fn parse(fmt: &[u8], vals: &mut Bytes<'_>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut directives = 0;
    let mut i = 0;
    while i < fmt.len() {
        let c = if fmt[i] == 0 { b'y' } else { fmt[i] };
        if c == b'%' && i + 1 < fmt.len() {
            let rest = &fmt[i + 1..];
            let room = directives < MAX_DIRECTIVES;
            let (piece, used) = match rest[0] {
                b'%' => (Some(Piece::Percent), 1),
                b's' if room => {
                    let n = usize::from(vals.byte() % 32);
                    let v = vals
                        .take(n)
                        .iter()
                        .map(|&b| if b == 0 { b'z' } else { b })
                        .collect();
                    (Some(Piece::Str(v)), 1)
                }
                b'b' if room => {
                    let n = usize::from(vals.byte() % 32);
                    (Some(Piece::Bin(vals.take(n).to_vec())), 1)
                }
                b'd' if room => {
                    let v = vals.take(4);
                    let mut b = [0u8; 4];
                    b[..v.len()].copy_from_slice(v);
                    (Some(Piece::Int(i32::from_le_bytes(b))), 1)
                }
                b'l' if room && rest.starts_with(b"lld") => {
                    let v = vals.take(8);
                    let mut b = [0u8; 8];
                    b[..v.len()].copy_from_slice(v);
                    (Some(Piece::LongLong(i64::from_le_bytes(b))), 3)
                }
                _ => (None, 0),
            };
            if let Some(p) = piece {
                if !matches!(p, Piece::Percent) {
                    directives += 1;
                }
                out.push(p);
                i += 1 + used;
                continue;
            }
            out.push(Piece::Byte(b'x')); // an unsupported '%' becomes plain text
            i += 1;
            continue;
        }
        out.push(if c == b' ' {
            Piece::Space
        } else {
            Piece::Byte(c)
        });
        i += 1;
    }
    out
}

/// The format string and argument slots that produce `pieces`.
fn render(pieces: &[Piece]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut fmt = Vec::new();
    let mut owned = Vec::new();
    for p in pieces {
        match p {
            Piece::Byte(b) => fmt.push(*b),
            Piece::Space => fmt.push(b' '),
            Piece::Percent => fmt.extend_from_slice(b"%%"),
            Piece::Str(v) => {
                fmt.extend_from_slice(b"%s");
                owned.push([v.as_slice(), b"\0"].concat());
            }
            Piece::Bin(v) => {
                fmt.extend_from_slice(b"%b");
                owned.push(v.clone());
            }
            Piece::Int(_) => fmt.extend_from_slice(b"%d"),
            Piece::LongLong(_) => fmt.extend_from_slice(b"%lld"),
        }
    }
    // A trailing single '%' is literal in hiredis; keep it that way.
    fmt.push(0);
    (fmt, owned)
}

/// hiredis's rules: unescaped spaces split arguments; an argument exists once anything
/// (a byte or any directive, even an empty one) touched it.
fn expected(pieces: &[Piece]) -> Vec<u8> {
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    let mut touched = false;
    for p in pieces {
        match p {
            Piece::Space => {
                if touched {
                    args.push(std::mem::take(&mut cur));
                    touched = false;
                }
                continue;
            }
            Piece::Byte(b) => cur.push(*b),
            Piece::Percent => cur.push(b'%'),
            Piece::Str(v) | Piece::Bin(v) => cur.extend_from_slice(v),
            Piece::Int(v) => cur.extend_from_slice(v.to_string().as_bytes()),
            Piece::LongLong(v) => cur.extend_from_slice(v.to_string().as_bytes()),
        }
        touched = true;
    }
    if touched {
        args.push(cur);
    }
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in &args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let ctl = input.byte();
    let fail_at = if ctl & 0x80 != 0 {
        u32::from(input.byte()) + 1
    } else {
        0
    };
    let split = input
        .0
        .iter()
        .position(|&b| b == 0xff)
        .unwrap_or(input.0.len());
    let raw_fmt = input.take(split);
    input.byte(); // the 0xff
    let pieces = parse(raw_fmt, &mut input);
    let (fmt, owned) = render(&pieces);
    let want = expected(&pieces);

    // Argument slots in directive order; all are INTEGER-class on x86_64, so passing each as
    // u64 matches what va_arg(ap, char *), (size_t), (int) and (long long) read.
    let mut slots = [0u64; SLOTS];
    let (mut n, mut k) = (0, 0);
    for p in &pieces {
        match p {
            Piece::Str(_) => {
                slots[n] = owned[k].as_ptr() as u64;
                n += 1;
                k += 1;
            }
            Piece::Bin(v) => {
                slots[n] = owned[k].as_ptr() as u64;
                slots[n + 1] = v.len() as u64;
                n += 2;
                k += 1;
            }
            Piece::Int(v) => {
                slots[n] = *v as i64 as u64;
                n += 1;
            }
            Piece::LongLong(v) => {
                slots[n] = *v as u64;
                n += 1;
            }
            _ => {}
        }
    }

    begin(fail_at);
    let mut target: *mut c_char = std::ptr::null_mut();
    let s = slots;
    // SAFETY: `fmt` is NUL-terminated; each directive has its argument in `s`, in order; the
    // unused trailing slots are ignored by the callee.
    let len = unsafe {
        redisFormatCommand(
            &mut target,
            fmt.as_ptr().cast(),
            s[0],
            s[1],
            s[2],
            s[3],
            s[4],
            s[5],
            s[6],
            s[7],
            s[8],
            s[9],
            s[10],
            s[11],
            s[12],
            s[13],
            s[14],
            s[15],
        )
    };
    if len < 0 {
        assert!(
            fail_at != 0,
            "redisFormatCommand failed on a valid format: {:?}",
            String::from_utf8_lossy(&fmt)
        );
        assert!(target.is_null(), "failure left a target");
    } else {
        assert!(!target.is_null());
        // SAFETY: the formatter wrote `len` bytes plus a NUL.
        let got = unsafe { std::slice::from_raw_parts(target.cast::<u8>(), len as usize + 1) };
        assert_eq!(
            &got[..len as usize],
            want.as_slice(),
            "format {:?}",
            String::from_utf8_lossy(&fmt)
        );
        assert_eq!(got[len as usize], 0, "not NUL-terminated");
        // SAFETY: we own the formatted command.
        unsafe { redisFreeCommand(target) };
    }
    end();
});

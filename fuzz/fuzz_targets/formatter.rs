//! Command formatter: random argv through `redisFormatCommandArgv` (with explicit lengths, and
//! with NULL lengths for NUL-free arguments) and `redisFormatSdsCommandArgv`; the output must be
//! exactly the RESP multi-bulk encoding. Allocation failures are injected on some inputs (then
//! -1 and a NULL target are the only allowed outcome); nothing may leak.
//!
//! Run (stable toolchain): `cd fuzz && cargo fuzz run -s none formatter` or `make fuzz-smoke`.
#![no_main]

use std::ffi::{c_char, c_int};

use hiredis_rs_fuzz::*;
use libfuzzer_sys::fuzz_target;

fn expected(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
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
    let argc = usize::from(ctl & 0x1f);
    let mut args: Vec<Vec<u8>> = Vec::with_capacity(argc);
    for _ in 0..argc {
        let n = usize::from(input.byte());
        args.push(input.take(n).to_vec());
    }
    let want = expected(&args);
    // Each argument NUL-terminated, so the strlen variant can read it too.
    let owned: Vec<Vec<u8>> = args
        .iter()
        .map(|a| [a.as_slice(), b"\0"].concat())
        .collect();
    let argv: Vec<*const c_char> = owned.iter().map(|a| a.as_ptr().cast()).collect();
    let lens: Vec<usize> = args.iter().map(Vec::len).collect();
    let nul_free = args.iter().all(|a| !a.contains(&0));

    begin(fail_at);
    for variant in 0..3 {
        if variant == 1 && !nul_free {
            continue;
        }
        let lens_ptr = if variant == 1 {
            std::ptr::null()
        } else {
            lens.as_ptr()
        };
        let mut target: *mut c_char = std::ptr::null_mut();
        // SAFETY: argv/lens hold `argc` valid entries (NUL-terminated when lens is NULL).
        let n = unsafe {
            if variant == 2 {
                redisFormatSdsCommandArgv(&mut target, argc as c_int, argv.as_ptr(), lens_ptr)
            } else {
                redisFormatCommandArgv(&mut target, argc as c_int, argv.as_ptr(), lens_ptr)
            }
        };
        if n < 0 {
            assert!(
                fail_at != 0,
                "formatting failed without an allocation failure"
            );
            assert!(target.is_null(), "failure left a target");
            continue;
        }
        assert!(!target.is_null());
        // SAFETY: the formatter wrote `n` bytes plus a NUL to `target`.
        let got = unsafe { std::slice::from_raw_parts(target.cast::<u8>(), n as usize + 1) };
        assert_eq!(&got[..n as usize], want.as_slice(), "variant {variant}");
        assert_eq!(got[n as usize], 0, "not NUL-terminated");
        // SAFETY: we own the formatted command.
        unsafe {
            if variant == 2 {
                redisFreeSdsCommand(target)
            } else {
                redisFreeCommand(target)
            }
        };
    }
    end();
});

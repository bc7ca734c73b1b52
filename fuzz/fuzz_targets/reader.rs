//! RESP reader: random bytes, fed in random-sized chunks through `redisReaderFeed`, with every
//! available reply taken by `redisReaderGetReply`, checked for hiredis's invariants (spec §3.1,
//! §6.1) and freed with `freeReplyObject`. Allocation failures are injected on some inputs;
//! nothing may leak.
//!
//! Run (stable toolchain): `cd fuzz && cargo fuzz run -s none reader` or `make fuzz-smoke`.
#![no_main]

use std::ffi::{c_char, c_void};

use hiredis_rs_fuzz::*;
use libfuzzer_sys::fuzz_target;

const REDIS_OK: i32 = 0;
const REDIS_ERR: i32 = -1;

/// Walks a reply tree; panics (a reported crash) on a broken invariant.
///
/// # Safety
/// `r` is a reply returned by `redisReaderGetReply`.
unsafe fn check_reply(r: *const redisReply, depth: usize) {
    assert!(depth <= 1024, "reply nested deeper than the reader's limit");
    // SAFETY: the caller passes a live reply.
    let r = unsafe { &*r };
    match r.r#type {
        // String, status, error, double, bignum, verbatim: NUL-terminated `str` of `len` bytes.
        1 | 5 | 6 | 7 | 13 | 14 => {
            assert!(!r.str.is_null(), "string reply without str");
            // SAFETY: hiredis promises `len` bytes plus a NUL.
            assert_eq!(
                unsafe { *r.str.add(r.len) },
                0,
                "str not NUL-terminated at len"
            );
            assert_eq!(r.elements, 0);
        }
        // Aggregates: `element` is NULL iff there are no elements.
        2 | 9 | 10 | 11 | 12 => {
            assert_eq!(
                r.element.is_null(),
                r.elements == 0,
                "element/elements mismatch"
            );
            for i in 0..r.elements {
                // SAFETY: `element` holds `elements` live children.
                let child = unsafe { *r.element.add(i) };
                assert!(!child.is_null(), "NULL element");
                // SAFETY: a live child of a live reply.
                unsafe { check_reply(child, depth + 1) };
            }
        }
        3 | 4 | 8 => assert!(r.str.is_null() && r.elements == 0),
        t => panic!("unknown reply type {t}"),
    }
}

/// The reader's public buffer fields (hiredis 1.4.1 layout: `buf` at 136, `pos` at 144, `len`
/// at 152): `buf[..len]` holds the last `len` bytes fed, NUL-terminated, and `pos <= len`.
///
/// # Safety
/// `reader` is a live reader from `redisReaderCreate` that is not in the error state.
unsafe fn check_buffer(reader: *mut c_void, fed: &[u8]) {
    // SAFETY: plain reads of the struct's public fields at their ABI offsets.
    let (buf, pos, len) = unsafe {
        let base = reader.cast::<u8>();
        (
            *base.add(136).cast::<*const u8>(),
            *base.add(144).cast::<usize>(),
            *base.add(152).cast::<usize>(),
        )
    };
    assert!(
        !buf.is_null() && pos <= len && len <= fed.len(),
        "pos {pos} len {len}"
    );
    // SAFETY: `buf` holds `len` bytes and a NUL.
    let held = unsafe { std::slice::from_raw_parts(buf, len + 1) };
    assert_eq!(
        &held[..len],
        &fed[fed.len() - len..],
        "buffer is not the tail of the input"
    );
    assert_eq!(held[len], 0, "buffer not NUL-terminated");
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let ctl = input.byte();
    let fail_at = if ctl & 0x80 != 0 {
        u32::from(input.byte()) + 1
    } else {
        0
    };
    let seed = input.byte();
    begin(fail_at);
    // SAFETY: plain constructor; NULL only on allocation failure.
    let reader = unsafe { redisReaderCreate() };
    if !reader.is_null() {
        let mut step = 0usize;
        let mut fed = Vec::new();
        'feed: while !input.0.is_empty() {
            step += 1;
            let n = 1 + (usize::from(seed) * 31 + step * 7) % (usize::from(ctl & 0x3f) + 1);
            let chunk = input.take(n);
            // SAFETY: `chunk` is a valid buffer; `reader` is live.
            if unsafe { redisReaderFeed(reader, chunk.as_ptr().cast::<c_char>(), chunk.len()) }
                != REDIS_OK
            {
                break;
            }
            fed.extend_from_slice(chunk);
            // SAFETY: a live reader, not in the error state (the feed succeeded).
            unsafe { check_buffer(reader, &fed) };
            loop {
                let mut reply: *mut c_void = std::ptr::null_mut();
                // SAFETY: `reader` is live; `reply` is a valid out-pointer.
                let rc = unsafe { redisReaderGetReply(reader, &mut reply) };
                assert!(rc == REDIS_OK || rc == REDIS_ERR, "unexpected return {rc}");
                if rc == REDIS_ERR {
                    assert!(reply.is_null(), "error return with a reply");
                    break 'feed;
                }
                // SAFETY: a live reader, not in the error state (the call succeeded).
                unsafe { check_buffer(reader, &fed) };
                if reply.is_null() {
                    break;
                }
                // SAFETY: a reply just returned by the reader.
                unsafe { check_reply(reply.cast(), 0) };
                // SAFETY: we own the reply.
                unsafe { freeReplyObject(reply) };
            }
        }
        // SAFETY: `reader` is live and freed once.
        unsafe { redisReaderFree(reader) };
    }
    end();
});

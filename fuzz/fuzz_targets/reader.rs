//! RESP reader: random bytes, fed in random-sized chunks through `redisReaderFeed`, with every
//! available reply taken by `redisReaderGetReply`, checked for hiredis's invariants (spec §3.1,
//! §6.1) and freed with `freeReplyObject`. Allocation failures are injected on some inputs;
//! nothing may leak. Some inputs read through a table of builders of the target's own
//! (`redisReaderCreateWithFunctions`, as language bindings do), which checks the task of every
//! call, links each object into its parent, sometimes returns NULL, and counts live objects.
//!
//! Run (stable toolchain): `cd fuzz && cargo fuzz run -s none reader` or `make fuzz-smoke`.
#![no_main]

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_longlong, c_void};

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

/// A binding's reply object, made by the table below.
struct Obj {
    ty: c_int,
    /// An aggregate's children, linked in as they are made.
    kids: Vec<*mut Obj>,
}

thread_local! {
    /// Objects made and not freed.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// Builder calls left before one returns NULL (0: none does).
    static BUILD_FAIL: Cell<u32> = const { Cell::new(0) };
}

const PRIVDATA: *mut c_void = 0x5eed as *mut c_void;

fn is_aggregate(ty: c_int) -> bool {
    matches!(ty, 2 | 9 | 10 | 11 | 12)
}

/// Checks the task a builder got (hiredis 1.4.1's: the item's type, elements -1, its index in
/// the parent whose task holds the parent's object and count) and makes the object, linked into
/// its parent; NULL when injected.
///
/// # Safety
/// `t` is the task the reader passed.
unsafe fn make(t: *const redisReadTask, types: &[c_int], n: usize) -> *mut c_void {
    // SAFETY: the reader passes a valid task.
    let t = unsafe { &*t };
    assert!(
        types.contains(&t.r#type),
        "builder for {types:?} with task type {}",
        t.r#type
    );
    assert_eq!(t.elements, -1, "task elements while building");
    assert_eq!(t.privdata, PRIVDATA, "task privdata");
    let fail = BUILD_FAIL.with(|f| {
        let left = f.get();
        f.set(left.saturating_sub(1));
        left == 1
    });
    // Huge counts are refused as a binding would refuse them.
    if fail || n > 1 << 16 {
        return std::ptr::null_mut();
    }
    let o = Box::into_raw(Box::new(Obj {
        ty: t.r#type,
        kids: vec![std::ptr::null_mut(); n],
    }));
    LIVE.with(|l| l.set(l.get() + 1));
    if t.parent.is_null() {
        assert_eq!(t.idx, -1, "root task idx");
    } else {
        // SAFETY: a parent task of the reader's chain.
        let p = unsafe { &*t.parent };
        // SAFETY: the parent's object is one of ours, still being filled.
        let po = unsafe { &mut *p.obj.cast::<Obj>() };
        assert!(
            is_aggregate(po.ty) && p.r#type == po.ty,
            "parent task type {}",
            p.r#type
        );
        assert_eq!(p.elements as usize, po.kids.len(), "parent task elements");
        let i = usize::try_from(t.idx).expect("child task idx");
        assert!(po.kids[i].is_null(), "slot {i} built twice");
        po.kids[i] = o;
    }
    o.cast()
}

unsafe extern "C" fn b_string(t: *const redisReadTask, _s: *mut c_char, _n: usize) -> *mut c_void {
    // SAFETY: forwarded from the reader.
    unsafe { make(t, &[1, 5, 6, 13, 14], 0) }
}
unsafe extern "C" fn b_array(t: *const redisReadTask, n: usize) -> *mut c_void {
    // SAFETY: forwarded from the reader.
    unsafe { make(t, &[2, 9, 10, 11, 12], n) }
}
unsafe extern "C" fn b_integer(t: *const redisReadTask, _v: c_longlong) -> *mut c_void {
    // SAFETY: forwarded from the reader.
    unsafe { make(t, &[3], 0) }
}
unsafe extern "C" fn b_double(
    t: *const redisReadTask,
    _v: f64,
    s: *mut c_char,
    n: usize,
) -> *mut c_void {
    // SAFETY: the reader passes `n` bytes and a NUL.
    assert_eq!(unsafe { *s.add(n) }, 0, "double text not NUL-terminated");
    // SAFETY: forwarded from the reader.
    unsafe { make(t, &[7], 0) }
}
unsafe extern "C" fn b_nil(t: *const redisReadTask) -> *mut c_void {
    // `_`, or a bulk string or an aggregate of count -1 (the task keeps the announced type).
    // SAFETY: forwarded from the reader.
    unsafe { make(t, &[4, 1, 14, 2, 9, 10, 11, 12], 0) }
}
unsafe extern "C" fn b_bool(t: *const redisReadTask, _v: c_int) -> *mut c_void {
    // SAFETY: forwarded from the reader.
    unsafe { make(t, &[8], 0) }
}
unsafe extern "C" fn b_free(o: *mut c_void) {
    if o.is_null() {
        return;
    }
    // SAFETY: one of ours, freed once.
    let o = unsafe { Box::from_raw(o.cast::<Obj>()) };
    for k in o.kids {
        // SAFETY: our children.
        unsafe { b_free(k.cast()) };
    }
    LIVE.with(|l| l.set(l.get() - 1));
}

/// A complete reply of ours: every slot filled.
///
/// # Safety
/// `o` is an object of ours.
unsafe fn check_obj(o: *const Obj) {
    // SAFETY: as promised.
    let o = unsafe { &*o };
    for &k in &o.kids {
        assert!(!k.is_null(), "reply handed out with an unlinked child");
        // SAFETY: our child.
        unsafe { check_obj(k) };
    }
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
    let table = ctl & 0x40 != 0;
    if table {
        BUILD_FAIL.with(|f| f.set(u32::from(input.byte())));
    }
    let mut fns = redisReplyObjectFunctions {
        create_string: Some(b_string),
        create_array: Some(b_array),
        create_integer: Some(b_integer),
        create_double: Some(b_double),
        create_nil: Some(b_nil),
        create_bool: Some(b_bool),
        free_object: Some(b_free),
    };
    begin(fail_at);
    // SAFETY: plain constructors; NULL only on allocation failure. `fns` outlives the reader.
    let reader = unsafe {
        if table {
            redisReaderCreateWithFunctions(&mut fns)
        } else {
            redisReaderCreate()
        }
    };
    if !reader.is_null() {
        if table {
            // SAFETY: `privdata`, a public field at offset 208 (hiredis 1.4.1 layout).
            unsafe { *reader.cast::<u8>().add(208).cast::<*mut c_void>() = PRIVDATA };
        }
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
                if table {
                    // SAFETY: an object of ours, handed out; we own it.
                    unsafe {
                        check_obj(reply.cast());
                        b_free(reply);
                    }
                    continue;
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
    assert_eq!(
        LIVE.with(|l| l.replace(0)),
        0,
        "objects of the table leaked"
    );
});

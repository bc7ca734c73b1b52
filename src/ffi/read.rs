//! `read.h`: the reader's exports. Each checks its pointers and calls [`crate::reader`].

use core::ffi::{c_char, c_int, c_void};

use crate::abi::read::{REDIS_ERR, redisReader, redisReplyObjectFunctions};
use crate::reader::{self, Reader};

/// A reader that builds objects with `fn` (NULL: type numbers as stand-in objects).
/// NULL when out of memory.
///
/// # Safety
/// `fn` is NULL or a function table that stays valid while the reader uses it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderCreateWithFunctions(
    r#fn: *mut redisReplyObjectFunctions,
) -> *mut redisReader {
    reader::create(r#fn)
}

/// Frees the reader, the reply in progress (through `fn->freeObject`) and the buffer.
///
/// # Safety
/// `r` is NULL or a library reader, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderFree(r: *mut redisReader) {
    // SAFETY: the caller's promise.
    unsafe { reader::free(r) }
}

/// Appends `len` bytes at `buf` to the reader's buffer.
///
/// # Safety
/// `r` is a library reader (NULL returns REDIS_ERR where hiredis would crash) and
/// `(buf, len)` a valid buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderFeed(
    r: *mut redisReader,
    buf: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: the caller promises a library reader or NULL, not in use elsewhere.
    let Some(mut rd) = (unsafe { Reader::from_raw(r) }) else {
        return REDIS_ERR;
    };
    if buf.is_null() {
        // As in hiredis: nothing to add (the error state still answers REDIS_ERR).
        return rd.feed(&[]);
    }
    // SAFETY: the caller promises `len` readable bytes at `buf`.
    rd.feed(unsafe { core::slice::from_raw_parts(buf as *const u8, len) })
}

/// Parses buffered bytes. `*reply` receives a complete reply or NULL (more data needed);
/// with a NULL `reply` a complete one is freed. REDIS_ERR once the reader is in error.
///
/// # Safety
/// `r` is a library reader (NULL returns REDIS_ERR) and `reply` a valid pointer or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisReaderGetReply(
    r: *mut redisReader,
    reply: *mut *mut c_void,
) -> c_int {
    // SAFETY: the caller promises a writable pointer or NULL.
    let out = unsafe { reply.as_mut() };
    let out = out.map(|o| {
        *o = core::ptr::null_mut();
        o
    });
    // SAFETY: the caller promises a library reader or NULL, not in use elsewhere.
    match unsafe { Reader::from_raw(r) } {
        Some(mut rd) => rd.get_reply(out),
        None => REDIS_ERR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::hiredis::redisReply;
    use crate::abi::read::{
        REDIS_ERR_OOM, REDIS_ERR_PROTOCOL, REDIS_OK, REDIS_REPLY_INTEGER, redisReadTask,
    };
    use crate::abi::read::{
        REDIS_REPLY_ARRAY, REDIS_REPLY_ERROR, REDIS_REPLY_MAP, REDIS_REPLY_STATUS,
        REDIS_REPLY_STRING,
    };
    use crate::ffi::reply::{freeReplyObject, redisReaderCreate};
    use crate::reader::tasks::NO_FUNCTIONS;
    use crate::sds::Sds;
    use core::cell::RefCell;
    use core::ffi::c_longlong;
    use core::ptr;

    fn feed(r: *mut redisReader, b: &[u8]) -> c_int {
        // SAFETY: `r` is a live reader and `b` a valid buffer.
        unsafe { redisReaderFeed(r, b.as_ptr() as *const c_char, b.len()) }
    }

    fn get(r: *mut redisReader) -> (c_int, *mut c_void) {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: `r` is a live reader; `out` is writable.
        let rc = unsafe { redisReaderGetReply(r, &mut out) };
        (rc, out)
    }

    fn errstr(r: *mut redisReader) -> String {
        // SAFETY: `errstr` is always NUL-terminated.
        let s = unsafe { core::ffi::CStr::from_ptr((*r).errstr.as_ptr()) };
        s.to_string_lossy().into_owned()
    }

    #[test]
    fn null_arguments_fail_instead_of_crashing() {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: NULL readers are refused before any access.
        unsafe {
            assert_eq!(redisReaderGetReply(ptr::null_mut(), &mut out), REDIS_ERR);
            assert!(out.is_null());
            assert_eq!(
                redisReaderFeed(ptr::null_mut(), c"x".as_ptr(), 1),
                REDIS_ERR
            );
            redisReaderFree(ptr::null_mut());
        }
    }

    /// The integer of a default reply, which is freed.
    fn take_integer(rep: *mut c_void) -> c_longlong {
        assert!(!rep.is_null());
        // SAFETY: a reply from the default builders, given up here.
        unsafe {
            let v = (*(rep as *const redisReply)).integer;
            freeReplyObject(rep);
            v
        }
    }

    #[test]
    fn c_code_may_replace_the_buffer() {
        let r = redisReaderCreate();
        let big = format!("+{}\r\n", "x".repeat(1100));
        assert_eq!(feed(r, big.as_bytes()), REDIS_OK);
        assert_eq!(feed(r, b":5"), REDIS_OK);
        let (rc, rep) = get(r);
        assert_eq!(rc, REDIS_OK);
        // SAFETY: a reply from the default builders.
        unsafe { freeReplyObject(rep) };
        // SAFETY: plain field reads and writes; the buffers put in `buf` are sds strings
        // handed to the reader, as hiredis lets C code do.
        unsafe {
            // More than 1 KiB consumed: `buf` is the rest, a view inside the first block.
            assert_eq!(((*r).pos, (*r).len), (0, 2));
            // Replaced while a view: the block behind it is the reader's to free.
            (*r).buf = Sds::new(b":42\r\n").unwrap().into_raw();
            (*r).len = 5;
        }
        let (rc, rep) = get(r);
        assert_eq!((rc, take_integer(rep)), (REDIS_OK, 42));
        assert_eq!(feed(r, b":7\r\n"), REDIS_OK);
        let (rc, rep) = get(r);
        assert_eq!((rc, take_integer(rep)), (REDIS_OK, 7));
        // SAFETY: as above; a whole buffer replaced is C code's to free, as here.
        unsafe {
            Sds::from_raw((*r).buf).unwrap().free();
            (*r).buf = Sds::new(b":9\r\n:").unwrap().into_raw();
            ((*r).pos, (*r).len) = (0, 5);
        }
        let (rc, rep) = get(r);
        assert_eq!((rc, take_integer(rep)), (REDIS_OK, 9));
        assert_eq!(feed(r, b"8\r\n"), REDIS_OK);
        let (rc, rep) = get(r);
        assert_eq!((rc, take_integer(rep)), (REDIS_OK, 8));
        // SAFETY: a live reader; Miri's leak check sees every block freed.
        unsafe { redisReaderFree(r) };
    }

    #[test]
    fn reply_buffer_and_error_state() {
        let r = redisReaderCreate();
        assert!(!r.is_null());
        assert_eq!(feed(r, b"*2\r\n+a\r\n:7\r\n+b"), REDIS_OK);
        let (rc, rep) = get(r);
        assert_eq!(rc, REDIS_OK);
        // SAFETY: a reply from the default builders; the reader fields are plain data.
        unsafe {
            let reply = &*(rep as *const redisReply);
            assert_eq!((reply.r#type, reply.elements), (REDIS_REPLY_ARRAY, 2));
            assert_eq!((**reply.element.add(1)).integer, 7);
            // Freed through the pointer we were given (not the shared reference): the block
            // is reused and written.
            freeReplyObject(rep);
            assert_eq!(
                ((*r).pos, (*r).len, Sds::from_raw((*r).buf).unwrap().len()),
                (12, 14, 14)
            );
        }
        assert_eq!(get(r), (REDIS_OK, ptr::null_mut()));
        // SAFETY: plain field reads.
        unsafe { assert_eq!(((*r).pos, (*r).ridx), (13, 0)) };
        assert_eq!(feed(r, b"\r\n~1\r\n!"), REDIS_OK);
        let (_, rep) = get(r);
        // SAFETY: a reply from the default builders.
        unsafe { freeReplyObject(rep) };
        assert_eq!(get(r), (REDIS_ERR, ptr::null_mut()));
        assert_eq!(errstr(r), "Protocol error, got \"!\" as reply type byte");
        // SAFETY: plain field reads.
        unsafe {
            assert_eq!((*r).err, REDIS_ERR_PROTOCOL);
            assert!((*r).buf.is_null() && (*r).reply.is_null());
            assert_eq!(((*r).pos, (*r).len, (*r).ridx), (0, 0, -1));
        }
        assert_eq!(feed(r, b"+x\r\n"), REDIS_ERR);
        assert_eq!(get(r), (REDIS_ERR, ptr::null_mut()));
        // SAFETY: a live reader.
        unsafe { redisReaderFree(r) };
    }

    #[test]
    fn huge_aggregate_is_oom() {
        let r = redisReaderCreate();
        // SAFETY: a live reader.
        unsafe { (*r).maxelements = 0 };
        let count = format!("*{}\r\n", usize::MAX / 8 + 3);
        feed(r, count.as_bytes());
        assert_eq!(get(r), (REDIS_ERR, ptr::null_mut()));
        assert_eq!(errstr(r), "Out of memory");
        // SAFETY: plain field read, then free.
        unsafe {
            assert_eq!((*r).err, REDIS_ERR_OOM);
            redisReaderFree(r);
        }
    }

    thread_local! {
        static SEEN: RefCell<Vec<(c_int, c_int, c_longlong, c_int)>> = const { RefCell::new(Vec::new()) };
    }

    /// Records (type, idx, parent elements or -9, parent type or -9) and returns a fake object.
    unsafe extern "C" fn rec_array(t: *const redisReadTask, n: usize) -> *mut c_void {
        // SAFETY: the reader passes a valid task chain.
        let t = unsafe { &*t };
        // SAFETY: as above.
        let p = unsafe { t.parent.as_ref() };
        SEEN.with(|s| {
            s.borrow_mut().push((
                t.r#type,
                t.idx,
                p.map_or(-9, |p| p.elements),
                p.map_or(-9, |p| p.r#type),
            ))
        });
        (100 + n) as *mut c_void
    }

    unsafe extern "C" fn rec_int(t: *const redisReadTask, v: c_longlong) -> *mut c_void {
        // SAFETY: the reader passes a valid task chain.
        let t = unsafe { &*t };
        // SAFETY: as above.
        let p = unsafe { &*t.parent };
        assert_eq!(
            p.obj as usize, 102,
            "parent object is what createArray returned"
        );
        SEEN.with(|s| {
            s.borrow_mut()
                .push((t.r#type, t.idx, p.elements, v as c_int))
        });
        200 as *mut c_void
    }

    #[test]
    fn c_builders_see_hiredis_tasks() {
        let mut fns = NO_FUNCTIONS;
        fns.createArray = Some(rec_array);
        fns.createInteger = Some(rec_int);
        // SAFETY: `fns` outlives the reader.
        let r = unsafe { redisReaderCreateWithFunctions(&mut fns) };
        for b in b"%1\r\n:5\r\n:6\r\n" {
            feed(r, &[*b]);
            let (rc, rep) = get(r);
            assert_eq!(rc, REDIS_OK);
            if !rep.is_null() {
                assert_eq!(rep as usize, 102);
            }
        }
        let seen = SEEN.with(|s| s.borrow().clone());
        assert_eq!(
            seen,
            [
                (REDIS_REPLY_MAP, -1, -9, -9),
                (REDIS_REPLY_INTEGER, 0, 2, 5),
                (REDIS_REPLY_INTEGER, 1, 2, 6)
            ]
        );
        // Unknown entries give the type number as object.
        feed(r, b"+OK\r\n");
        assert_eq!(
            get(r),
            (REDIS_OK, REDIS_REPLY_STATUS as usize as *mut c_void)
        );
        // SAFETY: a live reader.
        unsafe { redisReaderFree(r) };
    }

    unsafe extern "C" fn null_str(
        _: *const redisReadTask,
        _: *mut c_char,
        _: usize,
    ) -> *mut c_void {
        ptr::null_mut()
    }
    unsafe extern "C" fn null_int(_: *const redisReadTask, _: c_longlong) -> *mut c_void {
        ptr::null_mut()
    }

    /// A builder returning NULL for a whole top-level scalar puts the reader in its OOM state,
    /// on both fast paths: between replies, and finishing a scalar an earlier feed started.
    /// (Under Miri: the buffer is freed only after no callee holds a view of it.)
    #[test]
    fn null_from_a_scalar_builder_is_oom() {
        let mut fns = NO_FUNCTIONS;
        fns.createString = Some(null_str);
        fns.createInteger = Some(null_int);
        for pieces in [
            &[&b"+OK\r\n"[..]][..],
            &[b":12\r\n"],
            &[b"+O", b"K\r\n"],
            &[b"$3\r\nab", b"c\r\n"],
        ] {
            // SAFETY: `fns` outlives the reader.
            let r = unsafe { redisReaderCreateWithFunctions(&mut fns) };
            let mut last = (REDIS_OK, ptr::null_mut());
            for p in pieces {
                assert_eq!(feed(r, p), REDIS_OK);
                last = get(r);
            }
            assert_eq!(last, (REDIS_ERR, ptr::null_mut()), "{pieces:?}");
            // SAFETY: a live reader.
            assert_eq!(unsafe { (*r).err }, REDIS_ERR_OOM);
            assert_eq!(errstr(r), "Out of memory");
            // SAFETY: a live reader.
            unsafe { redisReaderFree(r) };
        }
    }

    /// (type, elements, idx, obj, parent, privdata) of a root task a builder saw.
    type RootTask = (c_int, c_longlong, c_int, usize, usize, usize);

    thread_local! {
        static ROOTS: RefCell<Vec<RootTask>> = const { RefCell::new(Vec::new()) };
    }

    fn note_root(t: *const redisReadTask) -> *mut c_void {
        // SAFETY: the reader passes a valid task.
        let t = unsafe { &*t };
        if t.parent.is_null() {
            let row = (
                t.r#type,
                t.elements,
                t.idx,
                t.obj as usize,
                t.parent as usize,
                t.privdata as usize,
            );
            ROOTS.with(|s| s.borrow_mut().push(row));
        }
        300 as *mut c_void
    }

    unsafe extern "C" fn root_str(
        t: *const redisReadTask,
        _: *mut c_char,
        _: usize,
    ) -> *mut c_void {
        note_root(t)
    }

    unsafe extern "C" fn root_int(t: *const redisReadTask, _: c_longlong) -> *mut c_void {
        note_root(t)
    }

    unsafe extern "C" fn root_arr(t: *const redisReadTask, _: usize) -> *mut c_void {
        note_root(t)
    }

    #[test]
    fn root_tasks_between_replies() {
        // Whole scalars between replies take the custom table's fast path; whatever came
        // before (nothing, an aggregate through this table or through the default builders,
        // a scalar split over feeds), builders see hiredis's root task.
        let mut fns = NO_FUNCTIONS;
        fns.createString = Some(root_str);
        fns.createInteger = Some(root_int);
        fns.createArray = Some(root_arr);
        let r = redisReaderCreate();
        let scalars: &[u8] = b"+OK\r\n:12\r\n$3\r\nabc\r\n-E\r\n";
        let mut want = Vec::new();
        let mut read = |input: &[u8], privdata: usize, replies: usize| {
            // SAFETY: plain field writes on a live reader; `fns` outlives it.
            unsafe {
                (*r).privdata = privdata as *mut c_void;
                (*r).r#fn = &mut fns;
            }
            feed(r, input);
            for _ in 0..replies {
                let (rc, rep) = get(r);
                assert_eq!((rc, rep as usize), (REDIS_OK, 300));
            }
        };
        // The default builders first: an aggregate reply leaves objects in the tasks.
        let (_, rep) = get_default(r, b"*2\r\n*1\r\n:1\r\n:2\r\n");
        // SAFETY: a reply from the default builders.
        unsafe { freeReplyObject(rep) };
        read(scalars, 7, 4);
        read(b"*1\r\n:1\r\n", 8, 1);
        want.extend([(REDIS_REPLY_ARRAY, -1, -1, 0, 0, 8)]);
        read(scalars, 9, 4);
        read(b"+O", 10, 0);
        assert_eq!(get(r), (REDIS_OK, ptr::null_mut()));
        read(b"K\r\n+OK\r\n", 11, 2);
        let kinds = [
            REDIS_REPLY_STATUS,
            REDIS_REPLY_INTEGER,
            REDIS_REPLY_STRING,
            REDIS_REPLY_ERROR,
        ];
        let mut all = Vec::new();
        all.extend(kinds.map(|k| (k, -1, -1, 0, 0, 7)));
        all.extend(want);
        all.extend(kinds.map(|k| (k, -1, -1, 0, 0, 9)));
        // The split reply keeps the privdata of the call that started it.
        all.extend([
            (REDIS_REPLY_STATUS, -1, -1, 0, 0, 10),
            (REDIS_REPLY_STATUS, -1, -1, 0, 0, 11),
        ]);
        assert_eq!(ROOTS.with(|s| s.borrow().clone()), all);
        // SAFETY: a live reader.
        unsafe { redisReaderFree(r) };
    }

    /// Feeds `input` and reads one reply with the default builders.
    fn get_default(r: *mut redisReader, input: &[u8]) -> (c_int, *mut c_void) {
        feed(r, input);
        get(r)
    }

    #[test]
    fn maxbuf_reclaims_idle_buffer() {
        let r = redisReaderCreate();
        let mut big = b"$40000\r\n".to_vec();
        big.resize(big.len() + 40000, b'x');
        big.extend_from_slice(b"\r\n");
        feed(r, &big);
        let (_, rep) = get(r);
        // SAFETY: a reply from the default builders; `buf` is the reader's sds.
        unsafe {
            freeReplyObject(rep);
            assert_eq!((*r).len, 0);
            assert!(Sds::from_raw((*r).buf).unwrap().avail() > (*r).maxbuf);
            feed(r, b"+a\r\n");
            assert!(Sds::from_raw((*r).buf).unwrap().avail() <= (*r).maxbuf);
            redisReaderFree(r);
        }
    }
}

//! Reply dispatch: each parsed reply goes to the callback it answers, to the subscription
//! tables while subscribed (RESP2 message frames and RESP3 pushes), to the push handler, or
//! is dropped; hiredis's `redisProcessCallbacks`.
#![forbid(unsafe_code)]

use super::*;
use crate::context::Reply;

/// The reply as a tree we may inspect, when it is one: a NULL reader `fn` makes the reader
/// hand out placeholder values instead.
fn view_of(reply: &Reply) -> Option<ReplyView<'_>> {
    reply.tree().map(ReplyView)
}

/// Finds the callback for a reply in subscribed mode (hiredis's routing, plus the shard
/// table, without its asserts).
pub(super) fn subscribe_callback(ac: &mut Ac, r: ReplyView<'_>) -> Option<ReplyCallback> {
    let supports_push = ac.flags() & REDIS_SUPPORTS_PUSH != 0;
    if !is_frame(r, supports_push) {
        return pop_sub_reply_cb(ac);
    }
    // Frames whose type is not a string are freed and ignored (hiredis asserts).
    let name = r.element(0)?.string()?;
    let (table, kind) = frame_kind(name);
    let (a, st) = ac.parts();
    let key = r.element(1).and_then(|e| e.string());
    let found = key.and_then(|k| st.table(table).map.get_mut(k));
    let mut cb = None;
    let mut delete = false;
    match found {
        Some(e) => {
            cb = Some(ReplyCallback::new(e.f, e.privdata));
            match kind {
                FrameKind::Subscribe => e.pending_subs -= 1,
                FrameKind::Unsubscribe => delete = e.pending_subs == 0,
                FrameKind::Message => {}
            }
        }
        None if kind == FrameKind::Unsubscribe => a.sub.pending_unsubs -= 1,
        None => {}
    }
    if delete {
        if let Some(k) = key {
            st.table(table).map.remove(k);
        }
    }
    if kind == FrameKind::Unsubscribe
        && r.element(2).and_then(|e| e.integer()) == Some(0)
        && st.channels.len() == 0
        && st.patterns.len() == 0
        && st.shards.len() == 0
        && a.sub.pending_unsubs == 0
    {
        a.c.flags &= !REDIS_SUBSCRIBED;
        // Regular commands queued while subscribed go back to the main queue, in order.
        // Out of memory, they stay where they are and run (with NULL) when the context
        // is freed: never lost, never twice.
        let _ = st
            .replies
            .append(&mut a.replies, &mut st.sub_replies, &mut a.sub.replies);
    }
    cb
}

/// Where a reply goes.
pub(super) enum Route {
    /// To this callback (or nowhere, `None`: freed and ignored).
    Callback(Option<ReplyCallback>),
    /// A spontaneous RESP3 push: to the push callback, then freed.
    Push,
    /// An error nobody waits for (e.g. "max clients reached"): fatal.
    Fatal,
}

/// Routing: decides where a reply goes and takes its callback off the queues.
pub(super) fn route(ac: &mut Ac, view: Option<ReplyView<'_>>) -> Route {
    if let Some(v) = view {
        if v.kind() == REDIS_REPLY_PUSH {
            ac.ctx().c.flags |= REDIS_SUPPORTS_PUSH;
            let pubsub = v
                .element(0)
                .and_then(|e| e.string())
                .is_some_and(is_pubsub_name);
            if !pubsub {
                return Route::Push;
            }
        }
    }
    if let Some(cb) = pop_reply_cb(ac) {
        return Route::Callback(Some(cb));
    }
    match view {
        Some(v) if v.kind() == REDIS_REPLY_ERROR => Route::Fatal,
        Some(v) if ac.flags() & REDIS_SUBSCRIBED != 0 => Route::Callback(subscribe_callback(ac, v)),
        // Not subscribed and nothing pending: hiredis asserts; free and ignore.
        _ => Route::Callback(None),
    }
}

/// MONITOR re-queue, first half: while monitoring, the record consumed for this reply (or a
/// function-less one) is remembered to go back on the queue for the next line.
fn monitor_rearm(ac: &mut Ac, cb: Option<&ReplyCallback>) -> Option<ReplyCallback> {
    if ac.flags() & REDIS_MONITORING == 0 {
        return None;
    }
    Some(cb.map_or(ReplyCallback::new(None, ptr::null_mut()), |c| c.rearm()))
}

/// MONITOR re-queue, second half: back on the queue, if still monitoring.
fn monitor_requeue(ac: &mut Ac, rq: Option<ReplyCallback>) {
    if let Some(rq) = rq {
        if ac.flags() & REDIS_MONITORING != 0 {
            let (a, st) = ac.parts();
            let _ = st.replies.push(rq, &mut a.replies);
        }
    }
}

/// Invocation: runs the callback with the reply, frees the reply (unless the callback owns
/// it under NO_AUTO_FREE_REPLIES), and honours a free requested from the callback.
fn deliver(mut ac: Ac, cb: Option<ReplyCallback>, mut reply: Reply) -> Alive {
    if cb.is_some_and(|cb| ac.invoke(cb, reply.lend())) {
        if ac.flags() & REDIS_NO_AUTO_FREE_REPLIES == 0 {
            ac.free_reply(reply);
        } else {
            // The callback owns it now.
            let _ = reply.into_raw();
        }
        if ac.flags() & REDIS_FREEING != 0 {
            let _ = free_now(ac);
            return Alive::Gone;
        }
    } else {
        ac.free_reply(reply);
    }
    Alive::Yes(ac)
}

/// A fatal server error (routing says so only of a tree): its text becomes the context's
/// error, then a disconnect.
fn fatal(mut ac: Ac, reply: Reply) -> Alive {
    if let Some(v) = view_of(&reply) {
        // The text stops at an embedded NUL, as hiredis's snprintf("%s") does (set_error
        // cuts).
        set_error(ac.ctx(), REDIS_ERR_OTHER, v.bytes());
    }
    ac.free_reply(reply);
    disconnect_now(ac)
}

/// `redisProcessCallbacks`: dispatches every complete reply in the reader.
pub(crate) fn process_callbacks(mut ac: Ac) -> Alive {
    loop {
        let Ok(reply) = ac.next_reply() else {
            return disconnect_now(ac);
        };
        let Some(mut reply) = reply else {
            if ac.flags() & REDIS_DISCONNECTING != 0
                && ac.obuf_len() == 0
                && ac.ctx().replies.head.is_null()
            {
                return disconnect_now(ac);
            }
            return Alive::Yes(ac);
        };
        let cb = match route(&mut ac, view_of(&reply)) {
            Route::Push => {
                // The push callback may look, never keep or free it.
                ac.run_push_cb(reply.lend());
                ac.free_reply(reply);
                continue;
            }
            Route::Fatal => return fatal(ac, reply),
            Route::Callback(cb) => cb,
        };
        let requeue = monitor_rearm(&mut ac, cb.as_ref());
        ac = match deliver(ac, cb, reply) {
            Alive::Yes(ac) => ac,
            Alive::Gone => return Alive::Gone,
        };
        monitor_requeue(&mut ac, requeue);
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::async_context::queue::tests::cb;
    use crate::async_context::submit::register;
    use core::ffi::c_char;
    use std::sync::atomic::AtomicPtr;

    // ---- routing decisions on a context with no connection (no socket, no hooks) ----

    /// Reply trees for the tests (leaked: test-only, so they live for `'static`).
    type Tree = &'static redisReply;

    /// Every leaked test object, reachable from a static so that Miri's leak check knows
    /// they are kept on purpose.
    static KEPT: std::sync::Mutex<Vec<AtomicPtr<u8>>> = std::sync::Mutex::new(Vec::new());

    fn keep<T: ?Sized>(obj: &'static mut T) -> &'static mut T {
        let p = ptr::from_mut(obj);
        KEPT.lock().unwrap().push(AtomicPtr::new(p.cast::<u8>()));
        // The pointer was only copied: `obj` is handed back as it came.
        obj
    }

    fn leaked(kind: c_int) -> &'static mut redisReply {
        keep(Box::leak(Box::new(redisReply {
            r#type: kind,
            integer: 0,
            dval: 0.0,
            len: 0,
            str: ptr::null_mut(),
            vtype: [0; 4],
            elements: 0,
            element: ptr::null_mut(),
        })))
    }
    fn reply(kind: c_int) -> Tree {
        leaked(kind)
    }

    fn st(text: &str) -> Tree {
        let r = leaked(REDIS_REPLY_STRING);
        let bytes: &'static mut [u8] = keep(Box::leak(
            format!("{text}\0").into_bytes().into_boxed_slice(),
        ));
        r.str = bytes.as_mut_ptr() as *mut c_char;
        r.len = text.len();
        r
    }
    fn int(n: i64) -> Tree {
        let r = leaked(REDIS_REPLY_INTEGER);
        r.integer = n;
        r
    }
    fn agg(kind: c_int, elems: Vec<Tree>) -> Tree {
        let r = leaked(kind);
        let n = elems.len();
        let ptrs: Vec<*mut redisReply> = elems
            .into_iter()
            .map(|e| ptr::from_ref(e).cast_mut())
            .collect();
        let arr: &'static mut [*mut redisReply] = keep(Box::leak(ptrs.into_boxed_slice()));
        r.elements = n;
        r.element = if n == 0 {
            ptr::null_mut()
        } else {
            arr.as_mut_ptr()
        };
        r
    }
    fn view(r: Tree) -> ReplyView<'static> {
        ReplyView(r)
    }

    fn tag(cb: Option<ReplyCallback>) -> Option<usize> {
        cb.map(|c| c.privdata as usize)
    }

    /// Registers a pre-formatted command as the command functions do.
    fn reg(ac: &mut Ac, privdata: usize, args: &[&str]) -> Result<(), ()> {
        let mut cmd = format!("*{}\r\n", args.len());
        for a in args {
            cmd += &format!("${}\r\n{a}\r\n", a.len());
        }
        let mb = Multibulk::parse(cmd.as_bytes()).unwrap();
        let (a, st) = ac.parts();
        register(a, st, cb(privdata), mb.argc(), mb.args()).map_err(|_| ())
    }

    #[test]
    fn resp2_channel_lifecycle() {
        let mut held = test_handle();
        let ac = &mut held;
        reg(ac, 7, &["SUBSCRIBE", "a"]).unwrap();
        reg(ac, 8, &["PING"]).unwrap();
        assert!(ac.ctx().c.flags & REDIS_SUBSCRIBED != 0);
        assert!(ac.ctx().replies.head.is_null(), "SUBSCRIBE is not queued");
        assert!(
            !ac.ctx().sub.replies.head.is_null(),
            "PING waits on sub.replies"
        );
        let f = agg(REDIS_REPLY_ARRAY, vec![st("subscribe"), st("a"), int(1)]);
        assert_eq!(tag(subscribe_callback(ac, view(f))), Some(7));
        assert_eq!(ac.state().channels.map.get(b"a").unwrap().pending_subs, 0);
        let m = agg(REDIS_REPLY_ARRAY, vec![st("message"), st("a"), st("hi")]);
        assert_eq!(tag(subscribe_callback(ac, view(m))), Some(7));
        // RESP2 PING while subscribed: a 2-element array is not a frame.
        let pong = agg(REDIS_REPLY_ARRAY, vec![st("pong"), st("")]);
        assert_eq!(tag(subscribe_callback(ac, view(pong))), Some(8));
        reg(ac, 9, &["GET", "k"]).unwrap();
        let u = agg(REDIS_REPLY_ARRAY, vec![st("unsubscribe"), st("a"), int(0)]);
        assert_eq!(tag(subscribe_callback(ac, view(u))), Some(7));
        assert_eq!(ac.state().channels.len(), 0);
        assert!(ac.ctx().c.flags & REDIS_SUBSCRIBED == 0);
        // GET moved from sub.replies to replies.
        assert!(ac.ctx().sub.replies.head.is_null());
        assert!(!ac.ctx().replies.head.is_null());
        assert_eq!(tag(pop_reply_cb(ac)), Some(9));
        assert!(ac.ctx().replies.head.is_null());
        held.release();
    }

    #[test]
    fn unsubscribe_counting_and_refusal() {
        let mut held = test_handle();
        let ac = &mut held;
        assert!(
            reg(ac, 1, &["UNSUBSCRIBE"]).is_err(),
            "refused when not subscribed"
        );
        reg(ac, 1, &["SUBSCRIBE", "A", "B"]).unwrap();
        reg(ac, 0, &["UNSUBSCRIBE", "B", "X", "A", "A", "Z"]).unwrap();
        reg(ac, 0, &["PUNSUBSCRIBE"]).unwrap();
        assert_eq!(ac.ctx().sub.pending_unsubs, 4);
        for ch in ["A", "B"] {
            let f = agg(REDIS_REPLY_ARRAY, vec![st("subscribe"), st(ch), int(1)]);
            assert_eq!(tag(subscribe_callback(ac, view(f))), Some(1));
        }
        // (channel, count in the frame, who gets it)
        let frames = [
            ("B", 1, Some(1)),
            ("X", 1, None),
            ("A", 0, Some(1)),
            ("A", 0, None),
            ("Z", 0, None),
        ];
        for (ch, count, want) in frames {
            let f = agg(
                REDIS_REPLY_ARRAY,
                vec![st("unsubscribe"), st(ch), int(count)],
            );
            assert_eq!(tag(subscribe_callback(ac, view(f))), want, "{ch}");
            assert!(
                ac.ctx().c.flags & REDIS_SUBSCRIBED != 0,
                "still waiting for ignored replies"
            );
        }
        let nil = reply(crate::abi::read::REDIS_REPLY_NIL);
        let f = agg(REDIS_REPLY_ARRAY, vec![st("punsubscribe"), nil, int(0)]);
        assert_eq!(tag(subscribe_callback(ac, view(f))), None);
        assert_eq!(ac.ctx().sub.pending_unsubs, 0);
        assert!(ac.ctx().c.flags & REDIS_SUBSCRIBED == 0);
        held.release();
    }

    #[test]
    fn malformed_frames_are_ignored_safely() {
        let mut held = test_handle();
        let ac = &mut held;
        reg(ac, 3, &["SUBSCRIBE", "ch"]).unwrap();
        ac.ctx().c.flags |= REDIS_SUPPORTS_PUSH;
        let cases = [
            (agg(REDIS_REPLY_PUSH, vec![]), None),
            (agg(REDIS_REPLY_PUSH, vec![int(1)]), None),
            (agg(REDIS_REPLY_PUSH, vec![st("message")]), None),
            (agg(REDIS_REPLY_PUSH, vec![st("message"), int(5)]), None),
            (
                agg(
                    REDIS_REPLY_PUSH,
                    vec![st("subscribe"), st("unknown"), int(1)],
                ),
                None,
            ),
            // a short unsubscribe for a known channel still reaches its callback
            (
                agg(REDIS_REPLY_PUSH, vec![st("unsubscribe"), st("ch")]),
                Some(3),
            ),
        ];
        for (f, want) in cases {
            assert_eq!(tag(subscribe_callback(ac, view(f))), want);
        }
        // No count in the frame: SUBSCRIBED stays (nothing assumed).
        assert!(ac.ctx().c.flags & REDIS_SUBSCRIBED != 0);
        let m = agg(REDIS_REPLY_PUSH, vec![st("message"), st("ch"), st("x")]);
        assert_eq!(tag(subscribe_callback(ac, view(m))), Some(3));
        // With push support a 3-element array is a regular reply.
        let arr = agg(REDIS_REPLY_ARRAY, vec![st("message"), st("ch"), st("x")]);
        assert!(!is_frame(view(arr), true));
        held.release();
    }

    #[test]
    fn sharded_frames_use_their_own_table() {
        let mut held = test_handle();
        let ac = &mut held;
        reg(ac, 5, &["SSUBSCRIBE", "s1"]).unwrap();
        reg(ac, 6, &["SUBSCRIBE", "s1"]).unwrap();
        assert_eq!(ac.state().shards.len(), 1);
        let sm = agg(REDIS_REPLY_PUSH, vec![st("smessage"), st("s1"), st("x")]);
        assert_eq!(tag(subscribe_callback(ac, view(sm))), Some(5));
        let m = agg(REDIS_REPLY_PUSH, vec![st("message"), st("s1"), st("x")]);
        assert_eq!(tag(subscribe_callback(ac, view(m))), Some(6));
        reg(ac, 0, &["SUNSUBSCRIBE"]).unwrap();
        let f = agg(REDIS_REPLY_PUSH, vec![st("ssubscribe"), st("s1"), int(1)]);
        assert_eq!(tag(subscribe_callback(ac, view(f))), Some(5));
        let f = agg(REDIS_REPLY_PUSH, vec![st("sunsubscribe"), st("s1"), int(0)]);
        assert_eq!(tag(subscribe_callback(ac, view(f))), Some(5));
        assert_eq!(ac.state().shards.len(), 0);
        // The plain channel is still there: still subscribed.
        assert!(ac.ctx().c.flags & REDIS_SUBSCRIBED != 0);
        held.release();
    }
}

//! Reply dispatch: each parsed reply goes to the callback it answers, to the subscription
//! tables while subscribed (RESP2 message frames and RESP3 pushes), to the push handler, or
//! is dropped; hiredis's `redisProcessCallbacks`.

use super::*;

/// Frees a reply with the reader's own destructor (the reader's `fn` may be replaced by C).
///
/// # Safety
/// `ac` is live; `reply` came from its reader and is not used afterwards.
pub(super) unsafe fn free_reply(ac: *mut redisAsyncContext, reply: *mut c_void) {
    // SAFETY: the reader is a live part of the context.
    if let Some(r) = unsafe { (*ac).c.reader.as_ref() } {
        crate::ffi::read::free_object(r.r#fn, reply);
    }
}

/// Whether replies are real `redisReply` trees we may inspect (a NULL reader `fn` makes the
/// reader hand out placeholder values instead).
///
/// # Safety
/// `ac` is live.
pub(super) unsafe fn replies_are_objects(ac: *mut redisAsyncContext) -> bool {
    // SAFETY: as in `free_reply`.
    unsafe { (*ac).c.reader.as_ref().is_some_and(|r| !r.r#fn.is_null()) }
}

/// Finds the callback for a reply in subscribed mode (hiredis's routing, plus the shard
/// table, without its asserts).
///
/// # Safety
/// `ac` is live; `r` is the reply being dispatched.
pub(super) unsafe fn subscribe_callback(
    ac: *mut redisAsyncContext,
    r: ReplyView<'_>,
) -> Option<ReplyCallback> {
    // SAFETY: `ac` is live; no callback runs in here.
    unsafe {
        let supports_push = (*ac).c.flags & REDIS_SUPPORTS_PUSH != 0;
        if !is_frame(r, supports_push) {
            return pop_sub_reply_cb(ac);
        }
        // Frames whose type is not a string are freed and ignored (hiredis asserts).
        let name = r.element(0)?.string()?;
        let (table, kind) = frame_kind(name);
        let st = state(ac);
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
            None if kind == FrameKind::Unsubscribe => (*ac).sub.pending_unsubs -= 1,
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
            && (*ac).sub.pending_unsubs == 0
        {
            (*ac).c.flags &= !REDIS_SUBSCRIBED;
            // Regular commands queued while subscribed go back to the main queue, in order.
            // Out of memory, they stay where they are and run (with NULL) when the context
            // is freed: never lost, never twice.
            let _ = st.replies.append(
                &mut (*ac).replies,
                &mut st.sub_replies,
                &mut (*ac).sub.replies,
            );
        }
        cb
    }
}

/// `redisProcessCallbacks`: dispatches every complete reply in the reader.
///
/// # Safety
/// `ac` is live; it may be dead when this returns.
pub(crate) unsafe fn process_callbacks(ac: *mut redisAsyncContext) {
    // SAFETY: `ac` is live; every path that frees it returns immediately.
    unsafe {
        loop {
            let mut reply: *mut c_void = ptr::null_mut();
            if context::get_reply(&mut (*ac).c, &mut reply) != REDIS_OK {
                disconnect_now(ac);
                return;
            }
            if reply.is_null() {
                let flags = (*ac).c.flags;
                if flags & REDIS_DISCONNECTING != 0
                    && sds::len((*ac).c.obuf) == 0
                    && (*ac).replies.head.is_null()
                {
                    disconnect_now(ac);
                }
                return;
            }
            let view = if replies_are_objects(ac) {
                ReplyView::new(reply as *const redisReply)
            } else {
                None
            };
            if let Some(v) = view {
                if v.kind() == REDIS_REPLY_PUSH {
                    (*ac).c.flags |= REDIS_SUPPORTS_PUSH;
                    let pubsub = v
                        .element(0)
                        .and_then(|e| e.string())
                        .is_some_and(is_pubsub_name);
                    if !pubsub {
                        // Spontaneous push: the push callback may look, never keep or free it.
                        if let Some(f) = (*ac).push_cb {
                            let was_in = enter_callback(ac);
                            f(ac, reply);
                            leave_callback(ac, was_in);
                        }
                        free_reply(ac, reply);
                        continue;
                    }
                }
            }
            let cb = match pop_reply_cb(ac) {
                Some(cb) => Some(cb),
                None => match view {
                    Some(v) if v.kind() == REDIS_REPLY_ERROR => {
                        // A server message such as "max clients reached": fatal. (The text
                        // stops at an embedded NUL, as hiredis's snprintf("%s") does.)
                        let text = v.0.str;
                        let msg =
                            crate::ffi::boundary::bytes(text as *const u8, v.0.len).unwrap_or(b"");
                        set_error(ac, REDIS_ERR_OTHER, msg);
                        free_reply(ac, reply);
                        disconnect_now(ac);
                        return;
                    }
                    Some(v) if (*ac).c.flags & REDIS_SUBSCRIBED != 0 => subscribe_callback(ac, v),
                    // Not subscribed and nothing pending: hiredis asserts; free and ignore.
                    _ => None,
                },
            };
            let monitoring = (*ac).c.flags & REDIS_MONITORING != 0;
            let requeue = if monitoring {
                Some(
                    cb.as_ref()
                        .map_or(ReplyCallback::new(None, ptr::null_mut()), |c| c.rearm()),
                )
            } else {
                None
            };
            if cb.is_some_and(|cb| cb.invoke(ac, reply)) {
                if (*ac).c.flags & REDIS_NO_AUTO_FREE_REPLIES == 0 {
                    free_reply(ac, reply);
                }
                if (*ac).c.flags & REDIS_FREEING != 0 {
                    free_now(ac);
                    return;
                }
            } else {
                free_reply(ac, reply);
            }
            if let Some(rq) = requeue {
                if (*ac).c.flags & REDIS_MONITORING != 0 {
                    let _ = state(ac).replies.push(rq, &mut (*ac).replies);
                }
            }
        }
    }
}

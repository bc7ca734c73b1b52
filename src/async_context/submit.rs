//! Submitting commands: the refusal rules, callback registration (with the subscription
//! bookkeeping) and the three ways a command arrives (pre-formatted, printf-style, argv).

use super::*;

/// Why a command was refused.
pub(crate) enum Refused {
    /// DISCONNECTING/FREEING, or an unsubscribe while not subscribed: nothing changes.
    Quiet,
    /// The callback queue could not grow: `err` is set.
    Oom,
}

/// True while the context takes no new commands: disconnecting, freeing or torn down.
///
/// # Safety
/// `ac` is live.
unsafe fn refusing(ac: *mut redisAsyncContext) -> bool {
    // SAFETY: `ac` is live; plain field reads.
    unsafe { (*ac).c.flags & (REDIS_DISCONNECTING | REDIS_FREEING) != 0 || state(ac).tearing_down }
}

/// Steps 1-3 of hiredis's `__redisAsyncCommand`: refuse or record the callback.
///
/// # Safety
/// `ac` is live.
pub(super) unsafe fn register<'a>(
    ac: *mut redisAsyncContext,
    cb: ReplyCallback,
    argc: usize,
    mut args: impl Iterator<Item = &'a [u8]>,
) -> Result<(), Refused> {
    // SAFETY: `ac` is live; no callback runs in here.
    unsafe {
        if refusing(ac) {
            return Err(Refused::Quiet);
        }
        let flags = (*ac).c.flags;
        let st = state(ac);
        let Some(name) = args.next() else {
            return Err(Refused::Quiet);
        };
        let names = args;
        match classify(name, argc > 1) {
            CmdKind::Subscribe(t) => {
                (*ac).c.flags |= REDIS_SUBSCRIBED;
                st.table(t)
                    .subscribe(names, cb.f, cb.privdata)
                    .map_err(|_| Refused::Oom)?;
            }
            CmdKind::Unsubscribe(t) => {
                if flags & REDIS_SUBSCRIBED == 0 {
                    return Err(Refused::Quiet);
                }
                let ignored = if argc > 1 {
                    st.table(t).unsubscribe(names)
                } else {
                    st.table(t).unsubscribe_all()
                };
                (*ac).sub.pending_unsubs += ignored;
            }
            CmdKind::Monitor => {
                (*ac).c.flags |= REDIS_MONITORING;
                st.replies
                    .push(cb, &mut (*ac).replies)
                    .map_err(|_| Refused::Oom)?;
            }
            CmdKind::Regular => {
                let r = if flags & REDIS_SUBSCRIBED != 0 {
                    st.sub_replies.push(cb, &mut (*ac).sub.replies)
                } else {
                    st.replies.push(cb, &mut (*ac).replies)
                };
                r.map_err(|_| Refused::Oom)?;
            }
        }
        Ok(())
    }
}

/// Maps a refusal to REDIS_ERR, setting the OOM error where hiredis does.
///
/// # Safety
/// `ac` is live.
pub(super) unsafe fn refused(ac: *mut redisAsyncContext, why: Refused) -> c_int {
    if let Refused::Oom = why {
        // SAFETY: `ac` is live.
        unsafe { oom(ac) };
    }
    REDIS_ERR
}

/// Records the callback, lets `append` put the bytes into `obuf`, arms the write hook.
///
/// # Safety
/// `ac` is live.
pub(super) unsafe fn submit<'a>(
    ac: *mut redisAsyncContext,
    cb: ReplyCallback,
    argc: usize,
    args: impl Iterator<Item = &'a [u8]>,
    append: impl FnOnce(sds::Sds) -> sds::Sds,
) -> c_int {
    // SAFETY: `ac` is live; `obuf` is its live sds.
    unsafe {
        if let Err(why) = register(ac, cb, argc, args) {
            return refused(ac, why);
        }
        let grown = append((*ac).c.obuf);
        if grown.is_null() {
            // Like hiredis (which ignores this failure): the callback stays queued.
            oom(ac);
        } else {
            (*ac).c.obuf = grown;
        }
        add_write(ac);
        REDIS_OK
    }
}

/// `redisAsyncFormattedCommand`: `cmd` must be a well-formed multi-bulk; anything else
/// returns REDIS_ERR (hiredis asserts).
///
/// # Safety
/// `ac` is live; `cmd` does not point into its `obuf`.
pub(crate) unsafe fn formatted_command(
    ac: *mut redisAsyncContext,
    cb: ReplyCallback,
    cmd: &[u8],
) -> c_int {
    let Some(mb) = Multibulk::parse(cmd) else {
        return REDIS_ERR;
    };
    // SAFETY: `ac` is live; `cmd` is the caller's buffer.
    unsafe { submit(ac, cb, mb.argc(), mb.args(), |obuf| sds::cat_len(obuf, cmd)) }
}

/// `redisvAsyncCommand`: formats straight into `obuf`, then classifies the appended bytes;
/// a refused command is cut off again.
///
/// # Safety
/// `ac` is live; `args` yields what `fmt` asks for, none of it pointing into `obuf`.
pub(crate) unsafe fn printf_command(
    ac: *mut redisAsyncContext,
    cb: ReplyCallback,
    fmt: &[u8],
    args: &mut dyn crate::format::ArgSource,
) -> c_int {
    // SAFETY: `ac` is live; `obuf` is replaced by the live pointer append returns.
    unsafe {
        // Checked before formatting too, which then need not happen.
        if refusing(ac) {
            return REDIS_ERR;
        }
        let start = sds::len((*ac).c.obuf);
        let (obuf, r) = crate::format::append_command_sds((*ac).c.obuf, fmt, args);
        (*ac).c.obuf = obuf;
        // Format errors and OOM return REDIS_ERR without touching `err`, as in hiredis.
        let Ok(n) = r else { return REDIS_ERR };
        let cmd = core::slice::from_raw_parts((obuf as *const u8).add(start), n);
        let verdict = match Multibulk::formatted(cmd) {
            Some(mb) => register(ac, cb, mb.argc(), mb.args()),
            None => Err(Refused::Quiet),
        };
        if let Err(why) = verdict {
            sds::incr_len(obuf, -(n as isize));
            return refused(ac, why);
        }
        add_write(ac);
        REDIS_OK
    }
}

/// `redisAsyncCommandArgv`.
///
/// # Safety
/// `ac` is live.
pub(crate) unsafe fn argv_command<'a>(
    ac: *mut redisAsyncContext,
    cb: ReplyCallback,
    argc: usize,
    argv: impl Iterator<Item = &'a [u8]> + Clone,
) -> c_int {
    // SAFETY: `ac` is live; the arguments are the caller's buffers, not `obuf`. The command
    // is written straight into `obuf` (one growth, no temporary); on failure it is unchanged.
    unsafe {
        submit(
            ac,
            cb,
            argc,
            argv.clone(),
            |obuf| match crate::format::append_argv_sds(obuf, argv) {
                (grown, Some(_)) => grown,
                (_, None) => ptr::null_mut(),
            },
        )
    }
}

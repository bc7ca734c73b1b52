#![forbid(unsafe_code)]
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
fn refusing(a: &redisAsyncContext, st: &AsyncState) -> bool {
    a.c.flags & (REDIS_DISCONNECTING | REDIS_FREEING) != 0 || st.tearing_down
}

/// Steps 1-3 of hiredis's `__redisAsyncCommand`: refuse or record the callback.
pub(super) fn register<'a>(
    a: &mut redisAsyncContext,
    st: &mut AsyncState,
    cb: ReplyCallback,
    argc: usize,
    mut args: impl Iterator<Item = &'a [u8]>,
) -> Result<(), Refused> {
    if refusing(a, st) {
        return Err(Refused::Quiet);
    }
    let flags = a.c.flags;
    let Some(name) = args.next() else {
        return Err(Refused::Quiet);
    };
    let names = args;
    match classify(name, argc > 1) {
        CmdKind::Subscribe(t) => {
            a.c.flags |= REDIS_SUBSCRIBED;
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
            a.sub.pending_unsubs += ignored;
        }
        CmdKind::Monitor => {
            a.c.flags |= REDIS_MONITORING;
            st.replies
                .push(cb, &mut a.replies)
                .map_err(|_| Refused::Oom)?;
        }
        CmdKind::Regular => {
            let r = if flags & REDIS_SUBSCRIBED != 0 {
                st.sub_replies.push(cb, &mut a.sub.replies)
            } else {
                st.replies.push(cb, &mut a.replies)
            };
            r.map_err(|_| Refused::Oom)?;
        }
    }
    Ok(())
}

/// Maps a refusal to REDIS_ERR, setting the OOM error where hiredis does.
fn refused(ac: &mut Ac, why: Refused) -> c_int {
    if let Refused::Oom = why {
        oom(ac.ctx());
    }
    REDIS_ERR
}

/// Records the callback, lets `append` put the bytes into `obuf`, arms the write hook.
fn submit<'a>(
    ac: &mut Ac,
    cb: ReplyCallback,
    argc: usize,
    args: impl Iterator<Item = &'a [u8]>,
    append: impl FnOnce(&mut Ac) -> bool,
) -> c_int {
    let (a, st) = ac.parts();
    if let Err(why) = register(a, st, cb, argc, args) {
        return refused(ac, why);
    }
    if !append(ac) {
        // Like hiredis (which ignores this failure): the callback stays queued.
        oom(ac.ctx());
    }
    ac.add_write();
    REDIS_OK
}

/// `redisAsyncFormattedCommand`: `cmd` must be a well-formed multi-bulk; anything else
/// returns REDIS_ERR (hiredis asserts).
pub(crate) fn formatted_command(mut ac: Ac, cb: ReplyCallback, cmd: &[u8]) -> c_int {
    let Some(mb) = Multibulk::parse(cmd) else {
        return REDIS_ERR;
    };
    submit(&mut ac, cb, mb.argc(), mb.args(), |ac| ac.obuf_cat(cmd))
}

/// `redisvAsyncCommand`: formats straight into `obuf`, then classifies the appended bytes;
/// a refused command is cut off again. `args` must not point into `obuf`.
pub(crate) fn printf_command(
    mut ac: Ac,
    cb: ReplyCallback,
    fmt: &[u8],
    args: &mut dyn crate::format::ArgSource,
) -> c_int {
    // Checked before formatting too, which then need not happen.
    let (a, st) = ac.parts();
    if refusing(a, st) {
        return REDIS_ERR;
    }
    // Format errors and OOM return REDIS_ERR without touching `err`, as in hiredis.
    let Ok(n) = ac.obuf_format(fmt, args) else {
        return REDIS_ERR;
    };
    // Classified in place: the appended bytes are read while the callback is recorded, and
    // cut off again if the command is refused.
    let verdict = ac.with_obuf(|obuf, a, st| {
        let all = obuf.as_bytes();
        let r = match Multibulk::formatted(&all[all.len() - n..]) {
            Some(mb) => register(a, st, cb, mb.argc(), mb.args()),
            None => Err(Refused::Quiet),
        };
        if r.is_err() {
            obuf.shorten(n);
        }
        r
    });
    match verdict {
        None => REDIS_ERR,
        Some(Err(why)) => refused(&mut ac, why),
        Some(Ok(())) => {
            ac.add_write();
            REDIS_OK
        }
    }
}

/// `redisAsyncCommandArgv`. The arguments are the caller's buffers, not `obuf`; the command
/// is written straight into `obuf` (one growth, no temporary); on failure it is unchanged.
pub(crate) fn argv_command<'a>(
    mut ac: Ac,
    cb: ReplyCallback,
    argc: usize,
    argv: impl Iterator<Item = &'a [u8]> + Clone,
) -> c_int {
    submit(&mut ac, cb, argc, argv.clone(), |ac| ac.obuf_argv(argv))
}

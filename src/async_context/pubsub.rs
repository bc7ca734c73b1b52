//! Subscription tables and pub/sub frame classification.
#![allow(unsafe_code)]

use super::*;

// ---------------------------------------------------------------------------------------------
// Subscription tables

/// A subscription's callback and hiredis's bookkeeping for it.
pub(crate) struct SubEntry {
    pub(super) f: redisCallbackFnPtr,
    pub(super) privdata: *mut c_void,
    /// Subscribe confirmations still expected.
    pub(super) pending_subs: c_int,
    /// An unsubscribe for it was sent.
    pub(super) unsubscribe_sent: bool,
}

/// Which subscription table a command or frame concerns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Table {
    Channels,
    Patterns,
    Shards,
}

/// A subscription table: channel (or pattern) name to entry, in hook memory.
#[derive(Default)]
pub(crate) struct SubTable {
    pub(super) map: HMap<SubEntry>,
}

impl SubTable {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// SUBSCRIBE bookkeeping, hiredis's way: a name seen before bumps its pending count, and the
    /// bumped count carries over to the names after it in the same command.
    pub(super) fn subscribe<'a>(
        &mut self,
        names: impl Iterator<Item = &'a [u8]>,
        f: redisCallbackFnPtr,
        privdata: *mut c_void,
    ) -> Result<(), ()> {
        let mut pending = 1;
        for name in names {
            if let Some(old) = self.map.get_mut(name) {
                pending = old.pending_subs + 1;
                *old = SubEntry {
                    f,
                    privdata,
                    pending_subs: pending,
                    unsubscribe_sent: false,
                };
                continue;
            }
            // Allocation failures are reported (hiredis's "Out of memory"), never aborts.
            let entry = SubEntry {
                f,
                privdata,
                pending_subs: pending,
                unsubscribe_sent: false,
            };
            self.map.try_insert(name, entry).map_err(|_| ())?;
        }
        Ok(())
    }

    /// UNSUBSCRIBE bookkeeping; returns how many replies will have no entry to go to.
    pub(super) fn unsubscribe<'a>(&mut self, names: impl Iterator<Item = &'a [u8]>) -> c_int {
        let mut ignored = 0;
        for name in names {
            match self.map.get_mut(name) {
                Some(e) if !e.unsubscribe_sent => e.unsubscribe_sent = true,
                _ => ignored += 1,
            }
        }
        ignored
    }

    /// UNSUBSCRIBE without arguments: marks every entry; one ignored reply if none was new.
    pub(super) fn unsubscribe_all(&mut self) -> c_int {
        let mut none = true;
        for e in self.map.values_mut() {
            if !e.unsubscribe_sent {
                e.unsubscribe_sent = true;
                none = false;
            }
        }
        c_int::from(none)
    }
}

// ---------------------------------------------------------------------------------------------
// Reply classification (pub/sub frames)

/// What a pub/sub frame does.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum FrameKind {
    Subscribe,
    Unsubscribe,
    Message,
}

/// The table and kind a frame's type name selects (element 0). Anything that is not a
/// (un)subscribe confirmation is message-like, as in hiredis.
pub(crate) fn frame_kind(name: &[u8]) -> (Table, FrameKind) {
    if name.eq_ignore_ascii_case(b"ssubscribe") {
        return (Table::Shards, FrameKind::Subscribe);
    }
    if name.eq_ignore_ascii_case(b"sunsubscribe") {
        return (Table::Shards, FrameKind::Unsubscribe);
    }
    if name.eq_ignore_ascii_case(b"smessage") {
        return (Table::Shards, FrameKind::Message);
    }
    let p = name.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'p'));
    let table = if p { Table::Patterns } else { Table::Channels };
    let rest = &name[usize::from(p)..];
    let kind = if rest.eq_ignore_ascii_case(b"subscribe") {
        FrameKind::Subscribe
    } else if rest.eq_ignore_ascii_case(b"unsubscribe") {
        FrameKind::Unsubscribe
    } else {
        FrameKind::Message
    };
    (table, kind)
}

/// hiredis's test for a pub/sub-shaped push: element 0 is at least 7 bytes and, after an
/// optional `p`, a case-insensitive prefix of `subscribe`, `message` or `unsubscribe`. The
/// sharded names count too (so they are not "spontaneous").
pub(crate) fn is_pubsub_name(name: &[u8]) -> bool {
    if name.len() < 7 {
        return false;
    }
    let prefix_of =
        |s: &[u8], lit: &[u8]| s.len() <= lit.len() && lit[..s.len()].eq_ignore_ascii_case(s);
    let p = name[0].eq_ignore_ascii_case(&b'p');
    let s = &name[usize::from(p)..];
    prefix_of(s, b"subscribe")
        || prefix_of(s, b"message")
        || prefix_of(s, b"unsubscribe")
        || name.eq_ignore_ascii_case(b"ssubscribe")
        || name.eq_ignore_ascii_case(b"sunsubscribe")
        || name.eq_ignore_ascii_case(b"smessage")
}

/// A read-only view of a reply tree built by the default reply functions (whose invariants
/// the accessors rely on: `element` holds `elements` subtrees, `str` holds `len` bytes).
#[derive(Clone, Copy)]
pub(crate) struct ReplyView<'a>(pub(super) &'a redisReply);

impl<'a> ReplyView<'a> {
    pub(crate) fn kind(self) -> c_int {
        self.0.r#type
    }

    /// The reply's text and its subtrees (NULL ones as `None`), as the reply tree invariant
    /// describes them; both empty when their pointer is NULL.
    fn arrays(self) -> (&'a [u8], &'a [Option<&'a redisReply>]) {
        let r = self.0;
        // SAFETY: `str` holds `len` bytes and `element` holds `elements` pointers to
        // subtrees, each NULL or alive as long as this tree (reply tree invariant); a
        // nullable pointer has the layout of `Option<&redisReply>`.
        unsafe {
            (
                if r.str.is_null() {
                    &[]
                } else {
                    core::slice::from_raw_parts(r.str as *const u8, r.len)
                },
                if r.element.is_null() {
                    &[]
                } else {
                    core::slice::from_raw_parts(
                        r.element as *const Option<&'a redisReply>,
                        r.elements,
                    )
                },
            )
        }
    }

    pub(crate) fn len(self) -> usize {
        self.arrays().1.len()
    }

    pub(crate) fn element(self, i: usize) -> Option<ReplyView<'a>> {
        self.arrays().1.get(i).copied().flatten().map(ReplyView)
    }

    /// The bytes of a STRING element.
    pub(crate) fn string(self) -> Option<&'a [u8]> {
        if self.0.r#type != REDIS_REPLY_STRING || (self.0.str.is_null() && self.0.len != 0) {
            return None;
        }
        Some(self.bytes())
    }

    /// The reply's text whatever its type (empty when it has none).
    pub(crate) fn bytes(self) -> &'a [u8] {
        self.arrays().0
    }

    pub(crate) fn integer(self) -> Option<i64> {
        (self.0.r#type == REDIS_REPLY_INTEGER).then_some(self.0.integer)
    }
}

/// Whether a reply is a pub/sub frame given the context's push support (hiredis's
/// `__redisGetSubscribeCallback` test): a PUSH, or a RESP2 array of 3 or more elements.
pub(crate) fn is_frame(r: ReplyView<'_>, supports_push: bool) -> bool {
    r.kind() == REDIS_REPLY_PUSH
        || (r.kind() == REDIS_REPLY_ARRAY && !supports_push && r.len() >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_names() {
        assert_eq!(
            frame_kind(b"message"),
            (Table::Channels, FrameKind::Message)
        );
        assert_eq!(
            frame_kind(b"pmessage"),
            (Table::Patterns, FrameKind::Message)
        );
        assert_eq!(
            frame_kind(b"SUBSCRIBE"),
            (Table::Channels, FrameKind::Subscribe)
        );
        assert_eq!(
            frame_kind(b"punsubscribe"),
            (Table::Patterns, FrameKind::Unsubscribe)
        );
        assert_eq!(frame_kind(b"smessage"), (Table::Shards, FrameKind::Message));
        assert_eq!(
            frame_kind(b"ssubscribe"),
            (Table::Shards, FrameKind::Subscribe)
        );
        assert_eq!(
            frame_kind(b"sunsubscribe"),
            (Table::Shards, FrameKind::Unsubscribe)
        );
        assert!(is_pubsub_name(b"message"));
        assert!(is_pubsub_name(b"pmessage"));
        assert!(is_pubsub_name(b"subscri"));
        assert!(is_pubsub_name(b"smessage"));
        assert!(!is_pubsub_name(b"invalidate"));
        assert!(!is_pubsub_name(b"messag"));
        assert!(!is_pubsub_name(b"messages"));
    }

    #[test]
    fn subscribe_bookkeeping_matches_hiredis() {
        let mut t = SubTable::default();
        let names: [&[u8]; 2] = [b"a", b"b"];
        t.subscribe(names.iter().copied(), None, ptr::null_mut())
            .unwrap();
        assert_eq!(t.map.get(b"a").unwrap().pending_subs, 1);
        // "a" is known: its count becomes 2, and "c" after it inherits 2.
        let names: [&[u8]; 3] = [b"x", b"a", b"c"];
        t.subscribe(names.iter().copied(), None, ptr::null_mut())
            .unwrap();
        assert_eq!(t.map.get(b"x").unwrap().pending_subs, 1);
        assert_eq!(t.map.get(b"a").unwrap().pending_subs, 2);
        assert_eq!(t.map.get(b"c").unwrap().pending_subs, 2);
        let names: [&[u8]; 4] = [b"a", b"a", b"zz", b"b"];
        assert_eq!(t.unsubscribe(names.iter().copied()), 2);
        assert_eq!(t.unsubscribe_all(), 0);
        assert_eq!(t.unsubscribe_all(), 1);
    }
}

#![forbid(unsafe_code)]
//! Command classification and the multibulk parser.

use super::*;

// ---------------------------------------------------------------------------------------------
// Command classification

/// What a command does to the callback bookkeeping.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CmdKind {
    Subscribe(Table),
    Unsubscribe(Table),
    Monitor,
    Regular,
}

/// Classifies by name (case-insensitive) as hiredis does: a leading `p` selects the pattern
/// variant; SUBSCRIBE needs at least one argument. Sharded variants get their own table.
/// The names are those of the confirmations the server sends back ([`frame_kind`]).
pub(crate) fn classify(name: &[u8], has_args: bool) -> CmdKind {
    match frame_kind(name) {
        (table, FrameKind::Subscribe) if has_args => CmdKind::Subscribe(table),
        (table, FrameKind::Unsubscribe) => CmdKind::Unsubscribe(table),
        _ => {
            // hiredis skips a leading `p` before every name, this one too.
            let p = name.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'p'));
            if name[usize::from(p)..].eq_ignore_ascii_case(b"monitor") {
                CmdKind::Monitor
            } else {
                CmdKind::Regular
            }
        }
    }
}

/// Reads `<lead><digits>\r\n` at `*pos` (digits only: no sign, at most 19).
#[inline]
pub(crate) fn resp_number(buf: &[u8], pos: &mut usize, lead: u8) -> Option<usize> {
    if buf.get(*pos) != Some(&lead) {
        return None;
    }
    let start = *pos + 1;
    // The digits are read up to the first other byte, which must start CR LF: the same
    // verdicts as finding the CR first, without a memchr call for a 1 to 3 digit number.
    let mut end = start;
    let mut n: usize = 0;
    while let Some(&d) = buf.get(end) {
        if !d.is_ascii_digit() {
            break;
        }
        if end - start == 19 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
        end += 1;
    }
    if end == start || buf.get(end..end + 2) != Some(b"\r\n") {
        return None;
    }
    *pos = end + 2;
    Some(n)
}

/// The first command of a RESP multi-bulk buffer, validated once: at least one argument and
/// every bulk complete (hiredis asserts on anything else). Walking it allocates nothing.
#[derive(Clone, Copy)]
pub(crate) struct Multibulk<'a> {
    pub(super) buf: &'a [u8],
    pub(super) argc: usize,
    pub(super) first: usize,
}

impl<'a> Multibulk<'a> {
    pub(crate) fn parse(buf: &'a [u8]) -> Option<Self> {
        let mut pos = 0;
        let argc = resp_number(buf, &mut pos, b'*')?;
        if argc == 0 {
            return None;
        }
        let first = pos;
        for _ in 0..argc {
            let len = resp_number(buf, &mut pos, b'$')?;
            let end = pos.checked_add(len)?;
            if buf.get(end..end.checked_add(2)?) != Some(b"\r\n") {
                return None;
            }
            pos = end + 2;
        }
        Some(Multibulk { buf, argc, first })
    }

    /// Like [`Multibulk::parse`] for bytes our formatter just wrote (well-formed by
    /// construction), reading only the count: arguments are parsed as [`Multibulk::args`]
    /// walks them, so ordinary commands never look past argument 0.
    pub(crate) fn formatted(buf: &'a [u8]) -> Option<Self> {
        let mut pos = 0;
        let argc = resp_number(buf, &mut pos, b'*')?;
        if argc == 0 {
            return None;
        }
        Some(Multibulk {
            buf,
            argc,
            first: pos,
        })
    }

    pub(crate) fn argc(&self) -> usize {
        self.argc
    }

    pub(crate) fn args(&self) -> MultibulkArgs<'a> {
        MultibulkArgs {
            buf: self.buf,
            pos: self.first,
            left: self.argc,
        }
    }
}

/// The arguments of a validated [`Multibulk`].
#[derive(Clone)]
pub(crate) struct MultibulkArgs<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    pub(super) left: usize,
}

impl<'a> Iterator for MultibulkArgs<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let len = resp_number(self.buf, &mut self.pos, b'$')?;
        let arg = self.buf.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len + 2;
        self.left -= 1;
        Some(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_commands() {
        assert_eq!(
            classify(b"SUBSCRIBE", true),
            CmdKind::Subscribe(Table::Channels)
        );
        assert_eq!(classify(b"subscribe", false), CmdKind::Regular);
        assert_eq!(
            classify(b"PSubscribe", true),
            CmdKind::Subscribe(Table::Patterns)
        );
        assert_eq!(
            classify(b"ssubscribe", true),
            CmdKind::Subscribe(Table::Shards)
        );
        assert_eq!(
            classify(b"unsubscribe", false),
            CmdKind::Unsubscribe(Table::Channels)
        );
        assert_eq!(
            classify(b"PUNSUBSCRIBE", true),
            CmdKind::Unsubscribe(Table::Patterns)
        );
        assert_eq!(
            classify(b"SUNSUBSCRIBE", false),
            CmdKind::Unsubscribe(Table::Shards)
        );
        assert_eq!(classify(b"monitor", false), CmdKind::Monitor);
        assert_eq!(classify(b"PING", false), CmdKind::Regular);
        assert_eq!(classify(b"p", false), CmdKind::Regular);
        assert_eq!(classify(b"", false), CmdKind::Regular);
    }

    #[test]
    fn multibulk_parsing() {
        let all = |b: &'static [u8]| Multibulk::parse(b).map(|m| m.args().collect::<Vec<_>>());
        let m = Multibulk::parse(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\ntrailing").unwrap();
        assert_eq!(m.argc(), 2);
        assert_eq!(m.args().collect::<Vec<_>>(), vec![&b"GET"[..], b"k"]);
        assert_eq!(all(b"*1\r\n$0\r\n\r\n").unwrap(), vec![&b""[..]]);
        assert!(Multibulk::parse(b"*0\r\n").is_none());
        // The formatter's output is read lazily: argument 0 without looking further.
        let f = Multibulk::formatted(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n").unwrap();
        assert_eq!(f.argc(), 3);
        assert_eq!(f.args().next(), Some(&b"SET"[..]));
        assert_eq!(f.args().collect::<Vec<_>>(), vec![&b"SET"[..], b"k"]);
        assert!(Multibulk::formatted(b"*0\r\n").is_none());
        assert!(Multibulk::parse(b"*1\r\n$12345678901234567890\r\n").is_none());
        assert!(Multibulk::parse(b"*1\r\n$3x\r\nabc\r\n").is_none());
        assert!(Multibulk::parse(b"PING\r\n").is_none());
        assert!(Multibulk::parse(b"*2\r\n$3\r\nGET\r\n").is_none());
        assert!(Multibulk::parse(b"*1\r\n$5\r\nGET\r\n").is_none());
        assert!(Multibulk::parse(b"*1\r\n$-1\r\n").is_none());
        assert!(Multibulk::parse(b"*1\r\n$99999999999999999999999\r\n").is_none());
    }
}

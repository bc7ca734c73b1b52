//! The blocks a `redisContext` owns through its public pointer fields: the endpoint strings,
//! the two timeouts, the peer address `saddr` and (read only here) the output buffer.
//!
//! Context invariant (kept by `context::init` and every function here): each of these
//! fields is NULL or a live block from the allocator hooks that only this context refers to
//! (`obuf`: NULL or its live sds). A `&redisContext` therefore lends the blocks too, and a
//! `&mut redisContext` may replace or free them.
#![allow(unsafe_code)]

use core::ffi::{CStr, c_char, c_void};
use core::mem::replace;
use core::ptr;

use crate::abi::hiredis::redisContext;
use crate::alloc::{HBox, RawBuf};
use crate::{alloc, sds};

/// The owned blocks, by field.
#[derive(Clone, Copy)]
pub(crate) enum Block {
    Host,
    SourceAddr,
    UnixPath,
    ConnectTimeout,
    CommandTimeout,
    Saddr,
}

/// The endpoint strings.
#[derive(Clone, Copy)]
pub(super) enum Str {
    Host,
    SourceAddr,
    UnixPath,
}

/// The two timeouts.
#[derive(Clone, Copy)]
pub(crate) enum Timeout {
    Connect,
    Command,
}

fn str_field(c: &mut redisContext, f: Str) -> &mut *mut c_char {
    match f {
        Str::Host => &mut c.tcp.host,
        Str::SourceAddr => &mut c.tcp.source_addr,
        Str::UnixPath => &mut c.unix_sock.path,
    }
}

fn tv_field(c: &mut redisContext, w: Timeout) -> &mut *mut libc::timeval {
    match w {
        Timeout::Connect => &mut c.connect_timeout,
        Timeout::Command => &mut c.command_timeout,
    }
}

/// Detaches block `b` from its field (leaving NULL) and frees it.
pub(crate) fn free(c: &mut redisContext, b: Block) {
    let p: *mut c_void = match b {
        Block::Host => replace(&mut c.tcp.host, ptr::null_mut()).cast(),
        Block::SourceAddr => replace(&mut c.tcp.source_addr, ptr::null_mut()).cast(),
        Block::UnixPath => replace(&mut c.unix_sock.path, ptr::null_mut()).cast(),
        Block::ConnectTimeout => replace(&mut c.connect_timeout, ptr::null_mut()).cast(),
        Block::CommandTimeout => replace(&mut c.command_timeout, ptr::null_mut()).cast(),
        Block::Saddr => replace(&mut c.saddr, ptr::null_mut()).cast(),
    };
    // SAFETY: NULL or the context's own hook block (invariant), no longer reachable from
    // the context, so freed exactly once.
    unsafe { alloc::free(p) }
}

/// The stored string `f`, borrowed with the context.
pub(super) fn string(c: &redisContext, f: Str) -> Option<&CStr> {
    let p = match f {
        Str::Host => c.tcp.host,
        Str::SourceAddr => c.tcp.source_addr,
        Str::UnixPath => c.unix_sock.path,
    };
    // SAFETY: NULL or the context's own NUL-terminated hook copy (invariant), which only a
    // `&mut` of the context can replace.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
}

/// Replaces string `f` with a hook copy of `s` (`hi_strdup`; `None` stores NULL) unless `s`
/// is the stored string itself. Err on OOM (the field is then NULL).
pub(super) fn store_string(c: &mut redisContext, f: Str, s: Option<&CStr>) -> Result<(), ()> {
    let sp = s.map_or(ptr::null(), CStr::as_ptr);
    if ptr::eq(*str_field(c, f), sp) {
        return Ok(());
    }
    free(
        c,
        match f {
            Str::Host => Block::Host,
            Str::SourceAddr => Block::SourceAddr,
            Str::UnixPath => Block::UnixPath,
        },
    );
    let copy = s.map_or(ptr::null_mut(), alloc::strdup);
    *str_field(c, f) = copy;
    if copy.is_null() && s.is_some() {
        Err(())
    } else {
        Ok(())
    }
}

/// Timeout `w`'s block, borrowed with the context; `None` when none is stored.
fn timeout_block(c: &mut redisContext, w: Timeout) -> Option<&mut libc::timeval> {
    let p = *tv_field(c, w);
    // SAFETY: NULL or the context's own heap timeval (invariant), holding a value (written
    // whole when stored, or zeroed by the calloc hook), and reachable only through the
    // context, which the borrow holds.
    unsafe { p.as_mut() }
}

/// A copy of timeout `w`, if one is stored.
pub(crate) fn timeout(c: &mut redisContext, w: Timeout) -> Option<libc::timeval> {
    timeout_block(c, w).copied()
}

/// Stores `tv` as timeout `w`, allocating its block (malloc hook) on first use. Err on OOM.
pub(crate) fn store_timeout(c: &mut redisContext, w: Timeout, tv: libc::timeval) -> Result<(), ()> {
    if let Some(block) = timeout_block(c, w) {
        *block = tv;
    } else {
        *tv_field(c, w) = HBox::into_raw(HBox::try_new(tv).map_err(|_| ())?);
    }
    Ok(())
}

/// Makes sure timeout `w` has a block, a zeroed one from the calloc hook when new (what
/// hiredis's async setter does). Err on OOM.
pub(crate) fn alloc_timeout_zeroed(c: &mut redisContext, w: Timeout) -> Result<(), ()> {
    let slot = tv_field(c, w);
    if slot.is_null() {
        *slot = alloc::calloc_one::<libc::timeval>();
        if slot.is_null() {
            return Err(());
        }
    }
    Ok(())
}

/// The peer address the connect functions saved (`saddr`, `addrlen` bytes); empty if none.
pub(super) fn saddr(c: &redisContext) -> &[u8] {
    if c.saddr.is_null() {
        return &[];
    }
    // SAFETY: a non-NULL `saddr` is the context's own block of `addrlen` bytes, written
    // whole by `store_saddr`.
    unsafe { core::slice::from_raw_parts(c.saddr as *const u8, c.addrlen) }
}

/// Replaces `saddr` with a hook copy (malloc) of `bytes` and sets `addrlen`. Err on OOM
/// (`saddr` is then NULL and `addrlen` unchanged).
pub(super) fn store_saddr(c: &mut redisContext, bytes: &[u8]) -> Result<(), ()> {
    free(c, Block::Saddr);
    // A copy in a block of exactly `bytes.len()` bytes from the malloc hook.
    let p = if bytes.is_empty() {
        // (No resolver gives an empty address; hiredis would store its malloc(0) block.)
        alloc::malloc(0) as *mut u8
    } else {
        RawBuf::<u8>::with_capacity(bytes.len()).map_or(ptr::null_mut(), |mut block| {
            block.extend_from_slice(bytes);
            block.into_raw()
        })
    };
    if p.is_null() {
        return Err(());
    }
    c.saddr = p as *mut libc::sockaddr;
    c.addrlen = bytes.len();
    Ok(())
}

/// The pending output (`obuf`), empty if there is none.
pub(crate) fn obuf(c: &redisContext) -> &[u8] {
    // SAFETY: `obuf` is NULL or the context's live sds (invariant), which only a `&mut` of
    // the context can change.
    unsafe { sds::bytes_of(c.obuf) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_stored_reused_and_freed() {
        let mut h = crate::context::init(ptr::null()).expect("context");
        let c = h.ctx();
        store_string(c, Str::Host, Some(c"localhost")).expect("strdup");
        assert_eq!(string(c, Str::Host), Some(c"localhost"));
        // (Storing the stored string itself, which only C can pass, keeps the block:
        // tests/test_sync_connect.c checks it through redisContextConnectTcp.)
        store_string(c, Str::Host, None).expect("NULL");
        assert!(c.tcp.host.is_null() && string(c, Str::Host).is_none());

        let tv = libc::timeval {
            tv_sec: 3,
            tv_usec: 4,
        };
        assert!(timeout(c, Timeout::Connect).is_none());
        store_timeout(c, Timeout::Connect, tv).expect("malloc");
        let block = c.connect_timeout;
        store_timeout(c, Timeout::Connect, libc::timeval { tv_sec: 5, ..tv }).expect("reuse");
        assert_eq!(c.connect_timeout, block);
        assert_eq!(timeout(c, Timeout::Connect).map(|t| t.tv_sec), Some(5));
        free(c, Block::ConnectTimeout);
        assert!(c.connect_timeout.is_null() && timeout(c, Timeout::Connect).is_none());

        assert!(saddr(c).is_empty());
        store_saddr(c, &[1, 2, 3]).expect("malloc");
        assert_eq!((saddr(c), c.addrlen), (&[1u8, 2, 3][..], 3));
        assert!(obuf(c).is_empty());
        crate::context::free(h);
    }
}

//! Running commands: keyed commands with redirects and retries (spec §3.8), multi-key split
//! and merge (§3.9), commands to a given node (§3.10) and pipelining (§3.11).

#![allow(non_snake_case)]

use std::ffi::{c_char, c_int, c_longlong, c_void};
use std::ptr;

use crate::adlist::{listCreate, listNode, listRelease};
use crate::cluster::*;
use crate::command::{self, MultiKey, ParseError};
use crate::core::{self, redisContext, redisReply};
use crate::core::{
    REDIS_ERR, REDIS_ERR_CLUSTER_TOO_MANY_RETRIES, REDIS_ERR_OOM, REDIS_ERR_OTHER,
    REDIS_ERR_PROTOCOL, REDIS_OK, REDIS_REPLY_ARRAY, REDIS_REPLY_ERROR, REDIS_REPLY_INTEGER,
    REDIS_REPLY_STATUS,
};
use crate::scratch::Small;
use crate::types::*;

/// What an error reply asks of the client.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Redirect {
    Moved,
    Ask,
    Retry,
}

/// MOVED/ASK/TRYAGAIN/CLUSTERDOWN: an error reply longer than, and starting with, the word.
pub(crate) unsafe fn classify(r: *const redisReply) -> Option<Redirect> {
    // SAFETY: caller's promise: a live reply.
    unsafe {
        if (*r).r#type != REDIS_REPLY_ERROR {
            return None;
        }
        let s = reply_str(r);
        let is = |w: &[u8]| s.len() > w.len() && s.starts_with(w);
        if is(b"MOVED") {
            Some(Redirect::Moved)
        } else if is(b"ASK") {
            Some(Redirect::Ask)
        } else if is(b"TRYAGAIN") || is(b"CLUSTERDOWN") {
            Some(Redirect::Retry)
        } else {
            None
        }
    }
}

/// A redirect's node address, copied out of the reply (which is freed before it is used).
pub(crate) type Addr = Small<u8, 64>;

/// A parsed `MOVED|ASK <slot> <endpoint>:<port>`: the slot (-1 if not a number) and the
/// target node's address; the node is created (and added to `cc->nodes`) when unknown.
pub(crate) unsafe fn redirect_target(
    cc: *mut redisClusterContext,
    r: *const redisReply,
) -> Option<(i64, Addr)> {
    // SAFETY: caller's promise: `cc` and `r` live.
    unsafe {
        let mut parts = reply_str(r).split(|&b| b == b' ');
        let (Some(_), Some(slot), Some(addr), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            set_error(cc, REDIS_ERR_OTHER, b"failed to parse redirect");
            return None;
        };
        let slot = if !slot.is_empty() && slot.len() < 12 && slot.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(slot)
                .unwrap_or("-1")
                .parse::<i64>()
                .unwrap_or(-1)
        } else {
            -1
        };
        let Some(colon) = addr.iter().rposition(|&b| b == b':') else {
            set_error(cc, REDIS_ERR_OTHER, b"port separator missing in redirect");
            return None;
        };
        if colon == 0 {
            set_error(cc, REDIS_ERR_OTHER, b"endpoint missing in redirect");
            return None;
        }
        if dict_node((*cc).nodes, addr).is_null() {
            let port = addr[colon + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0u32, |v, &b| {
                    v.wrapping_mul(10).wrapping_add((b - b'0') as u32)
                });
            let node = node_new(&addr[..colon], port as u16, addr, REDIS_ROLE_MASTER);
            if (*cc).nodes.is_null() {
                (*cc).nodes = nodes_dict_new();
            }
            if node.is_null() || (*cc).nodes.is_null() || !dict_add_node((*cc).nodes, node) {
                node_free(node);
                set_error(cc, REDIS_ERR_OOM, OOM);
                return None;
            }
        }
        let mut copy = Addr::new();
        if !copy.reserve(scratch(cc), addr.len()) {
            set_error(cc, REDIS_ERR_OOM, OOM);
            return None;
        }
        copy.extend(addr);
        Some((slot, copy))
    }
}

/// Reads and installs the slot map pipelined on `*updating` (if any); clears it.
unsafe fn drain_update(cc: *mut redisClusterContext, updating: &mut *mut redisContext) -> c_int {
    if updating.is_null() {
        return REDIS_OK;
    }
    let c = std::mem::replace(updating, ptr::null_mut());
    let mut reply: *mut c_void = ptr::null_mut();
    // SAFETY: caller's promise: `c` is the live connection the request was sent on.
    unsafe {
        let rc = core::redisGetReply(c, &mut reply);
        handle_slotmap_reply(cc, c, rc, reply.cast())
    }
}

/// Runs one command for `slot`, following redirects (spec §3.8 execution).
///
/// # Safety
/// `cc` live; `cmd` a RESP command.
unsafe fn execute(cc: *mut redisClusterContext, slot: u32, cmd: &[u8]) -> *mut redisReply {
    let mut updating: *mut redisContext = ptr::null_mut();
    let mut reply: *mut redisReply = ptr::null_mut();
    // SAFETY: caller's promise; node and connection pointers are looked up again after
    // anything that may replace the node dict.
    unsafe {
        'retry: loop {
            let mut node = node_for_slot(cc, slot);
            if node.is_null() {
                let _ = drain_update(cc, &mut updating);
                if redisClusterUpdateSlotmap(cc) != REDIS_OK {
                    return ptr::null_mut();
                }
                node = node_for_slot(cc, slot);
                if node.is_null() {
                    return ptr::null_mut();
                }
            }
            let mut c = ctx_get_by_node(cc, node);
            if c.is_null() || (*c).err != 0 {
                let _ = drain_update(cc, &mut updating);
                if redisClusterUpdateSlotmap(cc) != REDIS_OK {
                    return ptr::null_mut();
                }
                node = node_for_slot(cc, slot);
                if node.is_null() {
                    return ptr::null_mut();
                }
                c = ctx_get_by_node(cc, node);
                if c.is_null() {
                    return ptr::null_mut();
                }
                if (*c).err != 0 {
                    copy_ctx_error(cc, c);
                    return ptr::null_mut();
                }
            }
            loop {
                // A reply to the pipelined slot-map request comes first on its connection.
                if !updating.is_null() && c == updating {
                    if drain_update(cc, &mut updating) != REDIS_OK {
                        clear_error(cc);
                        (*cc).need_update_route = 1;
                    }
                    continue 'retry;
                }
                if core::redisAppendFormattedCommand(c, cmd.as_ptr().cast(), cmd.len()) != REDIS_OK
                {
                    copy_ctx_error(cc, c);
                    break 'retry;
                }
                if (*cc).need_update_route != 0 && updating.is_null() && send_slotmap_request(cc, c)
                {
                    updating = c;
                }
                let mut r: *mut c_void = ptr::null_mut();
                if core::redisGetReply(c, &mut r) != REDIS_OK {
                    copy_ctx_error(cc, c);
                    if (*c).err != REDIS_ERR_OOM {
                        (*cc).need_update_route = 1;
                    }
                    break 'retry;
                }
                let r = r as *mut redisReply;
                let Some(kind) = classify(r) else {
                    reply = r;
                    break 'retry;
                };
                (*cc).retry_count += 1;
                if (*cc).retry_count > (*cc).max_retry_count {
                    core::freeReplyObject(r.cast());
                    set_error(
                        cc,
                        REDIS_ERR_CLUSTER_TOO_MANY_RETRIES,
                        b"too many cluster retries",
                    );
                    break 'retry;
                }
                if kind == Redirect::Retry {
                    core::freeReplyObject(r.cast());
                    continue 'retry;
                }
                let target = redirect_target(cc, r);
                core::freeReplyObject(r.cast());
                let Some((moved_slot, addr)) = target else {
                    break 'retry;
                };
                if kind == Redirect::Moved {
                    let t = dict_node((*cc).nodes, addr.as_slice());
                    // A slot number outside the table is ignored (0.14.0 writes past it).
                    if (0..SLOTS as i64).contains(&moved_slot) && !(*cc).table.is_null() {
                        *(*cc).table.add(moved_slot as usize) = t;
                    }
                    if updating.is_null() {
                        if send_slotmap_request(cc, c) {
                            updating = c;
                        } else if redisClusterUpdateSlotmap(cc) != REDIS_OK {
                            break 'retry;
                        }
                    }
                }
                // Looked up again: a blocking update above replaces every node.
                let t = dict_node((*cc).nodes, addr.as_slice());
                if t.is_null() {
                    continue 'retry;
                }
                c = ctx_get_by_node(cc, t);
                if c.is_null() {
                    break 'retry;
                }
                if (*c).err != 0 {
                    copy_ctx_error(cc, c);
                    break 'retry;
                }
                if kind == Redirect::Ask {
                    if !updating.is_null() && c == updating {
                        continue;
                    }
                    let argv = [c"ASKING".as_ptr()];
                    let lens = [6usize];
                    let a = core::redisCommandArgv(c, 1, argv.as_ptr(), lens.as_ptr());
                    if a.is_null() {
                        copy_ctx_error(cc, c);
                        break 'retry;
                    }
                    core::freeReplyObject(a);
                }
            }
        }
        if !updating.is_null() && drain_update(cc, &mut updating) != REDIS_OK {
            clear_error(cc);
            if redisClusterUpdateSlotmap(cc) != REDIS_OK {
                core::freeReplyObject(reply.cast());
                return ptr::null_mut();
            }
        }
        reply
    }
}

/// Records a key-finder error on `cc`.
pub(crate) unsafe fn parse_error(cc: *mut redisClusterContext, e: ParseError) {
    // SAFETY: caller's promise.
    unsafe {
        match e {
            ParseError::NotResp => set_error(cc, REDIS_ERR_PROTOCOL, b"Command parse error"),
            ParseError::Keys(t) | ParseError::Unknown(t) => set_error(cc, REDIS_ERR_PROTOCOL, &t),
            ParseError::Oom => set_error(cc, REDIS_ERR_OOM, OOM),
            ParseError::NoKeys => set_error(
                cc,
                REDIS_ERR_OTHER,
                b"No keys in command(must have keys for redis cluster mode)",
            ),
        }
    }
}

/// (slot, key number) per key of a multi-key command, ordered by slot then key; each run of
/// one slot is a sub-command, sent in that order.
pub(crate) type Pairs = Small<(u32, u32), 32>;

/// The sub-commands of `pairs`: per slot, its (slot, key number) pairs.
pub(crate) fn subs(pairs: &[(u32, u32)]) -> impl Iterator<Item = &[(u32, u32)]> {
    pairs.chunk_by(|a, b| a.0 == b.0)
}

/// Fills `pairs` (room for `p.nkeys()` reserved) with the keys' (slot, key number) pairs in
/// sub-command order; false when every key is in one slot (no split).
pub(crate) fn split(p: &command::Parsed<'_, '_>, pairs: &mut Pairs) -> bool {
    pairs.clear();
    for k in 0..p.nkeys() {
        pairs.push((p.slot(k), k as u32));
    }
    let v = pairs.as_mut_slice();
    if v.iter().all(|x| x.0 == v[0].0) {
        return false;
    }
    // (slot, key) pairs are distinct, so the unstable sort gives one order.
    v.sort_unstable();
    true
}

/// Whether the keys of a multi-key command fall in more than one slot.
pub(crate) fn spans_slots(p: &command::Parsed<'_, '_>) -> bool {
    let first = p.slot(0);
    (1..p.nkeys()).any(|k| p.slot(k) != first)
}

/// A command's RESP built in place: on the stack up to 512 bytes, in the scratch area beyond.
pub(crate) type CmdBuf = Small<u8, 512>;

/// Room for any sub-command of `cmd`: a sub-command is no longer than the command it comes
/// from (a name of the same length, a subset of its arguments, each length written without
/// the leading zeros the command may have).
fn sub_command_room(cmd: &[u8]) -> usize {
    cmd.len()
}

fn put_len(buf: &mut CmdBuf, lead: u8, n: usize) {
    let mut digits = [0u8; 24];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.push(lead);
    buf.extend(&digits[i..]);
    buf.extend(b"\r\n");
}

/// The RESP of one sub-command (`keys`: its (slot, key number) pairs) into `buf`.
pub(crate) fn sub_command(
    p: &command::Parsed<'_, '_>,
    multi: MultiKey,
    keys: &[(u32, u32)],
    buf: &mut CmdBuf,
) {
    let per_key = if multi == MultiKey::Mset { 2 } else { 1 };
    let args = p.args;
    buf.clear();
    put_len(buf, b'*', 1 + keys.len() * per_key);
    let name = multi.name();
    put_len(buf, b'$', name.len());
    buf.extend(name);
    buf.extend(b"\r\n");
    for &(_, k) in keys {
        let at = p.key_arg(k as usize);
        for a in &args[at..at + per_key] {
            put_len(buf, b'$', a.len());
            buf.extend(a);
            buf.extend(b"\r\n");
        }
    }
}

fn new_reply(ty: c_int) -> *mut redisReply {
    let r: *mut redisReply = core::alloc_zeroed();
    if !r.is_null() {
        // SAFETY: fresh zeroed reply.
        unsafe { (*r).r#type = ty };
    }
    r
}

fn free_all(replies: &[*mut redisReply]) {
    for &r in replies {
        // SAFETY: owned replies (NULL is accepted).
        unsafe { core::freeReplyObject(r.cast()) };
    }
}

/// Merges the sub-replies of a split command into one reply (spec §3.9); frees them. NULL
/// with the error on `cc` when a sub-reply has the wrong shape.
unsafe fn merge(
    cc: *mut redisClusterContext,
    multi: MultiKey,
    nkeys: usize,
    pairs: &[(u32, u32)],
    replies: &[*mut redisReply],
) -> *mut redisReply {
    let subs = || pairs.chunk_by(|a, b| a.0 == b.0);
    // SAFETY: caller's promise: `replies` are live owned replies, one per sub-command.
    unsafe {
        let fail = |text: &[u8], replies: &[*mut redisReply]| {
            free_all(replies);
            let kind = if text == OOM {
                REDIS_ERR_OOM
            } else {
                REDIS_ERR_OTHER
            };
            set_error(cc, kind, text);
            ptr::null_mut()
        };
        match multi {
            MultiKey::Mget => {
                for (r, ks) in replies.iter().zip(subs()) {
                    if (**r).r#type != REDIS_REPLY_ARRAY {
                        return fail(b"reply type error", replies);
                    }
                    if (**r).elements == 0 || (**r).elements != ks.len() {
                        return fail(b"sub reply elements error", replies);
                    }
                }
                let out = new_reply(REDIS_REPLY_ARRAY);
                let elems = core::calloc(nkeys.max(1), size_of::<*mut redisReply>())
                    as *mut *mut redisReply;
                if out.is_null() || elems.is_null() {
                    core::free(out.cast());
                    core::free(elems.cast());
                    return fail(OOM, replies);
                }
                for (r, ks) in replies.iter().zip(subs()) {
                    for (j, &(_, k)) in ks.iter().enumerate() {
                        *elems.add(k as usize) = *(**r).element.add(j);
                        *(**r).element.add(j) = ptr::null_mut();
                    }
                }
                (*out).elements = nkeys;
                (*out).element = elems;
                free_all(replies);
                out
            }
            MultiKey::Del | MultiKey::Exists => {
                let mut sum: c_longlong = 0;
                for r in replies {
                    if (**r).r#type != REDIS_REPLY_INTEGER {
                        return fail(b"reply type error", replies);
                    }
                    sum = sum.wrapping_add((**r).integer);
                }
                let out = new_reply(REDIS_REPLY_INTEGER);
                if out.is_null() {
                    return fail(OOM, replies);
                }
                (*out).integer = sum;
                free_all(replies);
                out
            }
            MultiKey::Mset => {
                for r in replies {
                    if (**r).r#type != REDIS_REPLY_STATUS || reply_str(*r) != b"OK" {
                        return fail(b"reply type error", replies);
                    }
                }
                let out = new_reply(REDIS_REPLY_STATUS);
                let s = core::strdup_bytes(b"OK");
                if out.is_null() || s.is_null() {
                    core::free(out.cast());
                    core::free(s.cast());
                    return fail(OOM, replies);
                }
                (*out).str = s;
                (*out).len = 2;
                free_all(replies);
                out
            }
        }
    }
}

/// Parses, routes and runs a RESP command (keyed API entry point).
unsafe fn run_formatted(cc: *mut redisClusterContext, cmd: &[u8]) -> *mut redisReply {
    // SAFETY: caller's promise: `cc` live.
    unsafe {
        clear_error(cc);
        let mut store = command::Args::new();
        let p = match command::parse(cmd, &mut store, scratch(cc)) {
            Ok(p) => p,
            Err(e) => {
                parse_error(cc, e);
                return ptr::null_mut();
            }
        };
        let result = match p.multi {
            None => execute(cc, p.slot(0), cmd),
            Some(multi) => run_multi(cc, &p, multi, cmd),
        };
        (*cc).retry_count = 0;
        result
    }
}

/// Runs a multi-key command: whole when its keys share a slot, else split per slot and the
/// replies merged.
unsafe fn run_multi(
    cc: *mut redisClusterContext,
    p: &command::Parsed<'_, '_>,
    multi: MultiKey,
    cmd: &[u8],
) -> *mut redisReply {
    // SAFETY: caller's promise: `cc` live; the leases end with this call.
    unsafe {
        let sc = scratch(cc);
        let mut pairs = Pairs::new();
        if !pairs.reserve(sc, p.nkeys()) {
            set_error(cc, REDIS_ERR_OOM, OOM);
            return ptr::null_mut();
        }
        if !split(p, &mut pairs) {
            return execute(cc, p.slot(0), cmd);
        }
        let pairs = pairs.as_slice();
        let mut replies: Small<*mut redisReply, 32> = Small::new();
        let mut buf = CmdBuf::new();
        if !replies.reserve(sc, subs(pairs).count()) || !buf.reserve(sc, sub_command_room(cmd)) {
            set_error(cc, REDIS_ERR_OOM, OOM);
            return ptr::null_mut();
        }
        for keys in subs(pairs) {
            sub_command(p, multi, keys, &mut buf);
            let r = execute(cc, keys[0].0, buf.as_slice());
            if r.is_null() || (*r).r#type == REDIS_REPLY_ERROR {
                free_all(replies.as_slice());
                return r;
            }
            replies.push(r);
        }
        merge(cc, multi, p.nkeys(), pairs, replies.as_slice())
    }
}

/// Runs a command already in RESP (not copied, not freed).
///
/// # Safety
/// `cc` NULL or live; `cmd` points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterFormattedCommand(
    cc: *mut redisClusterContext,
    cmd: *mut c_char,
    len: c_int,
) -> *mut c_void {
    if cc.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise.
    unsafe {
        if cmd.is_null() || len <= 0 {
            clear_error(cc);
            return ptr::null_mut();
        }
        let b = std::slice::from_raw_parts(cmd as *const u8, len as usize);
        run_formatted(cc, b).cast()
    }
}

/// Formats `argc` arguments and runs the command.
///
/// # Safety
/// `cc` NULL or live; `argv`/`argvlen` as for `redisFormatCommandArgv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterCommandArgv(
    cc: *mut redisClusterContext,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> *mut c_void {
    if cc.is_null() {
        return ptr::null_mut();
    }
    let mut cmd: *mut c_char = ptr::null_mut();
    // SAFETY: caller's promise.
    unsafe {
        let len = core::redisFormatCommandArgv(&mut cmd, argc, argv, argvlen);
        hircl_command_result(cc, cmd, len)
    }
}

/// The end of every formatting entry point: -1 OOM, -2 invalid format, else run and free.
///
/// # Safety
/// `cc` live; `cmd` from the core's formatter (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_command_result(
    cc: *mut redisClusterContext,
    cmd: *mut c_char,
    len: c_longlong,
) -> *mut c_void {
    // SAFETY: caller's promise.
    unsafe {
        match formatted_len(len) {
            Err((kind, text)) => {
                set_error(cc, kind, text);
                ptr::null_mut()
            }
            Ok(n) => {
                let r = run_formatted(cc, std::slice::from_raw_parts(cmd as *const u8, n));
                core::redisFreeCommand(cmd);
                r.cast()
            }
        }
    }
}

// ---- commands to one node -----------------------------------------------------------------

/// The node's connection for a ToNode call, NULL (error copied when the context has one).
///
/// # Safety
/// `cc` live; `node` NULL or a live node.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_node_context(
    cc: *mut redisClusterContext,
    node: *mut redisClusterNode,
) -> *mut redisContext {
    if cc.is_null() || node.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise.
    unsafe {
        let c = ctx_get_by_node(cc, node);
        if c.is_null() {
            return c;
        }
        if (*c).err != 0 {
            copy_ctx_error(cc, c);
            return ptr::null_mut();
        }
        c
    }
}

/// Clears the context's error before a ToNode command is appended.
///
/// # Safety
/// `cc` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_clear_error(cc: *mut redisClusterContext) {
    // SAFETY: caller's promise.
    unsafe { clear_error(cc) }
}

/// The rest of a ToNode call after the append (`appended` is its status): an optional
/// pipelined slot-map update, then the reply (no redirects followed).
///
/// # Safety
/// `cc` and `c` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_to_node_finish(
    cc: *mut redisClusterContext,
    c: *mut redisContext,
    appended: c_int,
) -> *mut c_void {
    // SAFETY: caller's promise.
    unsafe {
        if appended != REDIS_OK {
            copy_ctx_error(cc, c);
            return ptr::null_mut();
        }
        let updating = (*cc).need_update_route != 0 && send_slotmap_request(cc, c);
        let mut r: *mut c_void = ptr::null_mut();
        if core::redisGetReply(c, &mut r) != REDIS_OK {
            copy_ctx_error(cc, c);
            if (*c).err != REDIS_ERR_OOM {
                (*cc).need_update_route = 1;
            }
            return ptr::null_mut();
        }
        if updating {
            let mut u: *mut c_void = ptr::null_mut();
            let rc = core::redisGetReply(c, &mut u);
            if handle_slotmap_reply(cc, c, rc, u.cast()) != REDIS_OK {
                clear_error(cc);
            }
        }
        r
    }
}

// ---- pipelining ---------------------------------------------------------------------------

/// The pipeline's free lists, kept after the public context (`ContextAlloc`): queue nodes and
/// request blocks of `BLOCK` bytes, and larger request blocks (their room in the header's
/// `cap`) bounded in count and bytes (`BIG_MAX`, `BIG_BYTES`), so a steady pipeline allocates
/// none per command. All are `hi_malloc` blocks, linked through their first word;
/// `listRelease` may free them as usual.
#[repr(C)]
pub(crate) struct Pools {
    nodes: *mut listNode,
    nnodes: usize,
    blocks: *mut *mut c_void,
    nblocks: usize,
    big: *mut *mut c_void,
    nbig: usize,
    big_bytes: usize,
}

/// The most entries kept on each free list.
const POOL_MAX: usize = 1024;
/// Request blocks up to this size come from (and return to) the free list.
const BLOCK: usize = 256;
/// The most larger request blocks kept, and the most bytes they may hold together.
const BIG_MAX: usize = 256;
const BIG_BYTES: usize = 1 << 20;
/// How many kept larger blocks a request looks at for one with room enough.
const BIG_SCAN: usize = 8;
/// Larger blocks' sizes are rounded up to this, so requests of nearby sizes share blocks.
const BIG_ROUND: usize = 64;

unsafe fn pools(cc: *mut redisClusterContext) -> *mut Pools {
    // SAFETY: caller's promise: `cc` came from `redisClusterContextInit`, which allocates a
    // `ContextAlloc` with the public context first.
    unsafe { &raw mut (*(cc as *mut ContextAlloc)).pools }
}

/// Frees the free lists' blocks (at `redisClusterFree`).
///
/// # Safety
/// `cc` live.
pub(crate) unsafe fn free_pools(cc: *mut redisClusterContext) {
    // SAFETY: caller's promise; every entry is a block owned by the list.
    unsafe {
        let p = pools(cc);
        while !(*p).nodes.is_null() {
            let n = (*p).nodes;
            (*p).nodes = (*n).next;
            core::free(n.cast());
        }
        for list in [&raw mut (*p).blocks, &raw mut (*p).big] {
            while !(*list).is_null() {
                let b = *list;
                *list = (*b).cast();
                core::free(b.cast());
            }
        }
        (*p).nnodes = 0;
        (*p).nblocks = 0;
        (*p).nbig = 0;
        (*p).big_bytes = 0;
    }
}

/// A block of at least `size` bytes for a request, and its size: from a free list when one
/// there fits (a larger block among the first `BIG_SCAN` kept). When none looked at fits,
/// the larger list's head is freed, so the new, larger block takes its place when done.
unsafe fn take_block(cc: *mut redisClusterContext, size: usize) -> (*mut c_void, usize) {
    // SAFETY: caller's promise: `cc` live; every block on a free list is a live block the
    // list owns, linked through its first word, a larger one with its size in `cap`.
    unsafe {
        let p = pools(cc);
        if size <= BLOCK {
            if (*p).blocks.is_null() {
                return (core::malloc(BLOCK), BLOCK);
            }
            let b = (*p).blocks;
            (*p).blocks = (*b).cast();
            (*p).nblocks -= 1;
            return (b.cast(), BLOCK);
        }
        let mut link = &raw mut (*p).big;
        let mut looked = 0;
        while !(*link).is_null() && looked < BIG_SCAN {
            let b = *link;
            let cap = (*(b as *const ReqHeader)).cap as usize;
            if cap >= size {
                *link = (*b).cast();
                (*p).nbig -= 1;
                (*p).big_bytes -= cap;
                return (b.cast(), cap);
            }
            link = b.cast();
            looked += 1;
        }
        let head = (*p).big;
        if !head.is_null() {
            (*p).big = (*head).cast();
            (*p).nbig -= 1;
            (*p).big_bytes -= (*(head as *const ReqHeader)).cap as usize;
            core::free(head.cast());
        }
        let cap = size.div_ceil(BIG_ROUND) * BIG_ROUND;
        (core::malloc(cap), cap)
    }
}

/// Done with a request value taken off the queue: a block back to the free list (or freed).
unsafe fn put_request(cc: *mut redisClusterContext, v: *mut c_void) {
    // SAFETY: caller's promise: `cc` live, `v` a queue value no longer queued.
    unsafe {
        if v.is_null() || v as usize & 1 != 0 {
            return;
        }
        let p = pools(cc);
        let cap = (*(v as *const ReqHeader)).cap as usize;
        let b = v as *mut *mut c_void;
        if cap == BLOCK && (*p).nblocks < POOL_MAX {
            *b = (*p).blocks.cast();
            (*p).blocks = b;
            (*p).nblocks += 1;
        } else if cap > BLOCK && (*p).nbig < BIG_MAX && (*p).big_bytes + cap <= BIG_BYTES {
            *b = (*p).big.cast();
            (*p).big = b;
            (*p).nbig += 1;
            (*p).big_bytes += cap;
        } else {
            core::free(v);
        }
    }
}

/// One queued pipeline request, the `value` of a node in `cc->requests`. A single-slot
/// request (the common one) is the slot itself in a tagged pointer (`slot << 1 | 1`), with
/// nothing allocated; the others are one `hi_malloc` block: a `ReqHeader` and its payload (a
/// ToNode request's node address; a split command's (slot, key number) pairs, `u32`s).
/// While on a free list the block's first word is the link; `cap` (its size) stays.
#[repr(C)]
struct ReqHeader {
    kind: u16,
    multi: u16,
    /// Payload length: address bytes, or (slot, key) pairs.
    n: u32,
    /// The block's size (`BLOCK` for the pooled ones).
    cap: u32,
    nkeys: u32,
}

const REQ_NODE: u16 = 1;
const REQ_MULTI: u16 = 2;

/// A queued request, read back.
enum Request<'a> {
    Slot(u32),
    Node(&'a [u8]),
    Multi {
        multi: MultiKey,
        nkeys: usize,
        pairs: &'a [(u32, u32)],
    },
}

fn slot_request(slot: u32) -> *mut c_void {
    ((slot as usize) << 1 | 1) as *mut c_void
}

/// A request block: the header and `payload` bytes; NULL when out of memory.
unsafe fn request_block(
    cc: *mut redisClusterContext,
    kind: u16,
    multi: u16,
    n: u32,
    nkeys: u32,
    payload: &[u8],
) -> *mut c_void {
    let size = size_of::<ReqHeader>() + payload.len();
    if size > (u32::MAX as usize) - BIG_ROUND {
        return ptr::null_mut();
    }
    // SAFETY: caller's promise: `cc` live.
    let (p, cap) = unsafe { take_block(cc, size) };
    let p = p as *mut ReqHeader;
    if !p.is_null() {
        // SAFETY: a fresh block of the header's size plus the payload's; the header is
        // 4-aligned like malloc's result.
        unsafe {
            p.write(ReqHeader {
                kind,
                multi,
                n,
                cap: cap as u32,
                nkeys,
            });
            ptr::copy_nonoverlapping(payload.as_ptr(), p.add(1).cast(), payload.len());
        }
    }
    p.cast()
}

/// Reads a queued request.
///
/// # Safety
/// `p` is a live queue value (tagged slot or request block) outliving the result.
unsafe fn request<'a>(p: *mut c_void) -> Request<'a> {
    if p as usize & 1 != 0 {
        return Request::Slot((p as usize >> 1) as u32);
    }
    // SAFETY: caller's promise: a block written by `request_block`.
    unsafe {
        let h = &*(p as *const ReqHeader);
        let payload = (p as *const ReqHeader).add(1) as *const u8;
        if h.kind == REQ_NODE {
            Request::Node(std::slice::from_raw_parts(payload, h.n as usize))
        } else {
            let multi = match h.multi {
                0 => MultiKey::Exists,
                1 => MultiKey::Mget,
                2 => MultiKey::Del,
                _ => MultiKey::Mset,
            };
            Request::Multi {
                multi,
                nkeys: h.nkeys as usize,
                pairs: std::slice::from_raw_parts(payload as *const (u32, u32), h.n as usize),
            }
        }
    }
}

unsafe extern "C" fn request_free(p: *mut c_void) {
    if p as usize & 1 == 0 {
        core::free(p);
    }
}

/// Queues a request value at the tail of `cc->requests` (freed here when it cannot be
/// queued), in a node from the free list when there is one.
unsafe fn queue(cc: *mut redisClusterContext, req: *mut c_void) -> c_int {
    // SAFETY: caller's promise: `cc` live with a request list; a node from the free list is
    // a block of a node's size that only the list held.
    unsafe {
        let p = pools(cc);
        let n = if req.is_null() {
            ptr::null_mut()
        } else if (*p).nodes.is_null() {
            core::malloc(size_of::<listNode>()) as *mut listNode
        } else {
            let n = (*p).nodes;
            (*p).nodes = (*n).next;
            (*p).nnodes -= 1;
            n
        };
        if n.is_null() {
            request_free(req);
            set_error(cc, REDIS_ERR_OOM, OOM);
            return REDIS_ERR;
        }
        // As listAddNodeTail.
        let list = (*cc).requests;
        (*n).value = req;
        (*n).next = ptr::null_mut();
        if (*list).len == 0 {
            (*n).prev = ptr::null_mut();
            (*list).head = n;
        } else {
            (*n).prev = (*list).tail;
            (*(*list).tail).next = n;
        }
        (*list).tail = n;
        (*list).len += 1;
        REDIS_OK
    }
}

/// Takes the head node off `cc->requests` (non-empty) and returns its value; the node goes to
/// the free list.
unsafe fn dequeue(cc: *mut redisClusterContext) -> *mut c_void {
    // SAFETY: caller's promise: `cc` live with a non-empty request list.
    unsafe {
        let list = (*cc).requests;
        let n = (*list).head;
        let v = (*n).value;
        // As listDelNode, without freeing the value.
        (*list).head = (*n).next;
        if (*n).next.is_null() {
            (*list).tail = ptr::null_mut();
        } else {
            (*(*n).next).prev = ptr::null_mut();
        }
        (*list).len -= 1;
        let p = pools(cc);
        if (*p).nnodes < POOL_MAX {
            (*n).next = (*p).nodes;
            (*p).nodes = n;
            (*p).nnodes += 1;
        } else {
            core::free(n.cast());
        }
        v
    }
}

unsafe fn ensure_requests(cc: *mut redisClusterContext) -> bool {
    // SAFETY: caller's promise: live.
    unsafe {
        if (*cc).requests.is_null() {
            (*cc).requests = listCreate();
            if (*cc).requests.is_null() {
                set_error(cc, REDIS_ERR_OOM, OOM);
                return false;
            }
            (*(*cc).requests).free = Some(request_free);
        }
        true
    }
}

/// Appends `cmd` to the connection of the node serving `slot` (no slot-map update).
unsafe fn append_to_slot(cc: *mut redisClusterContext, slot: u32, cmd: &[u8]) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        let node = node_for_slot(cc, slot);
        if node.is_null() {
            return REDIS_ERR;
        }
        let c = ctx_get_by_node(cc, node);
        if c.is_null() {
            return REDIS_ERR;
        }
        if (*c).err != 0 {
            copy_ctx_error(cc, c);
            return REDIS_ERR;
        }
        append_to(cc, c, cmd)
    }
}

/// Appends `cmd` to the healthy connection `c`. When its output buffer cannot grow, the error
/// goes to `cc` and `c` keeps no error of it (its buffer is as it was): marked, it would be
/// reconnected on its next use, losing the requests already appended to it.
unsafe fn append_to(cc: *mut redisClusterContext, c: *mut redisContext, cmd: &[u8]) -> c_int {
    // SAFETY: caller's promise: both live.
    unsafe {
        if core::redisAppendFormattedCommand(c, cmd.as_ptr().cast(), cmd.len()) != REDIS_OK {
            copy_ctx_error(cc, c);
            (*c).err = 0;
            (*c).errstr[0] = 0;
            return REDIS_ERR;
        }
        REDIS_OK
    }
}

/// Takes the last `len` bytes appended back out of `c`'s output buffer: an append whose
/// request could not be queued leaves the pipeline in step (nothing is written during an
/// append, so the buffer still holds them).
unsafe fn take_back(c: *mut redisContext, len: usize) {
    // SAFETY: caller's promise: `c` live, its buffer ending with the `len` bytes.
    unsafe {
        if c.is_null() || (*c).obuf.is_null() {
            return;
        }
        let keep = core::sdslen((*c).obuf).saturating_sub(len);
        if keep == 0 {
            core::sdsclear((*c).obuf);
        } else {
            core::sdsrange((*c).obuf, 0, keep as isize - 1);
        }
    }
}

/// The connection of the node serving `slot`, as an append found it (NULL if none).
unsafe fn slot_connection(cc: *mut redisClusterContext, slot: u32) -> *mut redisContext {
    // SAFETY: caller's promise: `cc` live.
    unsafe {
        let node = node_for_slot(cc, slot);
        if node.is_null() {
            ptr::null_mut()
        } else {
            (*node).con
        }
    }
}

/// Takes back the sub-commands of a split command that were appended (`sent`, the pairs of
/// those sub-commands) when the rest could not be: the command is appended whole or not at
/// all (0.14.0 leaves them, and later replies answer the wrong requests).
unsafe fn unappend(
    cc: *mut redisClusterContext,
    p: &command::Parsed<'_, '_>,
    multi: MultiKey,
    sent: &[(u32, u32)],
    buf: &mut CmdBuf,
) {
    // SAFETY: caller's promise: `cc` live; each slot's node holds the connection its
    // sub-command went to (nothing reconnects a healthy connection during an append).
    unsafe {
        for keys in subs(sent) {
            sub_command(p, multi, keys, buf);
            take_back(slot_connection(cc, keys[0].0), buf.as_slice().len());
        }
    }
}

/// Queues a RESP command (keyed) for `redisClusterGetReply`.
///
/// # Safety
/// `cc` NULL or live; `cmd` points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAppendFormattedCommand(
    cc: *mut redisClusterContext,
    cmd: *mut c_char,
    len: c_int,
) -> c_int {
    if cc.is_null() || cmd.is_null() || len <= 0 {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        if !ensure_requests(cc) {
            return REDIS_ERR;
        }
        let b = std::slice::from_raw_parts(cmd as *const u8, len as usize);
        let sc = scratch(cc);
        let mut store = command::Args::new();
        let p = match command::parse(b, &mut store, sc) {
            Ok(p) => p,
            Err(e) => {
                parse_error(cc, e);
                return REDIS_ERR;
            }
        };
        let mut pairs = Pairs::new();
        let multi = match p.multi {
            Some(m) => {
                if !pairs.reserve(sc, p.nkeys()) {
                    set_error(cc, REDIS_ERR_OOM, OOM);
                    return REDIS_ERR;
                }
                split(&p, &mut pairs).then_some(m)
            }
            None => None,
        };
        match multi {
            None => {
                let slot = p.slot(0);
                if append_to_slot(cc, slot, b) != REDIS_OK {
                    return REDIS_ERR;
                }
                let rc = queue(cc, slot_request(slot));
                if rc != REDIS_OK {
                    take_back(slot_connection(cc, slot), b.len());
                }
                rc
            }
            Some(multi) => {
                let pairs = pairs.as_slice();
                let mut buf = CmdBuf::new();
                if !buf.reserve(sc, sub_command_room(b)) {
                    set_error(cc, REDIS_ERR_OOM, OOM);
                    return REDIS_ERR;
                }
                let mut sent = 0; // pairs whose sub-command is appended
                for keys in subs(pairs) {
                    sub_command(&p, multi, keys, &mut buf);
                    if append_to_slot(cc, keys[0].0, buf.as_slice()) != REDIS_OK {
                        unappend(cc, &p, multi, &pairs[..sent], &mut buf);
                        return REDIS_ERR;
                    }
                    sent += keys.len();
                }
                // SAFETY: (u32, u32) pairs are plain bytes, read back as pairs by `request`.
                let bytes =
                    std::slice::from_raw_parts(pairs.as_ptr().cast::<u8>(), size_of_val(pairs));
                let rc = queue(
                    cc,
                    request_block(
                        cc,
                        REQ_MULTI,
                        multi as u16,
                        pairs.len() as u32,
                        p.nkeys() as u32,
                        bytes,
                    ),
                );
                if rc != REDIS_OK {
                    unappend(cc, &p, multi, pairs, &mut buf);
                }
                rc
            }
        }
    }
}

/// Formats `argc` arguments and queues the command.
///
/// # Safety
/// As `redisClusterCommandArgv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterAppendCommandArgv(
    cc: *mut redisClusterContext,
    argc: c_int,
    argv: *mut *const c_char,
    argvlen: *const usize,
) -> c_int {
    if cc.is_null() {
        return REDIS_ERR;
    }
    let mut cmd: *mut c_char = ptr::null_mut();
    // SAFETY: caller's promise.
    unsafe {
        let len = core::redisFormatCommandArgv(&mut cmd, argc, argv, argvlen);
        hircl_append_result(cc, cmd, len)
    }
}

/// The end of the formatting Append entry points: -1 OOM, -2 invalid format, else queue.
///
/// # Safety
/// `cc` live; `cmd` from the core's formatter (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_append_result(
    cc: *mut redisClusterContext,
    cmd: *mut c_char,
    len: c_longlong,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        match formatted_len(len) {
            Err((kind, text)) => {
                set_error(cc, kind, text);
                REDIS_ERR
            }
            Ok(n) => {
                let rc = redisClusterAppendFormattedCommand(cc, cmd, n as c_int);
                core::redisFreeCommand(cmd);
                rc
            }
        }
    }
}

/// Appends a formatted command to `c` (the node's connection) and queues it by address.
///
/// # Safety
/// `cc`, `node` and `c` live; `cmd` from the core's formatter (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hircl_append_to_node(
    cc: *mut redisClusterContext,
    node: *mut redisClusterNode,
    c: *mut redisContext,
    cmd: *mut c_char,
    len: c_longlong,
) -> c_int {
    // SAFETY: caller's promise.
    unsafe {
        let n = match formatted_len(len) {
            Ok(n) => n,
            Err((kind, text)) => {
                set_error(cc, kind, text);
                return REDIS_ERR;
            }
        };
        let cmd_bytes = std::slice::from_raw_parts(cmd as *const u8, n);
        let rc = if !ensure_requests(cc) || append_to(cc, c, cmd_bytes) != REDIS_OK {
            REDIS_ERR
        } else {
            let addr = core::sds_bytes((*node).addr);
            let rc = queue(
                cc,
                request_block(cc, REQ_NODE, 0, addr.len() as u32, 0, addr),
            );
            if rc != REDIS_OK {
                take_back(c, n);
            }
            rc
        };
        core::redisFreeCommand(cmd);
        rc
    }
}

/// Reads one reply from the connection of `node`.
unsafe fn read_from(
    cc: *mut redisClusterContext,
    node: *mut redisClusterNode,
) -> Result<*mut redisReply, ()> {
    // SAFETY: caller's promise.
    unsafe {
        if node.is_null() || (*node).con.is_null() {
            return Err(());
        }
        let c = (*node).con;
        if (*c).err != 0 {
            copy_ctx_error(cc, c);
            if (*cc).need_update_route == 0 {
                (*cc).retry_count += 1;
                if (*cc).retry_count > (*cc).max_retry_count {
                    (*cc).need_update_route = 1;
                    (*cc).retry_count = 0;
                }
            }
            return Err(());
        }
        let mut r: *mut c_void = ptr::null_mut();
        if core::redisGetReply(c, &mut r) != REDIS_OK {
            copy_ctx_error(cc, c);
            return Err(());
        }
        Ok(r.cast())
    }
}

/// The current owner of `slot` without touching the error (NULL if none).
unsafe fn slot_owner(cc: *mut redisClusterContext, slot: u32) -> *mut redisClusterNode {
    // SAFETY: caller's promise.
    unsafe {
        if (*cc).table.is_null() {
            ptr::null_mut()
        } else {
            *(*cc).table.add(slot as usize)
        }
    }
}

/// The reply to the oldest queued request (NULL reply and OK when the queue is empty).
///
/// # Safety
/// `cc` NULL or live; `reply` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterGetReply(
    cc: *mut redisClusterContext,
    reply: *mut *mut c_void,
) -> c_int {
    if cc.is_null() || reply.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe {
        clear_error(cc);
        *reply = ptr::null_mut();
        let list = (*cc).requests;
        if list.is_null() {
            return REDIS_ERR;
        }
        let head = (*list).head;
        if head.is_null() {
            return REDIS_OK;
        }
        // The value is given back at the end of this call (the guard), so the request's
        // payload stays readable until then.
        let value = dequeue(cc);
        struct Guard(*mut redisClusterContext, *mut c_void);
        impl Drop for Guard {
            fn drop(&mut self) {
                // SAFETY: the live context and the request value taken off its queue above,
                // owned by this call.
                unsafe { put_request(self.0, self.1) };
            }
        }
        let _guard = Guard(cc, value);
        match request(value) {
            Request::Slot(slot) => {
                let Ok(r) = read_from(cc, slot_owner(cc, slot)) else {
                    return REDIS_ERR;
                };
                if classify(r) == Some(Redirect::Moved) {
                    (*cc).need_update_route = 1;
                }
                *reply = r.cast();
                REDIS_OK
            }
            Request::Node(addr) => {
                let node = dict_node((*cc).nodes, addr);
                if node.is_null() {
                    set_error(
                        cc,
                        REDIS_ERR_OTHER,
                        b"command was sent to a now unknown node",
                    );
                    return REDIS_ERR;
                }
                let Ok(r) = read_from(cc, node) else {
                    return REDIS_ERR;
                };
                *reply = r.cast();
                REDIS_OK
            }
            Request::Multi {
                multi,
                nkeys,
                pairs,
            } => {
                let mut replies: Small<*mut redisReply, 32> = Small::new();
                if !replies.reserve(scratch(cc), subs(pairs).count()) {
                    set_error(cc, REDIS_ERR_OOM, OOM);
                    return REDIS_ERR;
                }
                for keys in subs(pairs) {
                    match read_from(cc, slot_owner(cc, keys[0].0)) {
                        Ok(r) => replies.push(r),
                        Err(()) => {
                            free_all(replies.as_slice());
                            return REDIS_ERR;
                        }
                    }
                }
                let replies = replies.as_mut_slice();
                // An error sub-reply is returned on its own, detached (0.14.0 returns it
                // and frees it in the same call).
                if let Some(at) = replies
                    .iter()
                    .position(|&r| (*r).r#type == REDIS_REPLY_ERROR)
                {
                    let r = std::mem::replace(&mut replies[at], ptr::null_mut());
                    free_all(replies);
                    *reply = r.cast();
                    return REDIS_OK;
                }
                let r = merge(cc, multi, nkeys, pairs, replies);
                if r.is_null() {
                    return REDIS_ERR;
                }
                *reply = r.cast();
                REDIS_OK
            }
        }
    }
}

unsafe fn close_all(cc: *mut redisClusterContext) {
    // SAFETY: caller's promise: live; freeing a connection leaves the dict as it is.
    unsafe {
        for node in dict_iter((*cc).nodes) {
            if !(*node).con.is_null() {
                core::redisFree((*node).con);
                (*node).con = ptr::null_mut();
            }
        }
    }
}

/// Ends a pipeline: unread replies are read and dropped (connections closed after an
/// error), the queue is emptied, and a pending slot-map update runs.
///
/// # Safety
/// `cc` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisClusterReset(cc: *mut redisClusterContext) {
    if cc.is_null() {
        return;
    }
    // SAFETY: caller's promise.
    unsafe {
        if (*cc).nodes.is_null() {
            return;
        }
        if (*cc).err != 0 {
            clear_error(cc);
            close_all(cc);
        } else {
            // Writing out a connection's buffer leaves the dict as it is.
            'flush: for node in dict_iter((*cc).nodes) {
                let c = ctx_get_by_node(cc, node);
                if c.is_null() || (*c).err != 0 {
                    continue;
                }
                let mut done: c_int = 0;
                while done == 0 {
                    if core::redisBufferWrite(c, &mut done) != REDIS_OK {
                        break 'flush;
                    }
                }
            }
            loop {
                let mut r: *mut c_void = ptr::null_mut();
                let rc = redisClusterGetReply(cc, &mut r);
                if rc != REDIS_OK {
                    close_all(cc);
                    break;
                }
                if r.is_null() {
                    break;
                }
                core::freeReplyObject(r);
            }
        }
        let requests = (*cc).requests;
        (*cc).requests = ptr::null_mut();
        listRelease(requests);
        if (*cc).need_update_route != 0 && redisClusterUpdateSlotmap(cc) == REDIS_OK {
            (*cc).need_update_route = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    /// RESP for the given arguments, each length written with `zeros` leading zeros.
    fn resp(args: &[&str], zeros: usize) -> Vec<u8> {
        let z = "0".repeat(zeros);
        let mut v = format!("*{z}{}\r\n", args.len()).into_bytes();
        for a in args {
            v.extend_from_slice(format!("${z}{}\r\n{a}\r\n", a.len()).as_bytes());
        }
        v
    }

    /// The sub-commands of a multi-key command as built for sending (None: one slot).
    fn sub_commands(args: &[&str], zeros: usize) -> Option<Vec<Vec<u8>>> {
        let cmd = resp(args, zeros);
        let mut scratch = Scratch::new();
        let sc: *mut Scratch = &mut scratch;
        let mut out = None;
        {
            let mut store = command::Args::new();
            // SAFETY: `scratch` outlives every lease here (they end with this block).
            unsafe {
                let p = command::parse(&cmd, &mut store, sc).unwrap();
                let multi = p.multi.unwrap();
                let mut pairs = Pairs::new();
                assert!(pairs.reserve(sc, p.nkeys()));
                if split(&p, &mut pairs) {
                    assert!(spans_slots(&p));
                    let mut buf = CmdBuf::new();
                    assert!(buf.reserve(sc, sub_command_room(&cmd)));
                    let mut subs_out = Vec::new();
                    for keys in subs(pairs.as_slice()) {
                        sub_command(&p, multi, keys, &mut buf);
                        assert!(buf.as_slice().len() <= cmd.len());
                        subs_out.push(buf.as_slice().to_vec());
                    }
                    out = Some(subs_out);
                } else {
                    assert!(!spans_slots(&p));
                }
            }
        }
        scratch.release();
        out
    }

    #[test]
    fn sub_commands_by_slot() {
        // {a} is slot 15495, {b} 3300: b's sub-command first.
        let subs = sub_commands(&["MGET", "{a}1", "{b}1", "{a}2"], 0).unwrap();
        assert_eq!(subs[0], resp(&["mget", "{b}1"], 0));
        assert_eq!(subs[1], resp(&["mget", "{a}1", "{a}2"], 0));
        let subs = sub_commands(&["mset", "{a}1", "x", "{b}1", "y"], 0).unwrap();
        assert_eq!(subs[0], resp(&["mset", "{b}1", "y"], 0));
        assert_eq!(subs[1], resp(&["mset", "{a}1", "x"], 0));
        assert!(sub_commands(&["DEL", "{a}1", "{a}2"], 0).is_none());
    }

    #[test]
    fn sub_commands_fit_their_room() {
        // Many keys (their arguments, pairs and a sub-command past the inline sizes), and
        // lengths written with leading zeros, which the sub-commands drop.
        let keys: Vec<String> = (0..40)
            .map(|i| format!("key:{i}:{}", "v".repeat(20)))
            .collect();
        for name in ["MGET", "EXISTS", "DEL"] {
            let mut args = vec![name];
            args.extend(keys.iter().map(String::as_str));
            for zeros in [0, 3] {
                let subs = sub_commands(&args, zeros).unwrap();
                assert!(subs.len() > 1);
                assert!(subs.iter().map(Vec::len).sum::<usize>() > 512);
            }
        }
        let mut args = vec!["MSET"];
        for k in &keys {
            args.push(k);
            args.push("value");
        }
        assert!(sub_commands(&args, 2).unwrap().len() > 1);
        // A single-key sub-command as long as the whole command can get.
        let long = "k".repeat(600);
        let subs = sub_commands(&["MGET", &long, "{b}"], 0).unwrap();
        assert!(subs.iter().any(|s| s.len() > 600));
    }
}

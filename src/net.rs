//! The socket layer (hiredis's net.c): connecting over TCP and unix sockets, socket options,
//! and the default `read`/`write` functions of the context's I/O table.
//!
//! Every function works on the public `redisContext` and reports failures the way hiredis does:
//! `REDIS_ERR` plus `err`/`errstr` (set through [`set_error`]), with the C library's
//! `strerror_r` text. Which failures close the descriptor, and which leave it for `redisFree`,
//! follows hiredis 1.4.1 exactly (callers inspect `fd` afterwards).
//!
//! This file is safe Rust (`unsafe_code` is denied): the system calls are in [`sys`], one safe
//! function each over descriptors, slices and typed values, and the blocks the context owns
//! through its pointer fields (endpoint strings, timeouts, `saddr`) are reached through
//! [`owned`].
#![deny(unsafe_code)]

use core::ffi::{CStr, c_char, c_int, c_long};
use core::mem::{offset_of, size_of};

use crate::abi::hiredis::{
    REDIS_BLOCK, REDIS_CONN_TCP, REDIS_CONN_UNIX, REDIS_CONNECT_RETRIES, REDIS_CONNECTED,
    REDIS_INVALID_FD, REDIS_PREFER_IPV4, REDIS_PREFER_IPV6, REDIS_REUSEADDR, redisContext,
};
use crate::abi::read::{REDIS_ERR, REDIS_ERR_EOF, REDIS_ERR_IO, REDIS_ERR_OOM, REDIS_ERR_OTHER};
use crate::abi::read::{REDIS_ERR_TIMEOUT, REDIS_OK};
use crate::sds;

pub(crate) mod owned;
mod sys;

use owned::{Str, Timeout};
pub(crate) use sys::{errno, set_errno};

/// Where `REDIS_OPT_SET_SOCK_CLOEXEC` is remembered in `redisContext.flags`.
///
/// hiredis ORs the option value 0x80 into `flags`, the bit of `REDIS_REUSEADDR`, so either
/// option switches on both behaviours. We keep them apart (a deliberate difference, see the
/// README) in a bit hiredis never defines; nothing outside this crate reads it.
pub(crate) const HIRS_SOCK_CLOEXEC: c_int = 0x4000_0000;

/// Size of `errstr` including its NUL.
const ERRSTR_CAP: usize = 128;

/// A fixed buffer for error texts, the size of `errstr`.
struct ErrBuf {
    buf: [u8; ERRSTR_CAP],
    len: usize,
}

impl ErrBuf {
    fn new() -> Self {
        ErrBuf {
            buf: [0; ERRSTR_CAP],
            len: 0,
        }
    }

    /// Appends what fits, always keeping room for the NUL.
    fn push(&mut self, s: &[u8]) {
        let room = ERRSTR_CAP - 1 - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    /// Appends the C library's text for `e` (`strerror_r`, as hiredis does).
    fn push_strerror(&mut self, e: c_int) {
        let mut tmp = [0u8; ERRSTR_CAP];
        self.push(sys::strerror(e, &mut tmp));
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// `__redisSetError`: sets `err` and copies `msg` (up to its first NUL, at most 127 bytes)
/// into `errstr`. `None` (hiredis: a NULL string, allowed for IO errors) takes the text of the
/// current `errno`.
pub(crate) fn set_error(c: &mut redisContext, kind: c_int, msg: Option<&[u8]>) {
    c.err = kind;
    let mut b = ErrBuf::new();
    match msg {
        Some(m) => {
            let end = m.iter().position(|&x| x == 0).unwrap_or(m.len());
            b.push(&m[..end]);
        }
        // hiredis asserts that only IO errors come without text; any kind is accepted here.
        None => b.push_strerror(errno()),
    }
    for (dst, &src) in c.errstr.iter_mut().zip(b.as_bytes()) {
        *dst = src as c_char;
    }
    c.errstr[b.len] = 0;
}

/// Sets `err` to `kind` with "`prefix`: `strerror(e)`" (or just the strerror text).
pub(crate) fn set_error_errno(c: &mut redisContext, kind: c_int, prefix: Option<&str>, e: c_int) {
    let mut b = ErrBuf::new();
    if let Some(p) = prefix {
        b.push(p.as_bytes());
        b.push(b": ");
    }
    b.push_strerror(e);
    set_error(c, kind, Some(b.as_bytes()));
}

/// Sets `err` to `kind` with "`prefix``text`", e.g. "Can't get addr: " + gai_strerror.
fn set_error_concat(c: &mut redisContext, kind: c_int, prefix: &str, text: &[u8]) {
    let mut b = ErrBuf::new();
    b.push(prefix.as_bytes());
    b.push(text);
    set_error(c, kind, Some(b.as_bytes()));
}

pub(crate) fn oom(c: &mut redisContext) {
    set_error(c, REDIS_ERR_OOM, Some(b"Out of memory"));
}

/// `redisNetClose`: closes `fd` if open and marks it closed.
pub(crate) fn close(c: &mut redisContext) {
    if c.fd != REDIS_INVALID_FD {
        sys::close(c.fd);
        c.fd = REDIS_INVALID_FD;
    }
}

/// `redisNetRead`: one `recv`. Returns the byte count, 0 for "try again", -1 on error/EOF.
pub(crate) fn read(c: &mut redisContext, buf: &mut [u8]) -> isize {
    let n = sys::recv(c.fd, buf);
    if n == -1 {
        let e = errno();
        let blocking = c.flags & REDIS_BLOCK != 0;
        if (e == libc::EWOULDBLOCK && !blocking) || e == libc::EINTR {
            0
        } else if e == libc::ETIMEDOUT && blocking {
            set_error(c, REDIS_ERR_TIMEOUT, Some(b"recv timeout"));
            -1
        } else {
            set_error_errno(c, REDIS_ERR_IO, None, e);
            -1
        }
    } else if n == 0 {
        set_error(c, REDIS_ERR_EOF, Some(b"Server closed the connection"));
        -1
    } else {
        n
    }
}

/// `redisNetWrite`: one `send` of the pending output. Returns bytes written, 0 or -1.
///
/// No MSG_NOSIGNAL, like hiredis: SIGPIPE handling is the program's business.
pub(crate) fn write(c: &mut redisContext) -> isize {
    let n = sys::send(c.fd, owned::obuf(c));
    if n < 0 {
        let e = errno();
        if (e == libc::EWOULDBLOCK && c.flags & REDIS_BLOCK == 0) || e == libc::EINTR {
            return 0;
        }
        set_error_errno(c, REDIS_ERR_IO, None, e);
        return -1;
    }
    n
}

/// The socket's pending error (`getsockopt(SO_ERROR)`), or `None` when that call fails.
fn so_error(fd: c_int) -> Option<c_int> {
    let mut err: c_int = 0;
    let r = sys::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut err);
    (r == 0).then_some(err)
}

/// Switches `O_NONBLOCK`; on failure sets an IO error and closes the socket.
fn set_blocking(c: &mut redisContext, blocking: bool) -> c_int {
    let flags = sys::fcntl(c.fd, libc::F_GETFL, 0);
    if flags == -1 {
        set_error_errno(c, REDIS_ERR_IO, Some("fcntl(F_GETFL)"), errno());
        close(c);
        return REDIS_ERR;
    }
    let flags = if blocking {
        flags & !libc::O_NONBLOCK
    } else {
        flags | libc::O_NONBLOCK
    };
    if sys::fcntl(c.fd, libc::F_SETFL, flags) == -1 {
        set_error_errno(c, REDIS_ERR_IO, Some("fcntl(F_SETFL)"), errno());
        close(c);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `redisKeepAlive`: SO_KEEPALIVE plus glibc's idle/interval/count knobs. A unix-socket
/// context gets REDIS_ERR without an error (hiredis test #140).
pub(crate) fn keep_alive(c: &mut redisContext, interval: c_int) -> c_int {
    if c.connection_type == REDIS_CONN_UNIX {
        return REDIS_ERR;
    }
    let opts = [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval),
        (
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            (interval / 3).max(1),
        ),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (level, name, val) in opts {
        if sys::setsockopt(c.fd, level, name, &val) < 0 {
            set_error_errno(c, REDIS_ERR_OTHER, None, errno());
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// `redisSetTcpNoDelay`; on failure the socket is closed.
pub(crate) fn set_tcp_no_delay(c: &mut redisContext) -> c_int {
    if sys::setsockopt(c.fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, &1) == -1 {
        set_error_errno(c, REDIS_ERR_IO, Some("setsockopt(TCP_NODELAY)"), errno());
        close(c);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `redisContextSetTcpUserTimeout`; on failure the socket is closed (as in hiredis).
pub(crate) fn set_tcp_user_timeout(c: &mut redisContext, ms: u32) -> c_int {
    // The option is an unsigned int; the same 4 bytes go through as an int.
    let res = sys::setsockopt(
        c.fd,
        libc::IPPROTO_TCP,
        libc::TCP_USER_TIMEOUT,
        &(ms as c_int),
    );
    if res == -1 {
        set_error_errno(
            c,
            REDIS_ERR_IO,
            Some("setsockopt(TCP_USER_TIMEOUT)"),
            errno(),
        );
        close(c);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `redisContextUpdateConnectTimeout`: stores a copy of `tv` in the context's own heap
/// timeval (malloc hook, first use only). REDIS_ERR only on OOM.
pub(crate) fn update_connect_timeout(c: &mut redisContext, tv: libc::timeval) -> c_int {
    match owned::store_timeout(c, Timeout::Connect, tv) {
        Ok(()) => REDIS_OK,
        Err(()) => REDIS_ERR,
    }
}

/// `redisContextUpdateCommandTimeout`: as [`update_connect_timeout`], for the command timeout.
pub(crate) fn update_command_timeout(c: &mut redisContext, tv: libc::timeval) -> c_int {
    match owned::store_timeout(c, Timeout::Command, tv) {
        Ok(()) => REDIS_OK,
        Err(()) => REDIS_ERR,
    }
}

/// A copy of the command timeout, if one is stored.
pub(crate) fn command_timeout(c: &mut redisContext) -> Option<libc::timeval> {
    owned::timeout(c, Timeout::Command)
}

/// A copy of the connect timeout, if one is stored.
pub(crate) fn connect_timeout(c: &mut redisContext) -> Option<libc::timeval> {
    owned::timeout(c, Timeout::Connect)
}

/// Whether the command timeout is set and non-zero.
pub(crate) fn command_timeout_set(c: &mut redisContext) -> bool {
    command_timeout(c).is_some_and(|tv| tv.tv_sec != 0 || tv.tv_usec != 0)
}

/// Makes sure the command timeout block exists, allocated zeroed with the calloc hook (as
/// hiredis's async setter does). Err on OOM.
pub(crate) fn alloc_command_timeout(c: &mut redisContext) -> Result<(), ()> {
    owned::alloc_timeout_zeroed(c, Timeout::Command)
}

/// Stores `tv` as the command timeout (allocating the block on first use).
pub(crate) fn store_command_timeout(c: &mut redisContext, tv: &libc::timeval) -> c_int {
    update_command_timeout(c, *tv)
}

/// Puts a caller's descriptor into non-blocking mode (best effort, errors ignored).
pub(crate) fn set_nonblocking_fd(fd: c_int) {
    let fl = sys::fcntl(fd, libc::F_GETFL, 0);
    if fl >= 0 {
        sys::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// `redisContextSetTimeout`: remembers `tv` as the command timeout and applies it as the
/// socket's receive and send timeouts.
pub(crate) fn set_timeout(c: &mut redisContext, tv: libc::timeval) -> c_int {
    if update_command_timeout(c, tv) != REDIS_OK {
        oom(c);
        return REDIS_ERR;
    }
    for (name, what) in [
        (libc::SO_RCVTIMEO, "setsockopt(SO_RCVTIMEO)"),
        (libc::SO_SNDTIMEO, "setsockopt(SO_SNDTIMEO)"),
    ] {
        if sys::setsockopt(c.fd, libc::SOL_SOCKET, name, &tv) == -1 {
            set_error_errno(c, REDIS_ERR_IO, Some(what), errno());
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// Stores (or clears, for `None`) the connect timeout and converts it to milliseconds, as
/// both the TCP and the unix connect do first. `Err` means the error is set (OOM or invalid
/// timeout).
fn store_connect_timeout(
    c: &mut redisContext,
    timeout: Option<libc::timeval>,
) -> Result<c_long, ()> {
    match timeout {
        None => owned::free(c, owned::Block::ConnectTimeout),
        Some(tv) => {
            if update_connect_timeout(c, tv) != REDIS_OK {
                oom(c);
                return Err(());
            }
        }
    }
    timeout_msec(c)
}

/// The stored connect timeout in milliseconds: -1 for none, clamped to `INT_MAX`.
/// An out-of-range value sets IO "Invalid timeout specified".
fn timeout_msec(c: &mut redisContext) -> Result<c_long, ()> {
    let Some(tv) = connect_timeout(c) else {
        return Ok(-1);
    };
    const MAX_SEC: c_long = (c_long::MAX - 999) / 1000;
    if tv.tv_usec > 1_000_000 || tv.tv_sec > MAX_SEC {
        set_error(c, REDIS_ERR_IO, Some(b"Invalid timeout specified"));
        return Err(());
    }
    // Negative fields are not rejected by hiredis either; the clamp below catches overflow.
    let msec = tv
        .tv_sec
        .wrapping_mul(1000)
        .wrapping_add((tv.tv_usec + 999) / 1000);
    Ok(if msec < 0 || msec > c_int::MAX as c_long {
        c_int::MAX as c_long
    } else {
        msec
    })
}

/// `redisCheckConnectDone`: asks the kernel whether a non-blocking connect finished.
/// `*completed` is 1 when connected, 0 when still in progress; REDIS_ERR when it failed
/// (errno then holds the reason).
pub(crate) fn check_connect_done(c: &mut redisContext, completed: &mut c_int) -> c_int {
    // With no saved address (NULL/0) connect fails with an errno, reported like any other.
    let rc = sys::connect(c.fd, owned::saddr(c));
    if rc == 0 {
        *completed = 1;
        return REDIS_OK;
    }
    let mut error = errno();
    if error == libc::EINPROGRESS {
        if let Some(pending) = so_error(c.fd) {
            if pending == 0 {
                *completed = 1;
                return REDIS_OK;
            }
            set_errno(pending);
            error = pending;
        }
    }
    match error {
        libc::EISCONN => {
            *completed = 1;
            REDIS_OK
        }
        libc::EALREADY | libc::EWOULDBLOCK => {
            *completed = 0;
            REDIS_OK
        }
        _ => REDIS_ERR,
    }
}

/// `redisCheckSocketError`: reports SO_ERROR (or, when that is clear, the current errno)
/// as an IO error.
pub(crate) fn check_socket_error(c: &mut redisContext) -> c_int {
    let saved = errno();
    let Some(mut err) = so_error(c.fd) else {
        set_error_errno(c, REDIS_ERR_IO, Some("getsockopt(SO_ERROR)"), errno());
        return REDIS_ERR;
    };
    if err == 0 {
        err = saved;
    }
    if err != 0 {
        set_errno(err);
        set_error_errno(c, REDIS_ERR_IO, None, err);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// Waits for a connect that returned `connect_errno` to finish (blocking contexts).
/// Any connect error other than EINPROGRESS fails at once.
fn wait_ready(c: &mut redisContext, msec: c_long, connect_errno: c_int) -> c_int {
    if connect_errno != libc::EINPROGRESS {
        set_error_errno(c, REDIS_ERR_IO, None, connect_errno);
        close(c);
        return REDIS_ERR;
    }
    // The monotonic clock, as hiredis's `clock_gettime(CLOCK_MONOTONIC)`.
    let start = std::time::Instant::now();
    let elapsed_ms = || start.elapsed().as_millis() as c_long;
    loop {
        let wait = if msec >= 0 {
            (msec - elapsed_ms()).max(0) as c_int
        } else {
            -1
        };
        let res = sys::poll_one(c.fd, libc::POLLOUT, wait);
        if res > 0 {
            break;
        }
        let e = errno();
        if res < 0 && e != libc::EINTR {
            set_error_errno(c, REDIS_ERR_IO, Some("poll(2)"), e);
            close(c);
            return REDIS_ERR;
        }
        if res == 0 || (msec >= 0 && elapsed_ms() >= msec) {
            set_errno(libc::ETIMEDOUT);
            set_error_errno(c, REDIS_ERR_IO, None, libc::ETIMEDOUT);
            close(c);
            return REDIS_ERR;
        }
        // EINTR with time left: poll again.
    }
    let mut completed = 0;
    if check_connect_done(c, &mut completed) != REDIS_OK || completed == 0 {
        // hiredis leaves the descriptor open here; redisFree closes it.
        check_socket_error(c);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `redisContextConnectBindTcp` (and, with no source address, `redisContextConnectTcp`):
/// stores the endpoint and timeout in the context, then connects.
pub(crate) fn connect_tcp(
    c: &mut redisContext,
    addr: Option<&CStr>,
    port: c_int,
    timeout: Option<libc::timeval>,
    source_addr: Option<&CStr>,
) -> c_int {
    c.connection_type = REDIS_CONN_TCP;
    c.tcp.port = port;

    // hiredis keeps a NULL host (it only copies when the pointer differs from the stored one)
    // and hands it to getaddrinfo, which then means loopback; a reconnect of a
    // `redisConnectFd` context takes this path. (Replacing a stored host by NULL would crash
    // hiredis in strdup; here it is the same as NULL from the start.)
    if owned::store_string(c, Str::Host, addr).is_err() {
        oom(c);
        return REDIS_ERR;
    }
    let Ok(msec) = store_connect_timeout(c, timeout) else {
        return REDIS_ERR;
    };
    if owned::store_string(c, Str::SourceAddr, source_addr).is_err() {
        oom(c);
        return REDIS_ERR;
    }
    connect_tcp_now(c, msec)
}

/// `redisReconnect` of a TCP context: connects again to the stored endpoint with the stored
/// connect timeout (hiredis passes the stored fields to `redisContextConnectBindTcp`, whose
/// copies then change nothing).
pub(crate) fn reconnect_tcp(c: &mut redisContext) -> c_int {
    c.connection_type = REDIS_CONN_TCP;
    let Ok(msec) = timeout_msec(c) else {
        return REDIS_ERR;
    };
    connect_tcp_now(c, msec)
}

/// Resolves the stored host and port and tries each address in turn.
fn connect_tcp_now(c: &mut redisContext, msec: c_long) -> c_int {
    let (list, family) = match resolve(c) {
        Ok(r) => r,
        Err(()) => return REDIS_ERR,
    };
    let mut reuses = 0;
    for p in list.iter() {
        loop {
            match try_address(c, &p, family, msec, &mut reuses) {
                Attempt::Done(status) => return status,
                Attempt::NextAddress => break,
                Attempt::Retry => continue,
            }
        }
    }
    set_error_errno(c, REDIS_ERR_OTHER, Some("Can't create socket"), errno());
    REDIS_ERR
}

/// Resolves the context's host and port (IPv4 first unless told otherwise, then the other
/// family); the addresses and the family asked for. A failure sets the context's error.
fn resolve(c: &mut redisContext) -> Result<(sys::AddrList, c_int), ()> {
    // hiredis prints the port with snprintf into 6 bytes: at most 5 characters survive.
    let mut digits = [0u8; sds::LLSTR_SIZE];
    let n = sds::ll2str(&mut digits, i64::from(c.tcp.port)).min(5);
    let mut service = [0u8; 6];
    service[..n].copy_from_slice(&digits[..n]);
    let service = CStr::from_bytes_until_nul(&service).ok();

    let mut family = match (
        c.flags & REDIS_PREFER_IPV4 != 0,
        c.flags & REDIS_PREFER_IPV6 != 0,
    ) {
        (true, true) => libc::AF_UNSPEC,
        (false, true) => libc::AF_INET6,
        _ => libc::AF_INET,
    };
    let host = owned::string(c, Str::Host);
    let mut list = sys::AddrList::resolve(host, service, family, libc::SOCK_STREAM);
    if list.is_err() && family != libc::AF_UNSPEC {
        family = if family == libc::AF_INET {
            libc::AF_INET6
        } else {
            libc::AF_INET
        };
        list = sys::AddrList::resolve(host, service, family, libc::SOCK_STREAM);
    }
    match list {
        Ok(l) => Ok((l, family)),
        Err(rv) => {
            set_error(c, REDIS_ERR_OTHER, Some(sys::gai_strerror(rv)));
            Err(())
        }
    }
}

/// What one connection attempt came to.
enum Attempt {
    /// Connected (REDIS_OK), or failed for good (REDIS_ERR, the error set where hiredis sets one).
    Done(c_int),
    /// No socket, or the host is unreachable: on to the next address.
    NextAddress,
    /// EADDRNOTAVAIL with SO_REUSEADDR: the same address again.
    Retry,
}

/// One attempt on address `p`: socket, non-blocking, optional bind, remember the address,
/// connect (waiting up to `msec` when blocking), TCP_NODELAY, back to blocking.
fn try_address(
    c: &mut redisContext,
    p: &sys::Addr<'_>,
    family: c_int,
    msec: c_long,
    reuses: &mut c_int,
) -> Attempt {
    let blocking = c.flags & REDIS_BLOCK != 0;
    let reuseaddr = c.flags & REDIS_REUSEADDR != 0;
    let mut sock_type = p.socktype;
    if c.flags & HIRS_SOCK_CLOEXEC != 0 {
        sock_type |= libc::SOCK_CLOEXEC;
    }
    let s = sys::socket(p.family, sock_type, p.protocol);
    if s == -1 {
        return Attempt::NextAddress;
    }
    c.fd = s;
    if set_blocking(c, false) != REDIS_OK {
        return Attempt::Done(REDIS_ERR);
    }
    if owned::string(c, Str::SourceAddr).is_some()
        && bind_source(c, s, family, reuseaddr) != REDIS_OK
    {
        return Attempt::Done(REDIS_ERR);
    }
    if owned::store_saddr(c, p.bytes).is_err() {
        oom(c);
        return Attempt::Done(REDIS_ERR);
    }
    if sys::connect(s, p.bytes) == -1 {
        let e = errno();
        if e == libc::EHOSTUNREACH {
            close(c);
            return Attempt::NextAddress;
        } else if e == libc::EINPROGRESS && !blocking {
            // Non-blocking: the caller completes the connect (no TCP_NODELAY, as upstream).
        } else if e == libc::EADDRNOTAVAIL && reuseaddr {
            *reuses += 1;
            if *reuses >= REDIS_CONNECT_RETRIES {
                // hiredis gives up here without setting an error.
                return Attempt::Done(REDIS_ERR);
            }
            close(c);
            return Attempt::Retry;
        } else {
            if wait_ready(c, msec, e) != REDIS_OK {
                return Attempt::Done(REDIS_ERR);
            }
            if set_tcp_no_delay(c) != REDIS_OK {
                return Attempt::Done(REDIS_ERR);
            }
        }
    }
    if blocking && set_blocking(c, true) != REDIS_OK {
        return Attempt::Done(REDIS_ERR);
    }
    c.flags |= REDIS_CONNECTED;
    Attempt::Done(REDIS_OK)
}

/// Binds socket `s` to the context's source address (resolved with the same family and
/// socket type as the host). Failures set OTHER errors and leave the socket open, as in
/// hiredis (a failing SO_REUSEADDR sets no error at all).
fn bind_source(c: &mut redisContext, s: c_int, family: c_int, reuseaddr: bool) -> c_int {
    let source = owned::string(c, Str::SourceAddr);
    let binds = match sys::AddrList::resolve(source, None, family, libc::SOCK_STREAM) {
        Ok(l) => l,
        Err(rv) => {
            set_error_concat(
                c,
                REDIS_ERR_OTHER,
                "Can't get addr: ",
                sys::gai_strerror(rv),
            );
            return REDIS_ERR;
        }
    };
    if reuseaddr && sys::setsockopt(s, libc::SOL_SOCKET, libc::SO_REUSEADDR, &1) < 0 {
        return REDIS_ERR;
    }
    for b in binds.iter() {
        if sys::bind(s, b.bytes) != -1 {
            return REDIS_OK;
        }
    }
    set_error_errno(c, REDIS_ERR_OTHER, Some("Can't bind socket"), errno());
    REDIS_ERR
}

/// `redisContextConnectUnix`: stores the path and timeout in the context, then connects.
pub(crate) fn connect_unix(
    c: &mut redisContext,
    path: Option<&CStr>,
    timeout: Option<libc::timeval>,
) -> c_int {
    if unix_socket(c) != REDIS_OK {
        return REDIS_ERR;
    }
    let Some(path) = path else {
        // hiredis would crash in strdup(NULL).
        set_error_errno(c, REDIS_ERR_IO, None, libc::ENOENT);
        return REDIS_ERR;
    };
    if owned::store_string(c, Str::UnixPath, Some(path)).is_err() {
        oom(c);
        return REDIS_ERR;
    }
    let Ok(msec) = store_connect_timeout(c, timeout) else {
        return REDIS_ERR;
    };
    connect_unix_now(c, msec)
}

/// `redisReconnect` of a unix-socket context: the stored path and connect timeout.
pub(crate) fn reconnect_unix(c: &mut redisContext) -> c_int {
    if unix_socket(c) != REDIS_OK {
        return REDIS_ERR;
    }
    if owned::string(c, Str::UnixPath).is_none() {
        set_error_errno(c, REDIS_ERR_IO, None, libc::ENOENT);
        return REDIS_ERR;
    }
    let Ok(msec) = timeout_msec(c) else {
        return REDIS_ERR;
    };
    connect_unix_now(c, msec)
}

/// The unix connect's first steps: a non-blocking AF_UNIX socket in `fd`, the type set.
fn unix_socket(c: &mut redisContext) -> c_int {
    let mut ty = libc::SOCK_STREAM;
    if c.flags & HIRS_SOCK_CLOEXEC != 0 {
        ty |= libc::SOCK_CLOEXEC;
    }
    let s = sys::socket(libc::AF_UNIX, ty, 0);
    if s == -1 {
        set_error_errno(c, REDIS_ERR_IO, None, errno());
        return REDIS_ERR;
    }
    c.fd = s;
    if set_blocking(c, false) != REDIS_OK {
        return REDIS_ERR;
    }
    c.connection_type = REDIS_CONN_UNIX;
    REDIS_OK
}

/// The `sockaddr_un` bytes for `path`: longer paths are truncated to 107 bytes, keeping the
/// NUL (hiredis's strncpy); the rest is zero.
fn sockaddr_un(path: &CStr) -> [u8; size_of::<libc::sockaddr_un>()] {
    let mut sa = [0u8; size_of::<libc::sockaddr_un>()];
    let fam = offset_of!(libc::sockaddr_un, sun_family);
    let family = (libc::AF_UNIX as libc::sa_family_t).to_ne_bytes();
    sa[fam..fam + family.len()].copy_from_slice(&family);
    let at = offset_of!(libc::sockaddr_un, sun_path);
    let max = sa.len() - at - 1;
    let bytes = path.to_bytes();
    let n = bytes.len().min(max);
    sa[at..at + n].copy_from_slice(&bytes[..n]);
    sa
}

/// Saves the stored path's address in `saddr` and connects (waiting up to `msec` when
/// blocking).
fn connect_unix_now(c: &mut redisContext, msec: c_long) -> c_int {
    let blocking = c.flags & REDIS_BLOCK != 0;
    let Some(path) = owned::string(c, Str::UnixPath) else {
        return REDIS_ERR;
    };
    let sa = sockaddr_un(path);
    if owned::store_saddr(c, &sa).is_err() {
        oom(c);
        return REDIS_ERR;
    }
    if sys::connect(c.fd, &sa) == -1 {
        let e = errno();
        if (e == libc::EAGAIN || e == libc::EINPROGRESS) && !blocking {
            // In progress; the caller completes it.
        } else if wait_ready(c, msec, e) != REDIS_OK {
            return REDIS_ERR;
        }
    }
    if blocking && set_blocking(c, true) != REDIS_OK {
        return REDIS_ERR;
    }
    c.flags |= REDIS_CONNECTED;
    REDIS_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errstr(c: &redisContext) -> Vec<u8> {
        let n = c
            .errstr
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(c.errstr.len());
        c.errstr[..n].iter().map(|&b| b as u8).collect()
    }

    #[test]
    fn error_text_is_capped_at_127_bytes() {
        let mut h = crate::context::init(core::ptr::null()).expect("context");
        let c = h.ctx();
        set_error(c, REDIS_ERR_OTHER, Some(&[b'x'; 300]));
        assert_eq!(c.err, REDIS_ERR_OTHER);
        assert_eq!(errstr(c).len(), 127);
        crate::context::free(h);
    }

    #[test]
    fn errno_text_comes_from_libc() {
        let mut h = crate::context::init(core::ptr::null()).expect("context");
        let c = h.ctx();
        set_error_errno(c, REDIS_ERR_IO, Some("poll(2)"), libc::ECONNREFUSED);
        assert_eq!(errstr(c), b"poll(2): Connection refused");
        crate::context::free(h);
    }

    #[test]
    fn invalid_timeouts_are_rejected() {
        let mut h = crate::context::init(core::ptr::null()).expect("context");
        let c = h.ctx();
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 10_000_001,
        };
        assert_eq!(update_connect_timeout(c, tv), REDIS_OK);
        assert!(timeout_msec(c).is_err());
        assert_eq!(c.err, REDIS_ERR_IO);
        assert_eq!(store_connect_timeout(c, None), Ok(-1));
        let tv = libc::timeval {
            tv_sec: 1,
            tv_usec: 1,
        };
        assert_eq!(store_connect_timeout(c, Some(tv)), Ok(1001));
        crate::context::free(h);
    }

    #[test]
    fn unix_address_is_truncated_with_its_nul() {
        let long = std::ffi::CString::new(vec![b'p'; 200]).expect("no NUL");
        let sa = sockaddr_un(&long);
        let at = offset_of!(libc::sockaddr_un, sun_path);
        assert_eq!(sa.len(), size_of::<libc::sockaddr_un>());
        assert_eq!(
            libc::sa_family_t::from_ne_bytes([sa[0], sa[1]]),
            libc::AF_UNIX as libc::sa_family_t
        );
        assert!(sa[at..sa.len() - 1].iter().all(|&b| b == b'p'));
        assert_eq!(sa[sa.len() - 1], 0);
        let sa = sockaddr_un(c"/tmp/x");
        assert_eq!(&sa[at..at + 7], b"/tmp/x\0");
        assert!(sa[at + 7..].iter().all(|&b| b == 0));
    }

    #[test]
    fn refused_port_reports_strerror() {
        let mut h = crate::context::init(core::ptr::null()).expect("context");
        let c = h.ctx();
        c.flags = REDIS_BLOCK;
        // Port 1 on loopback: nobody listens there in a test environment.
        let r = connect_tcp(c, Some(c"127.0.0.1"), 1, None, None);
        assert_eq!(r, REDIS_ERR);
        assert_eq!(c.err, REDIS_ERR_IO);
        assert_eq!(errstr(c), b"Connection refused");
        close(c); // open still when the refusal came through poll (hiredis leaves it)
        crate::context::free(h);
    }
}

//! The socket layer (hiredis's net.c): connecting over TCP and unix sockets, socket options,
//! and the default `read`/`write` functions of the context's I/O table.
//!
//! Every function works on the public `redisContext` and reports failures the way hiredis does:
//! `REDIS_ERR` plus `err`/`errstr` (set through [`set_error`]), with the C library's
//! `strerror_r` text. Which failures close the descriptor, and which leave it for `redisFree`,
//! follows hiredis 1.4.1 exactly (callers inspect `fd` afterwards).

use core::ffi::{c_char, c_int, c_long, c_void};
use core::mem::{size_of, zeroed};
use core::ptr;

use crate::abi::hiredis::{
    REDIS_BLOCK, REDIS_CONN_TCP, REDIS_CONN_UNIX, REDIS_CONNECT_RETRIES, REDIS_CONNECTED,
    REDIS_INVALID_FD, REDIS_PREFER_IPV4, REDIS_PREFER_IPV6, REDIS_REUSEADDR, redisContext,
};
use crate::abi::read::{REDIS_ERR, REDIS_ERR_EOF, REDIS_ERR_IO, REDIS_ERR_OOM, REDIS_ERR_OTHER};
use crate::abi::read::{REDIS_ERR_TIMEOUT, REDIS_OK};
use crate::alloc;
use crate::sds;

/// Where `REDIS_OPT_SET_SOCK_CLOEXEC` is remembered in `redisContext.flags`.
///
/// hiredis ORs the option value 0x80 into `flags`, the bit of `REDIS_REUSEADDR`, so either
/// option switches on both behaviours. We keep them apart (a deliberate difference, see the
/// README) in a bit hiredis never defines; nothing outside this crate reads it.
pub(crate) const HIRS_SOCK_CLOEXEC: c_int = 0x4000_0000;

/// Size of `errstr` including its NUL.
const ERRSTR_CAP: usize = 128;

/// The calling thread's `errno`.
pub(crate) fn errno() -> c_int {
    // SAFETY: __errno_location always returns the valid thread-local errno slot.
    unsafe { *libc::__errno_location() }
}

pub(crate) fn set_errno(e: c_int) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = e }
}

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
        // SAFETY: `tmp` is writable for its whole length; the XSI strerror_r NUL-terminates
        // what it writes (truncating if needed).
        unsafe { libc::strerror_r(e, tmp.as_mut_ptr() as *mut c_char, tmp.len()) };
        let n = tmp.iter().position(|&b| b == 0).unwrap_or(tmp.len());
        self.push(&tmp[..n]);
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

fn gai_text(rv: c_int) -> &'static [u8] {
    // SAFETY: gai_strerror returns a static NUL-terminated string for any code.
    unsafe { core::ffi::CStr::from_ptr(libc::gai_strerror(rv)) }.to_bytes()
}

pub(crate) fn oom(c: &mut redisContext) {
    set_error(c, REDIS_ERR_OOM, Some(b"Out of memory"));
}

/// `redisNetClose`: closes `fd` if open and marks it closed.
pub(crate) fn close(c: &mut redisContext) {
    if c.fd != REDIS_INVALID_FD {
        // SAFETY: the context owns its descriptor.
        unsafe { libc::close(c.fd) };
        c.fd = REDIS_INVALID_FD;
    }
}

/// `redisNetRead`: one `recv`. Returns the byte count, 0 for "try again", -1 on error/EOF.
pub(crate) fn read(c: &mut redisContext, buf: &mut [u8]) -> isize {
    // SAFETY: `buf` is writable for its length.
    let n = unsafe { libc::recv(c.fd, buf.as_mut_ptr() as *mut c_void, buf.len(), 0) };
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
    let (p, len) = if c.obuf.is_null() {
        (ptr::null(), 0)
    } else {
        // SAFETY: `obuf` is the context's live sds.
        (c.obuf as *const c_void, unsafe { sds::len(c.obuf) })
    };
    // SAFETY: `p` is readable for `len` bytes (or len is 0).
    let n = unsafe { libc::send(c.fd, p, len, 0) };
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
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: out-parameters of the right size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut err as *mut c_int as *mut c_void,
            &mut len,
        )
    };
    (r == 0).then_some(err)
}

fn setsockopt_int(fd: c_int, level: c_int, name: c_int, val: c_int) -> c_int {
    // SAFETY: `val` is a live int of the size passed.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &val as *const c_int as *const c_void,
            size_of::<c_int>() as libc::socklen_t,
        )
    }
}

/// Switches `O_NONBLOCK`; on failure sets an IO error and closes the socket.
fn set_blocking(c: &mut redisContext, blocking: bool) -> c_int {
    // SAFETY: fcntl on any int is memory-safe.
    let flags = unsafe { libc::fcntl(c.fd, libc::F_GETFL) };
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
    // SAFETY: as above.
    if unsafe { libc::fcntl(c.fd, libc::F_SETFL, flags) } == -1 {
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
        if setsockopt_int(c.fd, level, name, val) < 0 {
            set_error_errno(c, REDIS_ERR_OTHER, None, errno());
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// `redisSetTcpNoDelay`; on failure the socket is closed.
pub(crate) fn set_tcp_no_delay(c: &mut redisContext) -> c_int {
    if setsockopt_int(c.fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1) == -1 {
        set_error_errno(c, REDIS_ERR_IO, Some("setsockopt(TCP_NODELAY)"), errno());
        close(c);
        return REDIS_ERR;
    }
    REDIS_OK
}

/// `redisContextSetTcpUserTimeout`; on failure the socket is closed (as in hiredis).
pub(crate) fn set_tcp_user_timeout(c: &mut redisContext, ms: u32) -> c_int {
    // The option is an unsigned int; the same 4 bytes go through as an int.
    let res = setsockopt_int(c.fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT, ms as c_int);
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

/// Stores `tv` in a context-owned heap timeval (`*slot`), allocating it on first use.
/// Passing the stored pointer itself is a no-op. Err only on OOM.
///
/// # Safety
/// `*slot` is NULL or a timeval from the allocator hooks; `tv` is readable.
unsafe fn update_timeout(slot: &mut *mut libc::timeval, tv: *const libc::timeval) -> c_int {
    if ptr::eq(*slot, tv) {
        return REDIS_OK;
    }
    if slot.is_null() {
        *slot = alloc::malloc(size_of::<libc::timeval>()) as *mut libc::timeval;
        if slot.is_null() {
            return REDIS_ERR;
        }
    }
    // SAFETY: both point at a timeval (the caller's promise; `*slot` was just checked). They
    // may not overlap unless equal, which returned above.
    unsafe { ptr::copy_nonoverlapping(tv, *slot, 1) };
    REDIS_OK
}

/// `redisContextUpdateConnectTimeout`.
///
/// # Safety
/// `tv` points at a readable timeval.
pub(crate) unsafe fn update_connect_timeout(
    c: &mut redisContext,
    tv: *const libc::timeval,
) -> c_int {
    // SAFETY: `connect_timeout` is NULL or ours; `tv` is the caller's promise.
    unsafe { update_timeout(&mut c.connect_timeout, tv) }
}

/// `redisContextUpdateCommandTimeout`.
///
/// # Safety
/// `tv` points at a readable timeval.
pub(crate) unsafe fn update_command_timeout(
    c: &mut redisContext,
    tv: *const libc::timeval,
) -> c_int {
    // SAFETY: as above.
    unsafe { update_timeout(&mut c.command_timeout, tv) }
}

/// A copy of the command timeout, if one is stored.
pub(crate) fn command_timeout(c: &redisContext) -> Option<libc::timeval> {
    // SAFETY: `command_timeout` is NULL or the context's own heap timeval (context invariant).
    unsafe { c.command_timeout.as_ref() }.copied()
}

/// Whether the command timeout is set and non-zero.
pub(crate) fn command_timeout_set(c: &redisContext) -> bool {
    // SAFETY: `command_timeout` is NULL or the context's own heap timeval (context invariant).
    match unsafe { c.command_timeout.as_ref() } {
        Some(tv) => tv.tv_sec != 0 || tv.tv_usec != 0,
        None => false,
    }
}

/// Makes sure the command timeout block exists, allocated zeroed with the calloc hook (as
/// hiredis's async setter does). Err on OOM.
pub(crate) fn alloc_command_timeout(c: &mut redisContext) -> Result<(), ()> {
    if c.command_timeout.is_null() {
        c.command_timeout = alloc::calloc(1, size_of::<libc::timeval>()) as *mut libc::timeval;
        if c.command_timeout.is_null() {
            return Err(());
        }
    }
    Ok(())
}

/// Stores `tv` as the command timeout (allocating the block on first use).
pub(crate) fn store_command_timeout(c: &mut redisContext, tv: &libc::timeval) -> c_int {
    // SAFETY: `tv` is a reference, so readable; `command_timeout` is NULL or ours.
    unsafe { update_command_timeout(c, tv) }
}

/// Puts a caller's descriptor into non-blocking mode (best effort, errors ignored).
pub(crate) fn set_nonblocking_fd(fd: c_int) {
    // SAFETY: fcntl on any int is memory-safe.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl >= 0 {
        // SAFETY: as above.
        unsafe { libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) };
    }
}

fn clear_connect_timeout(c: &mut redisContext) {
    // SAFETY: the pointer is NULL or our own heap copy.
    unsafe { alloc::free(c.connect_timeout as *mut c_void) };
    c.connect_timeout = ptr::null_mut();
}

/// `redisContextSetTimeout`: remembers `tv` as the command timeout and applies it as the
/// socket's receive and send timeouts.
pub(crate) fn set_timeout(c: &mut redisContext, tv: libc::timeval) -> c_int {
    // SAFETY: `tv` is a local timeval.
    if unsafe { update_command_timeout(c, &tv) } != REDIS_OK {
        oom(c);
        return REDIS_ERR;
    }
    for (name, what) in [
        (libc::SO_RCVTIMEO, "setsockopt(SO_RCVTIMEO)"),
        (libc::SO_SNDTIMEO, "setsockopt(SO_SNDTIMEO)"),
    ] {
        // SAFETY: `tv` is a live timeval of the size passed.
        let r = unsafe {
            libc::setsockopt(
                c.fd,
                libc::SOL_SOCKET,
                name,
                &tv as *const libc::timeval as *const c_void,
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if r == -1 {
            set_error_errno(c, REDIS_ERR_IO, Some(what), errno());
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// Stores (or clears, for NULL) the connect timeout and converts it to milliseconds, as both
/// the TCP and the unix connect do first. `Err` means the error is set (OOM or invalid timeout).
///
/// # Safety
/// `timeout` is NULL or readable.
unsafe fn store_connect_timeout(
    c: &mut redisContext,
    timeout: *const libc::timeval,
) -> Result<c_long, ()> {
    if timeout.is_null() {
        clear_connect_timeout(c);
    // SAFETY: forwarded promise.
    } else if unsafe { update_connect_timeout(c, timeout) } != REDIS_OK {
        oom(c);
        return Err(());
    }
    timeout_msec(c)
}

/// The stored connect timeout in milliseconds: -1 for none, clamped to `INT_MAX`.
/// An out-of-range value sets IO "Invalid timeout specified".
fn timeout_msec(c: &mut redisContext) -> Result<c_long, ()> {
    if c.connect_timeout.is_null() {
        return Ok(-1);
    }
    // SAFETY: a non-NULL `connect_timeout` is our heap copy.
    let tv = unsafe { *c.connect_timeout };
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

fn now_ms() -> c_long {
    // SAFETY: `ts` is a valid out-parameter.
    unsafe {
        let mut ts: libc::timespec = zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
        ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}

/// `redisCheckConnectDone`: asks the kernel whether a non-blocking connect finished.
/// `*completed` is 1 when connected, 0 when still in progress; REDIS_ERR when it failed
/// (errno then holds the reason).
pub(crate) fn check_connect_done(c: &mut redisContext, completed: &mut c_int) -> c_int {
    // SAFETY: `saddr`/`addrlen` describe the peer address saved by the connect functions
    // (NULL/0 makes connect fail with an errno, which is reported like any other).
    let rc = unsafe { libc::connect(c.fd, c.saddr, c.addrlen as libc::socklen_t) };
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
    let end = if msec >= 0 { now_ms() + msec } else { 0 };
    loop {
        let wait = if msec >= 0 {
            (end - now_ms()).max(0) as c_int
        } else {
            -1
        };
        let mut pfd = libc::pollfd {
            fd: c.fd,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let res = unsafe { libc::poll(&mut pfd, 1, wait) };
        if res > 0 {
            break;
        }
        let e = errno();
        if res < 0 && e != libc::EINTR {
            set_error_errno(c, REDIS_ERR_IO, Some("poll(2)"), e);
            close(c);
            return REDIS_ERR;
        }
        if res == 0 || (msec >= 0 && now_ms() >= end) {
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

/// Owns a `getaddrinfo` list.
struct AddrList(*mut libc::addrinfo);

impl AddrList {
    fn resolve(
        host: *const c_char,
        service: *const c_char,
        hints: &libc::addrinfo,
    ) -> Result<Self, c_int> {
        let mut res: *mut libc::addrinfo = ptr::null_mut();
        // SAFETY: host/service are C strings or NULL; `res` is an out-parameter.
        let rv = unsafe { libc::getaddrinfo(host, service, hints, &mut res) };
        if rv != 0 { Err(rv) } else { Ok(AddrList(res)) }
    }

    fn iter(&self) -> impl Iterator<Item = &libc::addrinfo> {
        let mut p = self.0;
        core::iter::from_fn(move || {
            // SAFETY: the list nodes live until `self` is dropped.
            let node = unsafe { p.as_ref() }?;
            p = node.ai_next;
            Some(node)
        })
    }
}

impl Drop for AddrList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list came from getaddrinfo and is freed once.
            unsafe { libc::freeaddrinfo(self.0) };
        }
    }
}

/// Replaces the heap C string in `*slot` with a copy of `s` (NULL: no string) unless it
/// already is `s`. Err on OOM.
///
/// # Safety
/// `*slot` is NULL or a string from the hooks; `s` is a C string or NULL.
unsafe fn store_string(slot: &mut *mut c_char, s: *const c_char) -> Result<(), ()> {
    if ptr::eq(*slot, s) {
        return Ok(());
    }
    // SAFETY: `*slot` is ours; `s` is the caller's C string (`strdup` of NULL is NULL).
    unsafe {
        alloc::free(*slot as *mut c_void);
        *slot = alloc::strdup(s);
    }
    if slot.is_null() && !s.is_null() {
        Err(())
    } else {
        Ok(())
    }
}

/// `redisContextConnectBindTcp` (and, with no source address, `redisContextConnectTcp`).
///
/// # Safety
/// `addr` and `source_addr` are C strings (or NULL); `timeout` is NULL or readable.
pub(crate) unsafe fn connect_tcp(
    c: &mut redisContext,
    addr: *const c_char,
    port: c_int,
    timeout: *const libc::timeval,
    source_addr: *const c_char,
) -> c_int {
    c.connection_type = REDIS_CONN_TCP;
    c.tcp.port = port;

    // hiredis keeps a NULL host (it only copies when the pointer differs from the stored one)
    // and hands it to getaddrinfo, which then means loopback; a reconnect of a
    // `redisConnectFd` context takes this path. (Replacing a stored host by NULL would crash
    // hiredis in strdup; here it is the same as NULL from the start.)
    // SAFETY: `tcp.host` is NULL or ours; `addr` is a C string or NULL.
    if unsafe { store_string(&mut c.tcp.host, addr) }.is_err() {
        oom(c);
        return REDIS_ERR;
    }
    // SAFETY: `timeout` is NULL or readable (caller's promise).
    let Ok(msec) = (unsafe { store_connect_timeout(c, timeout) }) else {
        return REDIS_ERR;
    };
    // SAFETY: as for the host.
    if unsafe { store_string(&mut c.tcp.source_addr, source_addr) }.is_err() {
        oom(c);
        return REDIS_ERR;
    }

    let (list, hints) = match resolve(c, port) {
        Ok(r) => r,
        Err(()) => return REDIS_ERR,
    };
    let mut reuses = 0;
    for p in list.iter() {
        loop {
            match try_address(c, p, &hints, msec, &mut reuses) {
                Attempt::Done(status) => return status,
                Attempt::NextAddress => break,
                Attempt::Retry => continue,
            }
        }
    }
    set_error_errno(c, REDIS_ERR_OTHER, Some("Can't create socket"), errno());
    REDIS_ERR
}

/// Resolves the context's host and `port` (IPv4 first unless told otherwise, then the other
/// family); the addresses and the hints used. A failure sets the context's error.
fn resolve(c: &mut redisContext, port: c_int) -> Result<(AddrList, libc::addrinfo), ()> {
    // hiredis prints the port with snprintf into 6 bytes: at most 5 characters survive.
    let mut digits = [0u8; sds::LLSTR_SIZE];
    let n = sds::ll2str(&mut digits, i64::from(port)).min(5);
    let mut service = [0u8; 6];
    service[..n].copy_from_slice(&digits[..n]);

    // SAFETY: addrinfo is plain data; all-zero is the documented "no hints" value.
    let mut hints: libc::addrinfo = unsafe { zeroed() };
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_family = match (
        c.flags & REDIS_PREFER_IPV4 != 0,
        c.flags & REDIS_PREFER_IPV6 != 0,
    ) {
        (true, true) => libc::AF_UNSPEC,
        (false, true) => libc::AF_INET6,
        _ => libc::AF_INET,
    };
    let host = c.tcp.host as *const c_char;
    let svc = service.as_ptr() as *const c_char;
    let mut list = AddrList::resolve(host, svc, &hints);
    if list.is_err() && hints.ai_family != libc::AF_UNSPEC {
        hints.ai_family = if hints.ai_family == libc::AF_INET {
            libc::AF_INET6
        } else {
            libc::AF_INET
        };
        list = AddrList::resolve(host, svc, &hints);
    }
    match list {
        Ok(l) => Ok((l, hints)),
        Err(rv) => {
            set_error(c, REDIS_ERR_OTHER, Some(gai_text(rv)));
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
    p: &libc::addrinfo,
    hints: &libc::addrinfo,
    msec: c_long,
    reuses: &mut c_int,
) -> Attempt {
    let blocking = c.flags & REDIS_BLOCK != 0;
    let reuseaddr = c.flags & REDIS_REUSEADDR != 0;
    let mut sock_type = p.ai_socktype;
    if c.flags & HIRS_SOCK_CLOEXEC != 0 {
        sock_type |= libc::SOCK_CLOEXEC;
    }
    // SAFETY: plain syscall.
    let s = unsafe { libc::socket(p.ai_family, sock_type, p.ai_protocol) };
    if s == -1 {
        return Attempt::NextAddress;
    }
    c.fd = s;
    if set_blocking(c, false) != REDIS_OK {
        return Attempt::Done(REDIS_ERR);
    }
    if !c.tcp.source_addr.is_null() && bind_source(c, s, hints, reuseaddr) != REDIS_OK {
        return Attempt::Done(REDIS_ERR);
    }
    if remember_address(c, p).is_err() {
        oom(c);
        return Attempt::Done(REDIS_ERR);
    }
    // SAFETY: the address came from getaddrinfo.
    if unsafe { libc::connect(s, p.ai_addr, p.ai_addrlen) } == -1 {
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

/// Copies the address being tried into `c->saddr`/`addrlen` (a hook block). Err on OOM.
fn remember_address(c: &mut redisContext, p: &libc::addrinfo) -> Result<(), ()> {
    // SAFETY: `saddr` is NULL or our hook block; the new block is filled from the resolver's
    // address of `ai_addrlen` bytes.
    unsafe {
        alloc::free(c.saddr as *mut c_void);
        c.saddr = alloc::malloc(p.ai_addrlen as usize) as *mut libc::sockaddr;
        if c.saddr.is_null() {
            return Err(());
        }
        ptr::copy_nonoverlapping(
            p.ai_addr as *const u8,
            c.saddr as *mut u8,
            p.ai_addrlen as usize,
        );
    }
    c.addrlen = p.ai_addrlen as usize;
    Ok(())
}

/// Binds socket `s` to the context's source address. Failures set OTHER errors and leave the
/// socket open, as in hiredis (a failing SO_REUSEADDR sets no error at all).
fn bind_source(c: &mut redisContext, s: c_int, hints: &libc::addrinfo, reuseaddr: bool) -> c_int {
    let binds = match AddrList::resolve(c.tcp.source_addr, ptr::null(), hints) {
        Ok(l) => l,
        Err(rv) => {
            set_error_concat(c, REDIS_ERR_OTHER, "Can't get addr: ", gai_text(rv));
            return REDIS_ERR;
        }
    };
    if reuseaddr && setsockopt_int(s, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1) < 0 {
        return REDIS_ERR;
    }
    for b in binds.iter() {
        // SAFETY: the address came from getaddrinfo.
        if unsafe { libc::bind(s, b.ai_addr, b.ai_addrlen) } != -1 {
            return REDIS_OK;
        }
    }
    set_error_errno(c, REDIS_ERR_OTHER, Some("Can't bind socket"), errno());
    REDIS_ERR
}

/// `redisContextConnectUnix`.
///
/// # Safety
/// `path` is a C string (or NULL); `timeout` is NULL or readable.
pub(crate) unsafe fn connect_unix(
    c: &mut redisContext,
    path: *const c_char,
    timeout: *const libc::timeval,
) -> c_int {
    let blocking = c.flags & REDIS_BLOCK != 0;
    let mut ty = libc::SOCK_STREAM;
    if c.flags & HIRS_SOCK_CLOEXEC != 0 {
        ty |= libc::SOCK_CLOEXEC;
    }
    // SAFETY: plain syscall.
    let s = unsafe { libc::socket(libc::AF_UNIX, ty, 0) };
    if s == -1 {
        set_error_errno(c, REDIS_ERR_IO, None, errno());
        return REDIS_ERR;
    }
    c.fd = s;
    if set_blocking(c, false) != REDIS_OK {
        return REDIS_ERR;
    }
    c.connection_type = REDIS_CONN_UNIX;
    if path.is_null() {
        // hiredis would crash in strdup(NULL).
        set_error_errno(c, REDIS_ERR_IO, None, libc::ENOENT);
        return REDIS_ERR;
    }
    // SAFETY: the field is NULL or ours; `path` is a C string.
    if unsafe { store_string(&mut c.unix_sock.path, path) }.is_err() {
        oom(c);
        return REDIS_ERR;
    }
    // SAFETY: `timeout` is NULL or readable (caller's promise).
    let Ok(msec) = (unsafe { store_connect_timeout(c, timeout) }) else {
        return REDIS_ERR;
    };

    // SAFETY: `saddr` is NULL or ours; the new block is a zeroed sockaddr_un.
    let sa = unsafe {
        alloc::free(c.saddr as *mut c_void);
        c.saddr = alloc::calloc(1, size_of::<libc::sockaddr_un>()) as *mut libc::sockaddr;
        if c.saddr.is_null() {
            oom(c);
            return REDIS_ERR;
        }
        &mut *(c.saddr as *mut libc::sockaddr_un)
    };
    c.addrlen = size_of::<libc::sockaddr_un>();
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // Longer paths are truncated to 107 bytes, keeping the NUL (hiredis's strncpy).
    // SAFETY: `path` is a C string.
    let bytes = unsafe { core::ffi::CStr::from_ptr(path) }.to_bytes();
    let max = sa.sun_path.len() - 1;
    for (dst, &b) in sa.sun_path.iter_mut().zip(bytes.iter().take(max)) {
        *dst = b as c_char;
    }
    let sa_ptr = sa as *const libc::sockaddr_un as *const libc::sockaddr;
    // SAFETY: a complete sockaddr_un.
    if unsafe {
        libc::connect(
            c.fd,
            sa_ptr,
            size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    } == -1
    {
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

    fn blank() -> redisContext {
        // SAFETY: redisContext is plain data; all-zero is its freshly calloc'ed state.
        let mut c: redisContext = unsafe { zeroed() };
        c.fd = REDIS_INVALID_FD;
        c
    }

    #[test]
    fn error_text_is_capped_at_127_bytes() {
        let mut c = blank();
        set_error(&mut c, REDIS_ERR_OTHER, Some(&[b'x'; 300]));
        assert_eq!(c.err, REDIS_ERR_OTHER);
        assert_eq!(c.errstr.iter().position(|&b| b == 0), Some(127));
    }

    #[test]
    fn errno_text_comes_from_libc() {
        let mut c = blank();
        set_error_errno(&mut c, REDIS_ERR_IO, Some("poll(2)"), libc::ECONNREFUSED);
        // SAFETY: errstr is NUL-terminated by set_error.
        let s = unsafe { core::ffi::CStr::from_ptr(c.errstr.as_ptr()) };
        assert_eq!(s.to_bytes(), b"poll(2): Connection refused");
    }

    #[test]
    fn invalid_timeouts_are_rejected() {
        let mut c = blank();
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 10_000_001,
        };
        // SAFETY: `tv` is a local timeval.
        assert_eq!(unsafe { update_connect_timeout(&mut c, &tv) }, REDIS_OK);
        assert!(timeout_msec(&mut c).is_err());
        assert_eq!(c.err, REDIS_ERR_IO);
        clear_connect_timeout(&mut c);
        assert_eq!(timeout_msec(&mut c), Ok(-1));
        let tv = libc::timeval {
            tv_sec: 1,
            tv_usec: 1,
        };
        // SAFETY: as above.
        unsafe { update_connect_timeout(&mut c, &tv) };
        assert_eq!(timeout_msec(&mut c), Ok(1001));
        clear_connect_timeout(&mut c);
    }

    #[test]
    fn refused_port_reports_strerror() {
        let mut c = blank();
        c.flags = REDIS_BLOCK;
        // Port 1 on loopback: nobody listens there in a test environment.
        // SAFETY: literal C string, no timeout.
        let r = unsafe { connect_tcp(&mut c, c"127.0.0.1".as_ptr(), 1, ptr::null(), ptr::null()) };
        assert_eq!(r, REDIS_ERR);
        assert_eq!(c.err, REDIS_ERR_IO);
        // SAFETY: NUL-terminated by set_error.
        let s = unsafe { core::ffi::CStr::from_ptr(c.errstr.as_ptr()) };
        assert_eq!(s.to_bytes(), b"Connection refused");
        close(&mut c);
        // SAFETY: the strings/timeouts are ours.
        unsafe {
            alloc::free(c.tcp.host as *mut c_void);
            alloc::free(c.saddr as *mut c_void);
        }
    }
}

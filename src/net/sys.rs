//! The system calls of the socket layer, one safe function per call (family): descriptors are
//! plain `c_int`s (a bad one is an `EBADF` from the kernel, never memory unsafety), buffers
//! and addresses are slices, option values are typed. Return values and `errno` are the
//! C library's, untouched, so the callers report errors exactly as hiredis does.
#![allow(unsafe_code)]

use core::ffi::{CStr, c_char, c_int, c_void};
use core::mem::size_of;
use core::ptr;

/// The calling thread's `errno`.
pub(crate) fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets the calling thread's `errno` (hiredis leaves some failures' reasons there).
pub(crate) fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns the calling thread's errno slot, valid for writes.
    unsafe { *libc::__errno_location() = e }
}

/// The C library's text for `e` (XSI `strerror_r`) in `buf`, without its NUL.
pub(super) fn strerror(e: c_int, buf: &mut [u8]) -> &[u8] {
    // SAFETY: `buf` is writable for its whole length, which is what we pass; strerror_r
    // writes at most that much, NUL-terminated (truncating if needed).
    unsafe { libc::strerror_r(e, buf.as_mut_ptr() as *mut c_char, buf.len()) };
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    &buf[..n]
}

/// `gai_strerror(rv)`.
pub(super) fn gai_strerror(rv: c_int) -> &'static [u8] {
    // SAFETY: gai_strerror returns a static NUL-terminated string for any code.
    unsafe { CStr::from_ptr(libc::gai_strerror(rv)) }.to_bytes()
}

/// The calls that take and return integers only.
enum IntCall {
    Close(c_int),
    Fcntl(c_int, c_int, c_int),
    Socket(c_int, c_int, c_int),
    /// `poll` on one descriptor: fd, events, timeout in ms.
    Poll(c_int, i16, c_int),
}

fn int_call(call: IntCall) -> c_int {
    // SAFETY: no pointer to our memory is passed (poll gets its own local pollfd, valid and
    // writable, count 1), so these calls cannot touch it; which descriptor they act on is the
    // caller's business (a wrong one is EBADF or a logic error, not UB). fcntl is only given
    // the int-argument commands (F_GETFL ignores the argument).
    unsafe {
        match call {
            IntCall::Close(fd) => libc::close(fd),
            IntCall::Fcntl(fd, cmd, arg) => libc::fcntl(fd, cmd, arg),
            IntCall::Socket(domain, ty, protocol) => libc::socket(domain, ty, protocol),
            IntCall::Poll(fd, events, timeout_ms) => {
                let mut pfd = libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                };
                libc::poll(&mut pfd, 1, timeout_ms)
            }
        }
    }
}

/// `close(fd)`.
pub(super) fn close(fd: c_int) -> c_int {
    int_call(IntCall::Close(fd))
}

/// `fcntl(fd, cmd, arg)` for the integer commands (F_GETFL, F_SETFL).
pub(super) fn fcntl(fd: c_int, cmd: c_int, arg: c_int) -> c_int {
    int_call(IntCall::Fcntl(fd, cmd, arg))
}

/// `socket(domain, ty, protocol)`.
pub(super) fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    int_call(IntCall::Socket(domain, ty, protocol))
}

/// The calls that move bytes through a socket.
enum IoCall<'a> {
    Recv(&'a mut [u8]),
    Send(&'a [u8]),
}

#[inline(always)]
fn io_call(fd: c_int, call: IoCall<'_>) -> isize {
    // SAFETY: each call gets the pointer and length of a live slice (an empty `send` buffer
    // as NULL with length 0), writable for `recv`, only read by `send`.
    unsafe {
        match call {
            IoCall::Recv(buf) => libc::recv(fd, buf.as_mut_ptr() as *mut c_void, buf.len(), 0),
            IoCall::Send(buf) => {
                let p = if buf.is_empty() {
                    ptr::null()
                } else {
                    buf.as_ptr() as *const c_void
                };
                libc::send(fd, p, buf.len(), 0)
            }
        }
    }
}

/// `recv(fd, buf, len, 0)`.
pub(super) fn recv(fd: c_int, buf: &mut [u8]) -> isize {
    io_call(fd, IoCall::Recv(buf))
}

/// `send(fd, buf, len, 0)` (no MSG_NOSIGNAL, like hiredis). An empty `buf` is sent as NULL.
pub(super) fn send(fd: c_int, buf: &[u8]) -> isize {
    io_call(fd, IoCall::Send(buf))
}

/// A socket option's value: plain data the kernel may read or write whole. Sealed: only the
/// types below, for which every bit pattern is a valid value.
pub(super) trait SockOpt: Copy + private::Sealed {}
impl SockOpt for c_int {}
impl SockOpt for libc::timeval {}
mod private {
    pub(crate) trait Sealed {}
    impl Sealed for core::ffi::c_int {}
    impl Sealed for libc::timeval {}
}

/// The two socket-option calls, on a value of type `T`.
enum OptCall<'a, T> {
    Set(&'a T),
    Get(&'a mut T),
}

fn sockopt<T: SockOpt>(fd: c_int, level: c_int, name: c_int, call: OptCall<'_, T>) -> c_int {
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: the value is a live `T` of the `len` bytes passed: only read by setsockopt;
    // getsockopt writes at most `len` bytes into it, and any bytes are a valid `T`
    // (`SockOpt`), and it updates `len`, a writable socklen_t.
    unsafe {
        match call {
            OptCall::Set(v) => {
                libc::setsockopt(fd, level, name, v as *const T as *const c_void, len)
            }
            OptCall::Get(out) => {
                libc::getsockopt(fd, level, name, out as *mut T as *mut c_void, &mut len)
            }
        }
    }
}

/// `setsockopt(fd, level, name, &val, sizeof val)`.
pub(super) fn setsockopt<T: SockOpt>(fd: c_int, level: c_int, name: c_int, val: &T) -> c_int {
    sockopt(fd, level, name, OptCall::Set(val))
}

/// `getsockopt(fd, level, name, &out, &len)` with `len = sizeof *out`.
pub(super) fn getsockopt<T: SockOpt>(fd: c_int, level: c_int, name: c_int, out: &mut T) -> c_int {
    sockopt(fd, level, name, OptCall::Get(out))
}

/// `poll` on one descriptor: the result, with `events` for `fd`.
pub(super) fn poll_one(fd: c_int, events: i16, timeout_ms: c_int) -> c_int {
    int_call(IntCall::Poll(fd, events, timeout_ms))
}

/// The calls that take a socket address.
#[derive(Clone, Copy)]
enum AddrCall {
    Connect,
    Bind,
}

/// `connect` or `bind` of `fd` to `addr`, the bytes of a `sockaddr_*` (empty: NULL, 0).
fn addr_call(call: AddrCall, fd: c_int, addr: &[u8]) -> c_int {
    let p = if addr.is_empty() {
        ptr::null()
    } else {
        addr.as_ptr() as *const libc::sockaddr
    };
    let len = addr.len() as libc::socklen_t;
    // SAFETY: `p` is NULL with length 0 or readable for `len` bytes, only read; the kernel
    // copies the bytes (no alignment needed) and checks length and family itself.
    unsafe {
        match call {
            AddrCall::Connect => libc::connect(fd, p, len),
            AddrCall::Bind => libc::bind(fd, p, len),
        }
    }
}

/// `connect(fd, addr, len)`.
pub(super) fn connect(fd: c_int, addr: &[u8]) -> c_int {
    addr_call(AddrCall::Connect, fd, addr)
}

/// `bind(fd, addr, len)`.
pub(super) fn bind(fd: c_int, addr: &[u8]) -> c_int {
    addr_call(AddrCall::Bind, fd, addr)
}

/// One address of an [`AddrList`].
pub(super) struct Addr<'a> {
    pub(super) family: c_int,
    pub(super) socktype: c_int,
    pub(super) protocol: c_int,
    /// The `sockaddr_*` bytes (`ai_addr`, `ai_addrlen`).
    pub(super) bytes: &'a [u8],
}

/// A `getaddrinfo` result list, freed on drop.
pub(super) struct AddrList(*mut libc::addrinfo);

impl AddrList {
    /// `getaddrinfo(host, service, hints)` with the hints' family and socket type set (all
    /// else zero); the `EAI_*` code on failure.
    pub(super) fn resolve(
        host: Option<&CStr>,
        service: Option<&CStr>,
        family: c_int,
        socktype: c_int,
    ) -> Result<Self, c_int> {
        let hints = libc::addrinfo {
            ai_flags: 0,
            ai_family: family,
            ai_socktype: socktype,
            ai_protocol: 0,
            ai_addrlen: 0,
            ai_addr: ptr::null_mut(),
            ai_canonname: ptr::null_mut(),
            ai_next: ptr::null_mut(),
        };
        let cp = |s: Option<&CStr>| s.map_or(ptr::null(), CStr::as_ptr);
        let mut res: *mut libc::addrinfo = ptr::null_mut();
        // SAFETY: host/service are C strings or NULL, `hints` a complete addrinfo, `res` a
        // writable out-parameter.
        let rv = unsafe { libc::getaddrinfo(cp(host), cp(service), &hints, &mut res) };
        if rv != 0 { Err(rv) } else { Ok(AddrList(res)) }
    }

    /// The addresses, in the resolver's order.
    pub(super) fn iter(&self) -> impl Iterator<Item = Addr<'_>> {
        let mut p = self.0;
        core::iter::from_fn(move || {
            // SAFETY: the nodes, and the `ai_addrlen` bytes at each non-NULL `ai_addr`, live
            // until the list is freed in `drop`, which the borrow of `self` outlasts.
            let (node, bytes) = unsafe {
                let node = p.as_ref()?;
                let bytes: &[u8] = if node.ai_addr.is_null() {
                    &[]
                } else {
                    core::slice::from_raw_parts(node.ai_addr as *const u8, node.ai_addrlen as usize)
                };
                (node, bytes)
            };
            p = node.ai_next;
            Some(Addr {
                family: node.ai_family,
                socktype: node.ai_socktype,
                protocol: node.ai_protocol,
                bytes,
            })
        })
    }
}

impl Drop for AddrList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list came from getaddrinfo and is freed once, here.
            unsafe { libc::freeaddrinfo(self.0) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn send_poll_recv_over_a_socket_pair() {
        let (a, b) = UnixStream::pair().expect("socketpair");
        assert_eq!(send(a.as_raw_fd(), b"ping"), 4);
        assert_eq!(send(a.as_raw_fd(), b""), 0);
        assert_eq!(poll_one(b.as_raw_fd(), libc::POLLIN, 1000), 1);
        let mut buf = [0u8; 16];
        assert_eq!(recv(b.as_raw_fd(), &mut buf), 4);
        assert_eq!(&buf[..4], b"ping");
        assert_eq!(poll_one(b.as_raw_fd(), libc::POLLIN, 0), 0);
    }

    #[test]
    fn socket_options_round_trip() {
        let (a, _b) = UnixStream::pair().expect("socketpair");
        let fd = a.as_raw_fd();
        let tv = libc::timeval {
            tv_sec: 2,
            tv_usec: 500_000,
        };
        assert_eq!(setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv), 0);
        let mut got = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        assert_eq!(
            getsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &mut got),
            0
        );
        assert_eq!((got.tv_sec, got.tv_usec), (2, 500_000));
        let mut err: c_int = -1;
        assert_eq!(
            getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut err),
            0
        );
        assert_eq!(err, 0);
        let fl = fcntl(fd, libc::F_GETFL, 0);
        assert!(fl >= 0 && fl & libc::O_NONBLOCK == 0);
        assert_eq!(fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK), 0);
        assert_ne!(fcntl(fd, libc::F_GETFL, 0) & libc::O_NONBLOCK, 0);
    }

    #[test]
    fn bad_descriptor_is_ebadf() {
        assert_eq!(close(-1), -1);
        assert_eq!(errno(), libc::EBADF);
        set_errno(0);
        assert_eq!(errno(), 0);
        assert_eq!(connect(-1, &[]), -1);
        assert_eq!(errno(), libc::EBADF);
    }

    #[test]
    fn resolves_loopback_and_reports_gai_errors() {
        let list = AddrList::resolve(
            Some(c"127.0.0.1"),
            Some(c"6379"),
            libc::AF_INET,
            libc::SOCK_STREAM,
        )
        .expect("numeric host");
        let addrs: Vec<_> = list
            .iter()
            .map(|a| (a.family, a.socktype, a.bytes.to_vec()))
            .collect();
        assert_eq!(addrs.len(), 1);
        let (family, socktype, bytes) = &addrs[0];
        assert_eq!((*family, *socktype), (libc::AF_INET, libc::SOCK_STREAM));
        assert_eq!(bytes.len(), size_of::<libc::sockaddr_in>());
        // sin_port (network order) follows the 2-byte family; then 127.0.0.1.
        assert_eq!(&bytes[2..8], &[0x18, 0xeb, 127, 0, 0, 1]);
        // An IPv6 literal asked for as IPv4 fails with a resolver code that has a text.
        let rv = AddrList::resolve(Some(c"::1"), None, libc::AF_INET, libc::SOCK_STREAM)
            .err()
            .expect("family mismatch");
        assert!(!gai_strerror(rv).is_empty());
        let mut buf = [0u8; 64];
        assert_eq!(
            strerror(libc::ECONNREFUSED, &mut buf),
            b"Connection refused"
        );
        // Truncated to the buffer, still NUL-terminated inside it.
        let mut small = [0u8; 5];
        assert!(strerror(libc::ECONNREFUSED, &mut small).len() < 5);
    }
}

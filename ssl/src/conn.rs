//! TLS on a `redisContext`: the handshake that installs `redisContextSSLFuncs`, and the
//! read/write/async hooks in it (spec §5.9). The core does the rest (buffers, reader,
//! callbacks) and reaches TLS only through `c->funcs`.

use std::ffi::{CStr, CString, c_char, c_int, c_long, c_void};
use std::ptr;

use openssl_sys as sys;

use crate::core::{
    self, REDIS_BLOCK, REDIS_CONNECTED, REDIS_ERR, REDIS_ERR_EOF, REDIS_ERR_IO, REDIS_ERR_OOM,
    REDIS_ERR_OTHER, REDIS_OK, redisAsyncContext, redisContext, redisContextFuncs,
};

// The core's event-hook sequence, compiled here against this crate's mirror of the structs.
#[path = "../../src/async_context/hooks.rs"]
mod hooks;
use hooks::Hook;

/// The event hooks of a live async context, reached through its pointer.
struct RawHooks(*mut redisAsyncContext);

impl hooks::Events for RawHooks {
    fn flags(&mut self) -> c_int {
        // SAFETY: `RawHooks` is made only by `hook`, whose caller promises a live context.
        unsafe { (*self.0).c.flags }
    }

    fn timeout(&mut self, command: bool) -> Option<libc::timeval> {
        // SAFETY: as in `flags`; the timeout fields are NULL or timevals the context owns.
        unsafe {
            let c = &(*self.0).c;
            let tv = if command {
                c.command_timeout
            } else {
                c.connect_timeout
            };
            tv.as_ref().copied()
        }
    }

    fn schedule_timer(&mut self, tv: libc::timeval) {
        // SAFETY: as in `flags`; only copies leave the struct, and the adapter installed
        // `f` for its own `data`.
        unsafe {
            let ev = &(*self.0).ev;
            if let (Some(f), data) = (ev.scheduleTimer, ev.data) {
                f(data, tv);
            }
        }
    }

    fn call(&mut self, hook: Hook) {
        // SAFETY: as in `schedule_timer`.
        unsafe {
            let ev = &(*self.0).ev;
            let f = match hook {
                Hook::AddRead => ev.addRead,
                Hook::AddWrite => ev.addWrite,
                Hook::DelWrite => ev.delWrite,
            };
            if let (Some(f), data) = (f, ev.data) {
                f(data);
            }
        }
    }
}

/// Calls the adapter hook `h` of `ac` (re-arming the timer before an add).
///
/// # Safety
/// `ac` is a live async context.
unsafe fn hook(ac: *mut redisAsyncContext, h: Hook) {
    hooks::run(&mut RawHooks(ac), h);
}

unsafe extern "C" {
    // In libssl, but not bound by openssl-sys.
    fn SSL_set_fd(ssl: *mut sys::SSL, fd: c_int) -> c_int;
    fn SSL_set0_wbio(ssl: *mut sys::SSL, wbio: *mut sys::BIO);
}

/// The per-connection state kept in `c->privctx` (hiredis's `redisSSL`).
#[repr(C)]
pub(crate) struct SslConn {
    ssl: *mut sys::SSL,
    /// Length of a write that must be retried with the same arguments (0: none).
    last_len: usize,
    /// TLS needs to read before the pending write can progress.
    want_read: c_int,
    /// A write is waiting for the next readable event.
    pending_write: c_int,
}

/// The table installed on TLS contexts. A plain writable C object, as in hiredis.
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported to C by name
pub static mut redisContextSSLFuncs: redisContextFuncs = redisContextFuncs {
    close: Some(ssl_close),
    free_privctx: Some(ssl_free),
    async_read: Some(ssl_async_read),
    async_write: Some(ssl_async_write),
    read: Some(ssl_read),
    write: Some(ssl_write),
};

fn errno() -> c_int {
    // SAFETY: glibc's thread-local errno.
    unsafe { *libc::__errno_location() }
}

fn strerror(e: c_int) -> String {
    let mut buf = [0 as c_char; 128];
    // SAFETY: the XSI strerror_r writes a NUL-terminated text into our buffer.
    unsafe {
        if libc::strerror_r(e, buf.as_mut_ptr(), buf.len()) != 0 {
            return format!("Unknown error {e}");
        }
        CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
    }
}

/// `__redisSetError` with a Rust text (NULL when `msg` is None: the core uses strerror(errno)).
///
/// # Safety
/// `c` is a live context.
unsafe fn set_error(c: *mut redisContext, kind: c_int, msg: Option<&str>) {
    let owned = msg.map(|m| CString::new(m.replace('\0', " ")).unwrap_or_default());
    // SAFETY: live context; the text is NUL-terminated and outlives the call.
    unsafe { core::__redisSetError(c, kind, owned.as_ref().map_or(ptr::null(), |s| s.as_ptr())) }
}

/// The OpenSSL reason text for the newest queued error, "(null)" when the queue is empty
/// (what hiredis 1.4.1 prints through `%s`).
fn last_reason() -> String {
    // SAFETY: both calls only read OpenSSL's thread-local error queue and static strings.
    unsafe {
        let r = sys::ERR_reason_error_string(sys::ERR_peek_last_error());
        if r.is_null() {
            "(null)".to_owned()
        } else {
            CStr::from_ptr(r).to_string_lossy().into_owned()
        }
    }
}

/// hiredis's `redisSSLConnect`: attaches `ssl` to `c->fd` and starts the handshake. On
/// success (or an unfinished handshake on a non-blocking context) `c` owns `ssl`; on failure
/// the caller still does.
///
/// # Safety
/// `c` is a live context, `ssl` a live OpenSSL object.
pub(crate) unsafe fn connect(c: *mut redisContext, ssl: *mut sys::SSL) -> c_int {
    // SAFETY: caller's promise; every pointer below is live for the duration of the call.
    unsafe {
        if !(*c).privctx.is_null() {
            set_error(
                c,
                REDIS_ERR_OTHER,
                Some("redisContext was already associated"),
            );
            return REDIS_ERR;
        }
        let conn = core::calloc(size_of::<SslConn>()) as *mut SslConn;
        if conn.is_null() {
            set_error(c, REDIS_ERR_OOM, Some("Out of memory"));
            return REDIS_ERR;
        }
        conn.write(SslConn {
            ssl,
            last_len: 0,
            want_read: 0,
            pending_write: 0,
        });
        sys::SSL_ctrl(
            ssl,
            sys::SSL_CTRL_MODE,
            sys::SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER as c_long,
            ptr::null_mut(),
        );
        SSL_set_fd(ssl, (*c).fd);
        sys::SSL_set_connect_state(ssl);
        sys::ERR_clear_error();
        let rv = sys::SSL_connect(ssl);
        // SSL_ERROR_NONE for a finished handshake; only reads the error queue.
        let e = sys::SSL_get_error(ssl, rv);
        let pending = (*c).flags & REDIS_BLOCK == 0
            && (e == sys::SSL_ERROR_WANT_READ || e == sys::SSL_ERROR_WANT_WRITE);
        if rv == 1 || pending {
            (*c).funcs = &raw const redisContextSSLFuncs;
            (*c).privctx = conn as *mut c_void;
            return REDIS_OK;
        }
        let os = errno();
        if (*c).err == 0 {
            let why = if e == sys::SSL_ERROR_SYSCALL {
                strerror(os)
            } else {
                last_reason()
            };
            set_error(c, REDIS_ERR_IO, Some(&format!("SSL_connect failed: {why}")));
        }
        core::free(conn as *mut c_void);
        REDIS_ERR
    }
}

/// Records what a non-blocking operation waits for; false for a real error.
fn note_want(conn: &mut SslConn, e: c_int) -> bool {
    match e {
        sys::SSL_ERROR_WANT_READ => conn.want_read = 1,
        sys::SSL_ERROR_WANT_WRITE => conn.pending_write = 1,
        _ => return false,
    }
    true
}

/// `free_privctx`: releases the OpenSSL object and our state.
unsafe extern "C" fn ssl_free(privctx: *mut c_void) {
    let conn = privctx as *mut SslConn;
    if conn.is_null() {
        return;
    }
    // SAFETY: privctx is the SslConn installed by `connect`, owned by the context.
    unsafe { sys::SSL_free((*conn).ssl) };
    core::free(conn as *mut c_void);
}

/// `close`: sends a TLS close_notify when the connection is healthy, then closes the socket
/// as the core does. The alert goes out through a memory BIO and one non-blocking,
/// SIGPIPE-free send, so closing never blocks or raises a signal on a dead peer.
unsafe extern "C" fn ssl_close(c: *mut redisContext) {
    // SAFETY: the core calls this with a live context; privctx is ours when set.
    unsafe {
        let conn = (*c).privctx as *mut SslConn;
        if !conn.is_null() && (*c).err == 0 && (*c).fd >= 0 && (*c).flags & REDIS_CONNECTED != 0 {
            send_close_notify((*conn).ssl, (*c).fd);
        }
        core::redisNetClose(c);
    }
}

/// # Safety
/// `ssl` is live and attached to `fd`.
unsafe fn send_close_notify(ssl: *mut sys::SSL, fd: c_int) {
    // SAFETY: OpenSSL calls on a live object; the memory BIO is handed to `ssl`, which frees it.
    unsafe {
        if sys::SSL_is_init_finished(ssl) != 1 {
            return;
        }
        let mem = sys::BIO_new(sys::BIO_s_mem());
        if mem.is_null() {
            return;
        }
        SSL_set0_wbio(ssl, mem);
        sys::ERR_clear_error();
        sys::SSL_shutdown(ssl);
        sys::ERR_clear_error();
        let mut data: *mut c_char = ptr::null_mut();
        let n = sys::BIO_ctrl(
            mem,
            sys::BIO_CTRL_INFO,
            0,
            &mut data as *mut *mut c_char as *mut c_void,
        );
        if n > 0 && !data.is_null() {
            libc::send(
                fd,
                data as *const c_void,
                n as usize,
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            );
        }
    }
}

/// The context's TLS state. hiredis dereferences it blindly; a context whose TLS state was
/// dropped (by `redisReconnect`) and not initiated again gets an error instead of a crash.
///
/// # Safety
/// `c` is a live context.
unsafe fn live_conn<'a>(c: *mut redisContext) -> Option<&'a mut SslConn> {
    // SAFETY: privctx is NULL or the SslConn installed by `connect`.
    unsafe {
        let conn = (*c).privctx as *mut SslConn;
        if conn.is_null() {
            set_error(
                c,
                REDIS_ERR_OTHER,
                Some("SSL is not initiated on this context"),
            );
            return None;
        }
        Some(&mut *conn)
    }
}

/// `read`: one `SSL_read` (which may also drive a handshake or write TLS records).
unsafe extern "C" fn ssl_read(c: *mut redisContext, buf: *mut c_char, cap: usize) -> libc::ssize_t {
    // SAFETY: live context with our privctx; `buf` holds `cap` bytes.
    unsafe {
        let Some(conn) = live_conn(c) else { return -1 };
        let cap = cap.min(c_int::MAX as usize) as c_int;
        sys::ERR_clear_error();
        let n = sys::SSL_read(conn.ssl, buf as *mut c_void, cap);
        if n > 0 {
            return n as libc::ssize_t;
        }
        if n == 0 {
            set_error(c, REDIS_ERR_EOF, Some("Server closed the connection"));
            return -1;
        }
        let e = sys::SSL_get_error(conn.ssl, n);
        if (*c).flags & REDIS_BLOCK != 0 {
            // A blocking socket only stops early on a signal or a timeout (SO_RCVTIMEO).
            match errno() {
                libc::EINTR => return 0,
                libc::EAGAIN => {
                    set_error(c, REDIS_ERR_IO, Some("Resource temporarily unavailable"))
                }
                _ => set_error(c, REDIS_ERR_IO, None),
            }
            return -1;
        }
        if note_want(conn, e) {
            return 0;
        }
        set_error(c, REDIS_ERR_IO, None);
        -1
    }
}

/// `write`: one `SSL_write` of `obuf`, repeated with the same length after a WANT.
unsafe extern "C" fn ssl_write(c: *mut redisContext) -> libc::ssize_t {
    // SAFETY: live context with our privctx; obuf is a live sds.
    unsafe {
        let Some(conn) = live_conn(c) else { return -1 };
        let len = if conn.last_len != 0 {
            conn.last_len
        } else {
            core::sdslen((*c).obuf)
        };
        // SSL_write takes an int; a larger buffer goes out over several calls.
        let len = len.min(c_int::MAX as usize);
        sys::ERR_clear_error();
        let rv = sys::SSL_write(conn.ssl, (*c).obuf as *const c_void, len as c_int);
        if rv > 0 {
            conn.last_len = 0;
        } else if rv < 0 {
            conn.last_len = len;
            let e = sys::SSL_get_error(conn.ssl, rv);
            if (*c).flags & REDIS_BLOCK == 0 && note_want(conn, e) {
                return 0;
            }
            set_error(c, REDIS_ERR_IO, None);
            return -1;
        }
        rv as libc::ssize_t
    }
}

/// `async_read`: replays a write that waited for readability, then reads and dispatches.
unsafe extern "C" fn ssl_async_read(ac: *mut redisAsyncContext) {
    // SAFETY: the core calls this with a live TLS async context; after a disconnect we
    // return without touching it.
    unsafe {
        let c = &raw mut (*ac).c;
        let conn = (*c).privctx as *mut SslConn;
        (*conn).want_read = 0;
        if (*conn).pending_write != 0 {
            (*conn).pending_write = 0;
            let mut done: c_int = 0;
            if core::redisBufferWrite(c, &mut done) == REDIS_ERR {
                core::__redisAsyncDisconnect(ac);
                return;
            }
            if done == 0 {
                hook(ac, Hook::AddWrite);
            }
        }
        if core::redisBufferRead(c) == REDIS_ERR {
            core::__redisAsyncDisconnect(ac);
        } else {
            hook(ac, Hook::AddRead);
            core::redisProcessCallbacks(ac);
        }
    }
}

/// `async_write`: writes what it can; a write that needs a read first waits for the next
/// readable event instead of spinning on writability.
unsafe extern "C" fn ssl_async_write(ac: *mut redisAsyncContext) {
    // SAFETY: as in `ssl_async_read`.
    unsafe {
        let c = &raw mut (*ac).c;
        let conn = (*c).privctx as *mut SslConn;
        (*conn).pending_write = 0;
        let mut done: c_int = 0;
        if core::redisBufferWrite(c, &mut done) == REDIS_ERR {
            core::__redisAsyncDisconnect(ac);
            return;
        }
        if done == 0 {
            if (*conn).want_read != 0 {
                (*conn).pending_write = 1;
                hook(ac, Hook::DelWrite);
            } else {
                hook(ac, Hook::AddWrite);
            }
        } else {
            hook(ac, Hook::DelWrite);
        }
        hook(ac, Hook::AddRead);
    }
}

#[cfg(test)]
mod tests {
    //! The hooks against an in-process TLS server over a non-blocking socket pair: a handshake
    //! that takes several rounds, WANT_* bookkeeping, writes retried with the same length, and
    //! a read that has to write (a TLS 1.3 KeyUpdate answered while the socket is full).
    use super::*;
    use crate::context::{Settings, TlsContext};
    use foreign_types::{ForeignType, ForeignTypeRef};
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::ssl::{HandshakeError, Ssl, SslContextBuilder, SslMethod, SslStream};
    use openssl::x509::{X509Builder, X509NameBuilder};
    use std::io::{Read, Write};
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    unsafe extern "C" {
        fn SSL_key_update(s: *mut sys::SSL, updatetype: c_int) -> c_int;
    }

    fn server_ssl() -> Ssl {
        let key = PKey::generate_ed25519().unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "localhost").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::null()).unwrap();
        let mut ctx = SslContextBuilder::new(SslMethod::tls_server()).unwrap();
        ctx.set_certificate(&b.build()).unwrap();
        ctx.set_private_key(&key).unwrap();
        Ssl::new(&ctx.build()).unwrap()
    }

    /// An sds string (64-bit header) holding `data`, kept alive by the returned Vec.
    fn fake_sds(data: &[u8]) -> (Vec<u8>, *mut c_char) {
        let mut v = Vec::with_capacity(17 + data.len() + 1);
        v.extend_from_slice(&(data.len() as u64).to_ne_bytes());
        v.extend_from_slice(&(data.len() as u64).to_ne_bytes());
        v.push(4);
        v.extend_from_slice(data);
        v.push(0);
        // SAFETY: the header is 17 bytes, inside the allocation.
        let p = unsafe { v.as_mut_ptr().add(17) } as *mut c_char;
        (v, p)
    }

    fn conn(c: &redisContext) -> &SslConn {
        // SAFETY: privctx is the SslConn installed by `connect`.
        unsafe { &*(c.privctx as *const SslConn) }
    }

    #[test]
    fn nonblocking_handshake_want_flags_and_write_retries() {
        let (cs, ss) = UnixStream::pair().unwrap();
        cs.set_nonblocking(true).unwrap();
        ss.set_nonblocking(true).unwrap();
        let client_ctx = TlsContext::new(&Settings::default()).unwrap();
        // SAFETY: all-zero is a valid redisContext (NULL pointers, no callbacks); flags 0 is a
        // non-blocking context.
        let mut c: redisContext = unsafe { std::mem::zeroed() };
        c.fd = cs.as_raw_fd();
        // SAFETY: a live SSL_CTX; `connect` takes the new SSL.
        let ssl = unsafe { sys::SSL_new(client_ctx.ctx.as_ptr()) };
        // SAFETY: live context and SSL.
        let rc = unsafe { connect(&mut c, ssl) };
        assert_eq!(rc, REDIS_OK, "unfinished handshake is OK when non-blocking");
        assert!(!c.privctx.is_null());
        assert!(std::ptr::eq(c.funcs, &raw const redisContextSSLFuncs));

        // Alternate: server flight, client read (which finishes the client side), until done.
        let mut buf = [0 as c_char; 512];
        let mut rounds = 0;
        let mut hs = server_ssl().accept(ss);
        let mut server: SslStream<UnixStream> = loop {
            match hs {
                Ok(s) => break s,
                Err(HandshakeError::WouldBlock(mid)) => {
                    // SAFETY: live TLS context and buffer.
                    assert_eq!(unsafe { ssl_read(&mut c, buf.as_mut_ptr(), buf.len()) }, 0);
                    assert_eq!(
                        conn(&c).want_read,
                        1,
                        "a read that needs more input says so"
                    );
                    rounds += 1;
                    hs = mid.handshake();
                }
                Err(e) => panic!("server handshake: {e}"),
            }
        };
        assert!(rounds >= 1);
        server.write_all(b"+PONG\r\n").unwrap();
        // SAFETY: as above.
        let n = unsafe { ssl_read(&mut c, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, 7);
        // SAFETY: `n` bytes were written to buf.
        let got = unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const u8, 7) };
        assert_eq!(got, b"+PONG\r\n");

        // Fill the socket: the server does not read, so a write ends in WANT_WRITE.
        let data: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i * 31) as u8).collect();
        let (mut backing, obuf) = fake_sds(&data);
        c.obuf = obuf;
        // SAFETY: live context with a live sds obuf.
        let first = unsafe { ssl_write(&mut c) };
        assert_eq!(first, 0, "blocked write returns 0");
        assert_eq!(conn(&c).pending_write, 1);
        assert_eq!(
            conn(&c).last_len,
            data.len(),
            "the retry must repeat the same length"
        );

        // The server asks for a key update and sends data; the client's read must answer the
        // update while its socket is still full.
        // SAFETY: a live server SSL.
        assert_eq!(unsafe { SSL_key_update(server.ssl().as_ptr(), 1) }, 1);
        server.write_all(b"+X\r\n").unwrap();
        // The async hooks clear these before each attempt; so do we.
        // SAFETY: privctx is our SslConn.
        unsafe {
            (*(c.privctx as *mut SslConn)).want_read = 0;
            (*(c.privctx as *mut SslConn)).pending_write = 0;
        }
        // SAFETY: as above.
        let n = unsafe { ssl_read(&mut c, buf.as_mut_ptr(), buf.len()) };
        // OpenSSL 3.0 defers the answering KeyUpdate to the next write and returns the data;
        // a library that answers at once reports WANT_WRITE, which must read as "try later".
        assert!(
            n == 4 || (n == 0 && conn(&c).pending_write + conn(&c).want_read == 1),
            "read: {n}"
        );
        assert_eq!(c.err, 0);

        // Drain on the server while the client retries; every byte arrives once, in order.
        let mut got = Vec::new();
        let mut written = 0usize;
        let mut tmp = vec![0u8; 64 * 1024];
        let mut extra = Vec::new();
        for _ in 0..100_000 {
            if written < data.len() {
                // SAFETY: live context; the obuf stays put (the core would keep it too).
                let w = unsafe { ssl_write(&mut c) };
                assert!(w >= 0, "write failed");
                if w > 0 {
                    written += w as usize;
                    assert_eq!(
                        written,
                        data.len(),
                        "without partial writes one success sends it all"
                    );
                    assert_eq!(conn(&c).last_len, 0);
                }
            }
            match server.read(&mut tmp) {
                Ok(k) => got.extend_from_slice(&tmp[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("server read: {e}"),
            }
            if n == 0 && extra.is_empty() {
                // SAFETY: as above.
                let r = unsafe { ssl_read(&mut c, buf.as_mut_ptr(), buf.len()) };
                if r > 0 {
                    // SAFETY: `r` bytes were written to buf.
                    extra.extend_from_slice(unsafe {
                        std::slice::from_raw_parts(buf.as_ptr() as *const u8, r as usize)
                    });
                }
            }
            if got.len() == data.len() {
                break;
            }
        }
        assert_eq!(got.len(), data.len());
        assert!(got == data);
        if n == 0 {
            assert_eq!(
                extra, b"+X\r\n",
                "the data behind the key update arrives after the retry"
            );
        }
        c.obuf = std::ptr::null_mut();
        backing.clear();
        // SAFETY: our privctx; the core would do this in redisFree.
        unsafe { ssl_free(c.privctx) };
    }
}

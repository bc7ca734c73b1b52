//! The C API of libhiredis_rs_ssl (`hiredis_ssl.h`): thin wrappers over `context` and `conn`.
//! cbindgen reads this file; `ssl/headers/hiredis_ssl.pre.h` adds what it cannot say.

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{CStr, c_char, c_int};
use std::ptr;

use foreign_types::ForeignType;
use openssl_sys as sys;

use crate::context::{Settings, TlsContext};
use crate::core::{self, REDIS_ERR, REDIS_ERR_OTHER, REDIS_OK, redisContext};

/// Errors of `redisCreateSSLContext*` (values fixed by hiredis).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // some values are only named for the header
pub enum redisSSLContextError {
    REDIS_SSL_CTX_NONE = 0,
    REDIS_SSL_CTX_CREATE_FAILED = 1,
    REDIS_SSL_CTX_CERT_KEY_REQUIRED = 2,
    REDIS_SSL_CTX_CA_CERT_LOAD_FAILED = 3,
    REDIS_SSL_CTX_CLIENT_CERT_LOAD_FAILED = 4,
    REDIS_SSL_CTX_CLIENT_DEFAULT_CERT_FAILED = 5,
    REDIS_SSL_CTX_PRIVATE_KEY_LOAD_FAILED = 6,
    REDIS_SSL_CTX_OS_CERTSTORE_OPEN_FAILED = 7,
    REDIS_SSL_CTX_OS_CERT_ADD_FAILED = 8,
}

/// A `redisSSLContextError` as it crosses the boundary: any int (C may pass values outside
/// the enum, which must not become a Rust enum). Spelled `redisSSLContextError` in the header.
pub type redisSSLContextErrorValue = c_int;

/// Options of `redisCreateSSLContextWithOptions` (48 bytes; never read past them: HEAD's
/// callers may pass a larger struct, 1.4.1's a 48-byte one).
#[repr(C)]
pub struct redisSSLOptions {
    pub cacert_filename: *const c_char,
    pub capath: *const c_char,
    pub cert_filename: *const c_char,
    pub private_key_filename: *const c_char,
    pub server_name: *const c_char,
    pub verify_mode: c_int,
}

const _: () = {
    assert!(size_of::<redisSSLOptions>() == 48);
    assert!(std::mem::offset_of!(redisSSLOptions, verify_mode) == 40);
    assert!(size_of::<redisSSLContextError>() == 4);
};

/// The opaque `redisSSLContext`.
pub struct redisSSLContext(TlsContext);

/// OpenSSL's `struct ssl_st`, opaque here.
pub struct ssl_st {
    _opaque: [u8; 0],
}

const REDIS_SSL_VERIFY_PEER: c_int = 0x01;

/// The text of a context-creation error; values outside the enum (and 5, as in hiredis)
/// give "Unknown error code".
#[unsafe(no_mangle)]
pub extern "C" fn redisSSLContextGetError(error: redisSSLContextErrorValue) -> *const c_char {
    let text: &'static CStr = match error {
        0 => c"No Error",
        1 => c"Failed to create OpenSSL SSL_CTX",
        2 => c"Client cert and key must both be specified or skipped",
        3 => c"Failed to load CA Certificate or CA Path",
        4 => c"Failed to load client certificate",
        6 => c"Failed to load private key",
        7 => c"Failed to open system certificate store",
        8 => c"Failed to add CA certificates obtained from system to the SSL context",
        _ => c"Unknown error code",
    };
    text.as_ptr()
}

/// OpenSSL >= 1.1.0 initialises itself; kept for source compatibility. Always REDIS_OK.
#[unsafe(no_mangle)]
pub extern "C" fn redisInitOpenSSL() -> c_int {
    crate::context::init_openssl();
    REDIS_OK
}

/// `redisCreateSSLContextWithOptions` with VERIFY_PEER.
///
/// # Safety
/// Each string is NULL or NUL-terminated; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisCreateSSLContext(
    cacert_filename: *const c_char,
    capath: *const c_char,
    cert_filename: *const c_char,
    private_key_filename: *const c_char,
    server_name: *const c_char,
    error: *mut redisSSLContextErrorValue,
) -> *mut redisSSLContext {
    let mut opts = redisSSLOptions {
        cacert_filename,
        capath,
        cert_filename,
        private_key_filename,
        server_name,
        verify_mode: REDIS_SSL_VERIFY_PEER,
    };
    // SAFETY: our own options; the strings per the caller's promise.
    unsafe { redisCreateSSLContextWithOptions(&mut opts, error) }
}

/// Creates a context; on failure returns NULL and stores the reason in `*error` (when
/// given). On success `*error` is left untouched, as in hiredis.
///
/// # Safety
/// `options` is NULL or points to 48 readable bytes whose strings are NULL or
/// NUL-terminated; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisCreateSSLContextWithOptions(
    options: *mut redisSSLOptions,
    error: *mut redisSSLContextErrorValue,
) -> *mut redisSSLContext {
    // hiredis dereferences NULL options; treat them as "no options given" instead.
    // SAFETY: caller's promise on `options` and its strings.
    let o = unsafe { options.as_ref() };
    let s = |p: *const c_char| {
        if p.is_null() {
            None
        } else {
            // SAFETY: each string is NULL or NUL-terminated (caller's promise).
            Some(unsafe { CStr::from_ptr(p) })
        }
    };
    let settings = match o {
        Some(o) => Settings {
            cacert: s(o.cacert_filename),
            capath: s(o.capath),
            cert: s(o.cert_filename),
            key: s(o.private_key_filename),
            server_name: s(o.server_name),
            verify_mode: o.verify_mode,
        },
        None => Settings::default(),
    };
    let mem = core::calloc(size_of::<redisSSLContext>()) as *mut redisSSLContext;
    if mem.is_null() {
        return ptr::null_mut();
    }
    match TlsContext::new(&settings) {
        Ok(ctx) => {
            // SAFETY: fresh, suitably aligned allocation of the right size.
            unsafe { mem.write(redisSSLContext(ctx)) };
            mem
        }
        Err(e) => {
            core::free(mem.cast());
            if !error.is_null() {
                // SAFETY: caller's promise.
                unsafe { *error = e as c_int };
            }
            ptr::null_mut()
        }
    }
}

/// Frees a context (NULL is fine). Connections made from it keep working.
///
/// # Safety
/// `ctx` is NULL or came from `redisCreateSSLContext*` and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redisFreeSSLContext(ctx: *mut redisSSLContext) {
    if ctx.is_null() {
        return;
    }
    // SAFETY: caller's promise; the value was written by `redisCreateSSLContextWithOptions`.
    unsafe { ptr::drop_in_place(ctx) };
    core::free(ctx.cast());
}

/// Starts TLS on a connected context with a new `SSL` from `ctx` (and its SNI name).
///
/// # Safety
/// `c` is NULL or a live context; `ctx` is NULL or a live SSL context.
#[unsafe(no_mangle)]
#[allow(private_interfaces)] // redisContext is the core's type, mirrored in `core`
pub unsafe extern "C" fn redisInitiateSSLWithContext(
    c: *mut redisContext,
    ctx: *mut redisSSLContext,
) -> c_int {
    if c.is_null() || ctx.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise; `ssl` is ours until `conn::connect` takes it.
    unsafe {
        if !(*c).privctx.is_null() {
            return REDIS_ERR;
        }
        let ctx = &(*ctx).0;
        let ssl = sys::SSL_new(ctx.ctx.as_ptr());
        if ssl.is_null() {
            core::__redisSetError(
                c,
                REDIS_ERR_OTHER,
                c"Couldn't create new SSL instance".as_ptr(),
            );
            return REDIS_ERR;
        }
        if let Some(name) = &ctx.server_name {
            if sys::SSL_set_tlsext_host_name(ssl, name.as_ptr() as *mut c_char) != 1 {
                core::__redisSetError(
                    c,
                    REDIS_ERR_OTHER,
                    c"Failed to set server_name/SNI".as_ptr(),
                );
                sys::SSL_free(ssl);
                return REDIS_ERR;
            }
        }
        if crate::conn::connect(c, ssl) != REDIS_OK {
            sys::SSL_free(ssl);
            return REDIS_ERR;
        }
    }
    REDIS_OK
}

/// Starts TLS on a connected context with the caller's `SSL`, which the context owns from a
/// successful return on (freed by `redisFree`).
///
/// # Safety
/// `c` is NULL or a live context; `ssl` is NULL or a live OpenSSL `SSL`.
#[unsafe(no_mangle)]
#[allow(private_interfaces)]
pub unsafe extern "C" fn redisInitiateSSL(c: *mut redisContext, ssl: *mut ssl_st) -> c_int {
    // hiredis crashes on NULL here; fail instead.
    if c.is_null() || ssl.is_null() {
        return REDIS_ERR;
    }
    // SAFETY: caller's promise.
    unsafe { crate::conn::connect(c, ssl as *mut sys::SSL) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: c_int) -> &'static str {
        // SAFETY: the function returns static NUL-terminated strings.
        unsafe { CStr::from_ptr(redisSSLContextGetError(e)) }
            .to_str()
            .unwrap()
    }

    #[test]
    fn error_texts() {
        assert_eq!(text(0), "No Error");
        assert_eq!(text(3), "Failed to load CA Certificate or CA Path");
        assert_eq!(text(5), "Unknown error code");
        assert_eq!(text(-7), "Unknown error code");
        assert_eq!(
            text(8),
            "Failed to add CA certificates obtained from system to the SSL context"
        );
    }

    #[test]
    fn create_reports_error_and_leaves_it_on_success() {
        let mut e: c_int = 42;
        // SAFETY: valid strings and out pointer.
        let ctx = unsafe {
            redisCreateSSLContext(
                ptr::null(),
                ptr::null(),
                c"x".as_ptr(),
                ptr::null(),
                ptr::null(),
                &mut e,
            )
        };
        assert!(ctx.is_null());
        assert_eq!(e, 2);
        e = 42;
        // SAFETY: as above.
        let ctx = unsafe {
            redisCreateSSLContext(
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null(),
                c"h".as_ptr(),
                &mut e,
            )
        };
        assert!(!ctx.is_null());
        assert_eq!(e, 42);
        // SAFETY: a live context from above.
        unsafe { redisFreeSSLContext(ctx) };
    }

    #[test]
    fn null_arguments_fail_quietly() {
        // SAFETY: NULL is handled.
        unsafe {
            assert_eq!(
                redisInitiateSSLWithContext(ptr::null_mut(), ptr::null_mut()),
                REDIS_ERR
            );
            assert_eq!(
                redisInitiateSSL(ptr::null_mut(), ptr::null_mut()),
                REDIS_ERR
            );
            redisFreeSSLContext(ptr::null_mut());
        }
    }
}

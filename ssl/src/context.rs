//! `redisSSLContext`: an OpenSSL client `SSL_CTX` configured from `redisSSLOptions`, plus
//! the SNI name given to every connection made from it (spec §5.9).

use std::ffi::CStr;

use openssl::ssl::{SslContext, SslContextBuilder, SslMethod, SslVersion};
use openssl_sys as sys;

use crate::core::HookCStr;
use crate::ffi::redisSSLContextError::{self, *};

/// The settings of `redisSSLOptions`, as borrowed C strings.
#[derive(Default)]
pub(crate) struct Settings<'a> {
    pub cacert: Option<&'a CStr>,
    pub capath: Option<&'a CStr>,
    pub cert: Option<&'a CStr>,
    pub key: Option<&'a CStr>,
    pub server_name: Option<&'a CStr>,
    pub verify_mode: i32,
}

/// The object behind the opaque `redisSSLContext *`.
pub(crate) struct TlsContext {
    pub ctx: SslContext,
    /// Allocated through the hooks, as everything that outlives a call.
    pub server_name: Option<HookCStr>,
}

/// 1 when an OpenSSL call succeeded (they return 1 on success, 0 or less on failure).
fn ok(rv: std::ffi::c_int) -> bool {
    rv == 1
}

impl TlsContext {
    /// Builds the context, checking in hiredis's order so the same error is reported first.
    pub(crate) fn new(s: &Settings<'_>) -> Result<TlsContext, redisSSLContextError> {
        init_openssl();
        let mut b = SslContextBuilder::new(SslMethod::tls_client())
            .map_err(|_| REDIS_SSL_CTX_CREATE_FAILED)?;
        // hiredis ignores the result of these two as well.
        let _ = b.set_min_proto_version(Some(SslVersion::TLS1_2));
        // SAFETY: a live SSL_CTX; any int is accepted as a mode (unknown bits are OpenSSL's
        // business, as in hiredis), no callback.
        unsafe { sys::SSL_CTX_set_verify(b.as_ptr(), s.verify_mode, None) };

        if s.cert.is_some() != s.key.is_some() {
            return Err(REDIS_SSL_CTX_CERT_KEY_REQUIRED);
        }
        let cstr = |p: Option<&CStr>| p.map_or(std::ptr::null(), |p| p.as_ptr());
        if s.cacert.is_some() || s.capath.is_some() {
            // SAFETY: a live SSL_CTX and NULL or NUL-terminated paths.
            if !ok(unsafe {
                sys::SSL_CTX_load_verify_locations(b.as_ptr(), cstr(s.cacert), cstr(s.capath))
            }) {
                return Err(REDIS_SSL_CTX_CA_CERT_LOAD_FAILED);
            }
        } else {
            load_default_paths(&mut b)?;
        }
        if let (Some(cert), Some(key)) = (s.cert, s.key) {
            // SAFETY: a live SSL_CTX and NUL-terminated paths.
            if !ok(unsafe { sys::SSL_CTX_use_certificate_chain_file(b.as_ptr(), cert.as_ptr()) }) {
                return Err(REDIS_SSL_CTX_CLIENT_CERT_LOAD_FAILED);
            }
            // SAFETY: as above.
            if !ok(unsafe {
                sys::SSL_CTX_use_PrivateKey_file(b.as_ptr(), key.as_ptr(), sys::SSL_FILETYPE_PEM)
            }) {
                return Err(REDIS_SSL_CTX_PRIVATE_KEY_LOAD_FAILED);
            }
        }
        // hiredis ignores a failed copy and connects without SNI; a context that silently
        // lost its server name is worse than none, so this is CREATE_FAILED.
        let server_name = match s.server_name {
            Some(name) => Some(HookCStr::new(name).ok_or(REDIS_SSL_CTX_CREATE_FAILED)?),
            None => None,
        };
        Ok(TlsContext {
            ctx: b.build(),
            server_name,
        })
    }
}

fn load_default_paths(b: &mut SslContextBuilder) -> Result<(), redisSSLContextError> {
    b.set_default_verify_paths()
        .map_err(|_| REDIS_SSL_CTX_CLIENT_DEFAULT_CERT_FAILED)
}

/// Initialises OpenSSL with its exit-time cleanup, before the `openssl` crate does: the crate's
/// own initialisation passes OPENSSL_INIT_NO_ATEXIT, which leaves all of OpenSSL's global state
/// allocated at exit (about 290 KB "still reachable" under valgrind), where a C program using
/// hiredis's TLS library has OpenSSL free it. OpenSSL runs its atexit registration once, so the
/// first initialisation decides.
pub(crate) fn init_openssl() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: OPENSSL_init_ssl takes option bits and an optional settings pointer (NULL:
        // defaults); it is thread-safe and may be called any number of times.
        unsafe { sys::OPENSSL_init_ssl(sys::OPENSSL_INIT_LOAD_SSL_STRINGS, std::ptr::null_mut()) };
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use foreign_types::ForeignType;

    #[test]
    fn cert_without_key_is_rejected() {
        let s = Settings {
            cert: Some(c"/nonexistent.crt"),
            ..Default::default()
        };
        assert_eq!(
            TlsContext::new(&s).err(),
            Some(REDIS_SSL_CTX_CERT_KEY_REQUIRED)
        );
        let s = Settings {
            key: Some(c"/nonexistent.key"),
            ..Default::default()
        };
        assert_eq!(
            TlsContext::new(&s).err(),
            Some(REDIS_SSL_CTX_CERT_KEY_REQUIRED)
        );
    }

    #[test]
    fn missing_ca_file_fails_to_load() {
        let s = Settings {
            cacert: Some(c"/nonexistent/ca.crt"),
            ..Default::default()
        };
        assert_eq!(
            TlsContext::new(&s).err(),
            Some(REDIS_SSL_CTX_CA_CERT_LOAD_FAILED)
        );
    }

    #[test]
    fn ca_checked_before_client_cert() {
        let s = Settings {
            cacert: Some(c"/nonexistent/ca.crt"),
            cert: Some(c"/nonexistent.crt"),
            key: Some(c"/nonexistent.key"),
            ..Default::default()
        };
        assert_eq!(
            TlsContext::new(&s).err(),
            Some(REDIS_SSL_CTX_CA_CERT_LOAD_FAILED)
        );
    }

    #[test]
    fn missing_client_cert_fails_after_default_paths() {
        let s = Settings {
            cert: Some(c"/nonexistent.crt"),
            key: Some(c"/nonexistent.key"),
            ..Default::default()
        };
        assert_eq!(
            TlsContext::new(&s).err(),
            Some(REDIS_SSL_CTX_CLIENT_CERT_LOAD_FAILED)
        );
    }

    #[test]
    fn defaults_and_sni_name() {
        let s = Settings {
            server_name: Some(c"redis.example"),
            verify_mode: 1,
            ..Default::default()
        };
        let ctx = TlsContext::new(&s).expect("default context");
        assert_eq!(
            ctx.server_name.as_ref().map(HookCStr::as_c_str),
            Some(c"redis.example")
        );
        // SAFETY: a live SSL_CTX.
        assert_eq!(unsafe { sys::SSL_CTX_get_verify_mode(ctx.ctx.as_ptr()) }, 1);
    }
}

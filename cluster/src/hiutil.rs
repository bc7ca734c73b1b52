//! `hiutil.h`: the few helpers of hiredis-cluster's hiutil that this library exports (CRC16
//! and the clocks among them); the socket and assert helpers are not provided.

#![allow(non_snake_case)]

use std::ffi::{c_char, c_int};

/// CRC16/XMODEM (polynomial 0x1021, initial value 0), one table entry per byte value.
const CRC16_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
};

/// CRC16/XMODEM of `buf` ("123456789" gives 0x31C3).
pub(crate) fn crc16_bytes(buf: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in buf {
        crc = (crc << 8) ^ CRC16_TABLE[(((crc >> 8) as u8) ^ b) as usize];
    }
    crc
}

/// The cluster hash slot of a key: CRC16 of the key, or of the part between the first `{` and
/// the first `}` after it when that part is non-empty, modulo 16384.
pub(crate) fn key_hash_slot(key: &[u8]) -> u32 {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(close) = key[open + 1..].iter().position(|&b| b == b'}') {
            if close > 0 {
                return (crc16_bytes(&key[open + 1..open + 1 + close]) & 0x3FFF) as u32;
            }
        }
    }
    (crc16_bytes(key) & 0x3FFF) as u32
}

/// CRC16/XMODEM of `len` bytes at `buf`.
///
/// # Safety
/// `buf` points to `len` readable bytes (or `len <= 0`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crc16(buf: *const c_char, len: c_int) -> u16 {
    if len <= 0 || buf.is_null() {
        return 0;
    }
    // SAFETY: caller's promise.
    crc16_bytes(unsafe { std::slice::from_raw_parts(buf as *const u8, len as usize) })
}

/// Wall-clock time in microseconds (gettimeofday, as hiredis-cluster), -1 on failure.
#[unsafe(no_mangle)]
pub extern "C" fn hi_usec_now() -> i64 {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `tv` is a valid out-parameter; the timezone argument may be NULL.
    if unsafe { libc::gettimeofday(&mut tv, std::ptr::null_mut()) } < 0 {
        return -1;
    }
    tv.tv_sec * 1_000_000 + tv.tv_usec
}

/// Wall-clock time in milliseconds, -1 on failure.
#[unsafe(no_mangle)]
pub extern "C" fn hi_msec_now() -> i64 {
    let us = hi_usec_now();
    if us < 0 { -1 } else { us / 1000 }
}

/// The non-negative decimal number in `n` bytes at `line`, -1 if empty, not all digits or
/// larger than INT_MAX.
///
/// # Safety
/// `line` points to `n` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _hi_atoi(line: *mut u8, n: usize) -> c_int {
    if n == 0 || line.is_null() {
        return -1;
    }
    // SAFETY: caller's promise.
    let s = unsafe { std::slice::from_raw_parts(line, n) };
    let mut v: c_int = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return -1;
        }
        v = match v
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as c_int))
        {
            Some(v) => v,
            None => return -1,
        };
    }
    v
}

/// 1 if `n` is a TCP port number (1..65535), else 0.
#[unsafe(no_mangle)]
pub extern "C" fn hi_valid_port(n: c_int) -> c_int {
    (1..=65535).contains(&n) as c_int
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_check_value() {
        assert_eq!(crc16_bytes(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_of_known_keys() {
        assert_eq!(key_hash_slot(b"foo"), 12182);
        assert_eq!(key_hash_slot(b"{user1}a"), 8106);
        assert_eq!(key_hash_slot(b"{user1}b"), 8106);
        assert_eq!(key_hash_slot(b"123456789"), 12739);
        assert_eq!(key_hash_slot(b""), 0);
        assert_eq!(key_hash_slot(b"{}"), 15257);
        // An empty tag hashes the whole key; only the first `{` counts.
        assert_eq!(key_hash_slot(b"{}x"), crc16_bytes(b"{}x") as u32 & 0x3FFF);
        assert_eq!(key_hash_slot(b"a{b}{c}"), key_hash_slot(b"b"));
    }

    #[test]
    fn atoi_and_ports() {
        // SAFETY: the slices are valid for their lengths.
        unsafe {
            assert_eq!(_hi_atoi(b"7000".as_ptr() as *mut u8, 4), 7000);
            assert_eq!(_hi_atoi(b"70x".as_ptr() as *mut u8, 3), -1);
            assert_eq!(_hi_atoi(b"99999999999".as_ptr() as *mut u8, 11), -1);
        }
        assert_eq!(hi_valid_port(65535), 1);
        assert_eq!(hi_valid_port(0), 0);
    }
}

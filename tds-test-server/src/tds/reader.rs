//! Reading a client's message: little-endian numbers that fail cleanly past
//! the end, UTF-16LE text, and the ALL_HEADERS a request starts with.

use super::{TdsVersion, invalid};
use std::io;

/// A little-endian reader over a message, failing cleanly past its end.
pub(crate) struct Rd<'a> {
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Rd<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Rd<'a> {
        Rd { b, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(invalid("the message ends early"));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(super) fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn u16(&mut self) -> io::Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> io::Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4")))
    }

    pub(super) fn u64(&mut self) -> io::Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8")))
    }
}

pub(super) fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Skips ALL_HEADERS (transaction descriptor, ...) at the start of a SQL
/// batch, RPC or transaction manager request (TDS 7.2 and later; a 7.1
/// request has none).
pub(crate) fn skip_all_headers(p: &[u8], version: TdsVersion) -> io::Result<&[u8]> {
    if !version.has_all_headers() {
        return Ok(p);
    }
    if p.len() < 4 {
        return Err(invalid("the request has no ALL_HEADERS"));
    }
    let total = u32::from_le_bytes(p[..4].try_into().expect("4")) as usize;
    if total < 4 || total > p.len() {
        return Err(invalid(format!("ALL_HEADERS length {total} out of bounds")));
    }
    Ok(&p[total..])
}

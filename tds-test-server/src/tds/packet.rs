//! Packets: a client's message read whole, and a response written as
//! packets of the negotiated size.

use super::{PKT_ATTENTION, STATUS_EOM, TdsVersion, invalid};
use std::io::{self, Read, Write};

/// The largest request accepted: a hostile length is refused before it is
/// buffered.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

const HEADER: usize = 8;

/// A whole client message: the packets up to end-of-message, joined.
pub(crate) struct Message {
    pub ty: u8,
    pub payload: Vec<u8>,
}

/// Reads one packet header; `None` on a clean end of stream.
fn read_header(r: &mut impl Read) -> io::Result<Option<[u8; HEADER]>> {
    let mut h = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match r.read(&mut h[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(h))
}

/// Reads packets up to the one marked end-of-message.
pub(crate) fn read_message(r: &mut impl Read) -> io::Result<Option<Message>> {
    let mut payload = Vec::new();
    let mut ty = None;
    loop {
        let Some(h) = read_header(r)? else {
            return if ty.is_none() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        };
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        if len < HEADER {
            return Err(invalid(format!(
                "packet length {len} is below the header's"
            )));
        }
        match ty {
            None => ty = Some(h[0]),
            Some(t) if t != h[0] && h[0] != PKT_ATTENTION => {
                return Err(invalid(format!(
                    "packet of type {:#04x} inside a message of type {t:#04x}",
                    h[0]
                )));
            }
            Some(_) => {}
        }
        if payload.len() + len > MAX_MESSAGE_BYTES {
            return Err(invalid("message larger than 64 MiB"));
        }
        let start = payload.len();
        payload.resize(start + len - HEADER, 0);
        r.read_exact(&mut payload[start..])?;
        if h[1] & STATUS_EOM != 0 {
            return Ok(Some(Message {
                ty: if h[0] == PKT_ATTENTION {
                    PKT_ATTENTION
                } else {
                    ty.expect("set")
                },
                payload,
            }));
        }
    }
}

/// Writes one message as packets of `packet_size` bytes or fewer.
pub(crate) fn write_message(
    w: &mut impl Write,
    ty: u8,
    payload: &[u8],
    packet_size: usize,
) -> io::Result<()> {
    let mut p = PacketWriter::new(ty, packet_size, 0);
    p.buf.extend_from_slice(payload);
    p.finish(w)
}

/// Buffers a response's tokens and sends them as packets of the negotiated
/// size, streaming: memory stays a few packets whatever the response's size.
pub(crate) struct PacketWriter {
    /// Token bytes not yet sent.
    pub buf: Vec<u8>,
    wire: Vec<u8>,
    ty: u8,
    packet_size: usize,
    spid: u16,
    id: u8,
    /// The client's TDS version: what types and tokens it reads.
    pub version: TdsVersion,
    /// Rows are left out (`SET FMTONLY ON`): result sets are their
    /// COLMETADATA alone.
    pub metadata_only: bool,
}

/// Buffered token bytes beyond which whole packets go out.
const FLUSH_AT: usize = 64 * 1024;

impl PacketWriter {
    pub(crate) fn new(ty: u8, packet_size: usize, spid: u16) -> PacketWriter {
        PacketWriter {
            buf: Vec::with_capacity(FLUSH_AT + 16 * 1024),
            wire: Vec::new(),
            ty,
            packet_size: packet_size.max(512),
            spid,
            id: 1,
            version: TdsVersion::V7_4,
            metadata_only: false,
        }
    }

    /// A writer for a client of TDS `version`.
    pub(crate) fn with_version(mut self, version: TdsVersion) -> PacketWriter {
        self.version = version;
        self
    }

    /// Sends the whole packets buffered when there are many, keeping the
    /// rest (at least one byte, so the last packet is never empty).
    pub(crate) fn flush_some(&mut self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        if self.buf.len() < FLUSH_AT {
            return Ok(());
        }
        let payload = self.packet_size - HEADER;
        let n = (self.buf.len() - 1) / payload * payload;
        self.send(w, n, false)
    }

    /// Sends everything, the last packet marked end-of-message.
    pub(crate) fn finish(&mut self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let n = self.buf.len();
        self.send(w, n, true)?;
        w.flush()
    }

    /// Sends everything buffered without ending the message (before an
    /// abrupt close).
    pub(crate) fn send_unfinished(&mut self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let n = self.buf.len();
        if n > 0 {
            self.send(w, n, false)?;
        }
        w.flush()
    }

    fn send(&mut self, w: &mut (impl Write + ?Sized), n: usize, last: bool) -> io::Result<()> {
        let payload = self.packet_size - HEADER;
        self.wire.clear();
        let mut off = 0;
        loop {
            let end = (off + payload).min(n);
            let eom = last && end == n;
            let len = (end - off + HEADER) as u16;
            self.wire
                .extend_from_slice(&[self.ty, if eom { STATUS_EOM } else { 0 }]);
            self.wire.extend_from_slice(&len.to_be_bytes());
            self.wire.extend_from_slice(&self.spid.to_be_bytes());
            self.wire.extend_from_slice(&[self.id, 0]);
            self.id = self.id.wrapping_add(1);
            self.wire.extend_from_slice(&self.buf[off..end]);
            off = end;
            if off >= n {
                break;
            }
        }
        w.write_all(&self.wire)?;
        self.buf.drain(..n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::PKT_REPLY;
    use super::*;
    #[test]
    fn packets_split_at_the_negotiated_size_and_end_once() {
        let mut w = PacketWriter::new(PKT_REPLY, 512, 51);
        w.buf.extend(std::iter::repeat_n(7u8, 70_000));
        let mut out = Vec::new();
        w.flush_some(&mut out).unwrap();
        assert!(!w.buf.is_empty());
        w.finish(&mut out).unwrap();
        let mut r = &out[..];
        let mut payload = 0;
        let mut eoms = 0;
        let mut id = 1u8;
        while !r.is_empty() {
            let len = usize::from(u16::from_be_bytes([r[2], r[3]]));
            assert!(len <= 512);
            assert_eq!(r[0], PKT_REPLY);
            assert_eq!(u16::from_be_bytes([r[4], r[5]]), 51);
            assert_eq!(r[6], id);
            id = id.wrapping_add(1);
            eoms += usize::from(r[1] & STATUS_EOM);
            payload += len - 8;
            r = &r[len..];
        }
        assert_eq!((payload, eoms), (70_000, 1));
        let mut again = &out[..];
        let m = read_message(&mut again).unwrap().unwrap();
        assert_eq!((m.ty, m.payload.len()), (PKT_REPLY, 70_000));
    }
}

//! A minimal TDS client that speaks exactly the packets a test wants, for
//! wire-level tests and for measuring the server ([`crate::ceiling`]).
//!
//! Nothing here is shared with the server's own encoding (`src/tds/`): the
//! requests are written byte by byte from the TDS specification, so that a
//! test checks the server against the protocol, not against itself.
//!
//! [`RawClient`] sends one packet per request ([`RawClient::send`]) and
//! reads a reply whole ([`RawClient::receive`]) or drains it without
//! keeping it ([`RawClient::skip_message`]). It never decodes a row: a
//! reply's tokens are for the test to read, with the helpers in this
//! module for replies that hold no result set ([`first_error`],
//! [`error_message`], [`loginack_version`]), TDS 7.1's narrower DONE
//! tokens included ([`first_error_as`], [`done_len`]).
//!
//! ```no_run
//! use pancake_tds_test_server::raw::{Login7, RawClient};
//! # fn demo(addr: std::net::SocketAddr) -> std::io::Result<()> {
//! let (mut client, _login_reply) =
//!     RawClient::log_in(addr, &Login7::new("pancake", "pancake-test-password"))?;
//! let reply = client.sql_batch("SELECT 1")?;
//! assert_eq!(reply[0], 0x81); // COLMETADATA
//! # Ok(()) }
//! ```
//!
//! - `request.rs`: what a client sends: PRELOGIN, [`Login7`], ALL_HEADERS,
//!   `sp_executesql` RPCs.
//! - `reply.rs`: reading replies: DONE tokens, errors, LOGINACK.

pub(crate) mod reply;
mod request;

pub use reply::{
    UnexpectedToken, done, done_len, error_message, find, first_error, first_error_as,
    loginack_version,
};
pub use request::{
    Login7, all_headers, all_headers_in, executesql, executesql_with_bigints, prelogin, utf16,
};

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// TDS versions as a client writes them in LOGIN7.
pub const TDS_7_1: u32 = 0x7100_0001;
pub const TDS_7_2: u32 = 0x7209_0002;
pub const TDS_7_3: u32 = 0x730B_0003;
pub const TDS_7_4: u32 = 0x7400_0004;

/// Packet types.
pub const SQL_BATCH: u8 = 0x01;
pub const RPC: u8 = 0x03;
pub const REPLY: u8 = 0x04;
pub const ATTENTION: u8 = 0x06;
pub const BULK_LOAD: u8 = 0x07;
pub const TRANSACTION_MANAGER: u8 = 0x0E;
pub const LOGIN7: u8 = 0x10;
pub const PRELOGIN: u8 = 0x12;

/// PRELOGIN encryption options.
pub const ENCRYPT_OFF: u8 = 0;
pub const ENCRYPT_ON: u8 = 1;
pub const ENCRYPT_NOT_SUP: u8 = 2;

/// One packet's header, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub ty: u8,
    pub status: u8,
    /// The packet's length, its 8-byte header included.
    pub len: usize,
}

/// A whole message: its packets' headers and their joined payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub packets: Vec<Packet>,
    pub payload: Vec<u8>,
}

/// What [`RawClient::skip_message`] kept of a message it drained.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    pub packets: u64,
    /// Bytes on the wire, packet headers included.
    pub bytes: u64,
    /// The payload's first bytes (at most the number asked for).
    pub head: Vec<u8>,
    /// The payload's last bytes (at most the number asked for).
    pub tail: Vec<u8>,
}

/// A connection that sends and reads TDS packets as it is told.
///
/// `S` is the transport: a [`TcpStream`], or a TLS stream a test drives
/// itself. Reads are buffered.
pub struct RawClient<S: Read + Write = TcpStream> {
    stream: BufReader<S>,
}

impl RawClient<TcpStream> {
    /// Connects (within 10 s) without sending anything.
    pub fn connect(addr: SocketAddr) -> io::Result<RawClient> {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        tcp.set_nodelay(true)?;
        Ok(RawClient::new(tcp))
    }

    /// Connects, sends a PRELOGIN without encryption
    /// ([`ENCRYPT_NOT_SUP`]) and `login`: the client and the login's reply,
    /// whatever it says (see [`first_error`]).
    pub fn log_in(addr: SocketAddr, login: &Login7) -> io::Result<(RawClient, Vec<u8>)> {
        let mut client = RawClient::connect(addr)?;
        client.request(PRELOGIN, &prelogin(ENCRYPT_NOT_SUP))?;
        let reply = client.request(LOGIN7, &login.to_bytes())?;
        Ok((client, reply))
    }
}

impl<S: Read + Write> RawClient<S> {
    pub fn new(stream: S) -> RawClient<S> {
        RawClient {
            stream: BufReader::with_capacity(64 * 1024, stream),
        }
    }

    /// The transport, to write to or set options on.
    pub fn get_mut(&mut self) -> &mut S {
        self.stream.get_mut()
    }

    /// The transport back (to start TLS on it, say). Fails if it had sent
    /// bytes not read yet.
    pub fn into_inner(self) -> io::Result<S> {
        if !self.stream.buffer().is_empty() {
            return Err(io::Error::other(format!(
                "{} bytes were received and not read",
                self.stream.buffer().len()
            )));
        }
        Ok(self.stream.into_inner())
    }

    /// Sends `payload` as one packet of type `ty`, marked end-of-message.
    pub fn send(&mut self, ty: u8, payload: &[u8]) -> io::Result<()> {
        let len = u16::try_from(payload.len() + 8).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a payload of {} bytes does not fit a packet", payload.len()),
            )
        })?;
        let mut p = Vec::with_capacity(payload.len() + 8);
        p.extend_from_slice(&[ty, 1]);
        p.extend_from_slice(&len.to_be_bytes());
        p.extend_from_slice(&[0, 0, 1, 0]);
        p.extend_from_slice(payload);
        let w = self.stream.get_mut();
        w.write_all(&p)?;
        w.flush()
    }

    /// Reads one packet's header.
    fn header(&mut self) -> io::Result<Packet> {
        let mut h = [0u8; 8];
        self.stream.read_exact(&mut h)?;
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        if len < 8 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a packet length of {len}, below its header's 8 bytes"),
            ));
        }
        Ok(Packet {
            ty: h[0],
            status: h[1],
            len,
        })
    }

    /// Reads packets up to the one marked end-of-message.
    pub fn receive(&mut self) -> io::Result<Message> {
        let mut packets = Vec::new();
        let mut payload = Vec::new();
        loop {
            let packet = self.header()?;
            packets.push(packet);
            let start = payload.len();
            payload.resize(start + packet.len - 8, 0);
            self.stream.read_exact(&mut payload[start..])?;
            if packet.status & 1 == 1 {
                return Ok(Message { packets, payload });
            }
        }
    }

    /// Sends one packet and returns the reply's payload.
    pub fn request(&mut self, ty: u8, payload: &[u8]) -> io::Result<Vec<u8>> {
        self.send(ty, payload)?;
        Ok(self.receive()?.payload)
    }

    /// Sends `sql` as a SQL batch (with ALL_HEADERS, TDS 7.2 and later)
    /// and returns the reply's payload.
    pub fn sql_batch(&mut self, sql: &str) -> io::Result<Vec<u8>> {
        let mut p = all_headers();
        p.extend_from_slice(&utf16(sql));
        self.request(SQL_BATCH, &p)
    }

    /// Reads packets up to the one marked end-of-message without keeping
    /// them, but for the payload's first and last `keep` bytes.
    pub fn skip_message(&mut self, keep: usize) -> io::Result<Skipped> {
        let mut skipped = Skipped::default();
        loop {
            let packet = self.header()?;
            skipped.packets += 1;
            skipped.bytes += packet.len as u64;
            let mut left = packet.len - 8;
            while left > 0 {
                let buf = self.stream.fill_buf()?;
                if buf.is_empty() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                let chunk = &buf[..left.min(buf.len())];
                if skipped.head.len() < keep {
                    let n = (keep - skipped.head.len()).min(chunk.len());
                    skipped.head.extend_from_slice(&chunk[..n]);
                }
                keep_tail(&mut skipped.tail, chunk, keep);
                let n = chunk.len();
                self.stream.consume(n);
                left -= n;
            }
            if packet.status & 1 == 1 {
                return Ok(skipped);
            }
        }
    }
}

/// Reads what follows, through the client's buffer (to see a server hang
/// up, say).
impl<S: Read + Write> Read for RawClient<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

/// Appends `chunk` to `tail`, keeping its last `keep` bytes.
fn keep_tail(tail: &mut Vec<u8>, chunk: &[u8], keep: usize) {
    if chunk.len() >= keep {
        tail.clear();
        tail.extend_from_slice(&chunk[chunk.len() - keep..]);
    } else {
        tail.extend_from_slice(chunk);
        if tail.len() > keep {
            tail.drain(..tail.len() - keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_across_chunks() {
        let mut tail = Vec::new();
        for chunk in [&b"abc"[..], b"de", b"", b"fghij", b"k"] {
            keep_tail(&mut tail, chunk, 4);
        }
        assert_eq!(tail, b"hijk");
        keep_tail(&mut tail, b"0123456", 4);
        assert_eq!(tail, b"3456");
    }
}

//! A raw TDS client for wire-level tests: packets, PRELOGIN, LOGIN7 with a
//! chosen TDS version and packet size, SQL batches, RPCs, and finding
//! tokens in a reply.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

pub const TDS_7_1: u32 = 0x7100_0001;
pub const TDS_7_2: u32 = 0x7209_0002;
pub const TDS_7_3: u32 = 0x730B_0003;
pub const TDS_7_4: u32 = 0x7400_0004;

/// Sends `payload` as one packet of type `ty`.
pub fn send(s: &mut impl Write, ty: u8, payload: &[u8]) {
    let mut p = vec![ty, 1];
    p.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0]);
    p.extend_from_slice(payload);
    s.write_all(&p).unwrap();
    s.flush().unwrap();
}

/// Reads one message's packets: (type, status, length) of each, and the
/// joined payload.
pub fn receive(s: &mut impl Read) -> (Vec<(u8, u8, usize)>, Vec<u8>) {
    let mut headers = Vec::new();
    let mut payload = Vec::new();
    loop {
        let mut h = [0u8; 8];
        s.read_exact(&mut h).unwrap();
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        headers.push((h[0], h[1], len));
        let mut body = vec![0u8; len - 8];
        s.read_exact(&mut body).unwrap();
        payload.extend_from_slice(&body);
        if h[1] & 1 == 1 {
            return (headers, payload);
        }
    }
}

pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// A PRELOGIN with a version and the encryption option `encryption` (0 off,
/// 1 on, 2 not supported).
pub fn prelogin(encryption: u8) -> Vec<u8> {
    vec![
        0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF, 0, 0, 0, 0, 0, 0,
        encryption,
    ]
}

/// A LOGIN7 of TDS 7.4.
pub fn login7(user: &str, password: &str, database: &str, packet_size: u32) -> Vec<u8> {
    login7_version(user, password, database, packet_size, TDS_7_4)
}

/// A LOGIN7 asking for `tds_version` (as clients write it, little-endian).
pub fn login7_version(
    user: &str,
    password: &str,
    database: &str,
    packet_size: u32,
    tds_version: u32,
) -> Vec<u8> {
    let fields: [Vec<u8>; 9] = [
        utf16("wire-host"),
        utf16(user),
        utf16(password)
            .iter()
            .map(|b| b.rotate_left(4) ^ 0xA5)
            .collect(),
        utf16("wire-test"),
        utf16(""),
        Vec::new(),
        utf16(""),
        utf16(""),
        utf16(database),
    ];
    let mut fixed = Vec::new();
    fixed.extend_from_slice(&0u32.to_le_bytes()); // length, set below
    fixed.extend_from_slice(&tds_version.to_le_bytes());
    fixed.extend_from_slice(&packet_size.to_le_bytes());
    fixed.extend_from_slice(&[0; 12]); // client version, pid, connection id
    fixed.extend_from_slice(&[0xE0, 0x03, 0, 0]); // option flags
    fixed.extend_from_slice(&[0; 8]); // time zone, LCID
    let mut data = Vec::new();
    let mut offset = 94usize;
    for (i, f) in fields.iter().enumerate() {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        let units = if i == 5 { f.len() } else { f.len() / 2 };
        fixed.extend_from_slice(&(units as u16).to_le_bytes());
        data.extend_from_slice(f);
        offset += f.len();
    }
    fixed.extend_from_slice(&[0; 6]); // client id
    for _ in 0..3 {
        // SSPI, attach DB file, change password
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        fixed.extend_from_slice(&0u16.to_le_bytes());
    }
    fixed.extend_from_slice(&0u32.to_le_bytes()); // SSPI long
    assert_eq!(fixed.len(), 94);
    fixed.extend_from_slice(&data);
    let len = fixed.len() as u32;
    fixed[..4].copy_from_slice(&len.to_le_bytes());
    fixed
}

/// ALL_HEADERS with a transaction descriptor of `descriptor`.
pub fn all_headers_in(descriptor: [u8; 8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&22u32.to_le_bytes());
    h.extend_from_slice(&18u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&descriptor);
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

/// ALL_HEADERS outside a transaction.
pub fn all_headers() -> Vec<u8> {
    all_headers_in([0; 8])
}

/// Connects in the clear and logs in with the test login, asking for
/// `tds_version`: the stream and the login's reply.
pub fn logged_in_as(
    addr: SocketAddr,
    user: &str,
    password: &str,
    packet_size: u32,
    tds_version: u32,
) -> (TcpStream, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    send(&mut s, 0x12, &prelogin(2));
    receive(&mut s);
    send(
        &mut s,
        0x10,
        &login7_version(user, password, "legacy", packet_size, tds_version),
    );
    let (_, reply) = receive(&mut s);
    (s, reply)
}

/// Sends `sql` as a SQL batch and returns the reply.
pub fn sql_batch(s: &mut TcpStream, sql: &str) -> Vec<u8> {
    let mut p = all_headers();
    p.extend_from_slice(&utf16(sql));
    send(s, 0x01, &p);
    receive(s).1
}

/// An `sp_executesql` RPC (by procedure id) of `sql`, without parameters.
pub fn executesql(sql: &str) -> Vec<u8> {
    let mut p = all_headers();
    p.extend_from_slice(&0xFFFFu16.to_le_bytes());
    p.extend_from_slice(&10u16.to_le_bytes()); // sp_executesql
    p.extend_from_slice(&0u16.to_le_bytes()); // option flags
    p.extend_from_slice(&[0, 0]); // no name, no status flags
    p.push(0xE7); // nvarchar(4000)
    p.extend_from_slice(&8000u16.to_le_bytes());
    p.extend_from_slice(&[0x09, 0x04, 0xD0, 0x00, 0x34]);
    let text = utf16(sql);
    p.extend_from_slice(&(text.len() as u16).to_le_bytes());
    p.extend_from_slice(&text);
    p
}

/// A DONE-kind token: token, status, command, row count.
pub fn done(token: u8, status: u16, cmd: u16, rows: u64) -> Vec<u8> {
    let mut t = vec![token];
    t.extend_from_slice(&status.to_le_bytes());
    t.extend_from_slice(&cmd.to_le_bytes());
    t.extend_from_slice(&rows.to_le_bytes());
    t
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The TDS version of the LOGINACK in a login's reply (as sent,
/// big-endian).
pub fn loginack_version(reply: &[u8]) -> u32 {
    let at = find(reply, &[0xAD]).expect("a LOGINACK");
    assert_eq!(reply[at + 3], 1, "interface T-SQL");
    u32::from_be_bytes(reply[at + 4..at + 8].try_into().unwrap())
}

/// The number of the first ERROR token in `reply`, if any: tokens before
/// it are skipped by their length, so only replies of ENVCHANGE, INFO,
/// ERROR, LOGINACK and DONE tokens are read.
pub fn first_error(reply: &[u8]) -> Option<u32> {
    let mut i = 0;
    while i < reply.len() {
        match reply[i] {
            0xAA => return Some(u32::from_le_bytes(reply[i + 3..i + 7].try_into().unwrap())),
            0xAB | 0xAD | 0xE3 => {
                i += 3 + usize::from(u16::from_le_bytes([reply[i + 1], reply[i + 2]]))
            }
            0xFD..=0xFF => i += 13,
            0x79 => i += 5,
            other => panic!("token {other:#04x} at {i} in {reply:02x?}"),
        }
    }
    None
}

/// The ERROR's message text, when `reply` starts with an ERROR token.
pub fn error_message(reply: &[u8]) -> String {
    assert_eq!(reply[0], 0xAA, "{reply:02x?}");
    let n = usize::from(u16::from_le_bytes([reply[9], reply[10]]));
    let units: Vec<u16> = reply[11..11 + 2 * n]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

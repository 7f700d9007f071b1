//! The wire format byte by byte, with a raw client: PRELOGIN, LOGIN7 with a
//! small packet size, LOGINACK's bytes, packets split at the negotiated size,
//! ATTENTION.

mod common;

use common::*;
use pancake_tds_test_server::{BackgroundServer, ServerConfig};
use std::io::{Read, Write};
use std::net::TcpStream;

fn send(s: &mut TcpStream, ty: u8, payload: &[u8]) {
    let mut p = vec![ty, 1];
    p.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0]);
    p.extend_from_slice(payload);
    s.write_all(&p).unwrap();
}

/// Reads one message's packets: (type, status, length) of each, and the
/// joined payload.
fn receive(s: &mut TcpStream) -> (Vec<(u8, u8, usize)>, Vec<u8>) {
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

fn utf16(s: &str) -> Vec<u8> {
    utf16le(s)
}

fn login7(user: &str, password: &str, database: &str, packet_size: u32) -> Vec<u8> {
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
    fixed.extend_from_slice(&0x7400_0004u32.to_le_bytes());
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

fn all_headers() -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&22u32.to_le_bytes());
    h.extend_from_slice(&18u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

fn logged_in(server: &BackgroundServer, packet_size: u32) -> (TcpStream, Vec<u8>) {
    let mut s = TcpStream::connect(server.addr()).unwrap();
    // PRELOGIN: version, encryption "not supported", terminator.
    let prelogin = [
        0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0x02,
    ];
    send(&mut s, 0x12, &prelogin);
    let (headers, reply) = receive(&mut s);
    assert_eq!(headers, vec![(0x04, 0x01, reply.len() + 8)]);
    // Options: VERSION, ENCRYPTION, INSTOPT, THREADID, MARS.
    let tokens: Vec<u8> = reply
        .chunks(5)
        .take_while(|c| c[0] != 0xFF)
        .map(|c| c[0])
        .collect();
    assert_eq!(tokens, vec![0, 1, 2, 3, 4]);
    let at = |token: usize| {
        usize::from(u16::from_be_bytes([
            reply[token * 5 + 1],
            reply[token * 5 + 2],
        ]))
    };
    assert_eq!(&reply[at(0)..at(0) + 6], &[16, 0, 0x10, 0x09, 0, 0]);
    assert_eq!(reply[at(1)], 2, "ENCRYPT_NOT_SUP without TLS");
    send(&mut s, 0x10, &login7(USER, PASSWORD, "legacy", packet_size));
    let (_, reply) = receive(&mut s);
    (s, reply)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn loginack_says_tds_7_4_big_endian_and_the_packet_size_is_negotiated() {
    let server = BackgroundServer::start(ServerConfig::new(tiny())).unwrap();
    let (mut s, reply) = logged_in(&server, 512);
    // LOGINACK: token, length, interface 1, TDS version 74 00 00 04.
    let ack = find(&reply, &[0xAD]).unwrap();
    assert_eq!(&reply[ack + 3..ack + 8], &[0x01, 0x74, 0x00, 0x00, 0x04]);
    // ENVCHANGE 4: the packet size, new and old, as text.
    let mut env = vec![0xE3, 0, 0, 4, 3];
    env.extend_from_slice(&utf16("512"));
    env.push(3);
    env.extend_from_slice(&utf16("512"));
    env[1] = (env.len() - 3) as u8;
    assert!(find(&reply, &env).is_some(), "{reply:02x?}");
    // The login ends with a DONE without flags.
    assert_eq!(
        &reply[reply.len() - 13..reply.len() - 8],
        &[0xFD, 0, 0, 0, 0]
    );

    // A result larger than a packet: packets of 512 bytes, the last alone
    // marked end-of-message.
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16(
        "SELECT TOP (300) [MessageId], CAST([Body] AS varbinary(max)) AS [Body] FROM dbo.Messages ORDER BY [MessageId]",
    ));
    send(&mut s, 0x01, &batch);
    let (headers, reply) = receive(&mut s);
    assert!(headers.len() > 20);
    for (i, (ty, status, len)) in headers.iter().enumerate() {
        assert_eq!(*ty, 0x04);
        let last = i + 1 == headers.len();
        assert_eq!(*status, u8::from(last));
        assert!(*len <= 512);
        if !last {
            assert_eq!(*len, 512);
        }
    }
    // DONE: COUNT, SELECT, 300 rows.
    let done = &reply[reply.len() - 13..];
    assert_eq!(done[0], 0xFD);
    assert_eq!(u16::from_le_bytes([done[1], done[2]]), 0x10);
    assert_eq!(u16::from_le_bytes([done[3], done[4]]), 0xC1);
    assert_eq!(u64::from_le_bytes(done[5..].try_into().unwrap()), 300);

    // ATTENTION between requests: acknowledged with DONE_ATTN.
    send(&mut s, 0x06, &[]);
    let (_, reply) = receive(&mut s);
    assert_eq!(&reply[..3], &[0xFD, 0x20, 0x00]);

    // A request type the server does not take: an error, and it goes on.
    send(&mut s, 0x0E, &all_headers());
    let (_, reply) = receive(&mut s);
    assert_eq!(reply[0], 0xAA);
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16("SELECT 1"));
    send(&mut s, 0x01, &batch);
    let (_, reply) = receive(&mut s);
    assert_eq!(reply[0], 0x81);
}

#[test]
fn a_login_with_a_wrong_password_is_refused_and_the_socket_closed() {
    let server = BackgroundServer::start(ServerConfig::new(tiny())).unwrap();
    let mut s = TcpStream::connect(server.addr()).unwrap();
    let prelogin = [
        0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0x02,
    ];
    send(&mut s, 0x12, &prelogin);
    receive(&mut s);
    send(&mut s, 0x10, &login7(USER, "nope", "legacy", 4096));
    let (_, reply) = receive(&mut s);
    assert_eq!(reply[0], 0xAA);
    assert_eq!(u32::from_le_bytes(reply[3..7].try_into().unwrap()), 18456);
    // DONE with the error flag, then the server hangs up.
    assert_eq!(
        &reply[reply.len() - 13..reply.len() - 9],
        &[0xFD, 0x02, 0x00, 0x00]
    );
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).unwrap_or(0), 0);
}

/// An `sp_executesql` RPC (by procedure id) of `sql`, without parameters.
fn executesql(sql: &str) -> Vec<u8> {
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
fn done(token: u8, status: u16, cmd: u16, rows: u64) -> Vec<u8> {
    let mut t = vec![token];
    t.extend_from_slice(&status.to_le_bytes());
    t.extend_from_slice(&cmd.to_le_bytes());
    t.extend_from_slice(&rows.to_le_bytes());
    t
}

#[test]
fn each_statement_ends_with_a_done_that_says_whether_more_follows() {
    let server = BackgroundServer::start(ServerConfig::new(tiny())).unwrap();
    let (mut s, _) = logged_in(&server, 4096);
    let set = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
    let two = format!("{set}; {set}");
    let failing = format!("{set}; SELECT [Nope] FROM dbo.Members; {set}");
    let (done_, doneproc, doneinproc) = (0xFD, 0xFE, 0xFF);
    let (more, error, select, execute) = (0x01, 0x02, 0xC1, 0xE0);

    // A batch: DONE with MORE after all but the last statement.
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16(&two));
    send(&mut s, 0x01, &batch);
    let (_, reply) = receive(&mut s);
    assert_eq!(
        reply,
        [done(done_, more, 0, 0), done(done_, 0, 0, 0)].concat()
    );
    // The first error ends it: ERROR, then a DONE with ERROR and no MORE.
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16(&failing));
    send(&mut s, 0x01, &batch);
    let (_, reply) = receive(&mut s);
    assert!(reply.starts_with(&done(done_, more, 0, 0)), "{reply:02x?}");
    assert_eq!(reply[13], 0xAA);
    assert!(
        reply.ends_with(&done(done_, error, select, 0)),
        "{reply:02x?}"
    );

    // An RPC: DONEINPROC with MORE after every statement, then
    // RETURNSTATUS 0 and DONEPROC.
    send(&mut s, 0x03, &executesql(&two));
    let (_, reply) = receive(&mut s);
    let status = |n: i32| [&[0x79][..], &n.to_le_bytes()].concat();
    assert_eq!(
        reply,
        [
            done(doneinproc, more, 0, 0),
            done(doneinproc, more, 0, 0),
            status(0),
            done(doneproc, 0, execute, 0),
        ]
        .concat()
    );
    // The first error ends it: DONEINPROC with ERROR and MORE, then
    // RETURNSTATUS 1 and a DONEPROC with ERROR.
    send(&mut s, 0x03, &executesql(&failing));
    let (_, reply) = receive(&mut s);
    assert!(
        reply.starts_with(&done(doneinproc, more, 0, 0)),
        "{reply:02x?}"
    );
    assert_eq!(reply[13], 0xAA);
    let end = [
        done(doneinproc, error | more, select, 0),
        status(1),
        done(doneproc, error, execute, 0),
    ]
    .concat();
    assert!(reply.ends_with(&end), "{reply:02x?}");
}

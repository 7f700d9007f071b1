//! The wire format byte by byte, with a raw client: PRELOGIN, LOGIN7 with a
//! small packet size, LOGINACK's bytes, packets split at the negotiated size,
//! ATTENTION.

mod common;

use common::*;
use pancake_tds_test_server::raw::*;
use pancake_tds_test_server::{BackgroundServer, ServerConfig};
use std::io::{self, Read};

fn logged_in(server: &BackgroundServer, packet_size: u32) -> io::Result<(RawClient, Vec<u8>)> {
    let mut s = RawClient::connect(server.addr())?;
    // PRELOGIN: version, encryption "not supported", terminator.
    s.send(PRELOGIN, &prelogin(ENCRYPT_NOT_SUP))?;
    let Message {
        packets,
        payload: reply,
    } = s.receive()?;
    assert_eq!(
        packets,
        vec![Packet {
            ty: 0x04,
            status: 0x01,
            len: reply.len() + 8
        }]
    );
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
    let login = Login7::new(USER, PASSWORD).packet_size(packet_size);
    let reply = s.request(LOGIN7, &login.to_bytes())?;
    Ok((s, reply))
}

#[test]
fn loginack_says_tds_7_4_big_endian_and_the_packet_size_is_negotiated() -> io::Result<()> {
    let server = BackgroundServer::start(ServerConfig::new(tiny()))?;
    let (mut s, reply) = logged_in(&server, 512)?;
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
    s.send(SQL_BATCH, &batch)?;
    let Message {
        packets,
        payload: reply,
    } = s.receive()?;
    assert!(packets.len() > 20);
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.ty, 0x04);
        let last = i + 1 == packets.len();
        assert_eq!(p.status, u8::from(last));
        assert!(p.len <= 512);
        if !last {
            assert_eq!(p.len, 512);
        }
    }
    // DONE: COUNT, SELECT, 300 rows.
    let done = &reply[reply.len() - 13..];
    assert_eq!(done[0], 0xFD);
    assert_eq!(u16::from_le_bytes([done[1], done[2]]), 0x10);
    assert_eq!(u16::from_le_bytes([done[3], done[4]]), 0xC1);
    assert_eq!(u64::from_le_bytes(done[5..].try_into().unwrap()), 300);

    // ATTENTION between requests: acknowledged with DONE_ATTN.
    let reply = s.request(ATTENTION, &[])?;
    assert_eq!(&reply[..3], &[0xFD, 0x20, 0x00]);

    // A request type the server does not take (bulk load): an error, and
    // it goes on.
    let reply = s.request(BULK_LOAD, &all_headers())?;
    assert_eq!(reply[0], 0xAA);
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16("SELECT 1"));
    let reply = s.request(SQL_BATCH, &batch)?;
    assert_eq!(reply[0], 0x81);
    Ok(())
}

#[test]
fn a_login_with_a_wrong_password_is_refused_and_the_socket_closed() -> io::Result<()> {
    let server = BackgroundServer::start(ServerConfig::new(tiny()))?;
    let mut s = RawClient::connect(server.addr())?;
    s.request(PRELOGIN, &prelogin(ENCRYPT_NOT_SUP))?;
    let reply = s.request(LOGIN7, &Login7::new(USER, "nope").to_bytes())?;
    assert_eq!(reply[0], 0xAA);
    assert_eq!(u32::from_le_bytes(reply[3..7].try_into().unwrap()), 18456);
    // DONE with the error flag, then the server hangs up.
    assert_eq!(
        &reply[reply.len() - 13..reply.len() - 9],
        &[0xFD, 0x02, 0x00, 0x00]
    );
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).unwrap_or(0), 0);
    Ok(())
}

#[test]
fn each_statement_ends_with_a_done_that_says_whether_more_follows() -> io::Result<()> {
    let server = BackgroundServer::start(ServerConfig::new(tiny()))?;
    let (mut s, _) = logged_in(&server, 4096)?;
    let set = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
    let two = format!("{set}; {set}");
    let failing = format!("{set}; SELECT [Nope] FROM dbo.Members; {set}");
    let (done_, doneproc, doneinproc) = (0xFD, 0xFE, 0xFF);
    let (more, error, select, execute) = (0x01, 0x02, 0xC1, 0xE0);

    // A batch: DONE with MORE after all but the last statement.
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16(&two));
    let reply = s.request(SQL_BATCH, &batch)?;
    assert_eq!(
        reply,
        [done(done_, more, 0, 0), done(done_, 0, 0, 0)].concat()
    );
    // The first error ends it: ERROR, then a DONE with ERROR and no MORE.
    let mut batch = all_headers();
    batch.extend_from_slice(&utf16(&failing));
    let reply = s.request(SQL_BATCH, &batch)?;
    assert!(reply.starts_with(&done(done_, more, 0, 0)), "{reply:02x?}");
    assert_eq!(reply[13], 0xAA);
    assert!(
        reply.ends_with(&done(done_, error, select, 0)),
        "{reply:02x?}"
    );

    // An RPC: DONEINPROC with MORE after every statement, then
    // RETURNSTATUS 0 and DONEPROC.
    let reply = s.request(RPC, &executesql(&two))?;
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
    let reply = s.request(RPC, &executesql(&failing))?;
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
    Ok(())
}

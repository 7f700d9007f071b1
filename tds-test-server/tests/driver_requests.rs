//! What SQL Server drivers send by default, byte by byte: `SET FMTONLY`,
//! `USE`, `BEGIN TRAN`/`COMMIT`/`ROLLBACK`, and transaction manager
//! requests, each answered as SQL Server answers it.

mod common;

use common::*;
use pancake_tds_test_server::raw::*;
use pancake_tds_test_server::{BackgroundServer, ServerConfig};
use std::io;

const DONE: u8 = 0xFD;
const MORE: u16 = 0x01;
const ERROR: u16 = 0x02;
const COUNT: u16 = 0x10;
const SELECT: u16 = 0xC1;

fn logged_in(server: &BackgroundServer, version: u32) -> io::Result<RawClient> {
    let login = Login7::new(USER, PASSWORD).tds_version(version);
    let (s, reply) = RawClient::log_in(server.addr(), &login)?;
    assert_eq!(first_error(&reply), Ok(None));
    Ok(s)
}

fn server() -> BackgroundServer {
    BackgroundServer::start(ServerConfig::new(tiny())).unwrap()
}

/// Whether `reply` is a COLMETADATA whose last column is `last`, then
/// straight the DONE `done` (no rows).
fn metadata_only(reply: &[u8], last: &str, done: &[u8]) -> bool {
    let name = [&[last.len() as u8][..], &utf16(last)].concat();
    reply[0] == 0x81 && reply.ends_with(&[&name[..], done].concat())
}

#[test]
fn set_fmtonly_on_answers_metadata_only_until_off() -> io::Result<()> {
    let server = server();
    let mut s = logged_in(&server, TDS_7_4)?;
    let query = "SELECT [MemberId], [Nickname] FROM dbo.Members WHERE [MemberId] < 100";
    let rows = s.sql_batch(query)?;
    assert!(!metadata_only(
        &rows,
        "Nickname",
        &done(DONE, COUNT, SELECT, 0)
    ));

    assert_eq!(s.sql_batch("SET FMTONLY ON")?, done(DONE, 0, 0, 0));
    let reply = s.sql_batch(query)?;
    assert!(
        metadata_only(&reply, "Nickname", &done(DONE, COUNT, SELECT, 0)),
        "{reply:02x?}"
    );
    // An aggregate, constants and a catalog view: no rows either.
    for (sql, last) in [
        ("SELECT COUNT_BIG(*) AS n FROM dbo.Members", "n"),
        ("SELECT 1 AS one, DB_NAME() AS db", "db"),
        (
            "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES",
            "TABLE_NAME",
        ),
    ] {
        let reply = s.sql_batch(sql)?;
        assert!(
            metadata_only(&reply, last, &done(DONE, COUNT, SELECT, 0)),
            "{sql}: {reply:02x?}"
        );
    }
    // sp_executesql too.
    let reply = s.request(RPC, &executesql(query))?;
    let end = [
        done(0xFF, COUNT | MORE, SELECT, 0),
        vec![0x79, 0, 0, 0, 0],
        done(0xFE, 0, 0xE0, 0),
    ]
    .concat();
    assert!(metadata_only(&reply, "Nickname", &end), "{reply:02x?}");

    assert_eq!(s.sql_batch("SET FMTONLY OFF")?, done(DONE, 0, 0, 0));
    assert_eq!(s.sql_batch(query)?, rows);
    // The form bulk-copy clients send, in one batch.
    let reply = s.sql_batch(&format!("SET FMTONLY ON {query} SET FMTONLY OFF"))?;
    let end = [done(DONE, COUNT | MORE, SELECT, 0), done(DONE, 0, 0, 0)].concat();
    assert_eq!(&reply[..13], &done(DONE, MORE, 0, 0)[..]);
    assert!(
        metadata_only(&reply[13..], "Nickname", &end),
        "{reply:02x?}"
    );
    assert_eq!(s.sql_batch(query)?, rows);
    Ok(())
}

/// An ENVCHANGE of text values.
fn envchange(ty: u8, new: &str, old: &str) -> Vec<u8> {
    let mut body = vec![ty, new.len() as u8];
    body.extend_from_slice(&utf16(new));
    body.push(old.len() as u8);
    body.extend_from_slice(&utf16(old));
    [&[0xE3][..], &(body.len() as u16).to_le_bytes(), &body].concat()
}

#[test]
fn use_the_served_database_changes_context_and_another_is_error_911() -> io::Result<()> {
    let server = server();
    let mut s = logged_in(&server, TDS_7_4)?;
    for sql in ["USE [legacy]", "USE legacy", "use LEGACY;"] {
        let reply = s.sql_batch(sql)?;
        let env = envchange(1, "legacy", "legacy");
        assert!(reply.starts_with(&env), "{sql}: {reply:02x?}");
        // INFO 5701, then DONE.
        let info = &reply[env.len()..];
        assert_eq!(info[0], 0xAB);
        assert_eq!(u32::from_le_bytes(info[3..7].try_into().unwrap()), 5701);
        assert!(find(info, &utf16("Changed database context to 'legacy'.")).is_some());
        assert!(reply.ends_with(&done(DONE, 0, 0, 0)), "{sql}");
    }
    let reply = s.sql_batch("USE [master]")?;
    assert_eq!(first_error(&reply), Ok(Some(911)));
    assert_eq!(
        error_message(&reply).as_deref(),
        Some("Database 'master' does not exist. Make sure that the name is entered correctly.")
    );
    assert_eq!(reply[8], 16, "class");
    assert!(reply.ends_with(&done(DONE, ERROR, SELECT, 0)));
    // The session goes on in the served database.
    assert_eq!(s.sql_batch("SELECT DB_NAME()")?[0], 0x81);
    Ok(())
}

/// An ENVCHANGE of a transaction: type, new and old descriptors.
fn tran_envchange(ty: u8, new: &[u8], old: &[u8]) -> Vec<u8> {
    let body = [&[ty, new.len() as u8][..], new, &[old.len() as u8], old].concat();
    [&[0xE3][..], &(body.len() as u16).to_le_bytes(), &body].concat()
}

/// The descriptor of the ENVCHANGE 8 at the start of `reply`.
fn begun(reply: &[u8]) -> [u8; 8] {
    assert_eq!(&reply[..5], &[0xE3, 11, 0, 8, 8], "{reply:02x?}");
    assert_eq!(reply[13], 0, "no old value");
    reply[5..13].try_into().unwrap()
}

#[test]
fn begin_commit_and_rollback_in_sql_send_the_transaction_envchanges() -> io::Result<()> {
    let server = server();
    let mut s = logged_in(&server, TDS_7_4)?;
    let ok = done(DONE, 0, 0, 0);
    for (begin, commit) in [
        ("BEGIN TRAN", "COMMIT"),
        ("BEGIN TRANSACTION t", "COMMIT TRAN t"),
    ] {
        let reply = s.sql_batch(begin)?;
        let d = begun(&reply);
        assert_ne!(d, [0; 8]);
        assert_eq!(&reply[14..], &ok[..]);
        assert_eq!(
            s.sql_batch(commit)?,
            [tran_envchange(9, &[], &d), ok.clone()].concat()
        );
    }
    // Nested: only the outermost BEGIN and COMMIT say so; ROLLBACK ends all.
    let reply = s.sql_batch("BEGIN TRAN; BEGIN TRANSACTION")?;
    let d = begun(&reply);
    assert_eq!(
        &reply[14..],
        &[done(DONE, MORE, 0, 0), ok.clone()].concat()[..]
    );
    assert_eq!(s.sql_batch("COMMIT TRANSACTION")?, ok);
    let mut p = all_headers_in(d);
    p.extend_from_slice(&utf16("SELECT 1"));
    assert_eq!(s.request(SQL_BATCH, &p)?[0], 0x81);
    assert_eq!(
        s.sql_batch("BEGIN TRAN ROLLBACK")?,
        [
            done(DONE, MORE, 0, 0),
            tran_envchange(10, &[], &d),
            ok.clone()
        ]
        .concat()
    );
    // Nothing to commit or roll back.
    for (sql, number) in [
        ("COMMIT", 3902),
        ("ROLLBACK TRAN", 3903),
        ("COMMIT WORK", 3902),
    ] {
        let reply = s.sql_batch(sql)?;
        assert_eq!(first_error(&reply), Ok(Some(number)), "{sql}");
        let message = error_message(&reply).expect("an ERROR first");
        assert!(message.contains("has no corresponding BEGIN TRANSACTION"));
    }
    // TDS 7.1 has no transaction ENVCHANGE: only the DONE (whose row
    // count has 4 bytes below 7.2).
    let mut s = logged_in(&server, TDS_7_1)?;
    let ok = ok[..9].to_vec();
    assert_eq!(s.request(SQL_BATCH, &utf16("BEGIN TRAN"))?, ok);
    assert_eq!(s.request(SQL_BATCH, &utf16("COMMIT"))?, ok);
    Ok(())
}

/// A transaction manager request of type `ty` with `payload`.
fn trans_mgr(s: &mut RawClient, ty: u16, payload: &[u8]) -> io::Result<Vec<u8>> {
    let p = [&all_headers()[..], &ty.to_le_bytes(), payload].concat();
    s.request(TRANSACTION_MANAGER, &p)
}

#[test]
fn transaction_manager_requests_begin_commit_and_roll_back() -> io::Result<()> {
    let server = server();
    let mut s = logged_in(&server, TDS_7_4)?;
    let ok = done(DONE, 0, 0, 0);
    let name = [&[2u8][..], &utf16("t")].concat();
    // TM_BEGIN_XACT: isolation read committed, a name.
    let reply = trans_mgr(&mut s, 5, &[&[2u8][..], &name].concat())?;
    let d = begun(&reply);
    assert_eq!(&reply[14..], &ok[..]);
    // TM_SAVE_XACT inside it, and TM_ROLLBACK_XACT back to that savepoint:
    // no ENVCHANGE, the transaction goes on.
    let savepoint = [&[2u8][..], &utf16("s")].concat();
    assert_eq!(trans_mgr(&mut s, 9, &savepoint)?, ok);
    assert_eq!(trans_mgr(&mut s, 8, &[&savepoint[..], &[0]].concat())?, ok);
    assert_eq!(trans_mgr(&mut s, 9, &name)?, ok);
    // TM_COMMIT_XACT.
    assert_eq!(
        trans_mgr(&mut s, 7, &[0, 0])?,
        [tran_envchange(9, &[], &d), ok.clone()].concat()
    );
    // TM_BEGIN_XACT, then TM_ROLLBACK_XACT with fBeginXact: the rollback,
    // then a new transaction.
    let d = begun(&trans_mgr(&mut s, 5, &[0, 0])?);
    let reply = trans_mgr(&mut s, 8, &[0, 1, 0, 0])?;
    let rolled = tran_envchange(10, &[], &d);
    assert!(reply.starts_with(&rolled), "{reply:02x?}");
    let next = begun(&reply[rolled.len()..]);
    assert_ne!(next, d);
    assert_eq!(
        trans_mgr(&mut s, 8, &[0, 0])?,
        [tran_envchange(10, &[], &next), ok.clone()].concat()
    );
    // Without a transaction: SQL Server's errors.
    for (ty, payload, number) in [
        (7u16, &[0u8, 0][..], 3902),
        (8, &[0, 0], 3903),
        (9, &[0], 628),
        // TM_GET_DTC_ADDRESS: no MSDTC here.
        (0, &[0, 0], 8501),
    ] {
        let reply = trans_mgr(&mut s, ty, payload)?;
        assert_eq!(first_error(&reply), Ok(Some(number)), "type {ty}");
        assert!(reply.ends_with(&done(DONE, ERROR, 0, 0)));
    }
    // The session goes on.
    assert_eq!(s.sql_batch("SELECT 1")?[0], 0x81);
    Ok(())
}

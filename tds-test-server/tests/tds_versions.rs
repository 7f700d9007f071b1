//! Clients of TDS 7.1 to 7.4, byte by byte: LOGINACK answers with the
//! version the client asked for, and a client below 7.3 gets what it can
//! read (newer date types as nvarchar text, ROW rather than NBCROW, no
//! ALL_HEADERS in its requests).

mod common;

use common::*;
use pancake_tds_test_server::raw::*;
use pancake_tds_test_server::{BackgroundServer, ServerConfig};
use std::io;

fn server() -> BackgroundServer {
    BackgroundServer::start(ServerConfig::new(tiny())).unwrap()
}

/// A SQL batch as a client below TDS 7.2 sends it: no ALL_HEADERS.
fn batch_7_1(s: &mut RawClient, sql: &str) -> io::Result<Vec<u8>> {
    s.request(SQL_BATCH, &utf16(sql))
}

/// Logs in asking for TDS `version`: the client and the login's reply.
fn logged_in_as(server: &BackgroundServer, version: u32) -> io::Result<(RawClient, Vec<u8>)> {
    RawClient::log_in(
        server.addr(),
        &Login7::new(USER, PASSWORD).tds_version(version),
    )
}

#[test]
fn loginack_answers_with_the_version_the_client_asked_for() -> io::Result<()> {
    let server = server();
    for (asked, answered) in [
        (0x7100_0000, TDS_7_1),
        (TDS_7_1, TDS_7_1),
        (TDS_7_2, TDS_7_2),
        (0x730A_0003, 0x730A_0003),
        (TDS_7_3, TDS_7_3),
        (TDS_7_4, TDS_7_4),
        // Newer than 7.4: what the server supports.
        (0x7500_0000, TDS_7_4),
    ] {
        let (_, reply) = logged_in_as(&server, asked)?;
        assert_eq!(first_error(&reply), Ok(None), "{asked:#x}");
        assert_eq!(loginack_version(&reply), Some(answered), "{asked:#x}");
    }
    Ok(())
}

#[test]
fn tds_7_0_is_refused_with_a_message_that_says_so() -> io::Result<()> {
    let server = server();
    let (_, reply) = logged_in_as(&server, 0x7000_0000)?;
    let message = error_message(&reply);
    assert_eq!(
        message.as_deref(),
        Some(
            "the TDS test server speaks TDS 7.1 to 7.4; the client asked for TDS 7.0 (0x70000000)"
        )
    );
    assert!(find(&reply, &[0xAD]).is_none());
    Ok(())
}

/// Where a COLMETADATA's first column has its TYPE_INFO: after the
/// token, the count, the user type (4 bytes from TDS 7.2, 2 below) and the
/// flags (2).
fn type_info_at(version: u32) -> usize {
    3 + if version >= TDS_7_2 { 4 } else { 2 } + 2
}

/// A one-column result without a column name, for a client of `version`:
/// its TYPE_INFO (`info_len` bytes), and the bytes after the COLMETADATA
/// (the row).
fn one_column(reply: &[u8], version: u32, info_len: usize) -> (&[u8], &[u8]) {
    assert_eq!(&reply[..3], &[0x81, 1, 0], "{reply:02x?}");
    let at = type_info_at(version);
    // TYPE_INFO, then the empty name.
    assert_eq!(reply[at + info_len], 0, "{reply:02x?}");
    (&reply[at..at + info_len], &reply[at + 1 + info_len..])
}

#[test]
fn a_tds_7_1_client_gets_dates_as_nvarchar_text() -> io::Result<()> {
    let server = server();
    let (mut s, reply) = logged_in_as(&server, TDS_7_1)?;
    assert_eq!(loginack_version(&reply), Some(TDS_7_1));
    let nvarchar = |len: u16| {
        let mut t = vec![0xE7];
        t.extend_from_slice(&(len * 2).to_le_bytes());
        t.extend_from_slice(&[0x09, 0x04, 0xD0, 0x00, 0x34]);
        t
    };
    let text_row = |s: &str| {
        let mut r = vec![0xD1];
        r.extend_from_slice(&((s.len() * 2) as u16).to_le_bytes());
        r.extend_from_slice(&utf16(s));
        r
    };
    for (sql, len, text) in [
        ("SELECT CAST('2020-01-31' AS date)", 10, "2020-01-31"),
        (
            "SELECT CAST('2020-01-31 12:34:56.1234567' AS datetime2)",
            27,
            "2020-01-31 12:34:56.1234567",
        ),
        (
            "SELECT CAST('2020-01-31 12:34:56' AS datetime2(0))",
            19,
            "2020-01-31 12:34:56",
        ),
        (
            "SELECT CAST('2020-01-31 12:34:56.5 +02:00' AS datetimeoffset(1))",
            28,
            "2020-01-31 12:34:56.5 +02:00",
        ),
    ] {
        let reply = batch_7_1(&mut s, sql)?;
        let (type_info, row) = one_column(&reply, TDS_7_1, 8);
        assert_eq!(type_info, nvarchar(len), "{sql}");
        assert!(row.starts_with(&text_row(text)), "{sql}: {row:02x?}");
    }
    // datetime was there before 7.3: it stays datetime.
    let reply = batch_7_1(&mut s, "SELECT CAST('2020-01-31' AS datetime)")?;
    assert_eq!(one_column(&reply, TDS_7_1, 2).0, &[0x6F, 8]);
    Ok(())
}

#[test]
fn a_tds_7_4_client_gets_dates_as_dates() -> io::Result<()> {
    let server = server();
    let (mut s, _) = logged_in_as(&server, TDS_7_4)?;
    let reply = s.sql_batch("SELECT CAST('2020-01-31' AS date)")?;
    let (type_info, row) = one_column(&reply, TDS_7_4, 1);
    assert_eq!(type_info, &[0x28]);
    assert_eq!(row[..2], [0xD1, 3]);
    Ok(())
}

#[test]
fn a_row_with_a_null_is_nbcrow_from_7_3_and_row_below() -> io::Result<()> {
    let server = server();
    let sql = "SELECT CAST(NULL AS int)";
    for (version, row) in [
        (TDS_7_1, vec![0xD1, 0]),
        (TDS_7_2, vec![0xD1, 0]),
        (TDS_7_3, vec![0xD2, 1]),
        (TDS_7_4, vec![0xD2, 1]),
    ] {
        let (mut s, _) = logged_in_as(&server, version)?;
        let reply = if version == TDS_7_1 {
            batch_7_1(&mut s, sql)?
        } else {
            s.sql_batch(sql)?
        };
        // COLMETADATA: 1 column, user type, flags, INTN 4, empty name.
        let name = type_info_at(version) + 2;
        assert_eq!(reply[name], 0, "{reply:02x?}");
        assert_eq!(
            &reply[name + 1..name + 3],
            &row[..],
            "{version:#x}: {reply:02x?}"
        );
    }
    Ok(())
}

#[test]
fn a_tds_7_1_client_gets_max_types_as_text_ntext_and_image() -> io::Result<()> {
    let server = server();
    let (mut s, _) = logged_in_as(&server, TDS_7_1)?;
    let collation = [0x09, 0x04, 0xD0, 0x00, 0x34];
    let max = |n: u32| n.to_le_bytes().to_vec();
    // Text pointer, timestamp, length, data.
    let blob = |data: &[u8]| {
        let mut r = vec![0xD1, 16];
        r.extend_from_slice(&[0xAB; 16]);
        r.extend_from_slice(&[0; 8]);
        r.extend_from_slice(&(data.len() as u32).to_le_bytes());
        r.extend_from_slice(data);
        r
    };
    for (sql, info, row) in [
        (
            "SELECT CAST(N'abc' AS nvarchar(max))",
            [&[0x63][..], &max(2_147_483_646), &collation, &[0, 0]].concat(),
            blob(&utf16("abc")),
        ),
        (
            "SELECT CAST('abc' AS varchar(max))",
            [&[0x23][..], &max(2_147_483_647), &collation, &[0, 0]].concat(),
            blob(b"abc"),
        ),
        (
            "SELECT CAST('abc' AS varbinary(max))",
            [&[0x22][..], &max(2_147_483_647), &[0, 0]].concat(),
            blob(b"abc"),
        ),
        (
            "SELECT CAST(NULL AS varbinary(max))",
            [&[0x22][..], &max(2_147_483_647), &[0, 0]].concat(),
            vec![0xD1, 0],
        ),
    ] {
        let reply = batch_7_1(&mut s, sql)?;
        let (type_info, rest) = one_column(&reply, TDS_7_1, info.len());
        assert_eq!(type_info, info, "{sql}");
        assert!(rest.starts_with(&row), "{sql}: {rest:02x?}");
    }
    // TDS 7.2 has PLP: nvarchar(max) as itself.
    let (mut s, _) = logged_in_as(&server, TDS_7_2)?;
    let reply = s.sql_batch("SELECT CAST(N'abc' AS nvarchar(max))")?;
    let info = [&[0xE7, 0xFF, 0xFF][..], &collation].concat();
    assert_eq!(one_column(&reply, TDS_7_2, info.len()).0, info);
    Ok(())
}

/// The first INFO token of `reply` and what follows it.
fn first_info(reply: &[u8]) -> (&[u8], &[u8]) {
    let at = find(reply, &[0xAB]).expect("an INFO token");
    let len = usize::from(u16::from_le_bytes([reply[at + 1], reply[at + 2]]));
    reply[at..].split_at(3 + len)
}

#[test]
fn a_tds_7_1_client_gets_the_fields_7_2_widened_narrow() -> io::Result<()> {
    // TDS 7.2 widened the line number of ERROR and INFO (2 to 4 bytes),
    // the row count of DONE (4 to 8) and the user type of COLMETADATA (2
    // to 4); a 7.1 client (pytds's oldest, say) reads them narrow.
    let server = server();
    let sql = "SELECT CAST(7 AS int)";
    let message = "Changed database context to 'legacy'.";
    for (version, wide) in [(TDS_7_1, false), (TDS_7_2, true), (TDS_7_4, true)] {
        let (mut s, login) = logged_in_as(&server, version)?;
        let width = |narrow: usize| if wide { 2 * narrow } else { narrow };
        // The login's reply reads whole, its DONE as wide as its LOGINACK
        // says.
        assert_eq!(first_error(&login), Ok(None), "{version:#x}");
        assert_eq!(done_len(version), 5 + width(4));
        // INFO 5701: number, state, class, message, server, procedure, line.
        let (info, _) = first_info(&login);
        let server_name = "PANCAKE-TDS";
        let body = 4 + 1 + 1 + 2 + 2 * message.len() + 1 + 2 * server_name.len() + 1 + width(2);
        assert_eq!(info.len(), 3 + body, "{version:#x}: {info:02x?}");
        assert!(info.ends_with(&[&[1u8][..], &vec![0; width(2) - 1]].concat()));
        // The login ends with a DONE of 1 + 2 + 2 + 4 or 8 bytes.
        assert!(login.ends_with(&[&[0xFD, 0, 0, 0, 0][..], &vec![0; width(4)]].concat()));
        let reply = if version == TDS_7_1 {
            batch_7_1(&mut s, sql)?
        } else {
            s.sql_batch(sql)?
        };
        // COLMETADATA's user type, then a row, then DONE counting 1 row.
        assert_eq!(&reply[3..3 + width(2)], &vec![0; width(2)][..]);
        let (_, row) = one_column(&reply, version, 2);
        let done = [&[0xFD, 0x10, 0, 0xC1, 0, 1][..], &vec![0; width(4) - 1]].concat();
        assert_eq!(
            row,
            [&[0xD1, 4, 7, 0, 0, 0][..], &done].concat(),
            "{version:#x}"
        );
        // An ERROR ends with its line number too; behind a DONE of the
        // client's width, the reply readers find it.
        let reply = if version == TDS_7_1 {
            batch_7_1(&mut s, "SELECT * FROM dbo.Nope")?
        } else {
            s.sql_batch("SELECT * FROM dbo.Nope")?
        };
        assert_eq!(first_error(&reply), Ok(Some(208)));
        let len = usize::from(u16::from_le_bytes([reply[1], reply[2]]));
        let line = &reply[3 + len - width(2)..3 + len];
        assert_eq!(line, &[&[1u8][..], &vec![0; width(2) - 1]].concat()[..]);
        assert_eq!(reply.len(), 3 + len + 1 + 2 + 2 + width(4), "{reply:02x?}");
        let sql = "SET NOCOUNT ON; SELECT * FROM dbo.Nope";
        let reply = if version == TDS_7_1 {
            batch_7_1(&mut s, sql)?
        } else {
            s.sql_batch(sql)?
        };
        assert_eq!(reply[0], 0xFD, "{reply:02x?}");
        assert_eq!(
            first_error_as(&reply, version),
            Ok(Some(208)),
            "{version:#x}"
        );
    }
    Ok(())
}

/// An RPC parameter of type ntext, as a client below TDS 7.2 sends a
/// string: no name or a name, status, type 0x63, maximum, collation, length
/// and UTF-16.
fn ntext_param(name: &str, value: &str) -> Vec<u8> {
    let text = utf16(value);
    let mut p = vec![name.len() as u8];
    p.extend_from_slice(&utf16(name));
    p.extend_from_slice(&[0, 0x63]);
    p.extend_from_slice(&0x7FFF_FFFEu32.to_le_bytes());
    p.extend_from_slice(&[0x09, 0x04, 0xD0, 0x00, 0x34]);
    p.extend_from_slice(&(text.len() as u32).to_le_bytes());
    p.extend_from_slice(&text);
    p
}

#[test]
fn a_tds_7_1_client_sends_strings_as_ntext_which_equals_refuses() -> io::Result<()> {
    let server = server();
    let (mut s, _) = logged_in_as(&server, TDS_7_1)?;
    // sp_executesql by id, without ALL_HEADERS, every parameter ntext.
    let mut rpc = |sql: &str| {
        let mut p = [&0xFFFFu16.to_le_bytes()[..], &10u16.to_le_bytes(), &[0, 0]].concat();
        p.extend_from_slice(&ntext_param("", sql));
        p.extend_from_slice(&ntext_param("", "@P1 ntext"));
        p.extend_from_slice(&ntext_param("@P1", "Aino"));
        s.request(RPC, &p)
    };
    let reply = rpc("SELECT @P1 AS v")?;
    assert_eq!(reply[0], 0x81, "{reply:02x?}");
    assert!(find(&reply, &utf16("Aino")).is_some(), "{reply:02x?}");
    // As on SQL Server: text and ntext do not compare with `=`.
    let reply = rpc("SELECT COUNT_BIG(*) AS n FROM dbo.Members WHERE Nickname = @P1")?;
    assert_eq!(first_error_as(&reply, TDS_7_1), Ok(Some(402)));
    assert_eq!(
        error_message(&reply).as_deref(),
        Some("The data types nvarchar and ntext are incompatible in the equal to operator.")
    );
    Ok(())
}

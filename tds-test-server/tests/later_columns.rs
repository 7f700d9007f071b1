//! The columns a real legacy site had beside the first schema (issue 15):
//! listed by `INFORMATION_SCHEMA.COLUMNS` with the schema's types, and
//! served with the dump's values, NULL or not.

mod common;

use common::*;
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{Flirt, Member, Message};
use pancake_tds_test_server::ServerConfig;
use tiberius::ColumnData;

/// (column, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE) of `table`.
async fn columns(client: &mut Conn, table: &str) -> Vec<(String, String, Option<i32>, String)> {
    rows(
        client,
        "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @P1 AND c.TABLE_NAME = @P2 ORDER BY c.ORDINAL_POSITION",
        &[&"dbo", &table],
    )
    .await
    .iter()
    .map(|r| {
        (
            r.get::<&str, _>(0).unwrap().to_owned(),
            r.get::<&str, _>(1).unwrap().to_owned(),
            r.get::<i32, _>(2),
            r.get::<&str, _>(3).unwrap().to_owned(),
        )
    })
    .collect()
}

#[tokio::test]
async fn information_schema_lists_the_later_columns_with_the_schemas_types() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let c = |name: &str, ty: &str, len: Option<i32>, nullable: &str| {
        (name.to_owned(), ty.to_owned(), len, nullable.to_owned())
    };
    let members = columns(&mut client, "Members").await;
    assert_eq!(
        members[10..],
        [
            c("ProfileText", "nvarchar", Some(2000), "YES"),
            c("HeightCm", "smallint", None, "YES"),
            c("LastLoginAt", "datetime", None, "YES"),
        ]
    );
    let flirts = columns(&mut client, "Flirts").await;
    assert_eq!(
        flirts[4..],
        [
            c("Kind", "tinyint", None, "NO"),
            c("Note", "nvarchar", Some(200), "YES"),
            c("SenderIp", "varchar", Some(45), "YES"),
            c("SeenAt", "datetime", None, "YES"),
        ]
    );
    let messages = columns(&mut client, "Messages").await;
    assert_eq!(
        messages[6..],
        [
            c("Subject", "nvarchar", Some(200), "YES"),
            c("SenderIp", "varchar", Some(45), "YES"),
            c("DeletedBySender", "bit", None, "NO"),
            c("DeletedByRecipient", "bit", None, "NO"),
        ]
    );
}

/// The UTF-16LE bytes a text field serves: its raw units when it has a lone
/// surrogate, else the string's.
fn served_text(
    text: &Option<String>,
    column: &str,
    raw: &[pancake_proto::legacy::RawText],
) -> Option<Vec<u8>> {
    let text = text.as_ref()?;
    Some(match raw.iter().find(|r| r.column == column) {
        Some(r) => r.utf16le.clone(),
        None => utf16le(text),
    })
}

fn seconds(t: &Option<prost_types::Timestamp>) -> Option<f64> {
    t.map(|t| t.seconds as f64 + f64::from(t.nanos) / 1e9)
}

fn datetime(c: &ColumnData<'static>) -> Option<f64> {
    match c {
        ColumnData::DateTime(v) => v.map(datetime_seconds),
        c => panic!("{c:?}"),
    }
}

fn binary(c: ColumnData<'static>) -> Option<Vec<u8>> {
    match c {
        ColumnData::Binary(v) => v.map(|b| b.into_owned()),
        c => panic!("{c:?}"),
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 0.002,
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_columns_are_served_null_or_not() {
    let dump = tiny_filled();
    let server = serve(ServerConfig::new(dump)).await;
    let mut client = connect(&server).await;

    let members = records::<Member>(dump, LegacyTable::Members);
    let got = rows(
        &mut client,
        "SELECT CAST(ProfileText AS varbinary(max)), HeightCm, LastLoginAt FROM dbo.Members ORDER BY MemberId",
        &[],
    )
    .await;
    assert_eq!(got.len(), members.len());
    let (mut heights, mut nulls, mut raw) = (0, 0, 0);
    for (row, m) in got.into_iter().zip(&members) {
        let mut cells = row.into_iter();
        let text = binary(cells.next().unwrap());
        assert_eq!(
            text,
            served_text(&m.profile_text, "profile_text", &m.raw_texts),
            "{m:?}"
        );
        raw += usize::from(m.raw_texts.iter().any(|r| r.column == "profile_text"));
        match cells.next().unwrap() {
            ColumnData::I16(Some(h)) => {
                assert_eq!(Some(h as u32), m.height_cm);
                heights += 1;
            }
            ColumnData::I16(None) => {
                assert_eq!(m.height_cm, None);
                nulls += 1;
            }
            c => panic!("{c:?}"),
        }
        assert!(
            close(datetime(&cells.next().unwrap()), seconds(&m.last_login_at)),
            "{m:?}"
        );
    }
    assert!(heights > 0 && nulls > 0 && raw > 0);
    assert!(members.iter().any(|m| m.height_cm == Some(32_767)));

    let flirts = records::<Flirt>(dump, LegacyTable::Flirts);
    let got = rows(
        &mut client,
        "SELECT Kind, CAST(Note AS varbinary(400)), SenderIp, SeenAt FROM dbo.Flirts ORDER BY FlirtId",
        &[],
    )
    .await;
    assert_eq!(got.len(), flirts.len());
    for (row, f) in got.into_iter().zip(&flirts) {
        let mut cells = row.into_iter();
        match cells.next().unwrap() {
            ColumnData::U8(k) => assert_eq!(k.map(u32::from), f.kind),
            c => panic!("{c:?}"),
        }
        assert_eq!(
            binary(cells.next().unwrap()),
            served_text(&f.note, "note", &f.raw_texts)
        );
        match cells.next().unwrap() {
            ColumnData::String(ip) => assert_eq!(ip.as_deref(), f.sender_ip.as_deref()),
            c => panic!("{c:?}"),
        }
        assert!(
            close(datetime(&cells.next().unwrap()), seconds(&f.seen_at)),
            "{f:?}"
        );
    }
    assert!(flirts.iter().any(|f| f.kind == Some(255)));
    assert!(
        flirts
            .iter()
            .any(|f| f.sender_ip.as_ref().is_some_and(|ip| ip.len() == 45))
    );

    let messages = records::<Message>(dump, LegacyTable::Messages);
    let got = rows(
        &mut client,
        "SELECT CAST(Subject AS varbinary(400)), SenderIp, DeletedBySender, DeletedByRecipient FROM dbo.Messages ORDER BY MessageId",
        &[],
    )
    .await;
    assert_eq!(got.len(), messages.len());
    let mut deleted = 0;
    for (row, m) in got.into_iter().zip(&messages) {
        let mut cells = row.into_iter();
        assert_eq!(
            binary(cells.next().unwrap()),
            served_text(&m.subject, "subject", &m.raw_texts)
        );
        match cells.next().unwrap() {
            ColumnData::String(ip) => assert_eq!(ip.as_deref(), m.sender_ip.as_deref()),
            c => panic!("{c:?}"),
        }
        for expected in [m.deleted_by_sender, m.deleted_by_recipient] {
            match cells.next().unwrap() {
                ColumnData::Bit(b) => assert_eq!(b, expected),
                c => panic!("{c:?}"),
            }
            deleted += usize::from(expected == Some(true));
        }
    }
    assert!(deleted > 0);
}

//! The statements the extractor sends, as tiberius sends them, and how the
//! server answers them.

mod common;

use common::*;
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{Member, Message};
use pancake_tds_test_server::ServerConfig;
use tiberius::ColumnData;

const COLUMNS: &str = "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @P1 AND c.TABLE_NAME = @P2 ORDER BY c.ORDINAL_POSITION";
const PRIMARY_KEY: &str = "SELECT k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @P1 AND t.TABLE_NAME = @P2 ORDER BY k.ORDINAL_POSITION";
const ESTIMATE: &str = "SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = OBJECT_ID(@P1) AND p.index_id IN (0, 1)";

fn page(table: &str, key: &str, items: &str) -> String {
    format!(
        "SELECT TOP (@P1) WITH TIES {items} FROM [dbo].[{table}] WHERE [{key}] > @P2 AND [{key}] <= @P3 ORDER BY [{key}]"
    )
}

#[tokio::test]
async fn the_session_query_gives_database_version_and_the_frozen_clock() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let row = one_row(
        &mut client,
        "SELECT DB_NAME() AS [database], CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) AS [version], SYSUTCDATETIME() AS [now]",
    )
    .await;
    assert_eq!(row.get::<&str, _>("database"), Some("legacy"));
    assert_eq!(row.get::<&str, _>("version"), Some("16.0.4105.2"));
    let now = row.into_iter().nth(2).unwrap();
    match now {
        // The data set's snapshot, 2026-01-01T00:00:00Z.
        ColumnData::DateTime2(Some(dt)) => {
            assert_eq!(dt.time().scale(), 7);
            assert_eq!(datetime2_parts(dt), (1_767_225_600, 0));
        }
        other => panic!("{other:?}"),
    }
    // The clock can be set.
    let mut config = ServerConfig::new(tiny());
    config.now = Some(chrono::DateTime::from_timestamp(1_700_000_000, 123_456_700).unwrap());
    let server = serve(config).await;
    let mut client = connect(&server).await;
    let mut rows = rows(&mut client, "SELECT SYSUTCDATETIME()", &[]).await;
    match rows.remove(0).into_iter().next().unwrap() {
        ColumnData::DateTime2(Some(dt)) => {
            assert_eq!(datetime2_parts(dt), (1_700_000_000, 123_456_700))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn isolation_levels_are_set_per_connection() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    for level in ["READ COMMITTED", "SNAPSHOT", "read   committed"] {
        let r = batch(
            &mut client,
            &format!("SET TRANSACTION ISOLATION LEVEL {level}"),
        )
        .await;
        assert!(r.is_empty());
    }
    let e = client
        .simple_query("SET TRANSACTION ISOLATION LEVEL SOMETIMES")
        .await
        .unwrap_err();
    assert_eq!(server_error(e).0, 102);
    // The connection is still usable after an error.
    let r = rows(&mut client, "SELECT COUNT_BIG(*) FROM [dbo].[Members]", &[]).await;
    assert_eq!(r[0].get::<i64, _>(0), Some(597));
}

#[tokio::test]
async fn columns_come_from_information_schema() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let r = rows(&mut client, COLUMNS, &[&"dbo", &"Members"]).await;
    type ColumnRow = (String, String, Option<i32>, Option<u8>, Option<i32>, String);
    let got: Vec<ColumnRow> = r
        .iter()
        .map(|row| {
            (
                row.get::<&str, _>(0).unwrap().to_owned(),
                row.get::<&str, _>(1).unwrap().to_owned(),
                row.get::<i32, _>(2),
                row.get::<u8, _>(3),
                row.get::<i32, _>(4),
                row.get::<&str, _>(5).unwrap().to_owned(),
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        vec![
            (s("MemberId"), s("int"), None, Some(10), Some(0), s("NO")),
            (s("Nickname"), s("nvarchar"), Some(50), None, None, s("NO")),
            (s("Email"), s("nvarchar"), Some(254), None, None, s("NO")),
            // NOT NULL in the schema, but tiny holds NULL in it: nullable,
            // as the server could not hold it otherwise.
            (s("Gender"), s("tinyint"), None, Some(3), Some(0), s("YES")),
            (s("BirthDate"), s("date"), None, None, None, s("NO")),
            (s("City"), s("nvarchar"), Some(100), None, None, s("YES")),
            (s("RegisteredAt"), s("datetime"), None, None, None, s("NO")),
            (s("ApprovedAt"), s("datetime"), None, None, None, s("YES")),
            (
                s("PortraitUrl"),
                s("nvarchar"),
                Some(400),
                None,
                None,
                s("YES")
            ),
            (s("DeletedAt"), s("datetime"), None, None, None, s("YES")),
            (
                s("ProfileText"),
                s("nvarchar"),
                Some(2000),
                None,
                None,
                s("YES")
            ),
            (
                s("HeightCm"),
                s("smallint"),
                None,
                Some(5),
                Some(0),
                s("YES")
            ),
            (s("LastLoginAt"), s("datetime"), None, None, None, s("YES")),
        ]
    );
    // The default collation is case-insensitive.
    assert_eq!(
        rows(&mut client, COLUMNS, &[&"DBO", &"members"])
            .await
            .len(),
        13
    );
    // An unknown table has no columns (not an error, as on SQL Server).
    assert!(
        rows(&mut client, COLUMNS, &[&"dbo", &"Membres"])
            .await
            .is_empty()
    );
    assert!(
        rows(&mut client, COLUMNS, &[&"sales", &"Members"])
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn primary_keys_and_row_estimates() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    for (table, key) in [
        ("Blocks", vec!["BlockId"]),
        ("PhotoLikes", vec!["LikeId"]),
        ("SearchProfiles", vec!["MemberId"]),
        // tiny repeats their keys: heaps, without a primary key.
        ("Members", vec![]),
        ("Messages", vec![]),
    ] {
        let r = rows(&mut client, PRIMARY_KEY, &[&"dbo", &table]).await;
        let keys: Vec<&str> = r.iter().map(|row| row.get::<&str, _>(0).unwrap()).collect();
        assert_eq!(keys, key, "{table}");
    }
    assert!(
        rows(&mut client, PRIMARY_KEY, &[&"dbo", &"Nope"])
            .await
            .is_empty()
    );
    for (name, expected) in [
        ("[dbo].[Members]", Some(597i64)),
        ("dbo.Messages", Some(3005)),
        ("Flirts", Some(602)),
        ("[dbo].[Nope]", None),
        ("[sales].[Members]", None),
    ] {
        let r = rows(&mut client, ESTIMATE, &[&name]).await;
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].get::<i64, _>(0), expected, "{name}");
    }
}

/// The first two columns of a query's first row (a MIN and a MAX).
async fn first_two<T>(client: &mut Conn, sql: &str) -> (Option<T>, Option<T>)
where
    T: for<'a> tiberius::FromSql<'a>,
{
    let r = rows(client, sql, &[]).await;
    (r[0].get::<T, _>(0), r[0].get::<T, _>(1))
}

#[tokio::test]
async fn key_bounds_come_from_the_manifest_and_are_null_when_empty() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let members = "SELECT MIN([MemberId]), MAX([MemberId]) FROM [dbo].[Members]";
    assert_eq!(
        first_two::<i32>(&mut client, members).await,
        (Some(1), Some(600))
    );
    let messages = "SELECT MIN([MessageId]), MAX([MessageId]) FROM [dbo].[Messages]";
    assert_eq!(
        first_two::<i64>(&mut client, messages).await,
        (Some(5_000_000_001), Some(5_000_003_000))
    );
    // Not on the key: a scan.
    let r = rows(
        &mut client,
        "SELECT MIN([SenderId]), MAX(SenderId), COUNT(*) FROM dbo.Messages",
        &[],
    )
    .await;
    let senders: Vec<i32> = records::<Message>(tiny(), LegacyTable::Messages)
        .iter()
        .filter_map(|m| m.sender_id)
        .collect();
    assert_eq!(r[0].get::<i32, _>(0), senders.iter().min().copied());
    assert_eq!(r[0].get::<i32, _>(1), senders.iter().max().copied());
    assert_eq!(r[0].get::<i32, _>(2), Some(3005));

    let server = serve(ServerConfig::new(sparse())).await;
    let mut client = connect(&server).await;
    let photos = "SELECT MIN([PhotoId]), MAX([PhotoId]) FROM [dbo].[Photos]";
    assert_eq!(first_two::<i32>(&mut client, photos).await, (None, None));
    let r = rows(
        &mut client,
        "SELECT COUNT_BIG(*) FROM [dbo].[Photos] WHERE [PhotoId] <= @P1",
        &[&10i64],
    )
    .await;
    assert_eq!(r[0].get::<i64, _>(0), Some(0));
    let r = rows(&mut client, ESTIMATE, &[&"[dbo].[Photos]"]).await;
    assert_eq!(r[0].get::<i64, _>(0), Some(0));
}

#[tokio::test]
async fn counts_up_to_a_key() {
    let server = serve(ServerConfig::new(tiny_small_parts())).await;
    let mut client = connect(&server).await;
    let messages = records::<Message>(tiny_small_parts(), LegacyTable::Messages);
    let sql = "SELECT COUNT_BIG(*) FROM [dbo].[Messages] WHERE [MessageId] <= @P1";
    for upto in [
        0i64,
        5_000_000_001,
        5_000_001_234,
        5_000_002_222,
        5_000_003_000,
        i64::MAX,
    ] {
        let expected = messages.iter().filter(|m| m.message_id <= upto).count() as i64;
        let r = rows(&mut client, sql, &[&upto]).await;
        assert_eq!(r[0].get::<i64, _>(0), Some(expected), "{upto}");
    }
}

/// A page's keys.
fn keys(rows: &[tiberius::Row], col: &str) -> Vec<i64> {
    rows.iter().map(|r| r.get::<i64, _>(col).unwrap()).collect()
}

#[tokio::test]
async fn pages_have_top_with_ties_semantics_over_duplicate_keys() {
    let server = serve(ServerConfig::new(tiny_small_parts())).await;
    let mut client = connect(&server).await;
    let messages = records::<Message>(tiny_small_parts(), LegacyTable::Messages);
    let sql = page("Messages", "MessageId", "[MessageId], [SenderId]");
    let dups: Vec<usize> = (1..messages.len())
        .filter(|&i| messages[i].message_id == messages[i - 1].message_id)
        .collect();
    assert!(!dups.is_empty(), "the generator makes duplicate keys");
    for &i in &dups {
        // A page of 3 whose last row is the first of the pair: the twin comes too.
        let first = i - 3;
        let lower = messages[first - 1].message_id;
        let r = rows(&mut client, &sql, &[&3i64, &lower, &i64::MAX]).await;
        let expected: Vec<i64> = messages[first..=i].iter().map(|m| m.message_id).collect();
        assert_eq!(expected.len(), 4);
        assert_eq!(keys(&r, "MessageId"), expected);
        // Served in dump order: the twins' other columns too.
        let senders: Vec<Option<i32>> = r.iter().map(|r| r.get::<i32, _>("SenderId")).collect();
        let expected: Vec<Option<i32>> = messages[first..=i].iter().map(|m| m.sender_id).collect();
        assert_eq!(senders, expected);
        // TOP without ties stops at 3.
        let plain = sql.replace("WITH TIES ", "");
        let r = rows(&mut client, &plain, &[&3i64, &lower, &i64::MAX]).await;
        assert_eq!(r.len(), 3);
    }
    // The upper bound is inclusive, the lower exclusive, and empty pages are fine.
    let a = messages[10].message_id;
    let b = messages[20].message_id;
    let r = rows(&mut client, &sql, &[&1000i64, &a, &b]).await;
    let expected: Vec<i64> = messages
        .iter()
        .map(|m| m.message_id)
        .filter(|k| *k > a && *k <= b)
        .collect();
    assert_eq!(keys(&r, "MessageId"), expected);
    assert!(rows(&mut client, &sql, &[&10i64, &b, &a]).await.is_empty());
    assert!(
        rows(&mut client, &sql, &[&0i64, &0i64, &i64::MAX])
            .await
            .is_empty()
    );
    // The duplicate-key lookup.
    let dup = messages[dups[0]].message_id;
    let r = rows(
        &mut client,
        "SELECT [MessageId], CAST([Body] AS varbinary(max)) AS [Body] FROM [dbo].[Messages] WHERE [MessageId] = @P1 ORDER BY [MessageId]",
        &[&dup],
    )
    .await;
    assert_eq!(keys(&r, "MessageId"), vec![dup, dup]);
}

#[tokio::test]
async fn a_keyset_scan_reads_each_row_once_in_order_and_continues_its_cursor() {
    let server = serve(ServerConfig::new(tiny_small_parts())).await;
    let mut client = connect(&server).await;
    let messages = records::<Message>(tiny_small_parts(), LegacyTable::Messages);
    let sql = page(
        "Messages",
        "MessageId",
        "[MessageId], CAST([Body] AS varbinary(max)) AS [Body]",
    );
    let mut lower = 0i64;
    let mut got = Vec::new();
    loop {
        let r = rows(&mut client, &sql, &[&97i64, &lower, &i64::MAX]).await;
        if r.is_empty() {
            break;
        }
        lower = *keys(&r, "MessageId").last().unwrap();
        got.extend(r.iter().map(|row| {
            (
                row.get::<i64, _>("MessageId").unwrap(),
                row.get::<&[u8], _>("Body").map(<[u8]>::to_vec),
            )
        }));
    }
    let expected: Vec<(i64, Option<Vec<u8>>)> = messages
        .iter()
        .map(|m| {
            let raw = m
                .raw_texts
                .iter()
                .find(|r| r.column == "body")
                .map(|r| r.utf16le.clone());
            (m.message_id, raw.or_else(|| m.body.as_deref().map(utf16le)))
        })
        .collect();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    // Each page went on from where the last stopped: every record decoded
    // once, every part opened once.
    let stats = server.stats();
    let parts = pancake_proto::Manifest::load(tiny_small_parts())
        .unwrap()
        .table("messages")
        .unwrap()
        .parts
        .len();
    assert!(parts > 10);
    assert_eq!(stats.parts_opened, parts as u64);
    assert_eq!(stats.records_decoded, messages.len() as u64);
}

#[tokio::test]
async fn lone_surrogates_come_back_as_their_exact_bytes() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let members = records::<Member>(tiny(), LegacyTable::Members);
    // The member's first text with a lone surrogate: a nickname or a
    // profile text, whichever the generator spoiled.
    let (m, raw) = members
        .iter()
        .find_map(|m| Some((m, m.raw_texts.first()?)))
        .expect("a member with a lone surrogate");
    let (column, ty) = match raw.column.as_str() {
        "nickname" => ("Nickname", "nvarchar(50)"),
        "profile_text" => ("ProfileText", "nvarchar(2000)"),
        other => panic!("a lone surrogate in members.{other}"),
    };
    let sql = page(
        "Members",
        "MemberId",
        &format!(
            "[MemberId], CAST([{column}] AS varbinary(8000)) AS [Text], CAST(CAST([{column}] AS {ty}) AS varbinary(max)) AS [Twice]"
        ),
    );
    let r = rows(
        &mut client,
        &sql,
        &[
            &1i64,
            &(i64::from(m.member_id) - 1),
            &i64::from(m.member_id),
        ],
    )
    .await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].get::<&[u8], _>("Text"), Some(raw.utf16le.as_slice()));
    assert_eq!(r[0].get::<&[u8], _>("Twice"), Some(raw.utf16le.as_slice()));
    // The units are not valid UTF-16: as nvarchar, tiberius cannot decode them.
    let e = client
        .query(
            &format!("SELECT [{column}] FROM [dbo].[Members] WHERE [MemberId] = @P1"),
            &[&m.member_id],
        )
        .await
        .unwrap()
        .into_first_result()
        .await;
    assert!(e.is_err());
    // Bodies of messages, through varbinary(max).
    let messages = records::<Message>(tiny(), LegacyTable::Messages);
    let lone: Vec<&Message> = messages
        .iter()
        .filter(|m| !m.raw_texts.is_empty())
        .collect();
    assert!(lone.len() >= 5);
    for m in lone {
        let r = rows(
            &mut client,
            "SELECT CAST([Body] AS varbinary(max)) AS [Body] FROM [dbo].[Messages] WHERE [MessageId] = @P1 ORDER BY [MessageId]",
            &[&m.message_id],
        )
        .await;
        assert_eq!(
            r[0].get::<&[u8], _>("Body"),
            Some(m.raw_texts[0].utf16le.as_slice())
        );
    }
}

#[tokio::test]
async fn unknown_names_and_bad_syntax_fail_as_on_sql_server() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let cases: [(&str, u32, u8, &str); 8] = [
        (
            "SELECT [MemberId], [Nick] FROM [dbo].[Members] WHERE [MemberId] > @P1",
            207,
            16,
            "Invalid column name 'Nick'.",
        ),
        (
            "SELECT [MemberId] FROM [dbo].[Membres]",
            208,
            16,
            "Invalid object name 'dbo.Membres'.",
        ),
        ("SELECT x FROM Nope", 208, 16, "Invalid object name 'Nope'."),
        (
            "SELECT [MemberId] FROM [dbo].[Members] ORDER BY [MemberId] OFFSET 10 ROWS",
            102,
            15,
            "Incorrect syntax near 'OFFSET'.",
        ),
        (
            "DELETE FROM [dbo].[Members]",
            102,
            15,
            "Incorrect syntax near 'DELETE'.",
        ),
        (
            "SELECT [MemberId] FROM",
            102,
            15,
            "Incorrect syntax near 'FROM'.",
        ),
        (
            "SELECT @P9",
            137,
            15,
            "Must declare the scalar variable \"@P9\".",
        ),
        (
            "SELECT NOPE()",
            195,
            15,
            "'NOPE' is not a recognized built-in function name.",
        ),
    ];
    for (sql, code, class, message) in cases {
        let e = client.query(sql, &[&1i64]).await.unwrap_err();
        assert_eq!(server_error(e), (code, class, message.to_owned()), "{sql}");
        // The same as a batch.
        let e = client.simple_query(sql).await.unwrap_err();
        assert_eq!(server_error(e).0, code, "{sql}");
    }
    // Still usable.
    assert_eq!(rows(&mut client, "SELECT 1", &[]).await.len(), 1);
}

#[tokio::test]
async fn the_query_log_records_statements_and_parameters() {
    let (server, mut client) = serve_tiny_and_connect().await;
    batch(
        &mut client,
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
    )
    .await;
    let sql = page("Members", "MemberId", "[MemberId]");
    rows(&mut client, &sql, &[&10i64, &0i64, &100i64]).await;
    let log = server.queries();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].kind, pancake_tds_test_server::RequestKind::Batch);
    assert_eq!(log[1].kind, pancake_tds_test_server::RequestKind::Rpc);
    assert_eq!(log[1].sql, sql);
    let values: Vec<Option<i64>> = log[1].params.iter().map(|(_, _, v)| v.as_i64()).collect();
    assert_eq!(values, vec![Some(10), Some(0), Some(100)]);
    assert_eq!(log[0].connection, log[1].connection);
    server.query_log().clear();
    assert!(server.queries().is_empty());
}

#[tokio::test]
async fn and_or_and_not_follow_three_valued_logic() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let members = records::<Member>(tiny(), LegacyTable::Members);
    // `[City] = N'~'` is unknown where City is NULL, false elsewhere.
    type Holds = fn(&Member) -> bool;
    let cases: [(&str, Holds); 5] = [
        ("[MemberId] <= 3 OR [MemberId] > 598", |m| {
            m.member_id <= 3 || m.member_id > 598
        }),
        // AND binds tighter than OR.
        ("[MemberId] = 1 OR [MemberId] = 2 AND [MemberId] = 3", |m| {
            m.member_id == 1
        }),
        ("NOT ([City] = N'~' OR [MemberId] = 1)", |m| {
            m.city.is_some() && m.member_id != 1
        }),
        ("NOT ([City] = N'~' AND [MemberId] = 1)", |m| {
            m.city.is_some() || m.member_id != 1
        }),
        ("[City] IS NULL OR [City] = N'~'", |m| m.city.is_none()),
    ];
    for (filter, holds) in cases {
        let sql = format!("SELECT COUNT(*) FROM [dbo].[Members] WHERE {filter}");
        let expected = members.iter().filter(|m| holds(m)).count() as i32;
        assert_eq!(
            first_int(&mut client, &sql).await,
            Some(expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn the_table_and_key_views_name_the_constraint_and_the_table() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let table_cols = ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME"];
    let constraint_cols = ["CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME"];
    // Photos: a table whose rows keep their primary key in tiny.
    let table = ["legacy", "dbo", "Photos"];
    let constraint = ["legacy", "dbo", "PK_Photos"];
    // Each view's columns and the text values of the Photos row.
    let views = [
        (
            "TABLES",
            [&table_cols[..], &["TABLE_TYPE"]].concat(),
            [&table[..], &["BASE TABLE"]].concat(),
        ),
        (
            "TABLE_CONSTRAINTS",
            [
                &constraint_cols[..],
                &table_cols,
                &["CONSTRAINT_TYPE", "IS_DEFERRABLE", "INITIALLY_DEFERRED"],
            ]
            .concat(),
            [&constraint[..], &table, &["PRIMARY KEY", "NO", "NO"]].concat(),
        ),
        (
            "KEY_COLUMN_USAGE",
            [
                &constraint_cols[..],
                &table_cols,
                &["COLUMN_NAME", "ORDINAL_POSITION"],
            ]
            .concat(),
            [&constraint[..], &table, &["PhotoId"]].concat(),
        ),
    ];
    for (view, columns, texts) in views {
        let sql = format!("SELECT * FROM INFORMATION_SCHEMA.{view} WHERE TABLE_NAME = @P1");
        let r = rows(&mut client, &sql, &[&"Photos"]).await;
        assert_eq!(r.len(), 1, "{view}");
        let names: Vec<&str> = r[0].columns().iter().map(|c| c.name()).collect();
        assert_eq!(names, columns, "{view}");
        let got: Vec<Option<&str>> = (0..texts.len()).map(|i| r[0].get(i)).collect();
        let texts: Vec<Option<&str>> = texts.into_iter().map(Some).collect();
        assert_eq!(got, texts, "{view}");
        if view == "KEY_COLUMN_USAGE" {
            assert_eq!(r[0].get::<i32, _>("ORDINAL_POSITION"), Some(1));
        }
    }
}

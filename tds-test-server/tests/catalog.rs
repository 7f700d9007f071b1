//! The catalog: `Catalog::legacy()` is the legacy schema's DDL, and an
//! edited catalog changes names, types, keys and values as SQL Server would.

mod common;

use common::*;
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{Member, Photo};
use pancake_tds_test_server::{Catalog, ColumnDef, Len, Server, ServerConfig, SqlType};
use tiberius::ColumnData;

/// (table, [(column, type, nullable)], primary key) from the T-SQL DDL.
type DdlTable = (String, Vec<(String, SqlType, bool)>, Vec<String>);

fn parse_ddl(sql: &str) -> Vec<DdlTable> {
    let mut tables = Vec::new();
    let mut current: Option<DdlTable> = None;
    for line in sql.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("CREATE TABLE dbo.") {
            current = Some((
                rest.trim_end_matches(" (").to_owned(),
                Vec::new(),
                Vec::new(),
            ));
        } else if line.starts_with(");") {
            tables.push(current.take().unwrap());
        } else if let Some(t) = current.as_mut()
            && !line.is_empty()
            && !line.starts_with("--")
        {
            let line = line.trim_end_matches(',');
            let mut words = line.split_whitespace();
            let name = words.next().unwrap().to_owned();
            let ty: SqlType = words.next().unwrap().parse().unwrap();
            let rest: Vec<&str> = words.collect();
            let nullable = !rest.starts_with(&["NOT", "NULL"]);
            if rest.contains(&"PRIMARY") {
                t.2.push(name.clone());
            }
            t.1.push((name, ty, nullable));
        }
    }
    tables
}

#[test]
fn the_legacy_catalog_is_the_legacy_schema() {
    let ddl = parse_ddl(pancake_datasets::LEGACY_SCHEMA_SQL);
    let catalog = Catalog::legacy();
    assert_eq!(ddl.len(), 9);
    assert_eq!(catalog.tables.len(), ddl.len());
    for ((name, columns, key), table) in ddl.iter().zip(&catalog.tables) {
        assert_eq!(&table.name, name);
        assert_eq!(table.schema, "dbo");
        assert_eq!(table.source, LegacyTable::from_name(name).unwrap());
        let got: Vec<(String, SqlType, bool)> = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.sql_type, c.nullable))
            .collect();
        assert_eq!(&got, columns, "{name}");
        assert_eq!(&table.primary_key, key, "{name}");
        // Every column is fed by the field of the same name in snake case.
        for c in &table.columns {
            let snake: String = c
                .name
                .chars()
                .enumerate()
                .flat_map(|(i, ch)| {
                    if ch.is_uppercase() && i > 0 {
                        vec!['_', ch.to_ascii_lowercase()]
                    } else {
                        vec![ch.to_ascii_lowercase()]
                    }
                })
                .collect();
            let field = c.field.as_deref().unwrap();
            assert!(
                field == snake
                    || (name == "ProfileVisits" && c.name == "VisitId")
                    || (name == "PhotoLikes" && c.name == "LikeId"),
                "{name}.{}: {field}",
                c.name
            );
        }
    }
    catalog.validate().unwrap();
}

#[test]
fn a_catalog_with_unknown_fields_or_keys_is_refused() {
    let mut c = Catalog::legacy();
    c.table_mut("Members").columns[1].field = Some("nick".into());
    assert!(c.validate().unwrap_err().contains("no field \"nick\""));
    let mut c = Catalog::legacy();
    c.table_mut("dbo.Flirts").primary_key = vec!["Nope".into()];
    assert!(c.validate().is_err());
    let mut config = ServerConfig::new(tiny());
    config.catalog = c;
    assert!(
        pancake_tds_test_server::Server::start_blocking(config, "127.0.0.1:0".parse().unwrap())
            .is_err()
    );
}

/// `tiny` served with the [`edited`] catalog, and a client logged in.
async fn serve_edited_and_connect() -> (Server, Conn) {
    let mut config = ServerConfig::new(tiny());
    config.catalog = edited();
    let server = serve(config).await;
    let client = connect(&server).await;
    (server, client)
}

fn edited() -> Catalog {
    let mut c = Catalog::legacy();
    let m = c.table_mut("Members");
    m.set_type("MemberId", SqlType::BigInt)
        .set_type("RegisteredAt", SqlType::DateTimeOffset { scale: 7 })
        .set_type("BirthDate", SqlType::DateTime2 { scale: 0 })
        .set_type("Email", SqlType::VarChar(Len::N(254)))
        .set_type("City", SqlType::NChar(100))
        .set_type("PortraitUrl", SqlType::NText)
        .set_type("Nickname", SqlType::NVarChar(Len::N(5)))
        .rename_column("DeletedAt", "RemovedAt");
    m.column_mut("RegisteredAt").unwrap().offset_minutes = 120;
    m.columns
        .push(ColumnDef::new("Score", None, SqlType::Int, false));
    m.columns.push(ColumnDef::new(
        "Note",
        None,
        SqlType::NVarChar(Len::Max),
        true,
    ));
    m.name = "Member".into();
    let f = c.table_mut("Favorites");
    f.primary_key = vec!["MemberId".into(), "FavoriteId".into()];
    let p = c.table_mut("Photos");
    p.set_type("PhotoId", SqlType::UniqueIdentifier);
    p.primary_key = vec!["MemberId".into(), "PhotoId".into()];
    c
}

#[tokio::test]
async fn an_edited_catalog_shows_in_information_schema() {
    let (_server, mut client) = serve_edited_and_connect().await;
    let sql = "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH FROM INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @P1 AND c.TABLE_NAME = @P2 ORDER BY c.ORDINAL_POSITION";
    let r = rows(&mut client, sql, &[&"dbo", &"Member"]).await;
    let got: Vec<(String, String, Option<i32>)> = r
        .iter()
        .map(|r| {
            (
                r.get::<&str, _>(0).unwrap().into(),
                r.get::<&str, _>(1).unwrap().into(),
                r.get::<i32, _>(2),
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        vec![
            (s("MemberId"), s("bigint"), None),
            (s("Nickname"), s("nvarchar"), Some(5)),
            (s("Email"), s("varchar"), Some(254)),
            (s("Gender"), s("tinyint"), None),
            (s("BirthDate"), s("datetime2"), None),
            (s("City"), s("nchar"), Some(100)),
            (s("RegisteredAt"), s("datetimeoffset"), None),
            (s("ApprovedAt"), s("datetime"), None),
            (s("PortraitUrl"), s("ntext"), Some(1_073_741_823)),
            (s("RemovedAt"), s("datetime"), None),
            (s("ProfileText"), s("nvarchar"), Some(2000)),
            (s("HeightCm"), s("smallint"), None),
            (s("LastLoginAt"), s("datetime"), None),
            (s("Score"), s("int"), None),
            (s("Note"), s("nvarchar"), Some(-1)),
        ]
    );
    assert!(
        rows(&mut client, sql, &[&"dbo", &"Members"])
            .await
            .is_empty()
    );
    let e = client
        .query("SELECT COUNT(*) FROM dbo.Members", &[])
        .await
        .unwrap_err();
    assert_eq!(server_error(e).0, 208);
    let pk = "SELECT k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @P1 AND t.TABLE_NAME = @P2 ORDER BY k.ORDINAL_POSITION";
    for (table, key) in [
        ("Photos", vec!["MemberId", "PhotoId"]),
        // Some favorite has a NULL MemberId in tiny: no server could hold
        // that key, so the table is served as a heap.
        ("Favorites", vec![]),
    ] {
        let keys: Vec<String> = rows(&mut client, pk, &[&"dbo", &table])
            .await
            .iter()
            .map(|r| r.get::<&str, _>(0).unwrap().to_owned())
            .collect();
        assert_eq!(keys, key, "{table}");
    }
    let r = rows(&mut client, sql, &[&"dbo", &"Photos"]).await;
    assert_eq!(r[0].get::<&str, _>(1), Some("uniqueidentifier"));
}

#[tokio::test]
async fn values_are_stored_as_the_edited_types_hold_them() {
    let (_server, mut client) = serve_edited_and_connect().await;
    let members = records::<Member>(tiny(), LegacyTable::Members);
    let r = rows(
        &mut client,
        "SELECT TOP (@P1) WITH TIES [MemberId], CAST([Nickname] AS varbinary(8000)) AS [Nickname], [Email], [BirthDate], [City], [RegisteredAt], [PortraitUrl], \
         [Score], [Note], CAST([City] AS nvarchar(100)) AS [CityText], CAST(CAST([Email] AS nvarchar(254)) AS varbinary(8000)) AS [EmailBytes] \
         FROM [dbo].[Member] WHERE [MemberId] > @P2 AND [MemberId] <= @P3 ORDER BY [MemberId]",
        &[&50i64, &0i64, &i64::MAX],
    )
    .await;
    assert_eq!(r.len(), 50);
    let mut cities = 0;
    for (row, m) in r.into_iter().zip(&members) {
        assert_eq!(row.get::<i64, _>("MemberId"), Some(i64::from(m.member_id)));
        // Cut to five UTF-16 units (which may split a surrogate pair, as on
        // SQL Server), from the raw units when the dump has them.
        let units: Option<Vec<u8>> = match m.raw_texts.iter().find(|r| r.column == "nickname") {
            Some(raw) => Some(raw.utf16le.clone()),
            None => m.nickname.as_deref().map(utf16le),
        };
        let cut = units.map(|u| u[..u.len().min(10)].to_vec());
        assert_eq!(row.get::<&[u8], _>("Nickname").map(<[u8]>::to_vec), cut);
        assert_eq!(row.get::<&str, _>("Email"), m.email.as_deref());
        assert_eq!(
            row.get::<&[u8], _>("EmailBytes").map(<[u8]>::to_vec),
            m.email.as_deref().map(utf16le)
        );
        match m.city.as_deref() {
            Some(city) => {
                cities += 1;
                let padded = format!("{city:<100}");
                assert_eq!(row.get::<&str, _>("City"), Some(padded.as_str()));
                assert_eq!(row.get::<&str, _>("CityText"), Some(padded.as_str()));
            }
            None => assert_eq!(row.get::<&str, _>("City"), None),
        }
        assert_eq!(row.get::<&str, _>("PortraitUrl"), m.portrait_url.as_deref());
        assert_eq!(row.get::<i32, _>("Score"), Some(m.member_id));
        assert_eq!(row.get::<&str, _>("Note"), None);
        let cells: Vec<ColumnData<'static>> = row.into_iter().collect();
        match (&cells[3], m.birth_date.as_ref()) {
            (ColumnData::DateTime2(Some(dt)), Some(d)) => {
                use chrono::Datelike;
                let date =
                    chrono::NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32).unwrap();
                assert_eq!(dt.date().days() as i32, date.num_days_from_ce() - 1);
                assert_eq!((dt.time().scale(), dt.time().increments()), (0, 0));
            }
            (ColumnData::DateTime2(None), None) => {}
            other => panic!("{other:?}"),
        }
        match (&cells[5], m.registered_at.as_ref()) {
            (ColumnData::DateTimeOffset(Some(dto)), Some(t)) => {
                assert_eq!(dto.offset(), 120);
                assert_eq!(
                    datetime2_parts(dto.datetime2()),
                    (t.seconds, t.nanos as u64)
                );
            }
            (ColumnData::DateTimeOffset(None), None) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(cities > 30);
}

#[tokio::test]
async fn a_uniqueidentifier_key_sorts_as_the_integers_it_is_made_of() {
    let (_server, mut client) = serve_edited_and_connect().await;
    let photos = records::<Photo>(tiny(), LegacyTable::Photos);
    let r = rows(
        &mut client,
        "SELECT TOP (3) [PhotoId], [Url] FROM [dbo].[Photos] ORDER BY [PhotoId]",
        &[],
    )
    .await;
    let ids: Vec<String> = r
        .iter()
        .map(|r| r.get::<tiberius::Uuid, _>(0).unwrap().to_string())
        .collect();
    let expected: Vec<String> = photos[..3]
        .iter()
        .map(|p| format!("00000000-0000-0000-0000-{:012x}", p.photo_id))
        .collect();
    assert_eq!(ids, expected);
    let r = rows(
        &mut client,
        "SELECT MIN([PhotoId]), MAX([PhotoId]) FROM [dbo].[Photos]",
        &[],
    )
    .await;
    assert_eq!(
        r[0].get::<tiberius::Uuid, _>(1).unwrap().to_string(),
        format!(
            "00000000-0000-0000-0000-{:012x}",
            photos.last().unwrap().photo_id
        )
    );
    // Compared with a uniqueidentifier parameter: a filter.
    let id = tiberius::Uuid::parse_str(&expected[1]).unwrap();
    let r = rows(
        &mut client,
        "SELECT [Url] FROM [dbo].[Photos] WHERE [PhotoId] = @P1",
        &[&id],
    )
    .await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].get::<&str, _>(0), photos[1].url.as_deref());
    // An integer keyset page on it clashes, as on SQL Server.
    let e = client
        .query(
            "SELECT TOP (@P1) WITH TIES [PhotoId] FROM [dbo].[Photos] WHERE [PhotoId] > @P2 AND [PhotoId] <= @P3 ORDER BY [PhotoId]",
            &[&10i64, &0i64, &100i64],
        )
        .await
        .unwrap_err();
    assert_eq!(
        server_error(e),
        (
            206,
            16,
            "Operand type clash: uniqueidentifier is incompatible with bigint".to_owned()
        )
    );
}

#[tokio::test]
async fn order_by_other_than_the_key_is_refused_clearly() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let e = client
        .query(
            "SELECT [MemberId] FROM [dbo].[Members] ORDER BY [Nickname]",
            &[],
        )
        .await
        .unwrap_err();
    let (code, _, message) = server_error(e);
    assert_eq!(code, 50000);
    assert!(message.contains("ORDER BY the key column"), "{message}");
    // Filters on other columns work (a scan).
    let r = rows(
        &mut client,
        "SELECT COUNT(*) FROM [dbo].[Members] WHERE [Gender] = @P1 AND [City] IS NOT NULL",
        &[&2i32],
    )
    .await;
    let members = records::<Member>(tiny(), LegacyTable::Members);
    let expected = members
        .iter()
        .filter(|m| m.gender == Some(2) && m.city.is_some())
        .count();
    assert_eq!(r[0].get::<i32, _>(0), Some(expected as i32));
}

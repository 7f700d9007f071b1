//! Every table read through a SQL Server client that is not tiberius:
//! python-tds (pytds, pure Python; see `python_client/`), as a new user
//! would point it at the server, and every value of every row compared with
//! the dump's record, read straight from the dump.
//!
//! What the client must see is what SQL Server would send for the served
//! column (the dump's `tiny` with the later columns filled: NULLs, empty
//! text, text at its column's limit, emoji, lone surrogates, extreme
//! `smallint`s, both `bit`s):
//!
//! - integers as numbers, `bit` as true/false, NULL as null;
//! - `nvarchar`/`varchar` as the text; text with a lone UTF-16 surrogate as
//!   the exact UTF-16 units the dump's `raw_texts` keeps (SQL Server stores
//!   and sends nvarchar as UTF-16 units, unpaired ones included; pytds,
//!   which decodes strictly, raises UnicodeDecodeError on them, so the
//!   script reads them with `surrogatepass`, and one test shows the strict
//!   failure);
//! - `date` as the day; `datetime` rounded to its 1/300 s tick and shown in
//!   milliseconds (.000, .003, .007) as pytds and SQL Server show it.
//!
//! Rows whose key repeats (a heap's) may come in any order among
//! themselves on SQL Server, so they are compared as a set; keys must
//! ascend.

mod common;
mod python_client;

use common::*;
use pancake_proto::{LegacyTable, Record, legacy};
use pancake_tds_test_server::TlsConfig;
use pancake_tds_test_server::{BackgroundServer, Catalog, ColumnDef, ServerConfig, SqlType};
use prost_reflect::ReflectMessage as _;
use prost_reflect::{DynamicMessage, Value as Field};
use python_client::{Read, Session, read_all};
use serde_json::{Value, json};

fn dynamic<R: Record>(dump: &std::path::Path, table: LegacyTable) -> Vec<DynamicMessage> {
    let descriptor = pancake_proto::descriptor_pool()
        .get_message_by_name(table.record_type())
        .unwrap();
    records::<R>(dump, table)
        .iter()
        .map(|r| DynamicMessage::decode(descriptor.clone(), r.encode_to_vec().as_slice()).unwrap())
        .collect()
}

/// Every record of `table` in the dump, as a message read by field name.
fn dump_records(dump: &std::path::Path, table: LegacyTable) -> Vec<DynamicMessage> {
    use LegacyTable::*;
    match table {
        Members => dynamic::<legacy::Member>(dump, table),
        Flirts => dynamic::<legacy::Flirt>(dump, table),
        Messages => dynamic::<legacy::Message>(dump, table),
        Blocks => dynamic::<legacy::Block>(dump, table),
        Favorites => dynamic::<legacy::Favorite>(dump, table),
        ProfileVisits => dynamic::<legacy::ProfileVisit>(dump, table),
        Photos => dynamic::<legacy::Photo>(dump, table),
        PhotoLikes => dynamic::<legacy::PhotoLike>(dump, table),
        SearchProfiles => dynamic::<legacy::SearchProfile>(dump, table),
    }
}

/// A `datetime` as SQL Server holds the instant (rounded to the nearest
/// 1/300 s) and pytds shows it (the tick in milliseconds, rounded).
fn datetime_text(seconds: i64, nanos: i64) -> String {
    let nanos_of_day = seconds.rem_euclid(86_400) * 1_000_000_000 + nanos;
    let ticks = (nanos_of_day * 3 + 5_000_000) / 10_000_000;
    let start_of_day = seconds - seconds.rem_euclid(86_400);
    let (whole, tick) = (ticks / 300, ticks % 300);
    let millis = (tick * 10 + 1) / 3;
    chrono::DateTime::from_timestamp(start_of_day + whole, (millis * 1_000_000) as u32)
        .expect("a datetime in range")
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// What a client reads in `column` of the row served from `record`.
fn expected(record: &DynamicMessage, column: &ColumnDef) -> Value {
    let field_name = column
        .field
        .as_deref()
        .expect("every legacy column has a field");
    let field = record.descriptor().get_field_by_name(field_name).unwrap();
    if field.supports_presence() && !record.has_field(&field) {
        return Value::Null;
    }
    let raw = record
        .get_field_by_name("raw_texts")
        .and_then(|l| l.as_list().map(<[Field]>::to_vec))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.as_message().cloned())
        .find(|r| r.get_field_by_name("column").unwrap().as_str() == Some(field_name));
    let message_field =
        |m: &DynamicMessage, name: &str| m.get_field_by_name(name).unwrap().into_owned();
    match (record.get_field(&field).into_owned(), &column.sql_type) {
        (Field::Bool(b), SqlType::Bit) => json!(b),
        (Field::I32(i), _) => json!(i),
        (Field::I64(i), _) => json!(i),
        (Field::U32(i), _) => json!(i),
        (Field::String(s), _) => match raw {
            Some(raw) => {
                let units = message_field(&raw, "utf16le");
                let hex: String = units
                    .as_bytes()
                    .unwrap()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                json!({ "utf16le": hex })
            }
            None => json!(s),
        },
        (Field::Message(m), SqlType::DateTime) => json!(datetime_text(
            message_field(&m, "seconds").as_i64().unwrap(),
            i64::from(message_field(&m, "nanos").as_i32().unwrap()),
        )),
        (Field::Message(m), SqlType::Date) => {
            let part = |name| message_field(&m, name).as_i32().unwrap();
            json!(format!(
                "{:04}-{:02}-{:02}",
                part("year"),
                part("month"),
                part("day")
            ))
        }
        (value, ty) => panic!("{field_name}: no expected form of {value:?} in a {ty:?} column"),
    }
}

/// pytds's type code for a column of type `ty` (a client below TDS 7.3
/// gets `date` as nvarchar).
fn type_code(ty: &SqlType, has_dates: bool) -> i64 {
    match ty {
        SqlType::Int => 56,
        SqlType::BigInt => 127,
        SqlType::TinyInt => 48,
        SqlType::SmallInt => 52,
        SqlType::Bit => 50,
        SqlType::NVarChar(_) => 231,
        SqlType::VarChar(_) => 167,
        SqlType::DateTime => 61,
        SqlType::Date if has_dates => 40,
        SqlType::Date => 231,
        other => panic!("no pytds type code for {other:?} here"),
    }
}

/// Rows ordered by key, then by their text: the order among equal keys is
/// not SQL Server's to keep.
fn by_key(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by_cached_key(|r| (r[0].as_i64().unwrap(), serde_json::to_string(r).unwrap()));
    rows
}

/// Checks what one run read against the dump; returns the rows compared.
fn check(session: &Session, dump: &std::path::Path, has_dates: bool) -> usize {
    let catalog = Catalog::legacy();
    let names = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        names(session.tables.iter().map(|t| t.name.clone()).collect()),
        names(catalog.tables.iter().map(|t| t.qualified_name()).collect()),
        "every table, and only those"
    );
    let mut total = 0;
    for def in &catalog.tables {
        let read = session
            .tables
            .iter()
            .find(|t| t.name == def.qualified_name())
            .unwrap();
        let table = &read.name;
        let columns: Vec<String> = def.columns.iter().map(|c| c.name.clone()).collect();
        assert_eq!(read.columns, columns, "{table}: columns");
        assert_eq!(read.key, columns[0], "{table}: key");
        let types: Vec<i64> = def
            .columns
            .iter()
            .map(|c| type_code(&c.sql_type, has_dates))
            .collect();
        assert_eq!(read.types, types, "{table}: column types");
        let keys: Vec<i64> = read.rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
        assert!(keys.is_sorted(), "{table}: rows in key order");
        let want: Vec<Vec<Value>> = dump_records(dump, def.source)
            .iter()
            .map(|r| def.columns.iter().map(|c| expected(r, c)).collect())
            .collect();
        assert_eq!(read.rows.len(), want.len(), "{table}: rows");
        for (i, (got, want)) in by_key(read.rows.clone())
            .iter()
            .zip(by_key(want))
            .enumerate()
        {
            for ((g, w), name) in got.iter().zip(&want).zip(&columns) {
                assert_eq!(g, w, "{table} row {i} (key {}), column {name}", want[0]);
            }
        }
        total += read.rows.len();
    }
    total
}

fn serve(config: ServerConfig) -> BackgroundServer {
    BackgroundServer::start(config).expect("the server starts")
}

/// Rows in `tiny` with the later columns filled, all tables.
const ROWS: usize = 6_510;

#[test]
fn pytds_reads_every_table_as_the_dump_holds_it() {
    let dump = tiny_filled();
    let server = serve(ServerConfig::new(dump));
    // As a new user connects: pytds's defaults (TDS 7.4, no TLS, autocommit
    // off), plain SELECTs.
    let session = read_all(server.port(), USER, PASSWORD, &Read::default());
    assert_eq!(session.tds_version, "74000004");
    // pytds opens a transaction when it connects, and another when it
    // commits, as on SQL Server.
    assert_eq!(session.trancount, 1);
    assert_eq!(session.trancount_after_commit, Some(1));
    assert_eq!(check(&session, dump, true), ROWS);
    // The same through sp_executesql with a parameter.
    let read = Read {
        parameterized: true,
        ..Read::default()
    };
    let session = read_all(server.port(), USER, PASSWORD, &read);
    assert_eq!(check(&session, dump, true), ROWS);
}

#[test]
fn pytds_reads_every_table_at_tds_7_1_to_7_3() {
    let dump = tiny_filled();
    let server = serve(ServerConfig::new(dump));
    for (version, agreed, has_dates) in [
        ("7.1", "71000001", false),
        ("7.2", "72090002", false),
        ("7.3", "730b0003", true),
    ] {
        let read = Read {
            tds_version: Some(version),
            // Below 7.2, text parameters go as ntext.
            parameterized: true,
            ..Read::default()
        };
        let session = read_all(server.port(), USER, PASSWORD, &read);
        assert_eq!(session.tds_version, agreed);
        // Below 7.2 pytds begins and commits in T-SQL (IF @@TRANCOUNT > 0
        // COMMIT BEGIN TRANSACTION).
        assert_eq!(session.trancount, 1, "{version}");
        assert_eq!(session.trancount_after_commit, Some(1), "{version}");
        assert_eq!(check(&session, dump, has_dates), ROWS, "{version}");
    }
}

#[test]
fn pytds_reads_every_table_over_tls_1_2_whole_or_login_only() {
    let dump = tiny_filled();
    let tls = TlsConfig::self_signed().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    tls.write_ca_pem(&ca).unwrap();
    let mut config = ServerConfig::new(dump);
    config.tls = Some(tls);
    let server = serve(config);
    for login_only_tls in [false, true] {
        let read = Read {
            ca_file: Some(ca.clone()),
            login_only_tls,
            ..Read::default()
        };
        let session = read_all(server.port(), USER, PASSWORD, &read);
        assert_eq!(
            check(&session, dump, true),
            ROWS,
            "login only: {login_only_tls}"
        );
    }
}

#[test]
fn pytds_decoding_strictly_fails_on_a_lone_surrogate_as_against_sql_server() {
    let dump = tiny_filled();
    let server = serve(ServerConfig::new(dump));
    let read = Read {
        strict_text: true,
        ..Read::default()
    };
    let out = python_client::run(server.port(), USER, PASSWORD, &read);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("UnicodeDecodeError: 'utf-16-le' codec can't decode"),
        "{stderr}"
    );
    // It fails in the first table (by name) holding one: Flirts' notes.
    let last_table = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rfind(|l| l.starts_with("{\"table\""))
        .map(str::to_owned)
        .unwrap();
    assert!(last_table.contains("\"dbo.Flirts\""), "{last_table}");
}

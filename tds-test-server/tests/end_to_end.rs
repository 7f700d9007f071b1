//! A tiny dump served end to end: every table read through the extractor's
//! statements (columns, key, bounds, count, keyset pages with text as
//! varbinary) comes back equal to the dump's records, field by field,
//! `raw_texts` included; also with the later columns (profile text, height,
//! flirt kind, note, sender IP, subject, deleted flags) filled.

mod common;

use common::*;
use pancake_proto::legacy;
use pancake_proto::{LegacyTable, Record};
use pancake_tds_test_server::{Catalog, ServerConfig};
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, Value};
use tiberius::ColumnData;

struct Column {
    name: String,
    data_type: String,
    max_len: Option<i32>,
}

/// Reads `dbo.<table>` the way the extractor does and rebuilds its records.
async fn read_table(client: &mut Conn, table: LegacyTable, page_rows: i64) -> Vec<DynamicMessage> {
    let name = table.sql_name();
    let columns: Vec<Column> = rows(
        client,
        "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @P1 AND c.TABLE_NAME = @P2 ORDER BY c.ORDINAL_POSITION",
        &[&"dbo", &name],
    )
    .await
    .iter()
    .map(|r| Column {
        name: r.get::<&str, _>(0).unwrap().to_owned(),
        data_type: r.get::<&str, _>(1).unwrap().to_owned(),
        max_len: r.get::<i32, _>(2),
    })
    .collect();
    // The key is the first column (the dump's key field), as the extractor
    // maps it: a table whose rows repeat it is a heap, without a primary key.
    let key = columns[0].name.clone();
    let bounds = rows(
        client,
        &format!("SELECT MIN([{key}]), MAX([{key}]) FROM [dbo].[{name}]"),
        &[],
    )
    .await;
    let as_i64 = |c: &ColumnData<'static>| match c {
        ColumnData::I32(v) => v.map(i64::from),
        ColumnData::I64(v) => *v,
        c => panic!("{c:?}"),
    };
    let cells: Vec<ColumnData<'static>> = bounds.into_iter().next().unwrap().into_iter().collect();
    let (min, max) = (as_i64(&cells[0]).unwrap(), as_i64(&cells[1]).unwrap());
    let items: Vec<String> = columns
        .iter()
        .map(|c| match c.data_type.as_str() {
            "nvarchar" => format!(
                "CAST([{0}] AS varbinary({1})) AS [{0}]",
                c.name,
                if c.max_len == Some(-1) {
                    "max".into()
                } else {
                    "8000".to_string()
                }
            ),
            _ => format!("[{}]", c.name),
        })
        .collect();
    let page = format!(
        "SELECT TOP (@P1) WITH TIES {} FROM [dbo].[{name}] WHERE [{key}] > @P2 AND [{key}] <= @P3 ORDER BY [{key}]",
        items.join(", ")
    );
    let catalog = Catalog::legacy();
    let def = catalog.table(name).unwrap();
    let descriptor = pancake_proto::descriptor_pool()
        .get_message_by_name(table.record_type())
        .unwrap();
    let raw_text = pancake_proto::descriptor_pool()
        .get_message_by_name("pancake.legacy.v1.RawText")
        .unwrap();
    let mut out = Vec::new();
    let mut lower = min - 1;
    loop {
        let page_rows = rows(client, &page, &[&page_rows, &lower, &max]).await;
        if page_rows.is_empty() {
            break;
        }
        for row in page_rows {
            let mut m = DynamicMessage::new(descriptor.clone());
            let mut raws = Vec::new();
            let names: Vec<String> = row.columns().iter().map(|c| c.name().to_owned()).collect();
            for (col, cell) in names.iter().zip(row) {
                let field_name = def.column(col).unwrap().field.clone().unwrap();
                let field = descriptor.get_field_by_name(&field_name).unwrap();
                let value = match (cell, field.kind()) {
                    (
                        ColumnData::I32(None)
                        | ColumnData::I64(None)
                        | ColumnData::U8(None)
                        | ColumnData::I16(None)
                        | ColumnData::Bit(None)
                        | ColumnData::String(None),
                        _,
                    )
                    | (ColumnData::Binary(None), _)
                    | (ColumnData::Date(None), _)
                    | (ColumnData::DateTime(None), _) => continue,
                    (ColumnData::I32(Some(v)), Kind::Int32) => Value::I32(v),
                    (ColumnData::I64(Some(v)), Kind::Int64) => Value::I64(v),
                    (ColumnData::U8(Some(v)), Kind::Uint32) => Value::U32(u32::from(v)),
                    (ColumnData::I16(Some(v)), Kind::Uint32) => {
                        Value::U32(u32::try_from(v).unwrap())
                    }
                    (ColumnData::Bit(Some(v)), Kind::Bool) => Value::Bool(v),
                    // varchar: single-byte text, here only ASCII.
                    (ColumnData::String(Some(s)), Kind::String) => Value::String(s.into_owned()),
                    (ColumnData::Binary(Some(b)), Kind::String) => {
                        let units: Vec<u16> = b
                            .chunks_exact(2)
                            .map(|c| u16::from_le_bytes([c[0], c[1]]))
                            .collect();
                        match String::from_utf16(&units) {
                            Ok(s) => Value::String(s),
                            Err(_) => {
                                let mut r = DynamicMessage::new(raw_text.clone());
                                r.set_field_by_name("column", Value::String(field_name.clone()));
                                r.set_field_by_name("utf16le", Value::Bytes(b.to_vec().into()));
                                raws.push(Value::Message(r));
                                Value::String(String::from_utf16_lossy(&units))
                            }
                        }
                    }
                    (ColumnData::Date(Some(d)), Kind::Message(md)) => {
                        use chrono::Datelike;
                        let date =
                            chrono::NaiveDate::from_num_days_from_ce_opt(d.days() as i32 + 1)
                                .unwrap();
                        let mut v = DynamicMessage::new(md);
                        v.set_field_by_name("year", Value::I32(date.year()));
                        v.set_field_by_name("month", Value::I32(date.month() as i32));
                        v.set_field_by_name("day", Value::I32(date.day() as i32));
                        Value::Message(v)
                    }
                    (ColumnData::DateTime(Some(dt)), Kind::Message(md)) => {
                        let fragments = i64::from(dt.seconds_fragments());
                        let seconds = (i64::from(dt.days()) - 25_567) * 86_400 + fragments / 300;
                        let nanos = (fragments % 300) * 10_000_000 / 3;
                        let mut v = DynamicMessage::new(md);
                        v.set_field_by_name("seconds", Value::I64(seconds));
                        v.set_field_by_name("nanos", Value::I32(nanos as i32));
                        Value::Message(v)
                    }
                    (cell, kind) => panic!("{name}.{col}: {cell:?} for a {kind:?} field"),
                };
                m.set_field(&field, value);
            }
            if !raws.is_empty() {
                m.set_field_by_name("raw_texts", Value::List(raws));
            }
            lower = m
                .get_field(&descriptor.get_field(1).unwrap())
                .as_i64()
                .or_else(|| {
                    m.get_field(&descriptor.get_field(1).unwrap())
                        .as_i32()
                        .map(i64::from)
                })
                .unwrap();
            out.push(m);
        }
    }
    out
}

fn same<R: Record + PartialEq + std::fmt::Debug>(
    got: &[DynamicMessage],
    table: LegacyTable,
    dump: &std::path::Path,
) -> usize {
    let expected = records::<R>(dump, table);
    assert_eq!(got.len(), expected.len(), "{table}: rows");
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        let g = R::decode(g.encode_to_vec().as_slice()).unwrap();
        assert_eq!(&g, e, "{table} row {i}");
    }
    expected.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_every_table_comes_back_as_the_dump_holds_it() {
    // tiny_filled: the later columns (smallint, tinyint, bit, varchar,
    // nvarchar at its limit, lone surrogates) both NULL and not.
    for dump in [tiny(), tiny_small_parts(), tiny_filled()] {
        let server = serve(ServerConfig::new(dump)).await;
        let mut client = connect(&server).await;
        let mut total = 0;
        for table in LegacyTable::ALL {
            let got = read_table(&mut client, table, 97).await;
            total += match table {
                LegacyTable::Members => same::<legacy::Member>(&got, table, dump),
                LegacyTable::Flirts => same::<legacy::Flirt>(&got, table, dump),
                LegacyTable::Messages => same::<legacy::Message>(&got, table, dump),
                LegacyTable::Blocks => same::<legacy::Block>(&got, table, dump),
                LegacyTable::Favorites => same::<legacy::Favorite>(&got, table, dump),
                LegacyTable::ProfileVisits => same::<legacy::ProfileVisit>(&got, table, dump),
                LegacyTable::Photos => same::<legacy::Photo>(&got, table, dump),
                LegacyTable::PhotoLikes => same::<legacy::PhotoLike>(&got, table, dump),
                LegacyTable::SearchProfiles => same::<legacy::SearchProfile>(&got, table, dump),
            };
        }
        assert_eq!(total, 6_510);
        // Counting every table matches too.
        for table in LegacyTable::ALL {
            let key = Catalog::legacy()
                .table(table.sql_name())
                .unwrap()
                .primary_key[0]
                .clone();
            let r = rows(
                &mut client,
                &format!(
                    "SELECT COUNT_BIG(*) FROM [dbo].[{}] WHERE [{key}] <= @P1",
                    table.sql_name()
                ),
                &[&i64::MAX],
            )
            .await;
            let expected = pancake_proto::Manifest::load(dump)
                .unwrap()
                .table(table.name())
                .unwrap()
                .records();
            assert_eq!(r[0].get::<i64, _>(0), Some(expected as i64));
        }
    }
}

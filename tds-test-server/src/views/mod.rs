//! The catalog views the server answers: `INFORMATION_SCHEMA.COLUMNS`,
//! `TABLES`, `TABLE_CONSTRAINTS`, `KEY_COLUMN_USAGE`, and `sys.tables`,
//! `sys.schemas`, `sys.partitions`, made from the catalog and the dump's
//! manifest on demand; `sys.indexes`, `sys.index_columns` and `sys.columns`
//! are in `indexes.rs`.

mod indexes;

use crate::catalog::{ColumnDef, Len, SqlType, TableDef};
use crate::exec::{Env, VirtualTable, object_id};
use crate::value::{Value, cp1252_encode};
use std::borrow::Cow;

pub(super) const NAME: SqlType = SqlType::NVarChar(Len::N(128));

pub(super) fn text(s: &str) -> Value<'static> {
    Value::text(s)
}

fn ansi(s: &str) -> Value<'static> {
    Value::Ansi(Cow::Owned(cp1252_encode(
        &s.encode_utf16().collect::<Vec<_>>(),
    )))
}

pub(super) fn opt_int<T: Into<i64>>(v: Option<T>) -> Value<'static> {
    v.map_or(Value::Null, |v| Value::Int(v.into()))
}

/// A view's column: name, type, nullable.
type ViewCol = (&'static str, SqlType, bool);

/// The columns that name a table, in the `INFORMATION_SCHEMA` views.
const TABLE_COLS: [ViewCol; 3] = [
    ("TABLE_CATALOG", NAME, true),
    ("TABLE_SCHEMA", NAME, true),
    ("TABLE_NAME", NAME, false),
];

/// The columns that name a constraint, in the `INFORMATION_SCHEMA` views
/// over constraints.
const CONSTRAINT_COLS: [ViewCol; 3] = [
    ("CONSTRAINT_CATALOG", NAME, true),
    ("CONSTRAINT_SCHEMA", NAME, true),
    ("CONSTRAINT_NAME", NAME, false),
];

/// `t`'s values for [`TABLE_COLS`].
fn table_names(db: &str, t: &TableDef) -> [Value<'static>; 3] {
    [text(db), text(&t.schema), text(&t.name)]
}

/// The values of `t`'s primary key for [`CONSTRAINT_COLS`].
fn primary_key_names(db: &str, t: &TableDef) -> [Value<'static>; 3] {
    [text(db), text(&t.schema), text(&t.primary_key_name())]
}

/// `INFORMATION_SCHEMA.COLUMNS`'s row for `c`, column `i` (from 0) of `t`.
fn column_row(db: &str, t: &TableDef, i: usize, c: &ColumnDef) -> Vec<Value<'static>> {
    let ty = &c.sql_type;
    let chars = ty.character_maximum_length();
    let octets = chars.map(|n| {
        if n > 0 && matches!(ty, SqlType::NChar(_) | SqlType::NVarChar(_)) {
            n * 2
        } else {
            n
        }
    });
    let radix = ty.numeric_precision().map(|_| {
        if matches!(ty, SqlType::Float | SqlType::Real) {
            2i16
        } else {
            10
        }
    });
    let (charset, collation) = if ty.is_unicode() {
        (Some("UNICODE"), Some("SQL_Latin1_General_CP1_CI_AS"))
    } else if ty.is_ansi() {
        (Some("iso_1"), Some("SQL_Latin1_General_CP1_CI_AS"))
    } else {
        (None, None)
    };
    [
        &table_names(db, t)[..],
        &[
            text(&c.name),
            Value::Int(i as i64 + 1),
            Value::Null,
            ansi(if c.nullable { "YES" } else { "NO" }),
            text(ty.name()),
            opt_int(chars),
            opt_int(octets),
            opt_int(ty.numeric_precision()),
            opt_int(radix),
            opt_int(ty.numeric_scale()),
            opt_int(ty.datetime_precision()),
            charset.map_or(Value::Null, text),
            collation.map_or(Value::Null, text),
        ],
    ]
    .concat()
}

/// The view a FROM clause names, if it names one.
pub(crate) fn lookup(env: &Env<'_>, parts: &[String]) -> Option<VirtualTable> {
    let (name, qualifier) = parts.split_last()?;
    let schema = match qualifier {
        [s] => s,
        [db, s] if db.eq_ignore_ascii_case(env.database) => s,
        _ => return None,
    };
    let name = name.to_ascii_uppercase();
    let db = env.database;
    let tables = &env.shared.catalog.tables;
    if schema.eq_ignore_ascii_case("INFORMATION_SCHEMA") {
        let vt = match name.as_str() {
            "COLUMNS" => VirtualTable {
                name: "COLUMNS".into(),
                cols: [
                    &TABLE_COLS[..],
                    &[
                        ("COLUMN_NAME", NAME, true),
                        ("ORDINAL_POSITION", SqlType::Int, true),
                        ("COLUMN_DEFAULT", SqlType::NVarChar(Len::N(4000)), true),
                        ("IS_NULLABLE", SqlType::VarChar(Len::N(3)), true),
                        ("DATA_TYPE", NAME, true),
                        ("CHARACTER_MAXIMUM_LENGTH", SqlType::Int, true),
                        ("CHARACTER_OCTET_LENGTH", SqlType::Int, true),
                        ("NUMERIC_PRECISION", SqlType::TinyInt, true),
                        ("NUMERIC_PRECISION_RADIX", SqlType::SmallInt, true),
                        ("NUMERIC_SCALE", SqlType::Int, true),
                        ("DATETIME_PRECISION", SqlType::SmallInt, true),
                        ("CHARACTER_SET_NAME", NAME, true),
                        ("COLLATION_NAME", NAME, true),
                    ],
                ]
                .concat(),
                rows: tables
                    .iter()
                    .flat_map(|t| {
                        t.columns
                            .iter()
                            .enumerate()
                            .map(move |(i, c)| column_row(db, t, i, c))
                    })
                    .collect(),
            },
            "TABLES" => VirtualTable {
                name: "TABLES".into(),
                cols: [
                    &TABLE_COLS[..],
                    &[("TABLE_TYPE", SqlType::VarChar(Len::N(10)), true)],
                ]
                .concat(),
                rows: tables
                    .iter()
                    .map(|t| [&table_names(db, t)[..], &[ansi("BASE TABLE")]].concat())
                    .collect(),
            },
            "TABLE_CONSTRAINTS" => VirtualTable {
                name: "TABLE_CONSTRAINTS".into(),
                cols: [
                    &CONSTRAINT_COLS[..],
                    &TABLE_COLS,
                    &[
                        ("CONSTRAINT_TYPE", SqlType::VarChar(Len::N(11)), true),
                        ("IS_DEFERRABLE", SqlType::VarChar(Len::N(2)), false),
                        ("INITIALLY_DEFERRED", SqlType::VarChar(Len::N(2)), false),
                    ],
                ]
                .concat(),
                rows: tables
                    .iter()
                    .filter(|t| !t.primary_key.is_empty())
                    .map(|t| {
                        let kind = [ansi("PRIMARY KEY"), ansi("NO"), ansi("NO")];
                        [&primary_key_names(db, t)[..], &table_names(db, t), &kind].concat()
                    })
                    .collect(),
            },
            "KEY_COLUMN_USAGE" => VirtualTable {
                name: "KEY_COLUMN_USAGE".into(),
                cols: [
                    &CONSTRAINT_COLS[..],
                    &TABLE_COLS,
                    &[
                        ("COLUMN_NAME", NAME, true),
                        ("ORDINAL_POSITION", SqlType::Int, false),
                    ],
                ]
                .concat(),
                rows: tables
                    .iter()
                    .flat_map(|t| {
                        t.primary_key.iter().enumerate().map(move |(i, k)| {
                            // The column's name as the table spells it.
                            let column = t.column(k).map_or(k.as_str(), |c| c.name.as_str());
                            let key = [text(column), Value::Int(i as i64 + 1)];
                            [&primary_key_names(db, t)[..], &table_names(db, t), &key].concat()
                        })
                    })
                    .collect(),
            },
            _ => return None,
        };
        return Some(vt);
    }
    if schema.eq_ignore_ascii_case("sys") {
        let schemas: Vec<&str> = {
            let mut s: Vec<&str> = tables.iter().map(|t| t.schema.as_str()).collect();
            s.push("dbo");
            s.sort_by_key(|n| n.to_ascii_lowercase());
            s.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            s
        };
        let schema_id = |name: &str| {
            if name.eq_ignore_ascii_case("dbo") {
                1
            } else {
                5 + schemas
                    .iter()
                    .position(|s| s.eq_ignore_ascii_case(name))
                    .unwrap_or(0) as i64
            }
        };
        let vt = match name.as_str() {
            "TABLES" | "OBJECTS" => VirtualTable {
                name: name.to_ascii_lowercase(),
                cols: vec![
                    ("name", NAME, false),
                    ("object_id", SqlType::Int, false),
                    ("schema_id", SqlType::Int, false),
                    ("type", SqlType::Char(2), true),
                    ("type_desc", SqlType::NVarChar(Len::N(60)), true),
                ],
                rows: tables
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        vec![
                            text(&t.name),
                            Value::Int(object_id(i)),
                            Value::Int(schema_id(&t.schema)),
                            ansi("U "),
                            text("USER_TABLE"),
                        ]
                    })
                    .collect(),
            },
            "SCHEMAS" => VirtualTable {
                name: "schemas".into(),
                cols: vec![
                    ("name", NAME, false),
                    ("schema_id", SqlType::Int, false),
                    ("principal_id", SqlType::Int, true),
                ],
                rows: schemas
                    .iter()
                    .map(|s| vec![text(s), Value::Int(schema_id(s)), Value::Int(1)])
                    .collect(),
            },
            "PARTITIONS" => VirtualTable {
                name: "partitions".into(),
                cols: vec![
                    ("partition_id", SqlType::BigInt, false),
                    ("object_id", SqlType::Int, false),
                    ("index_id", SqlType::Int, false),
                    ("partition_number", SqlType::Int, false),
                    ("hobt_id", SqlType::BigInt, false),
                    ("rows", SqlType::BigInt, true),
                    ("data_compression", SqlType::TinyInt, false),
                    ("data_compression_desc", SqlType::NVarChar(Len::N(60)), true),
                ],
                rows: tables
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let id = object_id(i);
                        let rows = env.shared.dump.parts(t.source).records();
                        // A clustered primary key is index 1; a heap is 0.
                        let index_id = if t.primary_key.is_empty() { 0 } else { 1 };
                        let partition = 72_057_594_000_000_000 + id * 65_536;
                        vec![
                            Value::Int(partition),
                            Value::Int(id),
                            Value::Int(index_id),
                            Value::Int(1),
                            Value::Int(partition),
                            Value::Int(rows as i64),
                            Value::Int(0),
                            text("NONE"),
                        ]
                    })
                    .collect(),
            },
            _ => return indexes::lookup(&name, tables),
        };
        return Some(vt);
    }
    None
}

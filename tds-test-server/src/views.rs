//! The catalog views the server answers: `INFORMATION_SCHEMA.COLUMNS`,
//! `TABLES`, `TABLE_CONSTRAINTS`, `KEY_COLUMN_USAGE`, and `sys.tables`,
//! `sys.schemas`, `sys.partitions`, made from the catalog and the dump's
//! manifest on demand.

use crate::catalog::{Len, SqlType, TableDef};
use crate::exec::{Env, VirtualTable, object_id};
use crate::value::{Value, cp1252_encode};
use std::borrow::Cow;

const NAME: SqlType = SqlType::NVarChar(Len::N(128));

fn text(s: &str) -> Value<'static> {
    Value::text(s)
}

fn ansi(s: &str) -> Value<'static> {
    Value::Ansi(Cow::Owned(cp1252_encode(
        &s.encode_utf16().collect::<Vec<_>>(),
    )))
}

fn opt_int<T: Into<i64>>(v: Option<T>) -> Value<'static> {
    v.map_or(Value::Null, |v| Value::Int(v.into()))
}

/// The columns of a view over constraints (`TABLE_CONSTRAINTS`,
/// `KEY_COLUMN_USAGE`): the six that name the constraint and its table,
/// then the view's own.
fn constraint_cols<const N: usize>(
    own: [(&'static str, SqlType, bool); N],
) -> Vec<(&'static str, SqlType, bool)> {
    let names = [
        ("CONSTRAINT_CATALOG", NAME, true),
        ("CONSTRAINT_SCHEMA", NAME, true),
        ("CONSTRAINT_NAME", NAME, false),
        ("TABLE_CATALOG", NAME, true),
        ("TABLE_SCHEMA", NAME, true),
        ("TABLE_NAME", NAME, false),
    ];
    names.into_iter().chain(own).collect()
}

/// A row of a view over constraints for `t`'s primary key: the constraint
/// and the table it belongs to (as [`constraint_cols`] names them), then
/// the view's own values.
fn primary_key_row<const N: usize>(
    db: &str,
    t: &TableDef,
    own: [Value<'static>; N],
) -> Vec<Value<'static>> {
    let names = [
        text(db),
        text(&t.schema),
        text(&t.primary_key_name()),
        text(db),
        text(&t.schema),
        text(&t.name),
    ];
    names.into_iter().chain(own).collect()
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
                cols: vec![
                    ("TABLE_CATALOG", NAME, true),
                    ("TABLE_SCHEMA", NAME, true),
                    ("TABLE_NAME", NAME, false),
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
                rows: tables
                    .iter()
                    .flat_map(|t| {
                        t.columns.iter().enumerate().map(move |(i, c)| {
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
                            vec![
                                text(db),
                                text(&t.schema),
                                text(&t.name),
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
                            ]
                        })
                    })
                    .collect(),
            },
            "TABLES" => VirtualTable {
                name: "TABLES".into(),
                cols: vec![
                    ("TABLE_CATALOG", NAME, true),
                    ("TABLE_SCHEMA", NAME, true),
                    ("TABLE_NAME", NAME, false),
                    ("TABLE_TYPE", SqlType::VarChar(Len::N(10)), true),
                ],
                rows: tables
                    .iter()
                    .map(|t| vec![text(db), text(&t.schema), text(&t.name), ansi("BASE TABLE")])
                    .collect(),
            },
            "TABLE_CONSTRAINTS" => VirtualTable {
                name: "TABLE_CONSTRAINTS".into(),
                cols: constraint_cols([
                    ("CONSTRAINT_TYPE", SqlType::VarChar(Len::N(11)), true),
                    ("IS_DEFERRABLE", SqlType::VarChar(Len::N(2)), false),
                    ("INITIALLY_DEFERRED", SqlType::VarChar(Len::N(2)), false),
                ]),
                rows: tables
                    .iter()
                    .filter(|t| !t.primary_key.is_empty())
                    .map(|t| primary_key_row(db, t, [ansi("PRIMARY KEY"), ansi("NO"), ansi("NO")]))
                    .collect(),
            },
            "KEY_COLUMN_USAGE" => VirtualTable {
                name: "KEY_COLUMN_USAGE".into(),
                cols: constraint_cols([
                    ("COLUMN_NAME", NAME, true),
                    ("ORDINAL_POSITION", SqlType::Int, false),
                ]),
                rows: tables
                    .iter()
                    .flat_map(|t| {
                        t.primary_key.iter().enumerate().map(move |(i, k)| {
                            // The column's name as the table spells it.
                            let column = t.column(k).map_or(k.as_str(), |c| c.name.as_str());
                            primary_key_row(db, t, [text(column), Value::Int(i as i64 + 1)])
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
            _ => return None,
        };
        return Some(vt);
    }
    None
}

//! `sys.indexes`, `sys.index_columns` and `sys.columns`: what the served
//! catalog says of each table's storage, keys and nullability, as SQL
//! Server's catalog views give it.
//!
//! A table with a primary key is stored in its clustered index (index 1,
//! `PK_<table>`, unique); a table without one is a heap (index 0, no name),
//! and its non-unique index, if any, is index 2 (`IX_<table>_<columns>`,
//! nonclustered).

use super::{NAME, opt_int, text};
use crate::catalog::{ColumnDef, Len, SqlType, TableDef};
use crate::exec::{VirtualTable, object_id};
use crate::value::Value;

/// The view `name` (upper case) of schema `sys`, if it is one of these.
pub(super) fn lookup(name: &str, tables: &[TableDef]) -> Option<VirtualTable> {
    let flag = |b: bool| Value::Int(i64::from(b));
    let vt = match name {
        "INDEXES" => VirtualTable {
            name: "indexes".into(),
            cols: vec![
                ("object_id", SqlType::Int, false),
                ("name", NAME, true),
                ("index_id", SqlType::Int, false),
                ("type", SqlType::TinyInt, false),
                ("type_desc", SqlType::NVarChar(Len::N(60)), true),
                ("is_unique", SqlType::Bit, true),
                ("is_primary_key", SqlType::Bit, true),
                ("is_unique_constraint", SqlType::Bit, true),
            ],
            rows: tables
                .iter()
                .enumerate()
                .flat_map(|(i, t)| {
                    indexes(t).into_iter().map(move |ix| {
                        vec![
                            Value::Int(object_id(i)),
                            ix.name.as_deref().map_or(Value::Null, text),
                            Value::Int(ix.id),
                            Value::Int(ix.id.min(2)),
                            text(match ix.id {
                                0 => "HEAP",
                                1 => "CLUSTERED",
                                _ => "NONCLUSTERED",
                            }),
                            flag(ix.unique),
                            flag(ix.primary_key),
                            flag(false),
                        ]
                    })
                })
                .collect(),
        },
        "INDEX_COLUMNS" => VirtualTable {
            name: "index_columns".into(),
            cols: vec![
                ("object_id", SqlType::Int, false),
                ("index_id", SqlType::Int, false),
                ("index_column_id", SqlType::Int, false),
                ("column_id", SqlType::Int, false),
                ("key_ordinal", SqlType::TinyInt, false),
                ("is_descending_key", SqlType::Bit, true),
                ("is_included_column", SqlType::Bit, true),
            ],
            rows: tables
                .iter()
                .enumerate()
                .flat_map(|(i, t)| {
                    indexes(t).into_iter().flat_map(move |ix| {
                        ix.columns.into_iter().enumerate().map(move |(k, column)| {
                            vec![
                                Value::Int(object_id(i)),
                                Value::Int(ix.id),
                                Value::Int(k as i64 + 1),
                                Value::Int(column as i64 + 1),
                                Value::Int(k as i64 + 1),
                                flag(false),
                                flag(false),
                            ]
                        })
                    })
                })
                .collect(),
        },
        "COLUMNS" => VirtualTable {
            name: "columns".into(),
            cols: vec![
                ("object_id", SqlType::Int, false),
                ("name", NAME, true),
                ("column_id", SqlType::Int, false),
                ("system_type_id", SqlType::TinyInt, false),
                ("max_length", SqlType::SmallInt, false),
                ("precision", SqlType::TinyInt, false),
                ("scale", SqlType::TinyInt, false),
                ("is_nullable", SqlType::Bit, true),
                ("is_identity", SqlType::Bit, false),
                ("is_computed", SqlType::Bit, false),
            ],
            rows: tables
                .iter()
                .enumerate()
                .flat_map(|(i, t)| {
                    t.columns.iter().enumerate().map(move |(j, c)| {
                        vec![
                            Value::Int(object_id(i)),
                            text(&c.name),
                            Value::Int(j as i64 + 1),
                            Value::Int(system_type_id(&c.sql_type)),
                            Value::Int(max_length(&c.sql_type)),
                            opt_int(Some(c.sql_type.numeric_precision().unwrap_or(0))),
                            Value::Int(storage_scale(c)),
                            flag(c.nullable),
                            flag(false),
                            flag(false),
                        ]
                    })
                })
                .collect(),
        },
        _ => return None,
    };
    Some(vt)
}

/// One row of `sys.indexes`, with its key columns (indexes into the table's
/// columns, in key order).
struct Index {
    id: i64,
    name: Option<String>,
    unique: bool,
    primary_key: bool,
    columns: Vec<usize>,
}

/// The indexes of `t`: its clustered primary key, or a heap and its
/// non-unique index if it has one.
fn indexes(t: &TableDef) -> Vec<Index> {
    let positions = |names: &[String]| {
        names
            .iter()
            .filter_map(|k| {
                t.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(k))
            })
            .collect()
    };
    let mut out = Vec::new();
    if t.primary_key.is_empty() {
        out.push(Index {
            id: 0,
            name: None,
            unique: false,
            primary_key: false,
            columns: Vec::new(),
        });
    } else {
        out.push(Index {
            id: 1,
            name: Some(t.primary_key_name()),
            unique: true,
            primary_key: true,
            columns: positions(&t.primary_key),
        });
    }
    if !t.index.is_empty() {
        out.push(Index {
            id: 2,
            name: Some(t.index_name()),
            unique: false,
            primary_key: false,
            columns: positions(&t.index),
        });
    }
    out
}

/// `sys.columns.system_type_id` (`sys.types`).
fn system_type_id(ty: &SqlType) -> i64 {
    match ty {
        SqlType::TinyInt => 48,
        SqlType::SmallInt => 52,
        SqlType::Int => 56,
        SqlType::BigInt => 127,
        SqlType::Bit => 104,
        SqlType::Decimal { .. } => 106,
        SqlType::Numeric { .. } => 108,
        SqlType::Money => 60,
        SqlType::SmallMoney => 122,
        SqlType::Float => 62,
        SqlType::Real => 59,
        SqlType::Date => 40,
        SqlType::DateTime => 61,
        SqlType::SmallDateTime => 58,
        SqlType::DateTime2 { .. } => 42,
        SqlType::DateTimeOffset { .. } => 43,
        SqlType::UniqueIdentifier => 36,
        SqlType::Char(_) => 175,
        SqlType::VarChar(_) => 167,
        SqlType::Text => 35,
        SqlType::NChar(_) => 239,
        SqlType::NVarChar(_) => 231,
        SqlType::NText => 99,
        SqlType::Binary(_) => 173,
        SqlType::VarBinary(_) => 165,
    }
}

/// `sys.columns.max_length`: bytes, -1 for `max`.
fn max_length(ty: &SqlType) -> i64 {
    let var = |l: &Len, unit: i64| match l {
        Len::N(n) => i64::from(*n) * unit,
        Len::Max => -1,
    };
    match ty {
        SqlType::TinyInt | SqlType::Bit => 1,
        SqlType::SmallInt => 2,
        SqlType::Int | SqlType::SmallMoney | SqlType::Real | SqlType::SmallDateTime => 4,
        SqlType::BigInt | SqlType::Money | SqlType::Float | SqlType::DateTime => 8,
        SqlType::Decimal { precision, .. } | SqlType::Numeric { precision, .. } => {
            match precision {
                0..=9 => 5,
                10..=19 => 9,
                20..=28 => 13,
                _ => 17,
            }
        }
        SqlType::Date => 3,
        SqlType::DateTime2 { scale } => 6 + i64::from(*scale > 2) + i64::from(*scale > 4),
        SqlType::DateTimeOffset { scale } => 8 + i64::from(*scale > 2) + i64::from(*scale > 4),
        SqlType::UniqueIdentifier => 16,
        SqlType::Text | SqlType::NText => 16,
        SqlType::Char(n) | SqlType::Binary(n) => i64::from(*n),
        SqlType::NChar(n) => i64::from(*n) * 2,
        SqlType::VarChar(l) | SqlType::VarBinary(l) => var(l, 1),
        SqlType::NVarChar(l) => var(l, 2),
    }
}

/// `sys.columns.scale`.
fn storage_scale(c: &ColumnDef) -> i64 {
    match c.sql_type {
        SqlType::DateTime => 3,
        _ => i64::from(c.sql_type.scale()),
    }
}

//! Binding and running statements: names resolve against the catalog (user
//! tables, fed by the dump) and a few catalog views (`INFORMATION_SCHEMA`,
//! `sys.partitions`, ...), and the result goes out as tokens while rows are
//! read.
//!
//! User tables are scanned forward in key order with the connection's
//! cursor: a `WHERE` on the key column narrows the scan, anything else is a
//! filter on each row. `ORDER BY` may only name the key column (ascending),
//! the order the dump is in.
//!
//! One concern per file:
//!
//! - `bound.rs`: bound expressions and conditions, and evaluating them
//!   against a row.
//! - `comparable.rs`: comparisons SQL Server refuses to compile (errors
//!   206 and 402).
//! - `names.rs`: name resolution (the scope of a statement's tables), the
//!   binder that turns parsed expressions into bound ones, functions,
//!   variables and parameters, and the user tables by name.
//! - `control.rs`: transaction statements and `IF`.
//! - `statements.rs`: running a statement: the select list, `TOP`, rows as
//!   tokens, and `SELECT` without `FROM`.
//! - `catalog_views.rs`: `SELECT` over the catalog views (joined, filtered,
//!   sorted and aggregated in memory) and the aggregate accumulator.
//! - `user_tables.rs`: `SELECT` over a user table: the key range a `WHERE`
//!   gives, the forward scan with the connection's cursor, faults, and
//!   aggregates (from the manifest when it can).
//!
//! This file holds what the server hands in and gets back ([`Env`],
//! [`Out`], [`Outcome`]) and the query log's text of a parameter.

mod bound;
mod catalog_views;
mod comparable;
mod control;
mod names;
mod statements;
mod user_tables;

pub(crate) use catalog_views::VirtualTable;
pub(crate) use names::object_id;
pub(crate) use statements::execute;

use crate::catalog::{Len, SqlType};
use crate::server::Shared;
use crate::tds::{PacketWriter, RpcParam};
use crate::value::{self, SqlError, UText, Value, cast};
use std::io::Write;

/// What running a statement came to.
pub(crate) enum Outcome {
    /// Finished: a result set of `rows` rows, or no result set.
    Done { rows: Option<u64> },
    /// Failed, after `rows` rows of a result set if one was started. The
    /// ERROR token is the caller's to send.
    Error { error: SqlError, rows: Option<u64> },
    /// A fault cut the connection: close it now.
    Cut,
}

impl From<SqlError> for Outcome {
    fn from(error: SqlError) -> Outcome {
        Outcome::Error { error, rows: None }
    }
}

/// A statement without a result set: done, or failed.
impl From<Result<(), SqlError>> for Outcome {
    fn from(r: Result<(), SqlError>) -> Outcome {
        match r {
            Ok(()) => Outcome::Done { rows: None },
            Err(e) => e.into(),
        }
    }
}

/// Where a response goes.
pub(crate) struct Out<'a> {
    pub pw: &'a mut PacketWriter,
    pub w: &'a mut dyn Write,
}

/// What binding needs to know of the connection and request.
pub(crate) struct Env<'a> {
    pub shared: &'a Shared,
    pub params: &'a [RpcParam],
    pub database: &'a str,
    pub user: &'a str,
    pub spid: u16,
    /// `@@TRANCOUNT` when the statement runs.
    pub trancount: u32,
}

/// Text for the query log.
pub(crate) fn param_value(v: &Value<'_>, ty: &SqlType) -> crate::faults::ParamValue {
    use crate::faults::ParamValue;
    match v {
        Value::Null => ParamValue::Null,
        Value::Int(i) => ParamValue::Int(*i),
        Value::Float(f) => ParamValue::Float(*f),
        Value::Unicode(t) => ParamValue::Text(t.to_string_lossy()),
        Value::Ansi(b) => ParamValue::Text(value::cp1252_decode(b)),
        Value::Binary(b) => ParamValue::Bytes(b.to_vec()),
        other => match cast(other.clone(), ty, &SqlType::NVarChar(Len::Max)) {
            Ok(Value::Unicode(UText::Str(s))) => ParamValue::Text(s.into_owned()),
            _ => ParamValue::Text(format!("{other:?}")),
        },
    }
}

//! SQL values: what a column stores, how `CAST` converts them, and how they
//! compare.
//!
//! A value is always of a statically known [`SqlType`](crate::SqlType)
//! (the expression's); the variant is the type's family.
//!
//! One concern per file:
//!
//! - `error.rs`: [`SqlError`], a SQL Server error as an ERROR token carries
//!   it, and the errors the conversions raise.
//! - `text.rs`: Unicode text ([`UText`]) and code page 1252.
//! - `date.rs`: dates and times: the calendar, rounding to a type's
//!   precision, parsing.
//! - `number.rs`: integer ranges, decimals (scale, rendering, parsing).
//! - `guid.rs`: uniqueidentifiers: made from integers, printed, parsed, and
//!   in wire order.
//! - `store.rs`: a dump field stored in a column, and extra columns.
//! - `cast.rs`: `CAST`/`CONVERT` between types.
//! - `compare.rs`: SQL comparison.
//!
//! This file holds [`Value`] itself.

mod cast;
mod compare;
mod date;
mod error;
mod guid;
mod number;
mod store;
mod text;

pub(crate) use cast::cast;
pub(crate) use compare::compare;
pub(crate) use date::{
    DATETIME_EPOCH_DAYS, DateTimeValue, NANOS_PER_DAY, UNIX_EPOCH_DAYS, round_datetime,
};
pub use error::SqlError;
pub(crate) use guid::guid_wire_order;
pub(crate) use store::{extra_value, store};
pub(crate) use text::{UText, cp1252_decode, cp1252_encode};

use std::borrow::Cow;

/// A SQL value. Its type is the expression's, known before any row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    /// tinyint, smallint, int, bigint, bit.
    Int(i64),
    /// float, real.
    Float(f64),
    /// decimal, numeric, money, smallmoney: the unscaled value (the type
    /// gives the scale).
    Decimal(i128),
    /// nchar, nvarchar, ntext.
    Unicode(UText<'a>),
    /// char, varchar, text: code page 1252 bytes.
    Ansi(Cow<'a, [u8]>),
    /// binary, varbinary.
    Binary(Cow<'a, [u8]>),
    /// date: days since 0001-01-01.
    Date(i32),
    /// datetime, smalldatetime, datetime2, datetimeoffset.
    DateTime(DateTimeValue),
    /// uniqueidentifier, bytes in RFC 4122 order.
    Guid([u8; 16]),
}

impl Value<'_> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A copy that borrows from this one.
    pub(crate) fn borrowed(&self) -> Value<'_> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Decimal(d) => Value::Decimal(*d),
            Value::Unicode(UText::Str(s)) => Value::Unicode(UText::Str(Cow::Borrowed(s))),
            Value::Unicode(UText::Utf16(b)) => Value::Unicode(UText::Utf16(Cow::Borrowed(b))),
            Value::Ansi(b) => Value::Ansi(Cow::Borrowed(b)),
            Value::Binary(b) => Value::Binary(Cow::Borrowed(b)),
            Value::Date(d) => Value::Date(*d),
            Value::DateTime(d) => Value::DateTime(*d),
            Value::Guid(g) => Value::Guid(*g),
        }
    }

    pub(crate) fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Decimal(d) => Value::Decimal(d),
            Value::Unicode(UText::Str(s)) => Value::Unicode(UText::Str(Cow::Owned(s.into_owned()))),
            Value::Unicode(UText::Utf16(b)) => {
                Value::Unicode(UText::Utf16(Cow::Owned(b.into_owned())))
            }
            Value::Ansi(b) => Value::Ansi(Cow::Owned(b.into_owned())),
            Value::Binary(b) => Value::Binary(Cow::Owned(b.into_owned())),
            Value::Date(d) => Value::Date(d),
            Value::DateTime(d) => Value::DateTime(d),
            Value::Guid(g) => Value::Guid(g),
        }
    }

    pub(crate) fn text(s: impl Into<String>) -> Value<'static> {
        Value::Unicode(UText::Str(Cow::Owned(s.into())))
    }
}

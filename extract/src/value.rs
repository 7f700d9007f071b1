//! SQL Server values into record fields.
//!
//! The legacy records have a handful of field kinds (integers, text, dates,
//! instants); a real site stores them in whatever SQL types its history left
//! behind. This module says which SQL types each field kind accepts, how the
//! extractor selects a column (text always travels as UTF-16 bytes, see
//! [`SqlType::select_expr`]) and how one value converts. A value that does not
//! fit is kept as well as it can be and reported as an [`Anomaly`], never
//! dropped quietly.

use crate::fields::FieldKind;
use chrono::{Datelike, NaiveDate};
use pancake_proto::legacy;
use prost_types::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use tiberius::ColumnData;

/// Text longer than this (in UTF-8 bytes) is cut, so that a record stays far
/// below a part's record size limit. No column of the legacy schema comes
/// near it; an `nvarchar(max)` column might.
pub const MAX_TEXT_BYTES: usize = 4 << 20;

/// One converted value, in the shape of a field kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Date(legacy::Date),
    Time(Timestamp),
}

/// A SQL Server column type, as `INFORMATION_SCHEMA.COLUMNS.DATA_TYPE` names
/// it, with its length where it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Bit,
    /// `nvarchar`/`nchar`/`ntext`: `chars` is `None` for `max` and `ntext`.
    NText {
        chars: Option<u32>,
        padded: bool,
    },
    /// `varchar`/`char`/`text`, in the column's code page.
    Text {
        chars: Option<u32>,
        padded: bool,
    },
    DateTime,
    DateTime2,
    SmallDateTime,
    Date,
    DateTimeOffset,
    UniqueIdentifier,
    Decimal {
        scale: u8,
    },
    Money,
    Float,
    VarBinary,
}

impl SqlType {
    /// Reads `DATA_TYPE` and `CHARACTER_MAXIMUM_LENGTH` (-1 for `max`).
    /// `None` for a type the extractor does not read (xml, geography, ...).
    pub fn parse(data_type: &str, max_chars: Option<i32>, scale: Option<i32>) -> Option<SqlType> {
        let chars = max_chars.and_then(|n| u32::try_from(n).ok());
        Some(match data_type.to_ascii_lowercase().as_str() {
            "tinyint" => SqlType::TinyInt,
            "smallint" => SqlType::SmallInt,
            "int" => SqlType::Int,
            "bigint" => SqlType::BigInt,
            "bit" => SqlType::Bit,
            "nvarchar" => SqlType::NText {
                chars,
                padded: false,
            },
            "nchar" => SqlType::NText {
                chars,
                padded: true,
            },
            "ntext" => SqlType::NText {
                chars: None,
                padded: false,
            },
            "varchar" => SqlType::Text {
                chars,
                padded: false,
            },
            "char" => SqlType::Text {
                chars,
                padded: true,
            },
            "text" => SqlType::Text {
                chars: None,
                padded: false,
            },
            "datetime" => SqlType::DateTime,
            "datetime2" => SqlType::DateTime2,
            "smalldatetime" => SqlType::SmallDateTime,
            "date" => SqlType::Date,
            "datetimeoffset" => SqlType::DateTimeOffset,
            "uniqueidentifier" => SqlType::UniqueIdentifier,
            "decimal" | "numeric" => SqlType::Decimal {
                scale: scale.and_then(|s| u8::try_from(s).ok()).unwrap_or(0),
            },
            "money" | "smallmoney" => SqlType::Money,
            "float" | "real" => SqlType::Float,
            "varbinary" | "binary" => SqlType::VarBinary,
            _ => return None,
        })
    }

    fn is_integer(self) -> bool {
        matches!(
            self,
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt
        ) || self == SqlType::Decimal { scale: 0 }
    }

    fn is_text(self) -> bool {
        matches!(self, SqlType::NText { .. } | SqlType::Text { .. })
    }

    fn is_temporal(self) -> bool {
        matches!(
            self,
            SqlType::DateTime
                | SqlType::DateTime2
                | SqlType::SmallDateTime
                | SqlType::Date
                | SqlType::DateTimeOffset
        )
    }

    /// Whether a column of this type can fill a field of `kind`.
    pub fn fits(self, kind: FieldKind) -> bool {
        match kind {
            FieldKind::Key { .. } => self.is_integer(),
            FieldKind::Int32 | FieldKind::Gender | FieldKind::UInt32 | FieldKind::Bool => {
                self.is_integer() || matches!(self, SqlType::Bit | SqlType::Decimal { .. })
            }
            FieldKind::Text => true,
            FieldKind::Date | FieldKind::Time => self.is_temporal(),
        }
    }

    /// How the page query selects the column. Text travels as its UTF-16
    /// bytes (`varbinary`): tiberius fails a whole result on text that is not
    /// valid UTF-16, and legacy data has lone surrogates that must be kept,
    /// not lose the page. `varchar` is first turned into `nvarchar` by the
    /// server, which knows the column's code page.
    pub fn select_expr(self, column: &str) -> String {
        let col = quote(column);
        let bin = |chars: Option<u32>| match chars {
            Some(n) if n <= 4000 => "varbinary(8000)",
            _ => "varbinary(max)",
        };
        match self {
            SqlType::NText { chars, .. } => format!("CAST({col} AS {}) AS {col}", bin(chars)),
            SqlType::Text { chars, .. } => {
                let wide = match chars {
                    Some(n) if n <= 4000 => format!("nvarchar({n})"),
                    _ => "nvarchar(max)".to_owned(),
                };
                format!("CAST(CAST({col} AS {wide}) AS {}) AS {col}", bin(chars))
            }
            _ => col,
        }
    }

    fn padded(self) -> bool {
        matches!(
            self,
            SqlType::NText { padded: true, .. } | SqlType::Text { padded: true, .. }
        )
    }
}

/// `[name]`, with `]` doubled as T-SQL wants.
pub fn quote(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// What was wrong with a value that did not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// Text that is not valid UTF-16 (a lone surrogate): the field holds it
    /// with U+FFFD in place of each bad unit and `raw_texts` keeps the bytes.
    InvalidUtf16,
    /// Text longer than `MAX_TEXT_BYTES` (4 MiB): cut.
    Truncated,
    /// A number that does not fit the field (a bigint member id above 2^31,
    /// a fraction in an integer field): the field is left empty.
    OutOfRange,
}

impl AnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::InvalidUtf16 => "invalid_utf16",
            AnomalyKind::Truncated => "truncated",
            AnomalyKind::OutOfRange => "out_of_range",
        }
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that did not fit, with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub detail: String,
    /// The value's UTF-16 bytes, for [`AnomalyKind::InvalidUtf16`].
    pub raw_utf16: Option<Vec<u8>>,
}

/// A value the extractor cannot read at all: the server sent a type the
/// column's metadata did not announce.
#[derive(Debug, Clone, PartialEq)]
pub struct Unexpected(pub String);

/// Converts one cell of a column of type `ty` into a field of `kind`.
pub fn convert(
    ty: SqlType,
    kind: FieldKind,
    data: ColumnData<'_>,
) -> Result<(Value, Option<Anomaly>), Unexpected> {
    if is_null(&data) {
        return Ok((Value::Null, None));
    }
    match kind {
        FieldKind::Key { .. } | FieldKind::Int32 | FieldKind::Gender | FieldKind::UInt32 => {
            integer(kind, data)
        }
        FieldKind::Bool => flag(data),
        FieldKind::Text => text(ty, data),
        FieldKind::Date => instant(data).map(|t| (Value::Date(t.local_date), None)),
        FieldKind::Time => instant(data).map(|t| (Value::Time(t.utc), None)),
    }
}

fn is_null(data: &ColumnData<'_>) -> bool {
    match data {
        ColumnData::U8(v) => v.is_none(),
        ColumnData::I16(v) => v.is_none(),
        ColumnData::I32(v) => v.is_none(),
        ColumnData::I64(v) => v.is_none(),
        ColumnData::F32(v) => v.is_none(),
        ColumnData::F64(v) => v.is_none(),
        ColumnData::Bit(v) => v.is_none(),
        ColumnData::String(v) => v.is_none(),
        ColumnData::Guid(v) => v.is_none(),
        ColumnData::Binary(v) => v.is_none(),
        ColumnData::Numeric(v) => v.is_none(),
        ColumnData::Xml(v) => v.is_none(),
        ColumnData::DateTime(v) => v.is_none(),
        ColumnData::SmallDateTime(v) => v.is_none(),
        ColumnData::Time(v) => v.is_none(),
        ColumnData::Date(v) => v.is_none(),
        ColumnData::DateTime2(v) => v.is_none(),
        ColumnData::DateTimeOffset(v) => v.is_none(),
    }
}

fn unexpected(what: &str, data: &ColumnData<'_>) -> Unexpected {
    Unexpected(format!(
        "expected {what}, the server sent {}",
        type_name(data)
    ))
}

fn type_name(data: &ColumnData<'_>) -> &'static str {
    match data {
        ColumnData::U8(_) => "tinyint",
        ColumnData::I16(_) => "smallint",
        ColumnData::I32(_) => "int",
        ColumnData::I64(_) => "bigint",
        ColumnData::F32(_) => "real",
        ColumnData::F64(_) => "float",
        ColumnData::Bit(_) => "bit",
        ColumnData::String(_) => "text",
        ColumnData::Guid(_) => "uniqueidentifier",
        ColumnData::Binary(_) => "binary",
        ColumnData::Numeric(_) => "decimal",
        ColumnData::Xml(_) => "xml",
        ColumnData::DateTime(_) => "datetime",
        ColumnData::SmallDateTime(_) => "smalldatetime",
        ColumnData::Time(_) => "time",
        ColumnData::Date(_) => "date",
        ColumnData::DateTime2(_) => "datetime2",
        ColumnData::DateTimeOffset(_) => "datetimeoffset",
    }
}

fn integer(kind: FieldKind, data: ColumnData<'_>) -> Result<(Value, Option<Anomaly>), Unexpected> {
    let wide: i128 = match &data {
        ColumnData::U8(Some(v)) => i128::from(*v),
        ColumnData::I16(Some(v)) => i128::from(*v),
        ColumnData::I32(Some(v)) => i128::from(*v),
        ColumnData::I64(Some(v)) => i128::from(*v),
        ColumnData::Bit(Some(v)) => i128::from(*v),
        ColumnData::Numeric(Some(n)) => {
            if n.dec_part() != 0 {
                let text = decimal(n.value(), n.scale());
                return Ok(out_of_range(format!("{text} is not a whole number")));
            }
            n.int_part()
        }
        other => return Err(unexpected("an integer", other)),
    };
    let (low, high) = match kind {
        FieldKind::Key { bits: 64 } => (i128::from(i64::MIN), i128::from(i64::MAX)),
        FieldKind::Gender | FieldKind::UInt32 => (0, i128::from(u32::MAX)),
        _ => (i128::from(i32::MIN), i128::from(i32::MAX)),
    };
    if wide < low || wide > high {
        return Ok(out_of_range(format!(
            "{wide} does not fit {}",
            kind.describe()
        )));
    }
    Ok((Value::Int(wide as i64), None))
}

/// A `bit`, or an integer that is 0 or 1 (a site that kept flags in a
/// `tinyint`); any other number is out of range, not quietly true.
fn flag(data: ColumnData<'_>) -> Result<(Value, Option<Anomaly>), Unexpected> {
    if let ColumnData::Bit(Some(b)) = data {
        return Ok((Value::Bool(b), None));
    }
    match integer(FieldKind::Key { bits: 64 }, data)? {
        (Value::Int(0), None) => Ok((Value::Bool(false), None)),
        (Value::Int(1), None) => Ok((Value::Bool(true), None)),
        (Value::Int(v), None) => Ok(out_of_range(format!(
            "{v} does not fit {}: only 0 and 1 do",
            FieldKind::Bool.describe()
        ))),
        other => Ok(other),
    }
}

fn out_of_range(detail: String) -> (Value, Option<Anomaly>) {
    (
        Value::Null,
        Some(Anomaly {
            kind: AnomalyKind::OutOfRange,
            detail,
            raw_utf16: None,
        }),
    )
}

fn text(ty: SqlType, data: ColumnData<'_>) -> Result<(Value, Option<Anomaly>), Unexpected> {
    let (mut s, mut anomaly) = match data {
        // Text columns are selected as their UTF-16 bytes (see select_expr).
        ColumnData::Binary(Some(bytes)) if ty.is_text() => utf16(&bytes),
        ColumnData::Binary(Some(bytes)) => (hex(&bytes), None),
        ColumnData::String(Some(s)) => (s.into_owned(), None),
        ColumnData::U8(Some(v)) => (v.to_string(), None),
        ColumnData::I16(Some(v)) => (v.to_string(), None),
        ColumnData::I32(Some(v)) => (v.to_string(), None),
        ColumnData::I64(Some(v)) => (v.to_string(), None),
        ColumnData::Bit(Some(v)) => (u8::from(v).to_string(), None),
        ColumnData::F32(Some(v)) => (v.to_string(), None),
        ColumnData::F64(Some(v)) if ty == SqlType::Money => (format!("{v:.4}"), None),
        ColumnData::F64(Some(v)) => (v.to_string(), None),
        ColumnData::Guid(Some(g)) => (g.hyphenated().to_string(), None),
        ColumnData::Numeric(Some(n)) => (decimal(n.value(), n.scale()), None),
        ColumnData::Xml(Some(x)) => (x.to_string(), None),
        other => match instant(other) {
            Ok(t) => (t.text, None),
            Err(e) => return Err(e),
        },
    };
    if ty.padded() {
        let kept = s.trim_end_matches(' ').len();
        s.truncate(kept);
    }
    if s.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let detail = format!("{} bytes of text cut to {cut}", s.len());
        s.truncate(cut);
        // A cut value keeps no raw bytes: they would be as long as the text.
        anomaly = Some(Anomaly {
            kind: AnomalyKind::Truncated,
            detail,
            raw_utf16: None,
        });
    }
    Ok((Value::Text(s), anomaly))
}

/// Decodes UTF-16LE; text with lone surrogates becomes lossy text plus the
/// raw bytes.
fn utf16(bytes: &[u8]) -> (String, Option<Anomaly>) {
    // Well-formed text (nearly all of it) through encoding_rs's vectorised
    // decoder: `char::decode_utf16` was a seventh of the extractor's time
    // (issue 18).
    if let Some(text) =
        encoding_rs::UTF_16LE.decode_without_bom_handling_and_without_replacement(bytes)
    {
        return (text.into_owned(), None);
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut bad = 0usize;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(_) => {
                bad += 1;
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    if bytes.len() % 2 == 1 {
        bad += 1;
        out.push(char::REPLACEMENT_CHARACTER);
    }
    if bad == 0 {
        return (out, None);
    }
    let anomaly = Anomaly {
        kind: AnomalyKind::InvalidUtf16,
        detail: format!("{bad} unpaired UTF-16 unit(s) replaced by U+FFFD; raw bytes kept"),
        raw_utf16: Some(bytes.to_vec()),
    };
    (out, Some(anomaly))
}

/// `value / 10^scale` in plain digits. (tiberius prints negative
/// fractions as `-123.-45`.)
fn decimal(value: i128, scale: u8) -> String {
    let digits = value.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let sign = if value < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    format!("{sign}{int}.{frac}")
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// A temporal value three ways: the instant in UTC, the calendar date where
/// it was recorded, and ISO 8601 text.
struct Instant {
    utc: Timestamp,
    local_date: legacy::Date,
    text: String,
}

const SECONDS_PER_DAY: i64 = 86_400;
/// 1900-01-01, day 0 of `datetime` and `smalldatetime`, in Unix seconds.
const EPOCH_1900: i64 = -2_208_988_800;

fn days_from_ce(days: u32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).ok()?.checked_add(1)?)
}

fn instant(data: ColumnData<'_>) -> Result<Instant, Unexpected> {
    // (unix seconds, nanos, offset minutes) of the local wall-clock time.
    let (seconds, nanos, offset) = match &data {
        ColumnData::DateTime(Some(dt)) => {
            // 1/300 s ticks, rounded to the nearest nanosecond.
            let ticks = i64::from(dt.seconds_fragments());
            let nanos_total = (ticks * 1_000_000_000 + 150) / 300;
            (
                EPOCH_1900 + i64::from(dt.days()) * SECONDS_PER_DAY + nanos_total / 1_000_000_000,
                (nanos_total % 1_000_000_000) as i32,
                0,
            )
        }
        ColumnData::SmallDateTime(Some(dt)) => (
            EPOCH_1900
                + i64::from(dt.days()) * SECONDS_PER_DAY
                + i64::from(dt.seconds_fragments()) * 60,
            0,
            0,
        ),
        ColumnData::Date(Some(d)) => (date_seconds(d.days(), &data)?, 0, 0),
        ColumnData::DateTime2(Some(dt)) => {
            let (s, n) = time_of_day(dt.time());
            (date_seconds(dt.date().days(), &data)? + s, n, 0)
        }
        ColumnData::DateTimeOffset(Some(dto)) => {
            // The wire holds the UTC instant and the offset it was recorded at.
            let dt = dto.datetime2();
            let (s, n) = time_of_day(dt.time());
            (
                date_seconds(dt.date().days(), &data)? + s,
                n,
                i64::from(dto.offset()),
            )
        }
        other => return Err(unexpected("a date or time", other)),
    };
    let utc = Timestamp { seconds, nanos };
    let local = chrono::DateTime::from_timestamp(seconds + offset * 60, nanos as u32)
        .ok_or_else(|| Unexpected("a date outside the calendar".into()))?
        .naive_utc();
    let local_date = legacy::Date {
        year: local.year(),
        month: local.month() as i32,
        day: local.day() as i32,
    };
    let text = match &data {
        ColumnData::Date(_) => local.format("%Y-%m-%d").to_string(),
        ColumnData::DateTimeOffset(_) => {
            let sign = if offset < 0 { '-' } else { '+' };
            format!(
                "{}{sign}{:02}:{:02}",
                local_text(local),
                offset.abs() / 60,
                offset.abs() % 60
            )
        }
        _ => local_text(local),
    };
    Ok(Instant {
        utc,
        local_date,
        text,
    })
}

/// `local` as chrono's `%Y-%m-%dT%H:%M:%S%.f` writes it (a fraction of 3, 6
/// or 9 digits, none for a whole second), without parsing the format for
/// every value: that was a twentieth of the extractor's time (issue 18).
fn local_text(local: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    use std::fmt::Write;
    if !(0..=9999).contains(&local.year()) || local.nanosecond() >= 1_000_000_000 {
        // Signed years and leap seconds: chrono's own rules.
        return local.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
    }
    let mut text = String::with_capacity(29);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    let nanos = local.nanosecond();
    let _ = match nanos {
        0 => Ok(()),
        n if n % 1_000_000 == 0 => write!(text, ".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => write!(text, ".{:06}", n / 1_000),
        n => write!(text, ".{n:09}"),
    };
    text
}

fn date_seconds(days: u32, data: &ColumnData<'_>) -> Result<i64, Unexpected> {
    let date = days_from_ce(days).ok_or_else(|| unexpected("a valid date", data))?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp())
}

fn time_of_day(time: tiberius::time::Time) -> (i64, i32) {
    let scale = u32::from(time.scale().min(9));
    let nanos_total = u128::from(time.increments()) * 10u128.pow(9 - scale);
    (
        (nanos_total / 1_000_000_000) as i64,
        (nanos_total % 1_000_000_000) as i32,
    )
}

#[cfg(test)]
mod tests;

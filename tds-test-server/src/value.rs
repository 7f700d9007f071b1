//! SQL values: what a column stores, how `CAST` converts them, and how they
//! compare.
//!
//! A value is always of a statically known [`SqlType`] (the expression's);
//! the variant is the type's family.

use crate::catalog::{ColumnDef, Len, SqlType};
use crate::record::FieldValue;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A SQL Server error, as an ERROR token carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub number: u32,
    pub state: u8,
    pub class: u8,
    pub message: String,
}

impl SqlError {
    pub fn new(number: u32, class: u8, message: impl Into<String>) -> SqlError {
        SqlError {
            number,
            state: 1,
            class,
            message: message.into(),
        }
    }

    pub(crate) fn syntax(near: &str) -> SqlError {
        SqlError::new(102, 15, format!("Incorrect syntax near '{near}'."))
    }

    pub(crate) fn overflow(ty: &SqlType) -> SqlError {
        SqlError::new(
            8115,
            16,
            format!(
                "Arithmetic overflow error converting expression to data type {}.",
                ty.name()
            ),
        )
    }

    pub(crate) fn conversion(from: &SqlType, value: &str, to: &SqlType) -> SqlError {
        SqlError::new(
            245,
            16,
            format!(
                "Conversion failed when converting the {} value '{value}' to data type {}.",
                from.name(),
                to.name()
            ),
        )
    }

    pub(crate) fn not_allowed(from: &SqlType, to: &SqlType) -> SqlError {
        SqlError::new(
            529,
            16,
            format!(
                "Explicit conversion from data type {} to {} is not allowed.",
                from.name(),
                to.name()
            ),
        )
    }

    pub(crate) fn date_range(to: &SqlType) -> SqlError {
        SqlError::new(
            242,
            16,
            format!(
                "The conversion of a datetime2 data type to a {} data type resulted in an out-of-range value.",
                to.name()
            ),
        )
    }

    /// An error of the test server itself (a damaged dump, something it
    /// does not implement): number 50000, severity 16.
    pub(crate) fn server(message: impl Into<String>) -> SqlError {
        SqlError::new(50000, 16, message)
    }
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Msg {}, Level {}, State {}: {}",
            self.number, self.class, self.state, self.message
        )
    }
}

/// Unicode text: a string, or raw UTF-16LE units (which may hold lone
/// surrogates).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UText<'a> {
    Str(Cow<'a, str>),
    Utf16(Cow<'a, [u8]>),
}

impl UText<'_> {
    /// Number of UTF-16 code units.
    pub(crate) fn units(&self) -> usize {
        match self {
            UText::Str(s) => {
                if s.is_ascii() {
                    s.len()
                } else {
                    s.encode_utf16().count()
                }
            }
            UText::Utf16(b) => b.len() / 2,
        }
    }

    /// At least the number of UTF-16 units, without counting them: a UTF-8
    /// string never has more units than bytes.
    pub(crate) fn units_at_most(&self) -> usize {
        match self {
            UText::Str(s) => s.len(),
            UText::Utf16(b) => b.len() / 2,
        }
    }

    /// Appends the UTF-16LE bytes to `out`.
    pub(crate) fn write_utf16le(&self, out: &mut Vec<u8>) {
        match self {
            UText::Str(s) => {
                // At most two bytes per UTF-8 byte.
                out.reserve(s.len() * 2);
                let bytes = s.as_bytes();
                let ascii = bytes.iter().take_while(|b| b.is_ascii()).count();
                for &b in &bytes[..ascii] {
                    out.push(b);
                    out.push(0);
                }
                for c in s[ascii..].chars() {
                    let c = c as u32;
                    if c < 0x1_0000 {
                        out.extend_from_slice(&(c as u16).to_le_bytes());
                    } else {
                        let c = c - 0x1_0000;
                        out.extend_from_slice(&(0xD800 | (c >> 10) as u16).to_le_bytes());
                        out.extend_from_slice(&(0xDC00 | (c & 0x3FF) as u16).to_le_bytes());
                    }
                }
            }
            UText::Utf16(b) => out.extend_from_slice(&b[..b.len() & !1]),
        }
    }

    pub(crate) fn to_utf16(&self) -> Vec<u16> {
        match self {
            UText::Str(s) => s.encode_utf16().collect(),
            UText::Utf16(b) => b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        }
    }

    pub(crate) fn to_string_lossy(&self) -> String {
        match self {
            UText::Str(s) => s.to_string(),
            UText::Utf16(_) => String::from_utf16_lossy(&self.to_utf16()),
        }
    }
}

fn utext_from_units(units: &[u16]) -> UText<'static> {
    match String::from_utf16(units) {
        Ok(s) => UText::Str(Cow::Owned(s)),
        Err(_) => UText::Utf16(Cow::Owned(
            units.iter().flat_map(|u| u.to_le_bytes()).collect(),
        )),
    }
}

/// A date and time: days since 0001-01-01 and nanoseconds since midnight,
/// in UTC for `datetimeoffset` (which adds `offset` minutes for display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTimeValue {
    pub days: i32,
    pub nanos: u64,
    pub offset: i16,
}

pub(crate) const NANOS_PER_DAY: u64 = 86_400_000_000_000;

impl DateTimeValue {
    /// The wall-clock (local) days and nanoseconds: UTC plus the offset.
    pub(crate) fn local(&self) -> (i32, u64) {
        let total = i128::from(self.days) * NANOS_PER_DAY as i128
            + self.nanos as i128
            + i128::from(self.offset) * 60_000_000_000;
        (
            total.div_euclid(NANOS_PER_DAY as i128) as i32,
            total.rem_euclid(NANOS_PER_DAY as i128) as u64,
        )
    }

    fn utc_total(&self) -> i128 {
        i128::from(self.days) * NANOS_PER_DAY as i128 + self.nanos as i128
    }

    fn from_local(days: i32, nanos: u64, offset: i16) -> DateTimeValue {
        let total = i128::from(days) * NANOS_PER_DAY as i128 + nanos as i128
            - i128::from(offset) * 60_000_000_000;
        DateTimeValue {
            days: total.div_euclid(NANOS_PER_DAY as i128) as i32,
            nanos: total.rem_euclid(NANOS_PER_DAY as i128) as u64,
            offset,
        }
    }
}

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

// ---------------------------------------------------------------------------
// Dates

/// Days since 0001-01-01 of a calendar date, if it is one.
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    use chrono::Datelike;
    let d = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some(d.num_days_from_ce() - 1)
}

pub(crate) fn civil_from_days(days: i32) -> (i32, u32, u32) {
    use chrono::Datelike;
    let d = chrono::NaiveDate::from_num_days_from_ce_opt(days + 1).unwrap_or_default();
    (d.year(), d.month(), d.day())
}

/// Days from 0001-01-01 to 1970-01-01.
pub(crate) const UNIX_EPOCH_DAYS: i32 = 719_162;
/// Days from 0001-01-01 to 1900-01-01 (day 0 of `datetime`).
pub(crate) const DATETIME_EPOCH_DAYS: i32 = 693_595;

/// A protobuf timestamp as days since 0001-01-01 and nanoseconds of day.
pub(crate) fn timestamp_parts(t: &prost_types::Timestamp) -> (i64, u64) {
    let days = t.seconds.div_euclid(86_400) + i64::from(UNIX_EPOCH_DAYS);
    let nanos = t.seconds.rem_euclid(86_400) as u64 * 1_000_000_000
        + u64::from(t.nanos.clamp(0, 999_999_999) as u32);
    (days, nanos)
}

fn date_in_range(days: i64, ty: &SqlType) -> bool {
    let (lo, hi) = match ty {
        // 1753-01-01 .. 9999-12-31
        SqlType::DateTime => (639_905, 3_652_058),
        // 1900-01-01 .. 2079-06-06
        SqlType::SmallDateTime => (693_595, 759_130),
        _ => (0, 3_652_058),
    };
    (lo..=hi).contains(&days)
}

/// Rounds a date and time to what a column of type `ty` stores, as SQL
/// Server does: `datetime` to 1/300 s, `smalldatetime` to the minute,
/// `datetime2(s)` to 10^-s s. Errors when out of the type's range.
pub(crate) fn round_datetime(
    days: i64,
    nanos: u64,
    ty: &SqlType,
    offset: i16,
) -> Result<Value<'static>, SqlError> {
    let (mut days, mut nanos) = (days, nanos);
    match ty {
        SqlType::DateTime => {
            let ticks = (u128::from(nanos) * 3 + 5_000_000) / 10_000_000;
            nanos = (ticks * 10_000_000 / 3) as u64;
            // Keep the exact tick: recover it on encoding by rounding.
            if ticks >= 25_920_000 {
                days += 1;
                nanos = 0;
            }
        }
        SqlType::SmallDateTime => {
            // 29.998 s rounds down, 29.999 s up.
            let minutes = (nanos + 30_001_000_000) / 60_000_000_000;
            nanos = minutes * 60_000_000_000;
        }
        SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => {
            let unit = 10u64.pow(9 - u32::from((*scale).min(7)));
            nanos = (nanos + unit / 2) / unit * unit;
        }
        SqlType::Date => {
            nanos = 0;
        }
        _ => {}
    }
    if nanos >= NANOS_PER_DAY {
        days += 1;
        nanos -= NANOS_PER_DAY;
    }
    if !date_in_range(days, ty) {
        return Err(SqlError::date_range(ty));
    }
    let days = days as i32;
    Ok(match ty {
        SqlType::Date => Value::Date(days),
        SqlType::DateTimeOffset { .. } => Value::DateTime(DateTimeValue {
            days,
            nanos,
            offset,
        }),
        _ => Value::DateTime(DateTimeValue {
            days,
            nanos,
            offset: 0,
        }),
    })
}

// ---------------------------------------------------------------------------
// Code page 1252

const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
];

/// UTF-16 units to code page 1252, `?` for each unit it cannot hold (so an
/// emoji, two units, becomes `??`), as SQL Server converts.
pub(crate) fn cp1252_encode(units: &[u16]) -> Vec<u8> {
    units
        .iter()
        .map(|&u| match u {
            0..=0x7F | 0xA0..=0xFF => u as u8,
            _ => CP1252_HIGH
                .iter()
                .position(|&h| h == u)
                .map(|i| 0x80 + i as u8)
                .unwrap_or(b'?'),
        })
        .collect()
}

pub(crate) fn cp1252_decode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => {
                char::from_u32(u32::from(CP1252_HIGH[usize::from(b - 0x80)])).unwrap_or('?')
            }
            _ => char::from(b),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Storing a dump field in a column

fn pow10(n: u8) -> i128 {
    10i128.pow(u32::from(n))
}

fn int_range(ty: &SqlType) -> (i64, i64) {
    match ty {
        SqlType::TinyInt => (0, 255),
        SqlType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX)),
        SqlType::Int => (i64::from(i32::MIN), i64::from(i32::MAX)),
        SqlType::Bit => (i64::MIN, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The uniqueidentifier the server makes of an integer: the integer's eight
/// big-endian bytes at the end, zeros before. SQL Server orders
/// uniqueidentifiers by their last six bytes first, so these sort as the
/// integers do (below 2^48).
pub(crate) fn guid_of_int(i: i64) -> [u8; 16] {
    let mut g = [0u8; 16];
    g[8..].copy_from_slice(&i.to_be_bytes());
    g
}

pub(crate) fn format_guid(g: &[u8; 16]) -> String {
    let h: String = g.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    let mut g = [0u8; 16];
    for (i, b) in g.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(g)
}

/// A dump field stored in a column: what the column would hold on SQL
/// Server.
pub(crate) fn store<'a>(field: FieldValue<'a>, column: &ColumnDef) -> Result<Value<'a>, SqlError> {
    let ty = &column.sql_type;
    match field {
        FieldValue::Null => Ok(Value::Null),
        FieldValue::Int(i) => {
            if *ty == SqlType::UniqueIdentifier {
                return Ok(Value::Guid(guid_of_int(i)));
            }
            cast(Value::Int(i), &SqlType::BigInt, ty)
        }
        FieldValue::Text(s, raw) => {
            let text = match raw {
                Some(raw) => UText::Utf16(Cow::Borrowed(raw)),
                None => UText::Str(Cow::Borrowed(s)),
            };
            cast(Value::Unicode(text), &SqlType::NVarChar(Len::Max), ty)
        }
        FieldValue::Timestamp(t) => {
            let (days, nanos) = timestamp_parts(&t);
            if ty.is_datetime() || *ty == SqlType::Date {
                round_datetime(days, nanos, ty, column.offset_minutes)
            } else {
                let v = round_datetime(days, nanos, &SqlType::DateTime2 { scale: 7 }, 0)?;
                cast(v, &SqlType::DateTime2 { scale: 7 }, ty)
            }
        }
        FieldValue::Date(d) => {
            let days = u32::try_from(d.month)
                .ok()
                .zip(u32::try_from(d.day).ok())
                .and_then(|(m, dd)| days_from_civil(d.year, m, dd))
                .ok_or_else(|| {
                    SqlError::new(
                        241,
                        16,
                        "Conversion failed when converting date and/or time from character string.",
                    )
                })?;
            if ty.is_datetime() {
                round_datetime(i64::from(days), 0, ty, column.offset_minutes)
            } else {
                cast(Value::Date(days), &SqlType::Date, ty)
            }
        }
    }
}

/// The value of an extra column (one without a field): NULL when nullable,
/// otherwise derived from the row's key.
pub(crate) fn extra_value(column: &ColumnDef, key: i64) -> Result<Value<'static>, SqlError> {
    if column.nullable {
        return Ok(Value::Null);
    }
    let ty = &column.sql_type;
    let v = match ty {
        SqlType::TinyInt => Value::Int(key.rem_euclid(256)),
        SqlType::SmallInt => Value::Int(key.rem_euclid(32_768)),
        SqlType::Int => Value::Int(key.rem_euclid(1 << 31)),
        SqlType::BigInt => Value::Int(key),
        SqlType::Bit => Value::Int(key & 1),
        SqlType::UniqueIdentifier => Value::Guid(guid_of_int(key)),
        SqlType::Date => Value::Date(DATETIME_EPOCH_DAYS + 36_525 + key.rem_euclid(3_650) as i32),
        t if t.is_datetime() => round_datetime(
            i64::from(DATETIME_EPOCH_DAYS + 36_525) + key.rem_euclid(3_650),
            0,
            t,
            column.offset_minutes,
        )?,
        t if t.is_decimal() => {
            let digits = match t {
                SqlType::Decimal { precision, scale } | SqlType::Numeric { precision, scale } => {
                    precision - scale
                }
                _ => 9,
            };
            return cast(
                Value::Int(key.rem_euclid(pow10(digits.min(18)) as i64)),
                &SqlType::BigInt,
                t,
            );
        }
        t if t.is_text() || t.is_binary() || matches!(t, SqlType::Float | SqlType::Real) => {
            return cast(
                Value::Unicode(UText::Str(Cow::Owned(format!("{key}")))),
                &SqlType::NVarChar(Len::Max),
                t,
            )
            .or_else(|_| cast(Value::Int(key), &SqlType::BigInt, t));
        }
        _ => Value::Null,
    };
    Ok(v)
}

// ---------------------------------------------------------------------------
// CAST

fn truncate_units(text: UText<'_>, max: Option<usize>, pad_to: Option<usize>) -> UText<'_> {
    if pad_to.is_none() && max.is_none_or(|n| text.units_at_most() <= n) {
        return text;
    }
    let units = text.units();
    match (max, pad_to) {
        (Some(n), _) if units > n => {
            let mut u = text.to_utf16();
            u.truncate(n);
            if let Some(p) = pad_to {
                u.resize(p, u16::from(b' '));
            }
            utext_from_units(&u)
        }
        (_, Some(p)) if units < p => {
            let mut s = text.to_utf16();
            s.resize(p, u16::from(b' '));
            utext_from_units(&s)
        }
        _ => text,
    }
}

fn len_limit(len: &Len) -> Option<usize> {
    match len {
        Len::N(n) => Some(usize::from(*n)),
        Len::Max => None,
    }
}

fn bytes_fit<'a>(
    bytes: Cow<'a, [u8]>,
    max: Option<usize>,
    pad_to: Option<usize>,
    pad: u8,
) -> Cow<'a, [u8]> {
    let mut bytes = bytes;
    if let Some(n) = max
        && bytes.len() > n
    {
        bytes.to_mut().truncate(n);
    }
    if let Some(p) = pad_to
        && bytes.len() < p
    {
        bytes.to_mut().resize(p, pad);
    }
    bytes
}

/// Text as a string (for converting to numbers, dates, ...).
fn as_string(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Unicode(t) => Some(t.to_string_lossy()),
        Value::Ansi(b) => Some(cp1252_decode(b)),
        _ => None,
    }
}

/// The text SQL Server gives for a value converted to a string type.
fn render(v: &Value<'_>, from: &SqlType) -> String {
    match v {
        Value::Null => String::new(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f}"),
        Value::Decimal(d) => render_decimal(*d, from.scale()),
        Value::Unicode(t) => t.to_string_lossy(),
        Value::Ansi(b) => cp1252_decode(b),
        Value::Binary(b) => cp1252_decode(b),
        Value::Date(d) => {
            let (y, m, dd) = civil_from_days(*d);
            format!("{y:04}-{m:02}-{dd:02}")
        }
        Value::DateTime(dt) => {
            let (days, nanos) = dt.local();
            let (y, m, d) = civil_from_days(days);
            let secs = nanos / 1_000_000_000;
            let frac = nanos % 1_000_000_000;
            let base = format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
            let scale = match from {
                SqlType::DateTime => 3,
                SqlType::SmallDateTime => 0,
                t => t.scale(),
            };
            let mut out = base;
            if scale > 0 {
                let digits = format!("{:09}", frac + if scale == 3 { 500_000 } else { 0 });
                out.push('.');
                out.push_str(&digits[..usize::from(scale)]);
            }
            if let SqlType::DateTimeOffset { .. } = from {
                let o = dt.offset;
                let sign = if o < 0 { '-' } else { '+' };
                out.push_str(&format!(" {sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60));
            }
            out
        }
        Value::Guid(g) => format_guid(g),
    }
}

fn render_decimal(v: i128, scale: u8) -> String {
    if scale == 0 {
        return v.to_string();
    }
    let p = pow10(scale);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    format!(
        "{sign}{}.{:0width$}",
        a / p,
        a % p,
        width = usize::from(scale)
    )
}

fn parse_number(s: &str) -> Option<(i128, u8)> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = u8::try_from(frac.len()).ok().filter(|s| *s <= 38)?;
    let mut v: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    Some((if neg { -v } else { v }, scale))
}

fn parse_datetime(s: &str) -> Option<(i64, u64, i16)> {
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let mut parts = date.split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let days = i64::from(days_from_civil(y, m, d)?);
    if rest.is_empty() {
        return Some((days, 0, 0));
    }
    let (time, offset) = match rest.find(['+', '-', 'Z']) {
        Some(i) => (rest[..i].trim(), rest[i..].trim()),
        None => (rest, ""),
    };
    let mut hms = time.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let mi: u64 = hms.next().unwrap_or("0").parse().ok()?;
    let sec = hms.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let sec: u64 = whole.parse().ok()?;
    let mut frac_nanos = 0u64;
    for (i, c) in frac.chars().take(9).enumerate() {
        frac_nanos += u64::from(c.to_digit(10)?) * 10u64.pow(8 - i as u32);
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let offset = match offset {
        "" | "Z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
            sign * (oh.trim().parse::<i16>().ok()? * 60 + om.trim().parse::<i16>().ok()?)
        }
    };
    Some((
        days,
        (h * 3600 + mi * 60 + sec) * 1_000_000_000 + frac_nanos,
        offset,
    ))
}

fn decimal_fits(v: i128, ty: &SqlType) -> bool {
    match ty {
        SqlType::Decimal { precision, .. } | SqlType::Numeric { precision, .. } => {
            v.abs() < pow10(*precision)
        }
        SqlType::Money => i64::try_from(v).is_ok(),
        SqlType::SmallMoney => i32::try_from(v).is_ok(),
        _ => true,
    }
}

fn rescale(v: i128, from: u8, to: u8) -> i128 {
    match from.cmp(&to) {
        Ordering::Equal => v,
        Ordering::Less => v * pow10(to - from),
        Ordering::Greater => {
            // Round half away from zero, as SQL Server does.
            let p = pow10(from - to);
            let q = v / p;
            let r = v % p;
            if r.abs() * 2 >= p { q + v.signum() } else { q }
        }
    }
}

/// `CAST(v AS to)` for a value of type `from`.
pub(crate) fn cast<'a>(v: Value<'a>, from: &SqlType, to: &SqlType) -> Result<Value<'a>, SqlError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if from == to {
        return Ok(v);
    }
    let not_allowed = || SqlError::not_allowed(from, to);
    match to {
        SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt | SqlType::Bit => {
            let i: i128 = match &v {
                Value::Int(i) => i128::from(*i),
                Value::Float(f) => f.trunc() as i128,
                Value::Decimal(d) => d / pow10(from.scale()),
                Value::Unicode(_) | Value::Ansi(_) => {
                    let s = as_string(&v).unwrap_or_default();
                    match parse_number(&s) {
                        Some((n, scale)) if scale == 0 || *to == SqlType::Bit => n / pow10(scale),
                        _ => return Err(SqlError::conversion(from, s.trim(), to)),
                    }
                }
                Value::Binary(b) => {
                    let n = match to {
                        SqlType::TinyInt | SqlType::Bit => 1,
                        SqlType::SmallInt => 2,
                        SqlType::Int => 4,
                        _ => 8,
                    };
                    let tail = &b[b.len().saturating_sub(n)..];
                    let mut x: i64 = 0;
                    for &byte in tail {
                        x = (x << 8) | i64::from(byte);
                    }
                    i128::from(x)
                }
                _ => return Err(not_allowed()),
            };
            if *to == SqlType::Bit {
                return Ok(Value::Int(i64::from(i != 0)));
            }
            let (lo, hi) = int_range(to);
            if i < i128::from(lo) || i > i128::from(hi) {
                return Err(SqlError::overflow(to));
            }
            Ok(Value::Int(i as i64))
        }
        SqlType::Decimal { .. }
        | SqlType::Numeric { .. }
        | SqlType::Money
        | SqlType::SmallMoney => {
            let s = to.scale();
            let d = match &v {
                Value::Int(i) => i128::from(*i) * pow10(s),
                Value::Float(f) => (f * pow10(s) as f64).round() as i128,
                Value::Decimal(d) => rescale(*d, from.scale(), s),
                Value::Unicode(_) | Value::Ansi(_) => {
                    let text = as_string(&v).unwrap_or_default();
                    match parse_number(&text) {
                        Some((n, scale)) => rescale(n, scale, s),
                        None => return Err(SqlError::conversion(from, text.trim(), to)),
                    }
                }
                _ => return Err(not_allowed()),
            };
            if !decimal_fits(d, to) {
                return Err(SqlError::overflow(to));
            }
            Ok(Value::Decimal(d))
        }
        SqlType::Float | SqlType::Real => {
            let f = match &v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                Value::Decimal(d) => *d as f64 / pow10(from.scale()) as f64,
                Value::Unicode(_) | Value::Ansi(_) => {
                    let s = as_string(&v).unwrap_or_default();
                    s.trim()
                        .parse::<f64>()
                        .map_err(|_| SqlError::conversion(from, s.trim(), to))?
                }
                _ => return Err(not_allowed()),
            };
            Ok(Value::Float(if *to == SqlType::Real {
                f64::from(f as f32)
            } else {
                f
            }))
        }
        SqlType::NChar(_) | SqlType::NVarChar(_) | SqlType::NText => {
            let (max, pad) = match to {
                SqlType::NChar(n) => (Some(usize::from(*n)), Some(usize::from(*n))),
                SqlType::NVarChar(l) => (len_limit(l), None),
                _ => (None, None),
            };
            let text = match v {
                Value::Unicode(t) => t,
                Value::Ansi(b) => UText::Str(Cow::Owned(cp1252_decode(&b))),
                Value::Binary(b) => {
                    // The bytes read as UTF-16LE, as SQL Server does.
                    UText::Utf16(b)
                }
                other => UText::Str(Cow::Owned(render(&other, from))),
            };
            Ok(Value::Unicode(truncate_units(text, max, pad)))
        }
        SqlType::Char(_) | SqlType::VarChar(_) | SqlType::Text => {
            let (max, pad) = match to {
                SqlType::Char(n) => (Some(usize::from(*n)), Some(usize::from(*n))),
                SqlType::VarChar(l) => (len_limit(l), None),
                _ => (None, None),
            };
            let bytes: Cow<'a, [u8]> = match v {
                Value::Ansi(b) => b,
                Value::Binary(b) => b,
                Value::Unicode(t) => Cow::Owned(cp1252_encode(&t.to_utf16())),
                other => Cow::Owned(cp1252_encode(
                    &render(&other, from).encode_utf16().collect::<Vec<_>>(),
                )),
            };
            Ok(Value::Ansi(bytes_fit(bytes, max, pad, b' ')))
        }
        SqlType::Binary(_) | SqlType::VarBinary(_) => {
            let (max, pad) = match to {
                SqlType::Binary(n) => (Some(usize::from(*n)), Some(usize::from(*n))),
                SqlType::VarBinary(l) => (len_limit(l), None),
                _ => (None, None),
            };
            let bytes: Cow<'a, [u8]> = match v {
                Value::Binary(b) | Value::Ansi(b) => b,
                Value::Unicode(UText::Utf16(b)) => b,
                Value::Unicode(t) => {
                    let mut out = Vec::with_capacity(t.units_at_most() * 2);
                    t.write_utf16le(&mut out);
                    Cow::Owned(out)
                }
                Value::Int(i) => {
                    let n = match from {
                        SqlType::TinyInt | SqlType::Bit => 1,
                        SqlType::SmallInt => 2,
                        SqlType::Int => 4,
                        _ => 8,
                    };
                    Cow::Owned(i.to_be_bytes()[8 - n..].to_vec())
                }
                Value::Guid(g) => {
                    let mut w = g;
                    guid_wire_order(&mut w);
                    Cow::Owned(w.to_vec())
                }
                _ => return Err(not_allowed()),
            };
            // binary(n) pads with zeros on the right.
            Ok(Value::Binary(bytes_fit(bytes, max, pad, 0)))
        }
        SqlType::Date
        | SqlType::DateTime
        | SqlType::SmallDateTime
        | SqlType::DateTime2 { .. }
        | SqlType::DateTimeOffset { .. } => {
            let (days, nanos, offset) = match &v {
                Value::Date(d) => (i64::from(*d), 0, 0),
                Value::DateTime(dt) => {
                    if matches!(to, SqlType::DateTimeOffset { .. }) {
                        // Keeps the instant and the offset.
                        let (d, n) = dt.local();
                        (i64::from(d), n, dt.offset)
                    } else {
                        // Drops the offset: the local wall clock stays.
                        let (d, n) = dt.local();
                        (i64::from(d), n, 0)
                    }
                }
                Value::Unicode(_) | Value::Ansi(_) => {
                    let s = as_string(&v).unwrap_or_default();
                    parse_datetime(&s).ok_or_else(|| {
                        SqlError::new(
                            241,
                            16,
                            "Conversion failed when converting date and/or time from character string.",
                        )
                    })?
                }
                _ => return Err(not_allowed()),
            };
            // `days`/`nanos` are local wall-clock time here.
            let local = round_datetime(days, nanos, to, 0)?;
            Ok(match (local, to) {
                (Value::DateTime(dt), SqlType::DateTimeOffset { .. }) => {
                    Value::DateTime(DateTimeValue::from_local(dt.days, dt.nanos, offset))
                }
                (other, _) => other,
            })
        }
        SqlType::UniqueIdentifier => match &v {
            Value::Unicode(_) | Value::Ansi(_) => {
                let s = as_string(&v).unwrap_or_default();
                parse_guid(&s).map(Value::Guid).ok_or_else(|| {
                    SqlError::new(
                        8169,
                        16,
                        "Conversion failed when converting from a character string to uniqueidentifier.",
                    )
                })
            }
            Value::Binary(b) if b.len() >= 16 => {
                let mut g = [0u8; 16];
                g.copy_from_slice(&b[..16]);
                guid_wire_order(&mut g);
                Ok(Value::Guid(g))
            }
            _ => Err(not_allowed()),
        },
    }
}

/// Swaps RFC 4122 order to SQL Server's (and back): the first three groups
/// are little-endian on the wire.
pub(crate) fn guid_wire_order(g: &mut [u8; 16]) {
    g.swap(0, 3);
    g.swap(1, 2);
    g.swap(4, 5);
    g.swap(6, 7);
}

// ---------------------------------------------------------------------------
// Comparison

fn numeric(v: &Value<'_>, ty: &SqlType) -> Option<(i128, u8, f64)> {
    match v {
        Value::Int(i) => Some((i128::from(*i), 0, *i as f64)),
        Value::Decimal(d) => Some((*d, ty.scale(), *d as f64 / pow10(ty.scale()) as f64)),
        Value::Float(f) => Some((0, 0, *f)),
        _ => None,
    }
}

fn fold_ci(units: &[u16]) -> Vec<char> {
    let s = String::from_utf16_lossy(units);
    let trimmed = s.trim_end_matches(' ');
    trimmed.chars().flat_map(|c| c.to_lowercase()).collect()
}

/// SQL comparison: `None` when either side is NULL. Text compares
/// case-insensitively ignoring trailing spaces (the default collation);
/// text against a number converts the text.
pub(crate) fn compare(
    a: &Value<'_>,
    ta: &SqlType,
    b: &Value<'_>,
    tb: &SqlType,
) -> Result<Option<Ordering>, SqlError> {
    if a.is_null() || b.is_null() {
        return Ok(None);
    }
    if let (Some(x), Some(y)) = (numeric(a, ta), numeric(b, tb)) {
        let floats = matches!(a, Value::Float(_)) || matches!(b, Value::Float(_));
        if floats {
            return Ok(x.2.partial_cmp(&y.2));
        }
        let s = x.1.max(y.1);
        return Ok(Some(rescale(x.0, x.1, s).cmp(&rescale(y.0, y.1, s))));
    }
    let text = |v: &Value<'_>| match v {
        Value::Unicode(t) => Some(t.to_utf16()),
        Value::Ansi(b) => Some(cp1252_decode(b).encode_utf16().collect()),
        _ => None,
    };
    if let (Some(x), Some(y)) = (text(a), text(b)) {
        return Ok(Some(fold_ci(&x).cmp(&fold_ci(&y))));
    }
    // Mixed: convert the text side to the other side's type.
    if text(a).is_some() {
        let converted = cast(a.clone(), ta, tb)?;
        return compare(&converted, tb, b, tb);
    }
    if text(b).is_some() {
        let converted = cast(b.clone(), tb, ta)?;
        return compare(a, ta, &converted, ta);
    }
    let instant = |v: &Value<'_>| match v {
        Value::Date(d) => Some(i128::from(*d) * NANOS_PER_DAY as i128),
        Value::DateTime(dt) => Some(dt.utc_total()),
        _ => None,
    };
    if let (Some(x), Some(y)) = (instant(a), instant(b)) {
        return Ok(Some(x.cmp(&y)));
    }
    match (a, b) {
        (Value::Binary(x), Value::Binary(y)) => Ok(Some(x.cmp(y))),
        (Value::Guid(x), Value::Guid(y)) => {
            let key = |g: &[u8; 16]| {
                (
                    g[10..16].to_vec(),
                    g[8..10].to_vec(),
                    [g[7], g[6]],
                    [g[5], g[4]],
                    [g[3], g[2], g[1], g[0]],
                )
            };
            Ok(Some(key(x).cmp(&key(y))))
        }
        _ => Err(SqlError::new(
            206,
            16,
            format!(
                "Operand type clash: {} is incompatible with {}",
                ta.name(),
                tb.name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_right() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(UNIX_EPOCH_DAYS));
        assert_eq!(days_from_civil(1900, 1, 1), Some(DATETIME_EPOCH_DAYS));
        assert_eq!(days_from_civil(1, 1, 1), Some(0));
        assert_eq!(days_from_civil(1753, 1, 1), Some(639_905));
        assert_eq!(days_from_civil(9999, 12, 31), Some(3_652_058));
        assert_eq!(days_from_civil(2079, 6, 6), Some(759_130));
        assert_eq!(civil_from_days(UNIX_EPOCH_DAYS), (1970, 1, 1));
    }

    #[test]
    fn datetime_rounds_to_three_hundredths() {
        // 12:00:00.0049 -> .003 (tick 1 after the second)... SQL Server
        // rounds .0049 to .003 and .005 to .007.
        let d = |ms_nanos: u64| match round_datetime(
            800_000,
            43_200_000_000_000 + ms_nanos,
            &SqlType::DateTime,
            0,
        )
        .unwrap()
        {
            Value::DateTime(dt) => (dt.nanos - 43_200_000_000_000) / 1_000_000,
            v => panic!("{v:?}"),
        };
        assert_eq!(d(0), 0);
        assert_eq!(d(1_000_000), 0);
        assert_eq!(d(2_000_000), 3);
        assert_eq!(d(4_900_000), 3);
        assert_eq!(d(5_100_000), 6);
        // 23:59:59.999 rolls over to the next day.
        match round_datetime(800_000, NANOS_PER_DAY - 1_000_000, &SqlType::DateTime, 0).unwrap() {
            Value::DateTime(dt) => assert_eq!((dt.days, dt.nanos), (800_001, 0)),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn out_of_range_dates_fail_like_sql_server() {
        let e = round_datetime(600_000, 0, &SqlType::DateTime, 0).unwrap_err();
        assert_eq!(e.number, 242);
        assert!(round_datetime(600_000, 0, &SqlType::DateTime2 { scale: 7 }, 0).is_ok());
        assert!(round_datetime(800_000, 0, &SqlType::SmallDateTime, 0).is_err());
    }

    #[test]
    fn casts_text_to_bytes_and_back() {
        let v = Value::Unicode(UText::Str(Cow::Borrowed("Åsa 😀")));
        let bytes = cast(
            v.clone(),
            &SqlType::NVarChar(Len::N(50)),
            &SqlType::VarBinary(Len::Max),
        )
        .unwrap();
        let expected: Vec<u8> = "Åsa 😀"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(bytes, Value::Binary(Cow::Owned(expected)));
        let ansi = cast(
            v,
            &SqlType::NVarChar(Len::N(50)),
            &SqlType::VarChar(Len::N(50)),
        )
        .unwrap();
        assert_eq!(ansi, Value::Ansi(Cow::Owned(b"\xc5sa ??".to_vec())));
        let back = cast(
            ansi,
            &SqlType::VarChar(Len::N(50)),
            &SqlType::NVarChar(Len::N(10)),
        )
        .unwrap();
        assert_eq!(back, Value::text("Åsa ??"));
        let padded = cast(
            Value::text("ab"),
            &SqlType::NVarChar(Len::Max),
            &SqlType::NChar(4),
        )
        .unwrap();
        assert_eq!(padded, Value::text("ab  "));
        let cut = cast(
            Value::text("abcdef"),
            &SqlType::NVarChar(Len::Max),
            &SqlType::NVarChar(Len::N(3)),
        )
        .unwrap();
        assert_eq!(cut, Value::text("abc"));
    }

    #[test]
    fn casts_numbers() {
        let d = cast(
            Value::Int(12),
            &SqlType::Int,
            &SqlType::Decimal {
                precision: 5,
                scale: 2,
            },
        )
        .unwrap();
        assert_eq!(d, Value::Decimal(1200));
        let e = cast(
            Value::Int(1000),
            &SqlType::Int,
            &SqlType::Decimal {
                precision: 5,
                scale: 2,
            },
        )
        .unwrap_err();
        assert_eq!(e.number, 8115);
        let e = cast(Value::Int(300), &SqlType::Int, &SqlType::TinyInt).unwrap_err();
        assert_eq!(e.number, 8115);
        let e = cast(
            Value::text("x1"),
            &SqlType::NVarChar(Len::Max),
            &SqlType::Int,
        )
        .unwrap_err();
        assert_eq!(e.number, 245);
        assert_eq!(
            cast(
                Value::Decimal(12345),
                &SqlType::Money,
                &SqlType::NVarChar(Len::Max)
            )
            .unwrap(),
            Value::text("1.2345")
        );
    }

    #[test]
    fn compares_text_case_insensitively() {
        let t = SqlType::NVarChar(Len::N(10));
        assert_eq!(
            compare(&Value::text("Members"), &t, &Value::text("MEMBERS  "), &t).unwrap(),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(
                &Value::Int(3),
                &SqlType::Int,
                &Value::Decimal(250),
                &SqlType::Money
            )
            .unwrap(),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&Value::Null, &t, &Value::Int(1), &SqlType::Int).unwrap(),
            None
        );
    }

    #[test]
    fn datetimeoffset_keeps_the_instant() {
        let col = ColumnDef {
            offset_minutes: 120,
            ..ColumnDef::new("T", Some("t"), SqlType::DateTimeOffset { scale: 7 }, false)
        };
        let t = prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 123_456_789,
        };
        match store(FieldValue::Timestamp(t), &col).unwrap() {
            Value::DateTime(dt) => {
                let (days, nanos) = timestamp_parts(&t);
                assert_eq!(i64::from(dt.days), days);
                assert_eq!(dt.nanos, nanos / 100 * 100 + 100);
                assert_eq!(dt.offset, 120);
            }
            v => panic!("{v:?}"),
        }
    }
}

//! `CAST(v AS type)` (and `CONVERT`) between the types this server knows,
//! with SQL Server's rounding, truncation, padding and errors.

use super::date::{DateTimeValue, civil_from_days, parse_datetime, round_datetime};
use super::guid::{format_guid, guid_wire_order, parse_guid};
use super::number::{decimal_fits, int_range, parse_number, pow10, render_decimal, rescale};
use super::text::{UText, cp1252_decode, cp1252_encode, utext_from_units};
use super::{SqlError, Value};
use crate::catalog::{Len, SqlType};
use std::borrow::Cow;

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
/// The bytes of an integer type's value in a binary cast, either way:
/// tinyint and bit 1, smallint 2, int 4, bigint 8.
fn integer_bytes(ty: &SqlType) -> usize {
    match ty {
        SqlType::TinyInt | SqlType::Bit => 1,
        SqlType::SmallInt => 2,
        SqlType::Int => 4,
        _ => 8,
    }
}

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
                    let n = integer_bytes(to);
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
                    let n = integer_bytes(from);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn integers_cast_to_and_from_binary_by_their_width() {
        let bytes = |b: &[u8]| Value::Binary(Cow::Owned(b.to_vec()));
        for (ty, value, expected) in [
            (SqlType::TinyInt, 0x12, &[0x12][..]),
            (SqlType::Bit, 1, &[0x01]),
            (SqlType::SmallInt, 0x1234, &[0x12, 0x34]),
            (SqlType::Int, 0x1234_5678, &[0x12, 0x34, 0x56, 0x78]),
            (
                SqlType::BigInt,
                0x0102_0304_0506_0708,
                &[1, 2, 3, 4, 5, 6, 7, 8],
            ),
        ] {
            let binary = SqlType::VarBinary(Len::Max);
            let b = cast(Value::Int(value), &ty, &binary).unwrap();
            assert_eq!(b, bytes(expected), "{ty:?}");
            // Back, from the rightmost bytes of a longer value.
            let longer = [&[0x7F, 0x7F][..], expected].concat();
            let back = cast(bytes(&longer), &binary, &ty).unwrap();
            assert_eq!(back, Value::Int(value), "{ty:?}");
        }
    }

    #[test]
    fn casts_numbers() {
        let decimal_5_2 = SqlType::Decimal {
            precision: 5,
            scale: 2,
        };
        let d = cast(Value::Int(12), &SqlType::Int, &decimal_5_2).unwrap();
        assert_eq!(d, Value::Decimal(1200));
        let e = cast(Value::Int(1000), &SqlType::Int, &decimal_5_2).unwrap_err();
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
}

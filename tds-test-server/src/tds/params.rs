//! An RPC parameter's TYPE_INFO and value, read as SQL Server reads them:
//! fixed-length and nullable numbers, dates and times, decimals, character
//! and binary types (PLP for `max`), and `text`, `ntext` and `image` as
//! clients below TDS 7.2 send long values.

use super::reader::Rd;
use crate::catalog::{Len, SqlType};
use crate::value::{DATETIME_EPOCH_DAYS, DateTimeValue, UText, Value, guid_wire_order};
use std::borrow::Cow;
use std::io;

fn read_plp(r: &mut Rd<'_>) -> io::Result<Option<Vec<u8>>> {
    let total = r.u64()?;
    if total == u64::MAX {
        return Ok(None);
    }
    let mut out = Vec::new();
    loop {
        let chunk = r.u32()? as usize;
        if chunk == 0 {
            break;
        }
        out.extend_from_slice(r.take(chunk)?);
    }
    Ok(Some(out))
}

fn le_int(b: &[u8]) -> i64 {
    let mut x = [0u8; 8];
    x[..b.len()].copy_from_slice(b);
    let v = i64::from_le_bytes(x);
    // Sign-extend.
    let bits = b.len() * 8;
    if bits < 64 {
        (v << (64 - bits)) >> (64 - bits)
    } else {
        v
    }
}

fn time_nanos(b: &[u8], scale: u8) -> u64 {
    let mut x = [0u8; 8];
    x[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(x) * 10u64.pow(9 - u32::from(scale.min(7)))
}

fn date_days(b: &[u8]) -> i32 {
    i32::from_le_bytes([b[0], b[1], b[2], 0])
}

/// Reads a TYPE_INFO and its value; `None` for a type this server does not
/// take as a parameter.
pub(super) fn read_typed_value(r: &mut Rd<'_>) -> io::Result<Option<(SqlType, Value<'static>)>> {
    let ty = r.u8()?;
    // Fixed-length types: the value follows.
    let fixed = |r: &mut Rd<'_>, ty: SqlType, n: usize| -> io::Result<(SqlType, Value<'static>)> {
        let b = r.take(n)?;
        Ok((ty, fixed_value(&ty, b)))
    };
    let out = match ty {
        0x1F => (SqlType::Int, Value::Null),
        0x30 => fixed(r, SqlType::TinyInt, 1)?,
        0x32 => fixed(r, SqlType::Bit, 1)?,
        0x34 => fixed(r, SqlType::SmallInt, 2)?,
        0x38 => fixed(r, SqlType::Int, 4)?,
        0x7F => fixed(r, SqlType::BigInt, 8)?,
        0x3B => fixed(r, SqlType::Real, 4)?,
        0x3E => fixed(r, SqlType::Float, 8)?,
        0x3D => fixed(r, SqlType::DateTime, 8)?,
        0x3A => fixed(r, SqlType::SmallDateTime, 4)?,
        0x3C => fixed(r, SqlType::Money, 8)?,
        0x7A => fixed(r, SqlType::SmallMoney, 4)?,
        0x26 | 0x68 | 0x6D | 0x6E | 0x6F | 0x24 => {
            let max = r.u8()?;
            let sql = match (ty, max) {
                (0x26, 1) => SqlType::TinyInt,
                (0x26, 2) => SqlType::SmallInt,
                (0x26, 4) => SqlType::Int,
                (0x26, _) => SqlType::BigInt,
                (0x68, _) => SqlType::Bit,
                (0x6D, 4) => SqlType::Real,
                (0x6D, _) => SqlType::Float,
                (0x6E, 4) => SqlType::SmallMoney,
                (0x6E, _) => SqlType::Money,
                (0x6F, 4) => SqlType::SmallDateTime,
                (0x6F, _) => SqlType::DateTime,
                _ => SqlType::UniqueIdentifier,
            };
            let len = usize::from(r.u8()?);
            if len == 0 {
                (sql, Value::Null)
            } else {
                let b = r.take(len)?;
                // A length that disagrees with the type (an INTN 8 holding 4
                // bytes) still reads by its own length.
                let sql_by_len = match (ty, len) {
                    (0x26, 1) => SqlType::TinyInt,
                    (0x26, 2) => SqlType::SmallInt,
                    (0x26, 4) => SqlType::Int,
                    (0x26, 8) => SqlType::BigInt,
                    (0x6D, 4) => SqlType::Real,
                    (0x6E, 4) => SqlType::SmallMoney,
                    (0x6F, 4) => SqlType::SmallDateTime,
                    _ => sql,
                };
                (sql, fixed_value(&sql_by_len, b))
            }
        }
        0x28 => {
            let len = usize::from(r.u8()?);
            if len == 0 {
                (SqlType::Date, Value::Null)
            } else {
                (SqlType::Date, Value::Date(date_days(r.take(3)?)))
            }
        }
        0x2A | 0x2B => {
            let scale = r.u8()?;
            let sql = if ty == 0x2A {
                SqlType::DateTime2 { scale }
            } else {
                SqlType::DateTimeOffset { scale }
            };
            let len = usize::from(r.u8()?);
            if len == 0 {
                (sql, Value::Null)
            } else {
                let b = r.take(len)?;
                let tlen = if ty == 0x2A { len - 3 } else { len - 5 };
                let nanos = time_nanos(&b[..tlen], scale);
                let days = date_days(&b[tlen..tlen + 3]);
                let offset = if ty == 0x2B {
                    i16::from_le_bytes([b[tlen + 3], b[tlen + 4]])
                } else {
                    0
                };
                (
                    sql,
                    Value::DateTime(DateTimeValue {
                        days,
                        nanos,
                        offset,
                    }),
                )
            }
        }
        0x6A | 0x6C => {
            let _max = r.u8()?;
            let precision = r.u8()?;
            let scale = r.u8()?;
            let sql = if ty == 0x6A {
                SqlType::Decimal { precision, scale }
            } else {
                SqlType::Numeric { precision, scale }
            };
            let len = usize::from(r.u8()?);
            if len == 0 {
                (sql, Value::Null)
            } else {
                let b = r.take(len)?;
                let mut m = [0u8; 16];
                m[..len - 1].copy_from_slice(&b[1..]);
                let v = u128::from_le_bytes(m) as i128;
                (sql, Value::Decimal(if b[0] == 0 { -v } else { v }))
            }
        }
        0xE7 | 0xEF | 0xA7 | 0xAF | 0xA5 | 0xAD => {
            let max = r.u16()?;
            if matches!(ty, 0xE7 | 0xEF | 0xA7 | 0xAF) {
                r.take(5)?;
            }
            let len = if max == 0xFFFF {
                Len::Max
            } else {
                Len::N(match ty {
                    0xE7 | 0xEF => (max / 2).max(1),
                    _ => max.max(1),
                })
            };
            let fixed_len = match len {
                Len::N(n) => n,
                Len::Max => 0,
            };
            let sql = match ty {
                0xE7 => SqlType::NVarChar(len),
                0xEF => SqlType::NChar(fixed_len),
                0xA7 => SqlType::VarChar(len),
                0xAF => SqlType::Char(fixed_len),
                0xA5 => SqlType::VarBinary(len),
                _ => SqlType::Binary(fixed_len),
            };
            let data = if max == 0xFFFF {
                read_plp(r)?
            } else {
                let n = r.u16()?;
                if n == 0xFFFF {
                    None
                } else {
                    Some(r.take(usize::from(n))?.to_vec())
                }
            };
            let value = match data {
                None => Value::Null,
                Some(b) => match ty {
                    0xE7 | 0xEF => Value::Unicode(unicode(b)),
                    0xA7 | 0xAF => Value::Ansi(Cow::Owned(b)),
                    _ => Value::Binary(Cow::Owned(b)),
                },
            };
            (sql, value)
        }
        // text, ntext and image, as clients below TDS 7.2 send long
        // values: the maximum, a collation for text, then the length (-1 for
        // NULL) and the bytes, without the text pointer a ROW has.
        0x23 | 0x63 | 0x22 => {
            let _max = r.u32()?;
            if ty != 0x22 {
                r.take(5)?;
            }
            let len = r.u32()?;
            let data = if len == u32::MAX {
                None
            } else {
                Some(r.take(len as usize)?.to_vec())
            };
            let sql = match ty {
                0x23 => SqlType::Text,
                0x63 => SqlType::NText,
                _ => SqlType::VarBinary(Len::Max),
            };
            let value = match data {
                None => Value::Null,
                Some(b) => match ty {
                    0x63 => Value::Unicode(unicode(b)),
                    0x23 => Value::Ansi(Cow::Owned(b)),
                    _ => Value::Binary(Cow::Owned(b)),
                },
            };
            (sql, value)
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// UTF-16LE bytes as text: a string, or the exact units when they are not
/// valid UTF-16 (a lone surrogate).
fn unicode(b: Vec<u8>) -> UText<'static> {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    match String::from_utf16(&units) {
        Ok(s) => UText::Str(Cow::Owned(s)),
        Err(_) => UText::Utf16(Cow::Owned(b)),
    }
}

fn fixed_value(ty: &SqlType, b: &[u8]) -> Value<'static> {
    match ty {
        SqlType::TinyInt => Value::Int(i64::from(b[0])),
        SqlType::Bit => Value::Int(i64::from(b[0] != 0)),
        SqlType::SmallInt | SqlType::Int | SqlType::BigInt => Value::Int(le_int(b)),
        SqlType::Real => Value::Float(f64::from(f32::from_le_bytes(b.try_into().expect("4")))),
        SqlType::Float => Value::Float(f64::from_le_bytes(b.try_into().expect("8"))),
        SqlType::Money => {
            let high = i32::from_le_bytes(b[..4].try_into().expect("4"));
            let low = u32::from_le_bytes(b[4..8].try_into().expect("4"));
            Value::Decimal(i128::from((i64::from(high) << 32) | i64::from(low)))
        }
        SqlType::SmallMoney => Value::Decimal(i128::from(le_int(b))),
        SqlType::DateTime => {
            let days = i32::from_le_bytes(b[..4].try_into().expect("4"));
            let ticks = u32::from_le_bytes(b[4..8].try_into().expect("4"));
            Value::DateTime(DateTimeValue {
                days: days + DATETIME_EPOCH_DAYS,
                nanos: (u64::from(ticks) * 10_000_000).div_ceil(3),
                offset: 0,
            })
        }
        SqlType::SmallDateTime => {
            let days = u16::from_le_bytes([b[0], b[1]]);
            let minutes = u16::from_le_bytes([b[2], b[3]]);
            Value::DateTime(DateTimeValue {
                days: i32::from(days) + DATETIME_EPOCH_DAYS,
                nanos: u64::from(minutes) * 60_000_000_000,
                offset: 0,
            })
        }
        SqlType::UniqueIdentifier => {
            let mut g: [u8; 16] = b.try_into().unwrap_or([0; 16]);
            guid_wire_order(&mut g);
            Value::Guid(g)
        }
        _ => Value::Null,
    }
}

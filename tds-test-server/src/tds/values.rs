//! A column's TYPE_INFO, and values as a ROW holds them (PLP in chunks for
//! `max` types, text pointers for `text`/`ntext`).

use super::COLLATION;
use crate::catalog::{Len, SqlType};
use crate::value::{DATETIME_EPOCH_DAYS, NANOS_PER_DAY, Value, guid_wire_order};

fn decimal_len(precision: u8) -> u8 {
    match precision {
        0..=9 => 5,
        10..=19 => 9,
        20..=28 => 13,
        _ => 17,
    }
}

fn time_len(scale: u8) -> u8 {
    match scale {
        0..=2 => 3,
        3..=4 => 4,
        _ => 5,
    }
}

pub(super) fn put_type_info(buf: &mut Vec<u8>, ty: &SqlType) {
    let short = |buf: &mut Vec<u8>, code: u8, len: u16, collation: bool| {
        buf.push(code);
        buf.extend_from_slice(&len.to_le_bytes());
        if collation {
            buf.extend_from_slice(&COLLATION);
        }
    };
    let var = |l: &Len, unit: u16| match l {
        Len::N(n) => n * unit,
        Len::Max => 0xFFFF,
    };
    match ty {
        SqlType::TinyInt => buf.extend_from_slice(&[0x26, 1]),
        SqlType::SmallInt => buf.extend_from_slice(&[0x26, 2]),
        SqlType::Int => buf.extend_from_slice(&[0x26, 4]),
        SqlType::BigInt => buf.extend_from_slice(&[0x26, 8]),
        SqlType::Bit => buf.extend_from_slice(&[0x68, 1]),
        SqlType::Decimal { precision, scale } => {
            buf.extend_from_slice(&[0x6A, decimal_len(*precision), *precision, *scale])
        }
        SqlType::Numeric { precision, scale } => {
            buf.extend_from_slice(&[0x6C, decimal_len(*precision), *precision, *scale])
        }
        SqlType::Money => buf.extend_from_slice(&[0x6E, 8]),
        SqlType::SmallMoney => buf.extend_from_slice(&[0x6E, 4]),
        SqlType::Float => buf.extend_from_slice(&[0x6D, 8]),
        SqlType::Real => buf.extend_from_slice(&[0x6D, 4]),
        SqlType::Date => buf.push(0x28),
        SqlType::DateTime => buf.extend_from_slice(&[0x6F, 8]),
        SqlType::SmallDateTime => buf.extend_from_slice(&[0x6F, 4]),
        SqlType::DateTime2 { scale } => buf.extend_from_slice(&[0x2A, *scale]),
        SqlType::DateTimeOffset { scale } => buf.extend_from_slice(&[0x2B, *scale]),
        SqlType::UniqueIdentifier => buf.extend_from_slice(&[0x24, 16]),
        SqlType::Char(n) => short(buf, 0xAF, *n, true),
        SqlType::VarChar(l) => short(buf, 0xA7, var(l, 1), true),
        SqlType::NChar(n) => short(buf, 0xEF, n * 2, true),
        SqlType::NVarChar(l) => short(buf, 0xE7, var(l, 2), true),
        SqlType::Binary(n) => short(buf, 0xAD, *n, false),
        SqlType::VarBinary(l) => short(buf, 0xA5, var(l, 1), false),
        SqlType::Text | SqlType::NText => {
            buf.push(if *ty == SqlType::Text { 0x23 } else { 0x63 });
            let max: u32 = if *ty == SqlType::Text {
                2_147_483_647
            } else {
                2_147_483_646
            };
            buf.extend_from_slice(&max.to_le_bytes());
            buf.extend_from_slice(&COLLATION);
            // TableName: no parts.
            buf.push(0);
        }
    }
}

/// Bytes per PLP chunk: values longer than this go in several chunks.
pub(crate) const PLP_CHUNK: usize = 4096;

fn is_plp(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::VarChar(Len::Max) | SqlType::NVarChar(Len::Max) | SqlType::VarBinary(Len::Max)
    )
}

fn put_bytes(buf: &mut Vec<u8>, ty: &SqlType, bytes: &[u8]) {
    if is_plp(ty) {
        buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        for chunk in bytes.chunks(PLP_CHUNK) {
            buf.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
            buf.extend_from_slice(chunk);
        }
        buf.extend_from_slice(&0u32.to_le_bytes());
    } else if matches!(ty, SqlType::Text | SqlType::NText) {
        // Text pointer, timestamp, then the data.
        buf.push(16);
        buf.extend_from_slice(&[0xAB; 16]);
        buf.extend_from_slice(&[0; 8]);
        buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        buf.extend_from_slice(bytes);
    } else {
        let n = bytes.len().min(0xFFFE);
        buf.extend_from_slice(&(n as u16).to_le_bytes());
        buf.extend_from_slice(&bytes[..n]);
    }
}

fn put_null(buf: &mut Vec<u8>, ty: &SqlType) {
    match ty {
        t if is_plp(t) => buf.extend_from_slice(&u64::MAX.to_le_bytes()),
        SqlType::Char(_)
        | SqlType::VarChar(_)
        | SqlType::NChar(_)
        | SqlType::NVarChar(_)
        | SqlType::Binary(_)
        | SqlType::VarBinary(_) => buf.extend_from_slice(&0xFFFFu16.to_le_bytes()),
        _ => buf.push(0),
    }
}

/// Encodes a value of type `ty` as a ROW holds it.
pub(crate) fn put_value(buf: &mut Vec<u8>, v: &Value<'_>, ty: &SqlType) {
    match (v, ty) {
        (Value::Null, _) => put_null(buf, ty),
        (Value::Int(i), SqlType::Bit) => buf.extend_from_slice(&[1, u8::from(*i != 0)]),
        (Value::Int(i), SqlType::TinyInt) => buf.extend_from_slice(&[1, *i as u8]),
        (Value::Int(i), SqlType::SmallInt) => {
            buf.push(2);
            buf.extend_from_slice(&(*i as i16).to_le_bytes());
        }
        (Value::Int(i), SqlType::Int) => {
            buf.push(4);
            buf.extend_from_slice(&(*i as i32).to_le_bytes());
        }
        (Value::Int(i), SqlType::BigInt) => {
            buf.push(8);
            buf.extend_from_slice(&i.to_le_bytes());
        }
        (Value::Float(f), SqlType::Real) => {
            buf.push(4);
            buf.extend_from_slice(&(*f as f32).to_le_bytes());
        }
        (Value::Float(f), _) => {
            buf.push(8);
            buf.extend_from_slice(&f.to_le_bytes());
        }
        (Value::Decimal(d), SqlType::Money) => {
            let v = *d as i64;
            buf.push(8);
            buf.extend_from_slice(&((v >> 32) as i32).to_le_bytes());
            buf.extend_from_slice(&(v as u32).to_le_bytes());
        }
        (Value::Decimal(d), SqlType::SmallMoney) => {
            buf.push(4);
            buf.extend_from_slice(&(*d as i32).to_le_bytes());
        }
        (Value::Decimal(d), SqlType::Decimal { precision, .. })
        | (Value::Decimal(d), SqlType::Numeric { precision, .. }) => {
            let len = decimal_len(*precision);
            buf.push(len);
            buf.push(u8::from(*d >= 0));
            let m = d.unsigned_abs().to_le_bytes();
            buf.extend_from_slice(&m[..usize::from(len) - 1]);
        }
        (Value::Date(days), _) => {
            buf.push(3);
            buf.extend_from_slice(&days.to_le_bytes()[..3]);
        }
        (Value::DateTime(dt), SqlType::DateTime) => {
            let mut days = dt.days - DATETIME_EPOCH_DAYS;
            let mut ticks = (u128::from(dt.nanos) * 3 + 5_000_000) / 10_000_000;
            if ticks >= 25_920_000 {
                days += 1;
                ticks -= 25_920_000;
            }
            buf.push(8);
            buf.extend_from_slice(&days.to_le_bytes());
            buf.extend_from_slice(&(ticks as u32).to_le_bytes());
        }
        (Value::DateTime(dt), SqlType::SmallDateTime) => {
            buf.push(4);
            buf.extend_from_slice(&((dt.days - DATETIME_EPOCH_DAYS) as u16).to_le_bytes());
            buf.extend_from_slice(&((dt.nanos / 60_000_000_000) as u16).to_le_bytes());
        }
        (Value::DateTime(dt), SqlType::DateTime2 { scale })
        | (Value::DateTime(dt), SqlType::DateTimeOffset { scale }) => {
            let offset = matches!(ty, SqlType::DateTimeOffset { .. });
            // datetime2 holds the wall clock; datetimeoffset UTC and the
            // offset.
            let (days, nanos) = if offset {
                (dt.days, dt.nanos)
            } else {
                dt.local()
            };
            let tlen = time_len(*scale);
            buf.push(tlen + if offset { 5 } else { 3 });
            let increments = (nanos % NANOS_PER_DAY) / 10u64.pow(9 - u32::from((*scale).min(7)));
            buf.extend_from_slice(&increments.to_le_bytes()[..usize::from(tlen)]);
            buf.extend_from_slice(&days.to_le_bytes()[..3]);
            if offset {
                buf.extend_from_slice(&dt.offset.to_le_bytes());
            }
        }
        (Value::Guid(g), _) => {
            let mut w = *g;
            guid_wire_order(&mut w);
            buf.push(16);
            buf.extend_from_slice(&w);
        }
        (Value::Unicode(t), _)
            if matches!(ty, SqlType::NVarChar(Len::N(_)) | SqlType::NChar(_)) =>
        {
            // Straight into the buffer: length, then the units.
            let at = buf.len();
            buf.extend_from_slice(&[0, 0]);
            t.write_utf16le(buf);
            let n = (buf.len() - at - 2).min(0xFFFE);
            buf.truncate(at + 2 + n);
            buf[at..at + 2].copy_from_slice(&(n as u16).to_le_bytes());
        }
        (Value::Unicode(t), _) => {
            let mut bytes = Vec::with_capacity(t.units_at_most() * 2);
            t.write_utf16le(&mut bytes);
            put_bytes(buf, ty, &bytes);
        }
        (Value::Ansi(b), _) | (Value::Binary(b), _) => put_bytes(buf, ty, b),
        // A value of another family than the type: the executor never makes
        // one; send NULL rather than a broken stream.
        _ => put_null(buf, ty),
    }
}

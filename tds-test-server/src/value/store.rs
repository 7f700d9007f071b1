//! A dump field stored in a column, as SQL Server would hold it, and the
//! value of an extra column (one without a field).

use super::date::{DATETIME_EPOCH_DAYS, days_from_civil, round_datetime, timestamp_parts};
use super::guid::guid_of_int;
use super::number::pow10;
use super::{SqlError, UText, Value, cast};
use crate::catalog::{ColumnDef, Len, SqlType};
use crate::record::FieldValue;
use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::*;

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

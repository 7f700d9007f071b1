//! SQL comparison: NULL compares to nothing, numbers by value, text
//! case-insensitively without trailing spaces, and mixed types by converting
//! the text side.

use super::date::NANOS_PER_DAY;
use super::number::{pow10, rescale};
use super::text::cp1252_decode;
use super::{SqlError, Value, cast};
use crate::catalog::SqlType;
use std::cmp::Ordering;

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
    use crate::catalog::Len;

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
}

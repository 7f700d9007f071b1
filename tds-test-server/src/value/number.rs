//! Numbers: integer ranges, and decimals as unscaled integers with a scale
//! (rendered, parsed, checked against a precision, rescaled).

use crate::catalog::SqlType;
use std::cmp::Ordering;

pub(super) fn pow10(n: u8) -> i128 {
    10i128.pow(u32::from(n))
}

pub(super) fn int_range(ty: &SqlType) -> (i64, i64) {
    match ty {
        SqlType::TinyInt => (0, 255),
        SqlType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX)),
        SqlType::Int => (i64::from(i32::MIN), i64::from(i32::MAX)),
        SqlType::Bit => (i64::MIN, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    }
}

pub(super) fn render_decimal(v: i128, scale: u8) -> String {
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

pub(super) fn parse_number(s: &str) -> Option<(i128, u8)> {
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

pub(super) fn decimal_fits(v: i128, ty: &SqlType) -> bool {
    match ty {
        SqlType::Decimal { precision, .. } | SqlType::Numeric { precision, .. } => {
            v.abs() < pow10(*precision)
        }
        SqlType::Money => i64::try_from(v).is_ok(),
        SqlType::SmallMoney => i32::try_from(v).is_ok(),
        _ => true,
    }
}

pub(super) fn rescale(v: i128, from: u8, to: u8) -> i128 {
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

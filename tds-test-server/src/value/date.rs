//! Dates and times: days since 0001-01-01 and nanoseconds of day, rounded
//! as each type stores them, and parsed from text.

use super::{SqlError, Value};
use crate::catalog::SqlType;

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

    pub(super) fn utc_total(&self) -> i128 {
        i128::from(self.days) * NANOS_PER_DAY as i128 + self.nanos as i128
    }

    pub(super) fn from_local(days: i32, nanos: u64, offset: i16) -> DateTimeValue {
        let total = i128::from(days) * NANOS_PER_DAY as i128 + nanos as i128
            - i128::from(offset) * 60_000_000_000;
        DateTimeValue {
            days: total.div_euclid(NANOS_PER_DAY as i128) as i32,
            nanos: total.rem_euclid(NANOS_PER_DAY as i128) as u64,
            offset,
        }
    }
}

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

pub(super) fn parse_datetime(s: &str) -> Option<(i64, u64, i16)> {
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
}

//! The TDS version a connection speaks: what LOGIN7 asked for, capped at
//! 7.4, and what an older client gets instead of what it cannot read.
//!
//! As SQL Server does for a client below TDS 7.3: `date`, `datetime2` and
//! `datetimeoffset` go as `nvarchar` holding the value as `CONVERT` renders
//! it (`2020-01-31`, `2020-01-31 12:34:56.1234567`, `... +02:00`), and rows
//! with a NULL as ROW (NBCROW is 7.3's). Below 7.2, requests have no
//! ALL_HEADERS, `varchar(max)`/`nvarchar(max)`/`varbinary(max)` go as
//! `text`/`ntext`/`image`, and three fields are narrower: the line number of
//! ERROR and INFO (2 bytes), the row count of DONE (4) and the user type of
//! COLMETADATA (2).

use crate::catalog::{Len, SqlType};
use crate::value::{Value, cast};

/// A TDS version, as LOGINACK sends it (`0x74000004` for 7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TdsVersion(u32);

impl TdsVersion {
    pub(crate) const V7_1: TdsVersion = TdsVersion(0x7100_0001);
    pub(crate) const V7_2: TdsVersion = TdsVersion(0x7209_0002);
    pub(crate) const V7_3A: TdsVersion = TdsVersion(0x730A_0003);
    pub(crate) const V7_3B: TdsVersion = TdsVersion(0x730B_0003);
    pub(crate) const V7_4: TdsVersion = TdsVersion(0x7400_0004);

    /// The version to answer a LOGIN7 asking for `asked` (its TDSVersion
    /// field, read little-endian): the same, or 7.4 for anything newer;
    /// `None` below 7.1, which this server does not speak.
    pub(crate) fn negotiate(asked: u32) -> Option<TdsVersion> {
        Some(match asked >> 24 {
            0x71 => TdsVersion::V7_1,
            0x72 => TdsVersion::V7_2,
            0x73 if asked == TdsVersion::V7_3A.0 => TdsVersion::V7_3A,
            0x73 => TdsVersion::V7_3B,
            0x74..=0xFF => TdsVersion::V7_4,
            _ => return None,
        })
    }

    /// LOGINACK's TDSVersion field (sent big-endian).
    pub(crate) fn loginack(self) -> u32 {
        self.0
    }

    /// "7.1", "7.3B", ...: for messages.
    pub(crate) fn name(asked: u32) -> String {
        let rev = match asked {
            0x730A_0003 => "A",
            0x730B_0003 => "B",
            _ => "",
        };
        format!("{:x}.{:x}{rev}", asked >> 28, (asked >> 24) & 0xF)
    }

    /// Requests start with ALL_HEADERS (7.2 and later).
    pub(crate) fn has_all_headers(self) -> bool {
        self >= TdsVersion::V7_2
    }

    /// PLP values: `varchar(max)`, `nvarchar(max)`, `varbinary(max)` (7.2
    /// and later; below, `text`, `ntext` and `image`).
    pub(crate) fn has_plp(self) -> bool {
        self >= TdsVersion::V7_2
    }

    /// Three fields were widened in TDS 7.2: an ERROR or INFO token's line
    /// number (USHORT to LONG), a DONE token's row count (LONG to
    /// ULONGLONG) and a COLMETADATA column's user type (USHORT to ULONG).
    /// Below 7.2 they go narrow.
    pub(crate) fn has_wide_fields(self) -> bool {
        self >= TdsVersion::V7_2
    }

    /// ENVCHANGE of transactions (types 8 to 19; 7.2 and later).
    pub(crate) fn has_transaction_envchange(self) -> bool {
        self >= TdsVersion::V7_2
    }

    /// `date`, `time`, `datetime2`, `datetimeoffset` and NBCROW (7.3 and
    /// later).
    pub(crate) fn has_dates(self) -> bool {
        self >= TdsVersion::V7_3A
    }

    /// The type a column of type `ty` goes to this client as.
    pub(crate) fn wire_type(self, ty: &SqlType) -> SqlType {
        if self.has_dates() {
            return *ty;
        }
        if !self.has_plp() {
            match ty {
                SqlType::VarChar(Len::Max) => return SqlType::Text,
                SqlType::NVarChar(Len::Max) => return SqlType::NText,
                _ => {}
            }
        }
        let fraction = |scale: u8| if scale > 0 { u16::from(scale) + 1 } else { 0 };
        match ty {
            SqlType::Date => SqlType::NVarChar(Len::N(10)),
            SqlType::DateTime2 { scale } => SqlType::NVarChar(Len::N(19 + fraction(*scale))),
            SqlType::DateTimeOffset { scale } => SqlType::NVarChar(Len::N(26 + fraction(*scale))),
            other => *other,
        }
    }

    /// `v`, of type `ty`, as this client gets it in a column of type
    /// `wire` (from [`wire_type`](Self::wire_type)).
    pub(crate) fn wire_value<'a>(v: &Value<'a>, ty: &SqlType, wire: &SqlType) -> Value<'a> {
        let is_date = matches!(
            ty,
            SqlType::Date | SqlType::DateTime2 { .. } | SqlType::DateTimeOffset { .. }
        );
        if ty == wire || v.is_null() || !is_date {
            return v.clone();
        }
        // Rendering a date as text cannot fail; NULL rather than a broken
        // stream if it ever did.
        cast(v.clone(), ty, wire).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_gets_its_own_version_up_to_7_4() {
        let answer = |asked| TdsVersion::negotiate(asked).map(TdsVersion::loginack);
        assert_eq!(answer(0x7100_0000), Some(0x7100_0001));
        assert_eq!(answer(0x7100_0001), Some(0x7100_0001));
        assert_eq!(answer(0x7209_0002), Some(0x7209_0002));
        assert_eq!(answer(0x730A_0003), Some(0x730A_0003));
        assert_eq!(answer(0x730B_0003), Some(0x730B_0003));
        assert_eq!(answer(0x7400_0004), Some(0x7400_0004));
        assert_eq!(answer(0x7500_0000), Some(0x7400_0004));
        assert_eq!(answer(0x7000_0000), None);
        assert_eq!(answer(0), None);
        assert_eq!(TdsVersion::name(0x730B_0003), "7.3B");
        assert_eq!(TdsVersion::name(0x7000_0000), "7.0");
    }

    #[test]
    fn dates_go_as_nvarchar_below_7_3() {
        let v = TdsVersion::V7_2;
        assert_eq!(v.wire_type(&SqlType::Date), SqlType::NVarChar(Len::N(10)));
        let dt2 = SqlType::DateTime2 { scale: 7 };
        assert_eq!(v.wire_type(&dt2), SqlType::NVarChar(Len::N(27)));
        let dto = SqlType::DateTimeOffset { scale: 0 };
        assert_eq!(v.wire_type(&dto), SqlType::NVarChar(Len::N(26)));
        assert_eq!(v.wire_type(&SqlType::DateTime), SqlType::DateTime);
        assert_eq!(TdsVersion::V7_3A.wire_type(&dt2), dt2);
    }
}

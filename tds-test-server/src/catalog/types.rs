//! SQL Server data types: columns' types and `CAST` targets.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Len {
    N(u16),
    Max,
}

impl fmt::Display for Len {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Len::N(n) => write!(f, "{n}"),
            Len::Max => f.write_str("max"),
        }
    }
}

/// A SQL Server data type, as a column or a `CAST` target.
///
/// `char`, `varchar` and `text` hold single-byte text in code page 1252 (the
/// default `SQL_Latin1_General_CP1_CI_AS` collation): characters outside it
/// are stored as `?`, as SQL Server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Bit,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Numeric {
        precision: u8,
        scale: u8,
    },
    Money,
    SmallMoney,
    /// `float` (53 bits).
    Float,
    /// `real` (`float(24)`).
    Real,
    Date,
    DateTime,
    SmallDateTime,
    DateTime2 {
        scale: u8,
    },
    DateTimeOffset {
        scale: u8,
    },
    UniqueIdentifier,
    Char(u16),
    VarChar(Len),
    Text,
    NChar(u16),
    NVarChar(Len),
    NText,
    Binary(u16),
    VarBinary(Len),
}

impl SqlType {
    /// The type's name as `INFORMATION_SCHEMA.COLUMNS.DATA_TYPE` gives it.
    pub fn name(&self) -> &'static str {
        match self {
            SqlType::TinyInt => "tinyint",
            SqlType::SmallInt => "smallint",
            SqlType::Int => "int",
            SqlType::BigInt => "bigint",
            SqlType::Bit => "bit",
            SqlType::Decimal { .. } => "decimal",
            SqlType::Numeric { .. } => "numeric",
            SqlType::Money => "money",
            SqlType::SmallMoney => "smallmoney",
            SqlType::Float => "float",
            SqlType::Real => "real",
            SqlType::Date => "date",
            SqlType::DateTime => "datetime",
            SqlType::SmallDateTime => "smalldatetime",
            SqlType::DateTime2 { .. } => "datetime2",
            SqlType::DateTimeOffset { .. } => "datetimeoffset",
            SqlType::UniqueIdentifier => "uniqueidentifier",
            SqlType::Char(_) => "char",
            SqlType::VarChar(_) => "varchar",
            SqlType::Text => "text",
            SqlType::NChar(_) => "nchar",
            SqlType::NVarChar(_) => "nvarchar",
            SqlType::NText => "ntext",
            SqlType::Binary(_) => "binary",
            SqlType::VarBinary(_) => "varbinary",
        }
    }

    /// `CHARACTER_MAXIMUM_LENGTH`: characters (bytes for binary types), -1
    /// for `max`, `None` for non-text types.
    pub fn character_maximum_length(&self) -> Option<i32> {
        let len = |l: &Len| match l {
            Len::N(n) => i32::from(*n),
            Len::Max => -1,
        };
        match self {
            SqlType::Char(n) | SqlType::NChar(n) | SqlType::Binary(n) => Some(i32::from(*n)),
            SqlType::VarChar(l) | SqlType::NVarChar(l) | SqlType::VarBinary(l) => Some(len(l)),
            SqlType::Text => Some(2_147_483_647),
            SqlType::NText => Some(1_073_741_823),
            _ => None,
        }
    }

    /// `NUMERIC_PRECISION`.
    pub fn numeric_precision(&self) -> Option<u8> {
        match self {
            SqlType::TinyInt => Some(3),
            SqlType::SmallInt => Some(5),
            SqlType::Int => Some(10),
            SqlType::BigInt => Some(19),
            SqlType::Decimal { precision, .. } | SqlType::Numeric { precision, .. } => {
                Some(*precision)
            }
            SqlType::Money => Some(19),
            SqlType::SmallMoney => Some(10),
            SqlType::Float => Some(53),
            SqlType::Real => Some(24),
            _ => None,
        }
    }

    /// `NUMERIC_SCALE`.
    pub fn numeric_scale(&self) -> Option<i32> {
        match self {
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt => Some(0),
            SqlType::Decimal { scale, .. } | SqlType::Numeric { scale, .. } => {
                Some(i32::from(*scale))
            }
            SqlType::Money | SqlType::SmallMoney => Some(4),
            _ => None,
        }
    }

    /// `DATETIME_PRECISION`.
    pub fn datetime_precision(&self) -> Option<i16> {
        match self {
            SqlType::Date | SqlType::SmallDateTime => Some(0),
            SqlType::DateTime => Some(3),
            SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => {
                Some(i16::from(*scale))
            }
            _ => None,
        }
    }

    pub(crate) fn is_integer(&self) -> bool {
        matches!(
            self,
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt
        )
    }

    pub(crate) fn is_unicode(&self) -> bool {
        matches!(
            self,
            SqlType::NChar(_) | SqlType::NVarChar(_) | SqlType::NText
        )
    }

    pub(crate) fn is_ansi(&self) -> bool {
        matches!(self, SqlType::Char(_) | SqlType::VarChar(_) | SqlType::Text)
    }

    pub(crate) fn is_text(&self) -> bool {
        self.is_unicode() || self.is_ansi()
    }

    pub(crate) fn is_binary(&self) -> bool {
        matches!(self, SqlType::Binary(_) | SqlType::VarBinary(_))
    }

    pub(crate) fn is_decimal(&self) -> bool {
        matches!(
            self,
            SqlType::Decimal { .. }
                | SqlType::Numeric { .. }
                | SqlType::Money
                | SqlType::SmallMoney
        )
    }

    /// The scale of a decimal-family type.
    pub(crate) fn scale(&self) -> u8 {
        match self {
            SqlType::Decimal { scale, .. } | SqlType::Numeric { scale, .. } => *scale,
            SqlType::Money | SqlType::SmallMoney => 4,
            SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => *scale,
            _ => 0,
        }
    }

    pub(crate) fn is_datetime(&self) -> bool {
        matches!(
            self,
            SqlType::DateTime
                | SqlType::SmallDateTime
                | SqlType::DateTime2 { .. }
                | SqlType::DateTimeOffset { .. }
        )
    }
}

impl fmt::Display for SqlType {
    /// T-SQL spelling: `nvarchar(50)`, `decimal(18,2)`, `datetime2(7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            SqlType::Decimal { precision, scale } | SqlType::Numeric { precision, scale } => {
                write!(f, "{name}({precision},{scale})")
            }
            SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => {
                write!(f, "{name}({scale})")
            }
            SqlType::Char(n) | SqlType::NChar(n) | SqlType::Binary(n) => write!(f, "{name}({n})"),
            SqlType::VarChar(l) | SqlType::NVarChar(l) | SqlType::VarBinary(l) => {
                write!(f, "{name}({l})")
            }
            _ => f.write_str(name),
        }
    }
}

impl FromStr for SqlType {
    type Err = String;

    /// Parses a T-SQL type as `CAST` accepts it: `int`, `nvarchar(max)`,
    /// `decimal(18, 2)`, `datetime2(0)`, `[nvarchar](50)`.
    fn from_str(s: &str) -> Result<SqlType, String> {
        crate::sql::parse_type(s)
    }
}

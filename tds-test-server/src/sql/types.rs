//! Type names, as `CAST` and `CONVERT` take them: lengths, precisions and
//! scales checked as SQL Server checks them.

use super::lexer::Tok;
use super::parser::Parser;
use crate::catalog::{Len, SqlType};
use crate::value::SqlError;

impl Parser {
    pub(super) fn sql_type(&mut self) -> Result<SqlType, SqlError> {
        let name = self.ident()?.to_ascii_lowercase();
        let start = self.pos;
        let mut args: Vec<Option<u32>> = Vec::new();
        if self.eat_sym("(") {
            loop {
                match self.peek().clone() {
                    Tok::Number(n) => {
                        self.advance();
                        args.push(Some(n.parse().map_err(|_| SqlError::syntax(&n))?));
                    }
                    Tok::Ident { name, .. } if name.eq_ignore_ascii_case("max") => {
                        self.advance();
                        args.push(None);
                    }
                    _ => return Err(self.error()),
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
        }
        let bad = || {
            SqlError::new(
                2716,
                16,
                format!(
                    "Column, parameter, or variable #1: Cannot specify a column width on data type {name}."
                ),
            )
        };
        let arg = |i: usize| args.get(i).copied();
        // Lengths default to 30 in CAST, as SQL Server's do.
        let len = |max: u32| -> Result<Len, SqlError> {
            match arg(0) {
                None => Ok(Len::N(30)),
                Some(None) => Ok(Len::Max),
                Some(Some(n)) if (1..=max).contains(&n) => Ok(Len::N(n as u16)),
                Some(Some(n)) => Err(SqlError::new(
                    131,
                    15,
                    format!(
                        "The size ({n}) given to the type '{name}' exceeds the maximum allowed for any data type ({max})."
                    ),
                )),
            }
        };
        let fixed = |max: u32| -> Result<u16, SqlError> {
            match len(max)? {
                Len::N(n) => Ok(n),
                Len::Max => Err(SqlError::syntax("max")),
            }
        };
        let scale = |default: u8| -> Result<u8, SqlError> {
            match arg(0) {
                None => Ok(default),
                Some(Some(s)) if s <= 7 => Ok(s as u8),
                _ => Err(bad()),
            }
        };
        let no_args = |t: SqlType| if args.is_empty() { Ok(t) } else { Err(bad()) };
        let ty = match name.as_str() {
            "tinyint" => no_args(SqlType::TinyInt)?,
            "smallint" => no_args(SqlType::SmallInt)?,
            "int" | "integer" => no_args(SqlType::Int)?,
            "bigint" => no_args(SqlType::BigInt)?,
            "bit" => no_args(SqlType::Bit)?,
            "money" => no_args(SqlType::Money)?,
            "smallmoney" => no_args(SqlType::SmallMoney)?,
            "real" => no_args(SqlType::Real)?,
            "float" => match arg(0) {
                None => SqlType::Float,
                Some(Some(n)) if (1..=24).contains(&n) => SqlType::Real,
                Some(Some(n)) if (25..=53).contains(&n) => SqlType::Float,
                _ => return Err(bad()),
            },
            "decimal" | "numeric" | "dec" => {
                let precision = match arg(0) {
                    None => 18,
                    Some(Some(p)) if (1..=38).contains(&p) => p as u8,
                    _ => return Err(bad()),
                };
                let scale = match arg(1) {
                    None => 0,
                    Some(Some(s)) if s <= u32::from(precision) => s as u8,
                    _ => return Err(bad()),
                };
                if name == "numeric" {
                    SqlType::Numeric { precision, scale }
                } else {
                    SqlType::Decimal { precision, scale }
                }
            }
            "date" => no_args(SqlType::Date)?,
            "datetime" => no_args(SqlType::DateTime)?,
            "smalldatetime" => no_args(SqlType::SmallDateTime)?,
            "datetime2" => SqlType::DateTime2 { scale: scale(7)? },
            "datetimeoffset" => SqlType::DateTimeOffset { scale: scale(7)? },
            "uniqueidentifier" => no_args(SqlType::UniqueIdentifier)?,
            "char" | "character" => SqlType::Char(fixed(8000)?),
            "varchar" => SqlType::VarChar(len(8000)?),
            "text" => no_args(SqlType::Text)?,
            "nchar" => SqlType::NChar(fixed(4000)?),
            "nvarchar" | "sysname" => {
                if name == "sysname" {
                    no_args(SqlType::NVarChar(Len::N(128)))?
                } else {
                    SqlType::NVarChar(len(4000)?)
                }
            }
            "ntext" => no_args(SqlType::NText)?,
            "binary" => SqlType::Binary(fixed(8000)?),
            "varbinary" => SqlType::VarBinary(len(8000)?),
            _ => {
                self.pos = start;
                return Err(SqlError::new(
                    243,
                    16,
                    format!("Type {name} is not a defined system type."),
                ));
            }
        };
        Ok(ty)
    }
}

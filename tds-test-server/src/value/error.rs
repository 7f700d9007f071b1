//! The SQL Server error: what an ERROR token carries, and the errors the
//! conversions raise, worded as SQL Server words them.

use crate::catalog::SqlType;

/// A SQL Server error, as an ERROR token carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub number: u32,
    pub state: u8,
    pub class: u8,
    pub message: String,
}

impl SqlError {
    pub fn new(number: u32, class: u8, message: impl Into<String>) -> SqlError {
        SqlError {
            number,
            state: 1,
            class,
            message: message.into(),
        }
    }

    pub(crate) fn syntax(near: &str) -> SqlError {
        SqlError::new(102, 15, format!("Incorrect syntax near '{near}'."))
    }

    pub(crate) fn overflow(ty: &SqlType) -> SqlError {
        SqlError::new(
            8115,
            16,
            format!(
                "Arithmetic overflow error converting expression to data type {}.",
                ty.name()
            ),
        )
    }

    pub(crate) fn conversion(from: &SqlType, value: &str, to: &SqlType) -> SqlError {
        SqlError::new(
            245,
            16,
            format!(
                "Conversion failed when converting the {} value '{value}' to data type {}.",
                from.name(),
                to.name()
            ),
        )
    }

    pub(crate) fn not_allowed(from: &SqlType, to: &SqlType) -> SqlError {
        SqlError::new(
            529,
            16,
            format!(
                "Explicit conversion from data type {} to {} is not allowed.",
                from.name(),
                to.name()
            ),
        )
    }

    pub(crate) fn date_range(to: &SqlType) -> SqlError {
        SqlError::new(
            242,
            16,
            format!(
                "The conversion of a datetime2 data type to a {} data type resulted in an out-of-range value.",
                to.name()
            ),
        )
    }

    /// An error of the test server itself (a damaged dump, something it
    /// does not implement): number 50000, severity 16.
    pub(crate) fn server(message: impl Into<String>) -> SqlError {
        SqlError::new(50000, 16, message)
    }
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Msg {}, Level {}, State {}: {}",
            self.number, self.class, self.state, self.message
        )
    }
}

//! Comparisons SQL Server refuses to compile, refused when binding:
//! `uniqueidentifier`, `date`, `datetime2` or `datetimeoffset` against a
//! number (error 206), and `text` or `ntext` against anything with `=`,
//! `<>`, `<`, `>`, `<=`, `>=`, `IN` or `BETWEEN` (error 402: such values
//! are only searched with `LIKE` or tested with `IS NULL`). A client below
//! TDS 7.2 sends a long string parameter as `ntext`, so it meets the
//! second rule as it would on SQL Server.

use super::bound::{BExpr, Typed};
use crate::catalog::SqlType;
use crate::sql::CmpOp;
use crate::value::{SqlError, Value};

/// Checks that `a op b` compiles. An untyped NULL compares with anything
/// but `text` and `ntext`.
pub(super) fn check_comparable(a: &Typed, op: CmpOp, b: &Typed) -> Result<(), SqlError> {
    let blob = |t: &SqlType| matches!(t, SqlType::Text | SqlType::NText);
    if blob(&a.ty) || blob(&b.ty) {
        return Err(SqlError::new(
            402,
            16,
            format!(
                "The data types {} and {} are incompatible in the {} operator.",
                a.ty.name(),
                b.ty.name(),
                operator_name(op)
            ),
        ));
    }
    let numeric = |t: &SqlType| {
        t.is_integer()
            || t.is_decimal()
            || matches!(t, SqlType::Bit | SqlType::Float | SqlType::Real)
    };
    let strict = |t: &SqlType| {
        matches!(
            t,
            SqlType::UniqueIdentifier
                | SqlType::Date
                | SqlType::DateTime2 { .. }
                | SqlType::DateTimeOffset { .. }
        )
    };
    let null = |t: &Typed| matches!(t.e, BExpr::Const(Value::Null));
    if null(a) || null(b) {
        return Ok(());
    }
    if (strict(&a.ty) && numeric(&b.ty)) || (numeric(&a.ty) && strict(&b.ty)) {
        return Err(SqlError::new(
            206,
            16,
            format!(
                "Operand type clash: {} is incompatible with {}",
                a.ty.name(),
                b.ty.name()
            ),
        ));
    }
    Ok(())
}

/// The operator as SQL Server's message 402 names it.
fn operator_name(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "equal to",
        CmpOp::Ne => "not equal to",
        CmpOp::Lt => "less than",
        CmpOp::Le => "less than or equal to",
        CmpOp::Gt => "greater than",
        CmpOp::Ge => "greater than or equal to",
    }
}

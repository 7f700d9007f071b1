//! Bound expressions and conditions: names resolved to column positions,
//! types known; and their evaluation against a row.

use crate::catalog::SqlType;
use crate::sql::CmpOp;
use crate::value::{SqlError, Value, cast, compare};
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(super) enum BExpr {
    Col(usize),
    Const(Value<'static>),
    Cast {
        inner: Box<BExpr>,
        from: SqlType,
        to: SqlType,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Typed {
    pub(super) e: BExpr,
    pub(super) ty: SqlType,
    pub(super) nullable: bool,
}

#[derive(Debug, Clone)]
pub(super) enum BCond {
    Cmp(Typed, CmpOp, Typed),
    In(Typed, Vec<Typed>, bool),
    IsNull(Typed, bool),
    And(Vec<BCond>),
    Or(Vec<BCond>),
    Not(Box<BCond>),
}

/// A row an expression reads its columns from.
pub(super) trait Row {
    fn col(&self, i: usize) -> Result<Value<'_>, SqlError>;
}

impl Row for Vec<Value<'static>> {
    fn col(&self, i: usize) -> Result<Value<'_>, SqlError> {
        Ok(self[i].borrowed())
    }
}

pub(super) struct NoRow;

impl Row for NoRow {
    fn col(&self, _: usize) -> Result<Value<'_>, SqlError> {
        Err(SqlError::server("no row here"))
    }
}

pub(super) fn eval<'a>(e: &'a BExpr, row: &'a dyn Row) -> Result<Value<'a>, SqlError> {
    match e {
        BExpr::Col(i) => row.col(*i),
        BExpr::Const(v) => Ok(v.borrowed()),
        BExpr::Cast { inner, from, to } => cast(eval(inner, row)?, from, to),
    }
}

pub(super) fn eval_cond(c: &BCond, row: &dyn Row) -> Result<Option<bool>, SqlError> {
    Ok(match c {
        BCond::Cmp(a, op, b) => {
            let x = eval(&a.e, row)?;
            let y = eval(&b.e, row)?;
            compare(&x, &a.ty, &y, &b.ty)?.map(|o| op.holds(o))
        }
        BCond::In(e, list, negated) => {
            let x = eval(&e.e, row)?;
            let mut result = Some(false);
            for item in list {
                let y = eval(&item.e, row)?;
                match compare(&x, &e.ty, &y, &item.ty)? {
                    Some(Ordering::Equal) => {
                        result = Some(true);
                        break;
                    }
                    None => result = None,
                    Some(_) => {}
                }
            }
            if *negated { result.map(|b| !b) } else { result }
        }
        BCond::IsNull(e, negated) => Some(eval(&e.e, row)?.is_null() != *negated),
        BCond::And(cs) => junction(cs, row, false)?,
        BCond::Or(cs) => junction(cs, row, true)?,
        BCond::Not(c) => eval_cond(c, row)?.map(|b| !b),
    })
}

/// SQL's three-valued `AND` (`decisive` false) or `OR` (`decisive` true):
/// `decisive` as soon as one condition is; else unknown if one is unknown;
/// else the other value.
fn junction(cs: &[BCond], row: &dyn Row, decisive: bool) -> Result<Option<bool>, SqlError> {
    let mut result = Some(!decisive);
    for c in cs {
        match eval_cond(c, row)? {
            Some(b) if b == decisive => return Ok(Some(decisive)),
            None => result = None,
            Some(_) => {}
        }
    }
    Ok(result)
}

//! `SELECT` over the catalog views (`crate::views` makes their rows): joins,
//! `WHERE`, `ORDER BY`, `TOP` and aggregates, all in memory.

use super::bound::{BCond, Row, Typed, eval, eval_cond};
use super::names::{AggFunc, Binder, Scope, ScopeCol, resolve_user_table};
use super::statements::{Item, agg_type, bind_items, put_row, top_count};
use super::{Env, Out, Outcome};
use crate::catalog::SqlType;
use crate::sql::{Expr, Literal, Select};
use crate::tds::{self, OutColumn};
use crate::value::{SqlError, Value, cast, compare};
use std::cmp::Ordering;
use std::io;

/// A catalog view's rows, made from the catalog and the dump's manifest.
pub(crate) struct VirtualTable {
    pub name: String,
    pub cols: Vec<(&'static str, SqlType, bool)>,
    pub rows: Vec<Vec<Value<'static>>>,
}

pub(super) fn virtual_select(
    s: &Select,
    env: &Env<'_>,
    first: VirtualTable,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    let run = || -> Result<(Vec<OutColumn>, Vec<Vec<Value<'static>>>), SqlError> {
        let mut scope = Scope::default();
        let mut tables = vec![first];
        let mut names = vec![s.from.as_ref().expect("FROM").alias.clone()];
        for j in &s.joins {
            let vt = crate::views::lookup(env, &j.table.parts).ok_or_else(|| {
                if resolve_user_table(env, &j.table.parts).is_some() {
                    SqlError::server("the TDS test server does not join user tables")
                } else {
                    SqlError::new(
                        208,
                        16,
                        format!("Invalid object name '{}'.", j.table.parts.join(".")),
                    )
                }
            })?;
            tables.push(vt);
            names.push(j.table.alias.clone());
        }
        for (t, alias) in tables.iter().zip(&names) {
            scope.add(
                alias.clone().unwrap_or_else(|| t.name.clone()),
                t.cols
                    .iter()
                    .map(|(n, ty, nullable)| ScopeCol {
                        name: (*n).to_owned(),
                        ty: *ty,
                        nullable: *nullable,
                    })
                    .collect(),
            );
        }
        let b = Binder { env, scope: &scope };
        let ons: Vec<BCond> = s
            .joins
            .iter()
            .map(|j| b.cond(&j.on))
            .collect::<Result<_, _>>()?;
        let filter = s.filter.as_ref().map(|f| b.cond(f)).transpose()?;
        let (items, cols) = bind_items(s, &b)?;
        let order = order_by(s, &b)?;
        let top = top_count(s, &b)?;

        // Join.
        let mut rows: Vec<Vec<Value<'static>>> = tables[0].rows.clone();
        for (t, on) in tables[1..].iter().zip(&ons) {
            let mut joined = Vec::new();
            for r in &rows {
                for x in &t.rows {
                    let mut row = r.clone();
                    row.extend(x.iter().cloned());
                    if eval_cond(on, &row)? == Some(true) {
                        joined.push(row);
                    }
                }
            }
            rows = joined;
        }
        if let Some(f) = &filter {
            let mut kept = Vec::new();
            for r in rows {
                if eval_cond(f, &r)? == Some(true) {
                    kept.push(r);
                }
            }
            rows = kept;
        }
        if items.iter().any(|i| matches!(i, Item::Agg(..))) {
            let mut acc: Vec<Acc> = items.iter().map(Acc::new).collect();
            for r in &rows {
                for (a, item) in acc.iter_mut().zip(&items) {
                    a.add(item, r)?;
                }
            }
            let values = acc.into_iter().map(Acc::finish).collect();
            return Ok((cols, vec![values]));
        }
        if !order.is_empty() {
            let mut keyed = Vec::new();
            for r in rows {
                let keys: Vec<Value<'static>> = order
                    .iter()
                    .map(|(t, _)| eval(&t.e, &r).map(Value::into_owned))
                    .collect::<Result<_, _>>()?;
                keyed.push((keys, r));
            }
            let mut err = None;
            keyed.sort_by(|(a, _), (b, _)| {
                for (i, (t, desc)) in order.iter().enumerate() {
                    let o = match (a[i].is_null(), b[i].is_null()) {
                        (true, true) => Ordering::Equal,
                        (true, false) => Ordering::Less,
                        (false, true) => Ordering::Greater,
                        _ => match compare(&a[i], &t.ty, &b[i], &t.ty) {
                            Ok(o) => o.unwrap_or(Ordering::Equal),
                            Err(e) => {
                                err.get_or_insert(e);
                                Ordering::Equal
                            }
                        },
                    };
                    let o = if *desc { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
            if let Some(e) = err {
                return Err(e);
            }
            rows = keyed.into_iter().map(|(_, r)| r).collect();
        }
        if let Some((n, _)) = top {
            rows.truncate(n as usize);
        }
        let mut out_rows = Vec::new();
        for r in &rows {
            let mut values = Vec::new();
            for item in &items {
                if let Item::Scalar(t) = item {
                    values.push(eval(&t.e, r)?.into_owned());
                }
            }
            out_rows.push(values);
        }
        Ok((cols, out_rows))
    };
    match run() {
        Err(e) => Ok(e.into()),
        Ok((cols, rows)) => {
            tds::put_colmetadata(out.pw, &cols);
            for r in &rows {
                put_row(out.pw, r, &cols);
                out.pw.flush_some(out.w)?;
            }
            Ok(Outcome::Done {
                rows: Some(rows.len() as u64),
            })
        }
    }
}

/// The ORDER BY list, bound: each item and whether it is descending.
pub(super) fn order_by(s: &Select, b: &Binder<'_>) -> Result<Vec<(Typed, bool)>, SqlError> {
    s.order_by
        .iter()
        .map(|o| order_expr(&o.expr, s, b).map(|t| (t, o.desc)))
        .collect()
}

/// An ORDER BY item: a column, a select-list alias, or a 1-based ordinal.
fn order_expr(e: &Expr, s: &Select, b: &Binder<'_>) -> Result<Typed, SqlError> {
    if let Expr::Literal(Literal::Int(n)) = e {
        let item = usize::try_from(*n)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| s.items.get(i))
            .ok_or_else(|| {
                SqlError::new(
                    108,
                    16,
                    format!("The ORDER BY position number {n} is out of range of the number of items in the select list."),
                )
            })?;
        return b.expr(&item.expr);
    }
    match b.expr(e) {
        Err(err) if err.number == 207 => {
            if let Expr::Column(parts) = e
                && parts.len() == 1
                && let Some(item) = s.items.iter().find(|i| {
                    i.alias
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(&parts[0]))
                })
            {
                return b.expr(&item.expr);
            }
            Err(err)
        }
        other => other,
    }
}

/// An aggregate being computed.
pub(super) enum Acc {
    Count(u64),
    Best(Option<Value<'static>>, bool),
    Sum(Option<Value<'static>>),
    Scalar,
}

impl Acc {
    pub(super) fn new(item: &Item) -> Acc {
        match item {
            Item::Agg(AggFunc::Count | AggFunc::CountBig, _) => Acc::Count(0),
            Item::Agg(AggFunc::Min, _) => Acc::Best(None, false),
            Item::Agg(AggFunc::Max, _) => Acc::Best(None, true),
            Item::Agg(AggFunc::Sum, _) => Acc::Sum(None),
            Item::Scalar(_) => Acc::Scalar,
        }
    }

    pub(super) fn add(&mut self, item: &Item, row: &dyn Row) -> Result<(), SqlError> {
        let Item::Agg(f, arg) = item else {
            return Ok(());
        };
        let v = match arg {
            Some(t) => Some((eval(&t.e, row)?, t.ty)),
            None => None,
        };
        match self {
            Acc::Count(n) => {
                if v.as_ref().is_none_or(|(v, _)| !v.is_null()) {
                    *n += 1;
                }
            }
            Acc::Best(best, max) => {
                let (v, ty) = v.expect("MIN/MAX have an argument");
                if v.is_null() {
                    return Ok(());
                }
                let better = match best {
                    None => true,
                    Some(b) => {
                        let o = compare(&v, &ty, b, &ty)?.unwrap_or(Ordering::Equal);
                        if *max {
                            o == Ordering::Greater
                        } else {
                            o == Ordering::Less
                        }
                    }
                };
                if better {
                    *best = Some(v.into_owned());
                }
            }
            Acc::Sum(sum) => {
                let (v, ty) = v.expect("SUM has an argument");
                let out_ty = agg_type(*f, arg.as_ref());
                if v.is_null() {
                    return Ok(());
                }
                let v = cast(v, &ty, &out_ty)?;
                *sum = Some(match (sum.take(), v) {
                    (None, v) => v.into_owned(),
                    (Some(Value::Int(a)), Value::Int(b)) => {
                        let s = a
                            .checked_add(b)
                            .ok_or_else(|| SqlError::overflow(&out_ty))?;
                        cast(Value::Int(s), &SqlType::BigInt, &out_ty)?
                    }
                    (Some(Value::Decimal(a)), Value::Decimal(b)) => Value::Decimal(a + b),
                    (Some(Value::Float(a)), Value::Float(b)) => Value::Float(a + b),
                    _ => return Err(SqlError::server("SUM of this type is not supported")),
                });
            }
            Acc::Scalar => {}
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Value<'static> {
        match self {
            Acc::Count(n) => Value::Int(n as i64),
            Acc::Best(v, _) | Acc::Sum(v) => v.unwrap_or(Value::Null),
            Acc::Scalar => Value::Null,
        }
    }
}

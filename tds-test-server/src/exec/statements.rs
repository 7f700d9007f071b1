//! Running statements: `SET`, and `SELECT` dispatched to constants, catalog
//! views or a user table; the select list and `TOP` bound, rows encoded.

use super::bound::{BExpr, NoRow, Typed, eval};
use super::catalog_views::virtual_select;
use super::control::{if_then, transaction};
use super::names::{AggFunc, Binder, Scope, agg_of, resolve_user_table};
use super::user_tables::table_select;
use super::{Env, Out, Outcome};
use crate::catalog::SqlType;
use crate::server::SessionState;
use crate::sql::{Expr, Literal, Select, Statement, Top};
/// Encodes one row as the client's TDS version has it.
pub(super) use crate::tds::put_row;
use crate::tds::{self, OutColumn};
use crate::value::{SqlError, Value};
use std::io;

pub(crate) fn execute(
    stmt: &Statement,
    env: &Env<'_>,
    state: &mut SessionState,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    let env = &Env {
        trancount: state.transactions.count(),
        ..*env
    };
    match stmt {
        Statement::SetIsolation(level) => {
            state.isolation = *level;
            Ok(Outcome::Done { rows: None })
        }
        Statement::SetOption => Ok(Outcome::Done { rows: None }),
        Statement::SetFmtOnly(on) => {
            state.fmtonly = *on;
            Ok(Outcome::Done { rows: None })
        }
        Statement::Use(db) => Ok(use_database(db, env, out)),
        Statement::BeginTran(_)
        | Statement::Commit
        | Statement::Rollback(_)
        | Statement::SaveTran(_) => Ok(transaction(stmt, env, state, out.pw)),
        Statement::If(cond, then) => if_then(cond, then, env, state, out),
        Statement::Select(s) if state.fmtonly => {
            // Metadata only: the same query with TOP (0), which spares a
            // scan, and no rows written whatever it comes to (an
            // aggregate answers without scanning).
            let mut s = s.clone();
            s.top = Some(Top {
                count: Expr::Literal(Literal::Int(0)),
                with_ties: false,
            });
            out.pw.metadata_only = true;
            let outcome = select(&s, env, state, out);
            out.pw.metadata_only = false;
            Ok(match outcome? {
                Outcome::Done { rows: Some(_) } => Outcome::Done { rows: Some(0) },
                other => other,
            })
        }
        Statement::Select(s) => select(s, env, state, out),
    }
}

/// `USE db`: the served database (ENVCHANGE and message 5701, as SQL
/// Server sends even for the current one), or error 911.
fn use_database(db: &str, env: &Env<'_>, out: &mut Out<'_>) -> Outcome {
    let served = &env.shared.database;
    if !db.eq_ignore_ascii_case(served) {
        return SqlError::new(
            911,
            16,
            format!(
                "Database '{db}' does not exist. Make sure that the name is entered correctly."
            ),
        )
        .into();
    }
    tds::put_envchange(&mut out.pw.buf, 1, served, env.database);
    let info = SqlError {
        number: 5701,
        state: 1,
        class: 0,
        message: format!("Changed database context to '{served}'."),
    };
    let server = &env.shared.server_name;
    out.pw.message(tds::TOKEN_INFO, &info, server);
    Outcome::Done { rows: None }
}

fn item_name(item: &crate::sql::SelectItem) -> String {
    match (&item.alias, &item.expr) {
        (Some(a), _) => a.clone(),
        (None, Expr::Column(parts)) => parts.last().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

pub(super) enum Item {
    Scalar(Typed),
    Agg(AggFunc, Option<Typed>),
}

pub(super) fn agg_type(f: AggFunc, arg: Option<&Typed>) -> SqlType {
    match (f, arg) {
        (AggFunc::Count, _) => SqlType::Int,
        (AggFunc::CountBig, _) => SqlType::BigInt,
        (AggFunc::Sum, Some(t)) => match t.ty {
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::Bit => SqlType::Int,
            SqlType::Decimal { scale, .. } | SqlType::Numeric { scale, .. } => SqlType::Decimal {
                precision: 38,
                scale,
            },
            ty => ty,
        },
        (_, Some(t)) => t.ty,
        (_, None) => SqlType::Int,
    }
}

/// Binds the select list (with `*` expanded) in `scope`.
pub(super) fn bind_items(
    s: &Select,
    b: &Binder<'_>,
) -> Result<(Vec<Item>, Vec<OutColumn>), SqlError> {
    let mut items = Vec::new();
    let mut cols = Vec::new();
    for item in &s.items {
        if item.expr == Expr::Star {
            for rel in &b.scope.rels {
                for (i, c) in rel.cols.iter().enumerate() {
                    items.push(Item::Scalar(Typed {
                        e: BExpr::Col(rel.offset + i),
                        ty: c.ty,
                        nullable: c.nullable,
                    }));
                    cols.push(OutColumn {
                        name: c.name.clone(),
                        ty: c.ty,
                        nullable: c.nullable,
                    });
                }
            }
            if b.scope.rels.is_empty() {
                return Err(SqlError::new(263, 16, "Must specify table to select from."));
            }
            continue;
        }
        let name = item_name(item);
        if let Some((f, args)) = agg_of(&item.expr) {
            let arg = match args {
                [Expr::Star] if matches!(f, AggFunc::Count | AggFunc::CountBig) => None,
                [a] => Some(b.expr(a)?),
                _ => {
                    return Err(SqlError::new(
                        174,
                        15,
                        format!(
                            "The {} function requires 1 argument(s).",
                            format!("{f:?}").to_lowercase()
                        ),
                    ));
                }
            };
            let ty = agg_type(f, arg.as_ref());
            cols.push(OutColumn {
                name,
                ty,
                nullable: !matches!(f, AggFunc::Count | AggFunc::CountBig),
            });
            items.push(Item::Agg(f, arg));
        } else {
            let t = b.expr(&item.expr)?;
            cols.push(OutColumn {
                name,
                ty: t.ty,
                nullable: t.nullable,
            });
            items.push(Item::Scalar(t));
        }
    }
    let aggs = items.iter().filter(|i| matches!(i, Item::Agg(..))).count();
    if aggs > 0 && aggs < items.len() {
        let name = s
            .items
            .iter()
            .find(|i| agg_of(&i.expr).is_none())
            .map(|i| match &i.expr {
                Expr::Column(p) => p.join("."),
                _ => String::new(),
            })
            .unwrap_or_default();
        return Err(SqlError::new(
            8120,
            16,
            format!(
                "Column '{name}' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause."
            ),
        ));
    }
    Ok((items, cols))
}

pub(super) fn top_count(s: &Select, b: &Binder<'_>) -> Result<Option<(u64, bool)>, SqlError> {
    let Some(top) = &s.top else { return Ok(None) };
    let t = b.expr(&top.count)?;
    let n = match t.e {
        BExpr::Const(Value::Int(n)) if n >= 0 => n as u64,
        BExpr::Const(Value::Decimal(d)) if d >= 0 && t.ty.scale() == 0 => d as u64,
        _ => {
            return Err(SqlError::new(
                1014,
                15,
                "A TOP or FETCH clause contains an invalid value.",
            ));
        }
    };
    if top.with_ties && s.order_by.is_empty() {
        return Err(SqlError::new(
            1062,
            16,
            "The TOP N WITH TIES clause is not allowed without a corresponding ORDER BY clause.",
        ));
    }
    Ok(Some((n, top.with_ties)))
}

fn select(
    s: &Select,
    env: &Env<'_>,
    state: &mut SessionState,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    let Some(from) = &s.from else {
        return select_constants(s, env, out);
    };
    if let Some(vt) = crate::views::lookup(env, &from.parts) {
        return virtual_select(s, env, vt, out);
    }
    let Some((_, table)) = resolve_user_table(env, &from.parts) else {
        return Ok(SqlError::new(
            208,
            16,
            format!("Invalid object name '{}'.", from.parts.join(".")),
        )
        .into());
    };
    if !s.joins.is_empty() {
        return Ok(SqlError::server("the TDS test server does not join user tables").into());
    }
    table_select(s, env, state, table, from.alias.clone(), out)
}

fn select_constants(s: &Select, env: &Env<'_>, out: &mut Out<'_>) -> io::Result<Outcome> {
    let scope = Scope::default();
    let b = Binder { env, scope: &scope };
    let (items, cols) = match bind_items(s, &b) {
        Ok(x) => x,
        Err(e) => return Ok(e.into()),
    };
    if let Some(f) = &s.filter {
        return Ok(match b.cond(f) {
            Err(e) => e.into(),
            Ok(_) => SqlError::server("the TDS test server needs FROM with WHERE").into(),
        });
    }
    let mut values = Vec::new();
    for item in &items {
        match item {
            Item::Scalar(t) => match eval(&t.e, &NoRow) {
                Ok(v) => values.push(v),
                Err(e) => return Ok(e.into()),
            },
            Item::Agg(..) => return Ok(SqlError::server("aggregates need FROM").into()),
        }
    }
    // TOP (0) (and SET FMTONLY ON): the metadata alone.
    let rows = match top_count(s, &b) {
        Ok(Some((0, _))) => 0,
        Ok(_) => 1,
        Err(e) => return Ok(e.into()),
    };
    tds::put_colmetadata(out.pw, &cols);
    if rows > 0 {
        put_row(out.pw, &values, &cols);
    }
    Ok(Outcome::Done { rows: Some(rows) })
}

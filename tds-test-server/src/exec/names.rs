//! Names: the scope of a statement's tables, and the binder that resolves
//! parsed expressions in it (columns, functions, variables, parameters).

use super::Env;
use super::bound::{BCond, BExpr, Typed};
use super::comparable::check_comparable;
use crate::catalog::{Len, SqlType, TableDef};
use crate::sql::{CmpOp, Cond, Expr, Literal};
use crate::value::{self, SqlError, Value, cast};
use std::borrow::Cow;

#[derive(Debug, Clone)]
pub(super) struct ScopeCol {
    pub(super) name: String,
    pub(super) ty: SqlType,
    pub(super) nullable: bool,
}

#[derive(Debug, Clone)]
pub(super) struct ScopeRel {
    /// The name a qualifier must use: the alias, or the table's name.
    pub(super) name: String,
    pub(super) cols: Vec<ScopeCol>,
    pub(super) offset: usize,
}

#[derive(Debug, Default)]
pub(super) struct Scope {
    pub(super) rels: Vec<ScopeRel>,
}

impl Scope {
    pub(super) fn add(&mut self, name: String, cols: Vec<ScopeCol>) {
        let offset = self.rels.iter().map(|r| r.cols.len()).sum();
        self.rels.push(ScopeRel { name, cols, offset });
    }

    fn resolve(&self, parts: &[String]) -> Result<(usize, &ScopeCol), SqlError> {
        let (column, qualifier) = parts.split_last().expect("a column has a name");
        let mut found = None;
        for rel in &self.rels {
            if let Some(q) = qualifier.last()
                && !q.eq_ignore_ascii_case(&rel.name)
            {
                continue;
            }
            if let Some(i) = rel
                .cols
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(column))
            {
                if found.is_some() {
                    return Err(SqlError::new(
                        209,
                        16,
                        format!("Ambiguous column name '{column}'."),
                    ));
                }
                found = Some((rel.offset + i, &rel.cols[i]));
            }
        }
        if let Some(f) = found {
            return Ok(f);
        }
        if !qualifier.is_empty()
            && !self.rels.iter().any(|r| {
                qualifier
                    .last()
                    .is_some_and(|q| q.eq_ignore_ascii_case(&r.name))
            })
        {
            return Err(SqlError::new(
                4104,
                16,
                format!(
                    "The multi-part identifier \"{}\" could not be bound.",
                    parts.join(".")
                ),
            ));
        }
        Err(SqlError::new(
            207,
            16,
            format!("Invalid column name '{column}'."),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AggFunc {
    Count,
    CountBig,
    Min,
    Max,
    Sum,
}

pub(super) fn agg_of(e: &Expr) -> Option<(AggFunc, &[Expr])> {
    match e {
        Expr::Func { name, args } => {
            let f = match name.as_str() {
                "COUNT" => AggFunc::Count,
                "COUNT_BIG" => AggFunc::CountBig,
                "MIN" => AggFunc::Min,
                "MAX" => AggFunc::Max,
                "SUM" => AggFunc::Sum,
                _ => return None,
            };
            Some((f, args))
        }
        _ => None,
    }
}

pub(super) struct Binder<'a> {
    pub(super) env: &'a Env<'a>,
    pub(super) scope: &'a Scope,
}

fn const_typed(v: Value<'static>, ty: SqlType) -> Typed {
    Typed {
        nullable: v.is_null(),
        e: BExpr::Const(v),
        ty,
    }
}

fn nvarchar128(s: impl Into<String>) -> Typed {
    const_typed(Value::text(s), SqlType::NVarChar(Len::N(128)))
}

impl Binder<'_> {
    pub(super) fn expr(&self, e: &Expr) -> Result<Typed, SqlError> {
        match e {
            Expr::Column(parts) => {
                let (i, col) = self.scope.resolve(parts)?;
                Ok(Typed {
                    e: BExpr::Col(i),
                    ty: col.ty,
                    nullable: col.nullable,
                })
            }
            Expr::Var(name) => self.var(name),
            Expr::Literal(l) => Ok(match l {
                Literal::Null => const_typed(Value::Null, SqlType::Int),
                Literal::Int(i) => {
                    let ty = if i32::try_from(*i).is_ok() {
                        SqlType::Int
                    } else {
                        SqlType::BigInt
                    };
                    const_typed(Value::Int(*i), ty)
                }
                Literal::Decimal(v, scale) => {
                    let digits = v.unsigned_abs().to_string().len() as u8;
                    const_typed(
                        Value::Decimal(*v),
                        SqlType::Numeric {
                            precision: digits.max(*scale).clamp(1, 38),
                            scale: *scale,
                        },
                    )
                }
                Literal::Str { text, national } => {
                    let n = text.encode_utf16().count().clamp(1, 4000) as u16;
                    if *national {
                        const_typed(Value::text(text.clone()), SqlType::NVarChar(Len::N(n)))
                    } else {
                        let units: Vec<u16> = text.encode_utf16().collect();
                        const_typed(
                            Value::Ansi(Cow::Owned(value::cp1252_encode(&units))),
                            SqlType::VarChar(Len::N(n)),
                        )
                    }
                }
            }),
            Expr::Neg(inner) => {
                let t = self.expr(inner)?;
                match t.e {
                    BExpr::Const(Value::Int(i)) => Ok(const_typed(Value::Int(-i), t.ty)),
                    BExpr::Const(Value::Decimal(d)) => Ok(const_typed(Value::Decimal(-d), t.ty)),
                    BExpr::Const(Value::Float(f)) => Ok(const_typed(Value::Float(-f), t.ty)),
                    _ => Err(SqlError::server(
                        "the TDS test server negates only constants",
                    )),
                }
            }
            Expr::Cast { expr, ty } => {
                let inner = self.expr(expr)?;
                match inner.e {
                    BExpr::Const(v) => Ok(const_typed(cast(v, &inner.ty, ty)?.into_owned(), *ty)),
                    e => Ok(Typed {
                        e: BExpr::Cast {
                            inner: Box::new(e),
                            from: inner.ty,
                            to: *ty,
                        },
                        ty: *ty,
                        nullable: inner.nullable,
                    }),
                }
            }
            Expr::Star => Err(SqlError::syntax("*")),
            Expr::Func { name, args } => self.func(name, args),
        }
    }

    fn const_arg(
        &self,
        args: &[Expr],
        i: usize,
    ) -> Result<Option<(Value<'static>, SqlType)>, SqlError> {
        match args.get(i) {
            None => Ok(None),
            Some(a) => match self.expr(a)? {
                Typed {
                    e: BExpr::Const(v),
                    ty,
                    ..
                } => Ok(Some((v, ty))),
                _ => Err(SqlError::server(
                    "the TDS test server takes only constants and parameters as function arguments",
                )),
            },
        }
    }

    fn string_arg(&self, args: &[Expr], i: usize) -> Result<Option<String>, SqlError> {
        Ok(match self.const_arg(args, i)? {
            None | Some((Value::Null, _)) => None,
            Some((v, ty)) => match cast(v, &ty, &SqlType::NVarChar(Len::Max))? {
                Value::Unicode(t) => Some(t.to_string_lossy()),
                _ => None,
            },
        })
    }

    fn now(&self) -> value::DateTimeValue {
        self.env.shared.now
    }

    fn func(&self, name: &str, args: &[Expr]) -> Result<Typed, SqlError> {
        let now = self.now();
        let dt = |ty: SqlType| -> Result<Typed, SqlError> {
            Ok(const_typed(
                value::round_datetime(i64::from(now.days), now.nanos, &ty, 0)?,
                ty,
            ))
        };
        match name {
            "DB_NAME" => Ok(nvarchar128(self.env.database)),
            "SCHEMA_NAME" => Ok(nvarchar128("dbo")),
            "USER_NAME" | "SUSER_NAME" | "SUSER_SNAME" | "CURRENT_USER" => {
                Ok(nvarchar128(self.env.user))
            }
            "SERVERPROPERTY" => {
                let prop = self.string_arg(args, 0)?.unwrap_or_default();
                let shared = self.env.shared;
                let v = match prop.to_ascii_lowercase().as_str() {
                    "productversion" => Some(shared.product_version.clone()),
                    "productmajorversion" => {
                        shared.product_version.split('.').next().map(str::to_owned)
                    }
                    "productlevel" => Some("RTM".into()),
                    "edition" => Some("Developer Edition (64-bit)".into()),
                    "engineedition" => Some("3".into()),
                    "servername" | "machinename" => Some(shared.server_name.clone()),
                    "collation" => Some("SQL_Latin1_General_CP1_CI_AS".into()),
                    "ishadrenabled" | "isclustered" => Some("0".into()),
                    _ => None,
                };
                Ok(match v {
                    Some(v) => nvarchar128(v),
                    None => const_typed(Value::Null, SqlType::NVarChar(Len::N(128))),
                })
            }
            "SYSUTCDATETIME" | "SYSDATETIME" => dt(SqlType::DateTime2 { scale: 7 }),
            "GETUTCDATE" | "GETDATE" | "CURRENT_TIMESTAMP" => dt(SqlType::DateTime),
            "SYSDATETIMEOFFSET" => dt(SqlType::DateTimeOffset { scale: 7 }),
            "OBJECT_ID" => {
                let name = self.string_arg(args, 0)?;
                let id = match name {
                    None => None,
                    Some(n) => match crate::sql::parse_object_name(&n) {
                        Some(parts) => match resolve_user_table(self.env, &parts) {
                            Some((i, t)) => {
                                check_denied(self.env, t)?;
                                Some(object_id(i))
                            }
                            None => None,
                        },
                        None => None,
                    },
                };
                Ok(const_typed(
                    id.map_or(Value::Null, Value::Int),
                    SqlType::Int,
                ))
            }
            "ISNULL" | "COALESCE" => {
                for i in 0..args.len() {
                    if let Some((v, ty)) = self.const_arg(args, i)?
                        && !v.is_null()
                    {
                        return Ok(const_typed(v, ty));
                    }
                }
                Ok(const_typed(Value::Null, SqlType::Int))
            }
            _ if agg_of(&Expr::Func {
                name: name.into(),
                args: Vec::new(),
            })
            .is_some() =>
            {
                Err(SqlError::new(
                    147,
                    15,
                    "An aggregate may not appear in the WHERE clause unless it is in a subquery contained in a HAVING clause or a select list, and the column being aggregated is an outer reference.",
                ))
            }
            _ => Err(SqlError::new(
                195,
                15,
                format!("'{name}' is not a recognized built-in function name."),
            )),
        }
    }

    fn var(&self, name: &str) -> Result<Typed, SqlError> {
        let upper = name.to_ascii_uppercase();
        let shared = self.env.shared;
        match upper.as_str() {
            "@@VERSION" => {
                return Ok(const_typed(
                    Value::text(format!(
                        "Microsoft SQL Server 2022 - {} (X64) (pancake TDS test server)",
                        shared.product_version
                    )),
                    SqlType::NVarChar(Len::N(300)),
                ));
            }
            "@@SPID" => {
                return Ok(const_typed(
                    Value::Int(i64::from(self.env.spid)),
                    SqlType::SmallInt,
                ));
            }
            "@@SERVERNAME" => return Ok(nvarchar128(shared.server_name.clone())),
            "@@TRANCOUNT" => {
                return Ok(const_typed(
                    Value::Int(i64::from(self.env.trancount)),
                    SqlType::Int,
                ));
            }
            "@@LANGUAGE" => return Ok(nvarchar128("us_english")),
            _ => {}
        }
        match self
            .env
            .params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => Ok(const_typed(p.value.clone(), p.ty)),
            None => Err(SqlError::new(
                137,
                15,
                format!("Must declare the scalar variable \"{name}\"."),
            )),
        }
    }

    pub(super) fn cond(&self, c: &Cond) -> Result<BCond, SqlError> {
        Ok(match c {
            Cond::Cmp(a, op, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                check_comparable(&a, *op, &b)?;
                BCond::Cmp(a, *op, b)
            }
            Cond::In {
                expr,
                list,
                negated,
            } => {
                let e = self.expr(expr)?;
                let list: Vec<Typed> = list
                    .iter()
                    .map(|e| self.expr(e))
                    .collect::<Result<_, _>>()?;
                for item in &list {
                    check_comparable(&e, CmpOp::Eq, item)?;
                }
                BCond::In(e, list, *negated)
            }
            Cond::IsNull { expr, negated } => BCond::IsNull(self.expr(expr)?, *negated),
            Cond::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let e = self.expr(expr)?;
                let (low, high) = (self.expr(low)?, self.expr(high)?);
                check_comparable(&e, CmpOp::Ge, &low)?;
                check_comparable(&e, CmpOp::Le, &high)?;
                let both = BCond::And(vec![
                    BCond::Cmp(e.clone(), CmpOp::Ge, low),
                    BCond::Cmp(e, CmpOp::Le, high),
                ]);
                if *negated {
                    BCond::Not(Box::new(both))
                } else {
                    both
                }
            }
            Cond::And(cs) => BCond::And(cs.iter().map(|c| self.cond(c)).collect::<Result<_, _>>()?),
            Cond::Or(cs) => BCond::Or(cs.iter().map(|c| self.cond(c)).collect::<Result<_, _>>()?),
            Cond::Not(c) => BCond::Not(Box::new(self.cond(c)?)),
        })
    }
}

/// The object id the server gives the `i`th table of its catalog.
pub(crate) fn object_id(i: usize) -> i64 {
    901_578_250 + 16_000 * i as i64
}

/// A user table by its written name: `name`, `schema.name` or
/// `db.schema.name` (of the current database).
pub(super) fn resolve_user_table<'a>(
    env: &Env<'a>,
    parts: &[String],
) -> Option<(usize, &'a TableDef)> {
    let (name, qualifier) = parts.split_last()?;
    let schema = match qualifier {
        [] => None,
        [s] => Some(s.as_str()),
        [db, s] => {
            if !db.eq_ignore_ascii_case(env.database) {
                return None;
            }
            Some(s.as_str())
        }
        _ => return None,
    };
    env.shared.catalog.tables.iter().enumerate().find(|(_, t)| {
        t.name.eq_ignore_ascii_case(name)
            && schema.is_none_or(|s| s.is_empty() || t.schema.eq_ignore_ascii_case(s))
    })
}

pub(super) fn check_denied(env: &Env<'_>, t: &TableDef) -> Result<(), SqlError> {
    if env.shared.faults.is_denied(&t.qualified_name()) {
        return Err(SqlError {
            number: 229,
            state: 5,
            class: 14,
            message: format!(
                "The SELECT permission was denied on the object '{}', database '{}', schema '{}'.",
                t.name, env.database, t.schema
            ),
        });
    }
    Ok(())
}

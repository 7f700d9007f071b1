//! Binding and running statements: names resolve against the catalog (user
//! tables, fed by the dump) and a few catalog views (`INFORMATION_SCHEMA`,
//! `sys.partitions`, ...), and the result goes out as tokens while rows are
//! read.
//!
//! User tables are scanned forward in key order with the connection's
//! cursor: a `WHERE` on the key column narrows the scan, anything else is a
//! filter on each row. `ORDER BY` may only name the key column (ascending),
//! the order the dump is in.

use crate::catalog::{ColumnDef, Len, SqlType, TableDef};
use crate::dump::{Bound, Cursor, TableParts};
use crate::record::{AnyRecord, FieldValue, KEY_FIELD, field_index};
use crate::server::{SessionState, Shared};
use crate::sql::{CmpOp, Cond, Expr, IsolationLevel, Literal, Select, Statement};
use crate::tds::{self, OutColumn, PacketWriter, RpcParam};
use crate::value::{self, SqlError, UText, Value, cast, compare, extra_value, store};
use pancake_proto::LegacyTable;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::io::{self, Write};

/// What running a statement came to.
pub(crate) enum Outcome {
    /// Finished: a result set of `rows` rows, or no result set.
    Done { rows: Option<u64> },
    /// Failed, after `rows` rows of a result set if one was started. The
    /// ERROR token is the caller's to send.
    Error { error: SqlError, rows: Option<u64> },
    /// A fault cut the connection: close it now.
    Cut,
}

impl From<SqlError> for Outcome {
    fn from(error: SqlError) -> Outcome {
        Outcome::Error { error, rows: None }
    }
}

/// Where a response goes.
pub(crate) struct Out<'a> {
    pub pw: &'a mut PacketWriter,
    pub w: &'a mut dyn Write,
}

/// What binding needs to know of the connection and request.
pub(crate) struct Env<'a> {
    pub shared: &'a Shared,
    pub params: &'a [RpcParam],
    pub database: &'a str,
    pub user: &'a str,
    pub spid: u16,
}

// ---------------------------------------------------------------------------
// Bound expressions

#[derive(Debug, Clone)]
enum BExpr {
    Col(usize),
    Const(Value<'static>),
    Cast {
        inner: Box<BExpr>,
        from: SqlType,
        to: SqlType,
    },
}

#[derive(Debug, Clone)]
struct Typed {
    e: BExpr,
    ty: SqlType,
    nullable: bool,
}

#[derive(Debug, Clone)]
enum BCond {
    Cmp(Typed, CmpOp, Typed),
    In(Typed, Vec<Typed>, bool),
    IsNull(Typed, bool),
    And(Vec<BCond>),
    Or(Vec<BCond>),
    Not(Box<BCond>),
}

/// A row an expression reads its columns from.
trait Row {
    fn col(&self, i: usize) -> Result<Value<'_>, SqlError>;
}

impl Row for Vec<Value<'static>> {
    fn col(&self, i: usize) -> Result<Value<'_>, SqlError> {
        Ok(self[i].borrowed())
    }
}

struct NoRow;

impl Row for NoRow {
    fn col(&self, _: usize) -> Result<Value<'_>, SqlError> {
        Err(SqlError::server("no row here"))
    }
}

fn eval<'a>(e: &'a BExpr, row: &'a dyn Row) -> Result<Value<'a>, SqlError> {
    match e {
        BExpr::Col(i) => row.col(*i),
        BExpr::Const(v) => Ok(v.borrowed()),
        BExpr::Cast { inner, from, to } => cast(eval(inner, row)?, from, to),
    }
}

fn eval_cond(c: &BCond, row: &dyn Row) -> Result<Option<bool>, SqlError> {
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
        BCond::And(cs) => {
            let mut result = Some(true);
            for c in cs {
                match eval_cond(c, row)? {
                    Some(false) => return Ok(Some(false)),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        BCond::Or(cs) => {
            let mut result = Some(false);
            for c in cs {
                match eval_cond(c, row)? {
                    Some(true) => return Ok(Some(true)),
                    None => result = None,
                    Some(false) => {}
                }
            }
            result
        }
        BCond::Not(c) => eval_cond(c, row)?.map(|b| !b),
    })
}

// ---------------------------------------------------------------------------
// Names

#[derive(Debug, Clone)]
struct ScopeCol {
    name: String,
    ty: SqlType,
    nullable: bool,
}

#[derive(Debug, Clone)]
struct ScopeRel {
    /// The name a qualifier must use: the alias, or the table's name.
    name: String,
    cols: Vec<ScopeCol>,
    offset: usize,
}

#[derive(Debug, Default)]
struct Scope {
    rels: Vec<ScopeRel>,
}

impl Scope {
    fn add(&mut self, name: String, cols: Vec<ScopeCol>) {
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
enum AggFunc {
    Count,
    CountBig,
    Min,
    Max,
    Sum,
}

fn agg_of(e: &Expr) -> Option<(AggFunc, &[Expr])> {
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

struct Binder<'a> {
    env: &'a Env<'a>,
    scope: &'a Scope,
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
    fn expr(&self, e: &Expr) -> Result<Typed, SqlError> {
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
            "@@TRANCOUNT" => return Ok(const_typed(Value::Int(0), SqlType::Int)),
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

    fn cond(&self, c: &Cond) -> Result<BCond, SqlError> {
        Ok(match c {
            Cond::Cmp(a, op, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                check_comparable(&a, &b)?;
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
                    check_comparable(&e, item)?;
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
                let both = BCond::And(vec![
                    BCond::Cmp(e.clone(), CmpOp::Ge, self.expr(low)?),
                    BCond::Cmp(e, CmpOp::Le, self.expr(high)?),
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

/// Refuses, when binding, comparisons SQL Server refuses to compile:
/// `uniqueidentifier`, `date`, `datetime2` or `datetimeoffset` against a
/// number (error 206). An untyped NULL compares with anything.
fn check_comparable(a: &Typed, b: &Typed) -> Result<(), SqlError> {
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

/// The object id the server gives the `i`th table of its catalog.
pub(crate) fn object_id(i: usize) -> i64 {
    901_578_250 + 16_000 * i as i64
}

/// A user table by its written name: `name`, `schema.name` or
/// `db.schema.name` (of the current database).
fn resolve_user_table<'a>(env: &Env<'a>, parts: &[String]) -> Option<(usize, &'a TableDef)> {
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

fn check_denied(env: &Env<'_>, t: &TableDef) -> Result<(), SqlError> {
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

// ---------------------------------------------------------------------------
// Running statements

pub(crate) fn execute(
    stmt: &Statement,
    env: &Env<'_>,
    state: &mut SessionState,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    match stmt {
        Statement::SetIsolation(level) => {
            state.isolation = *level;
            Ok(Outcome::Done { rows: None })
        }
        Statement::SetOption => Ok(Outcome::Done { rows: None }),
        Statement::Select(s) => select(s, env, state, out),
    }
}

fn item_name(item: &crate::sql::SelectItem) -> String {
    match (&item.alias, &item.expr) {
        (Some(a), _) => a.clone(),
        (None, Expr::Column(parts)) => parts.last().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

enum Item {
    Scalar(Typed),
    Agg(AggFunc, Option<Typed>),
}

fn agg_type(f: AggFunc, arg: Option<&Typed>) -> SqlType {
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
fn bind_items(s: &Select, b: &Binder<'_>) -> Result<(Vec<Item>, Vec<OutColumn>), SqlError> {
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

fn top_count(s: &Select, b: &Binder<'_>) -> Result<Option<(u64, bool)>, SqlError> {
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

/// Encodes one row: NBCROW when it holds a NULL, ROW otherwise.
fn put_row(buf: &mut Vec<u8>, values: &[Value<'_>], cols: &[OutColumn]) {
    if values.iter().any(Value::is_null) {
        buf.push(tds::TOKEN_NBCROW);
        let start = buf.len();
        buf.resize(start + values.len().div_ceil(8), 0);
        for (i, v) in values.iter().enumerate() {
            if v.is_null() {
                buf[start + i / 8] |= 1 << (i % 8);
            }
        }
        for (v, c) in values.iter().zip(cols) {
            if !v.is_null() {
                tds::put_value(buf, v, &c.ty);
            }
        }
    } else {
        buf.push(tds::TOKEN_ROW);
        for (v, c) in values.iter().zip(cols) {
            tds::put_value(buf, v, &c.ty);
        }
    }
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
    tds::put_colmetadata(&mut out.pw.buf, &cols);
    put_row(&mut out.pw.buf, &values, &cols);
    Ok(Outcome::Done { rows: Some(1) })
}

// ---------------------------------------------------------------------------
// Catalog views

/// A catalog view's rows, made from the catalog and the dump's manifest.
pub(crate) struct VirtualTable {
    pub name: String,
    pub cols: Vec<(&'static str, SqlType, bool)>,
    pub rows: Vec<Vec<Value<'static>>>,
}

fn virtual_select(
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
        let order: Vec<(Typed, bool)> = s
            .order_by
            .iter()
            .map(|o| order_expr(&o.expr, s, &b).map(|t| (t, o.desc)))
            .collect::<Result<_, _>>()?;
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
            tds::put_colmetadata(&mut out.pw.buf, &cols);
            for r in &rows {
                put_row(&mut out.pw.buf, r, &cols);
                out.pw.flush_some(out.w)?;
            }
            Ok(Outcome::Done {
                rows: Some(rows.len() as u64),
            })
        }
    }
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
enum Acc {
    Count(u64),
    Best(Option<Value<'static>>, bool),
    Sum(Option<Value<'static>>),
    Scalar,
}

impl Acc {
    fn new(item: &Item) -> Acc {
        match item {
            Item::Agg(AggFunc::Count | AggFunc::CountBig, _) => Acc::Count(0),
            Item::Agg(AggFunc::Min, _) => Acc::Best(None, false),
            Item::Agg(AggFunc::Max, _) => Acc::Best(None, true),
            Item::Agg(AggFunc::Sum, _) => Acc::Sum(None),
            Item::Scalar(_) => Acc::Scalar,
        }
    }

    fn add(&mut self, item: &Item, row: &dyn Row) -> Result<(), SqlError> {
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

    fn finish(self) -> Value<'static> {
        match self {
            Acc::Count(n) => Value::Int(n as i64),
            Acc::Best(v, _) | Acc::Sum(v) => v.unwrap_or(Value::Null),
            Acc::Scalar => Value::Null,
        }
    }
}

// ---------------------------------------------------------------------------
// User tables

/// How a table's columns read a record.
struct TableBinding<'a> {
    table: &'a TableDef,
    /// Per column: the record field feeding it.
    fields: Vec<Option<usize>>,
}

struct RecordRow<'a> {
    rec: &'a AnyRecord,
    binding: &'a TableBinding<'a>,
}

impl Row for RecordRow<'_> {
    fn col(&self, i: usize) -> Result<Value<'_>, SqlError> {
        let column: &ColumnDef = &self.binding.table.columns[i];
        match self.binding.fields[i] {
            Some(f) => store(self.rec.field(f), column),
            None => extra_value(column, self.rec.key()),
        }
    }
}

/// Whether a column holding the record key sorts as the key does.
fn key_order_preserving(ty: &SqlType) -> bool {
    ty.is_integer()
        || ty.is_decimal()
        || matches!(
            ty,
            SqlType::Float | SqlType::Real | SqlType::UniqueIdentifier
        )
}

fn flatten(c: BCond, out: &mut Vec<BCond>) {
    match c {
        BCond::And(cs) => cs.into_iter().for_each(|c| flatten(c, out)),
        c => out.push(c),
    }
}

/// Key bounds taken from the WHERE clause; the rest stays a filter.
struct KeyRange {
    lower: Option<Bound>,
    upper: Option<Bound>,
    /// A bound compared with NULL: no row can match.
    empty: bool,
}

fn tighten_lower(cur: Option<Bound>, new: Bound) -> Option<Bound> {
    Some(match cur {
        None => new,
        Some(c) if new.key > c.key || (new.key == c.key && !new.inclusive) => new,
        Some(c) => c,
    })
}

fn tighten_upper(cur: Option<Bound>, new: Bound) -> Option<Bound> {
    Some(match cur {
        None => new,
        Some(c) if new.key < c.key || (new.key == c.key && !new.inclusive) => new,
        Some(c) => c,
    })
}

fn key_range(conds: Vec<BCond>, key_col: Option<usize>) -> (KeyRange, Vec<BCond>) {
    let mut range = KeyRange {
        lower: None,
        upper: None,
        empty: false,
    };
    let mut rest = Vec::new();
    for c in conds {
        let bound = match (&c, key_col) {
            (BCond::Cmp(a, op, b), Some(k)) => match (&a.e, &b.e) {
                (BExpr::Col(i), BExpr::Const(v)) if *i == k => Some((*op, v.clone())),
                (BExpr::Const(v), BExpr::Col(i)) if *i == k => Some((op.flip(), v.clone())),
                _ => None,
            },
            _ => None,
        };
        match bound {
            Some((_, Value::Null)) => range.empty = true,
            Some((op, Value::Int(v))) if op != CmpOp::Ne => {
                let b = |inclusive| Bound { key: v, inclusive };
                match op {
                    CmpOp::Gt => range.lower = tighten_lower(range.lower, b(false)),
                    CmpOp::Ge => range.lower = tighten_lower(range.lower, b(true)),
                    CmpOp::Lt => range.upper = tighten_upper(range.upper, b(false)),
                    CmpOp::Le => range.upper = tighten_upper(range.upper, b(true)),
                    CmpOp::Eq => {
                        range.lower = tighten_lower(range.lower, b(true));
                        range.upper = tighten_upper(range.upper, b(true));
                    }
                    CmpOp::Ne => unreachable!(),
                }
            }
            _ => rest.push(c),
        }
    }
    (range, rest)
}

fn table_select(
    s: &Select,
    env: &Env<'_>,
    state: &mut SessionState,
    table: &TableDef,
    alias: Option<String>,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    // Bind.
    let mut scope = Scope::default();
    scope.add(
        alias.unwrap_or_else(|| table.name.clone()),
        table
            .columns
            .iter()
            .map(|c| ScopeCol {
                name: c.name.clone(),
                ty: c.sql_type,
                nullable: c.nullable,
            })
            .collect(),
    );
    let binding = TableBinding {
        table,
        fields: table
            .columns
            .iter()
            .map(|c| {
                c.field
                    .as_deref()
                    .and_then(|f| field_index(table.source, f))
            })
            .collect(),
    };
    let key_col = binding
        .fields
        .iter()
        .position(|f| *f == Some(KEY_FIELD))
        .filter(|&i| table.columns[i].sql_type.is_integer());
    let order_col = binding
        .fields
        .iter()
        .position(|f| *f == Some(KEY_FIELD))
        .filter(|&i| key_order_preserving(&table.columns[i].sql_type));
    let b = Binder { env, scope: &scope };
    let bound = (|| {
        let (items, cols) = bind_items(s, &b)?;
        let filter = s.filter.as_ref().map(|f| b.cond(f)).transpose()?;
        let order: Vec<(Typed, bool)> = s
            .order_by
            .iter()
            .map(|o| order_expr(&o.expr, s, &b).map(|t| (t, o.desc)))
            .collect::<Result<_, _>>()?;
        let top = top_count(s, &b)?;
        Ok::<_, SqlError>((items, cols, filter, order, top))
    })();
    let (items, cols, filter, order, top) = match bound {
        Ok(x) => x,
        Err(e) => return Ok(e.into()),
    };
    for (t, desc) in &order {
        let by_key = matches!(t.e, BExpr::Col(i) if Some(i) == order_col);
        if *desc || !by_key {
            return Ok(SqlError::server(format!(
                "the TDS test server can only ORDER BY the key column of {} ascending (the order of its dump)",
                table.qualified_name()
            ))
            .into());
        }
    }
    if let Err(e) = check_denied(env, table) {
        return Ok(e.into());
    }
    if state.isolation == IsolationLevel::Snapshot && !env.shared.faults.allow_snapshot() {
        return Ok(SqlError::new(
            3952,
            16,
            format!("Snapshot isolation transaction failed accessing database '{}' because snapshot isolation is not allowed in this database. Use ALTER DATABASE to allow snapshot isolation.", env.database),
        )
        .into());
    }

    let mut conds = Vec::new();
    if let Some(f) = filter {
        flatten(f, &mut conds);
    }
    let (range, residual) = key_range(conds, key_col);
    let parts = env.shared.dump.parts(table.source);
    let aggregate = items.iter().any(|i| matches!(i, Item::Agg(..)));
    if aggregate {
        return aggregate_select(env, &binding, parts, &items, &cols, &range, &residual, out);
    }

    // A page query: faults first.
    let faults = &env.shared.faults;
    let name = table.qualified_name();
    if let Some(delay) = faults.stall_for(&name)
        && !env.shared.sleep(delay)
    {
        return Ok(Outcome::Cut);
    }
    let cut_after = faults.take_drop(&name);

    tds::put_colmetadata(&mut out.pw.buf, &cols);
    let limit = top.map(|(n, _)| n);
    let with_ties = top.is_some_and(|(_, t)| t);
    let mut sent = 0u64;
    let nothing = range.empty || limit == Some(0);
    let cursor = state
        .cursors
        .entry(table.source)
        .or_insert_with(|| Cursor::new(table.source));
    if !nothing {
        cursor.seek(parts, range.lower);
    }
    let mut tie_key: Option<i64> = None;
    loop {
        if nothing {
            break;
        }
        let rec = match cursor.peek(&env.shared.dump) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(error) => {
                return Ok(Outcome::Error {
                    error,
                    rows: Some(sent),
                });
            }
        };
        let key = rec.key();
        if let Some(upper) = range.upper
            && !upper.admits_below(key)
        {
            break;
        }
        if let Some(lower) = range.lower
            && !lower.admits(key)
        {
            cursor.consume();
            continue;
        }
        if let Some(n) = limit
            && sent >= n
        {
            // WITH TIES: the rows whose key equals the last one's.
            if !(with_ties && tie_key == Some(key)) {
                break;
            }
        }
        let row = RecordRow {
            rec,
            binding: &binding,
        };
        let keep = residual.iter().try_fold(true, |acc, c| {
            Ok::<_, SqlError>(acc && eval_cond(c, &row)? == Some(true))
        });
        match keep {
            Ok(false) => {
                cursor.consume();
                continue;
            }
            Ok(true) => {}
            Err(error) => {
                return Ok(Outcome::Error {
                    error,
                    rows: Some(sent),
                });
            }
        }
        {
            let mut values: Vec<Value<'_>> = Vec::with_capacity(items.len());
            for item in &items {
                let Item::Scalar(t) = item else { continue };
                match eval(&t.e, &row) {
                    Ok(v) => values.push(v),
                    Err(error) => {
                        return Ok(Outcome::Error {
                            error,
                            rows: Some(sent),
                        });
                    }
                }
            }
            put_row(&mut out.pw.buf, &values, &cols);
        }
        sent += 1;
        tie_key = Some(key);
        cursor.consume();
        if cut_after.is_some_and(|n| sent >= n) {
            out.pw.send_unfinished(out.w)?;
            return Ok(Outcome::Cut);
        }
        out.pw.flush_some(out.w)?;
    }
    if cut_after.is_some() {
        // Fewer rows than the cut: cut at the end instead.
        out.pw.send_unfinished(out.w)?;
        return Ok(Outcome::Cut);
    }
    Ok(Outcome::Done { rows: Some(sent) })
}

/// The key of an encoded record, read from its field 1 without decoding the
/// rest (0 when absent, as proto3 omits it).
fn frame_key(bytes: &[u8]) -> i64 {
    let mut i = 0;
    let varint = |i: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*i)?;
            *i += 1;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    while i < bytes.len() {
        let Some(tag) = varint(&mut i) else { return 0 };
        let (field, wire) = (tag >> 3, tag & 7);
        match wire {
            0 => {
                let Some(v) = varint(&mut i) else { return 0 };
                if field == 1 {
                    return v as i64;
                }
            }
            1 => i += 8,
            5 => i += 4,
            2 => {
                let Some(len) = varint(&mut i) else { return 0 };
                i += len as usize;
            }
            _ => return 0,
        }
    }
    0
}

/// Counts the records of a table whose key is within `range`, from the
/// manifest where a part lies wholly inside it.
fn count_in_range(
    table: LegacyTable,
    parts: &TableParts,
    range: &KeyRange,
) -> Result<u64, SqlError> {
    let inside = |k: i64| {
        range.lower.is_none_or(|b| b.admits(k)) && range.upper.is_none_or(|b| b.admits_below(k))
    };
    let mut n = 0;
    for p in &parts.parts {
        match p.key_range {
            Some([lo, hi]) if inside(lo) && inside(hi) => n += p.records,
            Some([lo, hi])
                if range.upper.is_some_and(|b| !b.admits_below(lo))
                    || range.lower.is_some_and(|b| !b.admits(hi)) => {}
            _ => {
                let options = pancake_proto::ReadOptions {
                    table: Some(table.name().to_owned()),
                    record_type: Some(table.record_type().to_owned()),
                    ..Default::default()
                };
                let err = |e: pancake_proto::PartError| {
                    SqlError::server(format!("The TDS test server cannot read its dump: {e}"))
                };
                let mut reader = pancake_proto::PartReader::open(&p.path, &options).map_err(err)?;
                while let Some(frame) = reader.next_frame().map_err(err)? {
                    if inside(frame_key(frame)) {
                        n += 1;
                    }
                }
            }
        }
    }
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
fn aggregate_select(
    env: &Env<'_>,
    binding: &TableBinding<'_>,
    parts: &TableParts,
    items: &[Item],
    cols: &[OutColumn],
    range: &KeyRange,
    residual: &[BCond],
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    let table = binding.table;
    let dump = &env.shared.dump;
    let key_col = binding.fields.iter().position(|f| *f == Some(KEY_FIELD));
    let on_key = |t: &Typed| {
        matches!(t.e, BExpr::Col(i) if Some(i) == key_col) && key_order_preserving(&t.ty)
    };
    let whole_table =
        residual.is_empty() && !range.empty && range.lower.is_none() && range.upper.is_none();
    // From the manifest: counts with key bounds only, MIN/MAX of the key over
    // the whole table.
    let fast = residual.is_empty()
        && items.iter().all(|i| match i {
            Item::Agg(AggFunc::Count | AggFunc::CountBig, None) => true,
            Item::Agg(AggFunc::Min | AggFunc::Max, Some(t)) => whole_table && on_key(t),
            _ => false,
        });
    let values: Result<Vec<Value<'static>>, SqlError> = if fast {
        items
            .iter()
            .map(|i| match i {
                Item::Agg(f @ (AggFunc::Min | AggFunc::Max), Some(_)) => match parts.key_range() {
                    None => Ok(Value::Null),
                    Some((lo, hi)) => {
                        let k = if *f == AggFunc::Min { lo } else { hi };
                        let column = &table.columns[key_col.expect("on the key")];
                        store(FieldValue::Int(k), column).map(Value::into_owned)
                    }
                },
                _ => {
                    if range.empty {
                        Ok(Value::Int(0))
                    } else {
                        count_in_range(table.source, parts, range).map(|n| Value::Int(n as i64))
                    }
                }
            })
            .collect()
    } else {
        // Scan with a cursor of its own: the connection's stays where its
        // pages left it.
        (|| {
            let mut acc: Vec<Acc> = items.iter().map(Acc::new).collect();
            if !range.empty {
                let mut cursor = Cursor::new(table.source);
                cursor.seek(parts, range.lower);
                while let Some(rec) = cursor.peek(dump)? {
                    let key = rec.key();
                    if range.upper.is_some_and(|u| !u.admits_below(key)) {
                        break;
                    }
                    if range.lower.is_none_or(|l| l.admits(key)) {
                        let row = RecordRow { rec, binding };
                        let mut keep = true;
                        for c in residual {
                            keep = keep && eval_cond(c, &row)? == Some(true);
                        }
                        if keep {
                            for (a, item) in acc.iter_mut().zip(items) {
                                a.add(item, &row)?;
                            }
                        }
                    }
                    cursor.consume();
                }
            }
            Ok(acc.into_iter().map(Acc::finish).collect())
        })()
    };
    match values {
        Err(e) => Ok(e.into()),
        Ok(values) => {
            tds::put_colmetadata(&mut out.pw.buf, cols);
            // COUNT gives an int: overflow as SQL Server does.
            for (v, c) in values.iter().zip(cols) {
                if let (Value::Int(n), SqlType::Int) = (v, &c.ty)
                    && i32::try_from(*n).is_err()
                {
                    return Ok(SqlError::overflow(&SqlType::Int).into());
                }
            }
            put_row(&mut out.pw.buf, &values, cols);
            Ok(Outcome::Done { rows: Some(1) })
        }
    }
}

/// Text for the query log.
pub(crate) fn param_value(v: &Value<'_>, ty: &SqlType) -> crate::faults::ParamValue {
    use crate::faults::ParamValue;
    match v {
        Value::Null => ParamValue::Null,
        Value::Int(i) => ParamValue::Int(*i),
        Value::Float(f) => ParamValue::Float(*f),
        Value::Unicode(t) => ParamValue::Text(t.to_string_lossy()),
        Value::Ansi(b) => ParamValue::Text(value::cp1252_decode(b)),
        Value::Binary(b) => ParamValue::Bytes(b.to_vec()),
        other => match cast(other.clone(), ty, &SqlType::NVarChar(Len::Max)) {
            Ok(Value::Unicode(UText::Str(s))) => ParamValue::Text(s.into_owned()),
            _ => ParamValue::Text(format!("{other:?}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_key_from_a_frame() {
        use prost::Message as _;
        let m = pancake_proto::legacy::Message {
            message_id: 5_000_000_123,
            body: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(frame_key(&m.encode_to_vec()), 5_000_000_123);
        let neg = pancake_proto::legacy::Member {
            member_id: -3,
            ..Default::default()
        };
        assert_eq!(frame_key(&neg.encode_to_vec()), -3);
        assert_eq!(
            frame_key(&pancake_proto::legacy::Member::default().encode_to_vec()),
            0
        );
    }
}

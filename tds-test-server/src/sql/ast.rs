//! What a statement parses to.

use crate::catalog::SqlType;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Int(i64),
    /// A number with a decimal point: digits and scale.
    Decimal(i128, u8),
    Str {
        text: String,
        national: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a`, `t.a`, `dbo.t.a`: the written parts.
    Column(Vec<String>),
    /// `@P1`, `@@VERSION`.
    Var(String),
    Literal(Literal),
    /// `f(args)`; `COUNT(*)` has a `Star` argument.
    Func {
        name: String,
        args: Vec<Expr>,
    },
    Star,
    Cast {
        expr: Box<Expr>,
        ty: SqlType,
    },
    Neg(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The same comparison with its sides swapped.
    pub(crate) fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            op => op,
        }
    }

    pub(crate) fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => o == Equal,
            CmpOp::Ne => o != Equal,
            CmpOp::Lt => o == Less,
            CmpOp::Le => o != Greater,
            CmpOp::Gt => o == Greater,
            CmpOp::Ge => o != Less,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Cmp(Expr, CmpOp, Expr),
    In {
        expr: Expr,
        list: Vec<Expr>,
        negated: bool,
    },
    IsNull {
        expr: Expr,
        negated: bool,
    },
    Between {
        expr: Expr,
        low: Expr,
        high: Expr,
        negated: bool,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SelectItem {
    pub expr: Expr,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableRef {
    /// `[db.][schema.]name` as written.
    pub parts: Vec<String>,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Join {
    pub table: TableRef,
    pub on: Cond,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Top {
    pub count: Expr,
    pub with_ties: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub top: Option<Top>,
    pub items: Vec<SelectItem>,
    pub from: Option<TableRef>,
    pub joins: Vec<Join>,
    pub filter: Option<Cond>,
    pub order_by: Vec<OrderItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Snapshot,
    Serializable,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    Select(Box<Select>),
    SetIsolation(IsolationLevel),
    /// `SET NOCOUNT ON`, `SET ANSI_NULLS ON`, ...: accepted, no effect.
    SetOption,
    /// `SET FMTONLY ON|OFF`: while on, queries answer their metadata only.
    SetFmtOnly(bool),
    /// `USE [db]`.
    Use(String),
    /// `BEGIN TRAN[SACTION] [name]`.
    BeginTran(Option<TranName>),
    /// `COMMIT [TRAN[SACTION] [name] | WORK]` (SQL Server ignores the name).
    Commit,
    /// `ROLLBACK [TRAN[SACTION] [name] | WORK]`: the whole transaction, or
    /// back to the savepoint of that name.
    Rollback(Option<TranName>),
    /// `SAVE TRAN[SACTION] name`: a savepoint.
    SaveTran(TranName),
    /// `IF cond statement`.
    If(Cond, Box<Statement>),
}

/// A transaction's or savepoint's name, as written or in a variable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TranName {
    Name(String),
    /// `@name`, with its `@`.
    Var(String),
}

//! A small T-SQL tokenizer and parser: the statements the extractor sends,
//! and a tolerant superset of them (any whitespace and comments,
//! case-insensitive keywords, `[bracketed]`, `"quoted"` or bare identifiers).
//!
//! Anything else is `Msg 102, Incorrect syntax near '...'.`
//!
//! ```text
//! batch     := statement (';'? statement)*
//! statement := select
//!            | SET TRANSACTION ISOLATION LEVEL (READ COMMITTED | READ UNCOMMITTED
//!                  | REPEATABLE READ | SNAPSHOT | SERIALIZABLE)
//!            | SET option[, option...] (ON | OFF | value)      -- accepted, no effect
//! select    := SELECT [TOP (expr) | TOP number] [WITH TIES] item (, item)*
//!              [FROM table [[AS] alias] [WITH (hint)] ([INNER] JOIN table [[AS] alias] ON cond)*]
//!              [WHERE cond] [ORDER BY expr [ASC | DESC] (, ...)*]
//! item      := * | expr [[AS] alias]
//! expr      := column | [db.][schema.]table.column | @P1 | @@VERSION | literal | -literal
//!            | CAST(expr AS type) | CONVERT(type, expr [, style]) | function(args)
//!            | COUNT(*) | COUNT_BIG(*) | MIN(expr) | MAX(expr) | SUM(expr) | (expr)
//! cond      := cond OR cond | cond AND cond | NOT cond | (cond)
//!            | expr (= | <> | != | < | <= | > | >= | !< | !>) expr
//!            | expr [NOT] IN (expr, ...) | expr IS [NOT] NULL | expr [NOT] BETWEEN expr AND expr
//! type      := tinyint | smallint | int | bigint | bit | decimal[(p[,s])] | numeric[(p[,s])]
//!            | money | smallmoney | float[(n)] | real | date | datetime | smalldatetime
//!            | datetime2[(s)] | datetimeoffset[(s)] | uniqueidentifier | char(n) | varchar(n|max)
//!            | text | nchar(n) | nvarchar(n|max) | ntext | binary(n) | varbinary(n|max)
//! ```
//!
//! Functions: `DB_NAME()`, `SERVERPROPERTY('ProductVersion' | 'ProductLevel' |
//! 'Edition' | 'EngineEdition' | 'ServerName' | 'Collation' | ...)` (an
//! `nvarchar(128)`, not a `sql_variant`), `SYSUTCDATETIME()`, `SYSDATETIME()`,
//! `GETUTCDATE()`, `GETDATE()`, `SYSDATETIMEOFFSET()` (the frozen clock),
//! `OBJECT_ID('[schema].[table]')`, `SCHEMA_NAME()`, `USER_NAME()`,
//! `ISNULL`/`COALESCE` of constants. Their arguments must be constants or
//! parameters.

use crate::catalog::{Len, SqlType};
use crate::value::SqlError;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier; `quoted` when it was `[..]` or `".."` (never a keyword).
    Ident {
        name: String,
        quoted: bool,
    },
    /// `@name` or `@@name`.
    Var(String),
    Number(String),
    Str {
        text: String,
        national: bool,
    },
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// The token as written, for error messages.
    text: String,
}

const SYMBOLS: [&str; 16] = [
    "<=", ">=", "<>", "!=", "!<", "!>", "(", ")", ",", ".", "*", "=", "<", ">", ";", "+",
];

fn lex(sql: &str) -> Result<Vec<Token>, SqlError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = i;
            i += 2;
            let mut depth = 1;
            while i < chars.len() && depth > 0 {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if depth > 0 {
                return Err(SqlError::new(
                    113,
                    15,
                    format!(
                        "Missing end comment mark '*/'. near '{}'",
                        text(start, start + 2)
                    ),
                ));
            }
            continue;
        }
        let start = i;
        if c == '[' {
            let mut name = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(SqlError::new(
                            105,
                            15,
                            format!(
                                "Unclosed quotation mark after the character string '{}'.",
                                text(start + 1, chars.len())
                            ),
                        ));
                    }
                    Some(']') if chars.get(i + 1) == Some(&']') => {
                        name.push(']');
                        i += 2;
                    }
                    Some(']') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        name.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token {
                tok: Tok::Ident { name, quoted: true },
                text: text(start, i),
            });
            continue;
        }
        if c == '"' || c == '\'' || ((c == 'N' || c == 'n') && chars.get(i + 1) == Some(&'\'')) {
            let national = c == 'N' || c == 'n';
            let quote = if national { '\'' } else { c };
            i += if national { 2 } else { 1 };
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        return Err(SqlError::new(
                            105,
                            15,
                            format!("Unclosed quotation mark after the character string '{s}'."),
                        ));
                    }
                    Some(&q) if q == quote && chars.get(i + 1) == Some(&quote) => {
                        s.push(quote);
                        i += 2;
                    }
                    Some(&q) if q == quote => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            let tok = if quote == '"' {
                Tok::Ident {
                    name: s,
                    quoted: true,
                }
            } else {
                Tok::Str { text: s, national }
            };
            out.push(Token {
                tok,
                text: text(start, i),
            });
            continue;
        }
        if c == '@' {
            i += 1;
            if chars.get(i) == Some(&'@') {
                i += 1;
            }
            while i < chars.len() && (chars[i].is_alphanumeric() || "_@#$".contains(chars[i])) {
                i += 1;
            }
            let t = text(start, i);
            out.push(Token {
                tok: Tok::Var(t.clone()),
                text: t,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let t = text(start, i);
            out.push(Token {
                tok: Tok::Number(t.clone()),
                text: t,
            });
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '#' {
            while i < chars.len() && (chars[i].is_alphanumeric() || "_@#$".contains(chars[i])) {
                i += 1;
            }
            let t = text(start, i);
            out.push(Token {
                tok: Tok::Ident {
                    name: t.clone(),
                    quoted: false,
                },
                text: t,
            });
            continue;
        }
        if let Some(sym) = SYMBOLS.iter().find(|s| {
            let s: Vec<char> = s.chars().collect();
            chars[i..].starts_with(&s)
        }) {
            i += sym.chars().count();
            out.push(Token {
                tok: Tok::Sym(sym),
                text: (*sym).to_owned(),
            });
            continue;
        }
        if c == '-' {
            i += 1;
            out.push(Token {
                tok: Tok::Sym("-"),
                text: "-".into(),
            });
            continue;
        }
        return Err(SqlError::syntax(&c.to_string()));
    }
    out.push(Token {
        tok: Tok::Eof,
        text: String::new(),
    });
    Ok(out)
}

// ---------------------------------------------------------------------------
// AST

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
}

// ---------------------------------------------------------------------------
// Parser

const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "ORDER", "BY", "JOIN", "INNER", "LEFT", "RIGHT", "OUTER", "CROSS",
    "ON", "AND", "OR", "NOT", "AS", "TOP", "WITH", "GROUP", "HAVING", "UNION", "OFFSET", "FETCH",
    "ASC", "DESC", "IN", "IS", "NULL", "BETWEEN", "LIKE", "SET", "OPTION", "FOR", "INTO", "CASE",
    "WHEN", "THEN", "ELSE", "END", "DISTINCT", "ALL", "EXISTS",
];

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn advance(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// The syntax error at the current token (or the last one at the end).
    fn error(&self) -> SqlError {
        let t = &self.toks[self.pos];
        if t.tok == Tok::Eof {
            let last = self.pos.checked_sub(1).map(|p| self.toks[p].text.as_str());
            SqlError::syntax(last.unwrap_or(""))
        } else {
            SqlError::syntax(&t.text)
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case(kw))
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), SqlError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// An identifier that is not a reserved keyword (quoted ones always are
    /// identifiers).
    fn ident(&mut self) -> Result<String, SqlError> {
        match self.peek().clone() {
            Tok::Ident { name, quoted } => {
                if !quoted && RESERVED.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
                    return Err(self.error());
                }
                self.advance();
                Ok(name)
            }
            _ => Err(self.error()),
        }
    }

    fn is_plain_ident(&self) -> bool {
        match self.peek() {
            Tok::Ident { name, quoted } => {
                *quoted || !RESERVED.iter().any(|k| k.eq_ignore_ascii_case(name))
            }
            _ => false,
        }
    }

    fn batch(&mut self) -> Result<Vec<Statement>, SqlError> {
        let mut out = Vec::new();
        loop {
            while self.eat_sym(";") {}
            if *self.peek() == Tok::Eof {
                break;
            }
            out.push(self.statement()?);
        }
        if out.is_empty() {
            return Err(self.error());
        }
        Ok(out)
    }

    fn statement(&mut self) -> Result<Statement, SqlError> {
        if self.eat_kw("SELECT") {
            return Ok(Statement::Select(Box::new(self.select()?)));
        }
        if self.eat_kw("SET") {
            if self.eat_kw("TRANSACTION") {
                self.expect_kw("ISOLATION")?;
                self.expect_kw("LEVEL")?;
                let level = if self.eat_kw("READ") {
                    if self.eat_kw("COMMITTED") {
                        IsolationLevel::ReadCommitted
                    } else if self.eat_kw("UNCOMMITTED") {
                        IsolationLevel::ReadUncommitted
                    } else {
                        return Err(self.error());
                    }
                } else if self.eat_kw("REPEATABLE") {
                    self.expect_kw("READ")?;
                    IsolationLevel::RepeatableRead
                } else if self.eat_kw("SNAPSHOT") {
                    IsolationLevel::Snapshot
                } else if self.eat_kw("SERIALIZABLE") {
                    IsolationLevel::Serializable
                } else {
                    return Err(self.error());
                };
                return Ok(Statement::SetIsolation(level));
            }
            // SET <option>[, <option>...] ON|OFF, or SET <option> <value>.
            self.ident()?;
            while self.eat_sym(",") {
                self.ident()?;
            }
            match self.peek().clone() {
                Tok::Ident { .. } | Tok::Number(_) | Tok::Str { .. } => {
                    self.advance();
                }
                Tok::Sym("-") => {
                    self.advance();
                    match self.peek() {
                        Tok::Number(_) => {
                            self.advance();
                        }
                        _ => return Err(self.error()),
                    }
                }
                _ => return Err(self.error()),
            }
            return Ok(Statement::SetOption);
        }
        Err(self.error())
    }

    fn select(&mut self) -> Result<Select, SqlError> {
        let mut top = None;
        if self.eat_kw("TOP") {
            let count = if self.eat_sym("(") {
                let e = self.expr()?;
                self.expect_sym(")")?;
                e
            } else {
                match self.peek().clone() {
                    Tok::Number(_) | Tok::Var(_) => self.primary()?,
                    _ => return Err(self.error()),
                }
            };
            let with_ties = if self.is_kw("WITH") && self.is_kw_at(1, "TIES") {
                self.advance();
                self.advance();
                true
            } else {
                false
            };
            top = Some(Top { count, with_ties });
        }
        let mut items = Vec::new();
        loop {
            items.push(self.select_item()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        let mut from = None;
        let mut joins = Vec::new();
        if self.eat_kw("FROM") {
            from = Some(self.table_ref()?);
            loop {
                if self.eat_kw("INNER") {
                    self.expect_kw("JOIN")?;
                } else if !self.eat_kw("JOIN") {
                    break;
                }
                let table = self.table_ref()?;
                self.expect_kw("ON")?;
                let on = self.cond()?;
                joins.push(Join { table, on });
            }
        }
        let filter = if self.eat_kw("WHERE") {
            Some(self.cond()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let expr = self.expr()?;
                let desc = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                order_by.push(OrderItem { expr, desc });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        // Anything but the end of the statement is an error here (OFFSET,
        // GROUP BY, UNION, ...).
        if !(self.is_sym(";")
            || *self.peek() == Tok::Eof
            || self.is_kw("SELECT")
            || self.is_kw("SET"))
        {
            return Err(self.error());
        }
        Ok(Select {
            top,
            items,
            from,
            joins,
            filter,
            order_by,
        })
    }

    fn select_item(&mut self) -> Result<SelectItem, SqlError> {
        if self.eat_sym("*") {
            return Ok(SelectItem {
                expr: Expr::Star,
                alias: None,
            });
        }
        let expr = self.expr()?;
        let alias = if self.eat_kw("AS") {
            match self.peek().clone() {
                Tok::Str { text, .. } => {
                    self.advance();
                    Some(text)
                }
                _ => Some(self.ident()?),
            }
        } else if self.is_plain_ident() {
            Some(self.ident()?)
        } else if let Tok::Str { text, .. } = self.peek().clone() {
            self.advance();
            Some(text)
        } else {
            None
        };
        Ok(SelectItem { expr, alias })
    }

    fn table_ref(&mut self) -> Result<TableRef, SqlError> {
        let mut parts = vec![self.ident()?];
        while self.eat_sym(".") {
            parts.push(self.ident()?);
        }
        if parts.len() > 4 {
            return Err(self.error());
        }
        let alias = if self.eat_kw("AS") || self.is_plain_ident() {
            Some(self.ident()?)
        } else {
            None
        };
        // Table hints: WITH (NOLOCK), (NOLOCK): accepted, no effect.
        if self.is_kw("WITH") && matches!(self.peek_at(1), Tok::Sym("(")) {
            self.advance();
        }
        if self.is_sym("(") && matches!(self.peek_at(1), Tok::Ident { .. }) {
            self.advance();
            loop {
                self.ident()?;
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
        }
        Ok(TableRef { parts, alias })
    }

    fn cond(&mut self) -> Result<Cond, SqlError> {
        let mut ors = vec![self.and_cond()?];
        while self.eat_kw("OR") {
            ors.push(self.and_cond()?);
        }
        Ok(if ors.len() == 1 {
            ors.pop().expect("one")
        } else {
            Cond::Or(ors)
        })
    }

    fn and_cond(&mut self) -> Result<Cond, SqlError> {
        let mut ands = vec![self.not_cond()?];
        while self.eat_kw("AND") {
            ands.push(self.not_cond()?);
        }
        Ok(if ands.len() == 1 {
            ands.pop().expect("one")
        } else {
            Cond::And(ands)
        })
    }

    fn not_cond(&mut self) -> Result<Cond, SqlError> {
        if self.eat_kw("NOT") {
            return Ok(Cond::Not(Box::new(self.not_cond()?)));
        }
        if self.is_sym("(") {
            // Either a parenthesised condition or an expression in
            // parentheses starting a predicate: try the first.
            let save = self.pos;
            self.advance();
            if let Ok(c) = self.cond()
                && self.eat_sym(")")
            {
                return Ok(c);
            }
            self.pos = save;
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Cond, SqlError> {
        let expr = self.expr()?;
        let op = match self.peek() {
            Tok::Sym("=") => Some(CmpOp::Eq),
            Tok::Sym("<>") | Tok::Sym("!=") => Some(CmpOp::Ne),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") | Tok::Sym("!>") => Some(CmpOp::Le),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Ge),
            Tok::Sym("!<") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            let right = self.expr()?;
            return Ok(Cond::Cmp(expr, op, right));
        }
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            return Ok(Cond::IsNull { expr, negated });
        }
        let negated = self.eat_kw("NOT");
        if self.eat_kw("IN") {
            self.expect_sym("(")?;
            let mut list = vec![self.expr()?];
            while self.eat_sym(",") {
                list.push(self.expr()?);
            }
            self.expect_sym(")")?;
            return Ok(Cond::In {
                expr,
                list,
                negated,
            });
        }
        if self.eat_kw("BETWEEN") {
            let low = self.expr()?;
            self.expect_kw("AND")?;
            let high = self.expr()?;
            return Ok(Cond::Between {
                expr,
                low,
                high,
                negated,
            });
        }
        Err(self.error())
    }

    fn expr(&mut self) -> Result<Expr, SqlError> {
        if self.eat_sym("-") {
            return Ok(Expr::Neg(Box::new(self.primary()?)));
        }
        self.eat_sym("+");
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SqlError> {
        match self.peek().clone() {
            Tok::Number(n) => {
                self.advance();
                number_literal(&n)
                    .map(Expr::Literal)
                    .ok_or_else(|| SqlError::syntax(&n))
            }
            Tok::Str { text, national } => {
                self.advance();
                Ok(Expr::Literal(Literal::Str { text, national }))
            }
            Tok::Var(v) => {
                self.advance();
                Ok(Expr::Var(v))
            }
            Tok::Sym("(") => {
                self.advance();
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Ident {
                name,
                quoted: false,
            } if name.eq_ignore_ascii_case("NULL") => {
                self.advance();
                Ok(Expr::Literal(Literal::Null))
            }
            Tok::Ident {
                name,
                quoted: false,
            } if name.eq_ignore_ascii_case("CAST") && matches!(self.peek_at(1), Tok::Sym("(")) => {
                self.advance();
                self.advance();
                let e = self.expr()?;
                self.expect_kw("AS")?;
                let ty = self.sql_type()?;
                self.expect_sym(")")?;
                Ok(Expr::Cast {
                    expr: Box::new(e),
                    ty,
                })
            }
            Tok::Ident {
                name,
                quoted: false,
            } if (name.eq_ignore_ascii_case("CONVERT")
                || name.eq_ignore_ascii_case("TRY_CONVERT"))
                && matches!(self.peek_at(1), Tok::Sym("(")) =>
            {
                self.advance();
                self.advance();
                let ty = self.sql_type()?;
                self.expect_sym(",")?;
                let e = self.expr()?;
                if self.eat_sym(",") {
                    // The style: ignored.
                    self.expr()?;
                }
                self.expect_sym(")")?;
                Ok(Expr::Cast {
                    expr: Box::new(e),
                    ty,
                })
            }
            Tok::Ident { name, quoted } => {
                if !quoted && matches!(self.peek_at(1), Tok::Sym("(")) {
                    if RESERVED.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
                        return Err(self.error());
                    }
                    self.advance();
                    self.advance();
                    let mut args = Vec::new();
                    if !self.eat_sym(")") {
                        loop {
                            if self.eat_sym("*") {
                                args.push(Expr::Star);
                            } else {
                                args.push(self.expr()?);
                            }
                            if !self.eat_sym(",") {
                                break;
                            }
                        }
                        self.expect_sym(")")?;
                    }
                    return Ok(Expr::Func {
                        name: name.to_ascii_uppercase(),
                        args,
                    });
                }
                let mut parts = vec![self.ident()?];
                while self.is_sym(".") {
                    self.advance();
                    if self.eat_sym("*") {
                        // t.* is not supported.
                        return Err(SqlError::syntax("*"));
                    }
                    parts.push(self.ident()?);
                }
                Ok(Expr::Column(parts))
            }
            _ => Err(self.error()),
        }
    }

    fn sql_type(&mut self) -> Result<SqlType, SqlError> {
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

fn number_literal(n: &str) -> Option<Literal> {
    match n.split_once('.') {
        None => match n.parse::<i64>() {
            Ok(i) => Some(Literal::Int(i)),
            Err(_) => n.parse::<i128>().ok().map(|v| Literal::Decimal(v, 0)),
        },
        Some((int, frac)) => {
            if frac.contains('.') {
                return None;
            }
            let digits = format!("{int}{frac}");
            let v: i128 = if digits.is_empty() {
                0
            } else {
                digits.parse().ok()?
            };
            Some(Literal::Decimal(v, u8::try_from(frac.len()).ok()?))
        }
    }
}

/// Parses a batch of statements.
pub(crate) fn parse(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let toks = lex(sql)?;
    Parser { toks, pos: 0 }.batch()
}

/// Parses a type name, as `CAST` takes it.
pub(crate) fn parse_type(s: &str) -> Result<SqlType, String> {
    let toks = lex(s).map_err(|e| e.message)?;
    let mut p = Parser { toks, pos: 0 };
    let ty = p.sql_type().map_err(|e| e.message)?;
    if *p.peek() != Tok::Eof {
        return Err(p.error().message);
    }
    Ok(ty)
}

/// Splits a multi-part name the way `OBJECT_ID` reads its argument:
/// `[dbo].[Members]`, `dbo.Members`, `Members`.
pub(crate) fn parse_object_name(s: &str) -> Option<Vec<String>> {
    let toks = lex(s).ok()?;
    let mut p = Parser { toks, pos: 0 };
    let mut parts = Vec::new();
    loop {
        match p.peek().clone() {
            Tok::Ident { name, .. } => {
                p.advance();
                parts.push(name);
            }
            _ => return None,
        }
        if !p.eat_sym(".") {
            break;
        }
    }
    (*p.peek() == Tok::Eof).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(sql: &str) -> Select {
        match parse(sql).unwrap().remove(0) {
            Statement::Select(s) => *s,
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn parses_the_page_query() {
        let s = select(
            "SELECT TOP (@P1) WITH TIES [MemberId], CAST([Nickname] AS varbinary(8000)) AS [Nickname],\n\
             CAST(CAST([Email] AS nvarchar(254)) AS varbinary(8000)) AS [Email], CAST([Body] AS varbinary(max)) AS [Body]\n\
             FROM [dbo].[Members] WHERE [MemberId] > @P2 AND [MemberId] <= @P3 ORDER BY [MemberId]",
        );
        let top = s.top.unwrap();
        assert!(top.with_ties);
        assert_eq!(top.count, Expr::Var("@P1".into()));
        assert_eq!(s.items.len(), 4);
        assert_eq!(s.items[1].alias.as_deref(), Some("Nickname"));
        assert_eq!(
            s.items[2].expr,
            Expr::Cast {
                expr: Box::new(Expr::Cast {
                    expr: Box::new(Expr::Column(vec!["Email".into()])),
                    ty: SqlType::NVarChar(Len::N(254))
                }),
                ty: SqlType::VarBinary(Len::N(8000))
            }
        );
        assert_eq!(s.from.unwrap().parts, vec!["dbo", "Members"]);
        assert!(matches!(s.filter, Some(Cond::And(ref v)) if v.len() == 2));
        assert_eq!(s.order_by.len(), 1);
    }

    #[test]
    fn is_tolerant_of_case_whitespace_and_quoting() {
        let a = select("select   min([MemberId]),MAX(MemberId)\n\tfrom dbo.\"Members\" -- c\n");
        assert_eq!(a.items.len(), 2);
        assert_eq!(a.from.unwrap().parts, vec!["dbo", "Members"]);
        let b = select(
            "SELECT k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.TABLE_SCHEMA = t.TABLE_SCHEMA WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @P1 ORDER BY k.ORDINAL_POSITION",
        );
        assert_eq!(b.joins.len(), 1);
        let c = select(
            "SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = OBJECT_ID(@P1) AND p.index_id IN (0, 1)",
        );
        assert!(matches!(c.filter, Some(Cond::And(_))));
        let d = select(
            "SELECT DB_NAME() AS [database], CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) AS [version], SYSUTCDATETIME() AS [now]",
        );
        assert_eq!(d.items[2].alias.as_deref(), Some("now"));
        assert!(matches!(
            parse("SET TRANSACTION ISOLATION LEVEL SNAPSHOT").unwrap()[0],
            Statement::SetIsolation(IsolationLevel::Snapshot)
        ));
    }

    #[test]
    fn reports_the_token_near_a_syntax_error() {
        let e = parse("SELECT * FROM t ORDER BY k OFFSET 10 ROWS").unwrap_err();
        assert_eq!(
            (e.number, e.message.as_str()),
            (102, "Incorrect syntax near 'OFFSET'.")
        );
        let e = parse("SELECT FROM t").unwrap_err();
        assert_eq!(e.message, "Incorrect syntax near 'FROM'.");
        let e = parse("DELETE FROM t").unwrap_err();
        assert_eq!(e.message, "Incorrect syntax near 'DELETE'.");
        let e = parse("SELECT a FROM").unwrap_err();
        assert_eq!(e.message, "Incorrect syntax near 'FROM'.");
    }

    #[test]
    fn parses_types() {
        assert_eq!(
            parse_type("nvarchar(max)").unwrap(),
            SqlType::NVarChar(Len::Max)
        );
        assert_eq!(
            parse_type("decimal(18, 2)").unwrap(),
            SqlType::Decimal {
                precision: 18,
                scale: 2
            }
        );
        assert_eq!(
            parse_type("DateTime2(0)").unwrap(),
            SqlType::DateTime2 { scale: 0 }
        );
        assert_eq!(parse_type("float(24)").unwrap(), SqlType::Real);
        assert!(parse_type("nvarchar(5000)").is_err());
        assert!(parse_type("widget").is_err());
    }

    #[test]
    fn splits_object_names() {
        assert_eq!(
            parse_object_name("[dbo].[Members]").unwrap(),
            vec!["dbo", "Members"]
        );
        assert_eq!(parse_object_name("Members").unwrap(), vec!["Members"]);
        assert!(parse_object_name("dbo.").is_none());
    }
}

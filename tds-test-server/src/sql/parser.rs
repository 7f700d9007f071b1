//! The parser's cursor over the tokens, batches, and `SELECT` with its
//! select list, `FROM`, `JOIN`, `WHERE` and `ORDER BY`.

use super::ast::{Expr, Join, OrderItem, Select, SelectItem, Statement, TableRef, Top};
use super::lexer::{Tok, Token};
use crate::value::SqlError;

pub(super) const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "ORDER",
    "BY",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "OUTER",
    "CROSS",
    "ON",
    "AND",
    "OR",
    "NOT",
    "AS",
    "TOP",
    "WITH",
    "GROUP",
    "HAVING",
    "UNION",
    "OFFSET",
    "FETCH",
    "ASC",
    "DESC",
    "IN",
    "IS",
    "NULL",
    "BETWEEN",
    "LIKE",
    "SET",
    "OPTION",
    "FOR",
    "INTO",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "ALL",
    "EXISTS",
    "USE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "TRAN",
    "TRANSACTION",
    "SAVE",
    "IF",
];

pub(super) struct Parser {
    pub(super) toks: Vec<Token>,
    pub(super) pos: usize,
}

impl Parser {
    pub(super) fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    pub(super) fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    pub(super) fn advance(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// The syntax error at the current token (or the last one at the end).
    pub(super) fn error(&self) -> SqlError {
        let t = &self.toks[self.pos];
        if t.tok == Tok::Eof {
            let last = self.pos.checked_sub(1).map(|p| self.toks[p].text.as_str());
            SqlError::syntax(last.unwrap_or(""))
        } else {
            SqlError::syntax(&t.text)
        }
    }

    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case(kw))
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case(kw))
    }

    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(super) fn expect_kw(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    pub(super) fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    pub(super) fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(super) fn expect_sym(&mut self, s: &str) -> Result<(), SqlError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// An identifier that is not a reserved keyword (quoted ones always are
    /// identifiers).
    pub(super) fn ident(&mut self) -> Result<String, SqlError> {
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

    pub(super) fn is_plain_ident(&self) -> bool {
        match self.peek() {
            Tok::Ident { name, quoted } => {
                *quoted || !RESERVED.iter().any(|k| k.eq_ignore_ascii_case(name))
            }
            _ => false,
        }
    }

    pub(super) fn batch(&mut self) -> Result<Vec<Statement>, SqlError> {
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

    pub(super) fn select(&mut self) -> Result<Select, SqlError> {
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
        if !self.at_statement_end() {
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
}

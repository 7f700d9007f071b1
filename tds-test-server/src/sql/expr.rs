//! Conditions (`AND`, `OR`, `NOT`, comparisons, `IN`, `IS NULL`,
//! `BETWEEN`) and expressions (columns, variables, literals, `CAST`,
//! `CONVERT`, function calls).

use super::ast::{CmpOp, Cond, Expr, Literal};
use super::lexer::Tok;
use super::parser::{Parser, RESERVED};
use crate::value::SqlError;

impl Parser {
    pub(super) fn cond(&mut self) -> Result<Cond, SqlError> {
        self.joined("OR", Parser::and_cond, Cond::Or)
    }

    fn and_cond(&mut self) -> Result<Cond, SqlError> {
        self.joined("AND", Parser::not_cond, Cond::And)
    }

    /// One or more conditions that `part` reads, separated by the keyword
    /// `kw`: the one, or all of them joined by `join`.
    fn joined(
        &mut self,
        kw: &str,
        part: fn(&mut Parser) -> Result<Cond, SqlError>,
        join: fn(Vec<Cond>) -> Cond,
    ) -> Result<Cond, SqlError> {
        let mut parts = vec![part(self)?];
        while self.eat_kw(kw) {
            parts.push(part(self)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one")
        } else {
            join(parts)
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

    pub(super) fn expr(&mut self) -> Result<Expr, SqlError> {
        if self.eat_sym("-") {
            return Ok(Expr::Neg(Box::new(self.primary()?)));
        }
        self.eat_sym("+");
        self.primary()
    }

    pub(super) fn primary(&mut self) -> Result<Expr, SqlError> {
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

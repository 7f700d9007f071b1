//! The statements other than `SELECT`'s body: `SET` (isolation level,
//! `FMTONLY`, other options), `USE`, `BEGIN TRAN`, `COMMIT`, `ROLLBACK`,
//! `SAVE TRAN`, `IF`, and where a statement ends.

use super::ast::{IsolationLevel, Statement, TranName};
use super::lexer::Tok;
use super::parser::Parser;
use crate::value::SqlError;

/// Keywords that start a statement: where one statement of a batch ends
/// without a `;`.
const STATEMENT_STARTS: &[&str] = &[
    "SELECT", "SET", "USE", "BEGIN", "COMMIT", "ROLLBACK", "SAVE", "IF",
];

impl Parser {
    /// Whether the statement ends here: `;`, the end, or the next
    /// statement's keyword.
    pub(super) fn at_statement_end(&self) -> bool {
        self.is_sym(";")
            || *self.peek() == Tok::Eof
            || STATEMENT_STARTS.iter().any(|k| self.is_kw(k))
    }

    /// A transaction's optional name (or `@variable`), up to the end of
    /// the statement.
    fn transaction_name(&mut self) -> Result<Option<TranName>, SqlError> {
        let name = if let Tok::Var(v) = self.peek().clone() {
            self.advance();
            Some(TranName::Var(v))
        } else if !self.at_statement_end() {
            Some(TranName::Name(self.ident()?))
        } else {
            None
        };
        if self.at_statement_end() {
            Ok(name)
        } else {
            Err(self.error())
        }
    }

    pub(super) fn statement(&mut self) -> Result<Statement, SqlError> {
        if self.eat_kw("SELECT") {
            return Ok(Statement::Select(Box::new(self.select()?)));
        }
        if self.eat_kw("USE") {
            let db = self.ident()?;
            return if self.at_statement_end() {
                Ok(Statement::Use(db))
            } else {
                Err(self.error())
            };
        }
        if self.eat_kw("BEGIN") {
            if !(self.eat_kw("TRAN") || self.eat_kw("TRANSACTION")) {
                return Err(self.error());
            }
            return Ok(Statement::BeginTran(self.transaction_name()?));
        }
        if self.eat_kw("IF") {
            let cond = self.cond()?;
            let then = self.statement()?;
            return Ok(Statement::If(cond, Box::new(then)));
        }
        if self.eat_kw("SAVE") {
            if !(self.eat_kw("TRAN") || self.eat_kw("TRANSACTION")) || self.at_statement_end() {
                return Err(self.error());
            }
            return match self.transaction_name()? {
                Some(name) => Ok(Statement::SaveTran(name)),
                None => Err(self.error()),
            };
        }
        for kw in ["COMMIT", "ROLLBACK"] {
            if self.eat_kw(kw) {
                let name = if self.eat_kw("TRAN") || self.eat_kw("TRANSACTION") {
                    self.transaction_name()?
                } else {
                    self.eat_kw("WORK");
                    if !self.at_statement_end() {
                        return Err(self.error());
                    }
                    None
                };
                return Ok(match kw {
                    "COMMIT" => Statement::Commit,
                    _ => Statement::Rollback(name),
                });
            }
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
            let mut fmtonly = self.is_kw("FMTONLY");
            self.ident()?;
            while self.eat_sym(",") {
                fmtonly |= self.is_kw("FMTONLY");
                self.ident()?;
            }
            if fmtonly {
                let on = if self.eat_kw("ON") {
                    true
                } else if self.eat_kw("OFF") {
                    false
                } else {
                    return Err(self.error());
                };
                return Ok(Statement::SetFmtOnly(on));
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
}

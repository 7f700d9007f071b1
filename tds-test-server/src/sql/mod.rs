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
//!            | SET FMTONLY (ON | OFF)                          -- metadata only while on
//!            | SET option[, option...] (ON | OFF | value)      -- accepted, no effect
//!            | USE database
//!            | BEGIN (TRAN | TRANSACTION) [name | @var]
//!            | (COMMIT | ROLLBACK) [(TRAN | TRANSACTION) [name | @var] | WORK]
//!            | SAVE (TRAN | TRANSACTION) (name | @var)             -- a savepoint
//!            | IF cond statement                                -- over constants and @@ variables
//! select    := SELECT [TOP (expr) | TOP number] [WITH TIES] item (, item)*
//!              [FROM table [[AS] alias] [WITH (hint)] ([INNER] JOIN table [[AS] alias] ON cond)*]
//!              [WHERE cond] [ORDER BY expr [ASC | DESC] (, ...)*]
//! item      := * | expr [[AS] alias]
//! expr      := column | [db.][schema.]table.column | @P1 | @@VERSION | literal | -literal
//!            | CAST(expr AS type) | CONVERT(type, expr [, style]) | function(args)
//!            | COUNT(*) | COUNT_BIG(*) | MIN(expr) | MAX(expr) | SUM(expr) | (expr)
//! cond      := cond OR cond | cond AND cond | NOT cond | (cond)
//!            | expr (= | <> | != | < | <= | > | >= | !< | !>) expr   -- not text/ntext (402)
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
//!
//! One concern per file:
//!
//! - `lexer.rs`: the tokens (identifiers, variables, numbers, strings,
//!   symbols), comments and quoting.
//! - `ast.rs`: what a statement parses to.
//! - `parser.rs`: the parser's token cursor, batches, `SELECT` and its
//!   `FROM`.
//! - `statement.rs`: `SET`, `USE`, `BEGIN TRAN`/`COMMIT`/`ROLLBACK`/`SAVE
//!   TRAN`, and where a statement ends.
//! - `expr.rs`: conditions and expressions.
//! - `types.rs`: type names, as `CAST` and `CONVERT` take them.
//!
//! This file holds the entry points: [`parse`], [`parse_type`],
//! [`parse_object_name`].

mod ast;
mod expr;
mod lexer;
mod parser;
mod statement;
mod types;

pub use ast::IsolationLevel;
pub(crate) use ast::{CmpOp, Cond, Expr, Literal, Select, SelectItem, Statement, Top, TranName};

use crate::catalog::SqlType;
use crate::value::SqlError;
use lexer::{Tok, lex};
use parser::Parser;

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
mod tests;

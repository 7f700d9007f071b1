//! Statements that act on the session rather than read: `BEGIN TRAN`,
//! `COMMIT`, `ROLLBACK` and `SAVE TRAN` (their names as written or in an
//! RPC's parameter), and `IF condition statement` over constants and
//! `@@` variables, as pytds sends below TDS 7.2 (`IF @@TRANCOUNT > 0
//! COMMIT BEGIN TRANSACTION`: the IF governs the COMMIT alone).

use super::bound::{NoRow, eval_cond};
use super::names::{Binder, Scope};
use super::statements::execute;
use super::{Env, Out, Outcome};
use crate::catalog::{Len, SqlType};
use crate::server::SessionState;
use crate::sql::{Cond, Statement, TranName};
use crate::tds::PacketWriter;
use crate::value::{SqlError, Value, cast};
use std::io;

/// A transaction statement: its ENVCHANGE (if any), or its error.
pub(super) fn transaction(
    stmt: &Statement,
    env: &Env<'_>,
    state: &mut SessionState,
    pw: &mut PacketWriter,
) -> Outcome {
    let name = |n: &Option<TranName>| n.as_ref().map(|n| tran_name(n, env)).transpose();
    let t = &mut state.transactions;
    match stmt {
        Statement::BeginTran(n) => name(n).map(|n| t.begin(pw, n)),
        Statement::Commit => t.commit(pw),
        Statement::Rollback(n) => name(n).and_then(|n| t.rollback(pw, n.as_deref())),
        Statement::SaveTran(n) => tran_name(n, env).and_then(|n| t.save(&n)),
        other => unreachable!("not a transaction statement: {other:?}"),
    }
    .into()
}

/// `IF cond statement`: the statement when the condition holds.
pub(super) fn if_then(
    cond: &Cond,
    then: &Statement,
    env: &Env<'_>,
    state: &mut SessionState,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    let scope = Scope::default();
    let binder = Binder { env, scope: &scope };
    let holds = binder.cond(cond).and_then(|c| eval_cond(&c, &NoRow));
    match holds {
        Ok(Some(true)) => execute(then, env, state, out),
        Ok(_) => Ok(Outcome::Done { rows: None }),
        Err(e) => Ok(e.into()),
    }
}

/// A transaction's or savepoint's name: as written, or an RPC parameter's
/// value as `nvarchar(32)` (SQL Server's error 137 for a variable without
/// one).
fn tran_name(name: &TranName, env: &Env<'_>) -> Result<String, SqlError> {
    let var = match name {
        TranName::Name(n) => return Ok(n.clone()),
        TranName::Var(v) => v,
    };
    match env.params.iter().find(|p| p.name.eq_ignore_ascii_case(var)) {
        Some(p) => match cast(p.value.clone(), &p.ty, &SqlType::NVarChar(Len::N(32)))? {
            Value::Unicode(t) => Ok(t.to_string_lossy()),
            _ => Ok(String::new()),
        },
        None => Err(SqlError::new(
            137,
            15,
            format!("Must declare the scalar variable \"{var}\"."),
        )),
    }
}

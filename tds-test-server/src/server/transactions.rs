//! Transactions, as far as a read-only server has them: `BEGIN TRAN`,
//! `COMMIT`, `ROLLBACK` and `SAVE TRAN` (in T-SQL, or as transaction
//! manager requests) keep `@@TRANCOUNT`, the transaction's name, its
//! savepoints and a transaction descriptor, and answer with the ENVCHANGE
//! SQL Server sends (8 begin, 9 commit, 10 rollback; TDS 7.2 and later).
//! Nothing is ever written, so there is nothing to undo.
//!
//! As on SQL Server: only the outermost `BEGIN TRAN`'s name counts;
//! `COMMIT` ignores its name; `ROLLBACK TRAN name` rolls back the whole
//! transaction when `name` is the transaction's, or to the latest savepoint
//! of that name (the transaction and `@@TRANCOUNT` stay), and is error 6401
//! otherwise. Names are case-sensitive.

use super::session::Connection;
use super::shared::SessionState;
use crate::sql::IsolationLevel;
use crate::tds::{self, PacketWriter, TmRequest};
use crate::value::SqlError;
use std::io;

const ENV_BEGIN: u8 = 8;
const ENV_COMMIT: u8 = 9;
const ENV_ROLLBACK: u8 = 10;

/// A connection's transaction.
#[derive(Debug)]
pub(crate) struct Transactions {
    /// `@@TRANCOUNT`.
    count: u32,
    /// The open transaction's descriptor (zeros outside one).
    descriptor: [u8; 8],
    /// The outermost `BEGIN TRAN`'s name.
    name: Option<String>,
    /// Savepoints, oldest first.
    savepoints: Vec<String>,
    /// Transactions begun on this connection.
    begun: u32,
    connection: u32,
}

impl Transactions {
    pub(crate) fn new(connection: u64) -> Transactions {
        Transactions {
            count: 0,
            descriptor: [0; 8],
            name: None,
            savepoints: Vec::new(),
            begun: 0,
            connection: connection as u32,
        }
    }

    /// `@@TRANCOUNT`.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// `BEGIN TRAN [name]`: a transaction (ENVCHANGE 8 with its
    /// descriptor), or one level deeper in the open one.
    pub(crate) fn begin(&mut self, pw: &mut PacketWriter, name: Option<String>) {
        self.count += 1;
        if self.count > 1 {
            return;
        }
        self.name = name.filter(|n| !n.is_empty());
        self.begun = self.begun.wrapping_add(1);
        let id = (u64::from(self.connection) + 1) << 32 | u64::from(self.begun);
        self.descriptor = id.to_le_bytes();
        if pw.version.has_transaction_envchange() {
            tds::put_envchange_bytes(&mut pw.buf, ENV_BEGIN, &self.descriptor, &[]);
        }
    }

    /// `COMMIT`: the outermost level ends the transaction (ENVCHANGE 9).
    pub(crate) fn commit(&mut self, pw: &mut PacketWriter) -> Result<(), SqlError> {
        match self.count {
            0 => Err(SqlError::new(
                3902,
                16,
                "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.",
            )),
            1 => {
                self.end(pw, ENV_COMMIT);
                Ok(())
            }
            _ => {
                self.count -= 1;
                Ok(())
            }
        }
    }

    /// `ROLLBACK [TRAN name]`: ends the transaction whatever its depth
    /// (ENVCHANGE 10), or goes back to the savepoint `name`.
    pub(crate) fn rollback(
        &mut self,
        pw: &mut PacketWriter,
        name: Option<&str>,
    ) -> Result<(), SqlError> {
        if self.count == 0 {
            return Err(SqlError::new(
                3903,
                16,
                "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.",
            ));
        }
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            self.end(pw, ENV_ROLLBACK);
            return Ok(());
        };
        if self.name.as_deref() == Some(name) {
            self.end(pw, ENV_ROLLBACK);
            return Ok(());
        }
        match self.savepoints.iter().rposition(|s| s == name) {
            // Back to the savepoint, which stays; later ones go.
            Some(at) => {
                self.savepoints.truncate(at + 1);
                Ok(())
            }
            None => Err(SqlError::new(
                6401,
                16,
                format!(
                    "Cannot roll back {name}. No transaction or savepoint of that name was found."
                ),
            )),
        }
    }

    /// `SAVE TRAN name`: a savepoint in the open transaction.
    pub(crate) fn save(&mut self, name: &str) -> Result<(), SqlError> {
        if self.count == 0 {
            return Err(SqlError::new(
                628,
                16,
                "Cannot issue SAVE TRANSACTION when there is no active transaction.",
            ));
        }
        self.savepoints.push(name.to_owned());
        Ok(())
    }

    fn end(&mut self, pw: &mut PacketWriter, ty: u8) {
        if pw.version.has_transaction_envchange() {
            tds::put_envchange_bytes(&mut pw.buf, ty, &[], &self.descriptor);
        }
        self.count = 0;
        self.descriptor = [0; 8];
        self.name = None;
        self.savepoints.clear();
    }
}

/// A transaction manager request's isolation level (0 leaves it as is).
fn set_isolation(state: &mut SessionState, level: u8) -> Result<(), SqlError> {
    state.isolation = match level {
        0 => return Ok(()),
        1 => IsolationLevel::ReadUncommitted,
        2 => IsolationLevel::ReadCommitted,
        3 => IsolationLevel::RepeatableRead,
        4 => IsolationLevel::Serializable,
        5 => IsolationLevel::Snapshot,
        other => {
            return Err(SqlError::server(format!(
                "isolation level {other} of a transaction manager request is not one of 0 to 5"
            )));
        }
    };
    Ok(())
}

impl Connection<'_> {
    /// A transaction manager request: its ENVCHANGE and a DONE, or an
    /// ERROR and a DONE with the error flag.
    pub(super) fn trans_mgr(
        &self,
        payload: &[u8],
        state: &mut SessionState,
        pw: &mut PacketWriter,
    ) -> io::Result<()> {
        let req = tds::parse_trans_mgr(payload, self.version)?;
        if self.shared.verbose {
            eprintln!("[tds] connection {}: transaction manager {req:?}", self.id);
        }
        let then_begin = |state: &mut SessionState, pw: &mut PacketWriter, level| {
            if let Some(level) = level {
                set_isolation(state, level)?;
                state.transactions.begin(pw, None);
            }
            Ok(())
        };
        let result = match req {
            TmRequest::Begin { isolation, name } => set_isolation(state, isolation).map(|()| {
                state.transactions.begin(pw, Some(name));
            }),
            TmRequest::Commit { then_begin: next } => state
                .transactions
                .commit(pw)
                .and_then(|()| then_begin(state, pw, next)),
            TmRequest::Rollback {
                name,
                then_begin: next,
            } => state
                .transactions
                .rollback(pw, Some(&name))
                // A new transaction only where the rollback ended one.
                .and_then(|()| match state.transactions.count() {
                    0 => then_begin(state, pw, next),
                    _ => Ok(()),
                }),
            TmRequest::Save { name } => state.transactions.save(&name),
            TmRequest::Distributed(_) => Err(SqlError::new(
                8501,
                16,
                format!(
                    "MSDTC on server '{}' is unavailable.",
                    self.shared.server_name
                ),
            )),
            TmRequest::Unknown(ty) => Err(SqlError::server(format!(
                "the TDS test server does not take transaction manager requests of type {ty}"
            ))),
        };
        match result {
            Ok(()) => pw.done(tds::TOKEN_DONE, tds::DONE_FINAL, 0, 0),
            Err(e) => {
                self.error(pw, &e);
                pw.done(tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
            }
        }
        Ok(())
    }
}

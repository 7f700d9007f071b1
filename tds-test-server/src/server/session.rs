//! A logged-in connection's requests: a SQL batch, or an `sp_executesql`
//! RPC; each statement run, and the DONE tokens SQL Server sends after it.

use super::shared::{SessionState, Shared};
use crate::exec::{self, Env, Out, Outcome};
use crate::faults::{LoggedQuery, RequestKind};
use crate::sql;
use crate::tds::{self, PacketWriter, RpcProc};
use crate::value::{SqlError, Value};
use std::io::{self, Write};

/// How a request's statements ended.
enum Ran {
    /// Every statement ran.
    Done,
    /// A statement failed; its error and DONE are written.
    Failed,
    /// A fault cut the connection.
    Cut,
}

pub(super) struct Connection<'a> {
    pub(super) shared: &'a Shared,
    pub(super) id: u64,
    pub(super) spid: u16,
    pub(super) user: String,
    pub(super) database: String,
    pub(super) packet_size: usize,
    /// The TDS version agreed at login.
    pub(super) version: tds::TdsVersion,
}

impl Connection<'_> {
    fn env<'a>(&'a self, params: &'a [tds::RpcParam]) -> Env<'a> {
        Env {
            shared: self.shared,
            params,
            database: &self.database,
            user: &self.user,
            spid: self.spid,
            // Set by each statement from the session's transactions.
            trancount: 0,
        }
    }

    pub(super) fn error(&self, pw: &mut PacketWriter, e: &SqlError) {
        pw.message(tds::TOKEN_ERROR, e, &self.shared.server_name);
    }

    /// A SQL batch: DONE after each statement. Returns whether a fault cut
    /// the connection.
    pub(super) fn batch(
        &self,
        payload: &[u8],
        state: &mut SessionState,
        pw: &mut PacketWriter,
        w: &mut dyn Write,
    ) -> io::Result<bool> {
        let text = tds::batch_text(payload, self.version)?;
        if self.shared.verbose {
            eprintln!("[tds] connection {}: batch {}", self.id, text.trim());
        }
        self.shared.log.push(LoggedQuery {
            connection: self.id,
            kind: RequestKind::Batch,
            sql: text.clone(),
            params: Vec::new(),
        });
        let stmts = match sql::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                self.error(pw, &e);
                pw.done(tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
                return Ok(false);
            }
        };
        let env = self.env(&[]);
        let ran = self.run(&stmts, &env, state, &mut Out { pw, w }, RequestKind::Batch)?;
        Ok(matches!(ran, Ran::Cut))
    }

    /// An RPC: `sp_executesql` runs its statement; DONEINPROC after each
    /// statement, then RETURNSTATUS and DONEPROC.
    pub(super) fn rpc(
        &self,
        payload: &[u8],
        state: &mut SessionState,
        pw: &mut PacketWriter,
        w: &mut dyn Write,
    ) -> io::Result<bool> {
        let done_proc = |pw: &mut PacketWriter, status: i32| {
            tds::put_return_status(&mut pw.buf, status);
            pw.done(
                tds::TOKEN_DONEPROC,
                if status == 0 { 0 } else { tds::DONE_ERROR },
                tds::CMD_EXECUTE,
                0,
            );
        };
        // The RPC fails with `e`: its ERROR, then a failed DONEPROC.
        let fail = |pw: &mut PacketWriter, e: &SqlError| {
            self.error(pw, e);
            done_proc(pw, 1);
            Ok(false)
        };
        let req = match tds::parse_rpc(payload, self.version)? {
            Ok(r) => r,
            Err(bad) => {
                let e = SqlError::new(
                    8016,
                    16,
                    format!(
                        "The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter {} (\"{}\"): Data type {:#04x} is unknown.",
                        bad.index, bad.name, bad.type_byte
                    ),
                );
                return fail(pw, &e);
            }
        };
        let is_executesql = match &req.proc {
            RpcProc::Id(10) => true,
            RpcProc::Name(n) => {
                let n = n.to_ascii_lowercase();
                n == "sp_executesql" || n == "sys.sp_executesql"
            }
            RpcProc::Id(_) => false,
        };
        if !is_executesql {
            let name = match &req.proc {
                RpcProc::Id(id) => format!("procedure id {id}"),
                RpcProc::Name(n) => n.clone(),
            };
            let e = SqlError::new(
                2812,
                16,
                format!("Could not find stored procedure '{name}'."),
            );
            return fail(pw, &e);
        }
        let text = match req.params.first().map(|p| &p.value) {
            Some(Value::Unicode(t)) => t.to_string_lossy(),
            Some(Value::Ansi(b)) => crate::value::cp1252_decode(b),
            _ => {
                let e = SqlError::new(
                    214,
                    16,
                    "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.",
                );
                return fail(pw, &e);
            }
        };
        let params = req.params.get(2..).unwrap_or(&[]);
        self.shared.log.push(LoggedQuery {
            connection: self.id,
            kind: RequestKind::Rpc,
            sql: text.clone(),
            params: params
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        p.ty.to_string(),
                        exec::param_value(&p.value, &p.ty),
                    )
                })
                .collect(),
        });
        if self.shared.verbose {
            let shown: Vec<String> = params
                .iter()
                .map(|p| format!("{}={:?}", p.name, exec::param_value(&p.value, &p.ty)))
                .collect();
            eprintln!(
                "[tds] connection {}: rpc {} [{}]",
                self.id,
                text.trim(),
                shown.join(", ")
            );
        }
        let stmts = match sql::parse(&text) {
            Ok(s) => s,
            Err(e) => return fail(pw, &e),
        };
        let env = self.env(params);
        let ran = self.run(&stmts, &env, state, &mut Out { pw, w }, RequestKind::Rpc)?;
        match ran {
            Ran::Done => done_proc(pw, 0),
            Ran::Failed => done_proc(pw, 1),
            Ran::Cut => return Ok(true),
        }
        Ok(false)
    }

    /// Runs a request's statements in order, each followed by its DONE
    /// token (DONE in a batch, DONEINPROC in an RPC), up to the first that
    /// fails.
    fn run(
        &self,
        stmts: &[sql::Statement],
        env: &Env<'_>,
        state: &mut SessionState,
        out: &mut Out<'_>,
        kind: RequestKind,
    ) -> io::Result<Ran> {
        let (token, more_after_last) = match kind {
            RequestKind::Batch => (tds::TOKEN_DONE, 0),
            // The RPC's DONEPROC follows even the last statement's token.
            RequestKind::Rpc => (tds::TOKEN_DONEINPROC, tds::DONE_MORE),
        };
        for (i, stmt) in stmts.iter().enumerate() {
            let more = if i + 1 < stmts.len() {
                tds::DONE_MORE
            } else {
                more_after_last
            };
            match exec::execute(stmt, env, state, out)? {
                Outcome::Done { rows } => {
                    let (status, cmd) = match rows {
                        Some(_) => (tds::DONE_COUNT, tds::CMD_SELECT),
                        None => (0, 0),
                    };
                    out.pw.done(token, status | more, cmd, rows.unwrap_or(0));
                }
                Outcome::Error { error, rows } => {
                    self.error(out.pw, &error);
                    let count = if rows.is_some() { tds::DONE_COUNT } else { 0 };
                    out.pw.done(
                        token,
                        tds::DONE_ERROR | more_after_last | count,
                        tds::CMD_SELECT,
                        rows.unwrap_or(0),
                    );
                    return Ok(Ran::Failed);
                }
                Outcome::Cut => return Ok(Ran::Cut),
            }
        }
        Ok(Ran::Done)
    }
}

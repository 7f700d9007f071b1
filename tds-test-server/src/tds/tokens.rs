//! The tokens of a response other than a result set's: DONE,
//! RETURNSTATUS, ERROR/INFO, ENVCHANGE and LOGINACK, each as the client's
//! TDS version reads it.

use super::{
    COLLATION, PacketWriter, TOKEN_ENVCHANGE, TOKEN_LOGINACK, TOKEN_RETURNSTATUS, TdsVersion,
};
use crate::value::SqlError;

pub(crate) fn put_b_varchar(buf: &mut Vec<u8>, s: &str) {
    let units: Vec<u16> = s.encode_utf16().take(255).collect();
    buf.push(units.len() as u8);
    for u in units {
        buf.extend_from_slice(&u.to_le_bytes());
    }
}

pub(crate) fn put_us_varchar(buf: &mut Vec<u8>, s: &str) {
    let units: Vec<u16> = s.encode_utf16().take(65_535).collect();
    buf.extend_from_slice(&(units.len() as u16).to_le_bytes());
    for u in units {
        buf.extend_from_slice(&u.to_le_bytes());
    }
}

/// A DONE, DONEPROC or DONEINPROC token, as a client of TDS `version`
/// reads it: the row count is 8 bytes from TDS 7.2 on, 4 below.
fn put_done(buf: &mut Vec<u8>, version: TdsVersion, token: u8, status: u16, cmd: u16, rows: u64) {
    buf.push(token);
    buf.extend_from_slice(&status.to_le_bytes());
    buf.extend_from_slice(&cmd.to_le_bytes());
    if version.has_wide_fields() {
        buf.extend_from_slice(&rows.to_le_bytes());
    } else {
        buf.extend_from_slice(&(rows.min(u64::from(u32::MAX)) as u32).to_le_bytes());
    }
}

pub(crate) fn put_return_status(buf: &mut Vec<u8>, status: i32) {
    buf.push(TOKEN_RETURNSTATUS);
    buf.extend_from_slice(&status.to_le_bytes());
}

/// An ERROR (or INFO) token, as a client of TDS `version` reads it: the
/// line number is a LONG from TDS 7.2 on, a USHORT below.
fn put_message(
    buf: &mut Vec<u8>,
    version: TdsVersion,
    token: u8,
    e: &SqlError,
    server: &str,
    procedure: &str,
    line: u32,
) {
    let mut body = Vec::new();
    body.extend_from_slice(&e.number.to_le_bytes());
    body.push(e.state);
    body.push(e.class);
    put_us_varchar(&mut body, &e.message);
    put_b_varchar(&mut body, server);
    put_b_varchar(&mut body, procedure);
    if version.has_wide_fields() {
        body.extend_from_slice(&line.to_le_bytes());
    } else {
        body.extend_from_slice(&(line.min(u32::from(u16::MAX)) as u16).to_le_bytes());
    }
    buf.push(token);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

/// An ENVCHANGE token with string values (database, language, packet size).
pub(crate) fn put_envchange(buf: &mut Vec<u8>, ty: u8, new: &str, old: &str) {
    let mut body = vec![ty];
    put_b_varchar(&mut body, new);
    put_b_varchar(&mut body, old);
    buf.push(TOKEN_ENVCHANGE);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

/// An ENVCHANGE token with binary values (a transaction descriptor).
pub(crate) fn put_envchange_bytes(buf: &mut Vec<u8>, ty: u8, new: &[u8], old: &[u8]) {
    let mut body = vec![ty, new.len() as u8];
    body.extend_from_slice(new);
    body.push(old.len() as u8);
    body.extend_from_slice(old);
    buf.push(TOKEN_ENVCHANGE);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

pub(crate) fn put_envchange_collation(buf: &mut Vec<u8>) {
    let mut body = vec![7u8, 5];
    body.extend_from_slice(&COLLATION);
    body.push(0);
    buf.push(TOKEN_ENVCHANGE);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

/// LOGINACK: interface T-SQL, the TDS version agreed (big-endian, as
/// tiberius and SQL Server have it), program name and version.
pub(crate) fn put_loginack(buf: &mut Vec<u8>, tds: TdsVersion, prog_name: &str, version: [u8; 4]) {
    let mut body = vec![1u8];
    body.extend_from_slice(&tds.loginack().to_be_bytes());
    put_b_varchar(&mut body, prog_name);
    body.extend_from_slice(&version);
    buf.push(TOKEN_LOGINACK);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

impl PacketWriter {
    /// A DONE, DONEPROC or DONEINPROC token, as this client reads it.
    pub(crate) fn done(&mut self, token: u8, status: u16, cmd: u16, rows: u64) {
        put_done(&mut self.buf, self.version, token, status, cmd, rows);
    }

    /// An ERROR or INFO token from `server` (no procedure, line 1), as this
    /// client reads it.
    pub(crate) fn message(&mut self, token: u8, e: &SqlError, server: &str) {
        put_message(&mut self.buf, self.version, token, e, server, "", 1);
    }
}

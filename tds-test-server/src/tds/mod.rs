//! The TDS 7.1 to 7.4 wire format: packets, the PRELOGIN and LOGIN7 messages, RPC
//! parameters, and the tokens of a response.
//!
//! Byte orders follow MS-TDS and, where they disagree, what tiberius
//! reads: packet headers are big-endian, everything in a token little-endian
//! except LOGINACK's TDS version (big-endian, `74 00 00 04`).
//!
//! One concern per file:
//!
//! - `packet.rs`: packets: reading a client's message, and the
//!   [`PacketWriter`] that streams a response in packets of the negotiated
//!   size.
//! - `reader.rs`: a little-endian reader over a message, and UTF-16 text.
//! - `login.rs`: PRELOGIN (the encryption option, the server's answer) and
//!   LOGIN7.
//! - `rpc.rs`: SQL batches and RPC requests; `params.rs`: an RPC
//!   parameter's type and value (`text`, `ntext` and `image` included).
//! - `tokens.rs`: the tokens of a response other than a result set's:
//!   DONE, ERROR/INFO, ENVCHANGE, LOGINACK.
//! - `values.rs`: a column's TYPE_INFO, and values as a ROW holds them.
//! - `results.rs`: COLMETADATA and rows, as the client's version has them.
//! - `transmgr.rs`: transaction manager requests (begin, commit, ...).
//! - `version.rs`: the TDS version a connection speaks (7.1 to 7.4), and
//!   what an older client gets instead of what it cannot read.
//!
//! This file holds the protocol's numbers: packet types, token types, DONE
//! status bits.

mod login;
mod packet;
mod params;
mod reader;
mod results;
mod rpc;
mod tokens;
mod transmgr;
mod values;
mod version;

pub(crate) use login::{parse_login7, prelogin_encryption, prelogin_response};
pub(crate) use packet::{PacketWriter, read_message, write_message};
pub(crate) use results::{OutColumn, put_colmetadata, put_row};
pub(crate) use rpc::{RpcParam, RpcProc, batch_text, parse_rpc};
pub(crate) use tokens::{
    put_envchange, put_envchange_bytes, put_envchange_collation, put_loginack, put_return_status,
};
pub(crate) use transmgr::{TmRequest, parse_trans_mgr};
pub(crate) use version::TdsVersion;

use std::io;

pub(crate) const PKT_SQL_BATCH: u8 = 0x01;
pub(crate) const PKT_RPC: u8 = 0x03;
pub(crate) const PKT_REPLY: u8 = 0x04;
pub(crate) const PKT_ATTENTION: u8 = 0x06;
pub(crate) const PKT_TRANS_MGR: u8 = 0x0E;
pub(crate) const PKT_LOGIN7: u8 = 0x10;
pub(crate) const PKT_PRELOGIN: u8 = 0x12;

pub(crate) const STATUS_EOM: u8 = 0x01;

pub(crate) const TOKEN_COLMETADATA: u8 = 0x81;
pub(crate) const TOKEN_ERROR: u8 = 0xAA;
pub(crate) const TOKEN_INFO: u8 = 0xAB;
pub(crate) const TOKEN_LOGINACK: u8 = 0xAD;
pub(crate) const TOKEN_ROW: u8 = 0xD1;
pub(crate) const TOKEN_NBCROW: u8 = 0xD2;
pub(crate) const TOKEN_ENVCHANGE: u8 = 0xE3;
pub(crate) const TOKEN_RETURNSTATUS: u8 = 0x79;
pub(crate) const TOKEN_DONE: u8 = 0xFD;
pub(crate) const TOKEN_DONEPROC: u8 = 0xFE;
pub(crate) const TOKEN_DONEINPROC: u8 = 0xFF;

pub(crate) const DONE_FINAL: u16 = 0x00;
pub(crate) const DONE_MORE: u16 = 0x01;
pub(crate) const DONE_ERROR: u16 = 0x02;
pub(crate) const DONE_COUNT: u16 = 0x10;
pub(crate) const DONE_ATTN: u16 = 0x20;

/// `CurCmd` of a SELECT's DONE token.
pub(crate) const CMD_SELECT: u16 = 0xC1;
/// `CurCmd` of an EXECUTE's DONEPROC.
pub(crate) const CMD_EXECUTE: u16 = 0xE0;

/// `SQL_Latin1_General_CP1_CI_AS`: LCID 0x0409, flags 0xD0 (ignore case,
/// kana, width), version 0, sort id 52 (code page 1252).
pub(crate) const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

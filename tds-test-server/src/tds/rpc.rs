//! Requests: a SQL batch's text, and an RPC's procedure and parameters
//! (each parameter's TYPE_INFO and value read by `params.rs`).

use super::TdsVersion;
use super::params::read_typed_value;
use super::reader::{Rd, skip_all_headers, utf16};
use crate::catalog::SqlType;
use crate::value::Value;
use std::io;

pub(crate) fn batch_text(p: &[u8], version: TdsVersion) -> io::Result<String> {
    Ok(utf16(skip_all_headers(p, version)?))
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RpcProc {
    Id(u16),
    Name(String),
}

#[derive(Debug, Clone)]
pub(crate) struct RpcParam {
    pub name: String,
    pub ty: SqlType,
    pub value: Value<'static>,
}

#[derive(Debug, Clone)]
pub(crate) struct RpcRequest {
    pub proc: RpcProc,
    pub params: Vec<RpcParam>,
}

/// An RPC request's parameters whose type this server cannot read.
#[derive(Debug)]
pub(crate) struct BadParam {
    pub index: usize,
    pub name: String,
    pub type_byte: u8,
}

pub(crate) fn parse_rpc(p: &[u8], version: TdsVersion) -> io::Result<Result<RpcRequest, BadParam>> {
    let mut r = Rd::new(skip_all_headers(p, version)?);
    let name_len = r.u16()?;
    let proc = if name_len == 0xFFFF {
        RpcProc::Id(r.u16()?)
    } else {
        RpcProc::Name(utf16(r.take(usize::from(name_len) * 2)?))
    };
    let _options = r.u16()?;
    let mut params = Vec::new();
    while r.remaining() > 0 {
        // A batch separator: only the first RPC is served.
        if matches!(r.b[r.pos], 0x80 | 0xFF) {
            break;
        }
        let len = usize::from(r.u8()?);
        let name = utf16(r.take(len * 2)?);
        let _status = r.u8()?;
        let type_byte = r.b.get(r.pos).copied().unwrap_or(0);
        match read_typed_value(&mut r)? {
            Some((ty, value)) => params.push(RpcParam { name, ty, value }),
            None => {
                return Ok(Err(BadParam {
                    index: params.len() + 1,
                    name,
                    type_byte,
                }));
            }
        }
    }
    Ok(Ok(RpcRequest { proc, params }))
}

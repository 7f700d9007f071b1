//! The TDS 7.4 wire format: packets, the PRELOGIN and LOGIN7 messages, RPC
//! parameters, and the tokens of a response.
//!
//! Byte orders follow MS-TDS and, where they disagree, what tiberius 0.12
//! reads: packet headers are big-endian, everything in a token little-endian
//! except LOGINACK's TDS version (big-endian, `74 00 00 04`).

use crate::catalog::{Len, SqlType};
use crate::value::{
    DATETIME_EPOCH_DAYS, DateTimeValue, NANOS_PER_DAY, SqlError, UText, Value, guid_wire_order,
};
use std::borrow::Cow;
use std::io::{self, Read, Write};

pub(crate) const PKT_SQL_BATCH: u8 = 0x01;
pub(crate) const PKT_RPC: u8 = 0x03;
pub(crate) const PKT_REPLY: u8 = 0x04;
pub(crate) const PKT_ATTENTION: u8 = 0x06;
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

/// The largest request accepted: a hostile length is refused before it is
/// buffered.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

const HEADER: usize = 8;

/// A whole client message: the packets up to end-of-message, joined.
pub(crate) struct Message {
    pub ty: u8,
    pub payload: Vec<u8>,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads one packet header; `None` on a clean end of stream.
fn read_header(r: &mut impl Read) -> io::Result<Option<[u8; HEADER]>> {
    let mut h = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match r.read(&mut h[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(h))
}

/// Reads packets up to the one marked end-of-message.
pub(crate) fn read_message(r: &mut impl Read) -> io::Result<Option<Message>> {
    let mut payload = Vec::new();
    let mut ty = None;
    loop {
        let Some(h) = read_header(r)? else {
            return if ty.is_none() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        };
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        if len < HEADER {
            return Err(invalid(format!(
                "packet length {len} is below the header's"
            )));
        }
        match ty {
            None => ty = Some(h[0]),
            Some(t) if t != h[0] && h[0] != PKT_ATTENTION => {
                return Err(invalid(format!(
                    "packet of type {:#04x} inside a message of type {t:#04x}",
                    h[0]
                )));
            }
            Some(_) => {}
        }
        if payload.len() + len > MAX_MESSAGE_BYTES {
            return Err(invalid("message larger than 64 MiB"));
        }
        let start = payload.len();
        payload.resize(start + len - HEADER, 0);
        r.read_exact(&mut payload[start..])?;
        if h[1] & STATUS_EOM != 0 {
            return Ok(Some(Message {
                ty: if h[0] == PKT_ATTENTION {
                    PKT_ATTENTION
                } else {
                    ty.expect("set")
                },
                payload,
            }));
        }
    }
}

/// Writes one message as packets of `packet_size` bytes or fewer.
pub(crate) fn write_message(
    w: &mut impl Write,
    ty: u8,
    payload: &[u8],
    packet_size: usize,
) -> io::Result<()> {
    let mut p = PacketWriter::new(ty, packet_size, 0);
    p.buf.extend_from_slice(payload);
    p.finish(w)
}

/// Buffers a response's tokens and sends them as packets of the negotiated
/// size, streaming: memory stays a few packets whatever the response's size.
pub(crate) struct PacketWriter {
    /// Token bytes not yet sent.
    pub buf: Vec<u8>,
    wire: Vec<u8>,
    ty: u8,
    packet_size: usize,
    spid: u16,
    id: u8,
}

/// Buffered token bytes beyond which whole packets go out.
const FLUSH_AT: usize = 64 * 1024;

impl PacketWriter {
    pub(crate) fn new(ty: u8, packet_size: usize, spid: u16) -> PacketWriter {
        PacketWriter {
            buf: Vec::with_capacity(FLUSH_AT + 16 * 1024),
            wire: Vec::new(),
            ty,
            packet_size: packet_size.max(512),
            spid,
            id: 1,
        }
    }

    /// Sends the whole packets buffered when there are many, keeping the
    /// rest (at least one byte, so the last packet is never empty).
    pub(crate) fn flush_some(&mut self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        if self.buf.len() < FLUSH_AT {
            return Ok(());
        }
        let payload = self.packet_size - HEADER;
        let n = (self.buf.len() - 1) / payload * payload;
        self.send(w, n, false)
    }

    /// Sends everything, the last packet marked end-of-message.
    pub(crate) fn finish(&mut self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let n = self.buf.len();
        self.send(w, n, true)?;
        w.flush()
    }

    /// Sends everything buffered without ending the message (before an
    /// abrupt close).
    pub(crate) fn send_unfinished(&mut self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let n = self.buf.len();
        if n > 0 {
            self.send(w, n, false)?;
        }
        w.flush()
    }

    fn send(&mut self, w: &mut (impl Write + ?Sized), n: usize, last: bool) -> io::Result<()> {
        let payload = self.packet_size - HEADER;
        self.wire.clear();
        let mut off = 0;
        loop {
            let end = (off + payload).min(n);
            let eom = last && end == n;
            let len = (end - off + HEADER) as u16;
            self.wire
                .extend_from_slice(&[self.ty, if eom { STATUS_EOM } else { 0 }]);
            self.wire.extend_from_slice(&len.to_be_bytes());
            self.wire.extend_from_slice(&self.spid.to_be_bytes());
            self.wire.extend_from_slice(&[self.id, 0]);
            self.id = self.id.wrapping_add(1);
            self.wire.extend_from_slice(&self.buf[off..end]);
            off = end;
            if off >= n {
                break;
            }
        }
        w.write_all(&self.wire)?;
        self.buf.drain(..n);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Reading client messages

/// A little-endian reader over a message, failing cleanly past its end.
pub(crate) struct Rd<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Rd<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Rd<'a> {
        Rd { b, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(invalid("the message ends early"));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> io::Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> io::Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4")))
    }

    fn u64(&mut self) -> io::Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8")))
    }
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// The encryption option of a client's PRELOGIN (0 off, 1 on, 2 not
/// supported, 3 required).
pub(crate) fn prelogin_encryption(payload: &[u8]) -> io::Result<u8> {
    let mut i = 0;
    while i < payload.len() && payload[i] != 0xFF {
        if i + 5 > payload.len() {
            return Err(invalid("PRELOGIN option table ends early"));
        }
        let token = payload[i];
        let offset = usize::from(u16::from_be_bytes([payload[i + 1], payload[i + 2]]));
        let len = usize::from(u16::from_be_bytes([payload[i + 3], payload[i + 4]]));
        if token == 0x01 {
            if len < 1 || offset >= payload.len() {
                return Err(invalid("PRELOGIN encryption option out of bounds"));
            }
            return Ok(payload[offset]);
        }
        i += 5;
    }
    Ok(2)
}

/// The server's PRELOGIN answer: version, encryption, instance, thread id,
/// MARS (tiberius refuses options it does not know).
pub(crate) fn prelogin_response(version: [u8; 4], encryption: u8) -> Vec<u8> {
    let options: [(u8, &[u8]); 5] = [
        (
            0x00,
            &[version[0], version[1], version[2], version[3], 0, 0],
        ),
        (0x01, &[encryption]),
        (0x02, &[0]),
        (0x03, &[]),
        (0x04, &[0]),
    ];
    let mut out = Vec::new();
    let mut data = Vec::new();
    let mut offset = options.len() * 5 + 1;
    for (token, value) in options {
        out.push(token);
        out.extend_from_slice(&(offset as u16).to_be_bytes());
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        offset += value.len();
        data.extend_from_slice(value);
    }
    out.push(0xFF);
    out.extend_from_slice(&data);
    out
}

/// What a LOGIN7 message says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Login7 {
    pub tds_version: u32,
    pub packet_size: u32,
    pub hostname: String,
    pub user: String,
    pub password: String,
    pub app_name: String,
    pub database: String,
}

pub(crate) fn parse_login7(p: &[u8]) -> io::Result<Login7> {
    if p.len() < 94 {
        return Err(invalid("LOGIN7 shorter than its fixed part"));
    }
    let u32_at = |i: usize| u32::from_le_bytes(p[i..i + 4].try_into().expect("4"));
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([p[i], p[i + 1]]));
    let field = |at: usize| -> io::Result<&[u8]> {
        let offset = u16_at(at);
        let chars = u16_at(at + 2);
        p.get(offset..offset + chars * 2)
            .ok_or_else(|| invalid("LOGIN7 field out of bounds"))
    };
    let password: Vec<u8> = field(44)?
        .iter()
        .map(|b| {
            let x = b ^ 0xA5;
            x.rotate_left(4)
        })
        .collect();
    Ok(Login7 {
        tds_version: u32_at(4),
        packet_size: u32_at(8),
        hostname: utf16(field(36)?),
        user: utf16(field(40)?),
        password: utf16(&password),
        app_name: utf16(field(48)?),
        database: utf16(field(68)?),
    })
}

/// Skips ALL_HEADERS (transaction descriptor, ...) at the start of a SQL
/// batch or RPC.
pub(crate) fn skip_all_headers(p: &[u8]) -> io::Result<&[u8]> {
    if p.len() < 4 {
        return Err(invalid("the request has no ALL_HEADERS"));
    }
    let total = u32::from_le_bytes(p[..4].try_into().expect("4")) as usize;
    if total < 4 || total > p.len() {
        return Err(invalid(format!("ALL_HEADERS length {total} out of bounds")));
    }
    Ok(&p[total..])
}

pub(crate) fn batch_text(p: &[u8]) -> io::Result<String> {
    Ok(utf16(skip_all_headers(p)?))
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

pub(crate) fn parse_rpc(p: &[u8]) -> io::Result<Result<RpcRequest, BadParam>> {
    let mut r = Rd::new(skip_all_headers(p)?);
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

fn read_plp(r: &mut Rd<'_>) -> io::Result<Option<Vec<u8>>> {
    let total = r.u64()?;
    if total == u64::MAX {
        return Ok(None);
    }
    let mut out = Vec::new();
    loop {
        let chunk = r.u32()? as usize;
        if chunk == 0 {
            break;
        }
        out.extend_from_slice(r.take(chunk)?);
    }
    Ok(Some(out))
}

fn le_int(b: &[u8]) -> i64 {
    let mut x = [0u8; 8];
    x[..b.len()].copy_from_slice(b);
    let v = i64::from_le_bytes(x);
    // Sign-extend.
    let bits = b.len() * 8;
    if bits < 64 {
        (v << (64 - bits)) >> (64 - bits)
    } else {
        v
    }
}

fn time_nanos(b: &[u8], scale: u8) -> u64 {
    let mut x = [0u8; 8];
    x[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(x) * 10u64.pow(9 - u32::from(scale.min(7)))
}

fn date_days(b: &[u8]) -> i32 {
    i32::from_le_bytes([b[0], b[1], b[2], 0])
}

/// Reads a TYPE_INFO and its value; `None` for a type this server does not
/// take as a parameter.
fn read_typed_value(r: &mut Rd<'_>) -> io::Result<Option<(SqlType, Value<'static>)>> {
    let ty = r.u8()?;
    // Fixed-length types: the value follows.
    let fixed = |r: &mut Rd<'_>, ty: SqlType, n: usize| -> io::Result<(SqlType, Value<'static>)> {
        let b = r.take(n)?;
        Ok((ty, fixed_value(&ty, b)))
    };
    let out = match ty {
        0x1F => (SqlType::Int, Value::Null),
        0x30 => fixed(r, SqlType::TinyInt, 1)?,
        0x32 => fixed(r, SqlType::Bit, 1)?,
        0x34 => fixed(r, SqlType::SmallInt, 2)?,
        0x38 => fixed(r, SqlType::Int, 4)?,
        0x7F => fixed(r, SqlType::BigInt, 8)?,
        0x3B => fixed(r, SqlType::Real, 4)?,
        0x3E => fixed(r, SqlType::Float, 8)?,
        0x3D => fixed(r, SqlType::DateTime, 8)?,
        0x3A => fixed(r, SqlType::SmallDateTime, 4)?,
        0x3C => fixed(r, SqlType::Money, 8)?,
        0x7A => fixed(r, SqlType::SmallMoney, 4)?,
        0x26 | 0x68 | 0x6D | 0x6E | 0x6F | 0x24 => {
            let max = r.u8()?;
            let sql = match (ty, max) {
                (0x26, 1) => SqlType::TinyInt,
                (0x26, 2) => SqlType::SmallInt,
                (0x26, 4) => SqlType::Int,
                (0x26, _) => SqlType::BigInt,
                (0x68, _) => SqlType::Bit,
                (0x6D, 4) => SqlType::Real,
                (0x6D, _) => SqlType::Float,
                (0x6E, 4) => SqlType::SmallMoney,
                (0x6E, _) => SqlType::Money,
                (0x6F, 4) => SqlType::SmallDateTime,
                (0x6F, _) => SqlType::DateTime,
                _ => SqlType::UniqueIdentifier,
            };
            let len = usize::from(r.u8()?);
            if len == 0 {
                (sql, Value::Null)
            } else {
                let b = r.take(len)?;
                // A length that disagrees with the type (an INTN 8 holding 4
                // bytes) still reads by its own length.
                let sql_by_len = match (ty, len) {
                    (0x26, 1) => SqlType::TinyInt,
                    (0x26, 2) => SqlType::SmallInt,
                    (0x26, 4) => SqlType::Int,
                    (0x26, 8) => SqlType::BigInt,
                    (0x6D, 4) => SqlType::Real,
                    (0x6E, 4) => SqlType::SmallMoney,
                    (0x6F, 4) => SqlType::SmallDateTime,
                    _ => sql,
                };
                (sql, fixed_value(&sql_by_len, b))
            }
        }
        0x28 => {
            let len = usize::from(r.u8()?);
            if len == 0 {
                (SqlType::Date, Value::Null)
            } else {
                (SqlType::Date, Value::Date(date_days(r.take(3)?)))
            }
        }
        0x2A | 0x2B => {
            let scale = r.u8()?;
            let sql = if ty == 0x2A {
                SqlType::DateTime2 { scale }
            } else {
                SqlType::DateTimeOffset { scale }
            };
            let len = usize::from(r.u8()?);
            if len == 0 {
                (sql, Value::Null)
            } else {
                let b = r.take(len)?;
                let tlen = if ty == 0x2A { len - 3 } else { len - 5 };
                let nanos = time_nanos(&b[..tlen], scale);
                let days = date_days(&b[tlen..tlen + 3]);
                let offset = if ty == 0x2B {
                    i16::from_le_bytes([b[tlen + 3], b[tlen + 4]])
                } else {
                    0
                };
                (
                    sql,
                    Value::DateTime(DateTimeValue {
                        days,
                        nanos,
                        offset,
                    }),
                )
            }
        }
        0x6A | 0x6C => {
            let _max = r.u8()?;
            let precision = r.u8()?;
            let scale = r.u8()?;
            let sql = if ty == 0x6A {
                SqlType::Decimal { precision, scale }
            } else {
                SqlType::Numeric { precision, scale }
            };
            let len = usize::from(r.u8()?);
            if len == 0 {
                (sql, Value::Null)
            } else {
                let b = r.take(len)?;
                let mut m = [0u8; 16];
                m[..len - 1].copy_from_slice(&b[1..]);
                let v = u128::from_le_bytes(m) as i128;
                (sql, Value::Decimal(if b[0] == 0 { -v } else { v }))
            }
        }
        0xE7 | 0xEF | 0xA7 | 0xAF | 0xA5 | 0xAD => {
            let max = r.u16()?;
            if matches!(ty, 0xE7 | 0xEF | 0xA7 | 0xAF) {
                r.take(5)?;
            }
            let len = if max == 0xFFFF {
                Len::Max
            } else {
                Len::N(match ty {
                    0xE7 | 0xEF => (max / 2).max(1),
                    _ => max.max(1),
                })
            };
            let fixed_len = match len {
                Len::N(n) => n,
                Len::Max => 0,
            };
            let sql = match ty {
                0xE7 => SqlType::NVarChar(len),
                0xEF => SqlType::NChar(fixed_len),
                0xA7 => SqlType::VarChar(len),
                0xAF => SqlType::Char(fixed_len),
                0xA5 => SqlType::VarBinary(len),
                _ => SqlType::Binary(fixed_len),
            };
            let data = if max == 0xFFFF {
                read_plp(r)?
            } else {
                let n = r.u16()?;
                if n == 0xFFFF {
                    None
                } else {
                    Some(r.take(usize::from(n))?.to_vec())
                }
            };
            let value = match data {
                None => Value::Null,
                Some(b) => match ty {
                    0xE7 | 0xEF => Value::Unicode(
                        match String::from_utf16(
                            &b.chunks_exact(2)
                                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                                .collect::<Vec<_>>(),
                        ) {
                            Ok(s) => UText::Str(Cow::Owned(s)),
                            Err(_) => UText::Utf16(Cow::Owned(b)),
                        },
                    ),
                    0xA7 | 0xAF => Value::Ansi(Cow::Owned(b)),
                    _ => Value::Binary(Cow::Owned(b)),
                },
            };
            (sql, value)
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

fn fixed_value(ty: &SqlType, b: &[u8]) -> Value<'static> {
    match ty {
        SqlType::TinyInt => Value::Int(i64::from(b[0])),
        SqlType::Bit => Value::Int(i64::from(b[0] != 0)),
        SqlType::SmallInt | SqlType::Int | SqlType::BigInt => Value::Int(le_int(b)),
        SqlType::Real => Value::Float(f64::from(f32::from_le_bytes(b.try_into().expect("4")))),
        SqlType::Float => Value::Float(f64::from_le_bytes(b.try_into().expect("8"))),
        SqlType::Money => {
            let high = i32::from_le_bytes(b[..4].try_into().expect("4"));
            let low = u32::from_le_bytes(b[4..8].try_into().expect("4"));
            Value::Decimal(i128::from((i64::from(high) << 32) | i64::from(low)))
        }
        SqlType::SmallMoney => Value::Decimal(i128::from(le_int(b))),
        SqlType::DateTime => {
            let days = i32::from_le_bytes(b[..4].try_into().expect("4"));
            let ticks = u32::from_le_bytes(b[4..8].try_into().expect("4"));
            Value::DateTime(DateTimeValue {
                days: days + DATETIME_EPOCH_DAYS,
                nanos: (u64::from(ticks) * 10_000_000).div_ceil(3),
                offset: 0,
            })
        }
        SqlType::SmallDateTime => {
            let days = u16::from_le_bytes([b[0], b[1]]);
            let minutes = u16::from_le_bytes([b[2], b[3]]);
            Value::DateTime(DateTimeValue {
                days: i32::from(days) + DATETIME_EPOCH_DAYS,
                nanos: u64::from(minutes) * 60_000_000_000,
                offset: 0,
            })
        }
        SqlType::UniqueIdentifier => {
            let mut g: [u8; 16] = b.try_into().unwrap_or([0; 16]);
            guid_wire_order(&mut g);
            Value::Guid(g)
        }
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------------------
// Writing tokens

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

pub(crate) fn put_done(buf: &mut Vec<u8>, token: u8, status: u16, cmd: u16, rows: u64) {
    buf.push(token);
    buf.extend_from_slice(&status.to_le_bytes());
    buf.extend_from_slice(&cmd.to_le_bytes());
    buf.extend_from_slice(&rows.to_le_bytes());
}

pub(crate) fn put_return_status(buf: &mut Vec<u8>, status: i32) {
    buf.push(TOKEN_RETURNSTATUS);
    buf.extend_from_slice(&status.to_le_bytes());
}

/// An ERROR (or INFO) token.
pub(crate) fn put_message(
    buf: &mut Vec<u8>,
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
    body.extend_from_slice(&line.to_le_bytes());
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

pub(crate) fn put_envchange_collation(buf: &mut Vec<u8>) {
    let mut body = vec![7u8, 5];
    body.extend_from_slice(&COLLATION);
    body.push(0);
    buf.push(TOKEN_ENVCHANGE);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

/// LOGINACK: interface T-SQL, TDS 7.4 (its version big-endian, as tiberius
/// and SQL Server have it), program name and version.
pub(crate) fn put_loginack(buf: &mut Vec<u8>, prog_name: &str, version: [u8; 4]) {
    let mut body = vec![1u8];
    body.extend_from_slice(&0x7400_0004u32.to_be_bytes());
    put_b_varchar(&mut body, prog_name);
    body.extend_from_slice(&version);
    buf.push(TOKEN_LOGINACK);
    buf.extend_from_slice(&(body.len() as u16).to_le_bytes());
    buf.extend_from_slice(&body);
}

/// A result column's metadata.
#[derive(Debug, Clone)]
pub(crate) struct OutColumn {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
}

fn decimal_len(precision: u8) -> u8 {
    match precision {
        0..=9 => 5,
        10..=19 => 9,
        20..=28 => 13,
        _ => 17,
    }
}

fn time_len(scale: u8) -> u8 {
    match scale {
        0..=2 => 3,
        3..=4 => 4,
        _ => 5,
    }
}

fn put_type_info(buf: &mut Vec<u8>, ty: &SqlType) {
    let short = |buf: &mut Vec<u8>, code: u8, len: u16, collation: bool| {
        buf.push(code);
        buf.extend_from_slice(&len.to_le_bytes());
        if collation {
            buf.extend_from_slice(&COLLATION);
        }
    };
    let var = |l: &Len, unit: u16| match l {
        Len::N(n) => n * unit,
        Len::Max => 0xFFFF,
    };
    match ty {
        SqlType::TinyInt => buf.extend_from_slice(&[0x26, 1]),
        SqlType::SmallInt => buf.extend_from_slice(&[0x26, 2]),
        SqlType::Int => buf.extend_from_slice(&[0x26, 4]),
        SqlType::BigInt => buf.extend_from_slice(&[0x26, 8]),
        SqlType::Bit => buf.extend_from_slice(&[0x68, 1]),
        SqlType::Decimal { precision, scale } => {
            buf.extend_from_slice(&[0x6A, decimal_len(*precision), *precision, *scale])
        }
        SqlType::Numeric { precision, scale } => {
            buf.extend_from_slice(&[0x6C, decimal_len(*precision), *precision, *scale])
        }
        SqlType::Money => buf.extend_from_slice(&[0x6E, 8]),
        SqlType::SmallMoney => buf.extend_from_slice(&[0x6E, 4]),
        SqlType::Float => buf.extend_from_slice(&[0x6D, 8]),
        SqlType::Real => buf.extend_from_slice(&[0x6D, 4]),
        SqlType::Date => buf.push(0x28),
        SqlType::DateTime => buf.extend_from_slice(&[0x6F, 8]),
        SqlType::SmallDateTime => buf.extend_from_slice(&[0x6F, 4]),
        SqlType::DateTime2 { scale } => buf.extend_from_slice(&[0x2A, *scale]),
        SqlType::DateTimeOffset { scale } => buf.extend_from_slice(&[0x2B, *scale]),
        SqlType::UniqueIdentifier => buf.extend_from_slice(&[0x24, 16]),
        SqlType::Char(n) => short(buf, 0xAF, *n, true),
        SqlType::VarChar(l) => short(buf, 0xA7, var(l, 1), true),
        SqlType::NChar(n) => short(buf, 0xEF, n * 2, true),
        SqlType::NVarChar(l) => short(buf, 0xE7, var(l, 2), true),
        SqlType::Binary(n) => short(buf, 0xAD, *n, false),
        SqlType::VarBinary(l) => short(buf, 0xA5, var(l, 1), false),
        SqlType::Text | SqlType::NText => {
            buf.push(if *ty == SqlType::Text { 0x23 } else { 0x63 });
            let max: u32 = if *ty == SqlType::Text {
                2_147_483_647
            } else {
                2_147_483_646
            };
            buf.extend_from_slice(&max.to_le_bytes());
            buf.extend_from_slice(&COLLATION);
            // TableName: no parts.
            buf.push(0);
        }
    }
}

pub(crate) fn put_colmetadata(buf: &mut Vec<u8>, cols: &[OutColumn]) {
    buf.push(TOKEN_COLMETADATA);
    buf.extend_from_slice(&(cols.len() as u16).to_le_bytes());
    for c in cols {
        buf.extend_from_slice(&0u32.to_le_bytes());
        let flags: u16 = if c.nullable { 0x0001 } else { 0 };
        buf.extend_from_slice(&flags.to_le_bytes());
        put_type_info(buf, &c.ty);
        put_b_varchar(buf, &c.name);
    }
}

/// Bytes per PLP chunk: values longer than this go in several chunks.
pub(crate) const PLP_CHUNK: usize = 4096;

fn is_plp(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::VarChar(Len::Max) | SqlType::NVarChar(Len::Max) | SqlType::VarBinary(Len::Max)
    )
}

fn put_bytes(buf: &mut Vec<u8>, ty: &SqlType, bytes: &[u8]) {
    if is_plp(ty) {
        buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        for chunk in bytes.chunks(PLP_CHUNK) {
            buf.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
            buf.extend_from_slice(chunk);
        }
        buf.extend_from_slice(&0u32.to_le_bytes());
    } else if matches!(ty, SqlType::Text | SqlType::NText) {
        // Text pointer, timestamp, then the data.
        buf.push(16);
        buf.extend_from_slice(&[0xAB; 16]);
        buf.extend_from_slice(&[0; 8]);
        buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        buf.extend_from_slice(bytes);
    } else {
        let n = bytes.len().min(0xFFFE);
        buf.extend_from_slice(&(n as u16).to_le_bytes());
        buf.extend_from_slice(&bytes[..n]);
    }
}

fn put_null(buf: &mut Vec<u8>, ty: &SqlType) {
    match ty {
        t if is_plp(t) => buf.extend_from_slice(&u64::MAX.to_le_bytes()),
        SqlType::Char(_)
        | SqlType::VarChar(_)
        | SqlType::NChar(_)
        | SqlType::NVarChar(_)
        | SqlType::Binary(_)
        | SqlType::VarBinary(_) => buf.extend_from_slice(&0xFFFFu16.to_le_bytes()),
        _ => buf.push(0),
    }
}

/// Encodes a value of type `ty` as a ROW holds it.
pub(crate) fn put_value(buf: &mut Vec<u8>, v: &Value<'_>, ty: &SqlType) {
    match (v, ty) {
        (Value::Null, _) => put_null(buf, ty),
        (Value::Int(i), SqlType::Bit) => buf.extend_from_slice(&[1, u8::from(*i != 0)]),
        (Value::Int(i), SqlType::TinyInt) => buf.extend_from_slice(&[1, *i as u8]),
        (Value::Int(i), SqlType::SmallInt) => {
            buf.push(2);
            buf.extend_from_slice(&(*i as i16).to_le_bytes());
        }
        (Value::Int(i), SqlType::Int) => {
            buf.push(4);
            buf.extend_from_slice(&(*i as i32).to_le_bytes());
        }
        (Value::Int(i), SqlType::BigInt) => {
            buf.push(8);
            buf.extend_from_slice(&i.to_le_bytes());
        }
        (Value::Float(f), SqlType::Real) => {
            buf.push(4);
            buf.extend_from_slice(&(*f as f32).to_le_bytes());
        }
        (Value::Float(f), _) => {
            buf.push(8);
            buf.extend_from_slice(&f.to_le_bytes());
        }
        (Value::Decimal(d), SqlType::Money) => {
            let v = *d as i64;
            buf.push(8);
            buf.extend_from_slice(&((v >> 32) as i32).to_le_bytes());
            buf.extend_from_slice(&(v as u32).to_le_bytes());
        }
        (Value::Decimal(d), SqlType::SmallMoney) => {
            buf.push(4);
            buf.extend_from_slice(&(*d as i32).to_le_bytes());
        }
        (Value::Decimal(d), SqlType::Decimal { precision, .. })
        | (Value::Decimal(d), SqlType::Numeric { precision, .. }) => {
            let len = decimal_len(*precision);
            buf.push(len);
            buf.push(u8::from(*d >= 0));
            let m = d.unsigned_abs().to_le_bytes();
            buf.extend_from_slice(&m[..usize::from(len) - 1]);
        }
        (Value::Date(days), _) => {
            buf.push(3);
            buf.extend_from_slice(&days.to_le_bytes()[..3]);
        }
        (Value::DateTime(dt), SqlType::DateTime) => {
            let mut days = dt.days - DATETIME_EPOCH_DAYS;
            let mut ticks = (u128::from(dt.nanos) * 3 + 5_000_000) / 10_000_000;
            if ticks >= 25_920_000 {
                days += 1;
                ticks -= 25_920_000;
            }
            buf.push(8);
            buf.extend_from_slice(&days.to_le_bytes());
            buf.extend_from_slice(&(ticks as u32).to_le_bytes());
        }
        (Value::DateTime(dt), SqlType::SmallDateTime) => {
            buf.push(4);
            buf.extend_from_slice(&((dt.days - DATETIME_EPOCH_DAYS) as u16).to_le_bytes());
            buf.extend_from_slice(&((dt.nanos / 60_000_000_000) as u16).to_le_bytes());
        }
        (Value::DateTime(dt), SqlType::DateTime2 { scale })
        | (Value::DateTime(dt), SqlType::DateTimeOffset { scale }) => {
            let offset = matches!(ty, SqlType::DateTimeOffset { .. });
            // datetime2 holds the wall clock; datetimeoffset UTC and the
            // offset.
            let (days, nanos) = if offset {
                (dt.days, dt.nanos)
            } else {
                dt.local()
            };
            let tlen = time_len(*scale);
            buf.push(tlen + if offset { 5 } else { 3 });
            let increments = (nanos % NANOS_PER_DAY) / 10u64.pow(9 - u32::from((*scale).min(7)));
            buf.extend_from_slice(&increments.to_le_bytes()[..usize::from(tlen)]);
            buf.extend_from_slice(&days.to_le_bytes()[..3]);
            if offset {
                buf.extend_from_slice(&dt.offset.to_le_bytes());
            }
        }
        (Value::Guid(g), _) => {
            let mut w = *g;
            guid_wire_order(&mut w);
            buf.push(16);
            buf.extend_from_slice(&w);
        }
        (Value::Unicode(t), _)
            if matches!(ty, SqlType::NVarChar(Len::N(_)) | SqlType::NChar(_)) =>
        {
            // Straight into the buffer: length, then the units.
            let at = buf.len();
            buf.extend_from_slice(&[0, 0]);
            t.write_utf16le(buf);
            let n = (buf.len() - at - 2).min(0xFFFE);
            buf.truncate(at + 2 + n);
            buf[at..at + 2].copy_from_slice(&(n as u16).to_le_bytes());
        }
        (Value::Unicode(t), _) => {
            let mut bytes = Vec::with_capacity(t.units_at_most() * 2);
            t.write_utf16le(&mut bytes);
            put_bytes(buf, ty, &bytes);
        }
        (Value::Ansi(b), _) | (Value::Binary(b), _) => put_bytes(buf, ty, b),
        // A value of another family than the type: the executor never makes
        // one; send NULL rather than a broken stream.
        _ => put_null(buf, ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_split_at_the_negotiated_size_and_end_once() {
        let mut w = PacketWriter::new(PKT_REPLY, 512, 51);
        w.buf.extend(std::iter::repeat_n(7u8, 70_000));
        let mut out = Vec::new();
        w.flush_some(&mut out).unwrap();
        assert!(!w.buf.is_empty());
        w.finish(&mut out).unwrap();
        let mut r = &out[..];
        let mut payload = 0;
        let mut eoms = 0;
        let mut id = 1u8;
        while !r.is_empty() {
            let len = usize::from(u16::from_be_bytes([r[2], r[3]]));
            assert!(len <= 512);
            assert_eq!(r[0], PKT_REPLY);
            assert_eq!(u16::from_be_bytes([r[4], r[5]]), 51);
            assert_eq!(r[6], id);
            id = id.wrapping_add(1);
            eoms += usize::from(r[1] & STATUS_EOM);
            payload += len - 8;
            r = &r[len..];
        }
        assert_eq!((payload, eoms), (70_000, 1));
        let mut again = &out[..];
        let m = read_message(&mut again).unwrap().unwrap();
        assert_eq!((m.ty, m.payload.len()), (PKT_REPLY, 70_000));
    }

    #[test]
    fn decodes_the_obfuscated_password() {
        // tiberius's encoding: swap nibbles, then XOR 0xA5.
        let enc: Vec<u8> = "pässword"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .map(|b| b.rotate_left(4) ^ 0xA5)
            .collect();
        let mut p = vec![0u8; 94];
        p[44..46].copy_from_slice(&94u16.to_le_bytes());
        p[46..48].copy_from_slice(&8u16.to_le_bytes());
        for at in [36, 40, 48, 52, 56, 60, 64, 68, 78, 82, 86] {
            p[at..at + 2].copy_from_slice(&94u16.to_le_bytes());
        }
        p.extend_from_slice(&enc);
        assert_eq!(parse_login7(&p).unwrap().password, "pässword");
    }

    #[test]
    fn prelogin_answer_lists_five_options() {
        let p = prelogin_response([16, 0, 0x10, 0x09], 2);
        assert_eq!(prelogin_encryption(&p).unwrap(), 2);
        assert_eq!(p[0], 0);
        assert_eq!(&p[26..32], &[16, 0, 0x10, 0x09, 0, 0]);
    }
}

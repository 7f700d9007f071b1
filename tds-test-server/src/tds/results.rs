//! A result set as the client's TDS version has it: COLMETADATA and its
//! rows (ROW, or NBCROW for a row with NULLs from TDS 7.3 on).
//!
//! Below TDS 7.2 (no PLP), `varbinary(max)` goes as `image`, which has no
//! [`SqlType`] of its own: its TYPE_INFO and values are written here.

use super::tokens::put_b_varchar;
use super::values::{put_type_info, put_value};
use super::{PacketWriter, TOKEN_COLMETADATA, TOKEN_NBCROW, TOKEN_ROW, TdsVersion};
use crate::catalog::{Len, SqlType};
use crate::value::Value;

/// A result column's metadata.
#[derive(Debug, Clone)]
pub(crate) struct OutColumn {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
}

/// COLMETADATA, each column's type as the client's TDS version has it.
pub(crate) fn put_colmetadata(pw: &mut PacketWriter, cols: &[OutColumn]) {
    let buf = &mut pw.buf;
    buf.push(TOKEN_COLMETADATA);
    buf.extend_from_slice(&(cols.len() as u16).to_le_bytes());
    for c in cols {
        // UserType 0: 4 bytes from TDS 7.2, 2 below.
        let user_type_len = if pw.version.has_wide_fields() { 4 } else { 2 };
        buf.extend_from_slice(&[0; 4][..user_type_len]);
        let flags: u16 = if c.nullable { 0x0001 } else { 0 };
        buf.extend_from_slice(&flags.to_le_bytes());
        let wire = pw.version.wire_type(&c.ty);
        if is_image(pw.version, &wire) {
            buf.push(0x22);
            buf.extend_from_slice(&2_147_483_647u32.to_le_bytes());
        } else {
            put_type_info(buf, &wire);
        }
        if !pw.version.has_plp() && matches!(wire, SqlType::Text | SqlType::NText) {
            // TDS 7.1's TableName is a US_VARCHAR (two bytes for none), not
            // 7.2's count of parts (which put_type_info wrote).
            buf.push(0);
        } else if is_image(pw.version, &wire) {
            buf.extend_from_slice(&[0, 0]);
        }
        put_b_varchar(buf, &c.name);
    }
}

/// Whether a column of type `ty` goes to a client of `version` as `image`.
fn is_image(version: TdsVersion, ty: &SqlType) -> bool {
    !version.has_plp() && *ty == SqlType::VarBinary(Len::Max)
}

/// One row: NBCROW when it holds a NULL and the client reads NBCROW, ROW
/// otherwise; values as the client's TDS version has them.
pub(crate) fn put_row(pw: &mut PacketWriter, values: &[Value<'_>], cols: &[OutColumn]) {
    if pw.metadata_only {
        return;
    }
    let version = pw.version;
    let buf = &mut pw.buf;
    let put = |buf: &mut Vec<u8>, v: &Value<'_>, ty: &SqlType| {
        let wire = version.wire_type(ty);
        if is_image(version, &wire) {
            match v {
                Value::Binary(b) => {
                    // Text pointer, timestamp, then the data.
                    buf.push(16);
                    buf.extend_from_slice(&[0xAB; 16]);
                    buf.extend_from_slice(&[0; 8]);
                    buf.extend_from_slice(&(b.len() as u32).to_le_bytes());
                    buf.extend_from_slice(b);
                }
                // NULL: no text pointer.
                _ => buf.push(0),
            }
        } else if wire == *ty {
            put_value(buf, v, ty);
        } else {
            put_value(buf, &TdsVersion::wire_value(v, ty, &wire), &wire);
        }
    };
    if version.has_dates() && values.iter().any(Value::is_null) {
        buf.push(TOKEN_NBCROW);
        let start = buf.len();
        buf.resize(start + values.len().div_ceil(8), 0);
        for (i, v) in values.iter().enumerate() {
            if v.is_null() {
                buf[start + i / 8] |= 1 << (i % 8);
            }
        }
        for (v, c) in values.iter().zip(cols) {
            if !v.is_null() {
                put(buf, v, &c.ty);
            }
        }
    } else {
        buf.push(TOKEN_ROW);
        for (v, c) in values.iter().zip(cols) {
            put(buf, v, &c.ty);
        }
    }
}

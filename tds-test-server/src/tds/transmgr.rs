//! Transaction manager requests (packet type 0x0E): begin, commit, roll
//! back or save a transaction outside T-SQL, as SqlClient and tedious do.

use super::reader::{Rd, skip_all_headers, utf16};
use super::{TdsVersion, invalid};
use std::io;

/// What a transaction manager request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TmRequest {
    /// `TM_BEGIN_XACT`, with an isolation level (0: unchanged) and the
    /// transaction's name (empty for none).
    Begin { isolation: u8, name: String },
    /// `TM_COMMIT_XACT`; `then_begin` when `fBeginXact` asks for a new
    /// transaction at once, with its isolation level.
    Commit { then_begin: Option<u8> },
    /// `TM_ROLLBACK_XACT`, likewise, with the name of the transaction or
    /// savepoint to roll back (empty: the whole transaction).
    Rollback {
        name: String,
        then_begin: Option<u8>,
    },
    /// `TM_SAVE_XACT`: a savepoint of that name.
    Save { name: String },
    /// `TM_GET_DTC_ADDRESS`, `TM_PROPAGATE_XACT`, `TM_PROMOTE_XACT`:
    /// distributed transactions, which need MSDTC.
    Distributed(u16),
    /// Any other request type.
    Unknown(u16),
}

/// A transaction's name: B_VARBYTE (a length in bytes, then UTF-16).
fn read_name(r: &mut Rd<'_>) -> io::Result<String> {
    let len = usize::from(r.u8()?);
    Ok(utf16(r.take(len)?))
}

/// Parses a transaction manager request.
pub(crate) fn parse_trans_mgr(p: &[u8], version: TdsVersion) -> io::Result<TmRequest> {
    let mut r = Rd::new(skip_all_headers(p, version)?);
    let ty = r.u16()?;
    // The transaction's name, then whether (and how) a new one begins.
    let then_begin = |r: &mut Rd<'_>| -> io::Result<(String, Option<u8>)> {
        let name = read_name(r)?;
        let flags = r.u8()?;
        if flags & 0x01 == 0 {
            return Ok((name, None));
        }
        let isolation = r.u8()?;
        read_name(r)?;
        Ok((name, Some(isolation)))
    };
    let req = match ty {
        5 => {
            let isolation = r.u8()?;
            TmRequest::Begin {
                isolation,
                name: read_name(&mut r)?,
            }
        }
        7 => TmRequest::Commit {
            then_begin: then_begin(&mut r)?.1,
        },
        8 => {
            let (name, then_begin) = then_begin(&mut r)?;
            TmRequest::Rollback { name, then_begin }
        }
        9 => TmRequest::Save {
            name: read_name(&mut r)?,
        },
        0 | 1 | 6 => return Ok(TmRequest::Distributed(ty)),
        other => return Ok(TmRequest::Unknown(other)),
    };
    if r.remaining() > 0 {
        return Err(invalid(format!(
            "{} bytes after a transaction manager request of type {ty}",
            r.remaining()
        )));
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tedious_payloads() {
        let v = TdsVersion::V7_1;
        let name: Vec<u8> = "t".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let begin = [&[5, 0, 2, 2][..], &name].concat();
        assert_eq!(
            parse_trans_mgr(&begin, v).unwrap(),
            TmRequest::Begin {
                isolation: 2,
                name: "t".into()
            }
        );
        let commit = [&[7, 0, 2][..], &name, &[0]].concat();
        assert_eq!(
            parse_trans_mgr(&commit, v).unwrap(),
            TmRequest::Commit { then_begin: None }
        );
        let rollback = [&[8, 0, 0, 1, 4, 0][..]].concat();
        assert_eq!(
            parse_trans_mgr(&rollback, v).unwrap(),
            TmRequest::Rollback {
                name: String::new(),
                then_begin: Some(4)
            }
        );
        let save = [&[9, 0, 2][..], &name].concat();
        assert_eq!(
            parse_trans_mgr(&save, v).unwrap(),
            TmRequest::Save { name: "t".into() }
        );
        assert!(parse_trans_mgr(&[5, 0], v).is_err());
        assert_eq!(
            parse_trans_mgr(&[0, 0], v).unwrap(),
            TmRequest::Distributed(0)
        );
    }
}

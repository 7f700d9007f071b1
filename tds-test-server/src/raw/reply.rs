//! Reading replies: DONE tokens, and the tokens of replies without a result
//! set (a login's, a `SET`'s, an error's).

use super::TDS_7_4;
use std::fmt;

pub(crate) const TOKEN_RETURNSTATUS: u8 = 0x79;
pub(crate) const TOKEN_ERROR: u8 = 0xAA;
pub(crate) const TOKEN_INFO: u8 = 0xAB;
pub(crate) const TOKEN_LOGINACK: u8 = 0xAD;
pub(crate) const TOKEN_ENVCHANGE: u8 = 0xE3;
pub(crate) const TOKEN_DONE: u8 = 0xFD;
pub(crate) const TOKEN_DONEPROC: u8 = 0xFE;
pub(crate) const TOKEN_DONEINPROC: u8 = 0xFF;
/// The length of a DONE-kind token (TDS 7.2 and later: an 8-byte row
/// count).
pub(crate) const DONE_LEN: usize = 13;
/// The length of a DONE-kind token below TDS 7.2 (a 4-byte row count).
pub(crate) const DONE_LEN_7_1: usize = 9;

/// The length of a DONE-kind token in TDS `version` (as a client writes it
/// in LOGIN7 or LOGINACK answers it): its row count has 8 bytes from TDS
/// 7.2, 4 below.
pub fn done_len(version: u32) -> usize {
    if version < 0x7200_0000 {
        DONE_LEN_7_1
    } else {
        DONE_LEN
    }
}

/// A DONE-kind token (DONE, DONEPROC, DONEINPROC) of TDS 7.2 and later:
/// token, status, command, 8-byte row count. Below TDS 7.2 a DONE is its
/// first [`done_len`] bytes (a 4-byte row count).
pub fn done(token: u8, status: u16, cmd: u16, rows: u64) -> Vec<u8> {
    let mut t = vec![token];
    t.extend_from_slice(&status.to_le_bytes());
    t.extend_from_slice(&cmd.to_le_bytes());
    t.extend_from_slice(&rows.to_le_bytes());
    t
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A token the reply readers below cannot skip: only ENVCHANGE, INFO,
/// ERROR, LOGINACK, RETURNSTATUS and DONE-kind tokens are read, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnexpectedToken {
    pub token: u8,
    /// Its offset in the reply.
    pub at: usize,
    /// The reply, for the message.
    pub reply: Vec<u8>,
}

impl fmt::Display for UnexpectedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "token {:#04x} at {} (or a token cut short) in {:02x?}",
            self.token, self.at, self.reply
        )
    }
}

impl std::error::Error for UnexpectedToken {}

/// The tokens of a reply without a result set, one at a time, each whole
/// (its type byte first).
///
/// DONE-kind tokens are [`done_len`] of the version the reader was made
/// for, until a LOGINACK says which version the rest of the reply is in.
struct Tokens<'a> {
    reply: &'a [u8],
    at: usize,
    done_len: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<&'a [u8], UnexpectedToken>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.reply;
        let i = self.at;
        let token = *r.get(i)?;
        let len = match token {
            TOKEN_ERROR | TOKEN_INFO | TOKEN_LOGINACK | TOKEN_ENVCHANGE => r
                .get(i + 1..i + 3)
                .map(|b| 3 + usize::from(u16::from_le_bytes([b[0], b[1]]))),
            TOKEN_DONE..=TOKEN_DONEINPROC => Some(self.done_len),
            TOKEN_RETURNSTATUS => Some(5),
            _ => None,
        };
        match len.and_then(|n| r.get(i..i + n)) {
            Some(t) => {
                self.at += t.len();
                if token == TOKEN_LOGINACK
                    && let Some(v) = t.get(4..8)
                {
                    self.done_len = done_len(u32::from_be_bytes([v[0], v[1], v[2], v[3]]));
                }
                Some(Ok(t))
            }
            None => {
                self.at = r.len();
                Some(Err(UnexpectedToken {
                    token,
                    at: i,
                    reply: r.to_vec(),
                }))
            }
        }
    }
}

/// The tokens of `reply`, in TDS `version` until a LOGINACK says
/// otherwise.
fn tokens(reply: &[u8], version: u32) -> Tokens<'_> {
    Tokens {
        reply,
        at: 0,
        done_len: done_len(version),
    }
}

/// The number of the first ERROR token in `reply`, if any: a login's reply
/// (of any version: its LOGINACK says which) or a reply of TDS 7.2 and
/// later. The tokens before it must be ones [`UnexpectedToken`] lists.
pub fn first_error(reply: &[u8]) -> Result<Option<u32>, UnexpectedToken> {
    first_error_as(reply, TDS_7_4)
}

/// [`first_error`] of a reply to a client of TDS `version` (a TDS 7.1
/// reply's DONE tokens are 4 bytes shorter).
pub fn first_error_as(reply: &[u8], version: u32) -> Result<Option<u32>, UnexpectedToken> {
    for t in tokens(reply, version) {
        let t = t?;
        if t[0] == TOKEN_ERROR {
            return Ok(t
                .get(3..7)
                .map(|n| u32::from_le_bytes([n[0], n[1], n[2], n[3]])));
        }
    }
    Ok(None)
}

/// The message text of the ERROR token `reply` starts with; `None` when it
/// starts with another token.
pub fn error_message(reply: &[u8]) -> Option<String> {
    if reply.first() != Some(&TOKEN_ERROR) {
        return None;
    }
    let n = usize::from(u16::from_le_bytes([*reply.get(9)?, *reply.get(10)?]));
    let units: Vec<u16> = reply
        .get(11..11 + 2 * n)?
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// The TDS version of the LOGINACK in a login's reply (as sent,
/// big-endian); `None` without one, when its interface is not T-SQL (1),
/// or when a token before it cannot be read.
pub fn loginack_version(reply: &[u8]) -> Option<u32> {
    for t in tokens(reply, TDS_7_4) {
        let t = t.ok()?;
        if t[0] == TOKEN_LOGINACK {
            let v = t.get(3..8)?;
            return (v[0] == 1).then(|| u32::from_be_bytes([v[1], v[2], v[3], v[4]]));
        }
    }
    None
}

/// An ERROR token's message, for tests of this module.
#[cfg(test)]
fn error_token(number: u32, message: &str) -> Vec<u8> {
    let text = super::utf16(message);
    let mut body = number.to_le_bytes().to_vec();
    body.extend_from_slice(&[1, 16]);
    body.extend_from_slice(&((text.len() / 2) as u16).to_le_bytes());
    body.extend_from_slice(&text);
    body.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // server, procedure, line
    let mut t = vec![TOKEN_ERROR];
    t.extend_from_slice(&(body.len() as u16).to_le_bytes());
    t.extend_from_slice(&body);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_is_found_behind_the_tokens_before_it() {
        let reply = [
            done(TOKEN_DONE, 1, 0, 0),
            error_token(208, "Invalid object name 'x'."),
            done(TOKEN_DONE, 2, 0xC1, 0),
        ]
        .concat();
        assert_eq!(first_error(&reply), Ok(Some(208)));
        assert_eq!(error_message(&reply), None);
        assert_eq!(
            error_message(&reply[DONE_LEN..]).as_deref(),
            Some("Invalid object name 'x'.")
        );
        let e = first_error(&[0x81, 1, 0]).unwrap_err();
        assert_eq!((e.token, e.at), (0x81, 0));
        assert_eq!(loginack_version(&reply), None);
    }

    #[test]
    fn loginack_says_the_version_of_interface_t_sql_only() {
        let ack = |interface: u8| {
            let body = [&[interface, 0x74, 0, 0, 4, 0][..], &[0, 0, 0, 0]].concat();
            let mut t = vec![TOKEN_LOGINACK];
            t.extend_from_slice(&(body.len() as u16).to_le_bytes());
            t.extend_from_slice(&body);
            [t, done(TOKEN_DONE, 0, 0, 0)].concat()
        };
        assert_eq!(loginack_version(&ack(1)), Some(0x7400_0004));
        assert_eq!(loginack_version(&ack(0)), None);
    }

    #[test]
    fn tds_7_1_done_tokens_are_read_narrow() {
        let narrow = |token, status, cmd| done(token, status, cmd, 0)[..DONE_LEN_7_1].to_vec();
        // A 7.1 login's reply: its LOGINACK says how long the DONE after it is.
        let body = [&[1u8, 0x71, 0, 0, 1, 0][..], &[0, 0, 0, 0]].concat();
        let mut ack = vec![TOKEN_LOGINACK];
        ack.extend_from_slice(&(body.len() as u16).to_le_bytes());
        ack.extend_from_slice(&body);
        let login = [ack, narrow(TOKEN_DONE, 0, 0)].concat();
        assert_eq!(first_error(&login), Ok(None));
        assert_eq!(loginack_version(&login), Some(0x7100_0001));
        // A later reply: the version is the caller's to say.
        let reply = [
            narrow(TOKEN_DONE, 1, 0),
            error_token(208, "Invalid object name 'x'."),
            narrow(TOKEN_DONE, 2, 0xC1),
        ]
        .concat();
        assert_eq!(first_error_as(&reply, crate::raw::TDS_7_1), Ok(Some(208)));
        assert!(first_error(&reply).is_err());
        assert_eq!(done_len(crate::raw::TDS_7_2), DONE_LEN);
        assert_eq!(done_len(0x7100_0000), DONE_LEN_7_1);
    }
}

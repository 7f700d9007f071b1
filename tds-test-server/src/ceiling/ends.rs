//! The end of a reply, drained: the row count of its DONE token, a page's
//! last key, or the error it ended with.

use super::REPLY_TIMEOUT;
use crate::raw::reply::{
    DONE_LEN, TOKEN_DONE, TOKEN_DONEINPROC, TOKEN_DONEPROC, TOKEN_RETURNSTATUS,
};
use crate::raw::{self, RawClient, Skipped};
use anyhow::bail;
use std::io;

/// Drains one reply, keeping its first bytes (for an error's message) and
/// its last (the page's last key and its DONE tokens).
pub(super) fn drain(client: &mut RawClient) -> anyhow::Result<Skipped> {
    client.skip_message(4096).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            anyhow::anyhow!("no reply within {} s", REPLY_TIMEOUT.as_secs())
        }
        _ => anyhow::Error::new(e).context("reading a reply"),
    })
}

/// The DONE-kind token at `at` of `tail` if it is `token`: (status, rows).
fn done_at(tail: &[u8], at: usize, token: u8) -> Option<(u16, u64)> {
    let t = tail.get(at..at + DONE_LEN)?;
    (t[0] == token).then(|| {
        let rows = u64::from_le_bytes(t[5..13].try_into().expect("8 bytes"));
        (u16::from_le_bytes([t[1], t[2]]), rows)
    })
}

/// Why a reply that ends with an error failed, from its first bytes.
fn failure(reply: &Skipped) -> anyhow::Error {
    match (
        raw::first_error(&reply.head),
        raw::error_message(&reply.head),
    ) {
        (Ok(Some(number)), Some(message)) => anyhow::anyhow!("Msg {number}: {message}"),
        _ => anyhow::anyhow!("the server ended its reply with an error"),
    }
}

/// The last bytes of a reply, for a message.
fn last_bytes(tail: &[u8]) -> String {
    format!("{:02x?}", &tail[tail.len().saturating_sub(48)..])
}

const DONE_ERROR: u16 = 0x02;
const DONE_COUNT: u16 = 0x10;

/// A page's rows and last key, from the end of its reply: the last row's
/// last column (INTN 8), DONEINPROC, RETURNSTATUS, DONEPROC.
pub(super) fn page_end(reply: &Skipped) -> anyhow::Result<(u64, Option<i64>)> {
    let tail = &reply.tail;
    let n = tail.len();
    let proc_at = n.checked_sub(DONE_LEN);
    let status_at = n.checked_sub(DONE_LEN + 5);
    let inproc_at = n.checked_sub(2 * DONE_LEN + 5);
    let ends = (proc_at, status_at, inproc_at);
    let (Some(proc_at), Some(status_at), Some(inproc_at)) = ends else {
        bail!("a reply of {n} bytes is too short for an RPC's");
    };
    let Some((proc_status, _)) = done_at(tail, proc_at, TOKEN_DONEPROC) else {
        bail!(
            "the reply does not end with a DONEPROC: {}",
            last_bytes(tail)
        );
    };
    let inproc = done_at(tail, inproc_at, TOKEN_DONEINPROC);
    if proc_status & DONE_ERROR != 0 || inproc.is_none_or(|(s, _)| s & DONE_ERROR != 0) {
        return Err(failure(reply));
    }
    let Some((status, rows)) = inproc.filter(|_| tail[status_at] == TOKEN_RETURNSTATUS) else {
        bail!(
            "the page's reply does not end as one SELECT's: {}",
            last_bytes(tail)
        );
    };
    if status & DONE_COUNT == 0 {
        bail!("the page's DONEINPROC carries no row count");
    }
    if rows == 0 {
        return Ok((0, None));
    }
    match inproc_at.checked_sub(9).map(|at| &tail[at..inproc_at]) {
        Some([8, key @ ..]) => Ok((rows, Some(i64::from_le_bytes(key.try_into()?)))),
        _ => bail!(
            "the page's last row does not end with its bigint key: {}",
            last_bytes(tail)
        ),
    }
}

/// A batch's row count, from its final DONE.
pub(super) fn batch_end(reply: &Skipped) -> anyhow::Result<u64> {
    let tail = &reply.tail;
    let at = tail.len().saturating_sub(DONE_LEN);
    let Some((status, rows)) = done_at(tail, at, TOKEN_DONE) else {
        bail!("the reply does not end with a DONE: {}", last_bytes(tail));
    };
    if status & DONE_ERROR != 0 {
        return Err(failure(reply));
    }
    if status & DONE_COUNT == 0 {
        bail!("the final DONE carries no row count");
    }
    Ok(rows)
}

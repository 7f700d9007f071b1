//! What can be wrong with a part, said so the person at the terminal knows
//! which file, which record and what to do.

use crate::IoError;
use std::path::PathBuf;

/// Hint for a part that is damaged: the data is only as good as its source.
const RECREATE: &str = "re-create it by re-running the stage that wrote it";

/// An error reading or writing a part. Record indexes are 0-based and count
/// records only: the header comes before record 0, the trailer after the last.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error(transparent)]
    Io(#[from] IoError),

    #[error("{}: truncated at record {record}: the gzip stream ends early (an interrupted copy, a full disk or a crash while writing); {RECREATE}", .path.display())]
    Truncated { path: PathBuf, record: u64 },

    #[error("{}: corrupt at record {record}: {detail}; {RECREATE}", .path.display())]
    Corrupt {
        path: PathBuf,
        record: u64,
        detail: String,
    },

    #[error("{}: bad header: {detail}", .path.display())]
    BadHeader { path: PathBuf, detail: String },

    #[error("{}: part format version {found}, but this pancake reads only version {supported}; use the pancake version that wrote it, or re-create the dump", .path.display())]
    FormatVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error("{}: record {record} claims {length} bytes, more than the limit of {limit}; the part is corrupt or was not written by pancake", .path.display())]
    RecordTooLarge {
        path: PathBuf,
        record: u64,
        length: u64,
        limit: u64,
    },

    #[error("{}: no trailer after {records} records: the part ends without its record count and checksum, so it cannot be trusted; {RECREATE}", .path.display())]
    MissingTrailer { path: PathBuf, records: u64 },

    #[error("{}: the trailer disagrees with the records read: {field} is {in_trailer} in the trailer but {read} in the part; {RECREATE}", .path.display())]
    TrailerMismatch {
        path: PathBuf,
        field: &'static str,
        in_trailer: String,
        read: String,
    },

    #[error("{}: {extra} stray bytes after the gzip member; a part is exactly one gzip member; {RECREATE}", .path.display())]
    TrailingData { path: PathBuf, extra: String },

    #[error("{}: corrupt at record {record}: it does not decode as {record_type} ({cause}); {RECREATE}", .path.display())]
    Decode {
        path: PathBuf,
        record: u64,
        record_type: String,
        /// What the decoder said. Quoted in the message, so not a `source()`.
        cause: prost::DecodeError,
    },

    #[error("{}: unknown record type {record_type}: this pancake has no schema for it", .path.display())]
    UnknownRecordType { path: PathBuf, record_type: String },

    #[error(transparent)]
    EventContract(#[from] crate::events::EventContractError),
}

impl PartError {
    /// The part file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            PartError::Io(IoError { path, .. })
            | PartError::Truncated { path, .. }
            | PartError::Corrupt { path, .. }
            | PartError::BadHeader { path, .. }
            | PartError::FormatVersion { path, .. }
            | PartError::RecordTooLarge { path, .. }
            | PartError::MissingTrailer { path, .. }
            | PartError::TrailerMismatch { path, .. }
            | PartError::TrailingData { path, .. }
            | PartError::Decode { path, .. }
            | PartError::UnknownRecordType { path, .. }
            | PartError::EventContract(crate::events::EventContractError { path, .. }) => path,
        }
    }
}

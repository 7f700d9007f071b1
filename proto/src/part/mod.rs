//! Part files: `<table>/part-NNNNNN.pb.gz`.
//!
//! A part is one gzip member of varint length-delimited protobuf messages:
//! a [`PartHeader`](crate::dump::PartHeader), the records, and a
//! [`PartTrailer`](crate::dump::PartTrailer) with the record count and an
//! XXH3-64 checksum of the record frames. Parts are bounded ([`PartLimits`]),
//! so a crash loses at most the part in flight and several cores can work on
//! different parts of one table.
//!
//! Writers write `part-NNNNNN.pb.gz.tmp` and rename it when the trailer is on
//! disk, so a part under its final name is always whole.

mod error;
mod frame;
mod reader;
mod stats;
mod writer;

pub use error::PartError;
pub use reader::{PartReader, ReadOptions, Records};
pub use stats::{FrameBuffer, RecordStats};
pub use writer::{PartWriter, WriteOptions};

use crate::dump::DumpKind;
use std::path::{Path, PathBuf};

/// Where a part belongs: what its header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSpec {
    pub kind: DumpKind,
    /// Table or stream name; also the part's folder.
    pub table: String,
    /// Fully qualified protobuf type of the records.
    pub record_type: String,
    /// 0-based position within the table.
    pub part_number: u32,
}

impl PartSpec {
    /// A part of a table of records of type `R`.
    pub fn of<R: crate::Record>(kind: DumpKind, table: &str, part_number: u32) -> PartSpec {
        PartSpec {
            kind,
            table: table.to_owned(),
            record_type: R::TYPE_NAME.to_owned(),
            part_number,
        }
    }

    /// The part's path relative to the dump directory.
    pub fn relative_path(&self) -> String {
        part_file_name(&self.table, self.part_number)
    }
}

/// `<table>/part-NNNNNN.pb.gz`, relative to the dump directory.
pub fn part_file_name(table: &str, part_number: u32) -> String {
    format!("{table}/part-{part_number:06}.pb.gz")
}

/// The temporary name a part has until its trailer is written.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// The largest record a part may hold, in bytes (without its length
/// prefix): 16 MiB. A legacy row or an event is at most some kilobytes (a
/// message body is 2000 UTF-16 units), so anything near this is damage, and
/// readers refuse a longer length prefix before allocating anything for it.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// When a part is full and the next one starts.
///
/// Bytes count the encoded record frames before compression, so where a part
/// ends does not depend on the compression backend or level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartLimits {
    pub max_records: u64,
    pub max_bytes: u64,
}

impl PartLimits {
    pub const DEFAULT_MAX_RECORDS: u64 = 250_000;
    pub const DEFAULT_MAX_BYTES: u64 = 32 * 1024 * 1024;

    /// The most records a part holds whatever the settings: 100 million, 400
    /// times the default. A part ends there even when `max_records` is
    /// higher, and a manifest claiming more for a part is refused, so a count
    /// read from a file never asks for more than this.
    pub const MAX_RECORDS: u64 = 100_000_000;

    /// True once a part holding `records` records of `bytes` bytes must end.
    pub fn is_reached(&self, records: u64, bytes: u64) -> bool {
        records >= self.max_records.min(Self::MAX_RECORDS) || bytes >= self.max_bytes
    }
}

impl Default for PartLimits {
    fn default() -> Self {
        PartLimits {
            max_records: Self::DEFAULT_MAX_RECORDS,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}

/// Renders a checksum as the manifest stores it.
pub fn checksum_hex(checksum: u64) -> String {
    format!("{checksum:016x}")
}

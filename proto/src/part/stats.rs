//! Counting what goes into a part, and parts encoded in memory.

use crate::record::{Record, timestamp_micros};

/// Count, size and key and time ranges of a run of records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordStats {
    pub records: u64,
    /// Bytes of the record frames (length prefixes included), uncompressed.
    pub record_bytes: u64,
    pub key_range: Option<(i64, i64)>,
    /// Microseconds since the Unix epoch.
    pub time_range: Option<(i64, i64)>,
}

fn widen(range: &mut Option<(i64, i64)>, value: i64) {
    *range = Some(match *range {
        None => (value, value),
        Some((lo, hi)) => (lo.min(value), hi.max(value)),
    });
}

fn union(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (a, None) => a,
        (None, b) => b,
    }
}

impl RecordStats {
    pub fn add<R: Record>(&mut self, record: &R, frame_bytes: u64) {
        self.records += 1;
        self.record_bytes += frame_bytes;
        if let Some(key) = record.key() {
            widen(&mut self.key_range, key);
        }
        if let Some(time) = record.time() {
            widen(&mut self.time_range, timestamp_micros(&time));
        }
    }

    pub fn merge(&mut self, other: &RecordStats) {
        self.records += other.records;
        self.record_bytes += other.record_bytes;
        self.key_range = union(self.key_range, other.key_range);
        self.time_range = union(self.time_range, other.time_range);
    }
}

/// Records already framed in memory, ready to be compressed into a part by
/// [`PartWriter::write_frames`](super::PartWriter::write_frames).
///
/// This lets a producer decide part boundaries in order on one thread and
/// compress whole parts on others, with output identical to writing the same
/// records one by one.
#[derive(Debug, Default)]
pub struct FrameBuffer {
    pub(crate) bytes: Vec<u8>,
    pub(crate) stats: RecordStats,
}

impl FrameBuffer {
    pub fn new() -> FrameBuffer {
        FrameBuffer::default()
    }

    /// Appends one record, length prefix first.
    pub fn push<R: Record>(&mut self, record: &R) {
        let before = self.bytes.len();
        record
            .encode_length_delimited(&mut self.bytes)
            .expect("a Vec grows as needed");
        self.stats.add(record, (self.bytes.len() - before) as u64);
    }

    pub fn stats(&self) -> &RecordStats {
        &self.stats
    }

    pub fn is_empty(&self) -> bool {
        self.stats.records == 0
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.stats = RecordStats::default();
    }
}

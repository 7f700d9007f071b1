//! The served dump: its manifest, and forward cursors over a table's parts
//! with bounded memory.
//!
//! A dump's records are in key order (duplicates adjacent), and the manifest
//! gives each part's key range, so a keyset page starts by opening the first
//! part that can hold its lower bound and decoding forward. A connection keeps
//! its cursor open between pages: the next page, whose lower bound is the key
//! the previous one ended on, continues where it stopped.

use crate::record::AnyRecord;
use crate::value::SqlError;
use pancake_proto::dump::DumpKind;
use pancake_proto::{LegacyTable, Manifest, PartReader, ReadOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub(crate) struct PartInfo {
    pub path: PathBuf,
    pub records: u64,
    pub key_range: Option<[i64; 2]>,
}

/// The parts of one table, in order, empty ones left out.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableParts {
    pub parts: Vec<PartInfo>,
}

impl TableParts {
    pub(crate) fn records(&self) -> u64 {
        self.parts.iter().map(|p| p.records).sum()
    }

    pub(crate) fn key_range(&self) -> Option<(i64, i64)> {
        self.parts
            .iter()
            .filter_map(|p| p.key_range)
            .fold(None, |acc, [lo, hi]| match acc {
                None => Some((lo, hi)),
                Some((a, b)) => Some((a.min(lo), b.max(hi))),
            })
    }

    /// The first part that may hold a key satisfying `lower`.
    fn first_part_for(&self, lower: Option<Bound>) -> usize {
        let Some(lower) = lower else { return 0 };
        self.parts
            .iter()
            .position(|p| match p.key_range {
                Some([_, hi]) => lower.admits(hi),
                // A part without a key range: read it to be sure.
                None => true,
            })
            .unwrap_or(self.parts.len())
    }
}

/// A lower or upper bound on keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    pub key: i64,
    pub inclusive: bool,
}

impl Bound {
    /// As a lower bound: does `key` satisfy it?
    pub(crate) fn admits(self, key: i64) -> bool {
        if self.inclusive {
            key >= self.key
        } else {
            key > self.key
        }
    }

    /// As an upper bound: does `key` satisfy it?
    pub(crate) fn admits_below(self, key: i64) -> bool {
        if self.inclusive {
            key <= self.key
        } else {
            key < self.key
        }
    }
}

/// What the server knows of its dump without opening a part.
#[derive(Debug)]
pub(crate) struct DumpIndex {
    pub tables: HashMap<LegacyTable, TableParts>,
    pub snapshot_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Parts opened and records decoded, by every connection.
    pub parts_opened: AtomicU64,
    pub records_decoded: AtomicU64,
}

impl DumpIndex {
    pub(crate) fn load(dir: &Path) -> std::io::Result<DumpIndex> {
        let manifest = Manifest::load(dir).map_err(std::io::Error::other)?;
        let mut tables = HashMap::new();
        for entry in &manifest.tables {
            let Some(table) = LegacyTable::ALL
                .into_iter()
                .find(|t| t.name() == entry.name)
            else {
                continue;
            };
            let parts = entry
                .parts
                .iter()
                .filter(|p| p.records > 0)
                .map(|p| PartInfo {
                    path: dir.join(&p.file),
                    records: p.records,
                    key_range: p.key_range,
                })
                .collect();
            tables.insert(table, TableParts { parts });
        }
        let snapshot_at = manifest
            .snapshot_at
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&chrono::Utc));
        Ok(DumpIndex {
            tables,
            snapshot_at,
            parts_opened: AtomicU64::new(0),
            records_decoded: AtomicU64::new(0),
        })
    }

    pub(crate) fn parts(&self, table: LegacyTable) -> &TableParts {
        static EMPTY: TableParts = TableParts { parts: Vec::new() };
        self.tables.get(&table).unwrap_or(&EMPTY)
    }
}

fn dump_error(e: impl std::fmt::Display) -> SqlError {
    SqlError::server(format!("The TDS test server cannot read its dump: {e}"))
}

/// A forward reader over one table's records.
pub(crate) struct Cursor {
    table: LegacyTable,
    /// The part the reader reads.
    part: usize,
    reader: Option<PartReader>,
    peeked: Option<AnyRecord>,
    /// Every record before the cursor's position has a key at most this;
    /// `None` when the position is the table's first record.
    floor: Option<i64>,
}

impl Cursor {
    pub(crate) fn new(table: LegacyTable) -> Cursor {
        Cursor {
            table,
            part: 0,
            reader: None,
            peeked: None,
            floor: None,
        }
    }

    /// Positions the cursor for a scan of keys from `lower`, reusing the
    /// open position when nothing before it can satisfy `lower`. Returns
    /// whether the open position was kept.
    pub(crate) fn seek(&mut self, parts: &TableParts, lower: Option<Bound>) -> bool {
        let target = parts.first_part_for(lower);
        let reusable = match (self.floor, lower) {
            // At the very start: every scan may begin here.
            (None, _) => self.part == 0,
            (Some(_), None) => false,
            // Nothing before the position satisfies `lower`.
            (Some(floor), Some(lower)) => !lower.admits(floor),
        };
        if reusable && target <= self.part {
            return true;
        }
        // Otherwise start over at the target part (when the position was
        // reusable but the target is further on, the rest of this part holds
        // no wanted key: jump).
        self.part = target;
        self.reader = None;
        self.peeked = None;
        self.floor = target
            .checked_sub(1)
            .and_then(|p| parts.parts[..=p].iter().rev().find_map(|p| p.key_range))
            .map(|[_, hi]| hi);
        false
    }

    /// The record at the cursor, reading it if needed; `None` at the end of
    /// the table.
    pub(crate) fn peek(&mut self, dump: &DumpIndex) -> Result<Option<&AnyRecord>, SqlError> {
        if self.peeked.is_none() {
            self.peeked = self.read_next(dump)?;
        }
        Ok(self.peeked.as_ref())
    }

    /// Moves past the record [`peek`](Cursor::peek) returned.
    pub(crate) fn consume(&mut self) {
        if let Some(r) = self.peeked.take() {
            self.floor = Some(r.key());
        }
    }

    fn read_next(&mut self, dump: &DumpIndex) -> Result<Option<AnyRecord>, SqlError> {
        let parts = dump.parts(self.table);
        loop {
            if self.part >= parts.parts.len() {
                return Ok(None);
            }
            if self.reader.is_none() {
                let info = &parts.parts[self.part];
                let options = ReadOptions {
                    kind: Some(DumpKind::LegacyDump),
                    table: Some(self.table.name().to_owned()),
                    record_type: Some(self.table.record_type().to_owned()),
                    ..ReadOptions::default()
                };
                self.reader = Some(PartReader::open(&info.path, &options).map_err(dump_error)?);
                dump.parts_opened.fetch_add(1, Ordering::Relaxed);
            }
            let reader = self.reader.as_mut().expect("opened above");
            match reader.next_frame().map_err(dump_error)? {
                Some(bytes) => {
                    dump.records_decoded.fetch_add(1, Ordering::Relaxed);
                    let record = AnyRecord::decode(self.table, bytes).map_err(|e| {
                        dump_error(format!(
                            "{}: record {}: {e}",
                            reader.path().display(),
                            reader.records_read().saturating_sub(1)
                        ))
                    })?;
                    if let Some(floor) = self.floor
                        && record.key() < floor
                    {
                        return Err(dump_error(format!(
                            "{}: record {} has key {} after key {floor}: the TDS test server serves only dumps in key order",
                            reader.path().display(),
                            reader.records_read().saturating_sub(1),
                            record.key()
                        )));
                    }
                    return Ok(Some(record));
                }
                None => {
                    self.reader = None;
                    self.part += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(ranges: &[[i64; 2]]) -> TableParts {
        TableParts {
            parts: ranges
                .iter()
                .map(|r| PartInfo {
                    path: PathBuf::new(),
                    records: 10,
                    key_range: Some(*r),
                })
                .collect(),
        }
    }

    #[test]
    fn finds_the_first_part_for_a_lower_bound() {
        let p = parts(&[[1, 10], [10, 20], [21, 30]]);
        let gt = |key| {
            Some(Bound {
                key,
                inclusive: false,
            })
        };
        let ge = |key| {
            Some(Bound {
                key,
                inclusive: true,
            })
        };
        assert_eq!(p.first_part_for(None), 0);
        assert_eq!(p.first_part_for(gt(0)), 0);
        // Key 10 straddles parts 0 and 1.
        assert_eq!(p.first_part_for(ge(10)), 0);
        assert_eq!(p.first_part_for(gt(10)), 1);
        assert_eq!(p.first_part_for(gt(20)), 2);
        assert_eq!(p.first_part_for(gt(30)), 3);
        assert_eq!(p.key_range(), Some((1, 30)));
    }

    #[test]
    fn keeps_the_position_only_when_nothing_before_it_is_wanted() {
        let p = parts(&[[1, 10], [11, 20]]);
        let mut c = Cursor::new(LegacyTable::Members);
        assert!(c.seek(&p, None));
        c.floor = Some(5);
        assert!(c.seek(
            &p,
            Some(Bound {
                key: 5,
                inclusive: false
            })
        ));
        assert!(c.seek(
            &p,
            Some(Bound {
                key: 7,
                inclusive: false
            })
        ));
        assert!(!c.seek(
            &p,
            Some(Bound {
                key: 5,
                inclusive: true
            })
        ));
        assert_eq!(c.floor, None);
        c.floor = Some(5);
        assert!(!c.seek(
            &p,
            Some(Bound {
                key: 15,
                inclusive: false
            })
        ));
        assert_eq!((c.part, c.floor), (1, Some(10)));
    }
}

//! One part against its trailer and its manifest entry, and the readers
//! that count what a part holds.

use super::{Depth, Problem};
use crate::manifest::{PartEntry, TableEntry};
use crate::part::{PartError, PartReader, ReadOptions, RecordStats, checksum_hex, part_file_name};
use crate::record::Record;
use crate::{events, legacy};
use std::collections::BTreeMap;
use std::path::Path;

/// Records per enum number: an event part's records by
/// [`EventKind`](crate::events::EventKind), a reject part's by
/// [`RejectReason`](crate::events::RejectReason). Empty for other parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueCounts {
    /// Numbers 0..16, the ones in use, without a map lookup per record.
    small: [u64; 16],
    other: BTreeMap<i32, u64>,
}

impl ValueCounts {
    pub fn add(&mut self, value: i32) {
        match usize::try_from(value) {
            Ok(i) if i < self.small.len() => self.small[i] += 1,
            _ => *self.other.entry(value).or_default() += 1,
        }
    }

    pub fn merge(&mut self, other: &ValueCounts) {
        for (a, b) in self.small.iter_mut().zip(&other.small) {
            *a += b;
        }
        for (&value, &n) in &other.other {
            *self.other.entry(value).or_default() += n;
        }
    }

    /// The numbers seen, with how often, in numeric order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        let small = (0..self.small.len()).map(|i| (i as i32, self.small[i]));
        let mut all: Vec<(i32, u64)> = small
            .chain(self.other.iter().map(|(&v, &n)| (v, n)))
            .filter(|&(_, n)| n > 0)
            .collect();
        all.sort_unstable();
        all.into_iter()
    }
}

pub(super) fn check_part(
    dir: &Path,
    kind: crate::dump::DumpKind,
    table: &TableEntry,
    index: usize,
    part: &PartEntry,
    depth: Depth,
) -> Result<(RecordStats, ValueCounts), Problem> {
    let problem = |reason: String| Problem {
        table: Some(table.name.clone()),
        file: Some(part.file.clone()),
        reason,
    };
    // The manifest decides which file is read: never let it point elsewhere.
    if !is_folder_name(&table.name) {
        return Err(problem(format!(
            "the table name {:?} is not a folder name inside the dump; the manifest was altered",
            table.name
        )));
    }
    let expected_file = part_file_name(&table.name, index as u32);
    if part.number as usize != index || part.file != expected_file {
        return Err(problem(format!(
            "the manifest lists part {} as {:?} at position {index}; expected part {index} in {expected_file:?}",
            part.number, part.file
        )));
    }
    let path = dir.join(&part.file);
    let size = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(problem(
                "missing: the manifest lists it but there is no such file".into(),
            ));
        }
        Err(e) => return Err(problem(format!("cannot read it: {e}"))),
    };
    let options = ReadOptions {
        kind: Some(kind),
        table: Some(table.name.clone()),
        record_type: Some(table.record_type.clone()),
        part_number: Some(index as u32),
        max_record_bytes: None,
    };
    let part_error = |e: PartError| {
        // The error already names the file; keep only what follows it.
        let text = e.to_string();
        let prefix = format!("{}: ", e.path().display());
        problem(text.strip_prefix(&prefix).unwrap_or(&text).to_owned())
    };
    let (stats, values, trailer) = match depth {
        Depth::Records => read_counts(&path, &options).map_err(part_error)?,
        Depth::Frames => {
            let trailer = PartReader::open(&path, &options)
                .and_then(|mut reader| reader.check_to_end())
                .map_err(part_error)?;
            let stats = RecordStats {
                records: trailer.record_count,
                record_bytes: trailer.record_bytes,
                ..RecordStats::default()
            };
            (stats, ValueCounts::default(), trailer)
        }
    };
    let mut mismatches = entry_disagreements(part, &trailer, size);
    let mut differ = |what: &str, manifest: String, part: String| {
        if manifest != part {
            mismatches.push(format!(
                "{what} is {manifest} in the manifest but {part} in the part"
            ));
        }
    };
    if depth == Depth::Records {
        differ(
            "the key range",
            format!("{:?}", part.key_range),
            format!("{:?}", stats.key_range.map(|(a, b)| [a, b])),
        );
        let times = crate::manifest::PartEntry::new(0, String::new(), 0, 0, &stats).time_range;
        differ(
            "the time range",
            format!("{:?}", part.time_range),
            format!("{times:?}"),
        );
    }
    if mismatches.is_empty() {
        Ok((stats, values))
    } else {
        Err(problem(format!(
            "the manifest disagrees with the part: {}; the manifest or the part was altered after writing",
            mismatches.join("; ")
        )))
    }
}

/// Where a part's manifest entry and what the part holds (its trailer, its
/// size on disk) disagree, each in `pancake verify`'s words; empty when
/// they agree. For a stage that checks a part before it acts on it.
pub fn entry_disagreements(
    entry: &PartEntry,
    trailer: &crate::dump::PartTrailer,
    size: u64,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, manifest: String, part: String| {
        if manifest != part {
            out.push(format!(
                "{what} is {manifest} in the manifest but {part} in the part"
            ));
        }
    };
    differ(
        "the size in bytes",
        entry.bytes.to_string(),
        size.to_string(),
    );
    differ(
        "the record count",
        entry.records.to_string(),
        trailer.record_count.to_string(),
    );
    differ(
        "the record bytes",
        entry.record_bytes.to_string(),
        trailer.record_bytes.to_string(),
    );
    differ(
        "the checksum",
        entry.checksum.clone(),
        checksum_hex(trailer.checksum),
    );
    out
}

/// Reads a whole part, decoding every record by the type its header names.
pub fn read_stats(
    path: &Path,
    options: &ReadOptions,
) -> Result<(RecordStats, crate::dump::PartTrailer), PartError> {
    read_counts(path, options).map(|(stats, _, trailer)| (stats, trailer))
}

/// [`read_stats`], and in the same pass the records by event kind (a part of
/// events) or by reject reason (a part of rejects).
pub fn read_counts(
    path: &Path,
    options: &ReadOptions,
) -> Result<(RecordStats, ValueCounts, crate::dump::PartTrailer), PartError> {
    let mut reader = PartReader::open(path, options)?;
    fn count<R: Record>(
        reader: &mut PartReader,
        value: impl Fn(&R) -> Option<i32>,
    ) -> Result<(RecordStats, ValueCounts), PartError> {
        let mut stats = RecordStats::default();
        let mut values = ValueCounts::default();
        while let Some(record) = reader.next_record::<R>()? {
            let len = record.encoded_len();
            stats.add(&record, (prost::length_delimiter_len(len) + len) as u64);
            if let Some(value) = value(&record) {
                values.add(value);
            }
        }
        Ok((stats, values))
    }
    fn none<R>(_: &R) -> Option<i32> {
        None
    }
    let record_type = reader.header().record_type.clone();
    let (stats, values) = match record_type.as_str() {
        legacy::Member::TYPE_NAME => count::<legacy::Member>(&mut reader, none),
        legacy::Flirt::TYPE_NAME => count::<legacy::Flirt>(&mut reader, none),
        legacy::Message::TYPE_NAME => count::<legacy::Message>(&mut reader, none),
        legacy::Block::TYPE_NAME => count::<legacy::Block>(&mut reader, none),
        legacy::Favorite::TYPE_NAME => count::<legacy::Favorite>(&mut reader, none),
        legacy::ProfileVisit::TYPE_NAME => count::<legacy::ProfileVisit>(&mut reader, none),
        legacy::Photo::TYPE_NAME => count::<legacy::Photo>(&mut reader, none),
        legacy::PhotoLike::TYPE_NAME => count::<legacy::PhotoLike>(&mut reader, none),
        legacy::SearchProfile::TYPE_NAME => count::<legacy::SearchProfile>(&mut reader, none),
        legacy::DirtyRow::TYPE_NAME => count::<legacy::DirtyRow>(&mut reader, none),
        events::Event::TYPE_NAME => count::<events::Event>(&mut reader, |e| Some(e.kind)),
        events::Reject::TYPE_NAME => count::<events::Reject>(&mut reader, |r| Some(r.reason)),
        _ => Err(PartError::UnknownRecordType {
            path: path.to_path_buf(),
            record_type,
        }),
    }?;
    let trailer = reader.trailer().cloned().expect("read to the end");
    Ok((stats, values, trailer))
}

/// True when `name` is one plain path component, so that `dir/name` is a
/// folder inside `dir`.
pub(super) fn is_folder_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!(components.next(), Some(std::path::Component::Normal(n)) if n == name)
        && components.next().is_none()
}

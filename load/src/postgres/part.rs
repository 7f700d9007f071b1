//! Reading one part of the stream for the loader: each record decoded
//! once into the rows of every module that wants the part, and the part
//! checked before any of it is written: proto's reader holds it to its
//! trailer (record count, record bytes, checksum, a clean end), and here
//! the trailer and the file are held to the manifest's entry, whose counts
//! the load reports and whose checksums name the stream.

use super::PgError;
use super::payload::PayloadCodec;
use super::project::{PartCopies, PartRows};
use crate::merge::MergeError;
use crate::modules::ModuleSpec;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::part::part_file_name;
use pancake_proto::verify::entry_disagreements;
use pancake_proto::{PartEntry, PartReader, ReadOptions};
use std::path::Path;
use std::sync::Arc;

/// A part to load: its table, its manifest entry, and the modules (by
/// index) that have not loaded it yet.
#[derive(Debug, Clone)]
pub struct PartWork {
    pub table: String,
    pub entry: PartEntry,
    pub wanted: Vec<usize>,
}

/// One module's rows from one part.
pub struct Unit {
    pub module: usize,
    pub table: String,
    pub part: u32,
    pub events: u64,
    pub copies: PartCopies,
}

/// Reads one part of the stream in `dir` and builds the rows of every
/// module in `work.wanted` (`codecs[m]`: how module `m` compresses its
/// payloads, if it does). Returns the events read and the units, only
/// once the whole part checked out.
pub fn decode(
    dir: &Path,
    work: &PartWork,
    specs: &[&'static ModuleSpec],
    codecs: &[Option<Arc<PayloadCodec>>],
) -> Result<(u64, Vec<Unit>), PgError> {
    let (table, entry) = (&work.table, &work.entry);
    let mismatch = |problems: Vec<String>| PgError::PartMismatch {
        dir: dir.to_owned(),
        file: entry.file.clone(),
        table: table.clone(),
        part: entry.number,
        problems: problems.join("; "),
    };
    // The manifest decides which file is read: never let it point elsewhere.
    let expected_file = part_file_name(table, entry.number);
    if entry.file != expected_file {
        return Err(mismatch(vec![format!(
            "it lists part {} as {:?}, expected {expected_file:?}",
            entry.number, entry.file
        )]));
    }
    let path = dir.join(&entry.file);
    let options = ReadOptions {
        part_number: Some(entry.number),
        ..ReadOptions::expect::<Event>(DumpKind::EventStream, table)
    };
    let mut reader = PartReader::open(&path, &options).map_err(MergeError::from)?;
    let mut rows: Vec<(usize, PartRows, u64)> = work
        .wanted
        .iter()
        .map(|&m| {
            let rows = PartRows::with_payloads(specs[m].postgres, codecs[m].as_ref());
            (m, rows, 0)
        })
        .collect();
    let mut read = 0u64;
    while let Some(event) = reader.next_record::<Event>().map_err(MergeError::from)? {
        read += 1;
        for (m, part_rows, events) in &mut rows {
            let spec = specs[*m];
            if spec.consumes(event.kind()) {
                *events += 1;
                (spec.postgres.project)(&event, part_rows).map_err(|cause| PgError::Event {
                    file: path.clone(),
                    record: read,
                    cause,
                })?;
            }
        }
    }
    // The reader checked the records against the trailer; now the trailer
    // and the file against the manifest.
    let trailer = reader.trailer().expect("set once the records end");
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let problems = entry_disagreements(entry, trailer, size);
    if !problems.is_empty() {
        return Err(mismatch(problems));
    }
    let units = rows
        .into_iter()
        .map(|(m, part_rows, events)| Unit {
            module: m,
            table: table.clone(),
            part: entry.number,
            events,
            copies: part_rows.into_copies(specs[m].postgres),
        })
        .collect();
    Ok((read, units))
}

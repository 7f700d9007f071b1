//! What the transform's tests share: writing a legacy dump by hand or with
//! the generator, running the transform, and reading what it wrote.

// Each test file uses some of these.
#![allow(dead_code)]

use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, uuid_text};
use pancake_proto::record::event_order;
use pancake_proto::verify::{VerifyReport, verify_dump};
use pancake_proto::{
    LegacyTable, Manifest, ManifestWriter, PartEntry, PartLimits, PartReader, PartSpec, PartWriter,
    ReadOptions, Record, WriteOptions,
};
use pancake_transform::{TransformError, TransformOptions, TransformReport, transform};
use std::path::{Path, PathBuf};

/// Writes `rows` as the next part of `table` and commits it.
pub fn write_part<R: Record>(writer: &ManifestWriter, dir: &Path, table: LegacyTable, rows: &[R]) {
    let number = writer
        .snapshot()
        .table(table.name())
        .map_or(0, |t| t.parts.len() as u32);
    let spec = PartSpec::of::<R>(DumpKind::LegacyDump, table.name(), number);
    let mut part = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for row in rows {
        part.write(row).unwrap();
    }
    let entry = part.finish().unwrap();
    writer
        .commit_part(table.name(), R::TYPE_NAME, false, entry)
        .unwrap();
}

/// `tiny`, seed 1, generated into `out` in 700-row parts, so that each
/// table spans several parts.
pub fn generate_tiny(out: &Path) {
    let options = GenerateOptions {
        preset: Preset::TINY,
        scale: 1.0,
        seed: 1,
        threads: 2,
        write: WriteOptions {
            limits: PartLimits {
                max_records: 700,
                ..Default::default()
            },
            ..Default::default()
        },
    };
    generate(out, &options, false, &()).unwrap();
}

/// Transforms `input` into `out` with `threads` threads and at most
/// `part_events` events a part.
pub fn run(
    input: &Path,
    out: &Path,
    threads: usize,
    part_events: u64,
) -> Result<TransformReport, TransformError> {
    let mut options = TransformOptions::new(input.to_path_buf(), out.to_path_buf());
    options.threads = threads;
    options.part_events = part_events;
    transform(&options, &())
}

/// The records of one part of `table` in a dump of `kind`.
pub fn read_part<R: Record>(dir: &Path, kind: DumpKind, table: &str, part: &PartEntry) -> Vec<R> {
    let options = ReadOptions {
        part_number: Some(part.number),
        ..ReadOptions::expect::<R>(kind, table)
    };
    PartReader::open(&dir.join(&part.file), &options)
        .unwrap()
        .records::<R>()
        .map(Result::unwrap)
        .collect()
}

/// Every part of the tables and sidecars: file, record count and checksum.
pub fn parts(dir: &Path) -> Vec<(String, u64, String)> {
    let m = Manifest::load(dir).unwrap();
    m.tables
        .iter()
        .chain(&m.sidecars)
        .flat_map(|t| {
            t.parts
                .iter()
                .map(|p| (p.file.clone(), p.records, p.checksum.clone()))
        })
        .collect()
}

/// Each event strictly after the one before, in the loader's order.
pub fn assert_sorted(events: &[Event], what: &str) {
    for pair in events.windows(2) {
        assert!(
            event_order(&pair[0]) < event_order(&pair[1]),
            "{what}: {} is not before {}",
            uuid_text(&pair[0].event_id),
            uuid_text(&pair[1].event_id)
        );
    }
}

/// `pancake verify` of `dir`, which must find no problem.
pub fn verified(dir: &Path) -> VerifyReport {
    let report = verify_dump(dir, |_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    report
}

/// Every file below `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

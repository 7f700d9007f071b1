//! What the tests of parts, manifests and verify share: writing parts and
//! whole dumps, gzip and framing by hand, and reading what verify says.

// Each test file uses some of these.
#![allow(dead_code)]

use flate2::Compression;
use flate2::write::GzEncoder;
use pancake_proto::dump::DumpKind;
use pancake_proto::manifest::DumpKindName;
use pancake_proto::verify::{Problem, VerifyReport, verify_dump};
use pancake_proto::{
    Manifest, ManifestWriter, PartEntry, PartSpec, PartWriter, Record, WriteOptions,
};
use std::io::Write;
use std::path::Path;

/// Writes `records` as part `number` of `table` into `dir` and returns its
/// manifest entry.
pub fn write_part<R: Record>(
    dir: &Path,
    kind: DumpKind,
    table: &str,
    number: u32,
    records: &[R],
) -> PartEntry {
    let spec = PartSpec::of::<R>(kind, table, number);
    let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    assert_eq!(writer.stats().records, records.len() as u64);
    writer.finish().unwrap()
}

/// A complete legacy dump in `dir` of one table, `table`, with a part for
/// each of `parts`.
pub fn legacy_dump<R: Record>(dir: &Path, table: &str, parts: &[&[R]]) {
    let writer =
        ManifestWriter::create(dir, Manifest::new(DumpKindName::LegacyDump, "test")).unwrap();
    for (n, records) in parts.iter().enumerate() {
        let entry = write_part(dir, DumpKind::LegacyDump, table, n as u32, records);
        writer
            .commit_part(table, R::TYPE_NAME, false, entry)
            .unwrap();
    }
    writer.finish().unwrap();
}

/// The manifest kind of a dump whose parts are of `kind`.
pub fn manifest_kind(kind: DumpKind) -> DumpKindName {
    match kind {
        DumpKind::LegacyDump => DumpKindName::LegacyDump,
        DumpKind::EventStream => DumpKindName::EventStream,
        DumpKind::Unspecified => unreachable!(),
    }
}

/// `records`, each with its length prefix, as a part holds them.
pub fn frames<R: Record>(records: &[R]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        r.encode_length_delimited(&mut out).unwrap();
    }
    out
}

/// One gzip member of `content`.
pub fn gzip(content: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(content).unwrap();
    encoder.finish().unwrap()
}

/// The next number of a xorshift generator: varied test data, the same on
/// every run.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `pancake verify` of `dir`, whose manifest must load.
pub fn verify(dir: &Path) -> VerifyReport {
    verify_dump(dir, |_| {}).unwrap()
}

/// The report's problems, which must be `n`; `what` says which case it is.
pub fn problems<'a>(report: &'a VerifyReport, n: usize, what: &str) -> &'a [Problem] {
    assert_eq!(report.problems.len(), n, "{what}: {:#?}", report.problems);
    &report.problems
}

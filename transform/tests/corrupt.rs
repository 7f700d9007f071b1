//! A damaged input part stops the transform with an error that names the
//! part, leaves nothing of it behind as if finished, and once the input is
//! restored a re-run completes with exactly the bytes of a clean run.

mod common;

use common::{files_under, generate_tiny, parts, verified};
use pancake_proto::Manifest;
use pancake_transform::{TransformError, TransformReport, TransformSection};
use std::path::{Path, PathBuf};

/// Events per output part: messages (two events a row at most) get runs of
/// 150 rows, so a 700-row input part becomes 5 output parts.
const PART_EVENTS: u64 = 300;

/// A fresh tiny dump with 700-row parts (each test damages its own).
fn tiny(dir: &Path) -> PathBuf {
    let out = dir.join("tiny");
    generate_tiny(&out);
    out
}

fn run(input: &Path, out: &Path) -> Result<TransformReport, TransformError> {
    common::run(input, out, 2, PART_EVENTS)
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect()
}

/// The output parts (relative files) that input part `n` of `table` becomes.
fn outputs_of(input: &Manifest, table: &str, n: usize, rows_per_run: u64) -> Vec<String> {
    let parts = &input.table(table).unwrap().parts;
    let first: u64 = parts[..n]
        .iter()
        .map(|p| p.records.div_ceil(rows_per_run))
        .sum();
    let count = parts[n].records.div_ceil(rows_per_run);
    (first..first + count)
        .map(|i| format!("{table}/part-{i:06}.pb.gz"))
        .chain(std::iter::once(format!(
            "{table}_rejects/part-{n:06}.pb.gz"
        )))
        .collect()
}

/// Damages `messages/part-000002.pb.gz` with `damage`, checks the failed
/// run, restores the part and checks the re-run against a clean run.
fn damaged_then_restored(damage: impl FnOnce(&mut Vec<u8>)) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tiny(tmp.path());
    let input_manifest = Manifest::load(&input).unwrap();
    let messages = input_manifest.table("messages").unwrap();
    assert!(messages.parts.len() >= 4, "{}", messages.parts.len());

    // The clean run, from the same input path (the section names it).
    let clean = tmp.path().join("clean");
    let clean_report = run(&input, &clean).unwrap();

    let file = "messages/part-000002.pb.gz";
    let path = input.join(file);
    let original = std::fs::read(&path).unwrap();
    let mut bytes = original.clone();
    damage(&mut bytes);
    assert_ne!(bytes, original);
    std::fs::write(&path, &bytes).unwrap();

    let out = tmp.path().join("events");
    let error = run(&input, &out).expect_err("a damaged part must stop the transform");
    let text = error.to_string();
    assert!(text.contains(file), "the error names the part: {text}");
    assert!(
        !matches!(error, TransformError::Cancelled),
        "the error is the damage, not the cancellation: {text}"
    );

    // Nothing of the failed input part is listed, and the run is unfinished.
    let failed = Manifest::load(&out).unwrap();
    assert!(!failed.complete);
    let section: TransformSection =
        serde_json::from_value(failed.sections["transform"].clone()).unwrap();
    assert!(section.tables["messages"].parts_done <= 2, "{section:?}");
    let listed: Vec<String> = parts(&out).into_iter().map(|(file, ..)| file).collect();
    let of_failed = outputs_of(&input_manifest, "messages", 2, PART_EVENTS / 2);
    assert_eq!(of_failed.len(), 6, "{of_failed:?}");
    for f in &of_failed {
        assert!(!listed.contains(f), "{f} of the damaged part is listed");
        assert!(!out.join(f).exists(), "{f} of the damaged part is on disk");
    }
    // The accounting covers only what is listed.
    let listed_rejects = failed.any_table("messages_rejects").unwrap().parts.len();
    assert_eq!(
        listed_rejects as u64, section.tables["messages"].parts_done,
        "one rejects part per committed input part"
    );
    assert!(temp_files(&out).is_empty(), "{:?}", temp_files(&out));

    // Restored, a re-run finishes, and holds what a clean run holds.
    std::fs::write(&path, &original).unwrap();
    let report = run(&input, &out).unwrap();
    let started = section.tables.values().any(|t| t.parts_done > 0);
    assert_eq!(report.resumed, started);
    assert!(Manifest::load(&out).unwrap().complete);
    assert_eq!(parts(&out), parts(&clean));
    assert_eq!(report.section, clean_report.section);
    assert!(temp_files(&out).is_empty(), "{:?}", temp_files(&out));
    // No stray files: exactly the listed parts and the manifest.
    let mut on_disk: Vec<PathBuf> = files_under(&out);
    on_disk.sort();
    let mut wanted: Vec<PathBuf> = parts(&out).iter().map(|(f, ..)| out.join(f)).collect();
    wanted.push(out.join("manifest.json"));
    wanted.sort();
    assert_eq!(on_disk, wanted);
    verified(&out);
}

#[test]
fn a_truncated_part_stops_the_run_and_a_rerun_after_restoring_it_matches_a_clean_run() {
    damaged_then_restored(|bytes| bytes.truncate(bytes.len() / 2));
}

#[test]
fn a_flipped_byte_stops_the_run_and_a_rerun_after_restoring_it_matches_a_clean_run() {
    damaged_then_restored(|bytes| flip_middle_byte(bytes));
}

fn flip_middle_byte(bytes: &mut [u8]) {
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
}

#[test]
fn a_damaged_members_part_stops_the_run_before_any_event_is_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tiny(tmp.path());
    let file = "members/part-000000.pb.gz";
    let path = input.join(file);
    let mut bytes = std::fs::read(&path).unwrap();
    flip_middle_byte(&mut bytes);
    std::fs::write(&path, &bytes).unwrap();

    let out = tmp.path().join("events");
    let error = run(&input, &out).expect_err("the members index cannot be built");
    assert!(error.to_string().contains(file), "{error}");
    let m = Manifest::load(&out).unwrap();
    assert!(!m.complete);
    let listed = parts(&out);
    assert!(listed.is_empty(), "{listed:?}");
    assert!(temp_files(&out).is_empty());
}

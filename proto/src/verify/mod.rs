//! Checking a dump: every part against its trailer, and the manifest against
//! the parts.
//!
//! Parts are read in parallel and every record is decoded, so a key or time
//! range in the manifest that the records do not bear out is caught too.
//!
//! An event stream's `transform` section is checked against itself and
//! against the parts: while the parts are decoded, events are counted by kind
//! and rejects by reason (in the same pass, holding no records), and the
//! counts must be the ones the transform wrote down.
//!
//! - this module: [`verify_dump`], [`check_parts`] and what they report
//!   ([`VerifyReport`], [`Problem`]), and the files a manifest does not list;
//! - `part`: one part against its trailer and its manifest entry, and the
//!   readers that count a part's records ([`read_counts`]);
//! - `balance`: an event stream's `transform` section against itself and
//!   against what the parts hold.

mod balance;
mod part;

pub use crate::accounting::{TableAccount, TransformSection};
pub use part::{ValueCounts, entry_disagreements, read_counts, read_stats};

use crate::manifest::{DumpKindName, Manifest, ManifestError, PartEntry, TableEntry};
use crate::part::RecordStats;
use balance::check_accounting;
use part::{check_part, is_folder_name};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One thing wrong with a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Table or sidecar, if the problem is in one.
    pub table: Option<String>,
    /// The part file, relative to the dump, if the problem is in one.
    pub file: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, &self.table) {
            (Some(file), _) => write!(f, "{file}: {}", self.reason),
            (None, Some(table)) => write!(f, "{table}: {}", self.reason),
            (None, None) => f.write_str(&self.reason),
        }
    }
}

#[derive(Debug)]
pub struct VerifyReport {
    pub manifest: Manifest,
    pub parts_checked: usize,
    pub records_checked: u64,
    pub bytes_checked: u64,
    /// What makes the dump unusable. Empty means it verified.
    pub problems: Vec<Problem>,
    /// What is odd but harmless, such as files the manifest does not list.
    pub warnings: Vec<Problem>,
    /// An event stream's `transform` section, when it was read and its
    /// accounting checked (any mismatch is among `problems`).
    pub transform: Option<TransformSection>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the dump in `dir`. `on_part` is called with each part's record
/// count as it is checked, for progress. Fails only when the manifest itself
/// cannot be read; everything else becomes a [`Problem`].
pub fn verify_dump(
    dir: &Path,
    on_part: impl Fn(u64) + Sync,
) -> Result<VerifyReport, ManifestError> {
    let manifest = Manifest::load(dir)?;
    let mut problems = Vec::new();
    if !manifest.complete {
        problems.push(Problem {
            table: None,
            file: None,
            reason: "the manifest is not marked complete: the run that wrote this dump did not finish; re-run it to resume".into(),
        });
    }
    let kind = manifest.kind.proto();
    let jobs: Vec<(&TableEntry, usize, &PartEntry)> = manifest
        .all_tables()
        .flat_map(|t| t.parts.iter().enumerate().map(move |(i, p)| (t, i, p)))
        .collect();
    let results: Vec<Result<(RecordStats, ValueCounts), Problem>> = jobs
        .par_iter()
        .map(|&(table, index, part)| {
            let result = check_part(dir, kind, table, index, part, Depth::Records);
            if let Ok((stats, _)) = &result {
                on_part(stats.records);
            }
            result
        })
        .collect();
    let mut records_checked = 0;
    let mut bytes_checked = 0;
    // What each table and sidecar holds, from its parts as decoded.
    let mut held: HashMap<&str, Held> = manifest
        .all_tables()
        .map(|t| (t.name.as_str(), Held::default()))
        .collect();
    for (result, (table, _, part)) in results.into_iter().zip(&jobs) {
        let held = held.get_mut(table.name.as_str()).expect("listed above");
        match result {
            Ok((stats, values)) => {
                records_checked += stats.records;
                bytes_checked += part.bytes;
                held.records += stats.records;
                held.values.merge(&values);
            }
            Err(problem) => {
                held.damaged = true;
                problems.push(problem);
            }
        }
    }
    let mut transform = None;
    if manifest.kind == DumpKindName::EventStream
        && let Some(section) = manifest.sections.get(TransformSection::NAME)
    {
        match TransformSection::from_json(section) {
            Ok(section) => {
                problems.extend(check_accounting(&manifest, &section, &held));
                transform = Some(section);
            }
            Err(e) => problems.push(Problem {
                table: None,
                file: None,
                reason: format!(
                    "the manifest's transform section cannot be read: {e}; it was damaged or edited by hand: re-run the transform"
                ),
            }),
        }
    }
    let warnings = stray_files(dir, &manifest);
    Ok(VerifyReport {
        parts_checked: jobs.len(),
        records_checked,
        bytes_checked,
        problems,
        warnings,
        transform,
        manifest,
    })
}

/// How deeply [`check_parts`] reads a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Every frame against the trailer (count, checksum, a clean end), and
    /// the trailer and the file size against the manifest, without decoding
    /// the records: a third to a half of the cost of `Records`.
    Frames,
    /// As `Frames`, with every record decoded, so that the manifest's key
    /// and time ranges are checked too: what [`verify_dump`] does.
    Records,
}

/// Checks `parts` of the dump in `dir` (each a table of `manifest` and the
/// index of a part in it) against their trailers and the manifest, in
/// parallel, as [`verify_dump`] checks every part: for a stage that must
/// find damage before it acts on any of it. `on_part` is called with each
/// good part's record count. Returns the problems, in the order of `parts`.
pub fn check_parts(
    dir: &Path,
    manifest: &Manifest,
    parts: &[(&TableEntry, usize)],
    depth: Depth,
    on_part: impl Fn(u64) + Sync,
) -> Vec<Problem> {
    let kind = manifest.kind.proto();
    parts
        .par_iter()
        .filter_map(|&(table, index)| {
            let part = table.parts.get(index)?;
            match check_part(dir, kind, table, index, part, depth) {
                Ok((stats, _)) => {
                    on_part(stats.records);
                    None
                }
                Err(problem) => Some(problem),
            }
        })
        .collect()
}

/// What one table or sidecar holds, summed over its parts.
#[derive(Debug, Default)]
struct Held {
    records: u64,
    values: ValueCounts,
    /// A part of it failed its own check, so the sums are not the table's.
    damaged: bool,
}

/// Part files on disk that the manifest does not list.
fn stray_files(dir: &Path, manifest: &Manifest) -> Vec<Problem> {
    let mut warnings = Vec::new();
    for table in manifest.all_tables() {
        if !is_folder_name(&table.name) {
            continue;
        }
        let folder: PathBuf = dir.join(&table.name);
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let file = format!("{}/{name}", table.name);
            if table.parts.iter().any(|p| p.file == file) {
                continue;
            }
            let reason = if name.ends_with(".tmp") {
                "an unfinished part left by an interrupted run; it is ignored and replaced when the run resumes"
            } else {
                "not listed in the manifest; readers ignore it"
            };
            warnings.push(Problem {
                table: Some(table.name.clone()),
                file: Some(file),
                reason: reason.into(),
            });
        }
    }
    warnings
}

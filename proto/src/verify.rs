//! Checking a dump: every part against its trailer, and the manifest against
//! the parts.
//!
//! Parts are read in parallel and every record is decoded, so a key or time
//! range in the manifest that the records do not bear out is caught too.

use crate::manifest::{Manifest, ManifestError, PartEntry, TableEntry};
use crate::part::{PartError, PartReader, ReadOptions, RecordStats, checksum_hex, part_file_name};
use crate::record::Record;
use crate::{events, legacy};
use rayon::prelude::*;
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
        .tables
        .iter()
        .chain(&manifest.sidecars)
        .flat_map(|t| t.parts.iter().enumerate().map(move |(i, p)| (t, i, p)))
        .collect();
    let results: Vec<Result<RecordStats, Problem>> = jobs
        .par_iter()
        .map(|&(table, index, part)| {
            let result = check_part(dir, kind, table, index, part);
            if let Ok(stats) = &result {
                on_part(stats.records);
            }
            result
        })
        .collect();
    let mut records_checked = 0;
    let mut bytes_checked = 0;
    for (result, (_, _, part)) in results.into_iter().zip(&jobs) {
        match result {
            Ok(stats) => {
                records_checked += stats.records;
                bytes_checked += part.bytes;
            }
            Err(problem) => problems.push(problem),
        }
    }
    let warnings = stray_files(dir, &manifest);
    Ok(VerifyReport {
        parts_checked: jobs.len(),
        records_checked,
        bytes_checked,
        problems,
        warnings,
        manifest,
    })
}

fn check_part(
    dir: &Path,
    kind: crate::dump::DumpKind,
    table: &TableEntry,
    index: usize,
    part: &PartEntry,
) -> Result<RecordStats, Problem> {
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
    let (stats, trailer) = read_stats(&path, &options).map_err(part_error)?;
    let mut mismatches = Vec::new();
    let mut differ = |what: &str, manifest: String, part: String| {
        if manifest != part {
            mismatches.push(format!(
                "{what} is {manifest} in the manifest but {part} in the part"
            ));
        }
    };
    differ(
        "the size in bytes",
        part.bytes.to_string(),
        size.to_string(),
    );
    differ(
        "the record count",
        part.records.to_string(),
        trailer.record_count.to_string(),
    );
    differ(
        "the record bytes",
        part.record_bytes.to_string(),
        trailer.record_bytes.to_string(),
    );
    differ(
        "the checksum",
        part.checksum.clone(),
        checksum_hex(trailer.checksum),
    );
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
    if mismatches.is_empty() {
        Ok(stats)
    } else {
        Err(problem(format!(
            "the manifest disagrees with the part: {}; the manifest or the part was altered after writing",
            mismatches.join("; ")
        )))
    }
}

/// Reads a whole part, decoding every record by the type its header names.
pub fn read_stats(
    path: &Path,
    options: &ReadOptions,
) -> Result<(RecordStats, crate::dump::PartTrailer), PartError> {
    let mut reader = PartReader::open(path, options)?;
    fn count<R: Record>(reader: &mut PartReader) -> Result<RecordStats, PartError> {
        let mut stats = RecordStats::default();
        while let Some(record) = reader.next_record::<R>()? {
            let len = record.encoded_len();
            stats.add(&record, (prost::length_delimiter_len(len) + len) as u64);
        }
        Ok(stats)
    }
    let record_type = reader.header().record_type.clone();
    let stats = match record_type.as_str() {
        legacy::Member::TYPE_NAME => count::<legacy::Member>(&mut reader),
        legacy::Flirt::TYPE_NAME => count::<legacy::Flirt>(&mut reader),
        legacy::Message::TYPE_NAME => count::<legacy::Message>(&mut reader),
        legacy::Block::TYPE_NAME => count::<legacy::Block>(&mut reader),
        legacy::Favorite::TYPE_NAME => count::<legacy::Favorite>(&mut reader),
        legacy::ProfileVisit::TYPE_NAME => count::<legacy::ProfileVisit>(&mut reader),
        legacy::Photo::TYPE_NAME => count::<legacy::Photo>(&mut reader),
        legacy::PhotoLike::TYPE_NAME => count::<legacy::PhotoLike>(&mut reader),
        legacy::DirtyRow::TYPE_NAME => count::<legacy::DirtyRow>(&mut reader),
        events::Event::TYPE_NAME => count::<events::Event>(&mut reader),
        _ => Err(PartError::UnknownRecordType {
            path: path.to_path_buf(),
            record_type,
        }),
    }?;
    let trailer = reader.trailer().cloned().expect("read to the end");
    Ok((stats, trailer))
}

/// True when `name` is one plain path component, so that `dir/name` is a
/// folder inside `dir`.
fn is_folder_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!(components.next(), Some(std::path::Component::Normal(n)) if n == name)
        && components.next().is_none()
}

/// Part files on disk that the manifest does not list.
fn stray_files(dir: &Path, manifest: &Manifest) -> Vec<Problem> {
    let mut warnings = Vec::new();
    for table in manifest.tables.iter().chain(&manifest.sidecars) {
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

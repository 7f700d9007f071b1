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

use crate::accounting::REJECTS_SUFFIX;
pub use crate::accounting::{TableAccount, TransformSection};
use crate::events::{EventKind, RejectReason};
use crate::manifest::{DumpKindName, Manifest, ManifestError, PartEntry, TableEntry};
use crate::names::{EVENT_KINDS, REJECT_REASONS, kind_name, reason_name};
use crate::part::{PartError, PartReader, ReadOptions, RecordStats, checksum_hex, part_file_name};
use crate::record::Record;
use crate::{events, legacy};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
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
        .tables
        .iter()
        .chain(&manifest.sidecars)
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
        .tables
        .iter()
        .chain(&manifest.sidecars)
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

/// What one table or sidecar holds, summed over its parts.
#[derive(Debug, Default)]
struct Held {
    records: u64,
    values: ValueCounts,
    /// A part of it failed its own check, so the sums are not the table's.
    damaged: bool,
}

const UNBALANCED: &str = "the transform's accounting does not balance: re-run the transform";
const NOT_HELD: &str = "the event stream does not hold what the transform counted (altered after writing, or a transform bug): re-run the transform";

/// Checks the transform section against itself and against what the parts
/// hold. Tables with a damaged part are only checked against themselves:
/// the damage is reported already and their sums mean nothing.
fn check_accounting(
    manifest: &Manifest,
    section: &TransformSection,
    held: &HashMap<&str, Held>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |table: Option<&str>, reason: String| {
        problems.push(Problem {
            table: table.map(str::to_owned),
            file: None,
            reason,
        })
    };
    let kind_names: Vec<&str> = EVENT_KINDS.iter().map(|&k| kind_name(k)).collect();
    let reason_names: Vec<&str> = REJECT_REASONS.iter().map(|&r| reason_name(r)).collect();

    // The section's tables in the manifest's order, then any others.
    let mut order: Vec<&str> = manifest
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .filter(|name| section.tables.contains_key(*name))
        .collect();
    for name in section.tables.keys() {
        if !order.contains(&name.as_str()) {
            order.push(name);
        }
    }
    let mut kinds_over_tables: BTreeMap<String, u64> = BTreeMap::new();
    let mut rejects_over_tables: BTreeMap<String, u64> = BTreeMap::new();
    for name in order {
        let account = &section.tables[name];
        let table = Some(name);
        for (kind, &n) in &account.events {
            add_to(&mut kinds_over_tables, kind, n);
        }
        for (reason, &n) in &account.rejects {
            add_to(&mut rejects_over_tables, reason, n);
        }

        // The section against itself.
        if account.parts_done > account.input_parts {
            problem(
                table,
                format!(
                    "{} done but the input has only {}; {UNBALANCED}",
                    count(account.parts_done, "input part"),
                    account.input_parts
                ),
            );
        } else if manifest.complete && account.parts_done < account.input_parts {
            problem(
                table,
                format!(
                    "the event stream is marked complete but only {} of its {} input parts were transformed; re-run the transform to finish it",
                    account.parts_done, account.input_parts
                ),
            );
        }
        let accounted = account.rows_with_events.saturating_add(account.rejected);
        if account.rows != accounted {
            problem(
                table,
                format!(
                    "{} read but {} with events + {} rejected = {accounted}; {UNBALANCED}",
                    count(account.rows, "row"),
                    account.rows_with_events,
                    account.rejected
                ),
            );
        }
        let by_reason = total(&account.rejects);
        if account.rejected != by_reason {
            problem(
                table,
                format!(
                    "{} rejected but its rejects by reason add up to {by_reason} ({}); {UNBALANCED}",
                    count(account.rejected, "row"),
                    listing(&account.rejects, &reason_names),
                ),
            );
        }

        // The section against the events.
        let counted_events = total(&account.events);
        match held.get(name) {
            None if manifest.any_table(name).is_none() => problem(
                table,
                format!(
                    "the transform counts {} but the event stream has no such table; {NOT_HELD}",
                    count(counted_events, "event")
                ),
            ),
            None => {}
            Some(events) if events.damaged => {}
            Some(events) => {
                let in_parts: BTreeMap<String, u64> = events
                    .values
                    .iter()
                    .map(|(kind, n)| (event_kind_name(kind), n))
                    .collect();
                let diffs = differences(&account.events, &in_parts, &kind_names, "in the parts");
                if events.records != counted_events {
                    problem(
                        table,
                        format!(
                            "the transform counts {} but its parts hold {}{}; {NOT_HELD}",
                            count(counted_events, "event"),
                            events.records,
                            in_brackets(&diffs)
                        ),
                    );
                } else if !diffs.is_empty() {
                    problem(
                        table,
                        format!(
                            "its parts hold the {} the transform counts, but not of the kinds it counts: {}; {NOT_HELD}",
                            count(counted_events, "event"),
                            diffs.join("; ")
                        ),
                    );
                }
            }
        }

        // The section against the rejects sidecar.
        let sidecar = TransformSection::rejects_sidecar(name);
        match held.get(sidecar.as_str()) {
            None if account.rejected > 0 || by_reason > 0 => problem(
                table,
                format!(
                    "{} rejected but the event stream has no sidecar {sidecar}; {NOT_HELD}",
                    count(account.rejected, "row")
                ),
            ),
            None => {}
            Some(rejects) if rejects.damaged => {}
            Some(rejects) => {
                let in_sidecar: BTreeMap<String, u64> = rejects
                    .values
                    .iter()
                    .map(|(reason, n)| (reject_reason_name(reason), n))
                    .collect();
                let where_ = format!("in {sidecar}");
                let diffs = differences(&account.rejects, &in_sidecar, &reason_names, &where_);
                if rejects.records != account.rejected {
                    problem(
                        table,
                        format!(
                            "{} rejected but the sidecar {sidecar} holds {}{}; {NOT_HELD}",
                            count(account.rejected, "row"),
                            count(rejects.records, "reject"),
                            in_brackets(&diffs)
                        ),
                    );
                } else if !diffs.is_empty() {
                    problem(
                        table,
                        format!(
                            "the sidecar {sidecar} holds the {} the transform counts, but not for the reasons it counts: {}; {NOT_HELD}",
                            count(account.rejected, "reject"),
                            diffs.join("; ")
                        ),
                    );
                }
            }
        }
    }

    // Data the section does not account for.
    for table in &manifest.tables {
        let records = held.get(table.name.as_str()).map_or(0, |h| h.records);
        if records > 0 && !section.tables.contains_key(&table.name) {
            problem(
                Some(&table.name),
                format!(
                    "holds {} that the transform section does not account for; {NOT_HELD}",
                    count(records, "event")
                ),
            );
        }
    }
    for sidecar in &manifest.sidecars {
        let Some(of) = sidecar.name.strip_suffix(REJECTS_SUFFIX) else {
            continue;
        };
        let records = held.get(sidecar.name.as_str()).map_or(0, |h| h.records);
        if records > 0 && !section.tables.contains_key(of) {
            problem(
                Some(&sidecar.name),
                format!(
                    "holds {} of a table {of:?} that the transform section does not account for; {NOT_HELD}",
                    count(records, "reject")
                ),
            );
        }
    }

    // The totals against the tables.
    let diffs = differences(
        &section.kinds,
        &kinds_over_tables,
        &kind_names,
        "over the tables",
    );
    if !diffs.is_empty() {
        problem(
            None,
            format!(
                "the transform section's event totals are not the sums over its tables: {}; {UNBALANCED}",
                diffs.join("; ")
            ),
        );
    }
    let diffs = differences(
        &section.rejects,
        &rejects_over_tables,
        &reason_names,
        "over the tables",
    );
    if !diffs.is_empty() {
        problem(
            None,
            format!(
                "the transform section's reject totals are not the sums over its tables: {}; {UNBALANCED}",
                diffs.join("; ")
            ),
        );
    }
    problems
}

/// "1 row", "2 rows".
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn add_to(map: &mut BTreeMap<String, u64>, name: &str, n: u64) {
    let sum = map.entry(name.to_owned()).or_default();
    *sum = sum.saturating_add(n);
}

fn total(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().fold(0, |a, &b| a.saturating_add(b))
}

fn event_kind_name(kind: i32) -> String {
    match EventKind::try_from(kind) {
        Ok(EventKind::Unspecified) | Err(_) => format!("kind {kind}"),
        Ok(kind) => kind_name(kind).to_owned(),
    }
}

fn reject_reason_name(reason: i32) -> String {
    match RejectReason::try_from(reason) {
        Ok(RejectReason::Unspecified) | Err(_) => format!("reason {reason}"),
        Ok(reason) => reason_name(reason).to_owned(),
    }
}

/// The names in `counted` or `held`, the known ones in `known`'s order first.
fn names_in_order<'a>(
    known: &[&'a str],
    counted: &'a BTreeMap<String, u64>,
    held: &'a BTreeMap<String, u64>,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = known.to_vec();
    for name in counted.keys().chain(held.keys()) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

/// "null_required 5, bad_date 1": the nonzero counts, known names first.
fn listing(counts: &BTreeMap<String, u64>, known: &[&str]) -> String {
    let empty = BTreeMap::new();
    let parts: Vec<String> = names_in_order(known, counts, &empty)
        .into_iter()
        .filter_map(|name| match counts.get(name) {
            Some(&n) if n > 0 => Some(format!("{name} {n}")),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// Each name whose count differs: "registration-approved: 500 counted, 499
/// in the parts". An absent name counts zero; a name that is not one of
/// `known` is flagged as such.
fn differences(
    counted: &BTreeMap<String, u64>,
    held: &BTreeMap<String, u64>,
    known: &[&str],
    where_held: &str,
) -> Vec<String> {
    names_in_order(known, counted, held)
        .into_iter()
        .filter_map(|name| {
            let c = counted.get(name).copied().unwrap_or(0);
            let h = held.get(name).copied().unwrap_or(0);
            (c != h).then(|| {
                let unknown = if known.contains(&name) {
                    ""
                } else {
                    " (unknown)"
                };
                format!("{name}{unknown}: {c} counted, {h} {where_held}")
            })
        })
        .collect()
}

fn in_brackets(diffs: &[String]) -> String {
    if diffs.is_empty() {
        String::new()
    } else {
        format!(" ({})", diffs.join("; "))
    }
}

fn check_part(
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

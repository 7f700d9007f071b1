//! Writing a synthetic legacy dump: parallel, streaming, byte-identical for a
//! seed whatever the thread count.
//!
//! Rows are made in blocks on all threads (each row depends only on the seed
//! and its index), cut into parts in order on one thread, and the parts are
//! compressed on all threads again. Memory is a window of blocks plus the
//! parts in flight, whatever the size of the data set.

use crate::preset::Preset;
use crate::rows::{self, Generated};
use crate::world::{DIRTY_FRACTION, Dirt, SNAPSHOT, World};
use pancake_proto::dump::DumpKind;
use pancake_proto::folder::{FolderError, OutputFolder, Stage, Start};
use pancake_proto::legacy::{DirtyKind, DirtyRow};
use pancake_proto::manifest::{DumpKindName, Manifest, ManifestError, ManifestWriter};
use pancake_proto::part::FrameBuffer;
use pancake_proto::record::format_micros;
use pancake_proto::{
    IoError, LegacyTable, PartEntry, PartError, PartSpec, PartWriter, Record, WriteOptions,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The sidecar stream holding a [`DirtyRow`] mark for every dirty row.
pub const DIRTY_ROWS: &str = "dirty_rows";

/// Rows made per task; small enough to spread over threads, large enough
/// that scheduling costs nothing.
const BLOCK_ROWS: u64 = 4_096;

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub preset: Preset,
    pub scale: f64,
    pub seed: u64,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    pub write: WriteOptions,
}

impl GenerateOptions {
    /// `preset` times `scale` as `pancake generate` makes it by default:
    /// seed 1, every core, default parts.
    pub fn new(preset: Preset, scale: f64) -> GenerateOptions {
        GenerateOptions {
            preset,
            scale,
            seed: 1,
            threads: 0,
            write: WriteOptions::default(),
        }
    }
}

/// The manifest's `generator` section: how the dump was made and what dirt
/// it holds, per table and kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorSection {
    pub preset: String,
    pub scale: f64,
    pub seed: u64,
    pub compression_level: u32,
    pub part_max_records: u64,
    pub part_max_bytes: u64,
    /// The share of rows made dirty on purpose.
    pub dirty_fraction: f64,
    /// Rows written per table, duplicates included.
    pub rows: BTreeMap<String, u64>,
    /// Dirty rows per table and kind (`orphan`, `duplicate_key`, ...).
    pub dirty: BTreeMap<String, BTreeMap<String, u64>>,
}

impl GeneratorSection {
    /// Whether two dumps were asked for with the same parameters, and so are
    /// byte-identical.
    fn same_request(&self, other: &GeneratorSection) -> bool {
        (
            &self.preset,
            self.scale,
            self.seed,
            self.compression_level,
            self.part_max_records,
            self.part_max_bytes,
        ) == (
            &other.preset,
            other.scale,
            other.seed,
            other.compression_level,
            other.part_max_records,
            other.part_max_bytes,
        )
    }

    pub fn total_dirty(&self) -> u64 {
        self.dirty.values().flat_map(|k| k.values()).sum()
    }

    pub fn total_rows(&self) -> u64 {
        self.rows.values().sum()
    }

    /// Reads the section from a manifest, if it has one.
    pub fn of(manifest: &Manifest) -> Option<GeneratorSection> {
        manifest
            .sections
            .get("generator")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

/// The name a dirty kind has in reports: `orphan`, `duplicate_key`, ...
pub fn dirty_kind_name(kind: DirtyKind) -> &'static str {
    match kind {
        DirtyKind::Unspecified => "unspecified",
        DirtyKind::Orphan => "orphan",
        DirtyKind::DuplicateKey => "duplicate_key",
        DirtyKind::NullRequired => "null_required",
        DirtyKind::BadDate => "bad_date",
        DirtyKind::SelfReference => "self_reference",
        DirtyKind::LoneSurrogate => "lone_surrogate",
        DirtyKind::BadRange => "bad_range",
    }
}

#[derive(Debug)]
pub struct GenerateReport {
    pub dir: PathBuf,
    pub section: GeneratorSection,
    pub parts: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    /// True when the directory already held this exact dump, complete, and
    /// nothing was written.
    pub up_to_date: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Part(#[from] PartError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("--scale must be a positive number, got {0}")]
    BadScale(f64),
    #[error("cannot start {threads} worker threads: {detail}")]
    Threads { threads: usize, detail: String },
}

/// Progress callbacks: called from the generating thread, never concurrently.
pub trait Progress: Sync {
    fn table_started(&self, _table: LegacyTable, _rows: u64) {}
    fn rows_done(&self, _rows: u64) {}
}

impl Progress for () {}

fn section_for(options: &GenerateOptions, preset: &Preset) -> GeneratorSection {
    GeneratorSection {
        preset: preset.name.to_owned(),
        scale: options.scale,
        seed: options.seed,
        compression_level: options.write.level,
        part_max_records: options.write.limits.max_records,
        part_max_bytes: options.write.limits.max_bytes,
        dirty_fraction: DIRTY_FRACTION,
        rows: BTreeMap::new(),
        dirty: BTreeMap::new(),
    }
}

/// How `generate` treats the folder it is pointed at: a generated dump
/// can always be made again, so one cut short or made with other options is
/// replaced rather than continued or refused.
const STAGE: Stage = Stage {
    section: "generator",
    output: "generated dump",
    run: "generated dump",
    resume: false,
    replace_other_settings: true,
};

/// Why the dump in a manifest is not the one `wanted` asks for, if it is not.
fn difference(manifest: &Manifest, wanted: &GeneratorSection) -> Option<String> {
    match GeneratorSection::of(manifest) {
        None => Some("its generator section cannot be read".into()),
        Some(found) if !found.same_request(wanted) => Some(format!(
            "preset {} x{} seed {}, now preset {} x{} seed {}",
            found.preset, found.scale, found.seed, wanted.preset, wanted.scale, wanted.seed
        )),
        Some(_) => None,
    }
}

/// Generates the dump into `out`. With `force`, an identical complete dump is
/// made again instead of kept.
pub fn generate(
    out: &Path,
    options: &GenerateOptions,
    force: bool,
    progress: &dyn Progress,
) -> Result<GenerateReport, GenerateError> {
    if !(options.scale.is_finite() && options.scale > 0.0) {
        return Err(GenerateError::BadScale(options.scale));
    }
    let started = Instant::now();
    let preset = options.preset.scaled(options.scale);
    let mut section = section_for(options, &preset);
    // Held until the dump is finished (or the run fails).
    let folder = OutputFolder::lock(out)?;
    if let Start::UpToDate(manifest) = folder.prepare(&STAGE, force, |m| difference(m, &section))? {
        return Ok(GenerateReport {
            dir: out.to_path_buf(),
            section: GeneratorSection::of(&manifest).unwrap_or(section),
            parts: manifest.tables.iter().map(|t| t.parts.len()).sum(),
            bytes: manifest.tables.iter().map(|t| t.bytes()).sum(),
            elapsed: started.elapsed(),
            up_to_date: true,
        });
    }

    let mut manifest = Manifest::new(
        DumpKindName::LegacyDump,
        format!(
            "pancake generate --preset {} --scale {} --seed {}",
            options.preset.name, options.scale, options.seed
        ),
    );
    manifest.snapshot_at = Some(format_micros(SNAPSHOT * 1_000_000));
    // Written now, so that a run cut short is still known as a generated dump
    // and the next run replaces it.
    manifest.sections.insert(
        "generator".into(),
        serde_json::to_value(&section).expect("the section serializes"),
    );
    let writer = ManifestWriter::create(out, manifest)?;
    for table in LegacyTable::ALL {
        writer.declare_table(table.name(), table.record_type(), false)?;
    }
    writer.declare_table(DIRTY_ROWS, DirtyRow::TYPE_NAME, true)?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| GenerateError::Threads {
            threads: options.threads,
            detail: e.to_string(),
        })?;
    let world = World::new(options.seed, preset);
    let mut run = TableRun {
        dir: out,
        world: &world,
        write: options.write,
        manifest: &writer,
        marks: Marks::new(out, options.write),
        threads: pool.current_num_threads(),
        progress,
        section: &mut section,
    };
    pool.install(|| -> Result<(), GenerateError> {
        run.table(LegacyTable::Members, rows::member)?;
        run.table(LegacyTable::Flirts, rows::flirt)?;
        run.table(LegacyTable::Messages, rows::message)?;
        run.table(LegacyTable::Blocks, rows::block)?;
        run.table(LegacyTable::Favorites, rows::favorite)?;
        run.table(LegacyTable::ProfileVisits, rows::profile_visit)?;
        run.table(LegacyTable::Photos, rows::photo)?;
        run.table(LegacyTable::PhotoLikes, rows::photo_like)?;
        run.table(LegacyTable::SearchProfiles, rows::search_profile)?;
        Ok(())
    })?;
    run.marks.finish(&writer)?;

    let value = serde_json::to_value(&section).expect("the section serializes");
    writer.update(|m| {
        m.sections.insert("generator".into(), value);
    })?;
    let manifest = writer.finish()?;
    drop(folder);
    Ok(GenerateReport {
        dir: out.to_path_buf(),
        parts: manifest
            .tables
            .iter()
            .chain(&manifest.sidecars)
            .map(|t| t.parts.len())
            .sum(),
        bytes: manifest
            .tables
            .iter()
            .chain(&manifest.sidecars)
            .map(|t| t.bytes())
            .sum(),
        section,
        elapsed: started.elapsed(),
        up_to_date: false,
    })
}

/// What one table's generation shares.
struct TableRun<'a> {
    dir: &'a Path,
    world: &'a World,
    write: WriteOptions,
    manifest: &'a ManifestWriter,
    marks: Marks,
    threads: usize,
    progress: &'a dyn Progress,
    section: &'a mut GeneratorSection,
}

impl TableRun<'_> {
    fn table<R, F>(&mut self, table: LegacyTable, make: F) -> Result<(), GenerateError>
    where
        R: Record + Send,
        F: Fn(&World, u64) -> Generated<R> + Sync,
    {
        let n = self.world.preset.rows(table);
        self.progress.table_started(table, n);
        let mut part = FrameBuffer::new();
        let mut part_number = 0u32;
        let mut pending: Vec<(u32, FrameBuffer)> = Vec::new();
        let mut written = 0u64;
        let mut dirty: BTreeMap<String, u64> = BTreeMap::new();
        let window = BLOCK_ROWS * 8 * self.threads as u64;
        let mut start = 0;
        while start < n {
            let end = n.min(start + window);
            let blocks: Vec<Vec<(R, Option<Dirt>)>> = (start..end)
                .step_by(BLOCK_ROWS as usize)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|from| {
                    (from..end.min(from + BLOCK_ROWS))
                        .filter_map(|j| {
                            let generated = make(self.world, j);
                            generated.row.map(|row| (row, generated.dirt))
                        })
                        .collect()
                })
                .collect();
            for (row, dirt) in blocks.into_iter().flatten() {
                let copies = match dirt {
                    Some(d) if d.kind == DirtyKind::DuplicateKey => 2,
                    _ => 1,
                };
                for copy in 1..=copies {
                    let record = part.stats().records;
                    part.push(&row);
                    written += 1;
                    if let Some(d) = dirt.filter(|_| copy == copies) {
                        *dirty.entry(dirty_kind_name(d.kind).to_owned()).or_default() += 1;
                        self.marks.push(
                            self.manifest,
                            &DirtyRow {
                                table: table.name().to_owned(),
                                key: row.key().unwrap_or_default(),
                                kind: d.kind as i32,
                                column: d.column.to_owned(),
                                part: part_number,
                                record,
                            },
                        )?;
                    }
                    let stats = part.stats();
                    if self
                        .write
                        .limits
                        .is_reached(stats.records, stats.record_bytes)
                    {
                        pending.push((part_number, std::mem::take(&mut part)));
                        part_number += 1;
                    }
                }
            }
            self.progress.rows_done(end - start);
            if pending.len() >= self.threads {
                self.flush(table, &mut pending)?;
            }
            start = end;
        }
        if !part.is_empty() {
            pending.push((part_number, part));
        }
        self.flush(table, &mut pending)?;
        self.section.rows.insert(table.name().to_owned(), written);
        if !dirty.is_empty() {
            self.section.dirty.insert(table.name().to_owned(), dirty);
        }
        Ok(())
    }

    /// Compresses the parts in flight on all threads, then lists them in the
    /// manifest in order.
    fn flush(
        &self,
        table: LegacyTable,
        pending: &mut Vec<(u32, FrameBuffer)>,
    ) -> Result<(), GenerateError> {
        let entries: Vec<PartEntry> = pending
            .par_iter()
            .map(|(number, frames)| {
                let spec = PartSpec {
                    kind: DumpKind::LegacyDump,
                    table: table.name().to_owned(),
                    record_type: table.record_type().to_owned(),
                    part_number: *number,
                };
                let mut writer = PartWriter::create(self.dir, spec, &self.write)?;
                writer.write_frames(frames)?;
                writer.finish()
            })
            .collect::<Result<_, PartError>>()?;
        pending.clear();
        for entry in entries {
            self.manifest
                .commit_part(table.name(), table.record_type(), false, entry)?;
        }
        Ok(())
    }
}

/// The dirty-row marks, written as a sidecar stream as they come.
struct Marks {
    dir: PathBuf,
    write: WriteOptions,
    writer: Option<PartWriter>,
    next_part: u32,
}

impl Marks {
    fn new(dir: &Path, write: WriteOptions) -> Marks {
        Marks {
            dir: dir.to_path_buf(),
            write,
            writer: None,
            next_part: 0,
        }
    }

    fn push(&mut self, manifest: &ManifestWriter, mark: &DirtyRow) -> Result<(), GenerateError> {
        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => {
                let spec =
                    PartSpec::of::<DirtyRow>(DumpKind::LegacyDump, DIRTY_ROWS, self.next_part);
                self.next_part += 1;
                self.writer
                    .insert(PartWriter::create(&self.dir, spec, &self.write)?)
            }
        };
        writer.write(mark)?;
        if writer.is_full() {
            self.finish(manifest)?;
        }
        Ok(())
    }

    fn finish(&mut self, manifest: &ManifestWriter) -> Result<(), GenerateError> {
        if let Some(writer) = self.writer.take() {
            let entry = writer.finish()?;
            manifest.commit_part(DIRTY_ROWS, DirtyRow::TYPE_NAME, true, entry)?;
        }
        Ok(())
    }
}

//! `manifest.json`: the index of a dump or event stream.
//!
//! It lists, per table, the finished parts with their record counts, sizes,
//! checksums and key and time ranges. It is rewritten atomically (temp file,
//! fsync, rename) after every finished part, so after a crash it names exactly
//! the parts that are whole, and `complete` is true only once the run that
//! wrote it finished.

use crate::IoError;
use crate::part::{MAX_RECORD_BYTES, PartLimits, RecordStats, checksum_hex};
use crate::record::format_micros;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const MANIFEST_FILE: &str = "manifest.json";

/// A manifest larger than this is refused rather than read: a real one is
/// some hundred bytes per part.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// What a dump directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DumpKindName {
    /// Rows of the legacy tables.
    LegacyDump,
    /// Domain events.
    EventStream,
}

impl DumpKindName {
    pub fn proto(self) -> crate::dump::DumpKind {
        match self {
            DumpKindName::LegacyDump => crate::dump::DumpKind::LegacyDump,
            DumpKindName::EventStream => crate::dump::DumpKind::EventStream,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DumpKindName::LegacyDump => "legacy-dump",
            DumpKindName::EventStream => "event-stream",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub kind: DumpKindName,
    /// Where the data came from, for people: "generator preset tiny, seed 1",
    /// "mssql://host/db" (never a password).
    pub source: String,
    /// When the run that wrote this dump started (RFC 3339).
    pub created_at: String,
    /// The point in time the data reflects, if known (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_at: Option<String>,
    /// True only once the run that wrote the dump finished every table.
    pub complete: bool,
    /// The data, one entry per table or stream.
    pub tables: Vec<TableEntry>,
    /// Streams kept beside the data that consumers of the data skip: the
    /// generator's dirty-row marks, a transform's rejects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<TableEntry>,
    /// Each stage's own section ("generator", "extract", ...), kept as JSON so
    /// this crate does not depend on the stages.
    #[serde(flatten)]
    pub sections: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    /// Fully qualified protobuf type of the records.
    pub record_type: String,
    pub parts: Vec<PartEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartEntry {
    pub number: u32,
    /// Path relative to the dump directory.
    pub file: String,
    pub records: u64,
    /// Size of the part file.
    pub bytes: u64,
    /// Bytes of the record frames before compression.
    pub record_bytes: u64,
    /// XXH3-64 of the record frames, as in the part's trailer (hex).
    pub checksum: String,
    /// Smallest and largest primary key, for tables that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_range: Option<[i64; 2]>,
    /// Earliest and latest record time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<[String; 2]>,
}

impl PartEntry {
    pub fn new(number: u32, file: String, bytes: u64, checksum: u64, stats: &RecordStats) -> Self {
        PartEntry {
            number,
            file,
            records: stats.records,
            bytes,
            record_bytes: stats.record_bytes,
            checksum: checksum_hex(checksum),
            key_range: stats.key_range.map(|(lo, hi)| [lo, hi]),
            time_range: stats
                .time_range
                .map(|(lo, hi)| [format_micros(lo), format_micros(hi)]),
        }
    }
}

impl TableEntry {
    pub fn new(name: &str, record_type: &str) -> TableEntry {
        TableEntry {
            name: name.to_owned(),
            record_type: record_type.to_owned(),
            parts: Vec::new(),
        }
    }

    // Sums saturate: a manifest's counts are checked when it is loaded, its
    // file sizes are not, and a display must not overflow on them.

    /// What the table's parts add up to: parts, records, bytes.
    pub fn totals(&self) -> Totals {
        Totals {
            parts: self.parts.len() as u64,
            records: self.records(),
            bytes: self.bytes(),
            record_bytes: self.record_bytes(),
        }
    }

    /// The table as a summary shows it: its totals and its key and time
    /// ranges, without the list of parts. Serializes as `pancake inspect
    /// --json` prints a table.
    pub fn summary(&self) -> TableSummary<'_> {
        TableSummary {
            name: &self.name,
            record_type: &self.record_type,
            totals: self.totals(),
            key_range: self.key_range(),
            time_range: self.time_range(),
        }
    }

    pub fn records(&self) -> u64 {
        self.parts
            .iter()
            .fold(0, |a, p| a.saturating_add(p.records))
    }

    pub fn bytes(&self) -> u64 {
        self.parts.iter().fold(0, |a, p| a.saturating_add(p.bytes))
    }

    pub fn record_bytes(&self) -> u64 {
        self.parts
            .iter()
            .fold(0, |a, p| a.saturating_add(p.record_bytes))
    }

    pub fn key_range(&self) -> Option<[i64; 2]> {
        self.parts
            .iter()
            .filter_map(|p| p.key_range)
            .reduce(|a, b| [a[0].min(b[0]), a[1].max(b[1])])
    }

    /// RFC 3339 UTC strings of one format order lexically as they order in
    /// time, so the range is a string comparison.
    pub fn time_range(&self) -> Option<[String; 2]> {
        self.parts
            .iter()
            .filter_map(|p| p.time_range.clone())
            .reduce(|a, b| {
                let [a0, a1] = a;
                let [b0, b1] = b;
                [a0.min(b0), a1.max(b1)]
            })
    }
}

/// What the parts of a table (or of several tables) add up to. Sums
/// saturate rather than overflow on a manifest's file sizes, which are not
/// checked when it is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Finished parts.
    pub parts: u64,
    /// Records (rows of a legacy dump, events of an event stream).
    pub records: u64,
    /// Bytes of the part files.
    pub bytes: u64,
    /// Bytes of the record frames before compression.
    pub record_bytes: u64,
}

impl Totals {
    /// The totals of `tables` together: `Totals::of(&manifest.tables)`.
    pub fn of<'a>(tables: impl IntoIterator<Item = &'a TableEntry>) -> Totals {
        tables
            .into_iter()
            .fold(Totals::default(), |mut all, table| {
                all.add(&table.totals());
                all
            })
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Totals) {
        self.parts = self.parts.saturating_add(other.parts);
        self.records = self.records.saturating_add(other.records);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.record_bytes = self.record_bytes.saturating_add(other.record_bytes);
    }
}

/// A table in a summary ([`TableEntry::summary`]): name, record type,
/// totals, key and time ranges (`null` when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSummary<'a> {
    pub name: &'a str,
    pub record_type: &'a str,
    #[serde(flatten)]
    pub totals: Totals,
    pub key_range: Option<[i64; 2]>,
    pub time_range: Option<[String; 2]>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{}: no manifest.json here: this is not a pancake dump or event stream, or the run that writes it has not finished a part yet", .dir.display())]
    Missing { dir: PathBuf },
    #[error("{}: not a valid manifest: {cause}; it was damaged or edited by hand; re-run the stage that wrote it", .path.display())]
    Invalid {
        path: PathBuf,
        /// What the JSON parser said. Quoted in the message, so not a `source()`.
        cause: serde_json::Error,
    },
    #[error("{}: larger than {MAX_MANIFEST_BYTES} bytes; not a pancake manifest", .path.display())]
    TooLarge { path: PathBuf },
    /// A part entry whose counts no part can have. Counts are checked when
    /// the manifest is read, before anything trusts them or sizes memory by
    /// them.
    #[error("{}: table {table:?}, part {part} ({file:?}): {detail}; the manifest was damaged or edited by hand: re-run the stage that wrote it", .path.display())]
    BadCount {
        path: PathBuf,
        table: String,
        part: u32,
        file: String,
        detail: String,
    },
    #[error("{}: manifest format version {found}, but this pancake reads only version {supported}", .path.display())]
    FormatVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

impl Manifest {
    /// A new, empty, incomplete manifest created now.
    pub fn new(kind: DumpKindName, source: impl Into<String>) -> Manifest {
        Manifest {
            format_version: crate::FORMAT_VERSION,
            kind,
            source: source.into(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            snapshot_at: None,
            complete: false,
            tables: Vec::new(),
            sidecars: Vec::new(),
            sections: serde_json::Map::new(),
        }
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(MANIFEST_FILE)
    }

    /// Reads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = Manifest::path(dir);
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ManifestError::Missing {
                    dir: dir.to_path_buf(),
                });
            }
            Err(e) => return Err(IoError::new("read", path, e).into()),
        };
        if meta.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge { path });
        }
        let text = std::fs::read(&path).map_err(IoError::at("read", &path))?;
        // Check the version before the shape: a newer layout should say so,
        // not fail on a field it renamed. Only that field is kept: a tree of
        // the whole document would take several times its size.
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<serde_json::Value>,
        }
        if text.trim_ascii_start().first() == Some(&b'{')
            && let Ok(Version {
                format_version: Some(version),
            }) = serde_json::from_slice(&text)
            && let Some(found) = version.as_u64()
            && found != u64::from(crate::FORMAT_VERSION)
        {
            return Err(ManifestError::FormatVersion {
                path,
                found: found.min(u64::from(u32::MAX)) as u32,
                supported: crate::FORMAT_VERSION,
            });
        }
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|cause| ManifestError::Invalid {
                path: path.clone(),
                cause,
            })?;
        manifest.check_counts(&path)?;
        Ok(manifest)
    }

    /// Refuses a part entry whose counts no part can have: more records than
    /// [`PartLimits::MAX_RECORDS`], fewer record bytes than records (a record
    /// takes at least its one-byte length prefix), or more record bytes than
    /// records of [`MAX_RECORD_BYTES`] each can take.
    fn check_counts(&self, path: &Path) -> Result<(), ManifestError> {
        // The most bytes one record frame takes: the record and its prefix.
        const MAX_FRAME: u64 = MAX_RECORD_BYTES + 10;
        for table in self.all_tables() {
            for part in &table.parts {
                let (records, bytes) = (part.records, part.record_bytes);
                let detail = if records > PartLimits::MAX_RECORDS {
                    format!(
                        "it claims {records} records, more than the {} a part can hold",
                        PartLimits::MAX_RECORDS
                    )
                } else if bytes < records {
                    format!(
                        "it claims {records} records in {bytes} bytes, but every record takes at least one byte"
                    )
                } else if bytes > records.saturating_mul(MAX_FRAME) {
                    format!(
                        "it claims {bytes} bytes of records for {records} records, more than a record can take ({MAX_RECORD_BYTES} bytes)"
                    )
                } else {
                    continue;
                };
                return Err(ManifestError::BadCount {
                    path: path.to_path_buf(),
                    table: shorten(&table.name),
                    part: part.number,
                    file: shorten(&part.file),
                    detail,
                });
            }
        }
        Ok(())
    }

    /// Writes `dir/manifest.json` atomically: a temp file, synced, renamed.
    pub fn save(&self, dir: &Path) -> Result<(), ManifestError> {
        let path = Manifest::path(dir);
        let temp = crate::part::temp_path(&path);
        let mut text = serde_json::to_vec_pretty(self).expect("a manifest serializes");
        text.push(b'\n');
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temp).map_err(IoError::at("create", &temp))?;
            file.write_all(&text).map_err(IoError::at("write", &temp))?;
            file.sync_all().map_err(IoError::at("sync", &temp))?;
        }
        std::fs::rename(&temp, &path).map_err(IoError::at("rename into place", &path))?;
        Ok(())
    }

    /// What the data tables add up to (sidecars left out, as readers of
    /// the data skip them).
    pub fn totals(&self) -> Totals {
        Totals::of(&self.tables)
    }

    /// The data tables and then the sidecars.
    pub fn all_tables(&self) -> impl Iterator<Item = &TableEntry> {
        self.tables.iter().chain(&self.sidecars)
    }

    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// A table or sidecar by name.
    pub fn any_table(&self, name: &str) -> Option<&TableEntry> {
        self.all_tables().find(|t| t.name == name)
    }

    /// Deletes what a killed run left in `dir`: `.tmp` files, and parts that
    /// were finished on disk but never committed to this manifest. A
    /// resumed run writes them again.
    pub fn remove_uncommitted(&self, dir: &Path) -> Result<(), ManifestError> {
        for table in self.all_tables() {
            let Ok(entries) = std::fs::read_dir(dir.join(&table.name)) else {
                continue;
            };
            for entry in entries.flatten() {
                let relative = format!("{}/{}", table.name, entry.file_name().to_string_lossy());
                if !table.parts.iter().any(|p| p.file == relative) {
                    let path = entry.path();
                    std::fs::remove_file(&path)
                        .map_err(IoError::at("remove an uncommitted part", &path))?;
                }
            }
        }
        Ok(())
    }

    /// Lists a table with no parts yet, so that an empty table shows too.
    pub fn declare(&mut self, name: &str, record_type: &str) {
        self.table_mut(name, record_type, false);
    }

    fn table_mut(&mut self, name: &str, record_type: &str, sidecar: bool) -> &mut TableEntry {
        let list = if sidecar {
            &mut self.sidecars
        } else {
            &mut self.tables
        };
        match list.iter().position(|t| t.name == name) {
            Some(i) => &mut list[i],
            None => {
                list.push(TableEntry::new(name, record_type));
                list.last_mut().expect("just pushed")
            }
        }
    }
}

/// A name from a manifest as an error shows it: at most 100 characters.
fn shorten(name: &str) -> String {
    match name.char_indices().nth(100) {
        Some((end, _)) => format!("{}...", &name[..end]),
        None => name.to_owned(),
    }
}

/// A manifest that is saved after every change, shared by the threads that
/// finish parts.
pub struct ManifestWriter {
    dir: PathBuf,
    manifest: Mutex<Manifest>,
}

impl ManifestWriter {
    /// Saves `manifest` (marked incomplete) to `dir` and keeps it.
    pub fn create(dir: &Path, mut manifest: Manifest) -> Result<ManifestWriter, ManifestError> {
        manifest.complete = false;
        std::fs::create_dir_all(dir).map_err(IoError::at("create the folder", dir))?;
        manifest.save(dir)?;
        Ok(ManifestWriter {
            dir: dir.to_path_buf(),
            manifest: Mutex::new(manifest),
        })
    }

    /// Lists a table (so that an empty one shows too) and saves.
    pub fn declare_table(
        &self,
        name: &str,
        record_type: &str,
        sidecar: bool,
    ) -> Result<(), ManifestError> {
        self.update(|m| {
            m.table_mut(name, record_type, sidecar);
        })
    }

    /// Records a finished part and saves. Parts must be committed in order.
    pub fn commit_part(
        &self,
        table: &str,
        record_type: &str,
        sidecar: bool,
        part: PartEntry,
    ) -> Result<(), ManifestError> {
        self.commit_part_with(table, record_type, sidecar, part, |_| {})
    }

    /// Records a finished part together with a change to the stage's own
    /// section, in one save, so that a crash can never leave the part
    /// recorded without the state that goes with it (or the other way round).
    pub fn commit_part_with(
        &self,
        table: &str,
        record_type: &str,
        sidecar: bool,
        part: PartEntry,
        change: impl FnOnce(&mut Manifest),
    ) -> Result<(), ManifestError> {
        self.update(|m| {
            let entry = m.table_mut(table, record_type, sidecar);
            assert_eq!(
                part.number as usize,
                entry.parts.len(),
                "parts of {table} committed out of order"
            );
            entry.parts.push(part);
            change(m);
        })
    }

    /// Changes the manifest and saves it.
    pub fn update(&self, change: impl FnOnce(&mut Manifest)) -> Result<(), ManifestError> {
        let mut manifest = self.manifest.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut manifest);
        manifest.save(&self.dir)
    }

    /// Marks the dump complete and saves. Returns the final manifest.
    pub fn finish(self) -> Result<Manifest, ManifestError> {
        let mut manifest = self
            .manifest
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        manifest.complete = true;
        manifest.save(&self.dir)?;
        Ok(manifest)
    }

    pub fn snapshot(&self) -> Manifest {
        self.manifest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

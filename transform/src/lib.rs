//! Transform: a legacy dump into an event stream, every row accounted for.
//!
//! [`transform`] runs three steps:
//!
//! 1. Index: every valid member (with when they registered) and every valid
//!    photo (with its owner), read from the members and photos tables.
//! 2. Map: every input part, in parallel (rayon), through the table's rules
//!    ([`rows`]) into events or rejects. Each input part becomes sorted runs
//!    (output parts) and one rejects part; parts are committed to the
//!    manifest in input order, so a re-run continues after the last
//!    committed input part and writes the very same bytes.
//! 3. Account: per table, rows read = rows with events + rows rejected, with
//!    events per kind and rejects per reason in the manifest's `transform`
//!    section, which `pancake verify` checks against the parts.
//!
//! This file is the surface: [`TransformOptions`], [`Progress`],
//! [`TransformReport`], [`TransformError`], [`transform`] and
//! [`decode_only`] (the ceiling a transform is measured against). The
//! modules, by concern:
//!
//! - `start`: what a run starts from: the input checked, the section a fresh
//!   run writes, and whether the output folder's transform can be continued.
//! - `scan`: step 1, a table's valid rows read in parallel for the indexes.
//! - [`index`]: the member and photo indexes every check consults.
//! - [`rows`]: each legacy table's rules and the events a valid row becomes.
//! - [`ids`]: the name-based UUIDs of members, entities, threads and events.
//! - `map`: step 2's concurrent loop: a reader, the workers and the thread
//!   that commits in input order, each with its own state.
//! - `part`: one input part in, its sorted event runs and its rejects out.
//! - `told`: what a committed part tells the caller's [`Progress`].
//! - `error`: [`TransformError`], worded for the person at the terminal.
//!
//! [`index`], [`rows`] and [`ids`] are public for the benches and tests
//! only, and hidden from the docs. The accounting types, [`TableAccount`]
//! and [`TransformSection`], live in `pancake_proto`, where `verify` and
//! `inspect` read them too.

mod error;
#[doc(hidden)]
pub mod ids;
#[doc(hidden)]
pub mod index;
mod map;
mod part;
#[doc(hidden)]
pub mod rows;
mod scan;
mod start;
mod told;

pub use error::TransformError;
pub use pancake_proto::accounting::{TableAccount, TransformSection};

use index::{MemberIndex, PhotoIndex};
use map::MapRun;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, Reject};
use pancake_proto::folder::{OutputFolder, Start};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::part::ReadOptions;
use pancake_proto::{
    LegacyTable, Manifest, ManifestWriter, Record, TableEntry, WriteOptions, legacy,
};
use part::{Counter, Io, rejects_table};
use rayon::prelude::*;
use rows::{Context, Row};
use scan::{member_index, valid_rows};
use start::{STAGE, difference, fresh_section, load_input, section_of};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// 2000-01-01T00:00:00Z: no valid date of the site comes before it.
pub const DEFAULT_SITE_START: i64 = 946_684_800;

/// What to transform, where to, and how.
#[derive(Debug, Clone)]
pub struct TransformOptions {
    /// The legacy dump to read (`pancake extract` or `pancake generate`
    /// wrote it).
    pub input: PathBuf,
    /// The folder of the event stream to write.
    pub out: PathBuf,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Most events in one output part.
    pub part_events: u64,
    /// The earliest valid date (Unix seconds).
    pub site_start: i64,
    /// Compression of the output parts.
    pub write: WriteOptions,
    /// Start over even if `out` holds a transform.
    pub force: bool,
}

impl TransformOptions {
    /// `input` to `out` as `pancake transform` does by default: every core,
    /// 250,000 events a part, [`DEFAULT_SITE_START`].
    pub fn new(input: PathBuf, out: PathBuf) -> TransformOptions {
        TransformOptions {
            input,
            out,
            threads: 0,
            part_events: 250_000,
            site_start: DEFAULT_SITE_START,
            write: WriteOptions::default(),
            force: false,
        }
    }
}

/// What the run is doing, for progress bars. Called from any thread.
pub trait Progress: Sync {
    /// A step starts ("indexing members", "transforming") with `rows` to go.
    fn phase(&self, _name: &str, _rows: u64) {}
    /// `n` more rows read.
    fn rows(&self, _n: u64) {}
    /// `n` more events written.
    fn events(&self, _n: u64) {}
    /// An output part (a sorted run of events) is committed to the
    /// manifest; called once per part, in commit order.
    fn part_committed(&self, _part: &CommittedPart) {}
    /// An input part of `table` is committed: its `rows`, and `bytes`, the
    /// size of its file.
    fn input_committed(&self, _table: &str, _rows: u64, _bytes: u64) {}
    /// An input part of `table` is committed with rows rejected: how many
    /// per reason name (only reasons with rows).
    fn rows_rejected(&self, _table: &str, _rejects: &std::collections::BTreeMap<String, u64>) {}
}

/// An output part just committed, for [`Progress::part_committed`].
#[derive(Debug, Clone)]
pub struct CommittedPart<'a> {
    /// The legacy table its events came from.
    pub table: &'a str,
    /// The part's number in the table.
    pub part: u32,
    /// Events in the part.
    pub events: u64,
    /// Size of the part file.
    pub bytes: u64,
    /// How long its chunk took to map, sort and write.
    pub seconds: f64,
}

impl Progress for () {}

/// Hands the counts from inside a part on to the caller's [`Progress`].
struct Forward<'a>(&'a dyn Progress);

impl Counter for Forward<'_> {
    fn rows(&self, n: u64) {
        self.0.rows(n)
    }
    fn events(&self, n: u64) {
        self.0.events(n)
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct TransformReport {
    /// The output was already complete; nothing was done.
    pub up_to_date: bool,
    /// This run continued an unfinished transform.
    pub resumed: bool,
    /// The accounting of the whole event stream.
    pub section: TransformSection,
    /// Rows read and events written by this run (not by the run it resumed).
    pub rows_this_run: u64,
    pub events_this_run: u64,
    pub elapsed: Duration,
}

/// Transforms `options.input` into an event stream in `options.out`.
pub fn transform(
    options: &TransformOptions,
    progress: &dyn Progress,
) -> Result<TransformReport, TransformError> {
    let started = Instant::now();
    let input = load_input(&options.input)?;
    let snapshot = input
        .snapshot_at
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp())
        .ok_or_else(|| TransformError::InputNotReady {
            dir: options.input.clone(),
            why: "it has no snapshot time, so dates after it cannot be told".into(),
        })?;
    let tables: Vec<LegacyTable> = LegacyTable::ALL
        .into_iter()
        .filter(|t| input.table(t.name()).is_some())
        .collect();
    let wanted = fresh_section(options, &input, &tables);

    // Held until the stream is finished (or the run fails).
    let folder = OutputFolder::lock(&options.out)?;
    let manifest = match folder.prepare(&STAGE, options.force, |m| difference(m, &wanted))? {
        Start::UpToDate(manifest) => {
            return Ok(TransformReport {
                up_to_date: true,
                resumed: false,
                section: section_of(&manifest).unwrap_or_else(|| wanted.clone()),
                rows_this_run: 0,
                events_this_run: 0,
                elapsed: started.elapsed(),
            });
        }
        Start::Resume(manifest) => manifest,
        Start::Fresh => {
            let mut m = Manifest::new(
                DumpKindName::EventStream,
                format!("transform of {}", input.source),
            );
            m.snapshot_at = input.snapshot_at.clone();
            for t in &tables {
                m.declare(t.name(), Event::TYPE_NAME);
                m.sidecars
                    .push(TableEntry::new(&rejects_table(t.name()), Reject::TYPE_NAME));
            }
            wanted.store(&mut m);
            m
        }
    };
    let resumed =
        section_of(&manifest).is_some_and(|s| s.tables.values().any(|t| t.parts_done > 0));
    let writer = ManifestWriter::create(&options.out, manifest)?;

    let pool = thread_pool(options.threads)?;
    let cancel = AtomicBool::new(false);
    let counter = Forward(progress);
    let io = Io {
        input: &options.input,
        out: &options.out,
        write: &options.write,
        cancel: &cancel,
        counter: &counter,
    };
    let outcome = pool.install(|| {
        let site_start = options.site_start;
        let empty_members = MemberIndex::default();
        let empty_photos = PhotoIndex::default();
        let rows_of = |t: LegacyTable| input.table(t.name()).map_or(0, |e| e.records());

        progress.phase("indexing members", rows_of(LegacyTable::Members));
        let cx = Context {
            members: &empty_members,
            photos: &empty_photos,
            site_start,
            snapshot,
        };
        let members = member_index(&input, &options.input, &cx, &cancel, site_start)?;
        progress.phase("indexing photos", rows_of(LegacyTable::Photos));
        let cx = Context {
            members: &members,
            ..cx
        };
        let photos = PhotoIndex::new(valid_rows::<legacy::Photo, _>(
            &input,
            &options.input,
            &cx,
            &cancel,
            |p| {
                let uploaded = p.uploaded_at.map_or(0, |t| t.seconds);
                (p.photo_id, (p.member_id.unwrap_or_default(), uploaded))
            },
        )?);
        let cx = Context {
            photos: &photos,
            ..cx
        };
        MapRun::plan(&input, &tables, options, &writer, &cx, &io)?.run(progress)
    });
    let committed = outcome?;
    let manifest = writer.finish()?;
    drop(folder);
    Ok(TransformReport {
        up_to_date: false,
        resumed,
        section: section_of(&manifest).expect("written by this run"),
        rows_this_run: committed.rows,
        events_this_run: committed.events,
        elapsed: started.elapsed(),
    })
}

/// Reads and decodes every record of the dump with `threads` threads and
/// emits nothing: the ceiling a transform of it can reach on this machine.
/// Returns the records read.
pub fn decode_only(input: &Path, threads: usize) -> Result<u64, TransformError> {
    let manifest = load_input(input)?;
    let pool = thread_pool(threads)?;
    let parts: Vec<(LegacyTable, &pancake_proto::PartEntry)> = manifest
        .tables
        .iter()
        .filter_map(|t| Some((LegacyTable::from_name(&t.name)?, t)))
        .flat_map(|(table, t)| t.parts.iter().map(move |p| (table, p)))
        .collect();
    pool.install(|| {
        parts
            .par_iter()
            .map(|(table, p)| {
                let path = input.join(&p.file);
                fn read<R: Row>(path: &Path, number: u32) -> Result<u64, TransformError> {
                    let options = ReadOptions {
                        part_number: Some(number),
                        ..ReadOptions::expect::<R>(DumpKind::LegacyDump, R::TABLE.name())
                    };
                    part::decode_only::<R>(path, &options)
                }
                use LegacyTable::*;
                match table {
                    Members => read::<legacy::Member>(&path, p.number),
                    Flirts => read::<legacy::Flirt>(&path, p.number),
                    Messages => read::<legacy::Message>(&path, p.number),
                    Blocks => read::<legacy::Block>(&path, p.number),
                    Favorites => read::<legacy::Favorite>(&path, p.number),
                    ProfileVisits => read::<legacy::ProfileVisit>(&path, p.number),
                    Photos => read::<legacy::Photo>(&path, p.number),
                    PhotoLikes => read::<legacy::PhotoLike>(&path, p.number),
                    SearchProfiles => read::<legacy::SearchProfile>(&path, p.number),
                }
            })
            .sum()
    })
}

/// The pool of `threads` workers (0: one per core) a run works in.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, TransformError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| TransformError::Threads {
            threads,
            message: e.to_string(),
        })
}

//! Transform: a legacy dump into an event stream, every row accounted for.
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

// Errors name files and parts for the person reading them; they are built
// once per run, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod error;
pub mod ids;
pub mod index;
pub mod part;
pub mod rows;
pub mod section;

pub use error::TransformError;
pub use section::{TableAccount, TransformSection};

use index::{MemberIndex, PhotoIndex};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, Reject};
use pancake_proto::folder::{OutputFolder, Stage, Start};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::part::ReadOptions;
use pancake_proto::{
    LegacyTable, Manifest, ManifestWriter, PartReader, Record, TableEntry, WriteOptions, legacy,
};
use part::{
    ChunkOutput, ChunkTask, Counter, Io, PartJob, PartOutput, chunks, finish_part, read_part,
    rejects_table,
};
use rayon::prelude::*;
use rows::{Context, Row};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

/// 2000-01-01T00:00:00Z: no valid date of the site comes before it.
pub const DEFAULT_SITE_START: i64 = 946_684_800;

#[derive(Debug, Clone)]
pub struct TransformOptions {
    pub input: PathBuf,
    pub out: PathBuf,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Most events in one output part.
    pub part_events: u64,
    /// The earliest valid date (Unix seconds).
    pub site_start: i64,
    pub write: WriteOptions,
    /// Start over even if `out` holds a transform.
    pub force: bool,
}

impl TransformOptions {
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

/// What the run is doing, for progress bars.
pub trait Progress: Sync {
    fn phase(&self, _name: &str, _rows: u64) {}
    fn rows(&self, _n: u64) {}
    fn events(&self, _n: u64) {}
}

impl Progress for () {}

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
    pub resumed: bool,
    /// The accounting of the whole event stream.
    pub section: TransformSection,
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

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| TransformError::Threads {
            threads: options.threads,
            message: e.to_string(),
        })?;
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
            photos: &empty_photos,
            site_start,
            snapshot,
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
            members: &members,
            photos: &photos,
            site_start,
            snapshot,
        };
        map_all(&input, &tables, options, &writer, &cx, &io, progress)
    });
    let (rows_this_run, events_this_run) = outcome?;
    let manifest = writer.finish()?;
    drop(folder);
    Ok(TransformReport {
        up_to_date: false,
        resumed,
        section: section_of(&manifest).expect("written by this run"),
        rows_this_run,
        events_this_run,
        elapsed: started.elapsed(),
    })
}

fn load_input(dir: &Path) -> Result<Manifest, TransformError> {
    let input = Manifest::load(dir)?;
    if input.kind != DumpKindName::LegacyDump {
        return Err(TransformError::NotLegacyDump {
            dir: dir.to_path_buf(),
        });
    }
    if !input.complete {
        return Err(TransformError::InputNotReady {
            dir: dir.to_path_buf(),
            why: "its manifest is not marked complete".into(),
        });
    }
    Ok(input)
}

fn fresh_section(
    options: &TransformOptions,
    input: &Manifest,
    tables: &[LegacyTable],
) -> TransformSection {
    // What shapes the output: the input's parts and the settings.
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for t in &input.tables {
        h.update(t.name.as_bytes());
        for p in &t.parts {
            h.update(p.file.as_bytes());
            h.update(p.checksum.as_bytes());
            h.update(&p.records.to_le_bytes());
        }
    }
    h.update(&options.site_start.to_le_bytes());
    h.update(&options.part_events.to_le_bytes());
    h.update(&options.write.level.to_le_bytes());
    TransformSection {
        input: Some(options.input.display().to_string()),
        input_source: Some(input.source.clone()),
        input_fingerprint: format!("{:016x}", h.digest()),
        site_start: pancake_proto::record::format_micros(options.site_start * 1_000_000),
        part_events: options.part_events,
        tables: tables
            .iter()
            .map(|t| {
                let account = TableAccount {
                    input_parts: input.table(t.name()).map_or(0, |e| e.parts.len() as u64),
                    ..TableAccount::default()
                };
                (t.name().to_owned(), account)
            })
            .collect(),
        kinds: BTreeMap::new(),
        rejects: BTreeMap::new(),
    }
}

/// Every valid member and when it registered: filled in place when the
/// dump's key ranges allow a dense index, collected first otherwise.
fn member_index(
    input: &Manifest,
    dir: &Path,
    cx: &Context,
    cancel: &AtomicBool,
    site_start: i64,
) -> Result<MemberIndex, TransformError> {
    let registered = |m: &legacy::Member| (m.member_id, m.registered_at.map_or(0, |t| t.seconds));
    let fill = input.table(LegacyTable::Members.name()).and_then(|entry| {
        let ranges: Option<Vec<[i64; 2]>> = entry.parts.iter().map(|p| p.key_range).collect();
        let ranges = ranges?;
        let min = ranges.iter().map(|r| r[0]).min()?;
        let max = ranges.iter().map(|r| r[1]).max()?;
        index::DenseFill::new(site_start, min, max, entry.records())
    });
    if let Some(fill) = fill {
        scan_valid::<legacy::Member, _>(
            input,
            dir,
            cx,
            cancel,
            || (),
            |_, m| {
                let (id, at) = registered(m);
                fill.add(id, at);
            },
        )?;
        if let Some(index) = fill.finish() {
            return Ok(index);
        }
    }
    Ok(MemberIndex::new(
        site_start,
        valid_rows(input, dir, cx, cancel, registered)?,
    ))
}

/// The valid rows of a table, as `pick` extracts them, read in parallel.
fn valid_rows<R: Row, T: Send>(
    input: &Manifest,
    dir: &Path,
    cx: &Context,
    cancel: &AtomicBool,
    pick: impl Fn(&R) -> T + Sync,
) -> Result<Vec<T>, TransformError> {
    let per_part = scan_valid(input, dir, cx, cancel, Vec::new, |out, row| {
        out.push(pick(row))
    })?;
    Ok(per_part.into_iter().flatten().collect())
}

/// Reads a table's parts in parallel and hands every valid row (the first
/// of a run of equal keys) to `step`, with one `init()` state per part.
fn scan_valid<R: Row, A: Send>(
    input: &Manifest,
    dir: &Path,
    cx: &Context,
    cancel: &AtomicBool,
    init: impl Fn() -> A + Sync,
    step: impl Fn(&mut A, &R) + Sync,
) -> Result<Vec<A>, TransformError> {
    let Some(entry) = input.table(R::TABLE.name()) else {
        return Ok(Vec::new());
    };
    let parts: Vec<_> = entry.parts.iter().enumerate().collect();
    parts
        .par_iter()
        .map(|&(i, p)| {
            let options = ReadOptions {
                part_number: Some(p.number),
                ..ReadOptions::expect::<R>(DumpKind::LegacyDump, R::TABLE.name())
            };
            let mut reader = PartReader::open(&dir.join(&p.file), &options)?;
            let mut previous = i
                .checked_sub(1)
                .and_then(|j| entry.parts[j].key_range)
                .map(|r| r[1]);
            let mut state = init();
            while let Some(row) = reader.next_record::<R>()? {
                let key = row.key();
                if (key.is_none() || key != previous) && row.check(cx).is_ok() {
                    step(&mut state, &row);
                }
                previous = key;
                if cancel.load(Ordering::Relaxed) {
                    return Err(TransformError::Cancelled);
                }
            }
            Ok(state)
        })
        .collect()
}

/// What the workers and readers tell the thread that commits.
enum Done {
    Chunk {
        job: usize,
        chunk: usize,
        result: Result<Box<ChunkOutput>, TransformError>,
    },
    Read {
        job: usize,
        result: Result<u64, TransformError>,
    },
}

/// An input part on its way: chunks back from the workers, and whether its
/// reader got to the end.
struct InFlight {
    /// By chunk number, grown as chunks come back: never sized from the
    /// manifest's row count, which is only checked once the part is read.
    chunks: Vec<Option<ChunkOutput>>,
    /// The number of chunks the reader cut the part into, once it read the
    /// part whole and found the rows the manifest counts.
    read: Option<usize>,
    failed: bool,
}

/// Maps every input part not yet done.
///
/// A reader thread reads parts in order and cuts them into chunks; the
/// workers (`--threads` of them) map chunks into sorted output parts; this
/// thread puts parts together and commits them in input order. The channel
/// from reader to workers holds at most one chunk per worker, so memory is a
/// few chunks whatever the data set's size, and one big input part keeps
/// every core busy.
fn map_all(
    input: &Manifest,
    tables: &[LegacyTable],
    options: &TransformOptions,
    writer: &ManifestWriter,
    cx: &Context,
    io: &Io,
    progress: &dyn Progress,
) -> Result<(u64, u64), TransformError> {
    let section = section_of(&writer.snapshot()).expect("written above");
    let mut jobs: Vec<(LegacyTable, PartJob)> = Vec::new();
    let mut next_commit: BTreeMap<LegacyTable, usize> = BTreeMap::new();
    let mut rows_left = 0u64;
    for &table in tables {
        let entry = input.table(table.name()).expect("listed above");
        let done = section.tables[table.name()].parts_done;
        let chunk_rows = (options.part_events / max_events(table)).max(1);
        let mut first_output = 0u32;
        next_commit.insert(table, jobs.len());
        for (i, p) in entry.parts.iter().enumerate() {
            // Output parts are numbered with a u32: refuse, never wrap.
            let next_output = u32::try_from(chunks(p.records, chunk_rows))
                .ok()
                .and_then(|n| first_output.checked_add(n))
                .ok_or_else(|| TransformError::TooManyOutputParts {
                    table: table.name(),
                    part: p.number,
                    part_events: options.part_events,
                })?;
            if i as u64 >= done {
                rows_left += p.records;
                jobs.push((
                    table,
                    PartJob {
                        number: p.number,
                        file: p.file.clone(),
                        rows: p.records,
                        previous_key: i
                            .checked_sub(1)
                            .and_then(|j| entry.parts[j].key_range)
                            .map(|r| r[1]),
                        first_output,
                        chunk_rows,
                    },
                ));
            }
            first_output = next_output;
        }
    }
    progress.phase("transforming", rows_left);
    let workers = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let mut flight: Vec<InFlight> = jobs
        .iter()
        .map(|_| InFlight {
            chunks: Vec::new(),
            read: None,
            failed: false,
        })
        .collect();
    let mut failure: Option<TransformError> = None;
    let mut totals = (0u64, 0u64);
    let next_job = AtomicUsize::new(0);

    // One chunk may wait for a worker, so the reader reads ahead by one.
    let (task_tx, task_rx) = mpsc::sync_channel::<ChunkTask>(1);
    let task_rx = Mutex::new(task_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        {
            let (jobs, next_job, done_tx) = (&jobs, &next_job, done_tx.clone());
            scope.spawn(move || {
                loop {
                    let i = next_job.fetch_add(1, Ordering::Relaxed);
                    if i >= jobs.len() || io.cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let (table, job) = &jobs[i];
                    let result = read_any(*table, i, job, cx, io, &task_tx);
                    let _ = done_tx.send(Done::Read { job: i, result });
                }
            });
        }
        for _ in 0..workers {
            let (task_rx, done_tx) = (&task_rx, done_tx.clone());
            scope.spawn(move || {
                loop {
                    let task = task_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(task) = task else { break };
                    let result = if io.cancel.load(Ordering::Relaxed) {
                        Err(TransformError::Cancelled)
                    } else {
                        (task.run)().map(Box::new)
                    };
                    let _ = done_tx.send(Done::Chunk {
                        job: task.job,
                        chunk: task.chunk,
                        result,
                    });
                }
            });
        }
        drop(done_tx);

        let fail = |e: TransformError, failure: &mut Option<TransformError>| {
            io.cancel.store(true, Ordering::Relaxed);
            if failure.is_none() || matches!(failure, Some(TransformError::Cancelled)) {
                *failure = Some(e);
            }
        };
        for message in done_rx {
            let job = match message {
                Done::Chunk { job, chunk, result } => {
                    match result {
                        Ok(out) if failure.is_none() => {
                            let chunks = &mut flight[job].chunks;
                            if chunks.len() <= chunk {
                                chunks.resize_with(chunk + 1, || None);
                            }
                            chunks[chunk] = Some(*out);
                        }
                        Ok(out) => {
                            let _ = std::fs::remove_file(&out.path);
                        }
                        Err(e) => {
                            flight[job].failed = true;
                            fail(e, &mut failure);
                        }
                    }
                    job
                }
                Done::Read { job, result } => {
                    match result {
                        Ok(rows) => {
                            // The rows are the manifest's count, and every
                            // chunk of them was sent.
                            let n = chunks(rows, jobs[job].1.chunk_rows) as usize;
                            let f = &mut flight[job];
                            if f.chunks.len() < n {
                                f.chunks.resize_with(n, || None);
                            }
                            f.read = Some(n);
                        }
                        Err(e) => {
                            flight[job].failed = true;
                            fail(e, &mut failure);
                        }
                    }
                    job
                }
            };
            if failure.is_some() {
                continue;
            }
            // Commit, in input order, every part of this table now complete.
            let table = jobs[job].0;
            let next = next_commit.get_mut(&table).expect("every table");
            while *next < jobs.len() && jobs[*next].0 == table {
                let f = &mut flight[*next];
                if !(f.read.is_some() && f.chunks.iter().all(Option::is_some)) {
                    break;
                }
                let outs = f
                    .chunks
                    .iter_mut()
                    .map(|c| c.take().expect("checked"))
                    .collect();
                let result = finish_part(table, &jobs[*next].1, outs, io).and_then(|output| {
                    totals.0 += output.account.rows;
                    totals.1 += output.account.events_total();
                    let files = output.files.clone();
                    commit(writer, table, output).inspect_err(|_| {
                        for f in files {
                            let _ = std::fs::remove_file(f);
                        }
                    })
                });
                if let Err(e) = result {
                    fail(e, &mut failure);
                    break;
                }
                *next += 1;
            }
        }
    });
    if let Some(e) = failure {
        // Nothing of an uncommitted part may look finished.
        for f in &flight {
            for out in f.chunks.iter().flatten() {
                let _ = std::fs::remove_file(&out.path);
            }
        }
        return Err(e);
    }
    Ok(totals)
}

fn max_events(table: LegacyTable) -> u64 {
    use LegacyTable::*;
    match table {
        Members => legacy::Member::MAX_EVENTS,
        Flirts => legacy::Flirt::MAX_EVENTS,
        Messages => legacy::Message::MAX_EVENTS,
        Blocks => legacy::Block::MAX_EVENTS,
        Favorites => legacy::Favorite::MAX_EVENTS,
        ProfileVisits => legacy::ProfileVisit::MAX_EVENTS,
        Photos => legacy::Photo::MAX_EVENTS,
        PhotoLikes => legacy::PhotoLike::MAX_EVENTS,
    }
}

fn read_any<'a>(
    table: LegacyTable,
    index: usize,
    job: &'a PartJob,
    cx: &'a Context<'a>,
    io: &'a Io<'a>,
    tasks: &mpsc::SyncSender<ChunkTask<'a>>,
) -> Result<u64, TransformError> {
    use LegacyTable::*;
    match table {
        Members => read_part::<legacy::Member>(index, job, cx, io, tasks),
        Flirts => read_part::<legacy::Flirt>(index, job, cx, io, tasks),
        Messages => read_part::<legacy::Message>(index, job, cx, io, tasks),
        Blocks => read_part::<legacy::Block>(index, job, cx, io, tasks),
        Favorites => read_part::<legacy::Favorite>(index, job, cx, io, tasks),
        ProfileVisits => read_part::<legacy::ProfileVisit>(index, job, cx, io, tasks),
        Photos => read_part::<legacy::Photo>(index, job, cx, io, tasks),
        PhotoLikes => read_part::<legacy::PhotoLike>(index, job, cx, io, tasks),
    }
}

/// Records one input part's output parts, rejects part and accounting in
/// one manifest save.
fn commit(
    writer: &ManifestWriter,
    table: LegacyTable,
    output: PartOutput,
) -> Result<(), TransformError> {
    let name = table.name();
    writer.update(|m| {
        if let Some(entry) = m.tables.iter_mut().find(|t| t.name == name) {
            entry.parts.extend(output.events);
        }
        let sidecar = rejects_table(name);
        if let Some(entry) = m.sidecars.iter_mut().find(|t| t.name == sidecar) {
            entry.parts.push(output.rejects);
        }
        if let Some(mut section) = section_of(m) {
            if let Some(account) = section.tables.get_mut(name) {
                account.add(&output.account);
                account.parts_done += 1;
            }
            section.total();
            section.store(m);
        }
    })?;
    Ok(())
}

/// The section of a manifest this crate wrote (unreadable counts as none).
fn section_of(manifest: &Manifest) -> Option<TransformSection> {
    TransformSection::of(manifest).and_then(Result::ok)
}

/// How `transform` treats the folder it is pointed at: an unfinished
/// transform is continued, one of other input or settings is refused (only
/// `--force` replaces it).
const STAGE: Stage = Stage {
    section: "transform",
    output: "pancake event stream",
    run: "transform",
    resume: true,
    replace_other_settings: false,
};

/// Why the transform in a manifest cannot be continued by one that wants
/// `wanted`: its input or settings differ.
fn difference(manifest: &Manifest, wanted: &TransformSection) -> Option<String> {
    let Some(found) = section_of(manifest) else {
        return Some("its transform section cannot be read".into());
    };
    if found.input_fingerprint == wanted.input_fingerprint {
        // Same settings; a resume also needs every table's account.
        return wanted
            .tables
            .keys()
            .find(|t| !found.tables.contains_key(*t))
            .map(|t| {
                format!("its transform section has no account of table {t} (edited by hand?)")
            });
    }
    let show = |v: &Option<String>| v.as_deref().unwrap_or("unknown").to_owned();
    Some(if found.site_start != wanted.site_start {
        format!(
            "--site-start was {}, now {}",
            found.site_start, wanted.site_start
        )
    } else if found.part_events != wanted.part_events {
        format!(
            "--part-events was {}, now {}",
            found.part_events, wanted.part_events
        )
    } else if found.input != wanted.input {
        format!(
            "--in was {}, now {}",
            show(&found.input),
            show(&wanted.input)
        )
    } else {
        "the input dump or the compression level changed since".into()
    })
}

/// Reads and decodes every record of the dump with `threads` threads and
/// emits nothing: the ceiling a transform of it can reach on this machine.
/// Returns the records read.
pub fn decode_only(input: &Path, threads: usize) -> Result<u64, TransformError> {
    let manifest = load_input(input)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| TransformError::Threads {
            threads,
            message: e.to_string(),
        })?;
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
                }
            })
            .sum()
    })
}

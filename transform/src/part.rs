//! One input part in, its sorted event runs and its rejects out.
//!
//! An input part is cut into chunks of rows small enough that a chunk's
//! events fit `--part-records`; each chunk becomes one output part, sorted by
//! (occurred_at, event id). The number of chunks follows from the input
//! manifest alone, so every output part's number is known before any work
//! starts, whatever the thread count: the output is the same bytes with one
//! thread or eight.

use crate::TableAccount;
use crate::error::TransformError;
use crate::rows::{Context, Rejection, Row};
use pancake_proto::LegacyTable;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, Reject, RejectReason};
use pancake_proto::names::{kind_name, reason_name};
use pancake_proto::part::{PartSpec, ReadOptions};
use pancake_proto::record::event_order;
use pancake_proto::{PartEntry, PartReader, PartWriter, Record, WriteOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

/// The work for one input part.
#[derive(Debug, Clone)]
pub struct PartJob {
    /// The input part's number and file (relative to the input dump).
    pub number: u32,
    pub file: String,
    /// Its record count, from the input manifest.
    pub rows: u64,
    /// The key of the row before this part (the previous part's last key),
    /// to catch a duplicate across the boundary.
    pub previous_key: Option<i64>,
    /// The number of this part's first output part.
    pub first_output: u32,
    /// Rows per output part.
    pub chunk_rows: u64,
}

/// What one input part became.
#[derive(Debug)]
pub struct PartOutput {
    pub account: TableAccount,
    pub events: Vec<PartEntry>,
    /// Per event part, how long its chunk took to map and write.
    pub seconds: Vec<f64>,
    pub rejects: PartEntry,
    /// Every file written, to remove if the part is never committed.
    pub files: Vec<PathBuf>,
}

/// The sidecar a table's rejects go to.
pub fn rejects_table(table: &str) -> String {
    crate::TransformSection::rejects_sidecar(table)
}

/// How many output parts an input part of `rows` rows becomes.
pub fn chunks(rows: u64, chunk_rows: u64) -> u64 {
    rows.div_ceil(chunk_rows.max(1))
}

/// Progress callbacks from inside a part.
pub trait Counter: Sync {
    fn rows(&self, _n: u64) {}
    fn events(&self, _n: u64) {}
}

pub struct Io<'a> {
    pub input: &'a Path,
    pub out: &'a Path,
    pub write: &'a WriteOptions,
    pub cancel: &'a AtomicBool,
    pub counter: &'a dyn Counter,
}

/// A row read, with its place and whether its key repeats the one before.
pub struct Read<R> {
    index: u64,
    row: R,
    duplicate: bool,
}

/// What one chunk became: an output part (already on disk, not yet
/// committed), its accounting and its rejects.
pub struct ChunkOutput {
    pub entry: PartEntry,
    pub path: PathBuf,
    pub account: TableAccount,
    pub rejects: Vec<Reject>,
    /// How long mapping, sorting and writing the chunk took.
    pub seconds: f64,
}

/// A chunk of rows ready to map. A closure, so that the workers need not
/// know the table's record type.
pub struct ChunkTask<'a> {
    pub job: usize,
    pub chunk: usize,
    pub run: Box<dyn FnOnce() -> Result<ChunkOutput, TransformError> + Send + 'a>,
}

/// Reads input part `job` and sends each chunk of its rows to the workers.
/// The channel is bounded, so reading waits for mapping and memory stays at
/// a few chunks whatever the data set's size. Returns the rows read.
pub fn read_part<'a, R: Row>(
    index: usize,
    job: &'a PartJob,
    cx: &'a Context<'a>,
    io: &'a Io<'a>,
    tasks: &SyncSender<ChunkTask<'a>>,
) -> Result<u64, TransformError> {
    let table = R::TABLE.name();
    let path = io.input.join(&job.file);
    let options = ReadOptions {
        part_number: Some(job.number),
        ..ReadOptions::expect::<R>(DumpKind::LegacyDump, table)
    };
    let mut reader = PartReader::open(&path, &options)?;
    let expected = chunks(job.rows, job.chunk_rows);
    let too_many = || TransformError::RowCount {
        file: path.clone(),
        manifest: job.rows,
        found: job.rows + 1,
    };
    let send = |chunk: usize, rows: Vec<Read<R>>| {
        let number = job.first_output + chunk as u32;
        let task = ChunkTask {
            job: index,
            chunk,
            run: Box::new(move || map_chunk::<R>(job, number, rows, cx, io)),
        };
        // The workers only hang up when the run is stopping.
        tasks.send(task).map_err(|_| TransformError::Cancelled)
    };
    let mut rows = Vec::new();
    let mut previous = job.previous_key;
    let mut read = 0u64;
    let mut chunk = 0usize;
    while let Some(row) = reader.next_record::<R>()? {
        let key = row.key();
        rows.push(Read {
            index: read,
            row,
            duplicate: key.is_some() && key == previous,
        });
        previous = key;
        read += 1;
        if rows.len() as u64 == job.chunk_rows {
            if chunk as u64 >= expected {
                return Err(too_many());
            }
            send(chunk, std::mem::take(&mut rows))?;
            chunk += 1;
        }
        if read.is_multiple_of(4096) {
            io.counter.rows(4096);
            if io.cancel.load(Ordering::Relaxed) {
                return Err(TransformError::Cancelled);
            }
        }
    }
    io.counter.rows(read % 4096);
    if !rows.is_empty() {
        if chunk as u64 >= expected {
            return Err(too_many());
        }
        send(chunk, rows)?;
    }
    if read != job.rows {
        return Err(TransformError::RowCount {
            file: path,
            manifest: job.rows,
            found: read,
        });
    }
    Ok(read)
}

/// Puts a finished input part together: sums its chunks' accounting and
/// writes its rejects part (rejects are few; this runs on one thread).
pub fn finish_part(
    table: LegacyTable,
    job: &PartJob,
    chunks: Vec<ChunkOutput>,
    io: &Io,
) -> Result<PartOutput, TransformError> {
    let mut account = TableAccount::default();
    let mut events = Vec::new();
    let mut files = Vec::new();
    let mut rejects = Vec::new();
    let mut seconds = Vec::new();
    for out in chunks {
        account.add(&out.account);
        seconds.push(out.seconds);
        events.push(out.entry);
        files.push(out.path);
        rejects.extend(out.rejects);
    }
    let spec = PartSpec::of::<Reject>(
        DumpKind::EventStream,
        &rejects_table(table.name()),
        job.number,
    );
    files.push(io.out.join(spec.relative_path()));
    let mut writer = PartWriter::create(io.out, spec, io.write)?;
    for reject in &rejects {
        writer.write(reject)?;
    }
    let rejects = writer.finish()?;
    Ok(PartOutput {
        account,
        events,
        seconds,
        rejects,
        files,
    })
}

/// Checks and maps one chunk of rows, and writes its events as one sorted
/// output part.
fn map_chunk<R: Row>(
    job: &PartJob,
    number: u32,
    rows: Vec<Read<R>>,
    cx: &Context,
    io: &Io,
) -> Result<ChunkOutput, TransformError> {
    let started = std::time::Instant::now();
    let table = R::TABLE.name();
    let mut account = TableAccount::default();
    let mut events: Vec<Event> = Vec::with_capacity(rows.len());
    let mut rejects = Vec::new();
    for Read {
        index,
        row,
        duplicate,
    } in rows
    {
        let verdict = if duplicate {
            Err(Rejection {
                reason: RejectReason::DuplicateKey,
                column: R::KEY_FIELD,
                detail: format!(
                    "{} {} repeats the row before it",
                    R::KEY_FIELD,
                    row.key().unwrap_or_default()
                ),
            })
        } else {
            row.check(cx)
        };
        account.rows += 1;
        match verdict {
            Ok(()) => {
                let before = events.len();
                account.repaired += u64::from(row.repaired());
                row.events(cx, &mut events);
                for e in &events[before..] {
                    // Looked up before inserting: an owned key per event was
                    // an allocation per event on the hot path.
                    let name = kind_name(e.kind());
                    match account.events.get_mut(name) {
                        Some(n) => *n += 1,
                        None => {
                            account.events.insert(name.to_owned(), 1);
                        }
                    }
                }
                account.rows_with_events += 1;
            }
            Err(rejection) => {
                account.rejected += 1;
                *account
                    .rejects
                    .entry(reason_name(rejection.reason).to_owned())
                    .or_default() += 1;
                rejects.push(Reject {
                    table: table.to_owned(),
                    key: row.key().unwrap_or_default(),
                    reason: rejection.reason as i32,
                    column: rejection.column.to_owned(),
                    part: job.number,
                    record: index,
                    row: prost::Message::encode_to_vec(&row),
                    detail: rejection.detail,
                });
            }
        }
        if io.cancel.load(Ordering::Relaxed) {
            return Err(TransformError::Cancelled);
        }
    }
    let (entry, path) = write_run(table, number, &mut events, io)?;
    Ok(ChunkOutput {
        entry,
        path,
        account,
        rejects,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Sorts a chunk's events and writes them as one output part.
fn write_run(
    table: &str,
    number: u32,
    chunk: &mut Vec<Event>,
    io: &Io,
) -> Result<(PartEntry, PathBuf), TransformError> {
    chunk.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
    let spec = PartSpec::of::<Event>(DumpKind::EventStream, table, number);
    let path = io.out.join(spec.relative_path());
    let mut writer = PartWriter::create(io.out, spec, io.write)?;
    for event in chunk.iter() {
        writer.write(event)?;
    }
    io.counter.events(chunk.len() as u64);
    chunk.clear();
    let entry = writer.finish()?;
    Ok((entry, path))
}

/// Reads and decodes every record of a part and does nothing else: the
/// ceiling the transform is measured against.
pub fn decode_only<R: Record>(path: &Path, options: &ReadOptions) -> Result<u64, TransformError> {
    let mut reader = PartReader::open(path, options)?;
    let mut n = 0u64;
    while let Some(record) = reader.next_record::<R>()? {
        std::hint::black_box(&record);
        n += 1;
    }
    Ok(n)
}

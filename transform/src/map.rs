//! Step 2, the concurrent loop: every input part not yet done, mapped in
//! parallel and committed in input order.
//!
//! Three kinds of thread share the work, each with its own state:
//!
//! - one reader ([`MapRun::read_parts`]) reads the parts in order and cuts
//!   them into chunks;
//! - the workers (`--threads` of them, [`MapRun::work`]) map chunks into
//!   sorted output parts;
//! - the calling thread, the [`Committer`], puts parts together as their
//!   chunks come back and commits them to the manifest in input order.
//!
//! The channel from reader to workers holds at most one chunk per worker, so
//! memory is a few chunks whatever the data set's size, and one big input
//! part keeps every core busy.

use crate::Progress;
use crate::TransformOptions;
use crate::error::TransformError;
use crate::part::{
    ChunkOutput, ChunkTask, Io, PartJob, PartOutput, chunks, finish_part, read_part,
};
use crate::rows::{Context, Row};
use crate::start::section_of;
use crate::told::Told;
use pancake_proto::{LegacyTable, Manifest, ManifestWriter, legacy};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, mpsc};

/// What a run committed: the rows it read and the events it wrote.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Committed {
    pub rows: u64,
    pub events: u64,
}

/// The mapping of every input part not yet done: what to map, with what,
/// and where it goes.
pub(crate) struct MapRun<'a> {
    /// Every input part still to map, table by table, each table's parts in
    /// input order. Indexes into it name a part everywhere below.
    jobs: Vec<(LegacyTable, PartJob)>,
    /// The rows of those parts, for progress.
    rows_left: u64,
    /// How many worker threads map chunks.
    workers: usize,
    /// The indexes and dates every check consults.
    cx: &'a Context<'a>,
    /// Where parts are read and written, the cancel flag and the progress
    /// counter.
    io: &'a Io<'a>,
    /// The output's manifest, saved at every commit.
    writer: &'a ManifestWriter,
}

/// What the reader and the workers tell the committer.
enum Done {
    /// A worker mapped chunk `chunk` of part `job`.
    Chunk {
        job: usize,
        chunk: usize,
        result: Result<Box<ChunkOutput>, TransformError>,
    },
    /// The reader finished part `job`: all its rows (`Ok`) were sent.
    Read {
        job: usize,
        result: Result<u64, TransformError>,
    },
}

/// An input part on its way: chunks back from the workers, and whether its
/// reader got to the end.
#[derive(Default)]
struct InFlight {
    /// By chunk number, grown as chunks come back: never sized from the
    /// manifest's row count, which is only checked once the part is read.
    chunks: Vec<Option<ChunkOutput>>,
    /// The number of chunks the reader cut the part into, once it read the
    /// part whole and found the rows the manifest counts.
    read: Option<usize>,
    failed: bool,
}

/// The state of the thread that commits: what came back of each part, which
/// part of each table is next, and the first failure.
struct Committer<'r, 'a> {
    run: &'r MapRun<'a>,
    /// Told of every part committed.
    progress: &'r dyn Progress,
    /// Per job (an index into [`MapRun::jobs`]), what came back so far.
    flight: Vec<InFlight>,
    /// Per table, the job to commit next: commits go in input order.
    next_commit: BTreeMap<LegacyTable, usize>,
    /// The first error. Once set, the run is cancelled, nothing more is
    /// committed, and [`Committer::finish`] returns it.
    failure: Option<TransformError>,
    /// What was committed so far.
    committed: Committed,
}

impl<'a> MapRun<'a> {
    /// The input parts of `tables` in `input` that the output's manifest
    /// (in `writer`) does not count as done yet.
    pub fn plan(
        input: &Manifest,
        tables: &[LegacyTable],
        options: &TransformOptions,
        writer: &'a ManifestWriter,
        cx: &'a Context<'a>,
        io: &'a Io<'a>,
    ) -> Result<MapRun<'a>, TransformError> {
        let section = section_of(&writer.snapshot()).expect("written above");
        let mut jobs: Vec<(LegacyTable, PartJob)> = Vec::new();
        let mut rows_left = 0u64;
        for &table in tables {
            let entry = input.table(table.name()).expect("listed above");
            let done = section.tables[table.name()].parts_done;
            let chunk_rows = (options.part_events / max_events(table)).max(1);
            let mut first_output = 0u32;
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
        let workers = match options.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        Ok(MapRun {
            jobs,
            rows_left,
            workers,
            cx,
            io,
            writer,
        })
    }

    /// Maps and commits every planned part: starts the reader and the
    /// workers, and commits on this thread until they are done.
    pub fn run(&self, progress: &dyn Progress) -> Result<Committed, TransformError> {
        progress.phase("transforming", self.rows_left);
        // One chunk may wait for a worker, so the reader reads ahead by one.
        let (task_tx, task_rx) = mpsc::sync_channel::<ChunkTask>(1);
        let task_rx = Mutex::new(task_rx);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let mut committer = Committer::new(self, progress);
        std::thread::scope(|scope| {
            let done = done_tx.clone();
            scope.spawn(move || self.read_parts(task_tx, done));
            for _ in 0..self.workers {
                let (task_rx, done) = (&task_rx, done_tx.clone());
                scope.spawn(move || self.work(task_rx, done));
            }
            drop(done_tx);
            for message in done_rx {
                committer.receive(message);
            }
        });
        committer.finish()
    }

    /// The reader thread: reads the parts in order and sends their chunks to
    /// the workers, until every part is read or the run is cancelled.
    fn read_parts<'s>(&'s self, tasks: mpsc::SyncSender<ChunkTask<'s>>, done: mpsc::Sender<Done>) {
        for (i, (table, job)) in self.jobs.iter().enumerate() {
            if self.io.cancel.load(Ordering::Relaxed) {
                break;
            }
            let result = read_any(*table, i, job, self.cx, self.io, &tasks);
            let _ = done.send(Done::Read { job: i, result });
        }
    }

    /// A worker thread: maps chunks until the reader is done and the
    /// channel is empty.
    fn work(&self, tasks: &Mutex<mpsc::Receiver<ChunkTask>>, done: mpsc::Sender<Done>) {
        loop {
            let task = tasks.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok(task) = task else { break };
            let result = if self.io.cancel.load(Ordering::Relaxed) {
                Err(TransformError::Cancelled)
            } else {
                (task.run)().map(Box::new)
            };
            let _ = done.send(Done::Chunk {
                job: task.job,
                chunk: task.chunk,
                result,
            });
        }
    }
}

impl<'r, 'a> Committer<'r, 'a> {
    fn new(run: &'r MapRun<'a>, progress: &'r dyn Progress) -> Self {
        let mut next_commit = BTreeMap::new();
        for (i, (table, _)) in run.jobs.iter().enumerate().rev() {
            next_commit.insert(*table, i);
        }
        Committer {
            run,
            progress,
            flight: run.jobs.iter().map(|_| InFlight::default()).collect(),
            next_commit,
            failure: None,
            committed: Committed::default(),
        }
    }

    /// Takes in what a reader or worker sends, and commits what it completes.
    fn receive(&mut self, message: Done) {
        let job = match message {
            Done::Chunk { job, chunk, result } => {
                match result {
                    Ok(out) if self.failure.is_none() => {
                        let chunks = &mut self.flight[job].chunks;
                        if chunks.len() <= chunk {
                            chunks.resize_with(chunk + 1, || None);
                        }
                        chunks[chunk] = Some(*out);
                    }
                    Ok(out) => {
                        let _ = std::fs::remove_file(&out.path);
                    }
                    Err(e) => {
                        self.flight[job].failed = true;
                        self.fail(e);
                    }
                }
                job
            }
            Done::Read { job, result } => {
                match result {
                    Ok(rows) => {
                        // The rows are the manifest's count, and every
                        // chunk of them was sent.
                        let n = chunks(rows, self.run.jobs[job].1.chunk_rows) as usize;
                        let f = &mut self.flight[job];
                        if f.chunks.len() < n {
                            f.chunks.resize_with(n, || None);
                        }
                        f.read = Some(n);
                    }
                    Err(e) => {
                        self.flight[job].failed = true;
                        self.fail(e);
                    }
                }
                job
            }
        };
        if self.failure.is_none() {
            self.commit_ready(self.run.jobs[job].0);
        }
    }

    /// Commits, in input order, every part of `table` now complete.
    fn commit_ready(&mut self, table: LegacyTable) {
        let run = self.run;
        let jobs = &run.jobs;
        let mut next = self.next_commit[&table];
        while next < jobs.len() && jobs[next].0 == table {
            let f = &mut self.flight[next];
            if !(f.read.is_some() && f.chunks.iter().all(Option::is_some)) {
                break;
            }
            let outs = f
                .chunks
                .iter_mut()
                .map(|c| c.take().expect("checked"))
                .collect();
            let committed = &mut self.committed;
            let result = finish_part(table, &jobs[next].1, outs, run.io).and_then(|output| {
                committed.rows += output.account.rows;
                committed.events += output.account.events_total();
                let files = output.files.clone();
                let input = std::fs::metadata(run.io.input.join(&jobs[next].1.file));
                let told = Told::of(&output, input.map_or(0, |m| m.len()));
                commit(run.writer, table, output)
                    .inspect_err(|_| {
                        for f in files {
                            let _ = std::fs::remove_file(f);
                        }
                    })
                    .map(|()| told)
            });
            match result {
                Ok(told) => told.tell(table.name(), self.progress),
                Err(e) => {
                    self.fail(e);
                    break;
                }
            }
            next += 1;
        }
        self.next_commit.insert(table, next);
    }

    /// Stops the run: the first error is the one reported, unless it was
    /// only the cancellation another error caused.
    fn fail(&mut self, e: TransformError) {
        self.run.io.cancel.store(true, Ordering::Relaxed);
        if self.failure.is_none() || matches!(self.failure, Some(TransformError::Cancelled)) {
            self.failure = Some(e);
        }
    }

    /// What the run committed, or its failure once the files of every
    /// uncommitted part are removed.
    fn finish(self) -> Result<Committed, TransformError> {
        if let Some(e) = self.failure {
            // Nothing of an uncommitted part may look finished.
            for f in &self.flight {
                for out in f.chunks.iter().flatten() {
                    let _ = std::fs::remove_file(&out.path);
                }
            }
            return Err(e);
        }
        Ok(self.committed)
    }
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
        SearchProfiles => legacy::SearchProfile::MAX_EVENTS,
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
        SearchProfiles => read_part::<legacy::SearchProfile>(index, job, cx, io, tasks),
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
        let sidecar = crate::part::rejects_table(name);
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

//! All runs of an event stream merged into one global order.
//!
//! Transform writes each table's events as *runs*: parts each sorted by
//! [`event_order`] (time, then a registration first, then event id). A loader
//! wants the whole stream in that order, so that nothing of a member comes
//! before they exist. [`EventMerge`] is a k-way merge of the runs with memory
//! bounded by the runs that overlap in time, not by their number:
//!
//! - a run is opened only when the merge frontier reaches the first time the
//!   manifest gives for it (its `time_range`), so with thousands of runs whose
//!   times grow with the table's keys only the few that overlap the frontier
//!   are open at once, each holding one decoded event;
//! - before an event at time `t` is yielded, every run starting at or before
//!   `t` is opened, since its first event (a registration at `t`, say) could
//!   sort before it.
//!
//! Nothing is trusted: every run is checked to be sorted as it is read, its
//! first and last times against the manifest's time range and its count
//! against the manifest, so a damaged or hand-edited stream fails with an
//! error naming the file instead of coming out misordered. A run's trailer is
//! checked before its last event is yielded (the merge reads one event ahead
//! in every open run). Events are still yielded while later parts are unread:
//! a loader that must publish all or nothing verifies the stream first.
//!
//! The order is total and deterministic (equal keys in different runs go in
//! run order), so a [`Position`], the count of events taken from each run,
//! is a checkpoint: [`EventMerge::resume`] continues exactly after it.

use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, EventKind};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::names::kind_name;
use pancake_proto::record::{event_order, format_micros, timestamp_micros};
use pancake_proto::{Manifest, ManifestError, PartError, PartReader, ReadOptions, Record as _};
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::iter::FusedIterator;
use std::path::{Path, PathBuf};

/// How far a merge has come: per run, the number of its events already
/// yielded.
///
/// Runs are numbered in a stable order: the manifest's tables in manifest
/// order (sidecars left out), each table's parts in order. Save it beside
/// whatever the events went to, and hand it to [`EventMerge::resume`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Events yielded so far from each run.
    pub consumed: Vec<u64>,
}

impl Position {
    /// Events yielded so far in all.
    pub fn total(&self) -> u64 {
        self.consumed.iter().sum()
    }
}

/// What can stop a merge. Every variant says which file or folder, and what
/// to do.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Part(#[from] PartError),

    #[error(transparent)]
    Manifest(#[from] ManifestError),

    #[error(transparent)]
    EventContract(#[from] pancake_proto::events::EventContractError),

    #[error("{}: this is a {found}, not an event stream; load reads what `pancake transform` writes", .dir.display())]
    NotEventStream { dir: PathBuf, found: &'static str },

    #[error("{}: the event stream is incomplete: the transform writing it has not finished (or was stopped); run `pancake transform` again until it completes, then load", .dir.display())]
    Incomplete { dir: PathBuf },

    #[error("{}: table {table} holds {found} records, not {}; this is not an event stream pancake wrote", .dir.display(), Event::TYPE_NAME)]
    RecordType {
        dir: PathBuf,
        table: String,
        found: String,
    },

    #[error("{}: part {part} of {table}: {detail}; the manifest and the part disagree, re-run the transform that wrote them", .file.display())]
    BadTimeRange {
        table: String,
        part: u32,
        file: PathBuf,
        detail: String,
    },

    #[error("{}: record {record} is out of order: {found} sorts before the record before it ({previous}); the part is not a sorted run, re-run the transform that wrote it", .file.display())]
    OutOfOrder {
        file: PathBuf,
        record: u64,
        previous: String,
        found: String,
    },

    #[error("{}: the part holds {read} events but the manifest counts {manifest}; re-run the transform that wrote it", .file.display())]
    RecordCount {
        file: PathBuf,
        manifest: u64,
        read: u64,
    },

    #[error("{}: cannot resume there: {detail}; the position was taken on another event stream, or the stream was written again since", .dir.display())]
    BadPosition { dir: PathBuf, detail: String },
}

/// One part of one table.
struct Run {
    table: String,
    part: u32,
    path: PathBuf,
    /// The record count in the manifest.
    records: u64,
    /// Its first and last event time (µs), from the manifest; `None` when no
    /// event has a time (an empty part).
    time_range: Option<(i64, i64)>,
    /// Open while it may still hold events, `None` before and after.
    reader: Option<PartReader>,
    /// Events yielded so far.
    consumed: u64,
}

impl Run {
    /// The earliest time any of its events can have: a run is opened when
    /// the frontier reaches it. A run without a time range (empty, or with
    /// events lacking a time, which sort first) is opened at once.
    fn start(&self) -> i64 {
        self.time_range.map_or(i64::MIN, |(first, _)| first)
    }

    fn bad_time_range(&self, detail: String) -> MergeError {
        MergeError::BadTimeRange {
            table: self.table.clone(),
            part: self.part,
            file: self.path.clone(),
            detail,
        }
    }
}

/// An open run's next event, ordered so that `BinaryHeap<Reverse<Head>>`
/// pops the smallest (key, run index).
struct Head {
    event: Event,
    run: usize,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        event_order(&self.event)
            .cmp(&event_order(&other.event))
            .then(self.run.cmp(&other.run))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

/// The events of a whole event stream in [`event_order`], as an iterator.
///
/// After the first error it yields nothing more.
pub struct EventMerge {
    dir: PathBuf,
    runs: Vec<Run>,
    /// Runs not opened yet, by start time then index, latest first (the next
    /// to open is last).
    pending: Vec<usize>,
    heap: BinaryHeap<Reverse<Head>>,
    open: usize,
    max_open: usize,
    total: u64,
    done: bool,
}

impl std::fmt::Debug for EventMerge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventMerge")
            .field("dir", &self.dir)
            .field("runs", &self.runs.len())
            .field("pending", &self.pending.len())
            .field("open", &self.open)
            .field("max_open", &self.max_open)
            .field("total", &self.total)
            .field("done", &self.done)
            .finish()
    }
}

impl EventMerge {
    /// Merges the event stream in `dir` from its start.
    ///
    /// Refuses anything but a complete event stream. Reads only the manifest;
    /// parts are opened as the merge reaches them.
    pub fn open(dir: &Path) -> Result<EventMerge, MergeError> {
        let manifest = Manifest::load(dir)?;
        if manifest.kind != DumpKindName::EventStream {
            return Err(MergeError::NotEventStream {
                dir: dir.to_path_buf(),
                found: manifest.kind.as_str(),
            });
        }
        manifest.check_contract(dir)?;
        if !manifest.complete {
            return Err(MergeError::Incomplete {
                dir: dir.to_path_buf(),
            });
        }
        let mut runs = Vec::new();
        for table in &manifest.tables {
            if table.record_type != Event::TYPE_NAME {
                return Err(MergeError::RecordType {
                    dir: dir.to_path_buf(),
                    table: table.name.clone(),
                    found: table.record_type.clone(),
                });
            }
            for part in &table.parts {
                let mut run = Run {
                    table: table.name.clone(),
                    part: part.number,
                    path: dir.join(&part.file),
                    records: part.records,
                    time_range: None,
                    reader: None,
                    consumed: 0,
                };
                run.time_range = match &part.time_range {
                    None => None,
                    Some([first, last]) => {
                        let parse = |s: &str| {
                            parse_time(s).ok_or_else(|| {
                                run.bad_time_range(format!(
                                    "the manifest's time range holds {s:?}, not an RFC 3339 time"
                                ))
                            })
                        };
                        let (first, last) = (parse(first)?, parse(last)?);
                        if first > last {
                            return Err(run.bad_time_range(format!(
                                "the manifest's time range starts at {} after it ends at {}",
                                format_micros(first),
                                format_micros(last)
                            )));
                        }
                        Some((first, last))
                    }
                };
                runs.push(run);
            }
        }
        let mut pending: Vec<usize> = (0..runs.len()).collect();
        pending.sort_by_key(|&i| Reverse((runs[i].start(), i)));
        Ok(EventMerge {
            dir: dir.to_path_buf(),
            total: runs.iter().map(|r| r.records).sum(),
            runs,
            pending,
            heap: BinaryHeap::new(),
            open: 0,
            max_open: 0,
            done: false,
        })
    }

    /// Merges the event stream in `dir` from just after `at`: the events
    /// yielded are exactly those an uninterrupted merge yields after the one
    /// at which `at` was taken.
    ///
    /// The runs that were part-way through are opened and their consumed
    /// events read (and checked) again; finished runs are not opened.
    pub fn resume(dir: &Path, at: &Position) -> Result<EventMerge, MergeError> {
        let mut merge = EventMerge::open(dir)?;
        let bad = |detail: String| MergeError::BadPosition {
            dir: dir.to_path_buf(),
            detail,
        };
        if at.consumed.len() != merge.runs.len() {
            return Err(bad(format!(
                "it counts {} runs, the stream has {}",
                at.consumed.len(),
                merge.runs.len()
            )));
        }
        for (run, (&consumed, r)) in at.consumed.iter().zip(&merge.runs).enumerate() {
            if consumed > r.records {
                return Err(bad(format!(
                    "it has {consumed} events of run {run} ({}) consumed, which holds {}",
                    r.path.display(),
                    r.records
                )));
            }
        }
        // Runs with nothing consumed open as usual; the others are open
        // (part-way through) or finished.
        merge.pending.retain(|&i| at.consumed[i] == 0);
        for (run, &consumed) in at.consumed.iter().enumerate() {
            merge.runs[run].consumed = consumed;
            if consumed == 0 || consumed == merge.runs[run].records {
                continue;
            }
            merge.open_reader(run)?;
            let mut previous: Option<Event> = None;
            for _ in 0..consumed {
                previous = merge.read_next(run, previous.as_ref())?;
                if previous.is_none() {
                    // read_next fails before this: the part ended before the
                    // manifest's count.
                    return Err(bad(format!("run {run} ended early")));
                }
            }
            if let Some(event) = merge.read_next(run, previous.as_ref())? {
                merge.heap.push(Reverse(Head { event, run }));
            }
        }
        Ok(merge)
    }

    /// How many events of each run were yielded so far: the checkpoint to
    /// resume from.
    pub fn position(&self) -> Position {
        Position {
            consumed: self.runs.iter().map(|r| r.consumed).collect(),
        }
    }

    /// The number of events in the stream, from the manifest.
    pub fn total_events(&self) -> u64 {
        self.total
    }

    /// The number of runs (parts of every table), the length of a
    /// [`Position`].
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// Runs open right now.
    pub fn open_runs(&self) -> usize {
        self.open
    }

    /// The most runs that were open at once.
    pub fn max_open_runs(&self) -> usize {
        self.max_open
    }

    fn open_reader(&mut self, run: usize) -> Result<(), MergeError> {
        let r = &mut self.runs[run];
        let options = ReadOptions {
            part_number: Some(r.part),
            ..ReadOptions::expect::<Event>(DumpKind::EventStream, &r.table)
        };
        r.reader = Some(PartReader::open(&r.path, &options)?);
        self.open += 1;
        self.max_open = self.max_open.max(self.open);
        Ok(())
    }

    /// Opens a pending run and queues its first event.
    fn open_run(&mut self, run: usize) -> Result<(), MergeError> {
        self.open_reader(run)?;
        if let Some(event) = self.read_next(run, None)? {
            self.heap.push(Reverse(Head { event, run }));
        }
        Ok(())
    }

    /// The open run's next event, checked against the one before it
    /// (`previous`, `None` for the first) and the manifest. At the end of the
    /// run (the trailer checked) closes it and returns `None`.
    fn read_next(
        &mut self,
        run: usize,
        previous: Option<&Event>,
    ) -> Result<Option<Event>, MergeError> {
        let r = &mut self.runs[run];
        let reader = r.reader.as_mut().expect("only open runs are read");
        let next = reader.next_record::<Event>()?;
        let read = reader.records_read();
        match next {
            Some(event) => {
                match previous {
                    None if event_time(&event) != r.time_range.map(|(first, _)| first) => {
                        return Err(r.bad_time_range(format!(
                            "the manifest's time range starts at {} but the first event is {}",
                            show_time(r.time_range.map(|(first, _)| first)),
                            describe(&event)
                        )));
                    }
                    Some(previous) if event_order(&event) < event_order(previous) => {
                        return Err(MergeError::OutOfOrder {
                            file: r.path.clone(),
                            record: read - 1,
                            previous: describe(previous),
                            found: describe(&event),
                        });
                    }
                    _ => {}
                }
                if read > r.records {
                    return Err(MergeError::RecordCount {
                        file: r.path.clone(),
                        manifest: r.records,
                        read,
                    });
                }
                Ok(Some(event))
            }
            None => {
                if read != r.records {
                    return Err(MergeError::RecordCount {
                        file: r.path.clone(),
                        manifest: r.records,
                        read,
                    });
                }
                let last = previous.and_then(event_time);
                if last != r.time_range.map(|(_, last)| last) {
                    return Err(r.bad_time_range(format!(
                        "the manifest's time range ends at {} but the last event is at {}",
                        show_time(r.time_range.map(|(_, last)| last)),
                        show_time(last)
                    )));
                }
                r.reader = None;
                self.open -= 1;
                Ok(None)
            }
        }
    }

    fn step(&mut self) -> Result<Option<Event>, MergeError> {
        // Open every run that could hold an event sorting before the
        // smallest queued one: those starting at or before its time.
        while let Some(&next) = self.pending.last() {
            let frontier = self.heap.peek().map(|Reverse(h)| event_order(&h.event).0);
            if frontier.is_some_and(|t| self.runs[next].start() > t) {
                break;
            }
            self.pending.pop();
            self.open_run(next)?;
        }
        let Some(Reverse(Head { event, run })) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.read_next(run, Some(&event))? {
            self.heap.push(Reverse(Head { event: next, run }));
        }
        self.runs[run].consumed += 1;
        Ok(Some(event))
    }

    /// Closes every run after an error.
    fn stop(&mut self) {
        self.done = true;
        self.heap.clear();
        self.pending.clear();
        for run in &mut self.runs {
            run.reader = None;
        }
        self.open = 0;
    }
}

impl Iterator for EventMerge {
    type Item = Result<Event, MergeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.stop();
                Some(Err(e))
            }
        }
    }
}

impl FusedIterator for EventMerge {}

/// An event's time in µs, if it has one.
fn event_time(event: &Event) -> Option<i64> {
    event.occurred_at.as_ref().map(timestamp_micros)
}

/// A time of the manifest (as [`format_micros`] writes it) in µs.
fn parse_time(s: &str) -> Option<i64> {
    if let Some(micros) = s.strip_suffix("us") {
        return micros.parse().ok();
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_micros())
}

fn show_time(micros: Option<i64>) -> String {
    micros.map_or_else(|| "no time".to_owned(), format_micros)
}

/// An event as errors name it: time, kind and id.
fn describe(event: &Event) -> String {
    let kind = EventKind::try_from(event.kind).map_or("unknown", kind_name);
    format!(
        "{} {kind} {}",
        show_time(event_time(event)),
        pancake_proto::events::uuid_text(&event.event_id)
    )
}

#[cfg(test)]
mod tests;

//! All runs of an event stream merged into one global order.
//!
//! Transform writes each table's events as *runs*: parts each sorted by
//! [`event_order`](pancake_proto::record::event_order) (time, then a
//! registration first, then event id). A loader
//! wants the whole stream in that order, so that nothing of a member comes
//! before they exist. [`EventMerge`] is a k-way merge of the runs with memory
//! bounded by the runs that overlap in time, not by their number:
//!
//! - a run is opened only when the merge frontier reaches the first time the
//!   manifest gives for it (its `time_range`), so with thousands of runs whose
//!   times grow with the table's keys only the few that overlap the frontier
//!   are open at once, each holding one event (its frame and head);
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

mod errors;
mod head;
mod run;

pub use errors::MergeError;
pub use head::{EventHead, FramedEvent};

use pancake_proto::events::Event;
use pancake_proto::manifest::DumpKindName;
use pancake_proto::{Manifest, PartError, Record as _};
use run::Run;
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

/// An open run's next event, ordered so that `BinaryHeap<Reverse<Queued>>`
/// pops the smallest (key, run index).
struct Queued {
    event: FramedEvent,
    run: usize,
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        self.event
            .head
            .order()
            .cmp(&other.event.head.order())
            .then(self.run.cmp(&other.run))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

/// The events of a whole event stream in the order of
/// [`EventHead::order`]: each as its
/// frame and head ([`EventMerge::next_framed`]), or decoded whole (as an
/// iterator).
///
/// After the first error it yields nothing more.
pub struct EventMerge {
    dir: PathBuf,
    runs: Vec<Run>,
    /// Runs not opened yet, by start time then index, latest first (the next
    /// to open is last).
    pending: Vec<usize>,
    heap: BinaryHeap<Reverse<Queued>>,
    /// The event yielded last. Its buffers take the next event read from a
    /// run, so that the merge allocates nothing per event.
    current: Option<FramedEvent>,
    /// The run `current` came from.
    current_run: usize,
    open: usize,
    max_open: usize,
    total: u64,
    /// Runs read to their trailer since [`EventMerge::take_parts_read`]
    /// last took them.
    read: Vec<usize>,
    done: bool,
}

/// A part of the stream the merge read to its trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRead<'a> {
    pub table: &'a str,
    pub part: u32,
    /// The size of its file.
    pub bytes: u64,
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
        let runs = Run::all_of(dir, &manifest)?;
        let mut pending: Vec<usize> = (0..runs.len()).collect();
        pending.sort_by_key(|&i| Reverse((runs[i].start(), i)));
        Ok(EventMerge {
            dir: dir.to_path_buf(),
            total: runs.iter().map(|r| r.records).sum(),
            runs,
            pending,
            heap: BinaryHeap::new(),
            current: None,
            current_run: 0,
            open: 0,
            max_open: 0,
            read: Vec::new(),
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
            // Two buffers in turn: the event just read and the one before.
            let (mut previous, mut next) = (FramedEvent::default(), FramedEvent::default());
            for read in 0..consumed {
                let before = (read > 0).then_some(&previous.head);
                if !merge.runs[run].read_next(before, &mut next)? {
                    // read_next fails before this: the part ended before the
                    // manifest's count.
                    return Err(bad(format!("run {run} ended early")));
                }
                std::mem::swap(&mut previous, &mut next);
            }
            merge.queue_next(run, Some(&previous.head), next)?;
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

    /// The parts read to their trailer (and checked) since the last call,
    /// in the order they ended. A part a resumed merge reads again counts
    /// again.
    pub fn take_parts_read(&mut self) -> impl Iterator<Item = PartRead<'_>> {
        let runs = &self.runs;
        self.read.drain(..).map(move |i| PartRead {
            table: &runs[i].table,
            part: runs[i].part,
            bytes: runs[i].bytes,
        })
    }

    /// The next event in the merge order as the part holds it, with its
    /// head; `None` at the end, and after an error.
    pub fn next_framed(&mut self) -> Result<Option<&FramedEvent>, MergeError> {
        if self.done {
            return Ok(None);
        }
        match self.step() {
            Ok(true) => Ok(self.current.as_ref()),
            Ok(false) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.stop();
                Err(e)
            }
        }
    }

    fn open_reader(&mut self, run: usize) -> Result<(), MergeError> {
        self.runs[run].open()?;
        self.open += 1;
        self.max_open = self.max_open.max(self.open);
        Ok(())
    }

    /// Reads the open run's next event into `into` and queues it; at the
    /// run's end counts it closed.
    fn queue_next(
        &mut self,
        run: usize,
        previous: Option<&EventHead>,
        mut into: FramedEvent,
    ) -> Result<(), MergeError> {
        if self.runs[run].read_next(previous, &mut into)? {
            self.heap.push(Reverse(Queued { event: into, run }));
        } else {
            self.open -= 1;
            self.read.push(run);
        }
        Ok(())
    }

    /// Moves to the next event, leaving it in `current`; false at the end.
    fn step(&mut self) -> Result<bool, MergeError> {
        // Open every run that could hold an event sorting before the
        // smallest queued one: those starting at or before its time.
        while let Some(&next) = self.pending.last() {
            let frontier = self.heap.peek().map(|Reverse(q)| q.event.head.order().0);
            if frontier.is_some_and(|t| self.runs[next].start() > t) {
                break;
            }
            self.pending.pop();
            self.open_reader(next)?;
            self.queue_next(next, None, FramedEvent::default())?;
        }
        let Some(Reverse(Queued { event, run })) = self.heap.pop() else {
            self.current = None;
            return Ok(false);
        };
        let spare = self.current.take().unwrap_or_default();
        self.queue_next(run, Some(&event.head), spare)?;
        self.runs[run].consumed += 1;
        self.current = Some(event);
        self.current_run = run;
        Ok(true)
    }

    /// The file and record index of the event yielded last.
    fn last_read(&self) -> (PathBuf, u64) {
        let run = &self.runs[self.current_run];
        (run.path.clone(), run.consumed.saturating_sub(1))
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

/// The events decoded whole, for loaders and checks that need every field.
impl Iterator for EventMerge {
    type Item = Result<Event, MergeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let framed = match self.next_framed() {
            Ok(framed) => framed?,
            Err(e) => return Some(Err(e)),
        };
        let decoded = framed.event();
        Some(decoded.map_err(|cause| {
            let (path, record) = self.last_read();
            self.stop();
            PartError::Decode {
                path,
                record,
                record_type: Event::TYPE_NAME.to_owned(),
                cause,
            }
            .into()
        }))
    }
}

impl FusedIterator for EventMerge {}

#[cfg(test)]
mod tests;

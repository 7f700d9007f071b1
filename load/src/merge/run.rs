//! One run of the merge (a part of a table), read frame by frame and
//! checked against itself and the manifest as it goes.

use super::MergeError;
use super::head::{EventHead, FramedEvent};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, EventKind};
use pancake_proto::names::kind_name;
use pancake_proto::record::format_micros;
use pancake_proto::{Manifest, PartError, PartReader, ReadOptions, Record as _};
use std::path::{Path, PathBuf};

/// One part of one table.
pub(super) struct Run {
    pub(super) table: String,
    pub(super) part: u32,
    pub(super) path: PathBuf,
    /// The record count in the manifest.
    pub(super) records: u64,
    /// The size of its file, from the manifest.
    pub(super) bytes: u64,
    /// Its first and last event time (µs), from the manifest; `None` when no
    /// event has a time (an empty part).
    pub(super) time_range: Option<(i64, i64)>,
    /// Open while it may still hold events, `None` before and after.
    pub(super) reader: Option<PartReader>,
    /// Events yielded so far.
    pub(super) consumed: u64,
}

impl Run {
    /// The runs of the event stream `manifest` describes, in the order a
    /// [`Position`](super::Position) counts them: the tables in manifest
    /// order, each table's parts in order.
    pub(super) fn all_of(dir: &Path, manifest: &Manifest) -> Result<Vec<Run>, MergeError> {
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
                    bytes: part.bytes,
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
        Ok(runs)
    }

    /// The earliest time any of its events can have: a run is opened when
    /// the frontier reaches it. A run without a time range (empty, or with
    /// events lacking a time, which sort first) is opened at once.
    pub(super) fn start(&self) -> i64 {
        self.time_range.map_or(i64::MIN, |(first, _)| first)
    }

    pub(super) fn bad_time_range(&self, detail: String) -> MergeError {
        MergeError::BadTimeRange {
            table: self.table.clone(),
            part: self.part,
            file: self.path.clone(),
            detail,
        }
    }

    pub(super) fn open(&mut self) -> Result<(), MergeError> {
        let options = ReadOptions {
            part_number: Some(self.part),
            ..ReadOptions::expect::<Event>(DumpKind::EventStream, &self.table)
        };
        self.reader = Some(PartReader::open(&self.path, &options)?);
        Ok(())
    }

    /// Reads the open run's next event into `into`, checked against the one
    /// before it (`previous`, `None` for the first) and the manifest, and
    /// returns true. At the end of the run (the trailer checked) closes it
    /// and returns false.
    pub(super) fn read_next(
        &mut self,
        previous: Option<&EventHead>,
        into: &mut FramedEvent,
    ) -> Result<bool, MergeError> {
        let reader = self.reader.as_mut().expect("only open runs are read");
        let index = reader.records_read();
        // The frame goes straight into `into`, the reader taking its old
        // buffer in exchange: no copy.
        if !reader.next_frame_into(&mut into.frame)? {
            let read = reader.records_read();
            if read != self.records {
                return Err(MergeError::RecordCount {
                    file: self.path.clone(),
                    manifest: self.records,
                    read,
                });
            }
            let last = previous.and_then(EventHead::time);
            if last != self.time_range.map(|(_, last)| last) {
                return Err(self.bad_time_range(format!(
                    "the manifest's time range ends at {} but the last event is at {}",
                    show_time(self.time_range.map(|(_, last)| last)),
                    show_time(last)
                )));
            }
            self.reader = None;
            return Ok(false);
        }
        into.decode_head().map_err(|cause| PartError::Decode {
            path: self.path.clone(),
            record: index,
            record_type: Event::TYPE_NAME.to_owned(),
            cause,
        })?;
        let head = &into.head;
        match previous {
            None if head.time() != self.time_range.map(|(first, _)| first) => {
                return Err(self.bad_time_range(format!(
                    "the manifest's time range starts at {} but the first event is {}",
                    show_time(self.time_range.map(|(first, _)| first)),
                    describe(head)
                )));
            }
            Some(previous) if head.order() < previous.order() => {
                return Err(MergeError::OutOfOrder {
                    file: self.path.clone(),
                    record: index,
                    previous: describe(previous),
                    found: describe(head),
                });
            }
            _ => {}
        }
        if index + 1 > self.records {
            return Err(MergeError::RecordCount {
                file: self.path.clone(),
                manifest: self.records,
                read: index + 1,
            });
        }
        Ok(true)
    }
}

/// A time of the manifest (as [`format_micros`] writes it) in µs.
pub(super) fn parse_time(s: &str) -> Option<i64> {
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
fn describe(head: &EventHead) -> String {
    let kind = EventKind::try_from(head.kind).map_or("unknown", kind_name);
    format!(
        "{} {kind} {}",
        show_time(head.time()),
        pancake_proto::events::uuid_text(&head.event_id)
    )
}

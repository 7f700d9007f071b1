//! What can stop a merge.

use pancake_proto::events::Event;
use pancake_proto::{ManifestError, PartError, Record as _};
use std::path::PathBuf;

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

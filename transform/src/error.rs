//! What can stop a transform, worded for the person at the terminal.

use pancake_proto::{FolderError, ManifestError, PartError};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error(transparent)]
    Part(#[from] PartError),

    #[error(transparent)]
    Manifest(#[from] ManifestError),

    #[error(
        "{dir} is not a complete legacy dump ({why}). Finish the run that writes it (re-run the same extract or generate command), then transform"
    )]
    InputNotReady { dir: PathBuf, why: String },

    #[error(
        "{dir} is an event stream, not a legacy dump: transform reads what `pancake extract` or `pancake generate` writes"
    )]
    NotLegacyDump { dir: PathBuf },

    #[error(
        "{file}: the manifest says {manifest} rows, the part holds {found}. The input dump was altered; re-create it"
    )]
    RowCount {
        file: PathBuf,
        manifest: u64,
        found: u64,
    },

    #[error(transparent)]
    Folder(#[from] FolderError),

    #[error(
        "{table}: from input part {part} on, the output parts would number more than 4294967295 at --part-records {part_events}; raise --part-records, and check the input's manifest: its row counts may have been edited by hand (`pancake verify` the input)"
    )]
    TooManyOutputParts {
        table: &'static str,
        part: u32,
        part_events: u64,
    },

    #[error("stopped because another part failed")]
    Cancelled,

    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
}

//! pancake's contract between stages and with other languages.
//!
//! Stages depend on this crate and never on each other. The types most
//! callers need are re-exported here ([`Manifest`], [`PartReader`],
//! [`PartWriter`], [`OutputFolder`], [`IoError`], ...); the modules are
//! namespaces for the rest, by concern:
//!
//! - [`legacy`], [`events`], [`dump`]: the types generated from `proto/*.proto`
//!   (rows of the legacy tables, domain events, part header and trailer).
//! - [`record`]: the [`Record`] trait every stored message implements, and
//!   the time helpers and event order that parts and loaders share.
//! - [`part`]: the part file, one gzip member of length-delimited messages,
//!   header first and trailer last, written and read with bounded memory.
//! - [`manifest`]: `manifest.json`, the index of a dump or event stream,
//!   written atomically after every finished part; and what its tables add
//!   up to ([`manifest::Totals`]), for summaries.
//! - [`folder`]: the folder a stage writes, held exclusively by one process
//!   and judged (new, resume, nothing to do, refuse) the same way by every
//!   stage.
//! - [`accounting`]: an event stream's `transform` section, the accounting
//!   that proves no row was lost.
//! - [`verify`]: checks every part of a dump against its trailer and the
//!   manifest, and the `transform` section against the parts.
//! - [`names`]: the names event kinds and reject reasons have in manifests,
//!   summaries and routing keys, and the lists of every kind, reason and
//!   kind of dirt.
//! - [`json`]: any record as JSON, through the descriptors.
//! - [`IoError`]: the one shape of an I/O failure (path, action, cause), and
//!   the rule every pancake error follows: a message quotes its cause and
//!   does not also return it from `source()`.
//!
//! The legacy tables as a dump names them are [`LegacyTable`].

pub mod accounting;
mod contract;
pub mod folder;
mod io_error;
pub mod json;
pub mod manifest;
pub mod names;
pub mod part;
pub mod record;
mod table;
pub mod verify;

/// Rows of the legacy SQL Server tables (`pancake.legacy.v1`).
pub mod legacy {
    include!(concat!(env!("OUT_DIR"), "/pancake.legacy.v1.rs"));
}

/// Domain events (`pancake.events.v2`): the contract every stage writes
/// and reads. Ids are UUIDs as 16 bytes ([`events::uuid_text`] shows one).
pub mod events {
    include!(concat!(env!("OUT_DIR"), "/pancake.events.v2.rs"));
    pub use crate::contract::{
        CONTRACT, EventContractError, IdError, check_contract, id, to_v1, uuid_text,
    };
}

/// The first event contract (`pancake.events.v1`, ids as UUID text). No
/// stage reads or writes it; it is kept so a v1 stream is recognised and
/// refused with the way out (re-run transform), and so tests can compare a
/// v1 stream with the v2 stream of the same dump.
pub mod events_v1 {
    include!(concat!(env!("OUT_DIR"), "/pancake.events.v1.rs"));
}

/// Part framing: header and trailer (`pancake.dump.v1`).
pub mod dump {
    include!(concat!(env!("OUT_DIR"), "/pancake.dump.v1.rs"));
}

pub use accounting::{TableAccount, TransformSection};
pub use folder::{FolderError, OutputFolder};
pub use io_error::IoError;
pub use manifest::{
    Manifest, ManifestError, ManifestWriter, PartEntry, TableEntry, TableSummary, Totals,
};
pub use part::{
    PartError, PartLimits, PartReader, PartSpec, PartWriter, ReadOptions, WriteOptions,
};
pub use record::Record;
pub use table::LegacyTable;

/// The version of the part framing and manifest layout this build writes and
/// the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The compiled descriptors of every .proto file, for reflection (JSON output,
/// schema fingerprints).
pub fn descriptor_pool() -> &'static prost_reflect::DescriptorPool {
    static POOL: std::sync::OnceLock<prost_reflect::DescriptorPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        prost_reflect::DescriptorPool::decode(
            include_bytes!(concat!(env!("OUT_DIR"), "/file_descriptor_set.bin")).as_ref(),
        )
        .expect("the descriptor set compiled by build.rs decodes")
    })
}

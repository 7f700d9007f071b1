//! Synthetic legacy data for pancake: the legacy schema's data, shaped like a
//! Nordic dating site and dirty on purpose.
//!
//! What callers use is re-exported here: [`generate`] with its options,
//! report, progress and error, [`Preset`], [`World`] and
//! [`LEGACY_SCHEMA_SQL`]. The modules, by concern:
//!
//! - `preset`: named sizes (`tiny`, `finland`, `sweden`) and `--scale`.
//! - [`world`]: the site's timeline (its public constants, such as
//!   [`world::SNAPSHOT`], are what tests of later stages compare against) and
//!   members, as pure functions of a seed.
//! - `rows`: row `j` of each table, clean or with marked dirt (public, but
//!   hidden from the docs, for the benches only).
//! - `text`: nicknames, cities, "about me" texts, flirt notes, subjects,
//!   message bodies and IP addresses that look like the site's (the words,
//!   in Finnish, Swedish and English, are in `text/vocab.rs`).
//! - `rng`: the small, fixed random number generator everything draws from,
//!   so a seed makes the same bytes on every machine.
//! - `generate`: writes a legacy dump in the extractor's format, in
//!   parallel, byte-identical for a seed whatever the thread count.
//!
//! The T-SQL DDL of the legacy schema is `datasets/sql/legacy-schema.sql`.

mod generate;
mod preset;
mod rng;
#[doc(hidden)]
pub mod rows;
mod text;
pub mod world;

pub use generate::{
    DIRTY_ROWS, GenerateError, GenerateOptions, GenerateReport, GeneratorSection, Progress,
    dirty_kind_name, generate,
};
pub use preset::Preset;
pub use world::World;

/// The legacy schema as T-SQL, for anyone with a SQL Server (and for tests).
pub const LEGACY_SCHEMA_SQL: &str = include_str!("../sql/legacy-schema.sql");

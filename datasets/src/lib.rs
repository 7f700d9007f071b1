//! Synthetic legacy data for pancake: the legacy schema's data, shaped like a
//! Nordic dating site and dirty on purpose.
//!
//! - [`preset`]: named sizes (`tiny`, `finland`, `sweden`) and `--scale`.
//! - [`world`]: the site's timeline and members as pure functions of a seed.
//! - [`rows`]: row `j` of each table, clean or with marked dirt.
//! - [`generate`]: writes a legacy dump in the extractor's format, in
//!   parallel, byte-identical for a seed whatever the thread count.
//!
//! The T-SQL DDL of the legacy schema is `datasets/sql/legacy-schema.sql`.

pub mod generate;
pub mod preset;
pub mod rng;
pub mod rows;
pub mod text;
pub mod world;

pub use generate::{
    DIRTY_ROWS, GenerateError, GenerateOptions, GenerateReport, GeneratorSection, Progress,
    dirty_kind_name, generate,
};
pub use preset::Preset;
pub use world::World;

/// The legacy schema as T-SQL, for anyone with a SQL Server (and for tests).
pub const LEGACY_SCHEMA_SQL: &str = include_str!("../sql/legacy-schema.sql");

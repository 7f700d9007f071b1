//! What a load reports: per module and in all.

use super::schema;
use std::time::Duration;

/// One module's share of a load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleReport {
    pub module: &'static str,
    /// `postgres://user@host:port/database`.
    pub database: String,
    /// `psql ...` to look at it.
    pub psql: String,
    pub created: bool,
    /// Everything was loaded and finished before: nothing to do.
    pub up_to_date: bool,
    pub parts_loaded: u64,
    pub parts_skipped: u64,
    /// Events of the kinds it consumes, in the parts loaded now.
    pub events: u64,
    /// Rows copied now.
    pub rows: u64,
    /// Bytes of COPY data (rows in PostgreSQL's binary format) sent now:
    /// nearly all the load sends to the server.
    pub copy_bytes: u64,
    /// Rows per table in the database after the load.
    pub tables: Vec<(String, u64)>,
    pub finished: schema::Finished,
    /// Texts whose NUL characters became U+FFFD.
    pub nul_replaced: u64,
    /// Writing its parts: the time its units' transactions took, summed
    /// over the connections that wrote them at once.
    pub copy_elapsed: Duration,
    /// Keys, indexes, waiting changes and the module's own steps.
    pub finish_elapsed: Duration,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgReport {
    pub modules: Vec<ModuleReport>,
    /// Events in the stream's parts read now.
    pub events_read: u64,
    pub elapsed: Duration,
}

impl PgReport {
    pub fn up_to_date(&self) -> bool {
        self.modules.iter().all(|m| m.up_to_date)
    }
}

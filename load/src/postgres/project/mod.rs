//! How events become rows: each module's projection, and the rows of one
//! part built up before they are copied.
//!
//! A row is created by one event (a message by `message-sent`) and may be
//! changed by later ones (its `read_at` by `message-read`). Both usually sit
//! in the same part, and then the change is folded into the row before it
//! is copied: no UPDATE at all. A change whose row is in another part goes
//! to `pancake.pending` and is applied by key once every part is loaded, so
//! parts can load in any order, in parallel, and each exactly once.
//!
//! Here: what a module is ([`PgModule`], [`TableSpec`]) and the helpers
//! every projection uses; `rows` holds a part's rows and folds changes
//! into them; one file per module holds its projection (`profile`,
//! `chat`, `alerts`, `favorite`, `block`, `audit`; news has its folder,
//! `postgres::news`).

mod alerts;
mod audit;
mod block;
mod chat;
mod favorite;
mod profile;
mod rows;
#[cfg(test)]
mod tests;

pub use alerts::ALERTS;
pub use audit::AUDIT;
pub use block::BLOCK;
pub(crate) use block::{BLOCKS, project_blocks};
pub use chat::CHAT;
pub use favorite::FAVORITE;
pub use profile::PROFILE;
pub use rows::{PartCopies, PartRows};

use super::copy::{Value, day_number};
use pancake_proto::events::{Event, uuid_text};
use pancake_proto::names::kind_name;
use pancake_proto::record::timestamp_micros;

/// One table a projection copies rows into. The first column is the key;
/// `created_at` and `updated_at`, where present, are the last two.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    /// Timestamp columns that later events set (`read_at`, ...), which
    /// also move `updated_at` forward.
    pub changes: &'static [&'static str],
}

impl TableSpec {
    pub fn key(&self) -> &'static str {
        self.columns[0]
    }

    fn column(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| *c == name)
            .expect("a change names a column of its table")
    }

    fn has_updated_at(&self) -> bool {
        self.columns.last() == Some(&"updated_at")
    }

    /// The COPY statement for this table.
    pub fn copy_statement(&self) -> String {
        format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            self.name,
            self.columns.join(", ")
        )
    }
}

/// What a module keeps in PostgreSQL: its schema and how events become rows.
#[derive(Debug)]
pub struct PgModule {
    /// The tables rows are copied into, in the order `project` names them.
    pub tables: &'static [TableSpec],
    /// The schema, one script per version (index 0 is version 1).
    pub migrations: &'static [&'static str],
    /// Keys and indexes, built after the bulk load when the tables started
    /// empty (building them once is cheaper than keeping them up to date
    /// row by row).
    pub indexes: &'static str,
    /// Set-based steps after every load that added parts: derived tables,
    /// retroactive blocks.
    pub finish: &'static str,
    /// Tables the finishing steps fill from the others.
    pub derived: &'static [&'static str],
    /// Payloads are kept compressed with a dictionary trained on the
    /// stream and stored in the module's `payload_dictionaries`
    /// (`dictionary::codec_for`); the projection gets a compressor for it.
    pub payload_dictionary: bool,
    /// Adds an event's rows and changes to a part's rows.
    pub project: fn(&Event, &mut PartRows) -> Result<(), ProjectError>,
    /// Derived tables computed by the loader itself (not in SQL) after the
    /// finishing steps.
    pub computed: Computed,
}

/// Derived tables the loader computes from a module's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Computed {
    Nothing,
    /// The news module's `feeds` (`news::feeds`).
    NewsFeeds,
}

/// An event a projection cannot turn into rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event_id} ({kind}): {problem}")]
pub struct ProjectError {
    pub event_id: String,
    pub kind: &'static str,
    pub problem: String,
}

pub(crate) fn problem(event: &Event, problem: impl Into<String>) -> ProjectError {
    ProjectError {
        event_id: uuid_text(&event.event_id),
        kind: kind_name(event.kind()),
        problem: problem.into(),
    }
}

/// An id field's UUID, checked to be 16 bytes.
pub fn uuid(event: &Event, field: &'static str, bytes: &[u8]) -> Result<Value, ProjectError> {
    pancake_proto::events::id(field, bytes)
        .map(Value::Uuid)
        .map_err(|e| problem(event, e.to_string()))
}

pub(crate) fn occurred_at(event: &Event) -> Result<i64, ProjectError> {
    event
        .occurred_at
        .as_ref()
        .map(timestamp_micros)
        .ok_or_else(|| problem(event, "has no occurred_at"))
}

pub(crate) fn legacy_key(event: &Event) -> Value {
    Value::BigInt(event.source.as_ref().map_or(0, |s| s.key))
}

/// A registration's birth date: a date column, NULL when unknown.
pub(crate) fn birth_date(
    event: &Event,
    m: &pancake_proto::events::MemberRegistered,
) -> Result<Value, ProjectError> {
    let Some(d) = &m.birth_date else {
        return Ok(Value::Null);
    };
    u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(month, day)| day_number(d.year, month, day))
        .map(Value::Date)
        .ok_or_else(|| {
            problem(
                event,
                format!("birth date {}-{}-{} does not exist", d.year, d.month, d.day),
            )
        })
}

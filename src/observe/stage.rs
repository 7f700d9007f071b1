//! The events of a stage, each logged as one line with its fields and
//! counted in the metrics: start, rows and events done, each part
//! committed, each retry, reject summaries, the end. The CLI's `Progress`
//! implementations call these; names and URLs given here must already be
//! redacted.

use super::metrics::{
    BYTES_READ, BYTES_WRITTEN, EVENTS_DONE, EVENTS_EXPECTED, MESSAGES_PUBLISHED, PARTS_COMMITTED,
    REJECTS, RETRIES, ROWS_DONE, ROWS_EXPECTED, UNCONFIRMED,
};
use metrics::{counter, gauge};

/// A stage starts, reading `input` and writing `output` (redacted).
pub fn started(stage: &'static str, input: &str, output: &str) {
    super::ticker::set_stage(stage);
    tracing::info!(stage, input, output, "stage started");
}

/// A stage ended: `done` of `unit` this run, in `seconds`.
pub fn ended(stage: &'static str, done: u64, unit: &'static str, seconds: f64) {
    tracing::info!(stage, done, unit, seconds, "stage ended");
}

/// The command failed with `error` (its redacted message, causes
/// joined), in the stage last started.
pub fn failed(error: &str) {
    let stage = super::ticker::stage();
    tracing::error!(stage, error, "failed");
}

/// A table (or, with a module, a module's share of the stream) starts,
/// with what it expects of `unit` (rows or events) and what earlier runs
/// did.
pub fn table_started(stage: &'static str, table: &str, expected: u64, already: u64) {
    tracing::info!(stage, table, expected, already, "table started");
    gauge!(ROWS_EXPECTED, "stage" => stage, "table" => table.to_owned()).set(expected as f64);
}

/// A module's load starts, with the events it consumes.
pub fn module_started(stage: &'static str, module: &'static str, events: u64) {
    tracing::info!(stage, module, expected = events, "module started");
    gauge!(EVENTS_EXPECTED, "stage" => stage, "module" => module).set(events as f64);
}

/// `n` more rows of `table` done.
pub fn rows(stage: &'static str, table: &str, n: u64) {
    counter!(ROWS_DONE, "stage" => stage, "table" => table.to_owned()).increment(n);
}

/// `n` more rows done in the whole stage (no table known).
pub fn stage_rows(stage: &'static str, n: u64) {
    counter!(ROWS_DONE, "stage" => stage).increment(n);
}

/// What the whole stage expects of rows, in its current phase.
pub fn phase(stage: &'static str, name: &str, rows: u64) {
    tracing::info!(stage, phase = name, expected = rows, "phase");
    gauge!(ROWS_EXPECTED, "stage" => stage).set(rows as f64);
}

/// `n` more events done in the whole stage.
pub fn events(stage: &'static str, n: u64) {
    counter!(EVENTS_DONE, "stage" => stage).increment(n);
}

/// Events the whole stage expects.
pub fn events_expected(stage: &'static str, n: u64) {
    gauge!(EVENTS_EXPECTED, "stage" => stage).set(n as f64);
}

/// A part of the stage's output is committed.
pub struct Part<'a> {
    pub table: &'a str,
    pub part: u32,
    /// Rows or events in it.
    pub records: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// A part committed (one line per part).
pub fn part_committed(stage: &'static str, p: &Part) {
    tracing::info!(
        stage,
        table = p.table,
        part = p.part,
        records = p.records,
        bytes = p.bytes,
        seconds = p.seconds,
        "part committed"
    );
    let table = p.table.to_owned();
    counter!(PARTS_COMMITTED, "stage" => stage, "table" => table.clone()).increment(1);
    counter!(BYTES_WRITTEN, "stage" => stage, "table" => table).increment(p.bytes);
}

/// A module's part loaded: `events` of the stream's, written as `rows`
/// rows (one line per part and module).
pub fn module_part_committed(stage: &'static str, module: &'static str, p: &Part, rows: u64) {
    tracing::info!(
        stage,
        module,
        table = p.table,
        part = p.part,
        records = p.records,
        rows,
        bytes = p.bytes,
        seconds = p.seconds,
        "part committed"
    );
    counter!(PARTS_COMMITTED, "stage" => stage, "module" => module).increment(1);
    counter!(EVENTS_DONE, "stage" => stage, "module" => module).increment(p.records);
    counter!(ROWS_DONE, "stage" => stage, "module" => module).increment(rows);
    counter!(BYTES_WRITTEN, "stage" => stage, "module" => module).increment(p.bytes);
}

/// Bytes of `table`'s input read: a whole input part's file (transform,
/// loads), or the server's answer to a page (extract).
pub fn bytes_read(stage: &'static str, table: &str, bytes: u64) {
    counter!(BYTES_READ, "stage" => stage, "table" => table.to_owned()).increment(bytes);
}

/// Something is tried again: `what` (a table, a broker's address) after
/// `reason`; `detail` is the whole line for people.
pub fn retry(stage: &'static str, what: &str, attempt: u32, reason: &str, detail: &str) {
    tracing::warn!(stage, table = what, attempt, reason, detail, "retry");
    counter!(RETRIES, "stage" => stage, "table" => what.to_owned()).increment(1);
}

/// Rows of `table` rejected for `reason`, counted as parts commit.
pub fn rejected(stage: &'static str, table: &str, reason: &str, rows: u64) {
    counter!(REJECTS, "stage" => stage, "table" => table.to_owned(), "reason" => reason.to_owned())
        .increment(rows);
}

/// `n` more events of `table` done.
pub fn table_events(stage: &'static str, table: &str, n: u64) {
    counter!(EVENTS_DONE, "stage" => stage, "table" => table.to_owned()).increment(n);
}

/// The summary of a table's rejects for `reason`, at the end.
pub fn rejects_summary(stage: &'static str, table: &str, reason: &str, rows: u64) {
    tracing::info!(stage, table, reason, rows, "rejects");
}

/// Messages published so far on this connection and those unconfirmed.
pub fn messages(stage: &'static str, published_delta: u64, unconfirmed: u64) {
    counter!(MESSAGES_PUBLISHED, "stage" => stage).increment(published_delta);
    gauge!(UNCONFIRMED, "stage" => stage).set(unconfirmed as f64);
}

/// A warning from the stage.
pub fn warning(stage: &'static str, message: &str) {
    tracing::warn!(stage, message, "warning");
}

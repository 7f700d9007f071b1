//! Reading one table: keyset pages from the server, parts on disk.
//!
//! Two halves joined by a channel two pages deep: an async reader that asks
//! for `WHERE key > @last AND key <= @high ORDER BY key` pages, one at a
//! time, and a blocking writer thread that compresses them into parts and
//! commits each finished part to the manifest. Memory is bounded by the
//! pages in flight, whatever the table's size.
//!
//! A page is used only once all of it has arrived: if the connection drops
//! halfway, the half page is thrown away and the same page is asked again
//! on a new connection, so no row is written twice or skipped.
//!
//! Parts are cut only between two different keys, and only when full, so
//! the cut points depend on the data alone: a resumed run continues after
//! the last committed part and writes the very parts an uninterrupted run
//! would have.

use crate::Shared;
use crate::catalog::TablePlan;
use crate::connect::{Connection, backoff, connect};
use crate::error::ExtractError;
use crate::fields::{FieldKind, LegacyRow};
use crate::section::{ANOMALY_EXAMPLES, AnomalyExample, ExtractSection};
use crate::value::{AnomalyKind, Value, convert};
use futures_util::TryStreamExt;
use pancake_proto::PartWriter;
use pancake_proto::legacy::RawText;
use pancake_proto::part::PartSpec;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tiberius::error::Error as TdsError;
use tokio::sync::mpsc;

/// Where a table's reading starts (after a resume) and stops.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    /// Exclusive lower key: the last key of the last committed part.
    pub after: i64,
    /// Inclusive upper key: the high-water key.
    pub upper: i64,
    /// The number the next part gets.
    pub next_part: u32,
}

/// A value that did not fit, with the row it is in.
struct RowAnomaly {
    key: i64,
    field: &'static str,
    kind: AnomalyKind,
    detail: String,
}

struct Page<R> {
    rows: Vec<R>,
    anomalies: Vec<RowAnomaly>,
}

enum Msg<R> {
    Page(Page<R>),
    /// Every page was sent: commit the last part.
    End,
}

/// What became of a table in this run.
pub struct TableRun {
    pub rows: u64,
    pub retries: u64,
}

/// Reads `plan`'s table over `conn` (reconnecting as needed) into parts.
pub(crate) async fn read_table<R: LegacyRow>(
    shared: &Shared,
    conn: &mut Option<Connection>,
    plan: &TablePlan,
    range: Range,
) -> Result<TableRun, ExtractError> {
    let (tx, rx) = mpsc::channel::<Msg<R>>(2);
    let writer = {
        let shared = shared.clone();
        let plan_name = plan.mapping.table.name();
        tokio::task::spawn_blocking(move || write_parts(&shared, plan_name, range.next_part, rx))
    };
    let read = read_pages::<R>(shared, conn, plan, range, &tx).await;
    if read.is_ok() {
        // The writer may have failed and hung up; its error tells why.
        let _ = tx.send(Msg::End).await;
    }
    drop(tx);
    let written = writer.await.expect("the part writer does not panic");
    let run = read?;
    written?;
    Ok(run)
}

async fn read_pages<R: LegacyRow>(
    shared: &Shared,
    conn: &mut Option<Connection>,
    plan: &TablePlan,
    range: Range,
    tx: &mpsc::Sender<Msg<R>>,
) -> Result<TableRun, ExtractError> {
    let sql = plan.page_sql();
    let page_rows = i64::from(shared.options.page_rows);
    let mut after = range.after;
    let mut run = TableRun {
        rows: 0,
        retries: 0,
    };
    loop {
        if shared.cancelled.load(Ordering::Relaxed) {
            return Err(ExtractError::Cancelled);
        }
        if let Some(throttle) = &shared.throttle {
            throttle.take(page_rows as u64).await;
        }
        let page =
            fetch_with_retries::<R>(shared, conn, plan, &sql, after, range, &mut run).await?;
        let Some(last) = page.rows.last() else {
            break;
        };
        after = last.key().expect("legacy rows have keys");
        let n = page.rows.len() as i64;
        run.rows += n as u64;
        if tx.send(Msg::Page(page)).await.is_err() {
            // The writer stopped; read_table reports its error.
            break;
        }
        // WITH TIES returns at least @P1 rows while more are left.
        if n < page_rows {
            break;
        }
    }
    Ok(run)
}

/// Why a page could not be read.
enum PageFailure {
    /// Worth another try on a new connection.
    Transient {
        timeout: bool,
        message: String,
    },
    Fatal(ExtractError),
}

#[allow(clippy::too_many_arguments)]
async fn fetch_with_retries<R: LegacyRow>(
    shared: &Shared,
    conn: &mut Option<Connection>,
    plan: &TablePlan,
    sql: &str,
    after: i64,
    range: Range,
    run: &mut TableRun,
) -> Result<Page<R>, ExtractError> {
    let options = &shared.options;
    let table = plan.mapping.display_name();
    let attempts = options.retries + 1;
    let mut last = PageFailure::Transient {
        timeout: false,
        message: String::new(),
    };
    for attempt in 1..=attempts {
        if attempt > 1 {
            run.retries += 1;
            if let PageFailure::Transient { message, .. } = &last {
                shared
                    .progress
                    .retrying(plan.mapping.table.name(), attempt - 1, message);
            }
            tokio::time::sleep(backoff(attempt - 1)).await;
        }
        if conn.is_none() {
            match connect(&options.source, options.isolation).await {
                Ok(c) => *conn = Some(c),
                // The server may be restarting or failing over: try again.
                Err(
                    e @ (ExtractError::ConnectionRefused { .. }
                    | ExtractError::ConnectTimeout { .. }
                    | ExtractError::Unreachable { .. }
                    | ExtractError::Protocol { .. }),
                ) => {
                    last = PageFailure::Transient {
                        timeout: false,
                        message: e.to_string(),
                    };
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        let client = conn.as_mut().expect("connected above");
        let fetch = fetch_page::<R>(
            &options.source,
            client,
            plan,
            sql,
            after,
            range.upper,
            options.page_rows,
        );
        let outcome = match tokio::time::timeout(options.query_timeout, fetch).await {
            Ok(outcome) => outcome,
            Err(_) => Err(PageFailure::Transient {
                timeout: true,
                message: format!("no answer within {} s", options.query_timeout.as_secs()),
            }),
        };
        match outcome {
            Ok(page) => return Ok(page),
            Err(PageFailure::Fatal(e)) => return Err(e),
            Err(transient) => {
                // The connection is in an unknown state: start over on a new one.
                *conn = None;
                last = transient;
            }
        }
    }
    let parts = shared
        .writer
        .snapshot()
        .table(plan.mapping.table.name())
        .map_or(0, |t| t.parts.len() as u32);
    Err(match last {
        PageFailure::Transient { timeout: true, .. } => ExtractError::QueryTimeout {
            table,
            seconds: options.query_timeout.as_secs(),
            attempts,
        },
        PageFailure::Transient { message, .. } => ExtractError::ConnectionLost {
            table,
            attempts,
            parts,
            message,
        },
        PageFailure::Fatal(e) => e,
    })
}

async fn fetch_page<R: LegacyRow>(
    source: &crate::source::Source,
    client: &mut Connection,
    plan: &TablePlan,
    sql: &str,
    after: i64,
    upper: i64,
    page_rows: u32,
) -> Result<Page<R>, PageFailure> {
    let fail = |e: TdsError| page_failure(e, plan, source);
    let mut stream = client
        .query(sql, &[&i64::from(page_rows), &after, &upper])
        .await
        .map_err(fail)?
        .into_row_stream();
    let mut page = Page {
        rows: Vec::with_capacity(page_rows as usize),
        anomalies: Vec::new(),
    };
    while let Some(row) = stream.try_next().await.map_err(fail)? {
        let record =
            row_to_record::<R>(plan, row, &mut page.anomalies).map_err(PageFailure::Fatal)?;
        page.rows.push(record);
    }
    Ok(page)
}

fn page_failure(e: TdsError, plan: &TablePlan, source: &crate::source::Source) -> PageFailure {
    let table = plan.mapping.display_name();
    match e {
        TdsError::Server(token) => match token.code() {
            229 | 230 => PageFailure::Fatal(ExtractError::PermissionDenied {
                table,
                user: source.user.clone(),
                message: token.message().to_owned(),
            }),
            208 => PageFailure::Fatal(ExtractError::MissingTable {
                table,
                dump_table: plan.mapping.table.name().into(),
            }),
            3952 => PageFailure::Fatal(ExtractError::SnapshotNotAllowed {
                database: source.database.clone(),
            }),
            // Deadlock victim, lock timeout: the next try may well pass.
            1205 | 1222 => PageFailure::Transient {
                timeout: false,
                message: token.message().to_owned(),
            },
            code => PageFailure::Fatal(ExtractError::Server {
                code,
                action: format!("reading {table}"),
                message: token.message().to_owned(),
            }),
        },
        other => PageFailure::Transient {
            timeout: false,
            message: other.to_string(),
        },
    }
}

fn row_to_record<R: LegacyRow>(
    plan: &TablePlan,
    row: tiberius::Row,
    anomalies: &mut Vec<RowAnomaly>,
) -> Result<R, ExtractError> {
    let mut record = R::default();
    let mut key = 0i64;
    for (column, data) in plan.columns.iter().zip(row) {
        let (value, anomaly) =
            convert(column.ty, column.kind, data).map_err(|e| ExtractError::BadValue {
                table: plan.mapping.display_name(),
                key: key.to_string(),
                column: column.column.clone(),
                message: e.0,
            })?;
        if let FieldKind::Key { .. } = column.kind {
            match (&value, &anomaly) {
                (Value::Int(k), None) => key = *k,
                (_, Some(a)) => {
                    return Err(ExtractError::KeyOutOfRange {
                        table: plan.mapping.display_name(),
                        key: a.detail.clone(),
                        field: column.field.into(),
                        kind: column.kind.describe(),
                    });
                }
                _ => {
                    return Err(ExtractError::BadValue {
                        table: plan.mapping.display_name(),
                        key: "NULL".into(),
                        column: column.column.clone(),
                        message: "the key is NULL".into(),
                    });
                }
            }
        }
        if let Some(a) = anomaly {
            if let (Some(raw), Some(list)) = (a.raw_utf16, record.raw_texts()) {
                list.push(RawText {
                    column: column.field.into(),
                    utf16le: raw,
                });
            }
            anomalies.push(RowAnomaly {
                key,
                field: column.field,
                kind: a.kind,
                detail: a.detail,
            });
        }
        record.set(column.field_index, value);
    }
    Ok(record)
}

/// The writer thread: pages in, committed parts out.
fn write_parts<R: LegacyRow>(
    shared: &Shared,
    table: &'static str,
    first_part: u32,
    mut rx: mpsc::Receiver<Msg<R>>,
) -> Result<(), ExtractError> {
    let options = &shared.options;
    let mut number = first_part;
    let mut part: Option<PartWriter> = None;
    let mut last_key: Option<i64> = None;
    // Anomalies of rows not yet in a committed part.
    let mut pending: Vec<RowAnomaly> = Vec::new();
    while let Some(msg) = rx.blocking_recv() {
        let page = match msg {
            Msg::Page(page) => page,
            Msg::End => {
                if let Some(w) = part.take() {
                    commit(shared, table, w, &mut pending)?;
                }
                return Ok(());
            }
        };
        pending.extend(page.anomalies);
        let n = page.rows.len() as u64;
        for record in page.rows {
            let key = record.key();
            if let Some(w) = &part
                && w.is_full()
                && key != last_key
            {
                let w = part.take().expect("checked above");
                commit(shared, table, w, &mut pending)?;
                number += 1;
            }
            let w = match &mut part {
                Some(w) => w,
                None => part.insert(PartWriter::create(
                    &options.out,
                    PartSpec::of::<R>(pancake_proto::dump::DumpKind::LegacyDump, table, number),
                    &options.write,
                )?),
            };
            w.write(&record)?;
            last_key = key;
        }
        shared.progress.rows(table, n);
    }
    // The reader hung up without End: it failed. The unfinished part is
    // dropped (its .tmp removed); committed parts stand.
    Ok(())
}

fn commit(
    shared: &Shared,
    table: &'static str,
    writer: PartWriter,
    pending: &mut Vec<RowAnomaly>,
) -> Result<(), ExtractError> {
    let record_type = writer.spec().record_type.clone();
    let entry = writer.finish()?;
    let last_key = entry.key_range.map_or(i64::MIN, |r| r[1]);
    let (mine, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|a| a.key <= last_key);
    *pending = later;
    shared
        .writer
        .commit_part_with(table, &record_type, false, entry, |m| {
            let Some(mut section) = ExtractSection::of(m) else {
                return;
            };
            if let Some(state) = section.tables.get_mut(table) {
                for a in mine {
                    *state.anomalies.entry(a.kind).or_default() += 1;
                    if state.anomaly_examples.len() < ANOMALY_EXAMPLES {
                        state.anomaly_examples.push(AnomalyExample {
                            key: a.key,
                            field: a.field.into(),
                            kind: a.kind,
                            detail: a.detail,
                        });
                    }
                }
            }
            section.store(m);
        })?;
    let parts = shared
        .writer
        .snapshot()
        .table(table)
        .map_or(0, |t| t.parts.len() as u32);
    shared.progress.part_done(table, parts);
    Ok(())
}

/// Keeps every table together under `--max-rows-per-sec`.
pub struct Throttle {
    rows_per_sec: f64,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Throttle {
    pub fn new(rows_per_sec: u64) -> Throttle {
        Throttle {
            rows_per_sec: rows_per_sec.max(1) as f64,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits until `rows` more rows fit under the ceiling.
    pub async fn take(&self, rows: u64) {
        let start = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let start = (*next).max(now);
            *next = start + Duration::from_secs_f64(rows as f64 / self.rows_per_sec);
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_throttle_spaces_pages_by_the_ceiling() {
        let t = Throttle::new(1000);
        let start = tokio::time::Instant::now();
        t.take(500).await; // free
        t.take(500).await; // waits 0.5 s
        t.take(1000).await; // waits 0.5 s more
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }
}

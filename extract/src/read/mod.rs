//! Reading one table: keyset pages from the server, parts on disk.
//!
//! What is left of the table's key range is cut into chunks of about one
//! page each ([`chunks`]). Up to `--connections` chunks are read at once,
//! each page over whichever session of the run is free
//! ([`Sessions`](crate::sessions::Sessions)), as `WHERE key > @last AND key
//! <= @high ORDER BY key` queries ([`page`]). Their pages reach one blocking
//! writer thread in key order ([`parts`]), which compresses them into parts
//! and commits each finished part to the manifest. The writer sees the rows
//! in the very order a single session would read them, so the parts are the
//! same whatever `--connections` is.
//!
//! Memory is bounded by the pages in flight: per table, two for the writer
//! and at most two per chunk being read ahead, whatever the table's size.
//!
//! A page is used only once all of it has arrived: if the connection drops
//! halfway, the half page is thrown away and the same page is asked again
//! on a new connection, so no row is written twice or skipped.
//!
//! Parts are cut only between two different keys, and only when full, so
//! the cut points depend on the data alone: a resumed run continues after
//! the last committed part and writes the very parts an uninterrupted run
//! would have. Chunks read ahead of the last committed part are read again
//! by a resumed run; nothing of theirs was written.

mod chunks;
mod page;
mod parts;
mod throttle;

pub use throttle::Throttle;

use crate::Shared;
use crate::catalog::TablePlan;
use crate::error::ExtractError;
use crate::fields::LegacyRow;
use chunks::{Chunk, Chunks};
use page::{Page, fetch_with_retries};
use parts::{Msg, write_parts};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Where a table's reading starts (after a resume) and stops.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    /// Exclusive lower key: the last key of the last committed part, or
    /// `i64::MIN` before the first.
    pub after: i64,
    /// The smallest key the table had when the run began.
    pub lower: i64,
    /// Inclusive upper key: the high-water key.
    pub upper: i64,
    /// The number the next part gets.
    pub next_part: u32,
    /// The server's estimate of the table's rows, which sizes the chunks.
    pub estimate: Option<u64>,
}

/// What became of a table in this run.
#[derive(Debug, Default)]
pub struct TableRun {
    pub rows: u64,
    pub retries: u64,
}

/// Reads `plan`'s table into parts, over the run's shared sessions.
pub(crate) async fn read_table<R: LegacyRow>(
    shared: &Shared,
    plan: &Arc<TablePlan>,
    range: Range,
) -> Result<TableRun, ExtractError> {
    let (tx, rx) = mpsc::channel::<Msg<R>>(2);
    let writer = {
        let shared = shared.clone();
        let plan_name = plan.mapping.table.name();
        tokio::task::spawn_blocking(move || write_parts(&shared, plan_name, range.next_part, rx))
    };
    let read = read_chunks::<R>(shared, plan, range, &tx).await;
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

/// A chunk being read ahead: its task, and its pages as they arrive.
struct Ahead<R> {
    task: JoinHandle<Result<u64, ExtractError>>,
    pages: mpsc::Receiver<Page<R>>,
}

/// Reads the chunks of `range`, up to `--connections` at once, and hands
/// their pages to the writer in key order.
async fn read_chunks<R: LegacyRow>(
    shared: &Shared,
    plan: &Arc<TablePlan>,
    range: Range,
    writer: &mpsc::Sender<Msg<R>>,
) -> Result<TableRun, ExtractError> {
    let mut chunks = Chunks::new(&range, shared.options.page_rows);
    let reading_ahead = shared.options.connections.clamp(1, 64);
    let mut ahead: VecDeque<Ahead<R>> = VecDeque::new();
    let mut run = TableRun::default();
    let result = loop {
        while ahead.len() < reading_ahead
            && let Some(chunk) = chunks.next()
        {
            let (tx, pages) = mpsc::channel(1);
            let (shared, plan) = (shared.clone(), plan.clone());
            let task = tokio::spawn(async move { read_chunk(&shared, &plan, chunk, &tx).await });
            ahead.push_back(Ahead { task, pages });
        }
        let Some(mut next) = ahead.pop_front() else {
            break Ok(run);
        };
        let mut writer_stopped = false;
        while let Some(page) = next.pages.recv().await {
            run.rows += page.rows.len() as u64;
            if writer.send(Msg::Page(page)).await.is_err() {
                writer_stopped = true;
                break;
            }
        }
        if writer_stopped {
            // read_table reports the writer's error.
            next.task.abort();
            break Ok(run);
        }
        match next.task.await.expect("a chunk reader does not panic") {
            Ok(retries) => run.retries += retries,
            Err(e) => break Err(e),
        }
    };
    // On failure, what was read ahead is dropped with its sessions.
    for chunk in ahead {
        chunk.task.abort();
    }
    result
}

/// Reads one chunk page by page; returns the retries it took.
async fn read_chunk<R: LegacyRow>(
    shared: &Shared,
    plan: &TablePlan,
    chunk: Chunk,
    pages: &mpsc::Sender<Page<R>>,
) -> Result<u64, ExtractError> {
    let sql = plan.page_sql();
    let page_rows = u64::from(shared.options.page_rows);
    let mut after = chunk.after;
    let mut retries = 0;
    loop {
        if shared.cancelled.load(Ordering::Relaxed) {
            return Err(ExtractError::Cancelled);
        }
        if let Some(throttle) = &shared.throttle {
            throttle.take(page_rows).await;
        }
        let page =
            fetch_with_retries::<R>(shared, plan, &sql, after, chunk.upper, &mut retries).await?;
        let Some(last) = page.rows.last() else {
            break;
        };
        after = last.key().expect("legacy rows have keys");
        let n = page.rows.len() as u64;
        if pages.send(page).await.is_err() {
            // The table's reader stopped; it reports why.
            break;
        }
        // WITH TIES returns at least @P1 rows while more are left, and
        // every row of the last key: a page that ends on the chunk's upper
        // key ends the chunk.
        if n < page_rows || after >= chunk.upper {
            break;
        }
    }
    Ok(retries)
}

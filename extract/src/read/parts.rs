//! The writer thread: pages in key order in, committed parts out.

use super::page::{Page, RowAnomaly};
use crate::error::ExtractError;
use crate::fields::LegacyRow;
use crate::section::{ANOMALY_EXAMPLES, AnomalyExample, ExtractSection};
use crate::{CommittedPart, Shared};
use pancake_proto::PartWriter;
use pancake_proto::part::PartSpec;
use std::time::Instant;
use tokio::sync::mpsc;

pub(super) enum Msg<R> {
    Page(Page<R>),
    /// Every page was sent: commit the last part.
    End,
}

/// The writer thread: pages in, committed parts out.
pub(super) fn write_parts<R: LegacyRow>(
    shared: &Shared,
    table: &'static str,
    first_part: u32,
    mut rx: mpsc::Receiver<Msg<R>>,
) -> Result<(), ExtractError> {
    let options = &shared.options;
    let mut number = first_part;
    let mut part: Option<PartWriter> = None;
    // When the part being written was opened, for its seconds.
    let mut opened = Instant::now();
    let mut last_key: Option<i64> = None;
    // Anomalies of rows not yet in a committed part.
    let mut pending: Vec<RowAnomaly> = Vec::new();
    while let Some(msg) = rx.blocking_recv() {
        let page = match msg {
            Msg::Page(page) => page,
            Msg::End => {
                if let Some(w) = part.take() {
                    commit(shared, table, w, opened, &mut pending)?;
                }
                return Ok(());
            }
        };
        pending.extend(page.anomalies);
        let n = page.rows.len() as u64;
        let bytes = page.bytes;
        for record in page.rows {
            let key = record.key();
            if let Some(w) = &part
                && w.is_full()
                && key != last_key
            {
                let w = part.take().expect("checked above");
                commit(shared, table, w, opened, &mut pending)?;
                number += 1;
            }
            let w = match &mut part {
                Some(w) => w,
                None => {
                    opened = Instant::now();
                    part.insert(PartWriter::create(
                        &options.out,
                        PartSpec::of::<R>(pancake_proto::dump::DumpKind::LegacyDump, table, number),
                        &options.write,
                    )?)
                }
            };
            w.write(&record)?;
            last_key = key;
        }
        shared.progress.rows(table, n);
        shared.progress.bytes_read(table, bytes);
    }
    // The reader hung up without End: it failed. The unfinished part is
    // dropped (its .tmp removed); committed parts stand.
    Ok(())
}

fn commit(
    shared: &Shared,
    table: &'static str,
    writer: PartWriter,
    opened: Instant,
    pending: &mut Vec<RowAnomaly>,
) -> Result<(), ExtractError> {
    let record_type = writer.spec().record_type.clone();
    let entry = writer.finish()?;
    let committed = CommittedPart {
        table,
        part: entry.number,
        rows: entry.records,
        bytes: entry.bytes,
        seconds: 0.0,
    };
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
    shared.progress.part_committed(&CommittedPart {
        seconds: opened.elapsed().as_secs_f64(),
        ..committed
    });
    Ok(())
}

//! The reconciliation a run ends with: per legacy table, the rows the
//! server counted, the dump held, the transform read and turned into
//! events or rejects, and the events each module took; per target, what it
//! holds. Built from the bookkeeping the stages keep (manifests, the
//! transform's accounting, `pancake.parts`, the RabbitMQ checkpoint).
//!
//! What must balance, for every legacy table T:
//!
//! 1. source rows (the server's count up to the high-water key, in the
//!    dump's `extract` section) = dump rows (the dump's parts);
//! 2. dump rows = rows the transform read (all of T's parts transformed);
//! 3. rows read = rows that became events + rows rejected, and the rejects
//!    sidecar `T_rejects` holds exactly the rows rejected;
//!
//! and for the stream and each target:
//!
//! 4. the events of every table = the records of the event stream's parts;
//! 5. each PostgreSQL module holds every stream part, finished, and the
//!    events it loaded = the events of the kinds it consumes, summed over
//!    the tables (from the transform's accounting);
//! 6. RabbitMQ's checkpoint is complete, at every event of the stream.

use crate::progress::count;
use anyhow::{Context, bail};
use pancake_extract::ExtractSection;
use pancake_load::ModuleSpec;
use pancake_load::postgres::standing::Loaded;
use pancake_load::rabbitmq::Checkpoint;
use pancake_proto::Manifest;
use pancake_proto::accounting::{TableAccount, TransformSection};
use pancake_proto::names::kind_name;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The whole reconciliation, as printed and as `--report-json` writes it.
#[derive(Debug, Serialize)]
pub struct Reconciliation {
    pub tables: Vec<TableLine>,
    pub stream_events: u64,
    pub postgres: Vec<ModuleLine>,
    pub rabbitmq: Option<RabbitLine>,
    /// What does not balance; empty when everything does.
    pub problems: Vec<String>,
    pub balanced: bool,
}

/// One legacy table.
#[derive(Debug, Serialize)]
pub struct TableLine {
    pub table: String,
    pub source_rows: Option<u64>,
    pub dump_rows: u64,
    pub rows_read: u64,
    pub rows_with_events: u64,
    pub rejected: u64,
    pub events: u64,
    /// Per PostgreSQL module: the events of this table it consumes.
    pub module_events: BTreeMap<String, u64>,
}

/// One PostgreSQL module.
#[derive(Debug, Serialize)]
pub struct ModuleLine {
    pub module: String,
    pub database: String,
    pub expected_events: u64,
    pub loaded_events: u64,
    pub stream_parts: u64,
    pub loaded_parts: u64,
    pub rows_loaded: u64,
    pub finished: bool,
}

/// The RabbitMQ target.
#[derive(Debug, Serialize)]
pub struct RabbitLine {
    pub exchange: String,
    pub expected_events: u64,
    pub published_events: u64,
    pub complete: bool,
}

/// Reconciles the dump in `dump` and the stream in `events` with what the
/// targets hold (`None`: not a target of this migration).
pub fn reconcile(
    dump: &Path,
    events: &Path,
    postgres: Option<&[Loaded]>,
    rabbitmq: Option<(&str, Option<&Checkpoint>)>,
) -> anyhow::Result<Reconciliation> {
    let dump_manifest =
        Manifest::load(dump).with_context(|| format!("reading {}", dump.display()))?;
    let extract = ExtractSection::of(&dump_manifest);
    let stream = Manifest::load(events).with_context(|| format!("reading {}", events.display()))?;
    let Some(Ok(accounting)) = TransformSection::of(&stream) else {
        bail!(
            "{} holds no readable transform accounting",
            events.display()
        );
    };
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    for entry in &dump_manifest.tables {
        let name = entry.name.as_str();
        let account = accounting.tables.get(name).cloned().unwrap_or_default();
        let source_rows = extract
            .as_ref()
            .and_then(|e| e.tables.get(name))
            .and_then(|t| t.source_rows);
        let line = TableLine {
            table: name.to_owned(),
            source_rows,
            dump_rows: entry.records(),
            rows_read: account.rows,
            rows_with_events: account.rows_with_events,
            rejected: account.rejected,
            events: account.events_total(),
            module_events: postgres
                .unwrap_or_default()
                .iter()
                .map(|m| (m.module.to_owned(), module_events(m.module, &account)))
                .collect(),
        };
        check_table(&line, &account, &stream, &mut problems);
        tables.push(line);
    }
    let stream_events = stream.tables.iter().map(|t| t.records()).sum::<u64>();
    let table_events = tables.iter().map(|t| t.events).sum::<u64>();
    if stream_events != table_events {
        problems.push(format!(
            "the event stream's parts hold {} events, the tables' accounting {}",
            count(stream_events),
            count(table_events)
        ));
    }
    let stream_parts = stream.tables.iter().map(|t| t.parts.len() as u64).sum();
    let mut modules = Vec::new();
    for m in postgres.unwrap_or_default() {
        let line = ModuleLine {
            module: m.module.to_owned(),
            database: m.database.clone(),
            expected_events: tables.iter().map(|t| t.module_events[m.module]).sum(),
            loaded_events: m.events,
            stream_parts,
            loaded_parts: m.parts,
            rows_loaded: m.rows_total(),
            finished: m.finished,
        };
        if line.loaded_parts != stream_parts || !line.finished || m.this_stream != Some(true) {
            problems.push(format!(
                "postgres {}: {} of {} stream parts loaded{}",
                line.module,
                line.loaded_parts,
                stream_parts,
                if m.this_stream == Some(false) {
                    ", and it holds another event stream"
                } else if line.finished {
                    ""
                } else {
                    ", not finished"
                }
            ));
        }
        if line.loaded_events != line.expected_events {
            problems.push(format!(
                "postgres {}: {} events loaded, the transform made {} of the kinds it consumes",
                line.module,
                count(line.loaded_events),
                count(line.expected_events)
            ));
        }
        modules.push(line);
    }
    let rabbitmq = rabbitmq.map(|(exchange, checkpoint)| RabbitLine {
        exchange: exchange.to_owned(),
        expected_events: stream_events,
        published_events: checkpoint.map_or(0, |c| c.events),
        complete: checkpoint.is_some_and(|c| c.complete),
    });
    if let Some(r) = &rabbitmq
        && (!r.complete || r.published_events != r.expected_events)
    {
        problems.push(format!(
            "rabbitmq {}: {} of {} events confirmed{}",
            r.exchange,
            count(r.published_events),
            count(r.expected_events),
            if r.complete { "" } else { ", not complete" }
        ));
    }
    Ok(Reconciliation {
        balanced: problems.is_empty(),
        tables,
        stream_events,
        postgres: modules,
        rabbitmq,
        problems,
    })
}

/// The events of `account` of the kinds `module` consumes.
fn module_events(module: &str, account: &TableAccount) -> u64 {
    ModuleSpec::by_name(module).map_or(0, |spec| {
        spec.kinds
            .iter()
            .map(|k| account.events.get(kind_name(*k)).copied().unwrap_or(0))
            .sum()
    })
}

/// Rules 1 to 3 for one table.
fn check_table(
    line: &TableLine,
    account: &TableAccount,
    stream: &Manifest,
    problems: &mut Vec<String>,
) {
    let t = &line.table;
    match line.source_rows {
        Some(n) if n != line.dump_rows => problems.push(format!(
            "{t}: the server counted {} rows, the dump holds {}",
            count(n),
            count(line.dump_rows)
        )),
        None => problems.push(format!("{t}: the dump records no source row count")),
        _ => {}
    }
    if line.rows_read != line.dump_rows || !account.is_done() {
        problems.push(format!(
            "{t}: the dump holds {} rows, the transform read {} ({} of {} parts)",
            count(line.dump_rows),
            count(line.rows_read),
            account.parts_done,
            account.input_parts
        ));
    }
    if line.rows_read != line.rows_with_events + line.rejected {
        problems.push(format!(
            "{t}: {} rows read, but {} became events and {} were rejected",
            count(line.rows_read),
            count(line.rows_with_events),
            count(line.rejected)
        ));
    }
    let sidecar = TransformSection::rejects_sidecar(t);
    let in_sidecar = stream.any_table(&sidecar).map_or(0, |s| s.records());
    if in_sidecar != line.rejected {
        problems.push(format!(
            "{t}: {} rows rejected, but {sidecar} holds {}",
            count(line.rejected),
            count(in_sidecar)
        ));
    }
}

/// The table as the end of a run prints it.
pub fn print(r: &Reconciliation) {
    let modules: Vec<&str> = r.postgres.iter().map(|m| m.module.as_str()).collect();
    print!(
        "{:<15} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10}",
        "table", "source", "dump", "read", "events", "rejects", "balanced"
    );
    for m in &modules {
        print!(" {m:>9}");
    }
    println!();
    for t in &r.tables {
        let ok = r
            .problems
            .iter()
            .all(|p| !p.starts_with(&format!("{}:", t.table)));
        print!(
            "{:<15} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10}",
            t.table,
            t.source_rows.map_or("?".into(), count),
            count(t.dump_rows),
            count(t.rows_read),
            count(t.events),
            count(t.rejected),
            if ok { "yes" } else { "NO" }
        );
        for m in &modules {
            print!(" {:>9}", count(t.module_events[*m]));
        }
        println!();
    }
    for m in &r.postgres {
        println!(
            "postgres {:<9} {}: {} of {} events loaded, {} of {} parts, {} rows{}",
            m.module,
            m.database,
            count(m.loaded_events),
            count(m.expected_events),
            m.loaded_parts,
            m.stream_parts,
            count(m.rows_loaded),
            if m.finished { "" } else { ", not finished" }
        );
    }
    if let Some(q) = &r.rabbitmq {
        println!(
            "rabbitmq {}: {} of {} events confirmed{}",
            q.exchange,
            count(q.published_events),
            count(q.expected_events),
            if q.complete { ", complete" } else { "" }
        );
    }
    if r.balanced {
        println!("reconciliation: every table and target balances");
    } else {
        println!("reconciliation: does NOT balance:");
        for p in &r.problems {
            println!("  {p}");
        }
    }
}

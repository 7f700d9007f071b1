//! `pancake inspect`: what a dump or event stream holds, for people and for
//! scripts.

use crate::progress;
use anyhow::{Context, bail};
use pancake_proto::json::record_to_json;
use pancake_proto::manifest::{DumpKindName, Manifest, TableEntry, TableSummary, Totals};
use pancake_proto::names::NamedCounts;
use pancake_proto::part::{PartReader, ReadOptions};
use pancake_proto::verify::{TableAccount, TransformSection};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Summarise a dump or event stream from its manifest (tables, parts, counts,
/// bytes, key and time ranges), or print its first records as JSON.
#[derive(clap::Args)]
pub struct Args {
    /// The dump or event stream folder (the one holding manifest.json).
    dir: PathBuf,
    /// Only this table (or sidecar, such as dirty_rows); lists its parts.
    #[arg(long)]
    table: Option<String>,
    /// Print the first N records of the table (of every table without
    /// --table) as JSON lines.
    #[arg(long, value_name = "N")]
    records: Option<u64>,
    /// Print the summary as one JSON object, for scripts.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.dir)?;
    let tables: Vec<&TableEntry> = match &args.table {
        Some(name) => match manifest.any_table(name) {
            Some(table) => vec![table],
            None => bail!(
                "{}: no table {name:?}; it has: {}",
                args.dir.display(),
                manifest
                    .tables
                    .iter()
                    .chain(&manifest.sidecars)
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None => manifest.tables.iter().collect(),
    };
    if let Some(n) = args.records {
        for table in tables {
            print_records(&args.dir, &manifest, table, n)?;
        }
    } else if args.json {
        let summary = Summary::of(&manifest, &tables, args.table.as_deref());
        let text = serde_json::to_string_pretty(&summary).context("writing the summary as JSON")?;
        println!("{text}");
    } else {
        print_summary(&args.dir, &manifest, &tables, args.table.is_some());
        if let Some(counts) = event_counts(&manifest, args.table.as_deref()) {
            print_event_counts(&counts);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `inspect --json`: the manifest's summary, the tables shown, an event
/// stream's counts, and each stage's own section as it wrote it.
#[derive(Serialize)]
struct Summary<'a> {
    kind: &'static str,
    source: &'a str,
    created_at: &'a str,
    snapshot_at: Option<&'a str>,
    complete: bool,
    tables: Vec<TableSummary<'a>>,
    sidecars: Vec<TableSummary<'a>>,
    /// Of the tables shown.
    records: u64,
    bytes: u64,
    /// Events per kind, for an event stream (null when its transform
    /// section does not say); absent for a legacy dump.
    #[serde(skip_serializing_if = "Option::is_none")]
    kinds: Option<Option<NamedCounts>>,
    /// Rejects per reason, as `kinds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    rejects: Option<Option<NamedCounts>>,
    /// Each stage's own section (generator, extract, transform).
    #[serde(flatten)]
    sections: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> Summary<'a> {
    fn of(manifest: &'a Manifest, tables: &[&'a TableEntry], table: Option<&str>) -> Summary<'a> {
        let (kinds, rejects) = match event_counts(manifest, table).map(|c| c.account) {
            None => (None, None),
            Some(Err(_)) => (Some(None), Some(None)),
            Some(Ok(account)) => (
                Some(Some(NamedCounts::events(&account.events))),
                Some(Some(NamedCounts::rejects(&account.rejects))),
            ),
        };
        let shown = Totals::of(tables.iter().copied());
        Summary {
            kind: manifest.kind.as_str(),
            source: &manifest.source,
            created_at: &manifest.created_at,
            snapshot_at: manifest.snapshot_at.as_deref(),
            complete: manifest.complete,
            tables: tables.iter().map(|t| t.summary()).collect(),
            sidecars: manifest.sidecars.iter().map(TableEntry::summary).collect(),
            records: shown.records,
            bytes: shown.bytes,
            kinds,
            rejects,
            sections: &manifest.sections,
        }
    }
}

/// What an event stream's transform section says about the tables shown.
struct EventCounts {
    /// "all tables" or the table's name.
    of: String,
    /// The counts; or why there are none.
    account: Result<TableAccount, String>,
    /// Tables in the section, and of them done (every input part).
    tables: (usize, usize),
    input: Option<String>,
}

/// For an event stream: the transform's counts of every table, or of the one
/// `table` names (a table or its `<table>_rejects` sidecar). `None` for a
/// legacy dump.
fn event_counts(manifest: &Manifest, table: Option<&str>) -> Option<EventCounts> {
    if manifest.kind != DumpKindName::EventStream {
        return None;
    }
    let section = match TransformSection::of(manifest) {
        None => Err("no transform section: events per kind and rejects per reason unknown".into()),
        Some(Err(e)) => Err(format!(
            "the transform section cannot be read ({e}); `pancake verify` says more"
        )),
        Some(Ok(section)) => Ok(section),
    };
    let mut counts = EventCounts {
        of: table.unwrap_or("all tables").to_owned(),
        account: Err(String::new()),
        tables: (0, 0),
        input: None,
    };
    let section = match section {
        Ok(section) => section,
        Err(why) => {
            counts.account = Err(why);
            return Some(counts);
        }
    };
    counts.tables = (section.tables.len(), section.tables_done());
    counts.input = section
        .input
        .clone()
        .map(|input| match &section.input_source {
            Some(source) => format!("{input} ({source})"),
            None => input,
        });
    counts.account = match table {
        None => Ok(section.overall()),
        Some(name) => match section.account_of(name) {
            Some((of, account)) => {
                counts.of = of.to_owned();
                Ok(account.clone())
            }
            None => Err(format!("the transform section does not count {name}")),
        },
    };
    Some(counts)
}

fn print_event_counts(counts: &EventCounts) {
    println!();
    let account = match &counts.account {
        Ok(account) => account,
        Err(why) => {
            println!("{why}");
            return;
        }
    };
    match &counts.input {
        Some(input) => println!("transform of {input}"),
        None => println!("transform"),
    }
    if counts.of == "all tables" {
        println!(
            "tables:   {} of {} done, {} of {} input parts",
            counts.tables.1, counts.tables.0, account.parts_done, account.input_parts
        );
    } else {
        println!(
            "{:<10}{} of {} input parts done",
            format!("{}: ", counts.of),
            account.parts_done,
            account.input_parts,
        );
    }
    println!(
        "rows:     {} read = {} with events + {} rejected ({} repaired)",
        progress::count(account.rows),
        progress::count(account.rows_with_events),
        progress::count(account.rejected),
        progress::count(account.repaired),
    );
    let table = |title: &str, rows: NamedCounts| {
        println!();
        println!("{title:<23} {:>13}", "COUNT");
        let total = rows.total();
        for (name, n) in rows.0 {
            println!("{name:<23} {:>13}", progress::count(n));
        }
        println!("{:<23} {:>13}", "total", progress::count(total));
    };
    table("EVENTS", NamedCounts::events(&account.events));
    table("REJECTS", NamedCounts::rejects(&account.rejects));
}

fn range<T: std::fmt::Display>(range: Option<[T; 2]>) -> String {
    match range {
        Some([lo, hi]) => format!("{lo} .. {hi}"),
        None => "-".into(),
    }
}

fn print_summary(dir: &Path, manifest: &Manifest, tables: &[&TableEntry], parts: bool) {
    println!(
        "{}: {}, {}",
        dir.display(),
        manifest.kind.as_str(),
        if manifest.complete {
            "complete"
        } else {
            "INCOMPLETE (the run that writes it has not finished)"
        }
    );
    println!("source:   {}", manifest.source);
    println!("created:  {}", manifest.created_at);
    if let Some(snapshot) = &manifest.snapshot_at {
        println!("snapshot: {snapshot}");
    }
    // Wide enough for every name shown, sidecars (profile_visits_rejects)
    // included.
    let width = tables
        .iter()
        .copied()
        .chain(&manifest.sidecars)
        .map(|t| t.name.len())
        .chain(parts.then_some("  part 000000".len()))
        .max()
        .unwrap_or(0)
        .max(15);
    println!();
    println!(
        "{:<width$} {:>6} {:>13} {:>10}  {:<27} TIMES",
        "TABLE", "PARTS", "RECORDS", "BYTES", "KEYS"
    );
    let row = |name: &str, parts: usize, records: u64, bytes: u64, keys: String, times: String| {
        println!(
            "{name:<width$} {parts:>6} {:>13} {:>10}  {keys:<27} {times}",
            progress::count(records),
            progress::bytes(bytes),
        )
    };
    for table in tables {
        row(
            &table.name,
            table.parts.len(),
            table.records(),
            table.bytes(),
            range(table.key_range()),
            range(table.time_range()),
        );
        if parts {
            for part in &table.parts {
                row(
                    &format!("  part {}", part.number),
                    1,
                    part.records,
                    part.bytes,
                    range(part.key_range),
                    range(part.time_range.clone()),
                );
            }
        }
    }
    let records: u64 = tables.iter().map(|t| t.records()).sum();
    let bytes: u64 = tables.iter().map(|t| t.bytes()).sum();
    let parts_total: usize = tables.iter().map(|t| t.parts.len()).sum();
    row(
        "total",
        parts_total,
        records,
        bytes,
        String::new(),
        String::new(),
    );
    if !parts && !manifest.sidecars.is_empty() {
        println!();
        for sidecar in &manifest.sidecars {
            row(
                &sidecar.name,
                sidecar.parts.len(),
                sidecar.records(),
                sidecar.bytes(),
                "(sidecar)".into(),
                String::new(),
            );
        }
    }
}

/// One line of `inspect --records`.
#[derive(Serialize)]
struct RecordLine<'a> {
    table: &'a str,
    part: u32,
    /// Its place in the part, from 0.
    record: u64,
    data: serde_json::Value,
}

/// The first `n` records of a table, as JSON lines. Reads only as far as it
/// prints.
fn print_records(
    dir: &Path,
    manifest: &Manifest,
    table: &TableEntry,
    n: u64,
) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut printed = 0;
    for part in &table.parts {
        if printed >= n {
            break;
        }
        let options = ReadOptions {
            kind: Some(manifest.kind.proto()),
            table: Some(table.name.clone()),
            record_type: Some(table.record_type.clone()),
            part_number: Some(part.number),
            max_record_bytes: None,
        };
        let mut reader = PartReader::open(&dir.join(&part.file), &options)?;
        let mut index = 0u64;
        while printed < n {
            let Some(bytes) = reader.next_frame()? else {
                break;
            };
            let record = record_to_json(&table.record_type, bytes).map_err(|e| {
                anyhow::anyhow!("{}: record {index}: {e}", dir.join(&part.file).display())
            })?;
            let line = RecordLine {
                table: &table.name,
                part: part.number,
                record: index,
                data: record,
            };
            serde_json::to_writer(&mut out, &line).context("writing to stdout")?;
            writeln!(out).context("writing to stdout")?;
            printed += 1;
            index += 1;
        }
    }
    Ok(())
}

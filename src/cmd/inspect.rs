//! `pancake inspect`: what a dump or event stream holds, for people and for
//! scripts.

use crate::progress;
use anyhow::{Context, bail};
use pancake_proto::json::record_to_json;
use pancake_proto::manifest::{Manifest, TableEntry};
use pancake_proto::part::{PartReader, ReadOptions};
use serde_json::{Value, json};
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
        println!(
            "{}",
            serde_json::to_string_pretty(&summary_json(&manifest, &tables))?
        );
    } else {
        print_summary(&args.dir, &manifest, &tables, args.table.is_some());
    }
    Ok(ExitCode::SUCCESS)
}

fn table_json(table: &TableEntry) -> Value {
    json!({
        "name": table.name,
        "record_type": table.record_type,
        "parts": table.parts.len(),
        "records": table.records(),
        "bytes": table.bytes(),
        "record_bytes": table.record_bytes(),
        "key_range": table.key_range(),
        "time_range": table.time_range(),
    })
}

fn summary_json(manifest: &Manifest, tables: &[&TableEntry]) -> Value {
    let mut object = json!({
        "kind": manifest.kind.as_str(),
        "source": manifest.source,
        "created_at": manifest.created_at,
        "snapshot_at": manifest.snapshot_at,
        "complete": manifest.complete,
        "tables": tables.iter().map(|t| table_json(t)).collect::<Vec<_>>(),
        "sidecars": manifest.sidecars.iter().map(table_json).collect::<Vec<_>>(),
        "records": tables.iter().map(|t| t.records()).sum::<u64>(),
        "bytes": tables.iter().map(|t| t.bytes()).sum::<u64>(),
    });
    // Each stage's own section (generator, extract, transform) as it wrote it.
    for (name, section) in &manifest.sections {
        object[name] = section.clone();
    }
    object
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
    println!();
    println!(
        "{:<15} {:>6} {:>13} {:>10}  {:<27} TIMES",
        "TABLE", "PARTS", "RECORDS", "BYTES", "KEYS"
    );
    let row = |name: &str, parts: usize, records: u64, bytes: u64, keys: String, times: String| {
        println!(
            "{name:<15} {parts:>6} {:>13} {:>10}  {keys:<27} {times}",
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
            let line =
                json!({"table": table.name, "part": part.number, "record": index, "data": record});
            writeln!(out, "{line}").context("writing to stdout")?;
            printed += 1;
            index += 1;
        }
    }
    Ok(())
}

//! `pancake generate`: a synthetic legacy dump from a preset.

use crate::progress;
use anyhow::{Context, bail};
use indicatif::ProgressBar;
use pancake_datasets::{GenerateOptions, Preset, Progress, generate};
use pancake_proto::{LegacyTable, PartLimits, WriteOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a synthetic legacy dump: dating-site-shaped, deterministic for a
/// seed, with a fixed share of marked dirty rows.
#[derive(clap::Args)]
pub struct Args {
    /// Size of the data set: tiny (a few thousand rows), finland (about 1.5
    /// million events) or sweden (about 500 million events).
    #[arg(long, default_value = "tiny")]
    preset: String,
    /// Multiplies every table's row count.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// The same seed gives a byte-identical dump.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder [default: dumps/<preset>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// gzip level of the parts, 0 (none) to 9 (smallest).
    #[arg(long, default_value_t = WriteOptions::DEFAULT_LEVEL, value_parser = clap::value_parser!(u32).range(0..=9))]
    compression_level: u32,
    /// Most records in one part (at most 100,000,000).
    #[arg(long, default_value_t = PartLimits::DEFAULT_MAX_RECORDS, value_parser = clap::value_parser!(u64).range(1..=PartLimits::MAX_RECORDS))]
    part_records: u64,
    /// Most bytes of records (before compression) in one part.
    #[arg(long, default_value_t = PartLimits::DEFAULT_MAX_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    part_bytes: u64,
    /// Generate again even if the folder already holds this exact dump.
    #[arg(long)]
    force: bool,
}

pub struct Bar(pub ProgressBar);

impl Progress for Bar {
    fn table_started(&self, table: LegacyTable, _rows: u64) {
        self.0.set_message(table.name());
    }
    fn rows_done(&self, rows: u64) {
        self.0.inc(rows);
    }
}

/// The preset named `name`, checked together with `--scale`.
pub fn preset(name: &str, scale: f64) -> anyhow::Result<Preset> {
    let Some(preset) = Preset::by_name(name) else {
        bail!(
            "unknown preset {name:?}; choose one of: {}",
            Preset::names().join(", ")
        );
    };
    if !(scale.is_finite() && scale > 0.0) {
        bail!("--scale must be a positive number, got {scale}");
    }
    Ok(preset)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let preset = preset(&args.preset, args.scale)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("dumps").join(preset.name));
    let options = GenerateOptions {
        preset,
        scale: args.scale,
        seed: args.seed,
        threads: args.threads,
        write: WriteOptions {
            level: args.compression_level,
            limits: PartLimits {
                max_records: args.part_records,
                max_bytes: args.part_bytes,
            },
        },
    };
    let bar = Bar(progress::bar(
        preset.scaled(args.scale).total_rows(),
        "rows",
    ));
    let report = generate(&out, &options, args.force, &bar)
        .with_context(|| format!("generating {} into {}", preset.name, out.display()))?;
    bar.0.finish_and_clear();
    let section = &report.section;
    let rows = section.total_rows();
    if report.up_to_date {
        println!(
            "{} already holds {} (scale {}, seed {}), complete: {} rows; nothing to do (--force makes it again)",
            out.display(),
            section.preset,
            section.scale,
            section.seed,
            progress::count(rows),
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "generated {} (scale {}, seed {}) into {}: {} rows in {} tables, {} parts, {}, {:.2} s ({} rows/s)",
        section.preset,
        section.scale,
        section.seed,
        out.display(),
        progress::count(rows),
        section.rows.len(),
        report.parts,
        progress::bytes(report.bytes),
        report.elapsed.as_secs_f64(),
        progress::rate(rows, report.elapsed),
    );
    for (table, n) in &section.rows {
        let dirty: u64 = section.dirty.get(table).map_or(0, |k| k.values().sum());
        println!(
            "  {table:<15} {:>13} rows  {:>9} dirty",
            progress::count(*n),
            progress::count(dirty)
        );
    }
    let dirty = section.total_dirty();
    let mut kinds: std::collections::BTreeMap<&str, u64> = Default::default();
    for per_kind in section.dirty.values() {
        for (kind, n) in per_kind {
            *kinds.entry(kind).or_default() += n;
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "dirty rows: {} ({:.2}% of rows; marked in the dirty_rows sidecar): {}",
        progress::count(dirty),
        100.0 * dirty as f64 / rows.max(1) as f64,
        kinds.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

//! `pancake generate`: a synthetic legacy dump from a preset.

use super::args::{PresetArgs, WriteArgs};
use crate::observe::stage;
use crate::progress;
use anyhow::Context;
use indicatif::ProgressBar;
use pancake_datasets::{GenerateOptions, Progress, generate};
use pancake_proto::LegacyTable;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Once;

/// Write a synthetic legacy dump: dating-site-shaped, deterministic for a
/// seed, with a fixed share of marked dirty rows.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: PresetArgs,
    /// The same seed gives a byte-identical dump.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder [default: dumps/<preset>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    threads: usize,
    #[command(flatten)]
    write: WriteArgs,
    /// Generate again even if the folder already holds this exact dump.
    #[arg(long)]
    force: bool,
}

/// The stage's name in logs and metrics.
const STAGE: &str = "generate";

/// The bar, and the start line logged once the folder is held.
pub struct Bar {
    pub bar: ProgressBar,
    preset: String,
    out: String,
    begun: Once,
}

impl Bar {
    pub fn new(bar: ProgressBar, preset: &str, out: &Path) -> Bar {
        Bar {
            bar,
            preset: preset.to_owned(),
            out: out.display().to_string(),
            begun: Once::new(),
        }
    }
}

impl Progress for Bar {
    fn table_started(&self, table: LegacyTable, rows: u64) {
        self.begun
            .call_once(|| stage::started(STAGE, &self.preset, &self.out));
        stage::table_started(STAGE, table.name(), rows, 0);
        self.bar.set_message(table.name());
    }
    fn rows_done(&self, rows: u64) {
        self.bar.inc(rows);
        stage::stage_rows(STAGE, rows);
    }
}

/// The end line.
pub fn log_end(report: &pancake_datasets::GenerateReport) {
    if !report.up_to_date {
        let rows = report.section.total_rows();
        stage::ended(STAGE, rows, "rows", report.elapsed.as_secs_f64());
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let preset = args.data.preset()?;
    let scale = args.data.scale;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("dumps").join(preset.name));
    let options = GenerateOptions {
        preset,
        scale,
        seed: args.seed,
        threads: args.threads,
        write: args.write.options(),
    };
    let bar = Bar::new(
        progress::bar(preset.scaled(scale).total_rows(), "rows"),
        preset.name,
        &out,
    );
    let report = generate(&out, &options, args.force, &bar)
        .with_context(|| format!("generating {} into {}", preset.name, out.display()))?;
    bar.bar.finish_and_clear();
    log_end(&report);
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

//! `pancake transform`: a legacy dump into an event stream.

use crate::observe::stage;
use crate::progress;
use anyhow::Context;
use indicatif::ProgressBar;
use pancake_proto::names::{EVENT_KINDS, REJECT_REASONS, kind_name, reason_name};
use pancake_proto::{PartLimits, WriteOptions};
use pancake_transform::{CommittedPart, TransformOptions, TransformReport, transform};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The stage's name in logs and metrics.
const STAGE: &str = "transform";

/// Turn a legacy dump (from extract or generate) into domain events, in
/// parallel. Rows that cannot become valid events go to rejects with the
/// reason; every row is accounted for. Re-running after a crash continues
/// after the last finished input part.
#[derive(clap::Args)]
pub struct Args {
    /// The legacy dump to read.
    #[arg(long = "in", value_name = "DUMP")]
    input: PathBuf,
    /// Output folder for the event stream.
    #[arg(long, value_name = "EVENTS", required_unless_present = "decode_only")]
    out: Option<PathBuf>,
    /// Worker threads [default: one per core]. The output is the same
    /// whatever the number.
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    threads: usize,
    /// Most records (events) in one output part (a sorted run).
    #[arg(long, alias = "part-events", default_value_t = PartLimits::DEFAULT_MAX_RECORDS, value_parser = clap::value_parser!(u64).range(1..))]
    part_records: u64,
    /// The earliest valid date: rows dated before it are rejected.
    #[arg(long, default_value = "2000-01-01")]
    site_start: String,
    /// gzip level of the parts, 0 (none) to 9 (smallest).
    #[arg(long, default_value_t = WriteOptions::DEFAULT_LEVEL, value_parser = clap::value_parser!(u32).range(0..=9))]
    compression_level: u32,
    /// Start over, discarding the event stream in --out.
    #[arg(long)]
    force: bool,
    /// Only read and decode every record of the dump, write nothing, and
    /// print the rate: the ceiling a transform can reach on this machine.
    #[arg(long)]
    decode_only: bool,
}

/// Rows and events, counted live.
pub struct Live {
    pub bar: ProgressBar,
    pub events: AtomicU64,
    pub started: Instant,
    /// The dump and the stream, for the start line.
    pub input: String,
    pub output: String,
    /// The start line is logged once the stage holds its folder and
    /// begins its first phase.
    pub begun: Once,
}

impl Live {
    pub fn new(bar: ProgressBar, input: &Path, output: &Path) -> Live {
        Live {
            bar,
            events: AtomicU64::new(0),
            started: Instant::now(),
            input: input.display().to_string(),
            output: output.display().to_string(),
            begun: Once::new(),
        }
    }
}

impl pancake_transform::Progress for Live {
    fn phase(&self, name: &str, rows: u64) {
        self.begun
            .call_once(|| stage::started(STAGE, &self.input, &self.output));
        stage::phase(STAGE, name, rows);
        self.bar.set_length(rows);
        self.bar.set_position(0);
        self.bar.reset_eta();
        self.bar.set_message(name.to_owned());
    }
    fn rows(&self, n: u64) {
        self.bar.inc(n);
        stage::stage_rows(STAGE, n);
    }
    fn part_committed(&self, part: &CommittedPart) {
        stage::part_committed(
            STAGE,
            &stage::Part {
                table: part.table,
                part: part.part,
                records: part.events,
                bytes: part.bytes,
                seconds: part.seconds,
            },
        );
        stage::table_events(STAGE, part.table, part.events);
    }
    fn input_committed(&self, table: &str, _rows: u64, bytes: u64) {
        stage::bytes_read(STAGE, table, bytes);
    }
    fn rows_rejected(&self, table: &str, rejects: &BTreeMap<String, u64>) {
        for (reason, n) in rejects {
            stage::rejected(STAGE, table, reason, *n);
        }
    }
    fn events(&self, n: u64) {
        let total = self.events.fetch_add(n, Ordering::Relaxed) + n;
        self.bar.set_message(format!(
            "transforming, {} events ({}/s)",
            progress::count(total),
            progress::rate(total, self.started.elapsed())
        ));
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.decode_only {
        let started = Instant::now();
        let threads = args.threads;
        let records = pancake_transform::decode_only(&args.input, threads)
            .with_context(|| format!("decoding {}", args.input.display()))?;
        let elapsed = started.elapsed();
        println!(
            "decoded {} records of {} in {:.2} s: {} records/s ({} threads)",
            progress::count(records),
            args.input.display(),
            elapsed.as_secs_f64(),
            progress::rate(records, elapsed),
            if threads == 0 {
                "all".to_owned()
            } else {
                threads.to_string()
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut options =
        TransformOptions::new(args.input.clone(), args.out.clone().unwrap_or_default());
    options.threads = args.threads;
    options.part_events = args.part_records;
    options.site_start = site_start(&args.site_start).context("--site-start")?;
    options.write.level = args.compression_level;
    options.force = args.force;
    transform_showing_progress(&options)?;
    Ok(ExitCode::SUCCESS)
}

/// A date like 2000-01-01 as the Unix time of its midnight (UTC).
pub fn site_start(date: &str) -> anyhow::Result<i64> {
    Ok(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .with_context(|| format!("{date:?} is not a date like 2000-01-01"))?
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp())
}

/// Runs the transform with a bar and prints its summary.
pub fn transform_showing_progress(options: &TransformOptions) -> anyhow::Result<TransformReport> {
    let live = Live::new(progress::bar(0, "rows"), &options.input, &options.out);
    let result = transform(options, &live);
    live.bar.finish_and_clear();
    if let Ok(report) = &result {
        log_end(report);
    }
    let report = result.with_context(|| {
        format!(
            "transforming {} into {}",
            options.input.display(),
            options.out.display()
        )
    })?;
    print_summary(&report, &options.out);
    Ok(report)
}

/// The reject summary per table and reason, and the end line.
pub fn log_end(report: &TransformReport) {
    for (table, t) in &report.section.tables {
        for (reason, n) in &t.rejects {
            if *n > 0 {
                stage::rejects_summary(STAGE, table, reason, *n);
            }
        }
    }
    stage::ended(
        STAGE,
        report.events_this_run,
        "events",
        report.elapsed.as_secs_f64(),
    );
}

fn print_summary(report: &TransformReport, out: &std::path::Path) {
    if report.up_to_date {
        println!(
            "{} already holds this complete transform: nothing to do (--force starts over)",
            out.display()
        );
        return;
    }
    let s = &report.section;
    println!(
        "{:<15} {:>11} {:>11} {:>9} {:>9} {:>12}",
        "table", "rows", "with events", "rejected", "repaired", "events"
    );
    for (name, t) in &s.tables {
        println!(
            "{:<15} {:>11} {:>11} {:>9} {:>9} {:>12}",
            name,
            progress::count(t.rows),
            progress::count(t.rows_with_events),
            progress::count(t.rejected),
            progress::count(t.repaired),
            progress::count(t.events_total())
        );
    }
    println!("events per kind:");
    for kind in EVENT_KINDS {
        let n = s.kinds.get(kind_name(kind)).copied().unwrap_or(0);
        println!("  {:<22} {:>12}", kind_name(kind), progress::count(n));
    }
    println!("rejects per reason:");
    for reason in REJECT_REASONS {
        let n = s.rejects.get(reason_name(reason)).copied().unwrap_or(0);
        println!("  {:<22} {:>12}", reason_name(reason), progress::count(n));
    }
    let secs = report.elapsed.max(Duration::from_millis(1));
    let balanced = s
        .tables
        .values()
        .all(|t| t.rows == t.rows_with_events + t.rejected);
    println!(
        "transformed {} rows into {} events in {:.1} s: {} rows/s, {} events/s{}",
        progress::count(report.rows_this_run),
        progress::count(report.events_this_run),
        secs.as_secs_f64(),
        progress::rate(report.rows_this_run, secs),
        progress::rate(report.events_this_run, secs),
        if report.resumed {
            " (continuing an earlier run)"
        } else {
            ""
        }
    );
    println!(
        "accounting: rows read = rows with events + rows rejected for every table: {}",
        if balanced { "yes" } else { "NO" }
    );
}

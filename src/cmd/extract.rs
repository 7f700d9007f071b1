//! `pancake extract`: the legacy SQL Server into a dump.

use super::args::{WriteArgs, runtime};
use crate::observe::stage;
use crate::progress;
use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use pancake_extract::{
    CommittedPart, ExtractOptions, ExtractReport, Isolation, Mapping, Progress, Source,
};
use pancake_proto::LegacyTable;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The stage's name in logs and metrics.
const STAGE: &str = "extract";

/// Read the legacy SQL Server into a dump, page by page, gently and
/// resumably. Re-running the same command after a crash continues after the
/// last finished part of each table.
///
/// The server is given as a URL or as an ADO.NET connection string:
///
///   mssql://USER:PASSWORD@HOST:1433/DB?encrypt=true&ca_file=ca.pem
///
///   Server=tcp:HOST,1433;Database=DB;User Id=USER;Password=PASSWORD
///
/// URL options: encrypt (true/false), trust_server_certificate, ca_file,
/// application_name, connect_timeout (seconds). The connection string takes
/// the same as Encrypt, TrustServerCertificate, Application Name and Connect
/// Timeout. Quote the whole value for the shell. The password is never
/// shown.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The server, as a URL or an ADO.NET connection string (see above).
    /// Required: give it here or in the MSSQL_URL environment variable
    /// (which keeps the password out of the shell's history).
    #[arg(long, env = "MSSQL_URL", hide_env_values = true)]
    mssql_url: Option<String>,
    /// Output folder for the dump.
    #[arg(long, required_unless_present = "print_mapping")]
    out: Option<PathBuf>,
    /// Only these tables (dump names: members, flirts, messages, blocks,
    /// favorites, profile_visits, photos, photo_likes, search_profiles).
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// Rows per query.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    page_rows: u32,
    #[command(flatten)]
    write: WriteArgs,
    /// Sessions open on the server at once, shared by the tables: several
    /// small tables side by side, and a large table's key range in chunks
    /// read side by side. The dump is the same for any number.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    connections: u64,
    /// A ceiling on rows read per second, all tables together, to spare a
    /// production server.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_rows_per_sec: Option<u64>,
    /// read-committed works everywhere; snapshot takes no shared locks but
    /// needs ALLOW_SNAPSHOT_ISOLATION ON.
    #[arg(long, value_enum, default_value = "read-committed")]
    isolation: IsolationArg,
    /// A TOML file naming the site's tables and columns where they differ
    /// from the design's schema (see --print-mapping).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Print the effective mapping as TOML and exit.
    #[arg(long)]
    print_mapping: bool,
    /// Seconds one page query may take before it is retried.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    query_timeout: u64,
    /// How often a lost connection or timed-out page is retried, with
    /// backoff, before the run stops.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Start over, discarding the extraction in --out.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum IsolationArg {
    ReadCommitted,
    Snapshot,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mapping = mapping(args.mapping.as_deref())?;
    if args.print_mapping {
        print!("{}", mapping.to_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(url) = args.mssql_url.as_deref() else {
        bail!(
            "no server to extract from: give --mssql-url or set MSSQL_URL, as a URL (mssql://USER:PASSWORD@HOST:1433/DB) or an ADO.NET connection string (see pancake extract --help)"
        );
    };
    let source = source(url).context("--mssql-url")?;
    let out = args.out.clone().unwrap_or_default();
    let mut options = ExtractOptions::new(source, out);
    options.tables = tables(&args.tables).context("--tables")?;
    options.mapping = mapping;
    options.page_rows = args.page_rows;
    options.write = args.write.options();
    options.connections = args.connections as usize;
    options.max_rows_per_sec = args.max_rows_per_sec;
    options.isolation = match args.isolation {
        IsolationArg::ReadCommitted => Isolation::ReadCommitted,
        IsolationArg::Snapshot => Isolation::Snapshot,
    };
    options.query_timeout = Duration::from_secs(args.query_timeout);
    options.retries = args.retries;
    options.force = args.force;
    extract_showing_progress(options)?;
    Ok(ExitCode::SUCCESS)
}

/// The mapping file, or the design's schema without one.
pub fn mapping(path: Option<&std::path::Path>) -> anyhow::Result<Mapping> {
    Ok(match path {
        Some(path) => Mapping::from_file(path)?,
        None => Mapping::default(),
    })
}

/// The server, its notes logged.
pub fn source(url: &str) -> anyhow::Result<Source> {
    let source = Source::parse(url)?;
    for note in source.notes() {
        tracing::info!(stage = STAGE, note = %note, "note");
    }
    Ok(source)
}

/// Dump table names (any case) as tables.
pub fn tables(names: &[String]) -> anyhow::Result<Vec<LegacyTable>> {
    let mut tables = Vec::new();
    for name in names {
        let Some(t) = LegacyTable::from_name(&name.trim().to_ascii_lowercase()) else {
            bail!(
                "unknown table {name:?}; choose from: {}",
                LegacyTable::ALL.map(|t| t.name()).join(", ")
            );
        };
        tables.push(t);
    }
    Ok(tables)
}

/// Runs the extract with a bar per table and prints its summary.
pub fn extract_showing_progress(options: ExtractOptions) -> anyhow::Result<ExtractReport> {
    let out = options.out.clone();
    let source_name = options.source.redacted();
    stage::started(STAGE, &source_name.to_string(), &out.display().to_string());
    let bars = Arc::new(Bars::new());
    let runtime = runtime()?;
    let result = runtime.block_on(pancake_extract::extract(options, bars.clone()));
    bars.finish();
    let report = result.with_context(|| format!("extracting into {}", out.display()))?;
    stage::ended(
        STAGE,
        report.rows_this_run(),
        "rows",
        report.elapsed.as_secs_f64(),
    );
    print_summary(&report, &out);
    Ok(report)
}

/// One bar per table.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with(&self, table: &str, f: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(table)
        {
            f(bar);
        }
    }

    fn finish(&self) {
        for bar in self.bars.lock().unwrap_or_else(|e| e.into_inner()).values() {
            bar.abandon();
        }
    }
}

impl Progress for Bars {
    fn table_started(&self, table: &str, estimate: Option<u64>, already: u64) {
        stage::table_started(STAGE, table, estimate.unwrap_or(0), already);
        let bar = self.multi.add(progress::bar(estimate.unwrap_or(0), "rows"));
        bar.set_position(already);
        bar.set_message(format!("{table} (parts 0)"));
        self.bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(table.to_owned(), bar);
    }
    fn rows(&self, table: &str, rows: u64) {
        stage::rows(STAGE, table, rows);
        self.with(table, |b| {
            b.inc(rows);
            if b.position() > b.length().unwrap_or(0) {
                b.set_length(b.position());
            }
        });
    }
    fn bytes_read(&self, table: &str, bytes: u64) {
        stage::bytes_read(STAGE, table, bytes);
    }
    fn part_done(&self, table: &str, parts: u32) {
        self.with(table, |b| b.set_message(format!("{table} (parts {parts})")));
    }
    fn part_committed(&self, part: &CommittedPart) {
        stage::part_committed(
            STAGE,
            &stage::Part {
                table: part.table,
                part: part.part,
                records: part.rows,
                bytes: part.bytes,
                seconds: part.seconds,
            },
        );
    }
    fn retrying(&self, table: &str, attempt: u32, reason: &str) {
        let line = format!("{table}: retrying (attempt {attempt}) after: {reason}");
        stage::retry(STAGE, table, attempt, reason, &line);
    }
    fn table_done(&self, table: &str) {
        self.with(table, |b| {
            b.set_length(b.position());
            b.finish();
        });
    }
    fn warning(&self, message: &str) {
        stage::warning(STAGE, message);
    }
}

fn print_summary(report: &ExtractReport, out: &std::path::Path) {
    if report.up_to_date {
        println!(
            "{} already holds this complete extraction: nothing to do (--force starts over)",
            out.display()
        );
        return;
    }
    let secs = report.elapsed.as_secs_f64();
    println!(
        "{:<15} {:<22} {:>12} {:>6} {:>10} {:>11}",
        "table", "source", "rows", "parts", "bytes", "rows/s"
    );
    let mut total = (0u64, 0usize, 0u64);
    for t in &report.tables {
        println!(
            "{:<15} {:<22} {:>12} {:>6} {:>10} {:>11}",
            t.name,
            t.source_table,
            progress::count(t.rows),
            t.parts,
            progress::bytes(t.bytes),
            progress::rate(t.rows_this_run, Duration::from_secs_f64(t.seconds))
        );
        total.0 += t.rows;
        total.1 += t.parts;
        total.2 += t.bytes;
    }
    println!(
        "{:<15} {:<22} {:>12} {:>6} {:>10} {:>11}",
        "total",
        "",
        progress::count(total.0),
        total.1,
        progress::bytes(total.2),
        progress::rate(report.rows_this_run(), report.elapsed)
    );
    println!(
        "read {} rows in {secs:.1} s{}; snapshot {}",
        progress::count(report.rows_this_run()),
        if report.resumed {
            " (continuing an earlier run)"
        } else {
            ""
        },
        report.snapshot_at.as_deref().unwrap_or("unknown")
    );
    for t in &report.tables {
        for (kind, n) in &t.anomalies {
            println!(
                "note: {}: {} value(s) {kind} (listed in manifest.json, extract.tables.{}.anomaly_examples)",
                t.name,
                progress::count(*n),
                t.name
            );
        }
        if t.retries > 0 {
            println!("note: {}: {} page(s) retried", t.name, t.retries);
        }
        if let Some(source) = t.source_rows
            && source != t.rows
        {
            println!(
                "warning: {}: the server counts {} rows up to the high-water key, the dump holds {}: rows were inserted or deleted below it during the run",
                t.name,
                progress::count(source),
                progress::count(t.rows)
            );
        }
    }
}

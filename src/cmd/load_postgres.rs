//! `pancake load postgres`: an event stream into one database per module.
//! `pancake seed` shares the progress display and the summary.

use super::args::{TargetArgs, runtime};
use crate::observe::stage;
use crate::progress;
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar};
use pancake_load::postgres::{self, LoadedPart, ModuleReport, PgReport};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The stage's name in logs and metrics.
pub const STAGE: &str = "load_postgres";

/// Load an event stream into one PostgreSQL database per module (profile,
/// chat, alerts, favorite, block, audit) with COPY, each part exactly once.
/// A re-run continues after the parts that committed.
#[derive(clap::Args)]
pub struct Args {
    /// The event stream (from `pancake transform`).
    #[arg(long = "in", value_name = "EVENTS")]
    input: PathBuf,
    #[command(flatten)]
    target: TargetArgs,
}

/// One bar per module: its events, with rows in the message.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<&'static str, (ProgressBar, u64)>>,
}

impl Bars {
    pub fn new(multi: MultiProgress) -> Bars {
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    pub fn clear(&self) {
        for (bar, _) in self.bars.lock().expect("bars").values() {
            bar.finish_and_clear();
        }
    }
}

impl postgres::Progress for Bars {
    fn started(&self, modules: &[(&'static str, u64)]) {
        let mut bars = self.bars.lock().expect("bars");
        for (name, events) in modules {
            stage::module_started(STAGE, name, *events);
            let bar = self.multi.add(progress::bar(*events, "events"));
            bar.set_message(name.to_string());
            bars.insert(name, (bar, 0));
        }
    }
    fn part_loaded(&self, module: &'static str, events: u64, rows: u64) {
        if let Some((bar, total_rows)) = self.bars.lock().expect("bars").get_mut(module) {
            *total_rows += rows;
            bar.inc(events);
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{module} {} rows/s",
                progress::count((*total_rows as f64 / secs) as u64)
            ));
        }
    }
    fn part_read(&self, table: &str, _part: u32, bytes: u64) {
        stage::bytes_read(STAGE, table, bytes);
    }
    fn part_committed(&self, part: &LoadedPart) {
        stage::module_part_committed(
            STAGE,
            part.module,
            &stage::Part {
                table: part.table,
                part: part.part,
                records: part.events,
                bytes: part.bytes,
                seconds: part.seconds,
            },
            part.rows,
        );
    }
    fn finishing(&self, module: &'static str) {
        tracing::info!(
            stage = STAGE,
            module,
            "module finishing: keys, indexes, set-based steps"
        );
        if let Some((bar, _)) = self.bars.lock().expect("bars").get(module) {
            bar.set_message(format!("{module}: indexes, blocks"));
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    load_showing_progress(&args.target.options(args.input.clone()))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the load with a bar per module and prints its summary.
pub fn load_showing_progress(options: &postgres::PgOptions) -> anyhow::Result<PgReport> {
    // The error already names --database-url.
    let shown = postgres::server::Server::parse(&options.database_url)?.shown;
    stage::started(STAGE, &options.input.display().to_string(), &shown);
    let runtime = runtime()?;
    let bars = Arc::new(Bars::new(MultiProgress::new()));
    let result = runtime.block_on(postgres::load(options, bars.clone()));
    bars.clear();
    let report = result.with_context(|| format!("loading {}", options.input.display()))?;
    log_end(&report);
    print_summary(&report);
    Ok(report)
}

/// The end line: the stream's events read.
pub fn log_end(report: &PgReport) {
    stage::ended(
        STAGE,
        report.events_read,
        "events",
        report.elapsed.as_secs_f64(),
    );
}

/// A module's tables with their rows: `members 1,234, blocks 56`.
pub fn table_rows(m: &ModuleReport) -> String {
    m.tables
        .iter()
        .map(|(t, n)| format!("{t} {}", progress::count(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per module: parts, events/s, rows per table; then the whole load.
pub fn print_summary(report: &PgReport) {
    let secs = report.elapsed.max(Duration::from_millis(1));
    for m in &report.modules {
        let tables = table_rows(m);
        if m.up_to_date {
            println!(
                "{:<9} {} already holds this stream: nothing to do ({tables})",
                m.module, m.database
            );
            continue;
        }
        println!(
            "{:<9} {}: {} parts loaded, {} skipped (loaded before); {} events, {} rows, {} events/s; {tables}; writing parts {:.1} s, indexes and finishing steps {:.1} s",
            m.module,
            m.database,
            m.parts_loaded,
            m.parts_skipped,
            progress::count(m.events),
            progress::count(m.rows),
            progress::rate(m.events, secs),
            m.copy_elapsed.as_secs_f64(),
            m.finish_elapsed.as_secs_f64(),
        );
        if let Some(f) = &m.finished.feeds {
            println!(
                "          feeds of {} members built in {:.1} s: {} items shown, {} hidden by blocks that hold (feed size {})",
                progress::count(f.feeds),
                f.elapsed.as_secs_f64(),
                progress::count(f.shown),
                progress::count(f.hidden),
                f.size,
            );
        }
        if m.finished.changes_waiting > 0 {
            println!(
                "          {} change(s) name a row that no loaded part holds (kept in pancake.pending)",
                progress::count(m.finished.changes_waiting)
            );
        }
        if m.nul_replaced > 0 {
            println!(
                "          {} text(s) held NUL characters, which PostgreSQL cannot store: written as U+FFFD",
                progress::count(m.nul_replaced)
            );
        }
    }
    let events: u64 = report.modules.iter().map(|m| m.events).sum();
    let rows: u64 = report.modules.iter().map(|m| m.rows).sum();
    if report.up_to_date() {
        println!("every module already holds this stream: nothing to do");
    } else {
        println!(
            "loaded {} stream events as {} module events into {} rows in {:.1} s: {} events/s, {} rows/s",
            progress::count(report.events_read),
            progress::count(events),
            progress::count(rows),
            secs.as_secs_f64(),
            progress::rate(report.events_read, secs),
            progress::rate(rows, secs),
        );
    }
}

//! `pancake bench`: the stages in sequence on one data set, each measured
//! beside its ceiling, written up as report.json, report.md and an SVG of
//! each stage's progress over time with its phases and ceiling.
//!
//! Stages run in this process, one after another, through the same library
//! calls as the commands; the ceilings run right after their stage: the
//! test server serving alone for extract (before and after it), the
//! decode-only pass for transform, plain COPY of the same rows for
//! PostgreSQL, the bare publisher for RabbitMQ.

mod chart;
mod extract;
mod measure;
mod report;

use super::args::{AmqpArgs, DatabaseArgs, PresetArgs, runtime};
use crate::observe::{Says, say};
use crate::progress;
use anyhow::{Context, bail};
use measure::Meter;
use pancake_datasets::{GenerateOptions, generate};
use pancake_load::postgres::{self, PgOptions};
use pancake_load::rabbitmq::{self, RabbitOptions};
use pancake_transform::{TransformOptions, decode_only, transform};
use report::{Report, Stage};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const STAGES: [&str; 5] = [
    "generate",
    "extract",
    "transform",
    "load-postgres",
    "load-rabbitmq",
];

/// Run the stages on one data set and measure each beside its ceiling:
/// events (or rows) per second, wall and CPU time, peak memory, bytes read
/// and written. Writes report.json, report.md and progress.svg.
///
/// load-postgres drops and makes the databases <prefix>_<module> and
/// <prefix>_ceiling_<module> on --database-url (never one that holds
/// tables pancake did not create) and drops them afterwards unless --keep;
/// load-rabbitmq declares its own exchange and queues (prefix
/// pancake-bench-<pid>) on --amqp-url and deletes them afterwards.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: PresetArgs,
    /// Comma-separated, run in this order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "generate,extract,transform,load-postgres,load-rabbitmq"
    )]
    stages: Vec<String>,
    /// Sessions the extract stage reads over (`pancake extract
    /// --connections`). One, like its ceiling: the test server streams
    /// gzip parts and can only skip forward, so sessions that interleave a
    /// table's chunks make it decode every row once per session (a real
    /// SQL Server seeks by index).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    connections: u64,
    /// Where the report goes [default: bench/<preset>-x<scale>].
    #[arg(long)]
    report: Option<PathBuf>,
    /// Where the dump and event stream go [default: <report>/data].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    broker: AmqpArgs,
    /// Events per RabbitMQ message (the README's recommendation).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// The bench databases are named <prefix>_<module> (bench_profile,
    /// ...; a trailing _ or . is dropped). Not pancake's default, so that a
    /// bench never replaces what `pancake seed` loaded.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "bench",
        alias = "db-prefix"
    )]
    prefix: String,
    /// Keep the bench databases for a look afterwards.
    #[arg(long)]
    keep: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let preset = args.data.preset()?;
    let scale = args.data.scale;
    for s in &args.stages {
        if !STAGES.contains(&s.as_str()) {
            bail!("unknown stage {s:?}; the stages are {}", STAGES.join(", "));
        }
    }
    let set = format!("{}-x{scale}", preset.name);
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| PathBuf::from("bench").join(&set));
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| report_dir.join("data"));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let dump = work.join("dump");
    let events = work.join("events");
    let runtime = runtime()?;
    let mut stages = Vec::new();

    for stage in &args.stages {
        say(Says::Info, "bench", "bench", &format!("{stage} ..."));
        let meter = Meter::start();
        let count = meter.count();
        let done = match stage.as_str() {
            "generate" => {
                let options = GenerateOptions::new(preset, scale);
                let r = generate(&dump, &options, true, &count)
                    .with_context(|| format!("generating into {}", dump.display()))?;
                let rows = r.section.total_rows();
                let note = format!("{} of parts", progress::bytes(r.bytes));
                Stage::new(stage, "rows", rows, note, meter.finish())
            }
            "extract" => {
                drop(meter);
                extract::run(
                    &runtime,
                    &dump,
                    &work.join("extracted"),
                    args.connections as usize,
                )?
            }
            "transform" => {
                let mut options = TransformOptions::new(dump.clone(), events.clone());
                options.force = true;
                let r = transform(&options, &count)
                    .with_context(|| format!("transforming {}", dump.display()))?;
                let measured = meter.finish();
                let rows = r.rows_this_run;
                let events_made: u64 = r.section.kinds.values().sum();
                let started = std::time::Instant::now();
                let records = decode_only(&dump, 0).context("the decode-only pass")?;
                let ceiling = records as f64 / started.elapsed().as_secs_f64();
                let note = format!(
                    "{} events, {} events/s",
                    progress::count(events_made),
                    progress::count((events_made as f64 / measured.wall_s) as u64)
                );
                Stage::new(stage, "rows", rows, note, measured)
                    .beside("decode-only pass".into(), ceiling)
            }
            "load-postgres" => {
                let mut options =
                    PgOptions::new(events.clone(), args.database.database_url.clone());
                options.prefix = args.prefix.clone();
                options.reset = true;
                let r = runtime
                    .block_on(postgres::load(&options, Arc::new(count)))
                    .context("loading into PostgreSQL")?;
                let mut measured = meter.finish();
                measured.sent = Some(measure::Sent {
                    bytes: r.modules.iter().map(|m| m.copy_bytes).sum(),
                    what: "binary COPY data to PostgreSQL (without the protocol's framing)".into(),
                });
                let rows: u64 = r.modules.iter().map(|m| m.rows).sum();
                let ceiling = runtime
                    .block_on(postgres::ceiling::plain_copy(&options, &work))
                    .context("the plain COPY ceiling")?;
                if !args.keep {
                    runtime.block_on(postgres::drop_databases(&options))?;
                }
                let ceiling_rate = ceiling.rows as f64 / ceiling.elapsed.as_secs_f64();
                let whole_rate = ceiling.rows as f64 / ceiling.whole_load().as_secs_f64();
                let note = format!(
                    "{} stream events at {} events/s, keys, indexes and finishing steps included; the plain COPY ceiling copies into bare tables ({:.1} s), the whole-load ceiling then builds the same keys and indexes and runs the same finishing steps ({:.1} s more)",
                    progress::count(r.events_read),
                    progress::count((r.events_read as f64 / measured.wall_s) as u64),
                    ceiling.elapsed.as_secs_f64(),
                    ceiling.keys_and_finishing.as_secs_f64(),
                );
                let mut done = Stage::new(stage, "rows", rows, note, measured);
                done.modules = r
                    .modules
                    .iter()
                    .map(|m| report::ModuleTime {
                        module: m.module.to_owned(),
                        events: m.events,
                        rows: m.rows,
                        writing_s: m.copy_elapsed.as_secs_f64(),
                        finishing_s: m.finish_elapsed.as_secs_f64(),
                        feeds_s: m.finished.feeds.map(|f| f.elapsed.as_secs_f64()),
                    })
                    .collect();
                done.beside("plain COPY of the same rows".into(), ceiling_rate)
                    .beside(
                        "whole load: plain COPY, keys, indexes, finishing".into(),
                        whole_rate,
                    )
            }
            "load-rabbitmq" => {
                let tag = format!("pancake-bench-{}", std::process::id());
                let mut options = RabbitOptions::new(events.clone(), args.broker.amqp_url.clone());
                options.exchange = format!("{tag}.x");
                options.queue_prefix = tag.clone();
                options.declare_queues = true;
                options.batch = args.batch.max(1);
                let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
                let r = runtime
                    .block_on(rabbitmq::load(&options, Arc::new(count)))
                    .context("loading into RabbitMQ")?;
                let mut measured = meter.finish();
                measured.sent = Some(measure::Sent {
                    bytes: r.body_bytes,
                    what: "message bodies published to RabbitMQ (without AMQP's framing and properties)".into(),
                });
                let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
                runtime.block_on(delete_queues(&options, &tag))?;
                // The bare publisher holds its messages in memory: at most
                // the first two million events.
                let bare = runtime
                    .block_on(rabbitmq::bare_publish_up_to(&options, 2_000_000))
                    .context("the bare publisher")?;
                runtime.block_on(delete_queues(&options, &tag))?;
                let ceiling = bare.events as f64 / bare.elapsed.as_secs_f64();
                let note = format!(
                    "{} messages of up to {} events, every module queue",
                    progress::count(r.messages),
                    options.batch
                );
                Stage::new(stage, "events", r.events, note, measured).beside(
                    format!("bare publisher, {} events", progress::count(bare.events)),
                    ceiling,
                )
            }
            _ => unreachable!("checked above"),
        };
        let line = format!(
            "{stage}: {} {}/s, peak {}",
            progress::count(done.per_sec as u64),
            done.unit,
            progress::bytes(done.measured.peak_rss_bytes)
        );
        say(Says::Info, "bench", "bench", &line);
        stages.push(done);
    }

    let report = Report {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: report::Machine::this(),
        preset: preset.name.to_owned(),
        scale,
        stages,
    };
    report
        .write(&report_dir)
        .with_context(|| format!("writing the report into {}", report_dir.display()))?;
    print!("{}", report.markdown());
    println!(
        "\nwrote {0}/report.json, {0}/report.md and {0}/{1}",
        report_dir.display(),
        chart::FILE
    );
    Ok(ExitCode::SUCCESS)
}

async fn delete_queues(options: &RabbitOptions, tag: &str) -> anyhow::Result<()> {
    let (connection, _) = rabbitmq::connect(&options.amqp_url).await?;
    let channel = connection.create_channel().await?;
    rabbitmq::delete_topology(&channel, &options.exchange, tag).await?;
    let _ = connection.close(200, "done".into()).await;
    Ok(())
}

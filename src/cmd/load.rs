//! `pancake load`: an event stream into RabbitMQ, or into PostgreSQL (see
//! `load_postgres.rs`).

use super::args::{AmqpArgs, PrefixArgs, runtime};
use crate::observe::stage;
use crate::progress;
use anyhow::Context;
use indicatif::ProgressBar;
use pancake_load::rabbitmq::{self, AmqpTarget, RabbitOptions, RabbitReport};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Load an event stream into RabbitMQ or into per-module PostgreSQL
/// databases.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(clap::Subcommand)]
enum Target {
    Rabbitmq(RabbitArgs),
    Postgres(super::load_postgres::Args),
}

/// Publish an event stream to RabbitMQ in global time order, with publisher
/// confirms: one message per event (--batch 1), or batches of up to N
/// events per module queue.
#[derive(clap::Args)]
struct RabbitArgs {
    /// The event stream (from `pancake transform`).
    #[arg(long = "in", value_name = "EVENTS")]
    input: PathBuf,
    #[command(flatten)]
    broker: AmqpArgs,
    /// The durable topic exchange events are published to.
    #[arg(long, default_value = "pancake.events")]
    exchange: String,
    /// Declare one durable queue per module, <prefix>_<module>
    /// (pancake_profile, pancake_chat, ... by default), bound to the kinds
    /// it consumes and to its batch key.
    #[arg(long)]
    declare_queues: bool,
    #[command(flatten)]
    prefix: PrefixArgs,
    /// Publish every event once into a RabbitMQ stream (<prefix>_stream,
    /// declared with --declare-queues) that each module reads at its own
    /// offset, instead of a copy per module queue.
    #[arg(long)]
    stream: bool,
    /// Events per message: 1 publishes each event alone, routed by kind;
    /// N > 1 sends each module's events in batches to its queue.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    batch: u64,
    /// Most messages published but not yet confirmed by the broker.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    confirm_window: u64,
    /// Publishing channels, in batched mode only: each module's batches keep
    /// to one channel, so each queue still gets them in order.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    channels: u64,
    /// A ceiling on events published per second.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_events_per_sec: Option<u64>,
    /// How often the load connects again (with backoff: 0.5 s, doubling, at
    /// most 8 s) after a connection that worked was lost, before it stops;
    /// progress resets the count, and a re-run continues after the last
    /// checkpoint anyway. A first connection that fails is not retried.
    #[arg(long, default_value_t = 10)]
    reconnects: u32,
    /// Seconds each connection may take: TCP connect and the AMQP handshake
    /// together.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    connect_timeout: u64,
    /// Seconds the broker may leave a publish or a confirm unanswered
    /// (while it has not blocked publishing) before the connection counts
    /// as lost and the load connects again.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    answer_timeout: u64,
}

/// The stage's name in logs and metrics.
const STAGE: &str = "load_rabbitmq";

/// The bar, and the messages this connection published as last told.
struct Bar(ProgressBar, AtomicU64);

impl rabbitmq::Progress for Bar {
    fn checking(&self, events: u64) {
        self.0.set_length(events);
        self.0.set_position(0);
        self.0.set_message("checking parts");
    }
    fn checked(&self, events: u64) {
        self.0.inc(events);
    }
    fn started(&self, events: u64) {
        stage::events_expected(STAGE, events);
        self.0.set_length(events);
        self.0.set_position(0);
        self.0.set_message("publishing");
    }
    fn reconnecting(&self, retry: &rabbitmq::Retry) {
        self.0.set_message("reconnecting");
        self.1.store(0, Ordering::Relaxed);
        stage::retry(
            STAGE,
            &retry.addr,
            retry.attempt,
            &retry.reason,
            &retry.to_string(),
        );
    }
    fn restarted_at(&self, events: u64) {
        self.0.set_position(events);
        self.0.set_message("publishing");
    }
    fn events(&self, n: u64) {
        self.0.inc(n);
        stage::events(STAGE, n);
    }
    fn part_read(&self, table: &str, _part: u32, bytes: u64) {
        stage::bytes_read(STAGE, table, bytes);
    }
    fn messages(&self, published: u64, unconfirmed: u64) {
        let before = self.1.swap(published, Ordering::Relaxed);
        stage::messages(STAGE, published.saturating_sub(before), unconfirmed);
    }
    fn blocked(&self, reason: &str) {
        self.0.set_message("BLOCKED");
        stage::warning(
            STAGE,
            &format!("the broker blocked publishing ({reason}): waiting until it lifts the alarm"),
        );
    }
    fn unblocked(&self) {
        self.0.set_message("publishing");
        tracing::info!(stage = STAGE, "the broker unblocked publishing: continuing");
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.target {
        Target::Rabbitmq(args) => rabbit(args),
        Target::Postgres(args) => super::load_postgres::run(args),
    }
}

fn rabbit(args: RabbitArgs) -> anyhow::Result<ExitCode> {
    let mut options = RabbitOptions::new(args.input.clone(), args.broker.amqp_url.clone());
    options.exchange = args.exchange;
    options.declare_queues = args.declare_queues;
    options.queue_prefix = args.prefix.prefix;
    options.stream = args.stream;
    options.batch = args.batch as usize;
    options.confirm_window = args.confirm_window as usize;
    options.channels = args.channels as usize;
    options.max_events_per_sec = args.max_events_per_sec;
    options.reconnects = args.reconnects;
    options.connect_timeout = Duration::from_secs(args.connect_timeout);
    options.answer_timeout = Duration::from_secs(args.answer_timeout);
    publish_showing_progress(&options)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the load with a bar and prints its summary.
pub fn publish_showing_progress(options: &RabbitOptions) -> anyhow::Result<RabbitReport> {
    let target = AmqpTarget::parse(&options.amqp_url)?;
    let load_target = rabbitmq::LoadTarget::of(options)?;
    stage::started(
        STAGE,
        &options.input.display().to_string(),
        &format!(
            "{} (exchange {}, {})",
            target.redacted(),
            options.exchange,
            load_target.mode()
        ),
    );
    let bar = Arc::new(Bar(progress::bar(0, "events"), AtomicU64::new(0)));
    let runtime = runtime()?;
    let result = runtime.block_on(rabbitmq::load(options, bar.clone()));
    bar.0.finish_and_clear();
    let report = result.with_context(|| format!("loading {}", options.input.display()))?;
    stage::ended(STAGE, report.events, "events", report.elapsed.as_secs_f64());
    for ignored in &report.ignored_checkpoints {
        println!(
            "checkpoint {} not used: {}",
            ignored.path.display(),
            ignored.reason
        );
    }
    if report.up_to_date {
        println!(
            "{} is already loaded into {load_target}: nothing to do (delete {} to load it again)",
            options.input.display(),
            report.checkpoint.display()
        );
        return Ok(report);
    }
    if report.resumed_after > 0 {
        println!(
            "continued after the checkpoint at {} events ({}): up to about two confirm windows of messages before it may have been delivered twice (consumers drop repeats by message id)",
            progress::count(report.resumed_after),
            report.checkpoint.display()
        );
    } else if !report.ignored_checkpoints.is_empty() {
        println!("started from the first event into {load_target}");
    }
    println!(
        "checked {} parts against their trailers and the manifest before publishing, in {:.1} s",
        progress::count(report.parts_checked as u64),
        report.check_elapsed.as_secs_f64()
    );
    if report.reconnects > 0 {
        println!(
            "reconnected {} time(s); each time publishing continued after the last checkpoint, and {} events were published again",
            report.reconnects,
            progress::count(report.republished_events)
        );
    }
    let secs = report.elapsed.max(Duration::from_millis(1));
    println!(
        "published {} messages ({} confirmed, {} retried after a nack, {} unroutable) carrying {} events in {:.1} s: {} events/s, {} messages/s",
        progress::count(report.messages),
        progress::count(report.confirmed),
        progress::count(report.retried),
        progress::count(report.unroutable),
        progress::count(report.events),
        secs.as_secs_f64(),
        progress::rate(report.events, secs),
        progress::rate(report.messages, secs),
    );
    if report.unroutable > 0 {
        println!(
            "warning: {} message(s) reached no queue: declare the module queues (--declare-queues) or bind your own",
            progress::count(report.unroutable)
        );
    }
    Ok(report)
}

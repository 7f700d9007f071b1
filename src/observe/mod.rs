//! What a run tells the people and machines watching it: structured logs
//! on stderr ([`logs`]), Prometheus metrics ([`metrics`]), the periodic
//! progress lines that stand in for bars off a terminal ([`ticker`]), and
//! the stage events that feed both ([`stage`]).
//!
//! The stage libraries know nothing of this: they call their `Progress`
//! traits, and the CLI's implementations of those call [`stage`].

pub mod logs;
pub mod metrics;
pub mod stage;
pub mod ticker;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// The `--log-format` of this process, once [`start`] ran.
static FORMAT: OnceLock<logs::Format> = OnceLock::new();

/// The flags every subcommand takes.
#[derive(clap::Args)]
pub struct Args {
    /// How log lines on stderr look: text (readable) or json (one object
    /// per line: timestamp, level, stage and the event's fields). The level
    /// comes from PANCAKE_LOG, an env filter (default info).
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: logs::Format,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics while the
    /// command runs.
    #[arg(long, global = true, value_name = "HOST:PORT")]
    pub metrics_addr: Option<SocketAddr>,
    /// Keep serving /metrics for SECONDS after the command ends, so that a
    /// last scrape sees the final counts.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 0,
        hide = true
    )]
    pub metrics_linger: u64,
    /// Seconds between progress lines when stderr is not a terminal (there
    /// are no bars then).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub progress_every: u64,
}

/// Logs, metrics and the ticker of one process, started by [`start`].
pub struct Observing {
    metrics: bool,
    linger: Duration,
}

/// Installs the log subscriber, the metrics exporter (with
/// `--metrics-addr`) and the ticker.
pub fn start(args: &Args) -> anyhow::Result<Observing> {
    logs::install(args.log_format)?;
    let _ = FORMAT.set(args.log_format);
    if let Some(addr) = args.metrics_addr {
        metrics::install(addr)?;
    }
    ticker::start(Duration::from_secs(args.progress_every));
    Ok(Observing {
        metrics: args.metrics_addr.is_some(),
        linger: Duration::from_secs(args.metrics_linger),
    })
}

impl Observing {
    /// Called when the command is done: a last rate, and the endpoint kept
    /// up for `--metrics-linger`.
    pub fn finish(self) {
        ticker::stop();
        if self.metrics && !self.linger.is_zero() {
            tracing::debug!(seconds = self.linger.as_secs(), "metrics linger");
            std::thread::sleep(self.linger);
        }
    }
}

/// How serious a line from [`say`] is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Says {
    Info,
    Warning,
    Error,
}

/// A line on stderr for the person at the terminal, `{prefix}: {message}`
/// (`bench: load ...`, `warning: ...`, `bad: ...`): as it is with
/// `--log-format text`, and with `json` one log event (its message, the
/// stage, the prefix as `kind`) so that stderr stays one JSON object per
/// line. Bars drawn at the time are suspended around it.
pub fn say(level: Says, stage: &'static str, prefix: &'static str, message: &str) {
    if FORMAT.get() == Some(&logs::Format::Json) {
        match level {
            Says::Info => tracing::info!(stage, kind = prefix, "{message}"),
            Says::Warning => tracing::warn!(stage, kind = prefix, "{message}"),
            Says::Error => tracing::error!(stage, kind = prefix, "{message}"),
        }
    } else {
        ticker::with_bars_suspended(|| eprintln!("{prefix}: {message}"));
    }
}

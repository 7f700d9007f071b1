//! The log subscriber: `tracing` events to stderr as readable text or as
//! JSON lines, filtered by `PANCAKE_LOG`. On a terminal a line is written
//! with the progress bars suspended, so bars and lines never mix.

use anyhow::Context;
use std::io::Write;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The environment variable holding the filter (`info`, `debug`,
/// `pancake=debug,warn`, ...).
pub const FILTER_VAR: &str = "PANCAKE_LOG";

/// Without `PANCAKE_LOG`: pancake's own events from info up, sqlx's
/// (server notices) and tiberius's only from warn up, lapin's only errors
/// (it warns of every unroutable message, printing the message whole,
/// personal data included; the load counts them and says so once).
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,lapin=error,tiberius=warn";

/// How log lines look.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Format {
    /// `TIME LEVEL message key=value ...`.
    Text,
    /// One JSON object per line: timestamp, level, message, stage, fields.
    Json,
}

/// Installs the global subscriber. A `PANCAKE_LOG` that does not parse is
/// an error naming it.
pub fn install(format: Format) -> anyhow::Result<()> {
    let filter = match std::env::var(FILTER_VAR) {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(&value).with_context(|| {
            format!(
                "{FILTER_VAR}={value:?} is not a log filter (try info, debug or pancake=debug,warn)"
            )
        })?,
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BarAware)
        .with_target(false);
    match format {
        Format::Text => builder.with_ansi(false).try_init(),
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    }
    .map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))
}

/// Writes each log line to stderr at once, with the live bars (if any are
/// drawn) suspended around it.
struct BarAware;

/// One line being formatted; written out when dropped.
pub struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let line = std::mem::take(&mut self.0);
        super::ticker::with_bars_suspended(|| {
            let _ = std::io::stderr().lock().write_all(&line);
        });
    }
}

impl<'a> MakeWriter<'a> for BarAware {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line(Vec::with_capacity(256))
    }
}

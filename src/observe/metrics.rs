//! Prometheus metrics: the exporter's own HTTP listener (from
//! `metrics-exporter-prometheus`) serves `/metrics`; the names are here.
//! Without `--metrics-addr` no recorder is installed and every update is
//! a no-op.
//!
//! Labels: `stage` (generate, extract, transform, load_postgres,
//! load_rabbitmq), and where they apply `table` (a legacy or stream table),
//! `module` (a module database) and `reason` (a reject reason).

use anyhow::Context;
use metrics::{Unit, describe_counter, describe_gauge, gauge};
use metrics_exporter_prometheus::PrometheusBuilder;
use std::net::SocketAddr;

/// Rows done (read, transformed, or written into a module's tables).
pub const ROWS_DONE: &str = "pancake_rows_done_total";
/// Rows a stage expects in all, once it knows.
pub const ROWS_EXPECTED: &str = "pancake_rows_expected";
/// Events written (transform) or loaded (loads).
pub const EVENTS_DONE: &str = "pancake_events_done_total";
/// Events a stage expects in all.
pub const EVENTS_EXPECTED: &str = "pancake_events_expected";
/// Rows rejected, per reason.
pub const REJECTS: &str = "pancake_rejects_total";
/// Parts committed.
pub const PARTS_COMMITTED: &str = "pancake_parts_committed_total";
/// Bytes written: part files, or COPY data sent to PostgreSQL.
pub const BYTES_WRITTEN: &str = "pancake_bytes_written_total";
/// Bytes read: input part files (transform, loads) or the source server's
/// answers (extract, as they came off the wire).
pub const BYTES_READ: &str = "pancake_bytes_read_total";
/// Retries: pages asked again, connections made again.
pub const RETRIES: &str = "pancake_retries_total";
/// Messages published to RabbitMQ.
pub const MESSAGES_PUBLISHED: &str = "pancake_messages_published_total";
/// Messages published and not yet confirmed by the broker.
pub const UNCONFIRMED: &str = "pancake_unconfirmed_messages";
/// What the stage's bars count per second now.
pub const RATE: &str = "pancake_rate";

/// Starts serving `/metrics` on `addr` and installs the recorder.
pub fn install(addr: SocketAddr) -> anyhow::Result<()> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .with_context(|| format!("--metrics-addr {addr}: cannot serve metrics"))?;
    describe();
    tracing::info!(addr = %addr, "serving metrics at /metrics");
    Ok(())
}

/// The HELP lines.
fn describe() {
    describe_counter!(
        ROWS_DONE,
        Unit::Count,
        "Rows done per stage and table (or module)."
    );
    describe_gauge!(ROWS_EXPECTED, Unit::Count, "Rows the stage expects in all.");
    describe_counter!(
        EVENTS_DONE,
        Unit::Count,
        "Events written or loaded per stage and table (or module)."
    );
    describe_gauge!(
        EVENTS_EXPECTED,
        Unit::Count,
        "Events the stage expects in all."
    );
    describe_counter!(REJECTS, Unit::Count, "Rows rejected per table and reason.");
    describe_counter!(
        PARTS_COMMITTED,
        Unit::Count,
        "Parts committed per stage and table (or module)."
    );
    describe_counter!(
        BYTES_WRITTEN,
        Unit::Bytes,
        "Bytes of parts written, or of COPY data sent."
    );
    describe_counter!(
        BYTES_READ,
        Unit::Bytes,
        "Bytes of input parts read, or of the source server's answers."
    );
    describe_counter!(RETRIES, Unit::Count, "Pages or connections tried again.");
    describe_counter!(
        MESSAGES_PUBLISHED,
        Unit::Count,
        "Messages published to RabbitMQ."
    );
    describe_gauge!(
        UNCONFIRMED,
        Unit::Count,
        "Messages published and not yet confirmed."
    );
    describe_gauge!(
        RATE,
        "What the stage counts (rows or events) per second now."
    );
}

/// The current rate of `stage`.
pub fn rate(stage: &'static str, per_sec: f64) {
    gauge!(RATE, "stage" => stage).set(per_sec);
}

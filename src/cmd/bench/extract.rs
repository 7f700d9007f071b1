//! The extract stage of `pancake bench`: the generated dump served by the
//! TDS test server, extracted as `pancake extract` would, beside the rate
//! the server serves the same tables at on its own.
//!
//! The ceiling ([`pancake_tds_test_server::ceiling`]) reads every table
//! with the extractor's page statement but decodes no row. It runs right
//! before and right after the extraction, so that a machine that got
//! busier or quieter meanwhile shows as two different ceilings.
//!
//! The server runs on threads of this process (there is no SQL Server on a
//! bench machine): the stage's CPU time and peak memory include the
//! server's, and the two share the machine's cores, as they would not in a
//! real migration.

use super::measure::{Count, Meter};
use super::report::Stage;
use crate::observe::{Says, say};
use crate::progress;
use anyhow::Context;
use pancake_extract::{ExtractOptions, Source};
use pancake_proto::LegacyTable;
use pancake_tds_test_server::ceiling::serve_table;
use pancake_tds_test_server::{Server, ServerConfig};
use std::path::Path;
use std::sync::Arc;

/// The test server's login (its defaults; nothing secret).
const USER: &str = "pancake";
const PASSWORD: &str = "pancake-test-password";

/// Serves `dump`, measures the ceiling, extracts into `out` over
/// `connections` sessions, measures the ceiling again.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    dump: &Path,
    out: &Path,
    connections: usize,
) -> anyhow::Result<Stage> {
    let line = format!(
        "extract: starting the TDS test server on {}",
        dump.display()
    );
    say(Says::Info, "bench", "bench", &line);
    let server = Server::start_blocking(ServerConfig::new(dump), "127.0.0.1:0".parse()?)
        .with_context(|| format!("serving {} with the TDS test server", dump.display()))?;
    let before = ceiling(&server)?;

    let meter = Meter::start();
    let url = format!(
        "mssql://{USER}:{PASSWORD}@127.0.0.1:{}/legacy?encrypt=false",
        server.port()
    );
    let mut options = ExtractOptions::new(Source::parse(&url)?, out.to_path_buf());
    options.connections = connections;
    options.force = true;
    let report = runtime
        .block_on(pancake_extract::extract(options, Arc::new(meter.count())))
        .context("extracting from the TDS test server")?;
    let measured = meter.finish();

    let after = ceiling(&server)?;
    let rows = report.rows_this_run();
    let parts: usize = report.tables.iter().map(|t| t.parts).sum();
    let bytes: u64 = report.tables.iter().map(|t| t.bytes).sum();
    let note = format!(
        "{connections} connection(s), {parts} parts, {} of parts; the server runs in this process (CPU and memory include it)",
        progress::bytes(bytes)
    );
    Ok(Stage::new("extract", "rows", rows, note, measured)
        .beside(
            "test server alone, before (raw client, no decoding)".into(),
            before,
        )
        .beside("test server alone, after".into(), after))
}

/// Rows per second the server serves every legacy table at, one session,
/// the extractor's pages, nothing decoded.
fn ceiling(server: &Server) -> anyhow::Result<f64> {
    let (mut rows, mut seconds) = (0u64, 0f64);
    for table in LegacyTable::ALL {
        let served = serve_table(server.addr(), USER, PASSWORD, table.sql_name())
            .with_context(|| format!("the serving ceiling of {}", table.sql_name()))?;
        rows += served.rows;
        seconds += served.seconds;
    }
    Ok(rows as f64 / seconds.max(f64::EPSILON))
}

/// An extraction: setup (catalog, key bounds), then reading, with the
/// rows written as the count.
impl pancake_extract::Progress for Count {
    fn table_started(&self, _table: &str, _estimate: Option<u64>, _already: u64) {
        self.before_that("setup");
        self.begin("reading");
    }
    fn rows(&self, _table: &str, rows: u64) {
        self.add("rows extracted", rows);
    }
}

//! Shared set-up for the extractor's tests: a generated `tiny` dump served by
//! the TDS test server, and extraction options pointing at it.

#![allow(dead_code)]

use pancake_extract::{ExtractOptions, ExtractReport, Source};
use pancake_tds_test_server::{Catalog, Server, ServerConfig};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub const PASSWORD: &str = "pancake-test-password";

/// The `tiny` data set, generated once per test binary.
pub fn tiny() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temp dir");
        let dump = pancake_tds_test_server::prepare_preset("tiny", 1.0, 1, tmp.path())
            .expect("generate tiny");
        (tmp, dump)
    })
    .1
}

/// `tiny` with the later legacy columns (profile text, height, flirt kind,
/// note, sender IP, subject, deleted flags, ...) filled by key, edge values
/// and lone surrogates included.
pub fn tiny_filled() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temp dir");
        let dump = tmp.path().join("tiny-filled");
        pancake_tds_test_server::fill_later_columns(tiny(), &dump).expect("fill");
        (tmp, dump)
    })
    .1
}

/// Every record of a dump table, in dump order.
pub fn records<R: pancake_proto::Record>(dump: &Path, table: pancake_proto::LegacyTable) -> Vec<R> {
    use pancake_proto::{Manifest, PartReader, ReadOptions, dump::DumpKind};
    let manifest = Manifest::load(dump).unwrap();
    let mut out = Vec::new();
    for part in &manifest.table(table.name()).unwrap().parts {
        let options = ReadOptions::expect::<R>(DumpKind::LegacyDump, table.name());
        let reader = PartReader::open(&dump.join(&part.file), &options).unwrap();
        out.extend(reader.records::<R>().map(Result::unwrap));
    }
    out
}

pub async fn serve(config: ServerConfig) -> Server {
    Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the test server starts")
}

pub async fn serve_tiny() -> Server {
    serve(ServerConfig::new(tiny())).await
}

/// `tiny` served with the tables and columns of `catalog`.
pub async fn serve_catalog(catalog: Catalog) -> Server {
    let mut config = ServerConfig::new(tiny());
    config.catalog = catalog;
    serve(config).await
}

pub fn url(server: &Server) -> String {
    format!(
        "mssql://pancake:{PASSWORD}@127.0.0.1:{}/legacy?encrypt=false&connect_timeout=5",
        server.addr().port()
    )
}

/// Options for extracting from `server` into `out`, with small pages and
/// parts so that every table spans several of each.
pub fn options(server: &Server, out: &Path) -> ExtractOptions {
    let mut o = ExtractOptions::new(Source::parse(&url(server)).unwrap(), out.to_path_buf());
    o.page_rows = 97;
    o.write.limits.max_records = 400;
    o
}

pub async fn extract(
    options: ExtractOptions,
) -> Result<ExtractReport, pancake_extract::ExtractError> {
    pancake_extract::extract(options, Arc::new(())).await
}

/// The message of the error an extraction with `options` must fail with.
pub async fn extract_error(options: ExtractOptions) -> String {
    extract(options)
        .await
        .expect_err("the extraction must fail")
        .to_string()
}

/// Whether `server` was sent no page query (no row was read).
pub fn no_page_read(server: &Server) -> bool {
    server
        .queries()
        .iter()
        .all(|q| !q.sql.contains("TOP (@P1)"))
}

/// Page queries the server received for `table` (its SQL name).
pub fn page_queries(server: &Server, table: &str) -> Vec<String> {
    server
        .queries()
        .into_iter()
        .map(|q| q.sql)
        .filter(|sql| sql.contains("TOP (@P1)") && sql.contains(&format!("[{table}]")))
        .collect()
}

/// Once `table` has committed `parts` parts, every page of Messages breaks
/// off after `rows` rows (the connection cut halfway), until the faults
/// are cleared.
pub struct ArmAfterParts {
    pub faults: pancake_tds_test_server::Faults,
    pub table: &'static str,
    pub parts: u32,
    pub rows: u64,
}

impl pancake_extract::Progress for ArmAfterParts {
    fn part_done(&self, table: &str, parts: u32) {
        if table == self.table && parts == self.parts {
            self.faults.drop_after_rows("Messages", self.rows, u32::MAX);
        }
    }
}

//! Extraction throughput against the TDS test server, in rows/s, for the
//! Members and Messages tables of `finland` (scaled to a tenth so that one
//! iteration takes about a second).
//!
//!     cargo bench -p pancake-benches --bench extract
//!
//! Beside each table, its ceiling: the same server serving the same pages
//! to the raw client, which decodes nothing
//! (`pancake_tds_test_server::ceiling`), measured in the same run right
//! after it (`pancake bench --stages extract` measures it before and after
//! a whole extraction).
//!
//! The server runs in the same process on its own threads, so on a 2-core
//! machine it takes part of the second core; a real SQL Server runs
//! elsewhere.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pancake_extract::{ExtractOptions, Source};
use pancake_proto::{LegacyTable, Manifest};
use pancake_tds_test_server::ceiling::serve_table;
use pancake_tds_test_server::{Server, ServerConfig, prepare_preset};
use std::sync::Arc;
use std::time::Duration;

fn extract(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temp dir");
    let dump = prepare_preset("finland", 0.1, 1, data.path()).expect("generate finland x0.1");
    let manifest = Manifest::load(&dump).expect("the generated manifest");
    let server = Server::start_blocking(ServerConfig::new(&dump), "127.0.0.1:0".parse().unwrap())
        .expect("the test server starts");
    let source = Source::parse(&format!(
        "mssql://pancake:pancake-test-password@127.0.0.1:{}/legacy?encrypt=false",
        server.port()
    ))
    .expect("a valid URL");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");

    let mut group = c.benchmark_group("extract");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for table in [LegacyTable::Members, LegacyTable::Messages] {
        let rows = manifest.table(table.name()).expect("generated").records();
        group.throughput(Throughput::Elements(rows));
        group.bench_function(table.name(), |b| {
            b.iter(|| {
                let out = tempfile::tempdir().expect("a temp dir");
                let mut options = ExtractOptions::new(source.clone(), out.path().to_path_buf());
                options.tables = vec![table];
                let report = runtime
                    .block_on(pancake_extract::extract(options, Arc::new(())))
                    .expect("the extraction succeeds");
                assert_eq!(report.rows_this_run(), rows);
            })
        });
        group.bench_function(format!("{}/server-alone", table.name()), |b| {
            b.iter(|| {
                let served = serve_table(
                    server.addr(),
                    "pancake",
                    "pancake-test-password",
                    table.sql_name(),
                )
                .expect("the server serves the table");
                assert_eq!(served.rows, rows);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);

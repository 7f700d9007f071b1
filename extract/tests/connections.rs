//! `--connections`: a table's key range read over several sessions at once
//! gives the very dump one session gives, part for part, and a run stopped
//! halfway resumes into the same dump.

mod common;

use common::*;
use pancake_proto::{LegacyTable, Manifest};
use std::collections::BTreeSet;
use std::path::Path;

/// A part as the manifest lists it: records, checksum, key range.
type PartId = (u64, String, Option<[i64; 2]>);

/// Every table's parts, in manifest order.
fn parts(dump: &Path) -> Vec<(String, Vec<PartId>)> {
    Manifest::load(dump)
        .unwrap()
        .tables
        .iter()
        .map(|t| {
            let parts = t
                .parts
                .iter()
                .map(|p| (p.records, p.checksum.clone(), p.key_range))
                .collect();
            (t.name.clone(), parts)
        })
        .collect()
}

/// The sessions (server connection numbers) that read pages of `table`.
fn sessions_reading(server: &pancake_tds_test_server::Server, table: &str) -> BTreeSet<u64> {
    server
        .queries()
        .into_iter()
        .filter(|q| q.sql.contains("TOP (@P1)") && q.sql.contains(&format!("[{table}]")))
        .map(|q| q.connection)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_connections_write_the_dump_one_connection_writes() {
    let server = serve_tiny().await;
    let one = tempfile::tempdir().unwrap();
    let mut o = options(&server, one.path());
    o.connections = 1;
    extract(o).await.unwrap();
    assert_eq!(sessions_reading(&server, "Messages").len(), 1);

    let server = serve_tiny().await;
    let four = tempfile::tempdir().unwrap();
    let mut o = options(&server, four.path());
    o.connections = 4;
    // Messages alone: every session goes to its chunks.
    o.tables = vec![LegacyTable::Messages];
    extract(o.clone()).await.unwrap();
    let readers = sessions_reading(&server, "Messages");
    assert!(readers.len() > 1, "chunks read side by side: {readers:?}");
    assert!(
        readers.len() <= 4,
        "never more sessions than asked: {readers:?}"
    );
    o.tables = Vec::new();
    o.out = tempfile::tempdir().unwrap().keep();
    extract(o.clone()).await.unwrap();

    // The same rows (tiny's messages repeat keys: a heap), and even the same
    // parts, byte for byte.
    pancake_tds_test_server::same_rows(one.path(), &o.out).unwrap();
    assert_eq!(parts(one.path()), parts(&o.out));
    let messages = |dir: &Path| {
        parts(dir)
            .into_iter()
            .find(|(t, _)| t == "messages")
            .unwrap()
            .1
    };
    assert_eq!(messages(one.path()), messages(four.path()));
    assert!(messages(four.path()).len() > 2);
    std::fs::remove_dir_all(&o.out).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_over_four_connections_stopped_halfway_resumes_into_the_same_dump() {
    let server = serve_tiny().await;
    let whole = tempfile::tempdir().unwrap();
    let mut o = options(&server, whole.path());
    o.connections = 1;
    o.tables = vec![LegacyTable::Messages];
    extract(o.clone()).await.unwrap();

    let stopped = tempfile::tempdir().unwrap();
    o.out = stopped.path().to_path_buf();
    o.connections = 4;
    o.retries = 1;
    let progress = std::sync::Arc::new(ArmAfterParts {
        faults: server.faults().clone(),
        table: "messages",
        parts: 2,
        rows: 10,
    });
    let e = pancake_extract::extract(o.clone(), progress)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("dbo.Messages"), "{e}");
    let kept = Manifest::load(stopped.path()).unwrap();
    assert!(!kept.complete);
    let kept = kept.table("messages").unwrap().parts.len();
    assert!(kept >= 2, "finished parts are kept: {kept}");

    // Healed, the same command with another number of sessions finishes it.
    server.faults().clear();
    o.connections = 3;
    let report = extract(o).await.unwrap();
    assert!(report.resumed);
    pancake_tds_test_server::same_rows(whole.path(), stopped.path()).unwrap();
    assert_eq!(parts(whole.path()), parts(stopped.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_under_four_sessions_costs_a_retry_not_a_row() {
    let server = serve_tiny().await;
    server.faults().drop_after_rows("Messages", 50, 3);
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.connections = 4;
    let report = extract(o).await.unwrap();
    let messages = report.tables.iter().find(|t| t.name == "messages").unwrap();
    assert_eq!(messages.retries, 3);
    pancake_tds_test_server::same_rows(tiny(), out.path()).unwrap();
}

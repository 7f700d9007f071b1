//! Extracting `tiny` from the TDS test server: the dump equals the data set,
//! pages are keyset queries, and dropped connections are survived.

mod common;

use common::*;
use pancake_datasets::GeneratorSection;
use pancake_extract::{AnomalyKind, ExtractSection};
use pancake_proto::Manifest;
use pancake_proto::verify::verify_dump;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_extraction_equals_the_generated_data_set() {
    let server = serve_tiny().await;
    let out = tempfile::tempdir().unwrap();
    let report = extract(options(&server, out.path())).await.unwrap();
    assert!(!report.up_to_date && !report.resumed);

    // Every table, every row, every field (raw_texts included), in key order.
    let counts = pancake_tds_test_server::same_rows(tiny(), out.path()).unwrap();
    let generated = Manifest::load(tiny()).unwrap();
    for (table, n) in &counts {
        assert_eq!(*n, generated.table(table).unwrap().records(), "{table}");
    }
    assert_eq!(
        report.rows_this_run(),
        generated.tables.iter().map(|t| t.records()).sum::<u64>()
    );

    // The dump is whole, and the manifest proves it against the server's count.
    let check = verify_dump(out.path(), |_| {}).unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    let manifest = Manifest::load(out.path()).unwrap();
    assert!(manifest.complete);
    assert_eq!(
        manifest.snapshot_at, generated.snapshot_at,
        "the server's clock"
    );
    assert!(!manifest.source.contains(PASSWORD));
    let section = ExtractSection::of(&manifest).unwrap();
    for t in &manifest.tables {
        let state = &section.tables[&t.name];
        assert!(state.done, "{}", t.name);
        assert_eq!(state.source_rows, Some(t.records()), "{}", t.name);
        // Parts follow each other in key order without overlap.
        for pair in t.parts.windows(2) {
            assert!(pair[0].key_range.unwrap()[1] < pair[1].key_range.unwrap()[0]);
        }
    }
    assert!(manifest.table("messages").unwrap().parts.len() > 2);

    // Lone surrogates came through raw, each counted once.
    let dirty = GeneratorSection::of(&generated).unwrap().dirty;
    for table in ["members", "messages", "photos", "search_profiles"] {
        let expected = dirty
            .get(table)
            .and_then(|k| k.get("lone_surrogate"))
            .copied()
            .unwrap_or(0);
        let got = section.tables[table]
            .anomalies
            .get(&AnomalyKind::InvalidUtf16)
            .copied()
            .unwrap_or(0);
        assert_eq!(got, expected, "{table}");
    }
    assert!(section.tables["messages"].anomalies.values().sum::<u64>() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_parameterised_keyset_queries() {
    let server = serve_tiny().await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.tables = vec![pancake_proto::LegacyTable::Messages];
    extract(o).await.unwrap();
    let pages = page_queries(&server, "Messages");
    let rows = Manifest::load(tiny())
        .unwrap()
        .table("messages")
        .unwrap()
        .records();
    // 97 rows a page, plus the page that finds the end if the last one is full.
    assert!(pages.len() as u64 >= rows / 97, "{} pages", pages.len());
    for sql in &pages {
        assert!(!sql.to_uppercase().contains("OFFSET"), "{sql}");
        assert!(
            sql.contains("[MessageId] > @P2 AND [MessageId] <= @P3"),
            "{sql}"
        );
        assert!(sql.contains("ORDER BY [MessageId]"), "{sql}");
    }
    // Keys are parameters, never spliced into the text: one distinct text.
    let mut distinct = pages.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 1);
    // Only the chosen table was read.
    assert!(page_queries(&server, "Members").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_extraction_is_left_alone_and_force_redoes_it() {
    let server = serve_tiny().await;
    let out = tempfile::tempdir().unwrap();
    extract(options(&server, out.path())).await.unwrap();
    let before = server.queries().len();
    let again = extract(options(&server, out.path())).await.unwrap();
    assert!(again.up_to_date);
    assert_eq!(again.rows_this_run(), 0);
    let pages_after: Vec<_> = server.queries()[before..]
        .iter()
        .filter(|q| q.sql.contains("TOP (@P1)"))
        .cloned()
        .collect();
    assert!(pages_after.is_empty(), "a finished dump read pages again");

    let mut o = options(&server, out.path());
    o.force = true;
    let redone = extract(o).await.unwrap();
    assert!(!redone.up_to_date);
    assert!(redone.rows_this_run() > 0);
    pancake_tds_test_server::same_rows(tiny(), out.path()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_page_is_retried_without_losing_or_doubling_rows() {
    let server = serve_tiny().await;
    // Twice, halfway into a page of messages, the server hangs up.
    server.faults().drop_after_rows("Messages", 50, 2);
    let out = tempfile::tempdir().unwrap();
    let report = extract(options(&server, out.path())).await.unwrap();
    let messages = report.tables.iter().find(|t| t.name == "messages").unwrap();
    assert_eq!(messages.retries, 2);
    pancake_tds_test_server::same_rows(tiny(), out.path()).unwrap();
    let section = ExtractSection::of(&Manifest::load(out.path()).unwrap()).unwrap();
    assert_eq!(section.tables["messages"].retries, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_keeps_dropping_stops_the_run_and_keeps_finished_parts() {
    let server = serve_tiny().await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.retries = 2;
    o.connections = 1;
    o.tables = vec![pancake_proto::LegacyTable::Messages];
    // After two parts of messages, every page breaks off halfway.
    let progress = std::sync::Arc::new(ArmAfterParts {
        faults: server.faults().clone(),
        table: "messages",
        parts: 2,
        rows: 50,
    });
    let e = pancake_extract::extract(o.clone(), progress)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("lost the connection while reading dbo.Messages"),
        "{e}"
    );
    assert!(e.contains("3 time(s)"), "{e}");
    assert!(e.contains("re-run the same command"), "{e}");
    assert!(!e.contains(PASSWORD));

    let manifest = Manifest::load(out.path()).unwrap();
    assert!(!manifest.complete);
    let kept = manifest.table("messages").unwrap().parts.len();
    assert!(kept >= 2, "parts before the drops are kept: {kept}");
    // Every kept part checks out; only the dump as a whole is unfinished.
    let check = verify_dump(out.path(), |_| {}).unwrap();
    assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
    assert!(check.problems[0].reason.contains("not marked complete"));

    // The network heals; the same command finishes the job.
    server.faults().clear();
    let report = extract(o).await.unwrap();
    assert!(report.resumed);
    let whole = tempfile::tempdir().unwrap();
    let mut uninterrupted = options(&server, whole.path());
    uninterrupted.tables = vec![pancake_proto::LegacyTable::Messages];
    extract(uninterrupted).await.unwrap();
    // The same rows, and even the same parts, as an uninterrupted run.
    pancake_tds_test_server::same_rows(whole.path(), out.path()).unwrap();
    let parts = |dir: &std::path::Path| {
        Manifest::load(dir)
            .unwrap()
            .table("messages")
            .unwrap()
            .parts
            .iter()
            .map(|p| (p.records, p.checksum.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(parts(whole.path()), parts(out.path()));
}

//! The broker closes every connection mid-run (`rabbitmqctl
//! close_all_connections`): the load reconnects, continues after its last
//! checkpoint and completes with no event lost. Its own test binary, so
//! that closing every connection does not disturb the other tests.

mod common;

use common::*;
use pancake_load::MODULES;
use pancake_load::rabbitmq::{self, queue_name};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_every_connection_mid_run_loses_nothing() {
    let exchange = unique("x");
    let prefix = unique("q");
    let mut options = rabbit_options(events(), &amqp_url(), &exchange, &prefix);
    options.confirm_window = 32;
    options.max_events_per_sec = Some(4_000);
    let closer = tokio::spawn(async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let out = tokio::process::Command::new("rabbitmqctl")
            .args(["close_all_connections", "pancake test: connection loss"])
            .output()
            .await
            .expect("rabbitmqctl runs (scripts/services.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let report = rabbitmq::load(&options, Arc::new(())).await.unwrap();
    closer.await.unwrap();
    assert!(
        report.reconnects >= 1,
        "the connection was never lost: {report:?}"
    );
    // The counters add up over every connection: one message per event,
    // each event confirmed at least once, the repeats counted.
    assert_eq!(report.events, all_events_cached().len() as u64);
    assert!(report.messages >= report.events, "{report:?}");
    assert!(report.confirmed >= report.events, "{report:?}");
    assert!(report.republished_events > 0, "{report:?}");
    let (connection, _) = rabbitmq::connect(&amqp_url()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    for module in MODULES {
        let queue = queue_name(&prefix, module);
        let want = all_events_cached()
            .iter()
            .filter(|e| module.consumes(e.kind()))
            .count();
        // Every event, plus at most two windows of repeats.
        let got = drain(&channel, &queue, want).await;
        assert_complete(module, &got, 64);
    }
    rabbitmq::delete_topology(&channel, &exchange, &prefix)
        .await
        .unwrap();
    let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
}

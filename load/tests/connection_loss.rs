//! The broker closes every connection mid-run (`rabbitmqctl
//! close_all_connections`): the load reconnects, continues after its last
//! checkpoint and completes with no event lost. Its own test binary, so
//! that closing every connection does not disturb the other tests.

mod common;

use common::*;
use pancake_load::rabbitmq;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_every_connection_mid_run_loses_nothing() {
    let exchange = unique("x");
    let prefix = unique("q");
    let mut options = rabbit_options(events(), &amqp_url(), &exchange, &prefix);
    options.confirm_window = 32;
    options.max_events_per_sec = Some(4_000);
    let closer = tokio::task::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(700));
        rabbitmqctl(&["close_all_connections", "pancake test: connection loss"]);
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
    // Every event, plus at most two windows of repeats.
    assert_every_event_arrived(&amqp_url(), &prefix, 64).await;
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;
    let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
}

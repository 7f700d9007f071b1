//! A broker memory alarm mid-run: the loader says it is blocked, waits
//! without crashing, and finishes once the alarm lifts. Its own test binary,
//! because the alarm blocks every publisher on the broker.

mod common;

use common::*;
use pancake_load::rabbitmq;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn watermark(value: &str) {
    rabbitmqctl(&["set_vm_memory_high_watermark", value]);
}

/// Lifts the alarm however the test ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        watermark("0.4");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_alarm_pauses_the_load_and_it_finishes_after() {
    let exchange = unique("x");
    let prefix = unique("q");
    let mut options = rabbit_options(events(), &amqp_url(), &exchange, &prefix);
    options.confirm_window = 100;
    options.max_events_per_sec = Some(3_000);
    let seen = Arc::new(Seen::default());
    let _restore = Restore;
    let load = {
        let (options, seen) = (options.clone(), seen.clone());
        tokio::spawn(async move { rabbitmq::load(&options, seen).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    watermark("0.0000001");
    // Blocked: it says so and does not finish.
    let mut waited = 0;
    while seen.blocked.load(Ordering::SeqCst) == 0 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(seen.blocked.load(Ordering::SeqCst) > 0, "no blocked notice");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !load.is_finished(),
        "it finished while the broker was blocked"
    );
    watermark("0.4");
    let report = tokio::time::timeout(Duration::from_secs(60), load)
        .await
        .expect("it finishes once the alarm lifts")
        .unwrap()
        .unwrap();
    assert!(
        seen.unblocked.load(Ordering::SeqCst) > 0,
        "no unblocked notice"
    );
    assert_eq!(report.events, all_events().len() as u64);
    assert_eq!(report.confirmed, report.messages);
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;
    let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
}

//! `tiny` through a real RabbitMQ: every event reaches each module queue
//! exactly as often as the module consumes its kind, in global order, per
//! event and batched. Needs the broker scripts/services.sh starts.

mod common;

use common::*;
use pancake_load::modules::MODULES;
use pancake_load::rabbitmq::{self, RabbitOptions, queue_name};
use pancake_proto::events::Event;
use pancake_proto::record::event_order;
use std::collections::BTreeMap;
use std::sync::Arc;

async fn load_and_check(batch: usize, channels: usize) {
    let exchange = unique("x");
    let prefix = unique("q");
    let mut options = RabbitOptions::new(events().to_path_buf(), amqp_url());
    options.exchange = exchange.clone();
    options.declare_queues = true;
    options.queue_prefix = prefix.clone();
    options.batch = batch;
    options.channels = channels;
    options.confirm_window = 64;
    let report = rabbitmq::load(&options, Arc::new(())).await.unwrap();
    let all = all_events();
    assert_eq!(report.events, all.len() as u64);
    assert_eq!(report.unroutable, 0);
    assert_eq!(report.confirmed, report.messages);

    let (connection, _) = rabbitmq::connect(&amqp_url()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    for module in MODULES {
        let expected: Vec<&Event> = all.iter().filter(|e| module.consumes(e.kind())).collect();
        let queue = queue_name(&prefix, module);
        let got = drain(&channel, &queue, expected.len()).await;
        // Exactly the kinds it consumes, each event once, in global order
        // (so per member too, registration first).
        assert_eq!(got.len(), expected.len(), "{queue}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, *e, "{queue}");
        }
        for pair in got.windows(2) {
            assert!(
                event_order(&pair[0]) <= event_order(&pair[1]),
                "{queue} out of order"
            );
        }
        let mut kinds: BTreeMap<i32, usize> = BTreeMap::new();
        for e in &got {
            *kinds.entry(e.kind).or_default() += 1;
        }
        assert!(
            kinds
                .keys()
                .all(|&k| module.kinds.iter().any(|m| *m as i32 == k))
        );
    }
    rabbitmq::delete_topology(&channel, &exchange, &prefix)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_event_mode_delivers_every_event_to_each_module_that_wants_it_in_order() {
    load_and_check(1, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_mode_delivers_the_same_events_in_the_same_order() {
    load_and_check(50, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_spread_over_channels_still_reach_each_queue_in_order() {
    // Six modules on four channels: two channels carry two modules each.
    load_and_check(20, 4).await;
}

#[tokio::test]
async fn several_channels_are_refused_where_they_would_break_the_order() {
    for (batch, stream) in [(1, false), (100, true)] {
        let mut options = RabbitOptions::new(events().to_path_buf(), amqp_url());
        options.exchange = unique("x");
        options.batch = batch;
        options.stream = stream;
        options.channels = 2;
        let e = rabbitmq::load(&options, Arc::new(())).await.unwrap_err();
        assert!(
            matches!(e, rabbitmq::RabbitError::ChannelsNeedBatches(2)),
            "{e}"
        );
        assert!(!rabbitmq::Checkpoint::path(&options).exists());
    }
}

#[tokio::test]
async fn wrong_credentials_an_unknown_vhost_and_a_refused_connection_read_well() {
    let secret = "not-the-guest-password";
    let e = rabbitmq::connect(&format!("amqp://guest:{secret}@127.0.0.1:5672/%2f"))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("refused user 'guest'"), "{e}");
    assert!(!e.contains(secret));
    let e = rabbitmq::connect("amqp://guest:guest@127.0.0.1:5672/no-such-vhost")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no virtual host 'no-such-vhost'"), "{e}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = rabbitmq::connect(&format!("amqp://guest:{secret}@127.0.0.1:{port}/%2f"))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("connection refused"), "{e}");
    assert!(!e.contains(secret));
}

/// Reads a stream from its first offset.
async fn read_stream(channel: &lapin::Channel, queue: &str, expected: usize) -> Vec<Event> {
    use futures_util::StreamExt;
    use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
    use lapin::types::{AMQPValue, FieldTable, LongString};
    channel
        .basic_qos(500, BasicQosOptions::default())
        .await
        .unwrap();
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-stream-offset".into(),
        AMQPValue::LongString(LongString::from("first")),
    );
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            queue.into(),
            BasicConsumeOptions::default(),
            arguments,
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while out.len() < expected {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), consumer.next()).await;
        let Ok(Some(delivery)) = next else { break };
        let delivery = delivery.unwrap();
        out.extend(events_of(&delivery));
        delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
    out
}

async fn stream_load_and_check(batch: usize) {
    let exchange = unique("x");
    let prefix = unique("s");
    let mut options = RabbitOptions::new(events().to_path_buf(), amqp_url());
    options.exchange = exchange.clone();
    options.declare_queues = true;
    options.queue_prefix = prefix.clone();
    options.stream = true;
    options.batch = batch;
    let report = rabbitmq::load(&options, Arc::new(())).await.unwrap();
    let all = all_events();
    assert_eq!(report.events, all.len() as u64);
    assert_eq!(report.unroutable, 0);
    let (connection, _) = rabbitmq::connect(&amqp_url()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let queue = queue_name(&prefix, &rabbitmq::STREAM);
    // One copy of every event, in global order.
    let got = read_stream(&channel, &queue, all.len()).await;
    assert_eq!(got, all);
    channel
        .queue_delete(queue.as_str().into(), Default::default())
        .await
        .unwrap();
    channel
        .exchange_delete(exchange.as_str().into(), Default::default())
        .await
        .unwrap();
    let _ = std::fs::remove_file(rabbitmq::Checkpoint::path(&options));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_mode_stores_every_event_once_in_order() {
    stream_load_and_check(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_stream_mode_stores_every_event_once_in_order() {
    stream_load_and_check(100).await;
}

//! `tiny` through a real RabbitMQ: every event reaches each module queue
//! exactly as often as the module consumes its kind, in global order, per
//! event and batched. Needs the broker scripts/services.sh starts.

mod common;

use common::*;
use pancake_load::MODULES;
use pancake_load::rabbitmq::{self, RabbitOptions, queue_name};
use pancake_proto::events::{Event, EventBatch};
use pancake_proto::record::event_order;
use prost::Message as _;
use std::collections::BTreeMap;
use std::sync::Arc;

async fn load_and_check(batch: usize, channels: usize) {
    let exchange = unique("x");
    let prefix = unique("q");
    let mut options = rabbit_options(events(), &amqp_url(), &exchange, &prefix);
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
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;
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
        assert!(!rabbitmq::Checkpoint::path(&options).unwrap().exists());
    }
}

/// What connecting to `url` fails with.
async fn connect_error(url: &str) -> String {
    rabbitmq::connect(url).await.err().unwrap().to_string()
}

#[tokio::test]
async fn wrong_credentials_an_unknown_vhost_and_a_refused_connection_read_well() {
    let secret = "not-the-guest-password";
    let e = connect_error(&format!("amqp://guest:{secret}@127.0.0.1:5672/%2f")).await;
    assert!(e.contains("refused user 'guest'"), "{e}");
    assert!(!e.contains(secret));
    let e = connect_error("amqp://guest:guest@127.0.0.1:5672/no-such-vhost").await;
    assert!(e.contains("no virtual host 'no-such-vhost'"), "{e}");
    let port = closed_port();
    let e = connect_error(&format!("amqp://guest:{secret}@127.0.0.1:{port}/%2f")).await;
    assert!(e.contains("connection refused"), "{e}");
    assert!(!e.contains(secret));
}

/// Reads a stream from its first offset: each message's body, until
/// `expected` events came.
async fn read_stream(channel: &lapin::Channel, queue: &str, expected: usize) -> Vec<Vec<u8>> {
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
    let (mut bodies, mut events) = (Vec::new(), 0);
    while events < expected {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), consumer.next()).await;
        let Ok(Some(delivery)) = next else { break };
        let delivery = delivery.unwrap();
        events += events_of(&delivery).len();
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        bodies.push(delivery.data);
    }
    bodies
}

/// Every event of the stream as its part holds it, in global order.
fn all_frames() -> Vec<Vec<u8>> {
    let mut merge = pancake_load::EventMerge::open(events()).unwrap();
    let mut frames = Vec::new();
    while let Some(event) = merge.next_framed().unwrap() {
        frames.push(event.frame().to_vec());
    }
    frames
}

async fn stream_load_and_check(batch: usize) {
    let exchange = unique("x");
    let prefix = unique("s");
    let mut options = rabbit_options(events(), &amqp_url(), &exchange, &prefix);
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
    let bodies = read_stream(&channel, &queue, all.len()).await;
    let got: Vec<Event> = if batch == 1 {
        bodies
            .iter()
            .map(|b| Event::decode(b.as_slice()).unwrap())
            .collect()
    } else {
        bodies
            .iter()
            .flat_map(|b| EventBatch::decode(b.as_slice()).unwrap().events)
            .collect()
    };
    assert_eq!(got, all);
    // And byte for byte what the stream holds: an event's body is its
    // frame; batches, in order, are the frames as field 1 of `EventBatch`
    // (`repeated Event`), up to `batch` to a message.
    let frames = all_frames();
    if batch == 1 {
        assert!(bodies == frames, "a body differs from the stream's bytes");
    } else {
        let mut want = Vec::new();
        for frame in &frames {
            prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut want);
            prost::encoding::encode_varint(frame.len() as u64, &mut want);
            want.extend_from_slice(frame);
        }
        assert!(
            bodies.concat() == want,
            "the batches differ from the stream's bytes"
        );
    }
    channel
        .queue_delete(queue.as_str().into(), Default::default())
        .await
        .unwrap();
    channel
        .exchange_delete(exchange.as_str().into(), Default::default())
        .await
        .unwrap();
    let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_mode_stores_every_event_once_in_order() {
    stream_load_and_check(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_stream_mode_stores_every_event_once_in_order() {
    stream_load_and_check(100).await;
}

/// Options to load `events` into `url` with a fresh topology named by
/// `exchange` and `prefix`, and a confirm window of 50.
fn options_for(events: &std::path::Path, url: &str, exchange: &str, prefix: &str) -> RabbitOptions {
    let mut options = rabbit_options(events, url, exchange, prefix);
    options.confirm_window = 50;
    options
}

/// Loading `options` again, at full speed, resumes after the `at` events
/// its checkpoint holds, and every event reaches the module queues (with
/// repeats).
async fn assert_resumes_after(options: &RabbitOptions, at: u64) {
    let options = RabbitOptions {
        max_events_per_sec: None,
        ..options.clone()
    };
    let report = rabbitmq::load(&options, Arc::new(())).await.unwrap();
    assert_eq!(report.resumed_after, at);
    assert_eq!(report.events, all_events_cached().len() as u64 - at);
    assert_every_event_arrived(&amqp_url(), &options.queue_prefix, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_applies_only_to_the_target_it_was_taken_for() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = copy_stream(tmp.path());
    let total = all_events_cached().len() as u64;
    let other = Vhost::new("vhost");
    let (exchange, prefix) = (unique("x"), unique("q"));

    // A finished load into vhost / ...
    let home = options_for(&stream, &amqp_url(), &exchange, &prefix);
    let report = rabbitmq::load(&home, Arc::new(())).await.unwrap();
    assert_eq!(report.events, total);
    // ... is not "nothing to do" for another vhost: everything goes there,
    // and the summary says which checkpoint was not used and why.
    let away = options_for(&stream, &other.url(), &exchange, &prefix);
    let report = rabbitmq::load(&away, Arc::new(())).await.unwrap();
    assert!(!report.up_to_date);
    assert_eq!(report.resumed_after, 0);
    assert_eq!(report.events, total);
    assert_eq!(report.ignored_checkpoints.len(), 1, "{report:?}");
    let reason = &report.ignored_checkpoints[0].reason;
    assert!(
        reason.contains("another target") && reason.contains("vhost '/'"),
        "{reason}"
    );
    assert_ne!(
        report.checkpoint,
        rabbitmq::Checkpoint::path(&home).unwrap()
    );
    assert_every_event_arrived(&other.url(), &prefix, 0).await;
    // Each target keeps its own: both are finished now.
    assert!(
        rabbitmq::load(&away, Arc::new(()))
            .await
            .unwrap()
            .up_to_date
    );
    assert!(
        rabbitmq::load(&home, Arc::new(()))
            .await
            .unwrap()
            .up_to_date
    );
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;

    // A load into / killed after a checkpoint ...
    let (exchange, prefix) = (unique("x"), unique("q"));
    let mut home = options_for(&stream, &amqp_url(), &exchange, &prefix);
    home.max_events_per_sec = Some(3_000);
    let seen = Arc::new(Seen::default());
    let killed = {
        let (home, seen) = (home.clone(), seen.clone());
        tokio::spawn(async move { rabbitmq::load(&home, seen).await })
    };
    let path = rabbitmq::Checkpoint::path(&home).unwrap();
    let saved = || saved_events(&path);
    let mut waited = 0;
    while saved() < 2_000 {
        assert!(waited < 600, "no checkpoint was saved");
        assert!(!killed.is_finished(), "it finished before the kill");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    killed.abort();
    let _ = killed.await;
    let at = saved();
    // ... then the same command against another vhost starts from zero
    // there and delivers everything ...
    let away = options_for(&stream, &other.url(), &exchange, &prefix);
    let report = rabbitmq::load(&away, Arc::new(())).await.unwrap();
    assert_eq!(report.resumed_after, 0, "{report:?}");
    assert_eq!(report.events, total);
    assert_every_event_arrived(&other.url(), &prefix, 0).await;
    // ... and / still resumes from its own checkpoint.
    assert_resumes_after(&home, at).await;
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_never_answers_fails_within_the_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts, holds the sockets, never says a word.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut options = RabbitOptions::new(events().to_path_buf(), url_with(None, Some(port)));
    options.exchange = unique("x");
    options.connect_timeout = std::time::Duration::from_secs(1);
    let seen = Arc::new(Seen::default());
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        rabbitmq::load(&options, seen.clone()),
    )
    .await
    .expect("the load gave up instead of waiting for ever");
    let e = result.unwrap_err();
    assert!(
        matches!(e, rabbitmq::RabbitError::ConnectTimeout { seconds: 1, .. }),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) && text.contains("within 1 s"),
        "{text}"
    );
    assert!(seen.retries.lock().unwrap().is_empty());
    silent.abort();
    let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_first_connection_fails_at_once_without_retrying() {
    let port = closed_port();
    let mut options = RabbitOptions::new(events().to_path_buf(), url_with(None, Some(port)));
    options.exchange = unique("x");
    options.reconnects = 10;
    let seen = Arc::new(Seen::default());
    let e = rabbitmq::load(&options, seen.clone()).await.unwrap_err();
    assert!(matches!(e, rabbitmq::RabbitError::Refused { .. }), "{e}");
    assert!(
        seen.retries.lock().unwrap().is_empty(),
        "a first connection that fails is not retried: {:?}",
        seen.retries.lock().unwrap()
    );
    let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_stays_down_stops_the_load_part_way_and_the_same_call_resumes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = copy_stream(tmp.path());
    let total = all_events_cached().len() as u64;
    let mut proxy = Proxy::start().await;
    let (exchange, prefix) = (unique("x"), unique("q"));
    let mut options = options_for(&stream, &proxy.url(), &exchange, &prefix);
    options.max_events_per_sec = Some(3_000);
    options.reconnects = 2;
    let seen = Arc::new(Seen::default());
    let load = {
        let (options, seen) = (options.clone(), seen.clone());
        tokio::spawn(async move { rabbitmq::load(&options, seen).await })
    };
    let mut waited = 0;
    while seen.events.load(std::sync::atomic::Ordering::SeqCst) < 2_048 {
        assert!(waited < 600, "it never got going");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    proxy.cut().await;
    let e = tokio::time::timeout(std::time::Duration::from_secs(60), load)
        .await
        .expect("it gives up")
        .unwrap()
        .unwrap_err();
    let text = e.to_string();
    let rabbitmq::RabbitError::Stopped { events, .. } = &e else {
        panic!("{text}")
    };
    let events = *events;
    assert!(events > 0 && events < total, "{text}");
    assert!(
        text.contains(&format!("stopped part way, at {events} of {total} events"))
            && text.contains("run the same command again"),
        "{text}"
    );
    let retries: Vec<String> = seen
        .retries
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    let addr = format!("127.0.0.1:{}", proxy.port);
    assert!(
        retries[0].starts_with(&format!("cannot reach {addr}: ")),
        "{retries:?}"
    );
    assert!(retries[0].ends_with("retry 1 of 2 in 0.5 s"), "{retries:?}");
    assert!(retries[1].ends_with("retry 2 of 2 in 1 s"), "{retries:?}");

    // The broker is back: the same call continues after the checkpoint.
    proxy.restore().await;
    assert_resumes_after(&options, events).await;
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;
}

/// Declares the module queues of `prefix` on `exchange`, as a load with
/// `--declare-queues` would, so that what reaches them can be counted.
async fn declare_queues(exchange: &str, prefix: &str) {
    let (connection, target) = rabbitmq::connect(&amqp_url()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    rabbitmq::declare(&channel, &target, exchange, Some(prefix), false)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_counting_one_event_more_than_a_part_holds_fails_before_publishing() {
    // Each edit of the last part of the first table (the merge reaches it
    // late): one record more, and another checksum.
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 2] = [
        ("record count", |part| {
            part["records"] = serde_json::json!(part["records"].as_u64().unwrap() + 1)
        }),
        ("checksum", |part| {
            part["checksum"] = serde_json::json!("0123456789abcdef")
        }),
    ];
    for (what, edit) in edits {
        let tmp = tempfile::tempdir().unwrap();
        let stream = copy_stream(tmp.path());
        let manifest_path = stream.join("manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        let table = manifest["tables"][0]["name"].as_str().unwrap().to_owned();
        let parts = manifest["tables"][0]["parts"].as_array_mut().unwrap();
        let part = parts.last_mut().unwrap();
        let file = part["file"].as_str().unwrap().to_owned();
        edit(part);
        std::fs::write(
            &manifest_path,
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();

        let (exchange, prefix) = (unique("x"), unique("q"));
        declare_queues(&exchange, &prefix).await;
        let options = options_for(&stream, &amqp_url(), &exchange, &prefix);
        let e = rabbitmq::load(&options, Arc::new(())).await.unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, rabbitmq::RabbitError::Damaged { .. }), "{text}");
        assert!(text.contains(&format!("table {table}, {file}")), "{text}");
        assert!(text.contains(what), "{text}");
        assert!(
            text.contains("nothing was published") && text.contains("re-run `pancake transform`"),
            "{text}"
        );
        assert_eq!(
            queued(&amqp_url(), &prefix).await,
            0,
            "the queues got something"
        );
        delete_topology_at(&amqp_url(), &exchange, &prefix).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_that_cannot_be_written_fails_before_publishing() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = copy_stream(tmp.path());
    // Tests run as root, where a read-only folder still takes writes: a
    // regular file where the checkpoints folder belongs cannot.
    std::fs::write(stream.join("checkpoints"), b"not a folder").unwrap();
    let (exchange, prefix) = (unique("x"), unique("q"));
    declare_queues(&exchange, &prefix).await;
    let options = options_for(&stream, &amqp_url(), &exchange, &prefix);
    let e = rabbitmq::load(&options, Arc::new(())).await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("cannot write the checkpoint"), "{text}");
    assert_eq!(
        queued(&amqp_url(), &prefix).await,
        0,
        "the queues got something"
    );
    delete_topology_at(&amqp_url(), &exchange, &prefix).await;
}

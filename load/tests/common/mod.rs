//! Shared set-up for the RabbitMQ tests: `tiny` as an event stream, unique
//! names, and a consumer.

#![allow(dead_code)]

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::FieldTable;
use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_proto::events::{Event, EventBatch};
use pancake_transform::{TransformOptions, transform};
use prost::Message as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| pancake_load::rabbitmq::DEFAULT_AMQP_URL.into())
}

/// `tiny`, generated and transformed once per test binary.
pub fn events() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dump = tmp.path().join("tiny");
        let options = GenerateOptions {
            threads: 2,
            ..GenerateOptions::new(Preset::TINY, 1.0)
        };
        generate(&dump, &options, false, &()).unwrap();
        let out = tmp.path().join("events");
        let mut t = TransformOptions::new(dump, out.clone());
        t.part_events = 500;
        transform(&t, &()).unwrap();
        (tmp, out)
    })
    .1
}

/// Every event of the stream, in global order.
pub fn all_events() -> Vec<Event> {
    pancake_load::merge::EventMerge::open(events())
        .unwrap()
        .map(|e| e.unwrap())
        .collect()
}

/// A name no other test run uses.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("pancake-test-{tag}-{}-{nanos}", std::process::id())
}

/// Drains `queue`, decoding events (a batch into its events), until
/// `expected` events arrived or nothing more comes.
pub async fn drain(channel: &lapin::Channel, queue: &str, expected: usize) -> Vec<Event> {
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            queue.into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    loop {
        // Wait long for what must come, briefly for repeats beyond it.
        let wait = if out.len() < expected { 10_000 } else { 1_000 };
        let next = tokio::time::timeout(Duration::from_millis(wait), consumer.next()).await;
        let Ok(Some(delivery)) = next else { break };
        let delivery = delivery.unwrap();
        out.extend(events_of(&delivery));
        delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
    out
}

/// The events a message carries: a batch's, or the one event.
pub fn events_of(delivery: &lapin::message::Delivery) -> Vec<Event> {
    match delivery.properties.kind().as_ref().map(|k| k.as_str()) {
        Some("event-batch") => EventBatch::decode(delivery.data.as_slice()).unwrap().events,
        _ => vec![Event::decode(delivery.data.as_slice()).unwrap()],
    }
}

/// Every event a module should get arrived at least once, and repeats stay
/// within `most_repeats`.
pub fn assert_complete(
    module: &pancake_load::modules::ModuleSpec,
    got: &[Event],
    most_repeats: usize,
) {
    let expected: std::collections::BTreeSet<&str> = all_events_cached()
        .iter()
        .filter(|e| module.consumes(e.kind()))
        .map(|e| e.event_id.as_str())
        .collect();
    let seen: std::collections::BTreeSet<&str> = got.iter().map(|e| e.event_id.as_str()).collect();
    let missing: Vec<_> = expected.difference(&seen).take(3).collect();
    assert!(missing.is_empty(), "{}: missing {missing:?}", module.name);
    assert!(
        seen.is_subset(&expected),
        "{}: unexpected events",
        module.name
    );
    let repeats = got.len() - seen.len();
    assert!(
        repeats <= most_repeats,
        "{}: {repeats} repeats",
        module.name
    );
}

pub fn all_events_cached() -> &'static [Event] {
    static ALL: OnceLock<Vec<Event>> = OnceLock::new();
    ALL.get_or_init(all_events)
}

/// Writes a finished event stream to `dir`: each table a list of parts,
/// each part sorted by the stream's event order before it is written.
pub fn write_stream(dir: &Path, source: &str, tables: &[(&str, Vec<Vec<Event>>)]) {
    use pancake_proto::dump::DumpKind;
    use pancake_proto::manifest::DumpKindName;
    use pancake_proto::record::event_order;
    use pancake_proto::{
        Manifest, ManifestWriter, PartSpec, PartWriter, Record as _, WriteOptions,
    };
    let manifest =
        ManifestWriter::create(dir, Manifest::new(DumpKindName::EventStream, source)).unwrap();
    for (table, parts) in tables {
        manifest
            .declare_table(table, Event::TYPE_NAME, false)
            .unwrap();
        for (number, events) in parts.iter().enumerate() {
            let mut events = events.clone();
            events.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
            let spec = PartSpec::of::<Event>(DumpKind::EventStream, table, number as u32);
            let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
            for event in &events {
                writer.write(event).unwrap();
            }
            let entry = writer.finish().unwrap();
            manifest
                .commit_part(table, Event::TYPE_NAME, false, entry)
                .unwrap();
        }
    }
    manifest.finish().unwrap();
}

//! Shared set-up for the RabbitMQ tests: `tiny` as an event stream, unique
//! names, and a consumer.

#![allow(dead_code)]

pub mod pg;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::FieldTable;
use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_load::rabbitmq::RabbitOptions;
use pancake_proto::events::{Event, EventBatch};
use pancake_transform::{TransformOptions, transform};
use prost::Message as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| pancake_load::rabbitmq::DEFAULT_AMQP_URL.into())
}

/// Options to load `events` into `url` with a topology of its own: the
/// exchange `exchange`, and the module queues of `prefix`, which the load
/// declares.
pub fn rabbit_options(events: &Path, url: &str, exchange: &str, prefix: &str) -> RabbitOptions {
    let mut options = RabbitOptions::new(events.to_path_buf(), url.to_owned());
    options.exchange = exchange.to_owned();
    options.declare_queues = true;
    options.queue_prefix = prefix.to_owned();
    options
}

/// Deletes what a load with `exchange` and `prefix` declared at `url`,
/// with everything queued.
pub async fn delete_topology_at(url: &str, exchange: &str, prefix: &str) {
    let (connection, _) = pancake_load::rabbitmq::connect(url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    pancake_load::rabbitmq::delete_topology(&channel, exchange, prefix)
        .await
        .unwrap();
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
    pancake_load::EventMerge::open(events())
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
pub fn assert_complete(module: &pancake_load::ModuleSpec, got: &[Event], most_repeats: usize) {
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

/// A copy of the `tiny` event stream in `dir` (its checkpoints left out),
/// for a test that alters it.
pub fn copy_stream(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "checkpoints" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &to.join(&name));
            } else {
                std::fs::copy(entry.path(), to.join(&name)).unwrap();
            }
        }
    }
    let out = dir.join("events");
    copy(events(), &out);
    out
}

/// `amqp_url()` with another vhost (percent-encoded as needed) or port.
pub fn url_with(vhost: Option<&str>, port: Option<u16>) -> String {
    let mut url = url::Url::parse(&amqp_url()).unwrap();
    if let Some(vhost) = vhost {
        let encoded: String = vhost
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        url.set_path(&format!("/{encoded}"));
    }
    if let Some(port) = port {
        url.set_port(Some(port)).unwrap();
    }
    url.to_string()
}

fn rabbitmqctl(args: &[&str]) {
    let out = std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl runs (scripts/services.sh installs it)");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A vhost of its own that guest may use, deleted (with everything in it)
/// when dropped.
pub struct Vhost(pub String);

impl Vhost {
    pub fn new(tag: &str) -> Vhost {
        let name = unique(tag);
        rabbitmqctl(&["add_vhost", &name]);
        let vhost = Vhost(name);
        rabbitmqctl(&["set_permissions", "-p", &vhost.0, "guest", ".*", ".*", ".*"]);
        vhost
    }

    pub fn url(&self) -> String {
        url_with(Some(&self.0), None)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.0])
            .output();
    }
}

/// A TCP proxy to the broker on a port of its own, that a test can cut: the
/// broker as seen through it goes away (connections dropped, the port
/// closed) and can come back on the same port.
pub struct Proxy {
    pub port: u16,
    accept: Option<tokio::task::JoinHandle<()>>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        Proxy::on(0).await
    }

    async fn on(port: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker = url::Url::parse(&amqp_url()).unwrap();
        let upstream = format!(
            "{}:{}",
            broker.host_str().unwrap(),
            broker.port().unwrap_or(5672)
        );
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let accept = {
            let links = links.clone();
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let upstream = upstream.clone();
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().unwrap().push(link.abort_handle());
                }
            })
        };
        Proxy {
            port,
            accept: Some(accept),
            links,
        }
    }

    /// The broker through this proxy.
    pub fn url(&self) -> String {
        url_with(None, Some(self.port))
    }

    /// Drops every connection and closes the port.
    pub async fn cut(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&mut self) {
        self.cut().await;
        *self = Proxy::on(self.port).await;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

/// What a load reported through its progress.
#[derive(Default)]
pub struct Seen {
    pub events: std::sync::atomic::AtomicU64,
    pub retries: std::sync::Mutex<Vec<pancake_load::rabbitmq::Retry>>,
    /// Times the broker blocked publishing, and unblocked it.
    pub blocked: std::sync::atomic::AtomicU32,
    pub unblocked: std::sync::atomic::AtomicU32,
}

impl pancake_load::rabbitmq::Progress for Seen {
    fn events(&self, n: u64) {
        self.events
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn reconnecting(&self, retry: &pancake_load::rabbitmq::Retry) {
        self.retries.lock().unwrap().push(retry.clone());
    }
    fn blocked(&self, _reason: &str) {
        self.blocked
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn unblocked(&self) {
        self.unblocked
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Messages waiting in each of the module queues `<prefix>_<module>` that
/// exist (a missing queue counts as empty).
pub async fn queued(url: &str, prefix: &str) -> u64 {
    let (connection, _) = pancake_load::rabbitmq::connect(url).await.unwrap();
    let mut total = 0;
    for module in pancake_load::MODULES {
        // A passive declare of a missing queue closes the channel: one each.
        let channel = connection.create_channel().await.unwrap();
        let queue = pancake_load::rabbitmq::queue_name(prefix, module);
        if let Ok(q) = channel
            .queue_declare(
                queue.as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
        {
            total += u64::from(q.message_count());
        }
    }
    let _ = connection.close(200, "done".into()).await;
    total
}

//! The broker as every RabbitMQ test meets it: its URL, options with a
//! topology of the test's own, names no other run uses, what reached a
//! queue, the checkpoint a load saved, and a proxy a test can cut.
//!
//! Shared by the loader's tests (`load/tests/common`) and the CLI's
//! (`tests/common`, which includes this file by its path).

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::FieldTable;
use pancake_load::rabbitmq::{self, DEFAULT_AMQP_URL, RabbitOptions};
use pancake_proto::events::{Event, EventBatch};
use prost::Message as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The broker the RabbitMQ tests use: `AMQP_URL`, or the local one.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| DEFAULT_AMQP_URL.into())
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

/// A name no other test run uses.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("pancake-test-{tag}-{}-{nanos}", std::process::id())
}

/// Deletes what a load with `exchange` and `prefix` declared at `url`,
/// with everything queued.
pub async fn delete_topology_at(url: &str, exchange: &str, prefix: &str) {
    let (connection, _) = rabbitmq::connect(url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    rabbitmq::delete_topology(&channel, exchange, prefix)
        .await
        .unwrap();
}

/// The events the checkpoint at `path` says are confirmed: 0 while there
/// is none (or it is being replaced).
pub fn saved_events(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["events"].as_u64())
        .unwrap_or(0)
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

/// A TCP proxy to the broker on a port of its own, that a test can cut: the
/// broker as seen through it goes away (connections reset, the port
/// closed) and can come back on the same port. It can also freeze: every
/// connection, and every new one, stays open and carries nothing, as a
/// broker that hangs or a network that drops packets. Runs on the tokio
/// runtime it is started on.
pub struct Proxy {
    pub port: u16,
    accept: Option<tokio::task::JoinHandle<()>>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    frozen: tokio::sync::watch::Sender<bool>,
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
        let upstream = rabbitmq::AmqpTarget::parse(&amqp_url()).unwrap().addr;
        let links = Arc::new(Mutex::new(Vec::new()));
        let (frozen, thawed) = tokio::sync::watch::channel(false);
        let accept = tokio::spawn(relay(listener, upstream, links.clone(), thawed));
        Proxy {
            port,
            accept: Some(accept),
            links,
            frozen,
        }
    }

    /// Stops carrying bytes, both ways, on every connection, and accepts
    /// new ones that carry nothing; nothing is closed.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
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

/// Joins each connection `listener` accepts to `upstream`, noting each link
/// in `links` so that it can be cut.
async fn relay(
    listener: tokio::net::TcpListener,
    upstream: String,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    frozen: tokio::sync::watch::Receiver<bool>,
) {
    while let Ok((client, _)) = listener.accept().await {
        let link = tokio::spawn(link(client, upstream.clone(), frozen.clone()));
        links.lock().unwrap().push(link.abort_handle());
    }
}

/// Carries `client`'s bytes to `upstream` and back until either side ends,
/// or until the proxy freezes: then holds both sockets open, silent, until
/// the link is cut.
async fn link(
    mut client: tokio::net::TcpStream,
    upstream: String,
    mut frozen: tokio::sync::watch::Receiver<bool>,
) {
    // Dropped, the link resets the loader's socket (as a broker that dies
    // does). A zero linger resets at once: it never blocks the thread.
    #[allow(deprecated)]
    let _ = client.set_linger(Some(Duration::ZERO));
    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
        _ = frozen.wait_for(|frozen| *frozen) => (),
    }
    std::future::pending::<()>().await;
}

/// Carries `client`'s bytes to `upstream` and back until either side ends.
pub async fn forward(mut client: tokio::net::TcpStream, upstream: String) {
    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}

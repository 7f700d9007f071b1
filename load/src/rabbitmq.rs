//! Publishing an event stream to RabbitMQ with publisher confirms.
//!
//! Events come out of the k-way [`merge`](crate::merge) in global time
//! order. In per-event mode each event is one persistent message on a
//! durable topic exchange, routed by its kind; in batched mode each module
//! gets messages of up to N of the events it consumes, routed to its queue
//! alone (`batch.<module>`). Either way at most `confirm_window` messages are
//! unconfirmed at any time: a nacked message is published again, a returned
//! (unroutable) one is counted and reported.
//!
//! Before the first message goes out, every part the load will read is
//! checked against its trailer and the manifest, so a damaged stream fails
//! with nothing published. The checkpoint names the target it belongs to
//! (broker, vhost, exchange, mode, queue prefix) and the event stream, and is
//! only ever used for that same target and stream.

use crate::merge::{EventMerge, Position};
use crate::modules::{MODULES, ModuleSpec};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use lapin::{Confirmation, PublisherConfirm};
use pancake_proto::Manifest;
use pancake_proto::events::Event;
use pancake_proto::names::kind_name;
use pancake_proto::verify::Depth;
use prost::Message as _;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of message bodies kept for possible re-publishing while their
/// confirms are outstanding: with big batches the window in messages alone
/// would hold hundreds of megabytes.
pub const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;

/// The schema consumers decode bodies with, in the `schema-version` header.
pub const SCHEMA_VERSION: &str = "pancake.events.v1";

/// The broker the CLI, the benches and the tests use by default (the one
/// scripts/services.sh starts).
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// How long a connection may take, TCP connect and AMQP handshake together.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct RabbitOptions {
    pub input: PathBuf,
    pub amqp_url: String,
    pub exchange: String,
    /// Declare one durable queue per module, bound to the kinds it consumes.
    pub declare_queues: bool,
    /// Module queues are named `<prefix>.<module>`.
    pub queue_prefix: String,
    /// Publish every event once into a RabbitMQ stream (`<prefix>.stream`,
    /// `x-queue-type: stream`) that every module reads at its own offset,
    /// instead of one copy per module queue.
    pub stream: bool,
    /// Events per message: 1 is one message per event.
    pub batch: usize,
    /// Most messages published but not yet confirmed, per channel.
    pub confirm_window: usize,
    /// Publishing channels. In batched mode each module's batches keep to
    /// one channel (module `i` on channel `i % channels`), so every queue
    /// still receives its batches in order; per-event and stream mode
    /// publish every message to several queues, or to one, and need one
    /// channel for that order.
    pub channels: usize,
    pub max_events_per_sec: Option<u64>,
    /// How often the load tries to connect again, with backoff, after a
    /// connection that worked was lost, before it gives up. Progress resets
    /// the count. A first connection that fails is never retried.
    pub reconnects: u32,
    /// How long each connection may take: TCP connect, TLS, and the AMQP
    /// handshake up to the open virtual host.
    pub connect_timeout: Duration,
}

impl RabbitOptions {
    pub fn new(input: PathBuf, amqp_url: String) -> RabbitOptions {
        RabbitOptions {
            input,
            amqp_url,
            exchange: "pancake.events".into(),
            declare_queues: false,
            queue_prefix: "pancake".into(),
            stream: false,
            batch: 1,
            confirm_window: 1000,
            channels: 1,
            max_events_per_sec: None,
            reconnects: 10,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// What the run is doing, for progress displays.
pub trait Progress: Send + Sync {
    /// Before anything is published, the parts the load will read are
    /// checked against their trailers and the manifest: `events` in all.
    fn checking(&self, _events: u64) {}
    /// A part of `events` events checked out.
    fn checked(&self, _events: u64) {}
    fn started(&self, _events: u64) {}
    fn events(&self, _n: u64) {}
    /// The broker blocked publishing (a memory or disk alarm).
    fn blocked(&self, _reason: &str) {}
    fn unblocked(&self) {}
    /// A connection that worked was lost (or connecting again failed); the
    /// load tries again after `retry.delay`.
    fn reconnecting(&self, _retry: &Retry) {}
    /// After a reconnect publishing goes on from the checkpoint, `events`
    /// into the stream: events after it are published again.
    fn restarted_at(&self, _events: u64) {}
}

impl Progress for () {}

/// One more attempt to connect, after a connection was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// `host:port`.
    pub addr: String,
    /// What went wrong, without the address.
    pub reason: String,
    /// 1 for the first retry.
    pub attempt: u32,
    /// Retries allowed (`--reconnects`).
    pub of: u32,
    /// How long the load waits before the attempt.
    pub delay: Duration,
}

impl std::fmt::Display for Retry {
    /// `cannot reach HOST:PORT: REASON; retry 3 of 10 in 4 s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot reach {}: {}; retry {} of {} in {} s",
            self.addr,
            self.reason,
            self.attempt,
            self.of,
            seconds(self.delay)
        )
    }
}

/// "4", "0.5": whole seconds without a fraction.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// The wait before retry `attempt` (1-based): 0.5 s, doubling, at most 8 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

/// A checkpoint found beside the stream that this load did not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredCheckpoint {
    pub path: PathBuf,
    /// Why it does not apply, for the summary.
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RabbitReport {
    /// The stream was already loaded into this target with these settings.
    pub up_to_date: bool,
    /// Events an earlier run had confirmed; this run started after them.
    pub resumed_after: u64,
    /// This load's checkpoint file.
    pub checkpoint: PathBuf,
    /// Checkpoints of other targets (or an older format, or another version
    /// of the stream) that were found and not used; set only when the load
    /// started from the first event.
    pub ignored_checkpoints: Vec<IgnoredCheckpoint>,
    /// Parts checked against their trailers and the manifest before
    /// publishing (parts a checkpoint of this target vouches for are not
    /// read again), and how long that took.
    pub parts_checked: usize,
    pub check_elapsed: Duration,
    /// Connections lost and made again.
    pub reconnects: u32,
    /// Events this run got confirmed for the first time (what the
    /// checkpoint advanced by).
    pub events: u64,
    /// Events published again after a reconnect, because their confirms
    /// were lost with the connection (counted in `messages` too).
    pub republished_events: u64,
    /// Messages published, over every connection of this run.
    pub messages: u64,
    pub confirmed: u64,
    /// Messages published again after a nack.
    pub retried: u64,
    /// Messages no queue took (returned under the mandatory flag).
    pub unroutable: u64,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum RabbitError {
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),

    #[error(transparent)]
    Manifest(#[from] pancake_proto::ManifestError),

    #[error(
        "cannot connect to RabbitMQ at {addr}: connection refused. Is it running? (scripts/services.sh starts one locally) Check the host and port in --amqp-url"
    )]
    Refused { addr: String },

    #[error(
        "RabbitMQ at {addr} did not complete the connection and AMQP handshake within {seconds} s: check that HOST:PORT in --amqp-url is a RabbitMQ listener, and amqp:// or amqps:// as that port expects (a firewall that drops packets looks the same); on a slow network raise --connect-timeout"
    )]
    ConnectTimeout { addr: String, seconds: u64 },

    #[error(
        "RabbitMQ at {addr} refused user '{user}': check the user name and password in --amqp-url"
    )]
    Login { addr: String, user: String },

    #[error(
        "RabbitMQ at {addr} has no virtual host '{vhost}' that user '{user}' may use: check the path of --amqp-url (%2f is the default vhost)"
    )]
    Vhost {
        addr: String,
        vhost: String,
        user: String,
    },

    #[error(
        "cannot write the checkpoint {}: {message}; a load must be able to save where it stands, so nothing was published: make that folder writable (or copy the event stream somewhere writable) and run again", .path.display()
    )]
    CheckpointNotWritable { path: PathBuf, message: String },

    #[error("cannot write the checkpoint {}: {message}", .path.display())]
    Checkpoint { path: PathBuf, message: String },

    #[error("--amqp-url {0}")]
    Url(String),

    #[error("{}", damaged(.dir, .problems))]
    Damaged { dir: PathBuf, problems: Vec<String> },

    #[error(
        "--channels {0} needs batched mode (--batch N with N > 1, without --stream): a message published per event, or into the stream, goes to queues that must see every message in order, and only one channel keeps that order"
    )]
    ChannelsNeedBatches(usize),

    #[error("RabbitMQ at {addr}: {action} failed: {message}")]
    Broker {
        addr: String,
        action: String,
        message: String,
        /// The connection is gone (not a channel-level refusal such as a
        /// queue declared with other arguments): a new one may well work.
        lost: bool,
    },

    #[error(
        "{cause}; the load stopped part way, at {events} of {total} events (everything up to there is confirmed and saved in the checkpoint {}): run the same command again to resume from there", .checkpoint.display()
    )]
    Stopped {
        cause: Box<RabbitError>,
        events: u64,
        total: u64,
        checkpoint: PathBuf,
    },
}

/// The one-line message of [`RabbitError::Damaged`].
fn damaged(dir: &Path, problems: &[String]) -> String {
    let more = match problems.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    format!(
        "{}: the event stream does not match its manifest, so nothing was published: {}{more}; re-run `pancake transform` to write it again (`pancake verify {}` lists every problem)",
        dir.display(),
        problems.first().map_or("", String::as_str),
        dir.display()
    )
}

/// The parts of an AMQP URL that may be shown.
#[derive(Debug, Clone)]
pub struct AmqpTarget {
    /// `amqp` or `amqps`.
    pub scheme: String,
    /// `host:port` (an IPv6 host in brackets).
    pub addr: String,
    pub user: String,
    pub vhost: String,
}

impl AmqpTarget {
    pub fn parse(url: &str) -> Result<AmqpTarget, RabbitError> {
        parse_url(url).map(|(target, _)| target)
    }

    /// `amqp://user@host:port/vhost` (or `amqps://`), never the password.
    pub fn redacted(&self) -> String {
        format!(
            "{}://{}@{}/{}",
            self.scheme,
            self.user,
            self.addr,
            self.vhost.replace('/', "%2f")
        )
    }
}

/// Parses an AMQP URL, refusing one without a host (lapin would quietly
/// take `localhost`), and takes the host as written, an IP address too.
fn parse_url(url: &str) -> Result<(AmqpTarget, AMQPUri), RabbitError> {
    const SHAPE: &str = "amqp://USER:PASSWORD@HOST:PORT/VHOST, e.g. amqp://guest:guest@127.0.0.1:5672/%2f (%2f is the default vhost)";
    if url.trim().is_empty() {
        return Err(RabbitError::Url(format!(
            "is empty: give the broker as {SHAPE}"
        )));
    }
    let invalid = |e: String| {
        RabbitError::Url(format!(
            "is not a valid AMQP URL ({}): expected {SHAPE}",
            redact(&e, url)
        ))
    };
    let no_host = || {
        RabbitError::Url(
            "has no host: the HOST part of amqp://USER:PASSWORD@HOST:PORT/VHOST is missing; name the broker, e.g. amqp://guest:guest@127.0.0.1:5672/%2f".into(),
        )
    };
    let parsed = url::Url::parse(url).map_err(|e| match e {
        url::ParseError::EmptyHost => no_host(),
        e => invalid(e.to_string()),
    })?;
    let mut uri: AMQPUri = url.parse().map_err(invalid)?;
    match parsed.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => {}
        Some(url::Host::Ipv4(ip)) => uri.authority.host = ip.to_string(),
        Some(url::Host::Ipv6(ip)) => uri.authority.host = ip.to_string(),
        _ => return Err(no_host()),
    }
    let host = &uri.authority.host;
    let addr = if host.contains(':') {
        format!("[{host}]:{}", uri.authority.port)
    } else {
        format!("{host}:{}", uri.authority.port)
    };
    let target = AmqpTarget {
        scheme: match uri.scheme {
            AMQPScheme::AMQP => "amqp".into(),
            AMQPScheme::AMQPS => "amqps".into(),
        },
        addr,
        user: uri.authority.userinfo.username.clone(),
        vhost: uri.vhost.clone(),
    };
    Ok((target, uri))
}

/// Removes the URL (which holds the password) from a parser message.
fn redact(message: &str, url: &str) -> String {
    if url.is_empty() {
        return message.to_owned();
    }
    message.replace(url, "<url>")
}

fn broker(target: &AmqpTarget, action: &str, e: lapin::Error) -> RabbitError {
    RabbitError::Broker {
        addr: target.addr.clone(),
        action: action.into(),
        message: e.to_string(),
        lost: !e.is_amqp_soft_error(),
    }
}

/// Connects (waiting at most [`DEFAULT_CONNECT_TIMEOUT`]) and classifies
/// the ways that can fail.
pub async fn connect(url: &str) -> Result<(Connection, AmqpTarget), RabbitError> {
    connect_within(url, DEFAULT_CONNECT_TIMEOUT).await
}

/// Connects, giving the TCP connect and the AMQP handshake together at most
/// `timeout`, and classifies the ways that can fail.
pub async fn connect_within(
    url: &str,
    timeout: Duration,
) -> Result<(Connection, AmqpTarget), RabbitError> {
    let (target, uri) = parse_url(url)?;
    let properties = ConnectionProperties::default().with_connection_name("pancake load".into());
    let e = match tokio::time::timeout(timeout, Connection::connect_uri(uri, properties)).await {
        Ok(Ok(c)) => return Ok((c, target)),
        Ok(Err(e)) => e,
        Err(_) => {
            return Err(RabbitError::ConnectTimeout {
                addr: target.addr,
                seconds: timeout.as_secs_f64().ceil() as u64,
            });
        }
    };
    let text = e.to_string();
    let lower = text.to_lowercase();
    Err(if lower.contains("refused") && !lower.contains("access") {
        RabbitError::Refused { addr: target.addr }
    } else if lower.contains("access_refused")
        || lower.contains("access-refused")
        || lower.contains("auth")
        || lower.contains("login")
        || lower.contains("403")
    {
        RabbitError::Login {
            addr: target.addr,
            user: target.user,
        }
    } else if lower.contains("vhost")
        || lower.contains("not_allowed")
        || lower.contains("not-allowed")
        || lower.contains("530")
    {
        RabbitError::Vhost {
            addr: target.addr,
            vhost: target.vhost,
            user: target.user,
        }
    } else {
        let hint = if target.scheme == "amqps" {
            "; amqps:// needs the broker's TLS listener (usually port 5671): check the scheme and port of --amqp-url"
        } else {
            ""
        };
        RabbitError::Broker {
            addr: target.addr.clone(),
            action: "connecting".into(),
            message: format!("{}{hint}", redact(&text, url)),
            lost: true,
        }
    })
}

/// The stream as a batch target: every kind, one copy.
pub const STREAM: ModuleSpec = ModuleSpec {
    name: "stream",
    about: "every event once, replayable: each module reads at its own offset",
    kinds: &pancake_proto::names::EVENT_KINDS,
    // Never loaded into PostgreSQL; the audit module is its counterpart.
    postgres: &crate::postgres::project::AUDIT,
};

/// The queue of a module.
pub fn queue_name(prefix: &str, module: &ModuleSpec) -> String {
    format!("{prefix}.{}", module.name)
}

/// The routing key of a module's batches.
pub fn batch_key(module: &ModuleSpec) -> String {
    format!("batch.{}", module.name)
}

/// Declares the exchange, and with `queues` one durable queue per module
/// bound to its kinds (per-event mode) and to its batch key.
pub async fn declare(
    channel: &Channel,
    target: &AmqpTarget,
    exchange: &str,
    queues: Option<&str>,
    stream: bool,
) -> Result<(), RabbitError> {
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| broker(target, &format!("declaring exchange {exchange}"), e))?;
    let Some(prefix) = queues else {
        return Ok(());
    };
    if stream {
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-queue-type".into(),
            AMQPValue::LongString(LongString::from("stream")),
        );
        let keys = vec!["stream.#".to_owned(), batch_key(&STREAM)];
        let queue = queue_name(prefix, &STREAM);
        return bound_queue(channel, target, exchange, &queue, arguments, keys).await;
    }
    for module in MODULES {
        let keys = module
            .kinds
            .iter()
            .map(|&k| kind_name(k).to_owned())
            .chain(std::iter::once(batch_key(module)))
            .collect();
        let queue = queue_name(prefix, module);
        bound_queue(
            channel,
            target,
            exchange,
            &queue,
            FieldTable::default(),
            keys,
        )
        .await?;
    }
    Ok(())
}

/// `options.channels` channels with publisher confirms on, the topology
/// `options` asks for declared on the first.
async fn publishing_channels(
    connection: &Connection,
    target: &AmqpTarget,
    options: &RabbitOptions,
) -> Result<Vec<Channel>, RabbitError> {
    let mut channels = Vec::new();
    for _ in 0..options.channels.max(1) {
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| broker(target, "opening a channel", e))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| broker(target, "enabling publisher confirms", e))?;
        channels.push(channel);
    }
    let queues = options
        .declare_queues
        .then_some(options.queue_prefix.as_str());
    declare(
        &channels[0],
        target,
        &options.exchange,
        queues,
        options.stream,
    )
    .await?;
    Ok(channels)
}

/// Refuses settings that cannot keep the order every queue needs.
fn check_options(options: &RabbitOptions) -> Result<(), RabbitError> {
    if options.channels > 1 && (options.batch <= 1 || options.stream) {
        return Err(RabbitError::ChannelsNeedBatches(options.channels));
    }
    Ok(())
}

/// Declares a durable queue and binds it to `exchange` under `keys`.
async fn bound_queue(
    channel: &Channel,
    target: &AmqpTarget,
    exchange: &str,
    queue: &str,
    arguments: FieldTable,
    keys: Vec<String>,
) -> Result<(), RabbitError> {
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            arguments,
        )
        .await
        .map_err(|e| broker(target, &format!("declaring queue {queue}"), e))?;
    for key in keys {
        channel
            .queue_bind(
                queue.into(),
                exchange.into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| broker(target, &format!("binding {queue} to {key}"), e))?;
    }
    Ok(())
}

/// Deletes the module queues `<prefix>.<module>` and the exchange: what
/// [`declare`] made, with everything still queued.
pub async fn delete_topology(
    channel: &Channel,
    exchange: &str,
    prefix: &str,
) -> Result<(), lapin::Error> {
    for module in MODULES {
        let queue = queue_name(prefix, module);
        channel
            .queue_delete(queue.as_str().into(), Default::default())
            .await?;
    }
    channel
        .exchange_delete(exchange.into(), Default::default())
        .await?;
    Ok(())
}

/// A message kept until its confirm arrives, to publish again on a nack.
struct Outgoing {
    /// Which module's batch this is (0 for per-event and stream messages):
    /// messages of one lane keep to one channel, in order.
    lane: usize,
    routing_key: String,
    body: Vec<u8>,
    properties: BasicProperties,
}

struct InFlight {
    confirm: PublisherConfirm,
    message: Outgoing,
}

/// Publishes with a bounded window of unconfirmed messages, and saves the
/// checkpoint as confirms pass the marks.
struct Publisher<'a> {
    channels: &'a [Channel],
    target: &'a AmqpTarget,
    exchange: &'a str,
    window: usize,
    in_flight: VecDeque<InFlight>,
    in_flight_bytes: usize,
    report: RabbitReport,
    /// (messages published when marked, position, events): saved once
    /// every message up to the mark is confirmed.
    marks: VecDeque<(u64, Position, u64)>,
    checkpoint: &'a mut Checkpoint,
    checkpoint_path: &'a Path,
}

impl Publisher<'_> {
    async fn publish(&mut self, message: Outgoing) -> Result<(), RabbitError> {
        while self.in_flight.len() >= self.window
            || (!self.in_flight.is_empty()
                && self.in_flight_bytes + message.body.len() > MAX_IN_FLIGHT_BYTES)
        {
            self.settle_oldest().await?;
        }
        let confirm = self.send(&message).await?;
        self.report.messages += 1;
        self.in_flight_bytes += message.body.len();
        self.in_flight.push_back(InFlight { confirm, message });
        Ok(())
    }

    async fn send(&self, message: &Outgoing) -> Result<PublisherConfirm, RabbitError> {
        self.channels[message.lane % self.channels.len()]
            .basic_publish(
                self.exchange.into(),
                message.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                &message.body,
                message.properties.clone(),
            )
            .await
            .map_err(|e| broker(self.target, "publishing", e))
    }

    /// Waits for the oldest confirm. A nacked message is published again
    /// and awaited at once, so that no checkpoint passes it unconfirmed.
    async fn settle_oldest(&mut self) -> Result<(), RabbitError> {
        let Some(InFlight { confirm, message }) = self.in_flight.pop_front() else {
            return Ok(());
        };
        self.in_flight_bytes -= message.body.len();
        let confirmation = confirm
            .await
            .map_err(|e| broker(self.target, "waiting for a confirm", e))?;
        match confirmation {
            Confirmation::Ack(returned) => {
                if returned.is_some() {
                    self.report.unroutable += 1;
                }
                self.report.confirmed += 1;
            }
            Confirmation::Nack(_) => {
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    self.report.retried += 1;
                    let again = self
                        .send(&message)
                        .await?
                        .await
                        .map_err(|e| broker(self.target, "waiting for a confirm", e))?;
                    match again {
                        Confirmation::Nack(_) if attempts < 5 => continue,
                        Confirmation::Nack(_) => {
                            return Err(RabbitError::Broker {
                                addr: self.target.addr.clone(),
                                action: "publishing".into(),
                                message: "the broker refused a message 5 times (nack)".into(),
                                lost: false,
                            });
                        }
                        Confirmation::Ack(returned) => {
                            self.report.unroutable += u64::from(returned.is_some());
                            break;
                        }
                        Confirmation::NotRequested => break,
                    }
                }
                self.report.confirmed += 1;
            }
            Confirmation::NotRequested => self.report.confirmed += 1,
        }
        if self
            .marks
            .front()
            .is_some_and(|m| m.0 <= self.report.messages - self.in_flight.len() as u64)
        {
            self.save_passed_marks()?;
        }
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), RabbitError> {
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
        }
        self.save_passed_marks()
    }

    /// Notes that everything published so far covers the merge up to
    /// `position` (`events` events in all).
    fn mark(&mut self, position: Position, events: u64) {
        self.marks
            .push_back((self.report.messages, position, events));
    }

    /// Saves the newest mark whose messages are all confirmed.
    fn save_passed_marks(&mut self) -> Result<(), RabbitError> {
        let confirmed = self.report.messages - self.in_flight.len() as u64;
        let mut newest = None;
        while self.marks.front().is_some_and(|m| m.0 <= confirmed) {
            newest = self.marks.pop_front();
        }
        if let Some((_, position, events)) = newest {
            self.checkpoint.position = position;
            self.checkpoint.events = events;
            self.checkpoint.save(self.checkpoint_path)?;
        }
        Ok(())
    }
}

fn header_table(pairs: &[(&str, AMQPValue)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (k, v) in pairs {
        table.insert(ShortString::from(*k), v.clone());
    }
    table
}

fn base_properties() -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/x-protobuf".into())
        .with_delivery_mode(2)
        .with_app_id("pancake".into())
}

/// One event as one message.
fn event_message(event: &Event, stream: bool) -> Outgoing {
    let kind = kind_name(event.kind());
    let properties = base_properties()
        .with_message_id(event.event_id.as_str().into())
        .with_type(kind.into())
        .with_timestamp(event.occurred_at.map_or(0, |t| t.seconds.max(0) as u64))
        .with_headers(header_table(&[
            (
                "schema-version",
                AMQPValue::LongString(LongString::from(SCHEMA_VERSION)),
            ),
            (
                "member-id",
                AMQPValue::LongString(LongString::from(event.member_id.as_str())),
            ),
        ]));
    Outgoing {
        lane: 0,
        routing_key: if stream {
            format!("stream.{kind}")
        } else {
            kind.to_owned()
        },
        body: event.encode_to_vec(),
        properties,
    }
}

/// A module's batch being built. Its `EventBatch` body is written as it
/// grows: each event is encoded once, however many modules take it, and
/// appended as field 1 (a protobuf message is the concatenation of its
/// fields), so batching costs no copy of the events.
#[derive(Default)]
struct Batch {
    body: Vec<u8>,
    count: usize,
    first_id: String,
    first_time: u64,
}

impl Batch {
    fn push(&mut self, event: &Event, encoded: &[u8]) {
        if self.count == 0 {
            self.first_id.clone_from(&event.event_id);
            self.first_time = event.occurred_at.map_or(0, |t| t.seconds.max(0) as u64);
        }
        prost::encoding::encode_key(
            1,
            prost::encoding::WireType::LengthDelimited,
            &mut self.body,
        );
        prost::encoding::encode_varint(encoded.len() as u64, &mut self.body);
        self.body.extend_from_slice(encoded);
        self.count += 1;
    }

    /// The batch as one message for `module`, leaving the batch empty.
    fn take(&mut self, lane: usize, module: &ModuleSpec) -> Outgoing {
        let properties = base_properties()
            .with_message_id(
                format!("batch:{}:{}", module.name, self.first_id)
                    .as_str()
                    .into(),
            )
            .with_type("event-batch".into())
            .with_timestamp(self.first_time)
            .with_headers(header_table(&[
                (
                    "schema-version",
                    AMQPValue::LongString(LongString::from(SCHEMA_VERSION)),
                ),
                (
                    "module",
                    AMQPValue::LongString(LongString::from(module.name)),
                ),
                ("events", AMQPValue::LongLongInt(self.count as i64)),
            ]));
        self.count = 0;
        Outgoing {
            lane,
            routing_key: batch_key(module),
            body: std::mem::take(&mut self.body),
            properties,
        }
    }
}

/// Adds `event` to the batch of every module that consumes it; returns the
/// messages of batches that became full.
fn add_to_batches(
    targets: &[ModuleSpec],
    batches: &mut [Batch],
    event: &Event,
    size: usize,
) -> Vec<Outgoing> {
    let encoded = event.encode_to_vec();
    let mut full = Vec::new();
    for (lane, (module, batch)) in targets.iter().zip(batches.iter_mut()).enumerate() {
        if module.consumes(event.kind()) {
            batch.push(event, &encoded);
            if batch.count == size {
                full.push(batch.take(lane, module));
            }
        }
    }
    full
}

/// The messages of every batch not empty, leaving them empty.
fn take_all(targets: &[ModuleSpec], batches: &mut [Batch]) -> Vec<Outgoing> {
    targets
        .iter()
        .zip(batches.iter_mut())
        .enumerate()
        .filter(|(_, (_, b))| b.count > 0)
        .map(|(lane, (m, b))| b.take(lane, m))
        .collect()
}

/// What a load's events went to and how they were shaped: a checkpoint
/// applies only to the same target. Holds no user name and no password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadTarget {
    /// `host:port` of the broker, as `--amqp-url` names it.
    pub broker: String,
    pub vhost: String,
    pub exchange: String,
    /// Events per message (1: one message per event).
    pub batch: usize,
    /// Into the RabbitMQ stream `<prefix>.stream` rather than the module
    /// queues.
    pub stream: bool,
    pub queue_prefix: String,
}

impl LoadTarget {
    pub fn of(options: &RabbitOptions) -> Result<LoadTarget, RabbitError> {
        let url = AmqpTarget::parse(&options.amqp_url)?;
        Ok(LoadTarget {
            broker: url.addr.to_lowercase(),
            vhost: url.vhost,
            exchange: options.exchange.clone(),
            batch: options.batch.max(1),
            stream: options.stream,
            queue_prefix: options.queue_prefix.clone(),
        })
    }

    /// "per event", "batches of 100", "stream, per event", ...
    pub fn mode(&self) -> String {
        let each = if self.batch <= 1 {
            "per event".to_owned()
        } else {
            format!("batches of {}", self.batch)
        };
        if self.stream {
            format!("stream, {each}")
        } else {
            each
        }
    }

    /// 16 hex digits that stand for the whole target, for the file name.
    fn key(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.broker, self.vhost, self.exchange, self.batch, self.stream, self.queue_prefix
        );
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
    }
}

impl std::fmt::Display for LoadTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exchange {} on {} vhost '{}', {}, queue prefix {}",
            self.exchange,
            self.broker,
            self.vhost,
            self.mode(),
            self.queue_prefix
        )
    }
}

/// Which event stream a checkpoint was taken on: when it was written, and a
/// digest of its parts (names, counts, checksums), so a stream written again
/// into the same folder does not pass for the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamIdentity {
    pub created_at: String,
    pub parts_digest: String,
}

impl StreamIdentity {
    pub fn of(manifest: &Manifest) -> StreamIdentity {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for table in &manifest.tables {
            for part in &table.parts {
                hasher.update(
                    format!(
                        "{}\n{}\n{}\n{}\n",
                        table.name, part.file, part.records, part.checksum
                    )
                    .as_bytes(),
                );
            }
        }
        StreamIdentity {
            created_at: manifest.created_at.clone(),
            parts_digest: format!("{:016x}", hasher.digest()),
        }
    }
}

/// Where a load stands: the merge position up to which every message is
/// confirmed. Saved beside the event stream after each window of confirms,
/// so a load killed or cut off resumes there; one file per target, so that
/// loads of one stream into several targets each keep their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// What the position is valid for.
    pub target: LoadTarget,
    pub stream: StreamIdentity,
    pub position: Position,
    /// Events whose messages are all confirmed.
    pub events: u64,
    pub complete: bool,
}

/// The folder of checkpoints in an event stream.
fn checkpoints_dir(input: &Path) -> PathBuf {
    input.join("checkpoints")
}

impl Checkpoint {
    /// `<stream>/checkpoints/rabbitmq-<exchange>-<hash of the target>.json`.
    pub fn path(options: &RabbitOptions) -> Result<PathBuf, RabbitError> {
        Ok(Checkpoint::path_for(
            &options.input,
            &LoadTarget::of(options)?,
        ))
    }

    fn path_for(input: &Path, target: &LoadTarget) -> PathBuf {
        let name: String = target
            .exchange
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        checkpoints_dir(input).join(format!("rabbitmq-{name}-{}.json", target.key()))
    }

    /// This target's checkpoint if there is one for this stream; otherwise
    /// the checkpoints found that do not apply, and why.
    fn find(
        input: &Path,
        path: &Path,
        target: &LoadTarget,
        stream: &StreamIdentity,
    ) -> (Option<Checkpoint>, Vec<IgnoredCheckpoint>) {
        let mut ignored = Vec::new();
        let mut ignore = |path: &Path, reason: String| {
            ignored.push(IgnoredCheckpoint {
                path: path.to_path_buf(),
                reason,
            })
        };
        match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => ignore(path, format!("it cannot be read ({e})")),
            Ok(text) => match Checkpoint::parse(&text) {
                Err(reason) => ignore(path, reason),
                Ok(c) if &c.target != target => ignore(
                    path,
                    format!("it was written for another target ({})", c.target),
                ),
                Ok(c) if &c.stream != stream => ignore(
                    path,
                    format!(
                        "it was taken on another event stream (created {}, parts digest {}), not this one (created {}, parts digest {}): the stream was written again since",
                        c.stream.created_at,
                        c.stream.parts_digest,
                        stream.created_at,
                        stream.parts_digest
                    ),
                ),
                Ok(c) => return (Some(c), Vec::new()),
            },
        }
        // Others for the same exchange name: the ones a person might expect
        // to be used.
        let mut others: Vec<PathBuf> = std::fs::read_dir(checkpoints_dir(input))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p != path
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("rabbitmq-") && n.ends_with(".json"))
            })
            .collect();
        others.sort();
        for other in others {
            let Ok(text) = std::fs::read_to_string(&other) else {
                continue;
            };
            match Checkpoint::parse(&text) {
                Ok(c) if c.target.exchange == target.exchange => ignore(
                    &other,
                    format!(
                        "it belongs to another target ({}), not this one ({target})",
                        c.target
                    ),
                ),
                Err(reason)
                    if serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| {
                            v.get("exchange")
                                .and_then(|x| x.as_str().map(str::to_owned))
                        })
                        .is_some_and(|x| x == target.exchange) =>
                {
                    ignore(&other, reason)
                }
                _ => {}
            }
        }
        (None, ignored)
    }

    /// A checkpoint, or why it is not one this pancake can use.
    fn parse(text: &str) -> Result<Checkpoint, String> {
        match serde_json::from_str::<Checkpoint>(text) {
            Ok(c) => Ok(c),
            Err(e) => {
                let value = serde_json::from_str::<serde_json::Value>(text).ok();
                if value.is_some_and(|v| v.get("target").is_none() && v.get("exchange").is_some()) {
                    Err("it is in an older format that does not name the broker, vhost or event stream it was taken for, so it cannot be trusted for this target".into())
                } else {
                    Err(format!("it cannot be read ({e})"))
                }
            }
        }
    }

    /// Checks that the checkpoint can be written, before anything is
    /// published: creates the folder and a scratch file beside the
    /// checkpoint, then removes the scratch file.
    fn check_writable(path: &Path) -> Result<(), RabbitError> {
        let io = |e: std::io::Error| RabbitError::CheckpointNotWritable {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let probe = path.with_extension("json.probe");
        std::fs::File::create(&probe)
            .and_then(|mut f| f.write_all(b"pancake checks it can write here\n"))
            .map_err(io)?;
        std::fs::remove_file(&probe).map_err(io)
    }

    /// Writes atomically: a crash leaves the old checkpoint or the new one.
    fn save(&self, path: &Path) -> Result<(), RabbitError> {
        let io = |e: std::io::Error| RabbitError::Checkpoint {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        {
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(&serde_json::to_vec_pretty(self).expect("serialises"))
                .map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// Checks every part the load will read against its trailer and the
/// manifest (record count, record bytes, checksum, file size: the checks
/// `pancake verify` makes short of decoding), in parallel, before anything
/// is published.
/// With a checkpoint, runs it has wholly confirmed are not read again.
/// Returns how many parts were checked.
async fn check_stream(
    input: &Path,
    manifest: Manifest,
    resumed: Option<&Position>,
    progress: &Arc<dyn Progress>,
) -> Result<usize, RabbitError> {
    let mut jobs = Vec::new();
    let mut events = 0;
    let mut run = 0;
    for (t, table) in manifest.tables.iter().enumerate() {
        for (p, part) in table.parts.iter().enumerate() {
            let done = resumed
                .and_then(|at| at.consumed.get(run))
                .is_some_and(|&consumed| consumed == part.records);
            if !done {
                jobs.push((t, p));
                events += part.records;
            }
            run += 1;
        }
    }
    progress.checking(events);
    let count = jobs.len();
    let dir = input.to_path_buf();
    let on_part = progress.clone();
    let problems = tokio::task::spawn_blocking(move || {
        let parts: Vec<_> = jobs
            .iter()
            .map(|&(t, p)| (&manifest.tables[t], p))
            .collect();
        // Frames only: the checksum vouches for the bytes, and the merge
        // checks order and time ranges as it decodes.
        pancake_proto::verify::check_parts(&dir, &manifest, &parts, Depth::Frames, |n| {
            on_part.checked(n)
        })
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    if problems.is_empty() {
        return Ok(count);
    }
    Err(RabbitError::Damaged {
        dir: input.to_path_buf(),
        problems: problems
            .iter()
            .map(|p| match (&p.table, &p.file) {
                (Some(table), Some(_)) => format!("table {table}, {p}"),
                _ => p.to_string(),
            })
            .collect(),
    })
}

/// Loads the event stream in `options.input` into RabbitMQ, resuming after
/// the checkpoint an earlier run left for the same target and stream, and
/// reconnecting with backoff when the broker drops a connection that worked.
pub async fn load(
    options: &RabbitOptions,
    progress: Arc<dyn Progress>,
) -> Result<RabbitReport, RabbitError> {
    let started = Instant::now();
    check_options(options)?;
    let target = LoadTarget::of(options)?;
    let merge = EventMerge::open(&options.input)?;
    let manifest = Manifest::load(&options.input)?;
    let stream = StreamIdentity::of(&manifest);
    let path = Checkpoint::path_for(&options.input, &target);
    let (found, ignored_checkpoints) = Checkpoint::find(&options.input, &path, &target, &stream);
    let resumed = found.is_some();
    let mut checkpoint = found.unwrap_or_else(|| Checkpoint {
        target,
        stream,
        position: merge.position(),
        events: 0,
        complete: false,
    });
    let mut report = RabbitReport {
        resumed_after: checkpoint.events,
        checkpoint: path.clone(),
        ignored_checkpoints,
        ..RabbitReport::default()
    };
    if checkpoint.complete {
        report.up_to_date = true;
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    Checkpoint::check_writable(&path)?;
    let total = merge.total_events();
    drop(merge);
    let check_started = Instant::now();
    report.parts_checked = check_stream(
        &options.input,
        manifest,
        resumed.then_some(&checkpoint.position),
        &progress,
    )
    .await?;
    report.check_elapsed = check_started.elapsed();
    progress.started(total);
    progress.events(checkpoint.events);
    let mut connections = 0u32;
    let mut failures = 0u32;
    let mut sent = 0u64;
    loop {
        let before = checkpoint.events;
        let mut connected = false;
        let result = run_once(
            options,
            &progress,
            &mut checkpoint,
            &path,
            &mut report,
            &mut sent,
            &mut connected,
        )
        .await;
        connections += u32::from(connected);
        let error = match result {
            Ok(()) => break,
            // A first connection that fails is a wrong URL, a broker that
            // is down or a port that is not RabbitMQ's: say so at once.
            Err(e) if connections == 0 => return Err(e),
            Err(e) => e,
        };
        if checkpoint.events > before {
            failures = 0;
        }
        if error.is_connection_loss() && failures < options.reconnects {
            failures += 1;
            let delay = backoff(failures);
            progress.reconnecting(&Retry {
                addr: checkpoint.target.broker.clone(),
                reason: error.reason(),
                attempt: failures,
                of: options.reconnects,
                delay,
            });
            tokio::time::sleep(delay).await;
            progress.restarted_at(checkpoint.events);
            continue;
        }
        return Err(RabbitError::Stopped {
            cause: Box::new(error),
            events: checkpoint.events,
            total,
            checkpoint: path,
        });
    }
    report.reconnects = connections.saturating_sub(1);
    checkpoint.complete = true;
    checkpoint.save(&path)?;
    report.events = checkpoint.events - report.resumed_after;
    report.republished_events = sent.saturating_sub(report.events);
    report.elapsed = started.elapsed();
    Ok(report)
}

impl RabbitError {
    /// The broker went away (or closed the connection); a new connection
    /// may well work.
    fn is_connection_loss(&self) -> bool {
        matches!(
            self,
            RabbitError::Broker { lost: true, .. }
                | RabbitError::Refused { .. }
                | RabbitError::ConnectTimeout { .. }
        )
    }

    /// What went wrong, for a retry line that names the address itself.
    fn reason(&self) -> String {
        match self {
            RabbitError::Refused { .. } => "connection refused".into(),
            RabbitError::ConnectTimeout { seconds, .. } => {
                format!("no connection and AMQP handshake within {seconds} s")
            }
            RabbitError::Broker {
                action, message, ..
            } => format!("{action} failed: {message}"),
            other => other.to_string(),
        }
    }
}

/// One connection's worth of publishing, from the checkpoint on. Sets
/// `connected` once the connection is made; adds what it published to
/// `report` and `sent` whether it finishes or fails.
async fn run_once(
    options: &RabbitOptions,
    progress: &Arc<dyn Progress>,
    checkpoint: &mut Checkpoint,
    checkpoint_path: &Path,
    report: &mut RabbitReport,
    sent: &mut u64,
    connected: &mut bool,
) -> Result<(), RabbitError> {
    let merge = EventMerge::resume(&options.input, &checkpoint.position)?;
    let (connection, target) = connect_within(&options.amqp_url, options.connect_timeout).await?;
    *connected = true;
    let watcher = {
        use futures_util::StreamExt;
        let mut events = connection.events_listener();
        let progress = progress.clone();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                match event {
                    lapin::Event::ConnectionBlocked(reason) => progress.blocked(&reason),
                    lapin::Event::ConnectionUnblocked => progress.unblocked(),
                    _ => {}
                }
            }
        })
    };
    let result = publish_all(
        options,
        progress,
        checkpoint,
        checkpoint_path,
        report,
        sent,
        merge,
        &connection,
        &target,
    )
    .await;
    watcher.abort();
    let _ = connection.close(200, "done".into()).await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn publish_all(
    options: &RabbitOptions,
    progress: &Arc<dyn Progress>,
    checkpoint: &mut Checkpoint,
    checkpoint_path: &Path,
    report: &mut RabbitReport,
    sent: &mut u64,
    merge: EventMerge,
    connection: &Connection,
    target: &AmqpTarget,
) -> Result<(), RabbitError> {
    let channels = publishing_channels(connection, target, options).await?;
    let mut publisher = Publisher {
        channels: &channels,
        target,
        exchange: &options.exchange,
        window: options.confirm_window.max(1) * channels.len(),
        in_flight: VecDeque::new(),
        in_flight_bytes: 0,
        report: RabbitReport::default(),
        marks: VecDeque::new(),
        checkpoint,
        checkpoint_path,
    };
    let mut this_time = 0u64;
    let result = publish_merge(options, progress, &mut publisher, merge, &mut this_time).await;
    // Counted however it ended, so that a summary after reconnects adds up.
    *sent += this_time;
    report.messages += publisher.report.messages;
    report.confirmed += publisher.report.confirmed;
    report.retried += publisher.report.retried;
    report.unroutable += publisher.report.unroutable;
    if result.is_ok() {
        for channel in &channels {
            let _ = channel.close(200, "done".into()).await;
        }
    }
    result
}

/// Publishes the merge to its end and waits for every confirm. `sent`
/// counts the events handed to the publisher.
async fn publish_merge(
    options: &RabbitOptions,
    progress: &Arc<dyn Progress>,
    publisher: &mut Publisher<'_>,
    mut merge: EventMerge,
    sent: &mut u64,
) -> Result<(), RabbitError> {
    let started = Instant::now();
    let batch = options.batch.max(1);
    // A checkpoint mark every window's worth of messages: after a crash at
    // most about two windows of messages are published again.
    let mark_every = publisher.window as u64;
    let targets: &[ModuleSpec] = if options.stream {
        std::slice::from_ref(&STREAM)
    } else {
        MODULES
    };
    let mut batches: Vec<Batch> = targets.iter().map(|_| Batch::default()).collect();
    let base = publisher.checkpoint.events;
    let mut last_mark_messages = 0u64;
    while let Some(event) = merge.next() {
        let event = event?;
        if let Some(rate) = options.max_events_per_sec {
            let due = started + Duration::from_secs_f64(*sent as f64 / rate.max(1) as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        *sent += 1;
        if batch == 1 {
            publisher
                .publish(event_message(&event, options.stream))
                .await?;
        } else {
            for message in add_to_batches(targets, &mut batches, &event, batch) {
                publisher.publish(message).await?;
            }
        }
        if publisher.report.messages - last_mark_messages >= mark_every {
            // A position is only safe once no event before it waits in a
            // batch.
            flush(publisher, targets, &mut batches).await?;
            last_mark_messages = publisher.report.messages;
            publisher.mark(merge.position(), base + *sent);
        }
        if sent.is_multiple_of(1024) {
            progress.events(1024);
        }
    }
    flush(publisher, targets, &mut batches).await?;
    publisher.mark(merge.position(), base + *sent);
    progress.events(*sent % 1024);
    publisher.drain().await
}

async fn flush(
    publisher: &mut Publisher<'_>,
    targets: &[ModuleSpec],
    batches: &mut [Batch],
) -> Result<(), RabbitError> {
    for message in take_all(targets, batches) {
        publisher.publish(message).await?;
    }
    Ok(())
}

/// What the bare publisher managed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CeilingReport {
    pub events: u64,
    pub messages: u64,
    pub elapsed: Duration,
}

/// The ceiling for a load with these options: every message of the stream
/// is built first (in memory: use a small stream), then published in a
/// tight loop with the same confirm window, exchange and queues, doing no
/// other work. The loader's events/s divided by this is how much of the
/// broker's pace the loader leaves on the table.
pub async fn bare_publish(options: &RabbitOptions) -> Result<CeilingReport, RabbitError> {
    bare_publish_up_to(options, u64::MAX).await
}

/// [`bare_publish`] of the first `max_events` events only, so that the
/// messages held in memory stay bounded on a big stream.
pub async fn bare_publish_up_to(
    options: &RabbitOptions,
    max_events: u64,
) -> Result<CeilingReport, RabbitError> {
    check_options(options)?;
    let batch = options.batch.max(1);
    let mut messages = Vec::new();
    let targets: &[ModuleSpec] = if options.stream {
        std::slice::from_ref(&STREAM)
    } else {
        MODULES
    };
    let mut batches: Vec<Batch> = targets.iter().map(|_| Batch::default()).collect();
    let mut events = 0u64;
    for event in EventMerge::open(&options.input)? {
        let event = event?;
        if events == max_events {
            break;
        }
        events += 1;
        if batch == 1 {
            messages.push(event_message(&event, options.stream));
            continue;
        }
        messages.extend(add_to_batches(targets, &mut batches, &event, batch));
    }
    messages.extend(take_all(targets, &mut batches));
    let (connection, target) = connect_within(&options.amqp_url, options.connect_timeout).await?;
    let channels = publishing_channels(&connection, &target, options).await?;
    let started = Instant::now();
    let mut in_flight = VecDeque::new();
    for message in &messages {
        if in_flight.len() >= options.confirm_window.max(1) * channels.len() {
            let confirm: PublisherConfirm = in_flight.pop_front().expect("not empty");
            confirm
                .await
                .map_err(|e| broker(&target, "waiting for a confirm", e))?;
        }
        let confirm = channels[message.lane % channels.len()]
            .basic_publish(
                options.exchange.as_str().into(),
                message.routing_key.as_str().into(),
                BasicPublishOptions::default(),
                &message.body,
                message.properties.clone(),
            )
            .await
            .map_err(|e| broker(&target, "publishing", e))?;
        in_flight.push_back(confirm);
    }
    for confirm in in_flight {
        confirm
            .await
            .map_err(|e| broker(&target, "waiting for a confirm", e))?;
    }
    let elapsed = started.elapsed();
    let _ = connection.close(200, "done".into()).await;
    Ok(CeilingReport {
        events,
        messages: messages.len() as u64,
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pancake_proto::events::{EventBatch, EventKind};

    fn event(id: &str, kind: EventKind) -> Event {
        Event {
            event_id: id.into(),
            kind: kind as i32,
            member_id: "m".into(),
            ..Event::default()
        }
    }

    #[test]
    fn a_batch_body_decodes_as_the_events_each_module_consumes() {
        let events = [
            event("a", EventKind::MemberRegistered),
            event("b", EventKind::MessageSent),
            event("c", EventKind::MemberBlocked),
            event("d", EventKind::FavoriteAdded),
        ];
        let mut batches: Vec<Batch> = MODULES.iter().map(|_| Batch::default()).collect();
        let mut messages = Vec::new();
        for e in &events {
            messages.extend(add_to_batches(MODULES, &mut batches, e, 3));
        }
        messages.extend(take_all(MODULES, &mut batches));
        for module in MODULES {
            let want: Vec<&Event> = events
                .iter()
                .filter(|e| module.consumes(e.kind()))
                .collect();
            let got: Vec<Event> = messages
                .iter()
                .filter(|m| m.routing_key == batch_key(module))
                .flat_map(|m| EventBatch::decode(m.body.as_slice()).unwrap().events)
                .collect();
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{}", module.name);
        }
        // audit takes all four: one full batch of 3, then 1.
        let audit: Vec<_> = messages
            .iter()
            .filter(|m| m.routing_key == "batch.audit")
            .collect();
        assert_eq!(audit.len(), 2);
        assert!(take_all(MODULES, &mut batches).is_empty());
    }

    #[test]
    fn a_url_without_a_host_is_refused_and_says_which_part_is_missing() {
        for url in [
            "amqp://",
            "amqp:///%2f",
            "amqp://loader:pw-secret@/%2f",
            "amqp://loader:pw-secret@:5672/%2f",
        ] {
            let e = AmqpTarget::parse(url).err().map(|e| e.to_string());
            let e = e.unwrap_or_else(|| panic!("{url} was taken"));
            assert!(
                e.contains("has no host") && e.contains("HOST"),
                "{url}: {e}"
            );
            assert!(!e.contains("pw-secret"), "{e}");
        }
    }

    #[test]
    fn an_empty_url_reads_well() {
        let e = AmqpTarget::parse("").err().unwrap().to_string();
        assert!(e.starts_with("--amqp-url is empty"), "{e}");
        assert!(!e.contains("<url>"), "{e}");
        let e = AmqpTarget::parse("nonsense").err().unwrap().to_string();
        assert!(e.contains("not a valid AMQP URL"), "{e}");
        assert!(e.matches("<url>").count() <= 1, "{e}");
    }

    #[test]
    fn hosts_are_taken_as_written_and_amqps_is_shown_as_amqps() {
        let t = AmqpTarget::parse("amqps://loader:s3cret@rabbit.example.com:5671/prod").unwrap();
        assert_eq!(t.redacted(), "amqps://loader@rabbit.example.com:5671/prod");
        let t = AmqpTarget::parse("amqp://u:p@10.1.2.3/%2f").unwrap();
        assert_eq!(t.redacted(), "amqp://u@10.1.2.3:5672/%2f");
        let (t, uri) = parse_url("amqp://u:p@[::1]:5673/v").unwrap();
        assert_eq!(t.addr, "[::1]:5673");
        assert_eq!(uri.authority.host, "::1");
    }

    #[test]
    fn a_retry_line_names_the_address_the_reason_and_the_count() {
        let retry = Retry {
            addr: "127.0.0.1:5672".into(),
            reason: "connection refused".into(),
            attempt: 3,
            of: 10,
            delay: backoff(4),
        };
        assert_eq!(
            retry.to_string(),
            "cannot reach 127.0.0.1:5672: connection refused; retry 3 of 10 in 4 s"
        );
        assert_eq!(seconds(backoff(1)), "0.5");
        assert_eq!(backoff(30), Duration::from_secs(8));
    }

    fn options(url: &str) -> RabbitOptions {
        RabbitOptions::new("/nowhere".into(), url.into())
    }

    #[test]
    fn every_part_of_the_target_gives_its_own_checkpoint_file_without_the_password() {
        let base = options("amqp://guest:secret-one@127.0.0.1:5672/%2f");
        let path = Checkpoint::path(&base).unwrap();
        // Another user or password is the same target.
        let same = options("amqp://other:secret-two@127.0.0.1:5672/%2f");
        assert_eq!(Checkpoint::path(&same).unwrap(), path);
        let mut others = vec![
            options("amqp://guest:guest@127.0.0.1:5672/other"),
            options("amqp://guest:guest@127.0.0.1:5673/%2f"),
            options("amqp://guest:guest@rabbit.example.com:5672/%2f"),
        ];
        let changes: [fn(&mut RabbitOptions); 4] = [
            |o: &mut RabbitOptions| o.exchange = "x2".into(),
            |o: &mut RabbitOptions| o.batch = 100,
            |o: &mut RabbitOptions| o.stream = true,
            |o: &mut RabbitOptions| o.queue_prefix = "p2".into(),
        ];
        for change in changes {
            let mut o = base.clone();
            change(&mut o);
            others.push(o);
        }
        for o in &others {
            assert_ne!(Checkpoint::path(o).unwrap(), path, "{o:?}");
        }
        let c = Checkpoint {
            target: LoadTarget::of(&base).unwrap(),
            stream: StreamIdentity {
                created_at: "now".into(),
                parts_digest: "0".into(),
            },
            position: Position::default(),
            events: 0,
            complete: false,
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(
            !text.contains("secret") && !text.contains("guest"),
            "{text}"
        );
    }

    #[test]
    fn an_older_checkpoint_is_not_applied_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let o = RabbitOptions::new(dir.path().into(), DEFAULT_AMQP_URL.into());
        std::fs::create_dir_all(checkpoints_dir(dir.path())).unwrap();
        let old = checkpoints_dir(dir.path()).join("rabbitmq-pancake.events.json");
        std::fs::write(
            &old,
            r#"{"stream_created_at":"2026-01-01T00:00:00Z","exchange":"pancake.events","queue_prefix":"pancake","batch":1,"stream":false,"position":{"consumed":[3]},"events":3,"complete":true}"#,
        )
        .unwrap();
        let target = LoadTarget::of(&o).unwrap();
        let path = Checkpoint::path(&o).unwrap();
        let stream = StreamIdentity {
            created_at: "2026-01-01T00:00:00Z".into(),
            parts_digest: "0".into(),
        };
        let (found, ignored) = Checkpoint::find(dir.path(), &path, &target, &stream);
        assert!(found.is_none());
        assert_eq!(ignored.len(), 1, "{ignored:?}");
        assert_eq!(ignored[0].path, old);
        assert!(ignored[0].reason.contains("older format"), "{ignored:?}");
    }

    #[test]
    fn an_unwritable_checkpoint_folder_is_found_before_anything_is_published() {
        // Tests run as root, where permission bits do not stop a write: a
        // regular file where the folder should be does.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(checkpoints_dir(dir.path()), b"not a folder").unwrap();
        let path = checkpoints_dir(dir.path()).join("rabbitmq-x-0.json");
        let e = Checkpoint::check_writable(&path).unwrap_err().to_string();
        assert!(e.contains("cannot write the checkpoint"), "{e}");
        assert!(e.contains("nothing was published"), "{e}");
        let ok = tempfile::tempdir().unwrap();
        let path = checkpoints_dir(ok.path()).join("rabbitmq-x-0.json");
        Checkpoint::check_writable(&path).unwrap();
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(checkpoints_dir(ok.path()))
                .unwrap()
                .count(),
            0
        );
    }
}

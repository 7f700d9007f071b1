//! Publishing an event stream to RabbitMQ with publisher confirms.
//!
//! Events come out of the k-way [`merge`](crate::merge) in global time
//! order. In per-event mode each event is one persistent message on a
//! durable topic exchange, routed by its kind; in batched mode each module
//! gets messages of up to N of the events it consumes, routed to its queue
//! alone (`batch.<module>`). Either way at most `confirm_window` messages are
//! unconfirmed at any time: a nacked message is published again, a returned
//! (unroutable) one is counted and reported.

use crate::merge::{EventMerge, Position};
use crate::modules::{MODULES, ModuleSpec};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use lapin::{Confirmation, PublisherConfirm};
use pancake_proto::events::Event;
use pancake_proto::names::kind_name;
use prost::Message as _;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
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
    /// How often a lost connection is made again before the load gives up.
    pub reconnects: u32,
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
        }
    }
}

/// What the run is doing, for progress displays.
pub trait Progress: Send + Sync {
    fn started(&self, _events: u64) {}
    fn events(&self, _n: u64) {}
    /// The broker blocked publishing (a memory or disk alarm).
    fn blocked(&self, _reason: &str) {}
    fn unblocked(&self) {}
    /// The connection was lost; attempt `n` to make it again.
    fn reconnecting(&self, _n: u32, _why: &str) {}
}

impl Progress for () {}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RabbitReport {
    /// The stream was already loaded with these settings.
    pub up_to_date: bool,
    /// Events an earlier run had confirmed; this run started after them.
    pub resumed_after: u64,
    /// Connections lost and made again.
    pub reconnects: u32,
    /// Events this run published.
    pub events: u64,
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

    #[error(
        "cannot connect to RabbitMQ at {addr}: connection refused. Is it running? (scripts/services.sh starts one locally) Check the host and port in --amqp-url"
    )]
    Refused { addr: String },

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

    #[error("cannot write the checkpoint {path}: {message}")]
    Checkpoint { path: PathBuf, message: String },

    #[error("--amqp-url is not a valid AMQP URL: {0}")]
    Url(String),

    #[error(
        "--channels {0} needs batched mode (--batch N with N > 1, without --stream): a message published per event, or into the stream, goes to queues that must see every message in order, and only one channel keeps that order"
    )]
    ChannelsNeedBatches(usize),

    #[error("RabbitMQ at {addr}: {action} failed: {message}")]
    Broker {
        addr: String,
        action: String,
        message: String,
    },
}

/// The parts of an AMQP URL that may be shown.
#[derive(Debug, Clone)]
pub struct AmqpTarget {
    pub addr: String,
    pub user: String,
    pub vhost: String,
}

impl AmqpTarget {
    pub fn parse(url: &str) -> Result<AmqpTarget, RabbitError> {
        let uri: lapin::uri::AMQPUri = url
            .parse()
            .map_err(|e: String| RabbitError::Url(redact(&e, url)))?;
        Ok(AmqpTarget {
            addr: format!("{}:{}", uri.authority.host, uri.authority.port),
            user: uri.authority.userinfo.username.clone(),
            vhost: uri.vhost.clone(),
        })
    }

    /// `amqp://user@host:port/vhost`, never the password.
    pub fn redacted(&self) -> String {
        format!(
            "amqp://{}@{}/{}",
            self.user,
            self.addr,
            self.vhost.replace('/', "%2f")
        )
    }
}

/// Removes the URL (which holds the password) from a parser message.
fn redact(message: &str, url: &str) -> String {
    message.replace(url, "<url>")
}

fn broker(target: &AmqpTarget, action: &str, e: lapin::Error) -> RabbitError {
    RabbitError::Broker {
        addr: target.addr.clone(),
        action: action.into(),
        message: e.to_string(),
    }
}

/// Connects and classifies the ways that can fail.
pub async fn connect(url: &str) -> Result<(Connection, AmqpTarget), RabbitError> {
    let target = AmqpTarget::parse(url)?;
    let properties = ConnectionProperties::default().with_connection_name("pancake load".into());
    match Connection::connect(url, properties).await {
        Ok(c) => Ok((c, target)),
        Err(e) => {
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
                RabbitError::Broker {
                    addr: target.addr.clone(),
                    action: "connecting".into(),
                    message: redact(&text, url),
                }
            })
        }
    }
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
    options: &'a RabbitOptions,
    checkpoint: &'a mut Checkpoint,
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
            self.checkpoint.save(self.options)?;
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

/// Where a load stands: the merge position up to which every message is
/// confirmed. Saved beside the event stream after each window of confirms,
/// so a load killed or cut off resumes there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// What the position is valid for: the same stream, exchange, queues and
    /// batch size.
    pub stream_created_at: String,
    pub exchange: String,
    pub queue_prefix: String,
    pub batch: usize,
    #[serde(default)]
    pub stream: bool,
    pub position: Position,
    /// Events whose messages are all confirmed.
    pub events: u64,
    pub complete: bool,
}

impl Checkpoint {
    /// `<stream>/checkpoints/rabbitmq-<exchange>.json`.
    pub fn path(options: &RabbitOptions) -> PathBuf {
        let name: String = options
            .exchange
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        options
            .input
            .join("checkpoints")
            .join(format!("rabbitmq-{name}.json"))
    }

    fn load(options: &RabbitOptions) -> Option<Checkpoint> {
        let text = std::fs::read_to_string(Checkpoint::path(options)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes atomically: a crash leaves the old checkpoint or the new one.
    fn save(&self, options: &RabbitOptions) -> Result<(), RabbitError> {
        let path = Checkpoint::path(options);
        let io = |e: std::io::Error| RabbitError::Checkpoint {
            path: path.clone(),
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
        std::fs::rename(&tmp, &path).map_err(io)
    }

    fn matches(&self, options: &RabbitOptions, created_at: &str) -> bool {
        self.stream_created_at == created_at
            && self.exchange == options.exchange
            && self.queue_prefix == options.queue_prefix
            && self.batch == options.batch.max(1)
            && self.stream == options.stream
    }
}

/// Loads the event stream in `options.input` into RabbitMQ, resuming after
/// the last checkpoint of an earlier run with the same settings, and
/// reconnecting with backoff when the broker drops the connection.
pub async fn load(
    options: &RabbitOptions,
    progress: Arc<dyn Progress>,
) -> Result<RabbitReport, RabbitError> {
    let started = Instant::now();
    check_options(options)?;
    let created_at = pancake_proto::Manifest::load(&options.input)
        .map_err(crate::merge::MergeError::from)?
        .created_at;
    let mut checkpoint = match Checkpoint::load(options) {
        Some(c) if c.matches(options, &created_at) => c,
        _ => Checkpoint {
            stream_created_at: created_at,
            exchange: options.exchange.clone(),
            queue_prefix: options.queue_prefix.clone(),
            batch: options.batch.max(1),
            stream: options.stream,
            position: EventMerge::open(&options.input)?.position(),
            events: 0,
            complete: false,
        },
    };
    let mut report = RabbitReport {
        resumed_after: checkpoint.events,
        ..RabbitReport::default()
    };
    if checkpoint.complete {
        report.up_to_date = true;
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    let total = EventMerge::open(&options.input)?.total_events();
    progress.started(total);
    progress.events(checkpoint.events);
    let mut failures = 0u32;
    loop {
        match run_once(options, &progress, &mut checkpoint, &mut report).await {
            Ok(()) => break,
            Err(e) if e.is_connection_loss() && failures < options.reconnects => {
                failures += 1;
                report.reconnects += 1;
                progress.reconnecting(failures, &e.to_string());
                tokio::time::sleep(Duration::from_millis(500u64 << (failures - 1).min(4))).await;
            }
            Err(e) => return Err(e),
        }
    }
    checkpoint.complete = true;
    checkpoint.save(options)?;
    report.events = checkpoint.events - report.resumed_after;
    report.elapsed = started.elapsed();
    Ok(report)
}

impl RabbitError {
    /// The broker went away (or closed the connection); a new connection
    /// may well work.
    fn is_connection_loss(&self) -> bool {
        matches!(
            self,
            RabbitError::Broker { .. } | RabbitError::Refused { .. }
        )
    }
}

/// One connection's worth of publishing, from the checkpoint on.
async fn run_once(
    options: &RabbitOptions,
    progress: &Arc<dyn Progress>,
    checkpoint: &mut Checkpoint,
    report: &mut RabbitReport,
) -> Result<(), RabbitError> {
    let started = Instant::now();
    let merge = EventMerge::resume(&options.input, &checkpoint.position)?;
    let (connection, target) = connect(&options.amqp_url).await?;
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
        report,
        merge,
        &connection,
        &target,
    )
    .await;
    watcher.abort();
    let _ = connection.close(200, "done".into()).await;
    let _ = started;
    result
}

#[allow(clippy::too_many_arguments)]
async fn publish_all(
    options: &RabbitOptions,
    progress: &Arc<dyn Progress>,
    checkpoint: &mut Checkpoint,
    report: &mut RabbitReport,
    mut merge: EventMerge,
    connection: &Connection,
    target: &AmqpTarget,
) -> Result<(), RabbitError> {
    let started = Instant::now();
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
        options,
        checkpoint,
    };
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
    let mut sent = 0u64;
    let base = publisher.checkpoint.events;
    let mut last_mark_messages = 0u64;
    while let Some(event) = merge.next() {
        let event = event?;
        if let Some(rate) = options.max_events_per_sec {
            let due = started + Duration::from_secs_f64(sent as f64 / rate.max(1) as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        sent += 1;
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
            flush(&mut publisher, targets, &mut batches).await?;
            last_mark_messages = publisher.report.messages;
            publisher.mark(merge.position(), base + sent);
        }
        if sent.is_multiple_of(1024) {
            progress.events(1024);
        }
    }
    flush(&mut publisher, targets, &mut batches).await?;
    publisher.mark(merge.position(), base + sent);
    progress.events(sent % 1024);
    publisher.drain().await?;
    report.messages += publisher.report.messages;
    report.confirmed += publisher.report.confirmed;
    report.retried += publisher.report.retried;
    report.unroutable += publisher.report.unroutable;
    for channel in &channels {
        let _ = channel.close(200, "done".into()).await;
    }
    Ok(())
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
    let (connection, target) = connect(&options.amqp_url).await?;
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
}

//! Publishing an event stream to RabbitMQ with publisher confirms.
//!
//! Events come out of the k-way [`merge`](crate::merge) in global time
//! order. In per-event mode each event is one persistent message on a
//! durable topic exchange, routed by its kind; in batched mode each module
//! gets messages of up to N of the events it consumes, routed to its queue
//! alone (`batch.<module>`). Either way at most `confirm_window` messages are
//! unconfirmed at any time: a nacked message is published again, a returned
//! (unroutable) one is counted and reported.

use crate::merge::EventMerge;
use crate::modules::{MODULES, ModuleSpec, consumers};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use lapin::{Confirmation, PublisherConfirm};
use pancake_proto::events::{Event, EventBatch};
use pancake_proto::names::kind_name;
use prost::Message as _;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of message bodies kept for possible re-publishing while their
/// confirms are outstanding: with big batches the window in messages alone
/// would hold hundreds of megabytes.
pub const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;

/// The schema consumers decode bodies with, in the `schema-version` header.
pub const SCHEMA_VERSION: &str = "pancake.events.v1";

#[derive(Debug, Clone)]
pub struct RabbitOptions {
    pub input: PathBuf,
    pub amqp_url: String,
    pub exchange: String,
    /// Declare one durable queue per module, bound to the kinds it consumes.
    pub declare_queues: bool,
    /// Module queues are named `<prefix>.<module>`.
    pub queue_prefix: String,
    /// Events per message: 1 is one message per event.
    pub batch: usize,
    /// Most messages published but not yet confirmed.
    pub confirm_window: usize,
    pub max_events_per_sec: Option<u64>,
}

impl RabbitOptions {
    pub fn new(input: PathBuf, amqp_url: String) -> RabbitOptions {
        RabbitOptions {
            input,
            amqp_url,
            exchange: "pancake.events".into(),
            declare_queues: false,
            queue_prefix: "pancake".into(),
            batch: 1,
            confirm_window: 1000,
            max_events_per_sec: None,
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
}

impl Progress for () {}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RabbitReport {
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

    #[error("--amqp-url is not a valid AMQP URL: {0}")]
    Url(String),

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
    for module in MODULES {
        let queue = queue_name(prefix, module);
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| broker(target, &format!("declaring queue {queue}"), e))?;
        let keys = module
            .kinds
            .iter()
            .map(|&k| kind_name(k).to_owned())
            .chain(std::iter::once(batch_key(module)));
        for key in keys {
            channel
                .queue_bind(
                    queue.as_str().into(),
                    exchange.into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| broker(target, &format!("binding {queue} to {key}"), e))?;
        }
    }
    Ok(())
}

/// A message kept until its confirm arrives, to publish again on a nack.
struct Outgoing {
    routing_key: String,
    body: Vec<u8>,
    properties: BasicProperties,
}

struct InFlight {
    confirm: PublisherConfirm,
    message: Outgoing,
}

/// Publishes with a bounded window of unconfirmed messages.
struct Publisher<'a> {
    channel: &'a Channel,
    target: &'a AmqpTarget,
    exchange: &'a str,
    window: usize,
    in_flight: VecDeque<InFlight>,
    in_flight_bytes: usize,
    report: RabbitReport,
}

impl Publisher<'_> {
    async fn publish(&mut self, message: Outgoing) -> Result<(), RabbitError> {
        while self.in_flight.len() >= self.window
            || (!self.in_flight.is_empty()
                && self.in_flight_bytes + message.body.len() > MAX_IN_FLIGHT_BYTES)
        {
            self.settle_oldest().await?;
        }
        let confirm = self
            .channel
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
            .map_err(|e| broker(self.target, "publishing", e))?;
        self.report.messages += 1;
        self.in_flight_bytes += message.body.len();
        self.in_flight.push_back(InFlight { confirm, message });
        Ok(())
    }

    /// Waits for the oldest confirm; a nack publishes the message again.
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
                self.report.retried += 1;
                self.report.messages -= 1;
                Box::pin(self.publish(message)).await?;
            }
            Confirmation::NotRequested => self.report.confirmed += 1,
        }
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), RabbitError> {
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
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
fn event_message(event: &Event) -> Outgoing {
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
        routing_key: kind.to_owned(),
        body: event.encode_to_vec(),
        properties,
    }
}

/// Up to N events of one module as one message.
fn batch_message(module: &ModuleSpec, events: &[Event]) -> Outgoing {
    let first = events.first().map(|e| e.event_id.as_str()).unwrap_or("");
    let properties = base_properties()
        .with_message_id(format!("batch:{}:{first}", module.name).as_str().into())
        .with_type("event-batch".into())
        .with_timestamp(
            events
                .first()
                .and_then(|e| e.occurred_at)
                .map_or(0, |t| t.seconds.max(0) as u64),
        )
        .with_headers(header_table(&[
            (
                "schema-version",
                AMQPValue::LongString(LongString::from(SCHEMA_VERSION)),
            ),
            (
                "module",
                AMQPValue::LongString(LongString::from(module.name)),
            ),
            ("events", AMQPValue::LongLongInt(events.len() as i64)),
        ]));
    let batch = EventBatch {
        events: events.to_vec(),
    };
    Outgoing {
        routing_key: batch_key(module),
        body: batch.encode_to_vec(),
        properties,
    }
}

/// Loads the event stream in `options.input` into RabbitMQ.
pub async fn load(
    options: &RabbitOptions,
    progress: Arc<dyn Progress>,
) -> Result<RabbitReport, RabbitError> {
    let started = Instant::now();
    let merge = EventMerge::open(&options.input)?;
    progress.started(merge.total_events());
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
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| broker(&target, "opening a channel", e))?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| broker(&target, "enabling publisher confirms", e))?;
    let queues = options
        .declare_queues
        .then_some(options.queue_prefix.as_str());
    declare(&channel, &target, &options.exchange, queues).await?;

    let mut publisher = Publisher {
        channel: &channel,
        target: &target,
        exchange: &options.exchange,
        window: options.confirm_window.max(1),
        in_flight: VecDeque::new(),
        in_flight_bytes: 0,
        report: RabbitReport::default(),
    };
    let batch = options.batch.max(1);
    let mut buffers: Vec<Vec<Event>> = MODULES.iter().map(|_| Vec::new()).collect();
    let mut sent = 0u64;
    for event in merge {
        let event = event?;
        if let Some(rate) = options.max_events_per_sec {
            let due = started + Duration::from_secs_f64(sent as f64 / rate.max(1) as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        sent += 1;
        if batch == 1 {
            publisher.publish(event_message(&event)).await?;
        } else {
            let kind = event.kind();
            for module in consumers(kind) {
                let i = MODULES
                    .iter()
                    .position(|m| m.name == module.name)
                    .expect("a listed module");
                buffers[i].push(event.clone());
                if buffers[i].len() == batch {
                    let message = batch_message(module, &buffers[i]);
                    buffers[i].clear();
                    publisher.publish(message).await?;
                }
            }
        }
        if sent % 1024 == 0 {
            progress.events(1024);
        }
    }
    for (module, buffer) in MODULES.iter().zip(&mut buffers) {
        if !buffer.is_empty() {
            let message = batch_message(module, buffer);
            buffer.clear();
            publisher.publish(message).await?;
        }
    }
    progress.events(sent % 1024);
    publisher.drain().await?;
    let mut report = publisher.report;
    report.events = sent;
    report.elapsed = started.elapsed();
    let _ = channel.close(200, "done".into()).await;
    let _ = connection.close(200, "done".into()).await;
    watcher.abort();
    Ok(report)
}

//! What a load is asked to do, its defaults, and the settings it refuses.

use super::errors::RabbitError;
use std::path::PathBuf;
use std::time::Duration;

/// The broker the CLI, the benches and the tests use by default (the one
/// scripts/services.sh starts).
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// How long a connection may take, TCP connect and AMQP handshake together.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the broker may leave a publish or a confirm unanswered (while
/// it has not blocked publishing) before the connection counts as lost.
pub const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct RabbitOptions {
    pub input: PathBuf,
    pub amqp_url: String,
    pub exchange: String,
    /// Declare one durable queue per module, bound to the kinds it consumes.
    pub declare_queues: bool,
    /// Module queues are named `<prefix>_<module>` (a trailing `_` or `.`
    /// of the prefix is its separator, and dropped; an empty prefix names
    /// them `<module>`).
    pub queue_prefix: String,
    /// Publish every event once into a RabbitMQ stream (`<prefix>_stream`,
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
    /// How long a publish or a confirm may go unanswered before the
    /// connection counts as lost (and the load connects again). Time while
    /// the broker has blocked publishing (an alarm) does not count.
    pub answer_timeout: Duration,
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
            answer_timeout: DEFAULT_ANSWER_TIMEOUT,
        }
    }
}

/// Refuses settings that cannot keep the order every queue needs.
pub(super) fn check_options(options: &RabbitOptions) -> Result<(), RabbitError> {
    if options.channels > 1 && (options.batch <= 1 || options.stream) {
        return Err(RabbitError::ChannelsNeedBatches(options.channels));
    }
    Ok(())
}

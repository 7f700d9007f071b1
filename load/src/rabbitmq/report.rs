//! What a load did, for the summary.

use super::checkpoint::IgnoredCheckpoint;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Bytes of message bodies sent to the broker over every connection of
    /// this run, messages published again included; AMQP's framing and
    /// properties are not counted.
    pub body_bytes: u64,
    pub elapsed: Duration,
}

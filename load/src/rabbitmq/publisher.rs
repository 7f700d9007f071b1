//! The confirm window: messages published with at most `window` of them
//! (and at most [`MAX_IN_FLIGHT_BYTES`] of their bodies) unconfirmed, each
//! confirm awaited in publishing order, a nacked message published again
//! and awaited at once, and the checkpoint saved once every message before
//! a mark is confirmed.
//!
//! The publisher sees a channel only through [`ConfirmChannel`]: publish a
//! message, then wait for what the broker says of it. A load gives it the
//! broker's channels ([`AmqpChannel`]); the unit tests an in-memory fake.

use super::checkpoint::Checkpoint;
use super::errors::{RabbitError, broker, silent};
use super::message::Outgoing;
use super::url::AmqpTarget;
use crate::merge::Position;
use lapin::options::BasicPublishOptions;
use lapin::{Channel, Confirmation, PublisherConfirm};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Most bytes of message bodies kept for possible re-publishing while their
/// confirms are outstanding: with big batches the window in messages alone
/// would hold hundreds of megabytes.
pub const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;

/// How often a nacked message is published again before the load stops.
const RETRIES: u32 = 5;

/// What the broker said of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Confirmed {
    /// Taken. `returned`: no queue took it, and the mandatory flag sent it
    /// back.
    Ack { returned: bool },
    /// Refused: publish it again.
    Nack,
}

/// A channel in confirm mode, as the publisher needs it.
pub(super) trait ConfirmChannel {
    /// The broker's answer, to wait for.
    type Confirm;

    /// Publishes `message`; its confirm comes later.
    async fn publish(&self, message: &Outgoing) -> Result<Self::Confirm, RabbitError>;

    /// Waits for the broker's answer to a message published here.
    async fn confirmed(&self, confirm: Self::Confirm) -> Result<Confirmed, RabbitError>;
}

/// A broker channel with publisher confirms on, publishing to one exchange
/// with the mandatory flag (so an unroutable message comes back and is
/// counted).
pub(super) struct AmqpChannel<'a> {
    pub(super) channel: Channel,
    pub(super) exchange: &'a str,
    /// The broker, for errors.
    pub(super) target: &'a AmqpTarget,
    /// How long a publish or a confirm may go unanswered.
    pub(super) answer_timeout: Duration,
    /// Set while the broker blocks publishing: a wait then is no silence.
    pub(super) blocked: &'a AtomicBool,
}

impl AmqpChannel<'_> {
    /// Waits for the broker's `answer` to `action`. A broker (or a network)
    /// that leaves it unanswered for `answer_timeout`, without having
    /// blocked publishing, counts as a lost connection: lapin's own
    /// heartbeat check takes two heartbeat intervals, and some of its waits
    /// (a close) never end once the socket is gone.
    async fn answer<T>(
        &self,
        action: &str,
        answer: impl Future<Output = lapin::Result<T>>,
    ) -> Result<T, RabbitError> {
        let mut answer = std::pin::pin!(answer);
        loop {
            match tokio::time::timeout(self.answer_timeout, answer.as_mut()).await {
                Ok(result) => return result.map_err(|e| broker(self.target, action, e)),
                Err(_) if self.blocked.load(Ordering::Relaxed) => continue,
                Err(_) => return Err(silent(self.target, action, self.answer_timeout)),
            }
        }
    }
}

impl ConfirmChannel for AmqpChannel<'_> {
    type Confirm = PublisherConfirm;

    async fn publish(&self, message: &Outgoing) -> Result<PublisherConfirm, RabbitError> {
        let publish = self.channel.basic_publish(
            self.exchange.into(),
            message.routing_key.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            &message.body,
            message.properties.clone(),
        );
        self.answer("publishing", publish).await
    }

    async fn confirmed(&self, confirm: PublisherConfirm) -> Result<Confirmed, RabbitError> {
        let confirmation = self.answer("waiting for a confirm", confirm).await?;
        Ok(match confirmation {
            Confirmation::Ack(returned) => Confirmed::Ack {
                returned: returned.is_some(),
            },
            Confirmation::Nack(_) => Confirmed::Nack,
            // Confirms were not asked for: nothing to wait for.
            Confirmation::NotRequested => Confirmed::Ack { returned: false },
        })
    }
}

/// What a publisher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    /// Messages published (a message published again after a nack counts
    /// once).
    pub(super) messages: u64,
    pub(super) confirmed: u64,
    /// Messages published again after a nack.
    pub(super) retried: u64,
    /// Messages no queue took (returned under the mandatory flag).
    pub(super) unroutable: u64,
    /// Bytes of message bodies handed to the broker, every publish counted
    /// (a message published again after a nack counts again).
    pub(super) body_bytes: u64,
}

/// A published message whose confirm has not been awaited yet.
struct InFlight<Confirm> {
    /// Which channel it went out on.
    channel: usize,
    confirm: Confirm,
    /// Kept to publish again on a nack.
    message: Outgoing,
}

/// A point in the merge that everything published before it covers.
struct Mark {
    /// Messages published when marked: once that many are confirmed, the
    /// checkpoint may move here.
    messages: u64,
    position: Position,
    /// Events up to the position, in all.
    events: u64,
}

/// Publishes with a bounded window of unconfirmed messages, and saves the
/// checkpoint as confirms pass the marks.
pub(super) struct Publisher<'a, C: ConfirmChannel> {
    /// A message of lane `i` goes out on channel `i % channels.len()`, so
    /// one lane's messages keep their order.
    channels: &'a [C],
    /// The broker's `host:port`, for the error after too many nacks.
    addr: &'a str,
    /// Most messages unconfirmed at once, over every channel.
    window: usize,
    /// Most bytes of bodies unconfirmed at once (a bigger message still
    /// goes out, alone).
    max_in_flight_bytes: usize,
    /// Published and not yet confirmed, oldest first.
    in_flight: VecDeque<InFlight<C::Confirm>>,
    in_flight_bytes: usize,
    counts: Counts,
    /// Not yet saved, oldest first.
    marks: VecDeque<Mark>,
    checkpoint: &'a mut Checkpoint,
    checkpoint_path: &'a Path,
}

impl<'a, C: ConfirmChannel> Publisher<'a, C> {
    /// A publisher with `confirm_window` unconfirmed messages per channel.
    pub(super) fn new(
        channels: &'a [C],
        addr: &'a str,
        confirm_window: usize,
        checkpoint: &'a mut Checkpoint,
        checkpoint_path: &'a Path,
    ) -> Self {
        Publisher {
            channels,
            addr,
            window: confirm_window.max(1) * channels.len(),
            max_in_flight_bytes: MAX_IN_FLIGHT_BYTES,
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            counts: Counts::default(),
            marks: VecDeque::new(),
            checkpoint,
            checkpoint_path,
        }
    }

    /// Most messages unconfirmed at once, over every channel.
    pub(super) fn window(&self) -> usize {
        self.window
    }

    /// Messages published and not yet confirmed.
    pub(super) fn unconfirmed(&self) -> usize {
        self.in_flight.len()
    }

    pub(super) fn counts(&self) -> Counts {
        self.counts
    }

    /// Publishes `message` once the window has room for it.
    pub(super) async fn publish(&mut self, message: Outgoing) -> Result<(), RabbitError> {
        while self.in_flight.len() >= self.window
            || (!self.in_flight.is_empty()
                && self.in_flight_bytes + message.body.len() > self.max_in_flight_bytes)
        {
            self.settle_oldest().await?;
        }
        let channel = message.lane % self.channels.len();
        let confirm = self.channels[channel].publish(&message).await?;
        self.counts.messages += 1;
        self.counts.body_bytes += message.body.len() as u64;
        self.in_flight_bytes += message.body.len();
        self.in_flight.push_back(InFlight {
            channel,
            confirm,
            message,
        });
        Ok(())
    }

    /// Waits for the oldest confirm. A nacked message is published again
    /// and awaited at once, so that no checkpoint passes it unconfirmed.
    async fn settle_oldest(&mut self) -> Result<(), RabbitError> {
        let Some(InFlight {
            channel,
            confirm,
            message,
        }) = self.in_flight.pop_front()
        else {
            return Ok(());
        };
        self.in_flight_bytes -= message.body.len();
        let channel = &self.channels[channel];
        let mut answer = channel.confirmed(confirm).await?;
        let mut retries = 0;
        while answer == Confirmed::Nack {
            if retries == RETRIES {
                return Err(RabbitError::Broker {
                    addr: self.addr.to_owned(),
                    action: "publishing".into(),
                    message: format!(
                        "the broker refused a message (nack), and again each of the {RETRIES} times it was published again"
                    ),
                    lost: false,
                });
            }
            retries += 1;
            self.counts.retried += 1;
            self.counts.body_bytes += message.body.len() as u64;
            answer = channel.confirmed(channel.publish(&message).await?).await?;
        }
        if answer == (Confirmed::Ack { returned: true }) {
            self.counts.unroutable += 1;
        }
        self.counts.confirmed += 1;
        if self
            .marks
            .front()
            .is_some_and(|m| m.messages <= self.confirmed_in_order())
        {
            self.save_passed_marks()?;
        }
        Ok(())
    }

    /// Messages published whose confirms, and those of every message
    /// before them, are in.
    fn confirmed_in_order(&self) -> u64 {
        self.counts.messages - self.in_flight.len() as u64
    }

    /// Waits for every confirm, then saves the newest mark.
    pub(super) async fn drain(&mut self) -> Result<(), RabbitError> {
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
        }
        self.save_passed_marks()
    }

    /// Notes that everything published so far covers the merge up to
    /// `position` (`events` events in all).
    pub(super) fn mark(&mut self, position: Position, events: u64) {
        self.marks.push_back(Mark {
            messages: self.counts.messages,
            position,
            events,
        });
    }

    /// Saves the newest mark whose messages are all confirmed.
    fn save_passed_marks(&mut self) -> Result<(), RabbitError> {
        let confirmed = self.confirmed_in_order();
        let mut newest = None;
        while self.marks.front().is_some_and(|m| m.messages <= confirmed) {
            newest = self.marks.pop_front();
        }
        if let Some(mark) = newest {
            self.checkpoint.position = mark.position;
            self.checkpoint.events = mark.events;
            self.checkpoint.save(self.checkpoint_path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

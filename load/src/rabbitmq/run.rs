//! A load from start to end, as two loops, each with its state named:
//!
//! - [`Load`]: one turn per connection. Publishes from the checkpoint on;
//!   when a connection that worked is lost, connects again with backoff.
//! - [`PublishLoop`]: one turn per event, on one connection. Makes the
//!   event into messages, hands them to the [`Publisher`], and marks a
//!   checkpoint every window's worth of messages.

use super::batch::Batches;
use super::check::check_stream;
use super::checkpoint::{Checkpoint, LoadTarget, StreamIdentity};
use super::connect::connect_within;
use super::errors::{RabbitError, silent};
use super::message::event_message;
use super::options::{RabbitOptions, check_options};
use super::progress::{Progress, Retry, backoff};
use super::publisher::{AmqpChannel, ConfirmChannel, Publisher};
use super::report::RabbitReport;
use super::topology::publishing_channels;
use super::url::AmqpTarget;
use crate::merge::EventMerge;
use lapin::Connection;
use pancake_proto::Manifest;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long closing a connection that did all its work may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

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
    let checkpoint = found.unwrap_or_else(|| Checkpoint::start(target, stream, merge.position()));
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
    let mut load = Load {
        options,
        progress,
        checkpoint,
        checkpoint_path: path,
        total,
        report,
        sent: 0,
        connections: 0,
    };
    load.run().await?;
    load.report.reconnects = load.connections.saturating_sub(1);
    load.checkpoint.complete = true;
    load.checkpoint.save(&load.checkpoint_path)?;
    let mut report = load.report;
    report.events = load.checkpoint.events - report.resumed_after;
    report.republished_events = load.sent.saturating_sub(report.events);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A load over as many connections as it takes.
struct Load<'a> {
    options: &'a RabbitOptions,
    progress: Arc<dyn Progress>,
    /// Where the load stands: moved on and saved as confirms come in, and
    /// where the next connection starts.
    checkpoint: Checkpoint,
    checkpoint_path: PathBuf,
    /// Events in the stream, for the error that stops the load part way.
    total: u64,
    /// The summary, added to by every connection however it ended.
    report: RabbitReport,
    /// Events handed to a publisher over every connection: more than the
    /// checkpoint moved by when a lost connection took unconfirmed ones
    /// with it and they went out again.
    sent: u64,
    /// Connections made.
    connections: u32,
}

impl Load<'_> {
    /// Publishes connection after connection until the stream is confirmed
    /// to its end. A first connection that fails is a wrong URL, a broker
    /// that is down or a port that is not RabbitMQ's: that is said at once.
    /// After one that worked, up to `options.reconnects` attempts in a row
    /// without progress, with backoff.
    async fn run(&mut self) -> Result<(), RabbitError> {
        let mut failures = 0u32;
        loop {
            let before = self.checkpoint.events;
            let error = match self.connection().await {
                Ok(()) => return Ok(()),
                Err(e) if self.connections == 0 => return Err(e),
                Err(e) => e,
            };
            if self.checkpoint.events > before {
                failures = 0;
            }
            if error.is_connection_loss() && failures < self.options.reconnects {
                failures += 1;
                let delay = backoff(failures);
                self.progress.reconnecting(&Retry {
                    addr: self.checkpoint.target.broker.clone(),
                    reason: error.reason(),
                    attempt: failures,
                    of: self.options.reconnects,
                    delay,
                });
                tokio::time::sleep(delay).await;
                self.progress.restarted_at(self.checkpoint.events);
                continue;
            }
            return Err(RabbitError::Stopped {
                cause: Box::new(error),
                events: self.checkpoint.events,
                total: self.total,
                checkpoint: self.checkpoint_path.clone(),
            });
        }
    }

    /// One connection's worth of publishing, from the checkpoint on,
    /// telling the progress when the broker blocks and unblocks it.
    async fn connection(&mut self) -> Result<(), RabbitError> {
        let merge = EventMerge::resume(&self.options.input, &self.checkpoint.position)?;
        let (connection, target) =
            connect_within(&self.options.amqp_url, self.options.connect_timeout).await?;
        self.connections += 1;
        let blocked = Arc::new(AtomicBool::new(false));
        let watcher = {
            use futures_util::StreamExt;
            let mut events = connection.events_listener();
            let progress = self.progress.clone();
            let blocked = blocked.clone();
            tokio::spawn(async move {
                while let Some(event) = events.next().await {
                    match event {
                        lapin::Event::ConnectionBlocked(reason) => {
                            blocked.store(true, Ordering::Relaxed);
                            progress.blocked(&reason);
                        }
                        lapin::Event::ConnectionUnblocked => {
                            blocked.store(false, Ordering::Relaxed);
                            progress.unblocked();
                        }
                        _ => {}
                    }
                }
            })
        };
        let result = self.publish(&connection, &target, merge, &blocked).await;
        watcher.abort();
        // Only a connection that did all its work is closed, and not for
        // long: everything is confirmed and saved by then. One that failed
        // is dropped instead, because lapin can wait forever for the
        // close-ok of a connection whose socket is already gone.
        if result.is_ok() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, connection.close(200, "done".into())).await;
        }
        result
    }

    /// Publishes the merge on `connection` to its end, and adds what was
    /// published to the report and `sent` whether that finished or failed.
    async fn publish(
        &mut self,
        connection: &Connection,
        target: &AmqpTarget,
        merge: EventMerge,
        blocked: &AtomicBool,
    ) -> Result<(), RabbitError> {
        let timeout = self.options.answer_timeout;
        let channels = tokio::time::timeout(
            timeout,
            publishing_channels(connection, target, self.options),
        )
        .await
        .map_err(|_| {
            silent(
                target,
                "opening channels and declaring the topology",
                timeout,
            )
        })??;
        let channels: Vec<AmqpChannel> = channels
            .into_iter()
            .map(|channel| AmqpChannel {
                channel,
                exchange: &self.options.exchange,
                target,
                answer_timeout: self.options.answer_timeout,
                blocked,
            })
            .collect();
        let base = self.checkpoint.events;
        let publisher = Publisher::new(
            &channels,
            &target.addr,
            self.options.confirm_window,
            &mut self.checkpoint,
            &self.checkpoint_path,
        );
        let mut events = PublishLoop {
            options: self.options,
            progress: self.progress.as_ref(),
            merge,
            publisher,
            batches: Batches::new(self.options.stream, self.options.batch.max(1)),
            base,
            sent: 0,
        };
        let result = events.run().await;
        // Counted however it ended, so that a summary after reconnects adds up.
        self.sent += events.sent;
        let counts = events.publisher.counts();
        self.report.messages += counts.messages;
        self.report.confirmed += counts.confirmed;
        self.report.retried += counts.retried;
        self.report.unroutable += counts.unroutable;
        self.report.body_bytes += counts.body_bytes;
        if result.is_ok() {
            // Closed here, before the connection: a channel only dropped
            // asks lapin to close it in the background, which then races
            // the connection's close and logs a "Connection error" at the
            // end of a load that went well.
            for c in &channels {
                let _ =
                    tokio::time::timeout(CLOSE_TIMEOUT, c.channel.close(200, "done".into())).await;
            }
        }
        result
    }
}

/// The events of one connection: the merge from the checkpoint on, made
/// into messages (one per event, or batches) and published through the
/// confirm window.
struct PublishLoop<'a, C: ConfirmChannel> {
    options: &'a RabbitOptions,
    progress: &'a dyn Progress,
    merge: EventMerge,
    publisher: Publisher<'a, C>,
    /// Each module's batch (or the stream's) being built, in batched mode.
    batches: Batches,
    /// Events the checkpoint held when this connection began: a mark says
    /// `base + sent`.
    base: u64,
    /// Events handed to the publisher on this connection.
    sent: u64,
}

impl<C: ConfirmChannel> PublishLoop<'_, C> {
    /// Publishes the merge to its end and waits for every confirm.
    async fn run(&mut self) -> Result<(), RabbitError> {
        let started = Instant::now();
        let per_event = self.options.batch <= 1;
        // A checkpoint mark every window's worth of messages: after a crash
        // at most about two windows of messages are published again.
        let mark_every = self.publisher.window() as u64;
        let mut messages_at_last_mark = 0u64;
        while let Some(event) = self.merge.next_framed()? {
            if let Some(rate) = self.options.max_events_per_sec {
                let due = started + Duration::from_secs_f64(self.sent as f64 / rate.max(1) as f64);
                tokio::time::sleep_until(due.into()).await;
            }
            self.sent += 1;
            if per_event {
                let message = event_message(event, self.options.stream);
                self.publisher.publish(message).await?;
            } else {
                for message in self.batches.add(event) {
                    self.publisher.publish(message).await?;
                }
            }
            if self.publisher.counts().messages - messages_at_last_mark >= mark_every {
                // A position is only safe once no event before it waits in
                // a batch.
                self.flush().await?;
                messages_at_last_mark = self.publisher.counts().messages;
                self.mark();
            }
            if self.sent.is_multiple_of(1024) {
                self.progress.events(1024);
                self.tell_window();
                self.tell_parts_read();
            }
        }
        self.flush().await?;
        self.mark();
        self.progress.events(self.sent % 1024);
        self.tell_parts_read();
        self.tell_window();
        self.publisher.drain().await?;
        self.tell_window();
        Ok(())
    }

    /// Tells the progress the messages published so far and those unconfirmed.
    fn tell_window(&self) {
        self.progress.messages(
            self.publisher.counts().messages,
            self.publisher.unconfirmed() as u64,
        );
    }

    /// Tells the progress the parts the merge read to their end.
    fn tell_parts_read(&mut self) {
        for part in self.merge.take_parts_read() {
            self.progress.part_read(part.table, part.part, part.bytes);
        }
    }

    /// Publishes every batch not empty.
    async fn flush(&mut self) -> Result<(), RabbitError> {
        for message in self.batches.take_all() {
            self.publisher.publish(message).await?;
        }
        Ok(())
    }

    /// Marks the merge's position: everything published so far covers it.
    fn mark(&mut self) {
        self.publisher
            .mark(self.merge.position(), self.base + self.sent);
    }
}

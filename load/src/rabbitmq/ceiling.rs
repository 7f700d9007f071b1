//! The ceiling the benches measure the loader against: the same messages,
//! confirm window, exchange and queues, published in a tight loop with
//! nothing else to do.

use super::batch::Batches;
use super::connect::connect_within;
use super::errors::{RabbitError, broker};
use super::message::event_message;
use super::options::{RabbitOptions, check_options};
use super::topology::publishing_channels;
use crate::merge::EventMerge;
use lapin::PublisherConfirm;
use lapin::options::BasicPublishOptions;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

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
    let mut batches = Batches::new(options.stream, batch);
    let mut events = 0u64;
    let mut merge = EventMerge::open(&options.input)?;
    while let Some(event) = merge.next_framed()? {
        if events == max_events {
            break;
        }
        events += 1;
        if batch == 1 {
            messages.push(event_message(event, options.stream));
            continue;
        }
        messages.extend(batches.add(event));
    }
    messages.extend(batches.take_all());
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

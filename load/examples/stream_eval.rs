//! How a RabbitMQ stream (`x-queue-type: stream`) takes an event stream:
//! one copy of every event, per event or in batches, with confirms.
//!
//!     cargo run --release -p pancake-load --example stream_eval -- EVENTS BATCH
//!
//! Declares a fresh stream bound to every kind and batch key, publishes,
//! reports events/s and the stream's size on disk as the broker counts it,
//! then deletes it.

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, ExchangeKind};
use pancake_load::EventMerge;
use pancake_proto::events::EventBatch;
use pancake_proto::names::kind_name;
use prost::Message as _;
use std::collections::VecDeque;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or("usage: stream_eval EVENTS BATCH")?;
    let batch: usize = args.next().unwrap_or_else(|| "1".into()).parse()?;
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| pancake_load::rabbitmq::DEFAULT_AMQP_URL.into());
    let tag = format!("stream-eval-{}", std::process::id());
    let (connection, _) = pancake_load::rabbitmq::connect(&url).await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    channel
        .exchange_declare(
            tag.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("stream")),
    );
    channel
        .queue_declare(
            tag.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            arguments,
        )
        .await?;
    channel
        .queue_bind(
            tag.as_str().into(),
            tag.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    // One copy of each event: every event once, batched or not.
    let mut messages: Vec<(String, Vec<u8>)> = Vec::new();
    let mut pending = EventBatch::default();
    let mut events = 0u64;
    for event in EventMerge::open(std::path::Path::new(&input))? {
        let event = event?;
        events += 1;
        if batch == 1 {
            messages.push((kind_name(event.kind()).to_owned(), event.encode_to_vec()));
        } else {
            pending.events.push(event);
            if pending.events.len() == batch {
                messages.push(("batch.all".into(), pending.encode_to_vec()));
                pending.events.clear();
            }
        }
    }
    if !pending.events.is_empty() {
        messages.push(("batch.all".into(), pending.encode_to_vec()));
    }
    let bytes: usize = messages.iter().map(|m| m.1.len()).sum();
    let started = Instant::now();
    let mut in_flight = VecDeque::new();
    for (key, body) in &messages {
        if in_flight.len() >= 1000 {
            let confirm: lapin::PublisherConfirm = in_flight.pop_front().unwrap();
            confirm.await?;
        }
        in_flight.push_back(
            channel
                .basic_publish(
                    tag.as_str().into(),
                    key.as_str().into(),
                    BasicPublishOptions::default(),
                    body,
                    BasicProperties::default().with_delivery_mode(2),
                )
                .await?,
        );
    }
    for confirm in in_flight {
        confirm.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "stream, batch {batch:>5}: {events} events in {} messages ({:.0} MB), {secs:.2} s: {:.0} events/s, {:.0} messages/s",
        messages.len(),
        bytes as f64 / 1e6,
        events as f64 / secs,
        messages.len() as f64 / secs
    );
    channel
        .queue_delete(tag.as_str().into(), Default::default())
        .await?;
    channel
        .exchange_delete(tag.as_str().into(), Default::default())
        .await?;
    Ok(())
}

//! The bare-publisher ceiling beside a real load, for one batch size:
//!
//!     cargo run --release -p pancake-load --example publish_ceiling -- EVENTS BATCH [CHANNELS]
//!
//! Declares fresh queues for each run and deletes them afterwards.

use pancake_load::rabbitmq::{self, RabbitOptions};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or("usage: publish_ceiling EVENTS BATCH")?;
    let batch: usize = args.next().unwrap_or_else(|| "1".into()).parse()?;
    let channels: usize = args.next().unwrap_or_else(|| "1".into()).parse()?;
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| pancake_load::rabbitmq::DEFAULT_AMQP_URL.into());
    for (what, loader) in [("bare publisher", false), ("pancake load", true)] {
        let tag = format!("ceiling-{}-{batch}-{loader}", std::process::id());
        let mut options = RabbitOptions::new(input.clone().into(), url.clone());
        options.exchange = format!("{tag}.x");
        options.queue_prefix = tag.clone();
        options.declare_queues = true;
        options.batch = batch;
        options.channels = channels;
        let (events, messages, secs) = if loader {
            let r = rabbitmq::load(&options, Arc::new(())).await?;
            let _ = rabbitmq::Checkpoint::path(&options).map(std::fs::remove_file);
            (r.events, r.messages, r.elapsed.as_secs_f64())
        } else {
            let r = rabbitmq::bare_publish(&options).await?;
            (r.events, r.messages, r.elapsed.as_secs_f64())
        };
        println!(
            "batch {batch:>5} channels {channels} {what:<15} {events} events in {messages} messages, {secs:.2} s: {:.0} events/s, {:.0} messages/s",
            events as f64 / secs,
            messages as f64 / secs
        );
        let (connection, _) = rabbitmq::connect(&url).await?;
        let channel = connection.create_channel().await?;
        rabbitmq::delete_topology(&channel, &options.exchange, &tag).await?;
    }
    Ok(())
}

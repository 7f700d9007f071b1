//! Where messages go: the durable topic exchange, one durable queue per
//! module bound to the kinds it consumes and to its batch key (or the one
//! stream every module reads), and the channels that publish with confirms.

use super::errors::{RabbitError, broker};
use super::options::RabbitOptions;
use super::url::AmqpTarget;
use crate::modules::{MODULES, ModuleSpec, prefixed};
use lapin::options::{
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, Connection, ExchangeKind};
use pancake_proto::names::kind_name;

/// The stream as a batch target: every kind, one copy.
pub const STREAM: ModuleSpec = ModuleSpec {
    name: "stream",
    about: "every event once, replayable: each module reads at its own offset",
    kinds: &pancake_proto::names::EVENT_KINDS,
    // Never loaded into PostgreSQL; the audit module is its counterpart.
    postgres: &crate::postgres::project::AUDIT,
};

/// The queue of a module, `<prefix>_<module>` (or of the stream,
/// `<prefix>_stream`): named as its database is, by [`prefixed`].
pub fn queue_name(prefix: &str, module: &ModuleSpec) -> String {
    prefixed(prefix, module.name)
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
pub(super) async fn publishing_channels(
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

/// Deletes the module queues `<prefix>_<module>` and the exchange: what
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_are_named_as_databases_are() {
        let profile = ModuleSpec::by_name("profile").unwrap();
        assert_eq!(queue_name("pancake", profile), "pancake_profile");
        assert_eq!(queue_name("nc_", profile), "nc_profile");
        assert_eq!(queue_name("nc.", profile), "nc_profile");
        assert_eq!(queue_name("", profile), "profile");
        assert_eq!(queue_name("pancake", &STREAM), "pancake_stream");
    }
}

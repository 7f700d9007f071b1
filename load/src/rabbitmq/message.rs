//! An event as one persistent message: routed by its kind (or into the
//! stream), with its id, kind, time and member in the properties.

use crate::merge::FramedEvent;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use pancake_proto::events::uuid_text;
use pancake_proto::names::kind_name;

/// The schema consumers decode bodies with, in the `schema-version` header.
pub const SCHEMA_VERSION: &str = pancake_proto::events::CONTRACT;

/// A message to publish, kept until its confirm arrives, to publish again
/// on a nack.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    /// Which module's batch this is (0 for per-event and stream messages):
    /// messages of one lane keep to one channel, in order.
    pub(super) lane: usize,
    pub(super) routing_key: String,
    pub(super) body: Vec<u8>,
    pub(super) properties: BasicProperties,
}

pub(super) fn header_table(pairs: &[(&str, AMQPValue)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (k, v) in pairs {
        table.insert(ShortString::from(*k), v.clone());
    }
    table
}

pub(super) fn base_properties() -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/x-protobuf".into())
        .with_delivery_mode(2)
        .with_app_id("pancake".into())
}

/// One event as one message: its body the event's bytes as the stream
/// holds them.
pub(super) fn event_message(event: &FramedEvent, stream: bool) -> Outgoing {
    let head = event.head();
    let kind = kind_name(head.kind());
    let properties = base_properties()
        .with_message_id(uuid_text(&head.event_id).as_str().into())
        .with_type(kind.into())
        .with_timestamp(head.occurred_at.map_or(0, |t| t.seconds.max(0) as u64))
        .with_headers(header_table(&[
            (
                "schema-version",
                AMQPValue::LongString(LongString::from(SCHEMA_VERSION)),
            ),
            (
                "member-id",
                AMQPValue::LongString(LongString::from(uuid_text(&head.member_id))),
            ),
        ]));
    Outgoing {
        lane: 0,
        routing_key: if stream {
            format!("stream.{kind}")
        } else {
            kind.to_owned()
        },
        body: event.frame().to_vec(),
        properties,
    }
}

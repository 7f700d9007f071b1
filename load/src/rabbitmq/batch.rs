//! Batched mode: each module's events (or the stream's) as `EventBatch`
//! messages of up to N events, routed to its queue alone.

use super::message::{Outgoing, SCHEMA_VERSION, base_properties, header_table};
use super::topology::{STREAM, batch_key};
use crate::merge::FramedEvent;
use crate::modules::{MODULES, ModuleSpec};
use lapin::types::{AMQPValue, LongString};
use pancake_proto::events::uuid_text;

/// Every target's batch being built: each module's, or the stream's alone.
pub(super) struct Batches {
    /// Whom the batches are for: batch `i` is `targets[i]`'s, and goes out
    /// on lane `i`.
    targets: &'static [ModuleSpec],
    open: Vec<Batch>,
    /// Events per message.
    size: usize,
}

impl Batches {
    /// Empty batches of `size` events for every module, or for the stream.
    pub(super) fn new(stream: bool, size: usize) -> Batches {
        let targets: &'static [ModuleSpec] = if stream {
            std::slice::from_ref(&STREAM)
        } else {
            MODULES
        };
        Batches {
            targets,
            open: targets.iter().map(|_| Batch::default()).collect(),
            size,
        }
    }

    /// Adds `event` to the batch of every target that consumes it; returns
    /// the messages of batches that became full.
    pub(super) fn add(&mut self, event: &FramedEvent) -> Vec<Outgoing> {
        let kind = event.head().kind();
        let mut full = Vec::new();
        for (lane, (module, batch)) in self.targets.iter().zip(&mut self.open).enumerate() {
            if module.consumes(kind) {
                batch.push(event);
                if batch.count == self.size {
                    full.push(batch.take(lane, module));
                }
            }
        }
        full
    }

    /// The messages of every batch not empty, leaving them empty.
    pub(super) fn take_all(&mut self) -> Vec<Outgoing> {
        self.targets
            .iter()
            .zip(&mut self.open)
            .enumerate()
            .filter(|(_, (_, b))| b.count > 0)
            .map(|(lane, (m, b))| b.take(lane, m))
            .collect()
    }
}

/// A module's batch being built. Its `EventBatch` body is written as it
/// grows: each event's bytes, as the stream holds them, appended as field 1
/// (a protobuf message is the concatenation of its fields, and `repeated
/// Event` is field 1 once per event), so an event is neither decoded whole
/// nor encoded again, however many modules take it.
#[derive(Default)]
struct Batch {
    body: Vec<u8>,
    count: usize,
    /// The first event's id, for the message id.
    first_id: Vec<u8>,
    first_time: u64,
}

impl Batch {
    fn push(&mut self, event: &FramedEvent) {
        let (head, frame) = (event.head(), event.frame());
        if self.count == 0 {
            self.first_id.clone_from(&head.event_id);
            self.first_time = head.occurred_at.map_or(0, |t| t.seconds.max(0) as u64);
        }
        prost::encoding::encode_key(
            1,
            prost::encoding::WireType::LengthDelimited,
            &mut self.body,
        );
        prost::encoding::encode_varint(frame.len() as u64, &mut self.body);
        self.body.extend_from_slice(frame);
        self.count += 1;
    }

    /// The batch as one message for `module`, leaving the batch empty.
    fn take(&mut self, lane: usize, module: &ModuleSpec) -> Outgoing {
        let properties = base_properties()
            .with_message_id(
                format!("batch:{}:{}", module.name, uuid_text(&self.first_id))
                    .as_str()
                    .into(),
            )
            .with_type("event-batch".into())
            .with_timestamp(self.first_time)
            .with_headers(header_table(&[
                (
                    "schema-version",
                    AMQPValue::LongString(LongString::from(SCHEMA_VERSION)),
                ),
                (
                    "module",
                    AMQPValue::LongString(LongString::from(module.name)),
                ),
                ("events", AMQPValue::LongLongInt(self.count as i64)),
            ]));
        self.count = 0;
        // The body goes to the publisher, which keeps it until confirmed;
        // the next one starts as big as this one was, so that it is not
        // grown (and copied) again and again on the way there.
        let next = Vec::with_capacity(self.body.len() + self.body.len() / 8);
        Outgoing {
            lane,
            routing_key: batch_key(module),
            body: std::mem::replace(&mut self.body, next),
            properties,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pancake_proto::events::{Event, EventBatch, EventKind};
    use prost::Message as _;

    fn event(id: &str, kind: EventKind) -> Event {
        Event {
            event_id: id.into(),
            kind: kind as i32,
            member_id: "m".into(),
            ..Event::default()
        }
    }

    #[test]
    fn a_batch_body_decodes_as_the_events_each_module_consumes() {
        let events = [
            event("a", EventKind::MemberRegistered),
            event("b", EventKind::MessageSent),
            event("c", EventKind::MemberBlocked),
            event("d", EventKind::FavoriteAdded),
        ];
        let mut batches = Batches::new(false, 3);
        let mut messages = Vec::new();
        for e in &events {
            let framed = FramedEvent::from_frame(&e.encode_to_vec()).unwrap();
            messages.extend(batches.add(&framed));
        }
        messages.extend(batches.take_all());
        for module in MODULES {
            let want: Vec<&Event> = events
                .iter()
                .filter(|e| module.consumes(e.kind()))
                .collect();
            let got: Vec<Event> = messages
                .iter()
                .filter(|m| m.routing_key == batch_key(module))
                .flat_map(|m| EventBatch::decode(m.body.as_slice()).unwrap().events)
                .collect();
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{}", module.name);
        }
        // audit takes all four: one full batch of 3, then 1.
        let audit: Vec<_> = messages
            .iter()
            .filter(|m| m.routing_key == "batch.audit")
            .collect();
        assert_eq!(audit.len(), 2);
        assert!(batches.take_all().is_empty());
    }
}

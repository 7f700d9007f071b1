//! An event as the merge hands it out: the bytes the part holds, and only
//! the fields the merge order and a message's routing and properties need,
//! decoded from them.
//!
//! A RabbitMQ load publishes the bytes as they are (a batch's body is their
//! concatenation), so it never decodes an event's payload, let alone
//! re-encodes it. Loaders that need the whole event decode it from the
//! bytes ([`FramedEvent::event`]).

use pancake_proto::events::{Event, EventKind};
use pancake_proto::record::timestamp_micros;
use prost::Message as _;

/// The first four fields of [`Event`], decoded alone: prost skips the
/// others (source, payload) without building them.
///
/// The ids are `bytes`, so that a head decodes from the UUID text ids of
/// the v1 contract and from the 16-byte ids of v2 alike: both are
/// length-delimited on the wire.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EventHead {
    #[prost(bytes = "vec", tag = "1")]
    pub event_id: Vec<u8>,
    #[prost(enumeration = "EventKind", tag = "2")]
    pub kind: i32,
    #[prost(message, optional, tag = "3")]
    pub occurred_at: Option<prost_types::Timestamp>,
    #[prost(bytes = "vec", tag = "4")]
    pub member_id: Vec<u8>,
}

impl EventHead {
    /// `Message::merge` from an encoded event, except that the ids are
    /// copied once into the buffers the head already has: prost's own
    /// `bytes` decoding goes through a fresh `Bytes` first, an allocation
    /// per id and per event. Every other field, and any id field that is
    /// not well formed, is prost's to decode (or skip, or refuse).
    fn merge_frame(&mut self, frame: &[u8]) -> Result<(), prost::DecodeError> {
        use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint};
        let mut buf = frame;
        while !buf.is_empty() {
            let (tag, wire_type) = decode_key(&mut buf)?;
            let id = match tag {
                1 => Some(&mut self.event_id),
                4 => Some(&mut self.member_id),
                _ => None,
            };
            if let Some(id) = id
                && wire_type == WireType::LengthDelimited
            {
                let mut rest = buf;
                if let Ok(len) = decode_varint(&mut rest)
                    && let Some(bytes) = rest.get(..len as usize)
                {
                    id.clear();
                    id.extend_from_slice(bytes);
                    buf = &rest[bytes.len()..];
                    continue;
                }
            }
            self.merge_field(tag, wire_type, &mut buf, DecodeContext::default())?;
        }
        Ok(())
    }

    /// The event's time in µs, if it has one.
    pub fn time(&self) -> Option<i64> {
        self.occurred_at.as_ref().map(timestamp_micros)
    }

    /// The order of an event stream (see
    /// [`event_order`](pancake_proto::record::event_order)): by time, at one
    /// instant a registration first, then by event id. Ids compare as
    /// bytes, which for UUID text is the order of the text and for 16-byte
    /// ids the order of their lowercase hex, so v1 and v2 streams of one
    /// dump merge in the same order.
    pub fn order(&self) -> (i64, bool, &[u8]) {
        (
            self.time().unwrap_or(i64::MIN),
            self.kind != EventKind::MemberRegistered as i32,
            &self.event_id,
        )
    }
}

/// One event of the merge: its encoding as read from the part, and its
/// head decoded from that.
#[derive(Debug, Clone, Default)]
pub struct FramedEvent {
    pub(super) head: EventHead,
    pub(super) frame: Vec<u8>,
}

impl FramedEvent {
    pub fn head(&self) -> &EventHead {
        &self.head
    }

    /// The encoded [`Event`], exactly as the part holds it.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// The whole event, decoded from the frame.
    pub fn event(&self) -> Result<Event, prost::DecodeError> {
        Event::decode(self.frame.as_slice())
    }

    /// The event encoded in `frame`, with its head decoded.
    pub fn from_frame(frame: &[u8]) -> Result<FramedEvent, prost::DecodeError> {
        let mut event = FramedEvent::default();
        event.fill(frame)?;
        Ok(event)
    }

    /// Takes `frame` as this event's, reusing the buffers it already has
    /// (the merge keeps one per open run and the one last yielded).
    pub(super) fn fill(&mut self, frame: &[u8]) -> Result<(), prost::DecodeError> {
        self.frame.clear();
        self.frame.extend_from_slice(frame);
        self.decode_head()
    }

    /// Decodes the head of the frame in place, reusing the head's buffers.
    pub(super) fn decode_head(&mut self) -> Result<(), prost::DecodeError> {
        self.head.clear();
        self.head.merge_frame(&self.frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pancake_proto::events::{EventKind, FlirtSent, LegacySource, event, uuid_text};
    use pancake_proto::record::micros_timestamp;

    const EVENT_UUID: &str = "0b9e6c2a-4f1d-5a3e-9c7b-2d8f1e0a6b5c";
    const MEMBER_UUID: &str = "7f3a1c9e-2b4d-5e6f-8a0b-1c2d3e4f5a6b";

    /// An encoded flirt with every field set, so that skipping the rest is
    /// tested, and with the ids given as they go on the wire: the head's
    /// fields encoded, then the rest of an `Event`. Built so, this test
    /// does not depend on which contract (text or bytes ids) the build has.
    fn flirt(event_id: &[u8], member_id: &[u8]) -> Vec<u8> {
        let head = EventHead {
            event_id: event_id.to_vec(),
            kind: EventKind::FlirtSent as i32,
            occurred_at: Some(micros_timestamp(1_700_000_000_123_456)),
            member_id: member_id.to_vec(),
        };
        let rest = Event {
            source: Some(LegacySource {
                table: "flirts".into(),
                key: 7,
            }),
            payload: Some(event::Payload::FlirtSent(FlirtSent {
                recipient_id: MEMBER_UUID.into(),
                note: Some("hello".into()),
                ..FlirtSent::default()
            })),
            ..Event::default()
        };
        let mut bytes = head.encode_to_vec();
        rest.encode(&mut bytes).unwrap();
        bytes
    }

    fn check_head(framed: &FramedEvent, event_id: &[u8], member_id: &[u8]) {
        let head = framed.head();
        assert_eq!(head.event_id, event_id);
        assert_eq!(head.member_id, member_id);
        assert_eq!(head.kind(), EventKind::FlirtSent);
        assert_eq!(head.time(), Some(1_700_000_000_123_456));
    }

    #[test]
    fn a_head_decodes_from_a_v1_event_with_text_ids() {
        let bytes = flirt(EVENT_UUID.as_bytes(), MEMBER_UUID.as_bytes());
        let mut framed = FramedEvent::default();
        framed.fill(&bytes).unwrap();
        check_head(&framed, EVENT_UUID.as_bytes(), MEMBER_UUID.as_bytes());
        assert_eq!(framed.frame(), bytes.as_slice());
        // The whole event decodes from the same bytes, and is the same.
        assert_eq!(framed.event().unwrap().encode_to_vec(), bytes);
    }

    #[test]
    fn a_head_decodes_from_a_v2_event_with_16_byte_ids() {
        let event_id = uuid::Uuid::parse_str(EVENT_UUID).unwrap();
        let member_id = uuid::Uuid::parse_str(MEMBER_UUID).unwrap();
        let bytes = flirt(event_id.as_bytes(), member_id.as_bytes());
        let mut framed = FramedEvent::default();
        // What an earlier, longer event left in the buffers must not leak
        // into this one.
        framed
            .fill(&flirt(b"a v1 id, much longer than 16 bytes", b"m"))
            .unwrap();
        framed.fill(&bytes).unwrap();
        check_head(&framed, event_id.as_bytes(), member_id.as_bytes());
        assert_eq!(uuid_text(&framed.head().event_id), EVENT_UUID);
        assert_eq!(uuid_text(&framed.head().member_id), MEMBER_UUID);
        assert_eq!(framed.frame(), bytes.as_slice());
    }

    #[test]
    fn a_frame_that_is_no_event_is_a_decode_error_as_prost_says() {
        for frame in [
            // Field 1, length-delimited, claiming 100 bytes of 2.
            &[0x0a, 100, 1, 2][..],
            // Field 4 as a varint.
            &[0x20, 1],
            // A length that does not end.
            &[0x22, 0xff],
            // Field 3, a timestamp cut short.
            &[0x1a, 4, 8],
        ] {
            let mut framed = FramedEvent::default();
            let ours = framed.fill(frame).unwrap_err();
            let prost = EventHead::decode(frame).unwrap_err();
            assert_eq!(ours.to_string(), prost.to_string(), "{frame:?}");
        }
    }

    #[test]
    fn a_head_decodes_as_prost_decodes_it() {
        let bytes = flirt(EVENT_UUID.as_bytes(), MEMBER_UUID.as_bytes());
        // An id given twice: the last one wins, as in protobuf.
        let mut twice = bytes.clone();
        twice.extend_from_slice(&[0x0a, 2, b'i', b'd']);
        for frame in [bytes, twice, Vec::new()] {
            let mut framed = FramedEvent::default();
            framed.fill(&frame).unwrap();
            assert_eq!(*framed.head(), EventHead::decode(frame.as_slice()).unwrap());
        }
    }

    #[test]
    fn ids_order_as_bytes_the_way_their_hex_text_does() {
        let ids = [
            "00000000-0000-5000-8000-000000000000",
            "0fffffff-ffff-5fff-bfff-ffffffffffff",
            "10000000-0000-5000-8000-000000000000",
            "a0000000-0000-5000-8000-000000000000",
            "ffffffff-ffff-5fff-bfff-ffffffffffff",
        ];
        let bytes: Vec<[u8; 16]> = ids
            .iter()
            .map(|id| *uuid::Uuid::parse_str(id).unwrap().as_bytes())
            .collect();
        assert!(ids.is_sorted());
        assert!(bytes.is_sorted());
    }
}

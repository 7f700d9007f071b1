//! An event's payload for the audit log: the protobuf bytes of an `Event`
//! holding only its payload (the audit columns hold the rest). A third the
//! size of the JSON it replaces for the ids, and no second encoder to keep
//! in step with the contract: `Event::decode(bytes).payload` reads it back.

use pancake_proto::events::Event;

/// The payload as the bytes of an `Event` with no other field set: the
/// oneof is encoded with its field tag, as in the whole event's encoding.
pub fn payload_bytes(event: &Event) -> Vec<u8> {
    match &event.payload {
        None => Vec::new(),
        Some(payload) => {
            let mut bytes = Vec::with_capacity(payload.encoded_len());
            payload.encode(&mut bytes);
            bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pancake_proto::events::{MessageSent, event::Payload};
    use prost::Message as _;

    #[test]
    fn the_payload_decodes_to_the_same_payload_and_nothing_else() {
        let event = Event {
            event_id: vec![0x01; 16],
            member_id: vec![0x02; 16],
            payload: Some(Payload::MessageSent(MessageSent {
                message_id: vec![0x0a; 16],
                thread_id: vec![0x0b; 16],
                recipient_id: vec![0x0c; 16],
                body: "say \"hi\"\\ \n\t\u{1}\0🥞".into(),
                subject: Some("re: pancakes".into()),
                deleted_by_sender: false,
                deleted_by_recipient: true,
            })),
            ..Event::default()
        };
        let back = Event::decode(payload_bytes(&event).as_slice()).unwrap();
        assert_eq!(back.payload, event.payload);
        assert_eq!(
            back,
            Event {
                payload: event.payload.clone(),
                ..Event::default()
            }
        );
        assert!(payload_bytes(&Event::default()).is_empty());
    }
}

//! Any record as JSON, through the descriptors: `inspect` prints records of
//! every type without code per type.
//!
//! The output is protobuf's JSON mapping with the .proto field names, 64-bit
//! integers as numbers and timestamps in RFC 3339; but an event's ids (its
//! 16-byte `*_id` fields) show as UUID text, not as base64.

use prost_reflect::{DynamicMessage, SerializeOptions};

/// Decodes `bytes` as the message `record_type` and renders it as JSON.
pub fn record_to_json(record_type: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    let descriptor = crate::descriptor_pool()
        .get_message_by_name(record_type)
        .ok_or_else(|| format!("unknown record type {record_type}"))?;
    let message = DynamicMessage::decode(descriptor, bytes)
        .map_err(|e| format!("does not decode as {record_type}: {e}"))?;
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .stringify_64_bit_integers(false);
    let mut json = message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|e| format!("cannot render as JSON: {e}"))?;
    if record_type.starts_with(crate::events::CONTRACT) {
        show_ids(&message, &mut json);
    }
    if record_type == <crate::events::Reject as crate::Record>::TYPE_NAME {
        show_rejected_row(bytes, &mut json);
    }
    Ok(json)
}

/// Replaces the base64 of every `*_id` bytes field, in `message` and the
/// messages it holds, by the UUID text people search logs and databases for.
fn show_ids(message: &DynamicMessage, json: &mut serde_json::Value) {
    for (field, value) in message.fields() {
        let Some(slot) = json.get_mut(field.name()) else {
            continue;
        };
        match value {
            prost_reflect::Value::Bytes(bytes) if field.name().ends_with("_id") => {
                *slot = crate::events::uuid_text(bytes).into();
            }
            prost_reflect::Value::Message(inner) => show_ids(inner, slot),
            _ => {}
        }
    }
}

/// A reject keeps its row as encoded bytes; people want to read the row.
fn show_rejected_row(bytes: &[u8], json: &mut serde_json::Value) {
    use prost::Message as _;
    let Ok(reject) = crate::events::Reject::decode(bytes) else {
        return;
    };
    let Some(table) = crate::LegacyTable::from_name(&reject.table) else {
        return;
    };
    if let Ok(row) = record_to_json(table.record_type(), &reject.row) {
        json["row"] = row;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::{Member, RawText};
    use prost::Message as _;

    #[test]
    fn a_rejects_row_shows_as_the_legacy_record() {
        use crate::events::{Reject, RejectReason};
        use crate::legacy::Flirt;
        use prost::Message as _;
        let row = Flirt {
            flirt_id: 9,
            sender_id: Some(4),
            ..Flirt::default()
        };
        let reject = Reject {
            table: "flirts".into(),
            key: 9,
            reason: RejectReason::NullRequired as i32,
            column: "recipient_id".into(),
            row: row.encode_to_vec(),
            ..Reject::default()
        };
        let json = record_to_json("pancake.events.v2.Reject", &reject.encode_to_vec()).unwrap();
        assert_eq!(json["row"]["flirt_id"], 9);
        assert_eq!(json["row"]["sender_id"], 4);
        assert_eq!(json["reason"], "REJECT_REASON_NULL_REQUIRED");
    }

    #[test]
    fn a_member_renders_with_proto_names_and_rfc3339_times() {
        let member = Member {
            member_id: 7,
            nickname: Some("Äijä 😀".into()),
            registered_at: Some(prost_types::Timestamp {
                seconds: 1_500_000_000,
                nanos: 0,
            }),
            raw_texts: vec![RawText {
                column: "nickname".into(),
                utf16le: vec![0x00, 0xd8],
            }],
            ..Member::default()
        };
        let json = record_to_json("pancake.legacy.v1.Member", &member.encode_to_vec()).unwrap();
        assert_eq!(json["member_id"], 7);
        assert_eq!(json["nickname"], "Äijä 😀");
        assert_eq!(json["registered_at"], "2017-07-14T02:40:00Z");
        assert_eq!(json["raw_texts"][0]["column"], "nickname");
        assert!(json.get("city").is_none(), "a NULL column stays absent");
    }

    #[test]
    fn an_events_ids_show_as_uuid_text() {
        use crate::events::{Event, MessageRead, event::Payload};
        let event = Event {
            event_id: vec![0x11; 16],
            member_id: vec![0xab; 16],
            payload: Some(Payload::MessageRead(MessageRead {
                message_id: vec![0; 16],
                thread_id: b"short".to_vec(),
                sender_id: vec![0xff; 16],
            })),
            ..Event::default()
        };
        let json = record_to_json("pancake.events.v2.Event", &event.encode_to_vec()).unwrap();
        assert_eq!(json["event_id"], "11111111-1111-1111-1111-111111111111");
        assert_eq!(json["member_id"], "abababab-abab-abab-abab-abababababab");
        let read = &json["message_read"];
        assert_eq!(read["message_id"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(
            read["thread_id"], "0x73686f7274",
            "not a UUID: shown as hex"
        );
        assert_eq!(read["sender_id"], "ffffffff-ffff-ffff-ffff-ffffffffffff");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(record_to_json("pancake.legacy.v1.Member", &[0xff, 0xff, 0xff]).is_err());
        assert!(record_to_json("no.such.Type", &[]).is_err());
    }
}

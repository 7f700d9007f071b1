//! Any record as JSON, through the descriptors: `inspect` prints records of
//! every type without code per type.
//!
//! The output is protobuf's JSON mapping with the .proto field names, 64-bit
//! integers as numbers and timestamps in RFC 3339.

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
    if record_type == <crate::events::Reject as crate::Record>::TYPE_NAME {
        show_rejected_row(bytes, &mut json);
    }
    Ok(json)
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
        let json = record_to_json("pancake.events.v1.Reject", &reject.encode_to_vec()).unwrap();
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
    fn garbage_is_an_error_not_a_panic() {
        assert!(record_to_json("pancake.legacy.v1.Member", &[0xff, 0xff, 0xff]).is_err());
        assert!(record_to_json("no.such.Type", &[]).is_err());
    }
}

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
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|e| format!("cannot render as JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::{Member, RawText};
    use prost::Message as _;

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

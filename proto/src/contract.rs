//! The event contract's version, and its ids as 16 bytes.
//!
//! Contract v2 (`pancake.events.v2`) carries every id as the 16 bytes of a
//! UUID; v1 carried the 36 characters of its text. A stage of this build
//! reads v2 only: a v1 stream is refused with [`EventContractError`], which
//! says to re-run transform (the dump needs nothing).

use std::path::{Path, PathBuf};

/// The event contract this build writes and reads: the protobuf package of
/// [`crate::events`], named in manifests (record types), part headers and
/// the `schema-version` header of RabbitMQ messages.
pub const CONTRACT: &str = "pancake.events.v2";

/// An event stream written with another event contract than this build's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: it holds {record_type} records, of event contract {found}, but this pancake reads only {CONTRACT}: re-run `pancake transform` on the dump it came from to write the stream again (the dump itself needs nothing)", .path.display())]
pub struct EventContractError {
    /// The stream folder or part file.
    pub path: PathBuf,
    /// The other contract's package, e.g. `pancake.events.v1`.
    pub found: String,
    pub record_type: String,
}

/// Refuses `record_type` (of a manifest table or a part header at `path`)
/// when it is an event type of another contract than [`CONTRACT`]. Any other
/// type passes: whether it is the one expected is the caller's check.
pub fn check_contract(path: &Path, record_type: &str) -> Result<(), EventContractError> {
    let Some((package, _)) = record_type.rsplit_once('.') else {
        return Ok(());
    };
    if package.starts_with("pancake.events.") && package != CONTRACT {
        return Err(EventContractError {
            path: path.to_path_buf(),
            found: package.to_owned(),
            record_type: record_type.to_owned(),
        });
    }
    Ok(())
}

impl crate::Manifest {
    /// Refuses the manifest (of the stream folder `dir`) when a table or
    /// sidecar of it holds records of another event contract: checked
    /// before a stage touches anything, so nothing is done for a stream it
    /// will not read.
    pub fn check_contract(&self, dir: &Path) -> Result<(), EventContractError> {
        for table in self.tables.iter().chain(&self.sidecars) {
            check_contract(dir, &table.record_type)?;
        }
        Ok(())
    }
}

/// `event` in contract v1's form: the same event with every id as UUID
/// text (a kind v1 did not have, such as search-profile-set, keeps its
/// number and loses its payload). For comparing a v2 stream with a v1 stream of the same dump, and
/// for tests that check rows against events as PostgreSQL shows them (ids
/// as text).
pub fn to_v1(event: &crate::events::Event) -> crate::events_v1::Event {
    use prost::Message as _;
    use prost_reflect::{DynamicMessage, ReflectMessage as _, Value};
    fn convert(v2: &DynamicMessage, v1: &mut DynamicMessage) {
        for (field, value) in v2.fields() {
            // What v1 never had (search-profile-set's payload) is left out.
            let Some(in_v1) = v1.descriptor().get_field_by_name(field.name()) else {
                continue;
            };
            let value = match value {
                Value::Bytes(bytes) if field.name().ends_with("_id") => {
                    Value::String(uuid_text(bytes))
                }
                Value::Message(inner) => {
                    let descriptor = in_v1
                        .kind()
                        .as_message()
                        .cloned()
                        .expect("a message field in v2 is one in v1");
                    let mut out = DynamicMessage::new(descriptor);
                    convert(inner, &mut out);
                    Value::Message(out)
                }
                other => other.clone(),
            };
            v1.set_field_by_name(field.name(), value);
        }
    }
    let pool = crate::descriptor_pool();
    let message = |name: &str| pool.get_message_by_name(name).expect("compiled in");
    let v2 = DynamicMessage::decode(
        message("pancake.events.v2.Event"),
        event.encode_to_vec().as_slice(),
    )
    .expect("an encoded event decodes");
    let mut v1 = DynamicMessage::new(message("pancake.events.v1.Event"));
    convert(&v2, &mut v1);
    crate::events_v1::Event::decode(v1.encode_to_vec().as_slice())
        .expect("a v1 event made from the descriptors decodes")
}

/// An id field that does not hold the 16 bytes of a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} holds {len} bytes ({}), not the 16 of a UUID", uuid_text(.bytes))]
pub struct IdError {
    pub field: &'static str,
    pub len: usize,
    /// The first bytes, for the message.
    pub bytes: Vec<u8>,
}

/// The UUID in the id field `field`, or why it is not one.
pub fn id(field: &'static str, bytes: &[u8]) -> Result<[u8; 16], IdError> {
    <[u8; 16]>::try_from(bytes).map_err(|_| IdError {
        field,
        len: bytes.len(),
        bytes: bytes[..bytes.len().min(20)].to_vec(),
    })
}

/// An id as people read it: a UUID's 16 bytes in the canonical hyphenated
/// form (`8-4-4-4-12` lowercase hex), anything else as `0x` and its hex.
pub fn uuid_text(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    if bytes.len() != 16 {
        text.push_str("0x");
    }
    for (i, b) in bytes.iter().enumerate() {
        if bytes.len() == 16 && matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(HEX[usize::from(b >> 4)] as char);
        text.push(HEX[usize::from(b & 15)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_shows_in_its_canonical_form() {
        let bytes = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x5d, 0xef, 0x81, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef,
        ];
        assert_eq!(uuid_text(&bytes), "12345678-9abc-5def-8123-456789abcdef");
        assert_eq!(uuid_text(b"ab"), "0x6162");
        assert_eq!(uuid_text(&[]), "0x");
    }

    #[test]
    fn an_id_of_the_wrong_length_is_named() {
        assert_eq!(id("member_id", &[7; 16]), Ok([7; 16]));
        let e = id("member_id", b"not-a-uuid").unwrap_err();
        assert_eq!(
            e.to_string(),
            "member_id holds 10 bytes (0x6e6f742d612d75756964), not the 16 of a UUID"
        );
    }

    #[test]
    fn only_another_event_contract_is_refused() {
        let here = Path::new("stream");
        assert!(check_contract(here, "pancake.events.v2.Event").is_ok());
        assert!(check_contract(here, "pancake.legacy.v1.Member").is_ok());
        assert!(check_contract(here, "Event").is_ok());
        let e = check_contract(here, "pancake.events.v1.Event").unwrap_err();
        assert_eq!(e.found, "pancake.events.v1");
        assert!(e.to_string().contains("re-run `pancake transform`"), "{e}");
    }

    #[test]
    fn a_v2_event_in_v1_form_has_its_ids_as_text() {
        use crate::events::{Event, EventKind, MessageSent, event::Payload};
        let event = Event {
            event_id: vec![0x11; 16],
            kind: EventKind::MessageSent as i32,
            member_id: vec![0xab; 16],
            payload: Some(Payload::MessageSent(MessageSent {
                message_id: vec![0; 16],
                thread_id: vec![1; 16],
                recipient_id: vec![2; 16],
                body: "hei".into(),
                deleted_by_sender: true,
                ..MessageSent::default()
            })),
            ..Event::default()
        };
        let v1 = to_v1(&event);
        assert_eq!(v1.event_id, "11111111-1111-1111-1111-111111111111");
        assert_eq!(v1.member_id, "abababab-abab-abab-abab-abababababab");
        assert_eq!(v1.kind, EventKind::MessageSent as i32);
        let Some(crate::events_v1::event::Payload::MessageSent(m)) = v1.payload else {
            panic!("{v1:?}")
        };
        assert_eq!(m.thread_id, "01010101-0101-0101-0101-010101010101");
        assert_eq!((m.body.as_str(), m.deleted_by_sender), ("hei", true));
    }

    #[test]
    fn the_contract_is_the_package_of_the_events() {
        use crate::Record as _;
        assert_eq!(crate::events::Event::TYPE_NAME, format!("{CONTRACT}.Event"));
    }
}

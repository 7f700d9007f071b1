//! What a part needs to know about the records it holds.

use crate::{events, legacy};
use prost_types::Timestamp;

/// A protobuf message that can be stored in a part.
///
/// `key` and `time` feed the key and time ranges of the manifest, which is
/// what resuming and inspecting read without opening a part.
pub trait Record: prost::Message + Default {
    /// Fully qualified protobuf name, e.g. `pancake.legacy.v1.Member`.
    const TYPE_NAME: &'static str;

    /// The record's primary key, for tables that have one.
    fn key(&self) -> Option<i64> {
        None
    }

    /// The record's main time (a message's `sent_at`, an event's
    /// `occurred_at`).
    fn time(&self) -> Option<Timestamp> {
        None
    }
}

macro_rules! legacy_record {
    ($ty:ident, $name:literal, $key:ident, $time:ident) => {
        impl Record for legacy::$ty {
            const TYPE_NAME: &'static str = concat!("pancake.legacy.v1.", $name);
            fn key(&self) -> Option<i64> {
                Some(i64::from(self.$key))
            }
            fn time(&self) -> Option<Timestamp> {
                self.$time
            }
        }
    };
}

legacy_record!(Member, "Member", member_id, registered_at);
legacy_record!(Flirt, "Flirt", flirt_id, sent_at);
legacy_record!(Message, "Message", message_id, sent_at);
legacy_record!(Block, "Block", block_id, created_at);
legacy_record!(Favorite, "Favorite", favorite_id, created_at);
legacy_record!(ProfileVisit, "ProfileVisit", visit_id, visited_at);
legacy_record!(Photo, "Photo", photo_id, uploaded_at);
legacy_record!(PhotoLike, "PhotoLike", like_id, liked_at);

/// A search profile keeps the current profile only: it has no time of its
/// own, so its parts carry a key range and no time range.
impl Record for legacy::SearchProfile {
    const TYPE_NAME: &'static str = "pancake.legacy.v1.SearchProfile";
    fn key(&self) -> Option<i64> {
        Some(i64::from(self.member_id))
    }
}

/// Records about a legacy row, keyed by the row's `key`, with no time of
/// their own: the generator's dirty-row marks and the transform's rejects.
macro_rules! row_record {
    ($ty:ty, $name:literal) => {
        impl Record for $ty {
            const TYPE_NAME: &'static str = $name;
            fn key(&self) -> Option<i64> {
                Some(self.key)
            }
        }
    };
}

row_record!(legacy::DirtyRow, "pancake.legacy.v1.DirtyRow");
row_record!(events::Reject, "pancake.events.v2.Reject");

impl Record for events::EventBatch {
    const TYPE_NAME: &'static str = "pancake.events.v2.EventBatch";
}

impl Record for events::Event {
    const TYPE_NAME: &'static str = "pancake.events.v2.Event";
    fn time(&self) -> Option<Timestamp> {
        self.occurred_at
    }
}

/// Microseconds since the Unix epoch: a total order on timestamps that fits
/// every date SQL Server can hold.
pub fn timestamp_micros(t: &Timestamp) -> i64 {
    t.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(t.nanos) / 1_000)
}

/// The order of events in an event stream: by time; at the same instant a
/// registration first (so that nothing of a member comes before they
/// exist), then by event id (its 16 bytes: the order of its text, which
/// contract v1 sorted by). Transform sorts its runs by it and loaders merge
/// by it.
pub fn event_order(event: &events::Event) -> (i64, bool, &[u8]) {
    (
        event
            .occurred_at
            .as_ref()
            .map_or(i64::MIN, timestamp_micros),
        event.kind != events::EventKind::MemberRegistered as i32,
        &event.event_id,
    )
}

/// The inverse of [`timestamp_micros`].
pub fn micros_timestamp(micros: i64) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1_000) as i32,
    }
}

/// RFC 3339 in UTC with a `Z`, as the manifest and JSON output show times.
pub fn format_micros(micros: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        None => format!("{micros}us"),
    }
}

/// Hash of a record type's descriptor, written in every part header so that a
/// part is never misread by a build with a different schema for its type.
pub fn schema_fingerprint(type_name: &str) -> Option<String> {
    use prost::Message as _;
    let descriptor = crate::descriptor_pool().get_message_by_name(type_name)?;
    let bytes = descriptor.descriptor_proto().encode_to_vec();
    Some(format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip_before_and_after_the_epoch() {
        for micros in [-2_208_988_800_000_000, -1, 0, 1, 1_700_000_000_123_456] {
            assert_eq!(timestamp_micros(&micros_timestamp(micros)), micros);
        }
    }

    #[test]
    fn every_record_type_has_a_descriptor_and_fingerprint() {
        for table in crate::LegacyTable::ALL {
            let fp = schema_fingerprint(table.record_type()).unwrap();
            assert_eq!(fp.len(), 16);
        }
        let event = schema_fingerprint(events::Event::TYPE_NAME).unwrap();
        let member = schema_fingerprint(legacy::Member::TYPE_NAME).unwrap();
        assert_ne!(event, member);
        assert!(schema_fingerprint("pancake.nope.v1.Nothing").is_none());
    }

    #[test]
    fn formats_times_as_rfc3339_utc() {
        assert_eq!(format_micros(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_micros(-2_208_988_800_000_000),
            "1900-01-01T00:00:00Z"
        );
    }
}

//! The fields of each legacy record, as the extractor fills them.
//!
//! The extractor is generic over the nine legacy record types; this module
//! gives each one a list of its fields with their kinds, and a setter by field
//! index, so that a page of SQL rows turns into records without reflection on
//! the hot path.

use crate::value::Value;
use pancake_proto::Record;
use pancake_proto::legacy::{self, RawText};
use prost_types::Timestamp;

/// What a record field holds, which decides the SQL types it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// The primary key: a 32-bit or 64-bit integer, never NULL.
    Key {
        bits: u8,
    },
    /// A 32-bit integer, such as a member id.
    Int32,
    /// The gender code (1 woman, 2 man, 3 other); stored as it comes.
    Gender,
    /// A count or code that is never negative (a height in centimetres, a
    /// flirt's kind): a negative value is an anomaly.
    UInt32,
    /// A flag (a `bit` column).
    Bool,
    Text,
    /// A calendar date with no time of day.
    Date,
    /// An instant, kept in UTC.
    Time,
}

impl FieldKind {
    pub fn describe(self) -> &'static str {
        match self {
            FieldKind::Key { bits: 32 } => "a 32-bit integer key",
            FieldKind::Key { .. } => "a 64-bit integer key",
            FieldKind::Int32 => "a 32-bit integer",
            FieldKind::Gender => "a small integer code",
            FieldKind::UInt32 => "a non-negative 32-bit integer",
            FieldKind::Bool => "a flag (bit)",
            FieldKind::Text => "text",
            FieldKind::Date => "a date",
            FieldKind::Time => "a point in time",
        }
    }
}

/// A legacy record the extractor can build field by field.
pub trait LegacyRow: Record + Send + 'static {
    /// Field names (as in the proto) and kinds, the key first.
    const FIELDS: &'static [(&'static str, FieldKind)];

    /// Sets field `index` of [`Self::FIELDS`] to `value`, which the caller has
    /// already converted to the field's kind (see [`crate::value`]).
    fn set(&mut self, index: usize, value: Value);

    /// Where text that is not valid UTF-16 is kept byte for byte, for the
    /// records that have text.
    fn raw_texts(&mut self) -> Option<&mut Vec<RawText>> {
        None
    }
}

fn int32(value: Value) -> Option<i32> {
    match value {
        Value::Int(v) => i32::try_from(v).ok(),
        _ => None,
    }
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

fn time(value: Value) -> Option<Timestamp> {
    match value {
        Value::Time(t) => Some(t),
        _ => None,
    }
}

fn date(value: Value) -> Option<legacy::Date> {
    match value {
        Value::Date(d) => Some(d),
        _ => None,
    }
}

fn gender(value: Value) -> Option<u32> {
    match value {
        Value::Int(v) => u32::try_from(v).ok(),
        _ => None,
    }
}

fn uint32(value: Value) -> Option<u32> {
    gender(value)
}

fn flag(value: Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

fn key32(value: Value) -> i32 {
    int32(value).unwrap_or_default()
}

fn key64(value: Value) -> i64 {
    match value {
        Value::Int(v) => v,
        _ => 0,
    }
}

/// Declares the fields of a legacy record: `field: kind => setter`.
macro_rules! legacy_row {
    ($ty:ident { $($field:ident : $kind:expr => $conv:ident),+ $(,)? } $(raw $raw:ident)?) => {
        impl LegacyRow for legacy::$ty {
            const FIELDS: &'static [(&'static str, FieldKind)] =
                &[$((stringify!($field), $kind)),+];

            fn set(&mut self, index: usize, value: Value) {
                let mut i = 0;
                $(
                    if i == index {
                        self.$field = legacy_row!(@assign $conv, value);
                        return;
                    }
                    i += 1;
                )+
                let _ = i;
            }

            $(
                fn raw_texts(&mut self) -> Option<&mut Vec<RawText>> {
                    Some(&mut self.$raw)
                }
            )?
        }
    };
    (@assign key32, $v:expr) => { key32($v) };
    (@assign key64, $v:expr) => { key64($v) };
    (@assign $conv:ident, $v:expr) => { $conv($v) };
}

const K32: FieldKind = FieldKind::Key { bits: 32 };
const K64: FieldKind = FieldKind::Key { bits: 64 };
use FieldKind::{
    Bool as B, Date as D, Gender as G, Int32 as I, Text as T, Time as Tm, UInt32 as U,
};

legacy_row!(Member {
    member_id: K32 => key32,
    nickname: T => text,
    email: T => text,
    gender: G => gender,
    birth_date: D => date,
    city: T => text,
    registered_at: Tm => time,
    approved_at: Tm => time,
    portrait_url: T => text,
    deleted_at: Tm => time,
    profile_text: T => text,
    height_cm: U => uint32,
    last_login_at: Tm => time,
} raw raw_texts);

legacy_row!(Flirt {
    flirt_id: K64 => key64,
    sender_id: I => int32,
    recipient_id: I => int32,
    sent_at: Tm => time,
    kind: U => uint32,
    note: T => text,
    sender_ip: T => text,
    seen_at: Tm => time,
} raw raw_texts);

legacy_row!(Message {
    message_id: K64 => key64,
    sender_id: I => int32,
    recipient_id: I => int32,
    body: T => text,
    sent_at: Tm => time,
    read_at: Tm => time,
    subject: T => text,
    sender_ip: T => text,
    deleted_by_sender: B => flag,
    deleted_by_recipient: B => flag,
} raw raw_texts);

legacy_row!(Block {
    block_id: K32 => key32,
    blocker_id: I => int32,
    blocked_id: I => int32,
    created_at: Tm => time,
    removed_at: Tm => time,
});

legacy_row!(Favorite {
    favorite_id: K32 => key32,
    member_id: I => int32,
    favorite_member_id: I => int32,
    created_at: Tm => time,
    removed_at: Tm => time,
});

legacy_row!(ProfileVisit {
    visit_id: K64 => key64,
    visitor_id: I => int32,
    visited_id: I => int32,
    visited_at: Tm => time,
});

legacy_row!(Photo {
    photo_id: K32 => key32,
    member_id: I => int32,
    url: T => text,
    uploaded_at: Tm => time,
} raw raw_texts);

legacy_row!(PhotoLike {
    like_id: K64 => key64,
    photo_id: I => int32,
    member_id: I => int32,
    liked_at: Tm => time,
});

legacy_row!(SearchProfile {
    member_id: K32 => key32,
    seeking_gender: G => gender,
    age_min: U => uint32,
    age_max: U => uint32,
    city: T => text,
} raw raw_texts);

/// The fields of the record type a legacy table holds.
pub fn fields_of(table: pancake_proto::LegacyTable) -> &'static [(&'static str, FieldKind)] {
    use pancake_proto::LegacyTable::*;
    match table {
        Members => legacy::Member::FIELDS,
        Flirts => legacy::Flirt::FIELDS,
        Messages => legacy::Message::FIELDS,
        Blocks => legacy::Block::FIELDS,
        Favorites => legacy::Favorite::FIELDS,
        ProfileVisits => legacy::ProfileVisit::FIELDS,
        Photos => legacy::Photo::FIELDS,
        PhotoLikes => legacy::PhotoLike::FIELDS,
        SearchProfiles => legacy::SearchProfile::FIELDS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_follow_the_field_list() {
        let mut m = legacy::Member::default();
        m.set(0, Value::Int(7));
        m.set(1, Value::Text("anna".into()));
        m.set(3, Value::Int(2));
        m.set(
            4,
            Value::Date(legacy::Date {
                year: 1990,
                month: 5,
                day: 17,
            }),
        );
        m.set(
            9,
            Value::Time(Timestamp {
                seconds: 10,
                nanos: 0,
            }),
        );
        assert_eq!(m.member_id, 7);
        assert_eq!(m.nickname.as_deref(), Some("anna"));
        assert_eq!(m.gender, Some(2));
        assert_eq!(m.birth_date.unwrap().day, 17);
        assert_eq!(m.deleted_at.unwrap().seconds, 10);
        m.set(1, Value::Null);
        assert_eq!(m.nickname, None);
    }

    #[test]
    fn field_lists_match_the_proto_descriptors() {
        let pool = pancake_proto::descriptor_pool();
        for table in pancake_proto::LegacyTable::ALL {
            let desc = pool
                .get_message_by_name(table.record_type())
                .expect("record type in the pool");
            let proto: Vec<String> = desc
                .fields()
                .map(|f| f.name().to_owned())
                .filter(|n| n != "raw_texts")
                .collect();
            let ours: Vec<&str> = fields_of(table).iter().map(|(n, _)| *n).collect();
            assert_eq!(proto, ours, "{}", table.name());
        }
    }

    #[test]
    fn the_later_fields_take_their_values() {
        let mut m = legacy::Message::default();
        m.set(6, Value::Text("Re: hei".into()));
        m.set(7, Value::Text("192.0.2.1".into()));
        m.set(8, Value::Bool(true));
        m.set(9, Value::Bool(false));
        assert_eq!(m.subject.as_deref(), Some("Re: hei"));
        assert_eq!(m.sender_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(m.deleted_by_sender, Some(true));
        assert_eq!(m.deleted_by_recipient, Some(false));
        m.set(8, Value::Null);
        assert_eq!(m.deleted_by_sender, None);
        let mut f = legacy::Flirt::default();
        f.set(4, Value::Int(4));
        assert_eq!(f.kind, Some(4));
        assert!(f.raw_texts().is_some(), "a flirt's note keeps raw text");
        let mut member = legacy::Member::default();
        member.set(11, Value::Int(183));
        assert_eq!(member.height_cm, Some(183));
    }

    #[test]
    fn a_64_bit_key_keeps_its_value() {
        let mut m = legacy::Message::default();
        m.set(0, Value::Int(5_000_000_123));
        assert_eq!(m.message_id, 5_000_000_123);
    }
}

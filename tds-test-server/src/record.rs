//! Typed access to the fields of dump records, without reflection: a column
//! names its field once per query and each row is a `match`.

use pancake_proto::LegacyTable;
use pancake_proto::legacy::{
    self, Block, Favorite, Flirt, Member, Message, Photo, PhotoLike, ProfileVisit, RawText,
    SearchProfile,
};
use prost::Message as _;
use prost_types::Timestamp;

/// A field's value as the dump holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FieldValue<'a> {
    Null,
    Int(i64),
    /// A string and, when the legacy text held a lone surrogate, its exact
    /// UTF-16LE units (the string is then a repaired copy).
    Text(&'a str, Option<&'a [u8]>),
    Timestamp(Timestamp),
    Date(&'a legacy::Date),
}

/// The proto field names of a table's records, in field order (`raw_texts`
/// is not a column).
pub(crate) fn fields(table: LegacyTable) -> &'static [&'static str] {
    match table {
        LegacyTable::Members => &[
            "member_id",
            "nickname",
            "email",
            "gender",
            "birth_date",
            "city",
            "registered_at",
            "approved_at",
            "portrait_url",
            "deleted_at",
            "profile_text",
            "height_cm",
            "last_login_at",
        ],
        LegacyTable::Flirts => &[
            "flirt_id",
            "sender_id",
            "recipient_id",
            "sent_at",
            "kind",
            "note",
            "sender_ip",
            "seen_at",
        ],
        LegacyTable::Messages => &[
            "message_id",
            "sender_id",
            "recipient_id",
            "body",
            "sent_at",
            "read_at",
            "subject",
            "sender_ip",
            "deleted_by_sender",
            "deleted_by_recipient",
        ],
        LegacyTable::Blocks => &[
            "block_id",
            "blocker_id",
            "blocked_id",
            "created_at",
            "removed_at",
        ],
        LegacyTable::Favorites => &[
            "favorite_id",
            "member_id",
            "favorite_member_id",
            "created_at",
            "removed_at",
        ],
        LegacyTable::ProfileVisits => &["visit_id", "visitor_id", "visited_id", "visited_at"],
        LegacyTable::Photos => &["photo_id", "member_id", "url", "uploaded_at"],
        LegacyTable::PhotoLikes => &["like_id", "photo_id", "member_id", "liked_at"],
        LegacyTable::SearchProfiles => {
            &["member_id", "seeking_gender", "age_min", "age_max", "city"]
        }
    }
}

pub(crate) fn field_index(table: LegacyTable, name: &str) -> Option<usize> {
    fields(table).iter().position(|f| *f == name)
}

/// The key field is always the first.
pub(crate) const KEY_FIELD: usize = 0;

/// One decoded record of any legacy table.
#[derive(Debug, Clone)]
pub(crate) enum AnyRecord {
    Member(Member),
    Flirt(Flirt),
    Message(Message),
    Block(Block),
    Favorite(Favorite),
    ProfileVisit(ProfileVisit),
    Photo(Photo),
    PhotoLike(PhotoLike),
    SearchProfile(SearchProfile),
}

fn int<T: Into<i64> + Copy>(v: Option<T>) -> FieldValue<'static> {
    match v {
        Some(v) => FieldValue::Int(v.into()),
        None => FieldValue::Null,
    }
}

fn ts(v: Option<Timestamp>) -> FieldValue<'static> {
    match v {
        Some(t) => FieldValue::Timestamp(t),
        None => FieldValue::Null,
    }
}

fn text<'a>(v: &'a Option<String>, column: &str, raw: &'a [RawText]) -> FieldValue<'a> {
    match v {
        Some(s) => FieldValue::Text(
            s,
            if raw.is_empty() {
                None
            } else {
                raw.iter()
                    .find(|r| r.column == column)
                    .map(|r| r.utf16le.as_slice())
            },
        ),
        None => FieldValue::Null,
    }
}

impl AnyRecord {
    pub(crate) fn decode(
        table: LegacyTable,
        bytes: &[u8],
    ) -> Result<AnyRecord, prost::DecodeError> {
        Ok(match table {
            LegacyTable::Members => AnyRecord::Member(Member::decode(bytes)?),
            LegacyTable::Flirts => AnyRecord::Flirt(Flirt::decode(bytes)?),
            LegacyTable::Messages => AnyRecord::Message(Message::decode(bytes)?),
            LegacyTable::Blocks => AnyRecord::Block(Block::decode(bytes)?),
            LegacyTable::Favorites => AnyRecord::Favorite(Favorite::decode(bytes)?),
            LegacyTable::ProfileVisits => AnyRecord::ProfileVisit(ProfileVisit::decode(bytes)?),
            LegacyTable::Photos => AnyRecord::Photo(Photo::decode(bytes)?),
            LegacyTable::PhotoLikes => AnyRecord::PhotoLike(PhotoLike::decode(bytes)?),
            LegacyTable::SearchProfiles => AnyRecord::SearchProfile(SearchProfile::decode(bytes)?),
        })
    }

    /// The record's primary key.
    pub(crate) fn key(&self) -> i64 {
        match self {
            AnyRecord::Member(r) => i64::from(r.member_id),
            AnyRecord::Flirt(r) => r.flirt_id,
            AnyRecord::Message(r) => r.message_id,
            AnyRecord::Block(r) => i64::from(r.block_id),
            AnyRecord::Favorite(r) => i64::from(r.favorite_id),
            AnyRecord::ProfileVisit(r) => r.visit_id,
            AnyRecord::Photo(r) => i64::from(r.photo_id),
            AnyRecord::PhotoLike(r) => r.like_id,
            AnyRecord::SearchProfile(r) => i64::from(r.member_id),
        }
    }

    /// Field `i` of [`fields`] for this record's table.
    pub(crate) fn field(&self, i: usize) -> FieldValue<'_> {
        match self {
            AnyRecord::Member(r) => match i {
                0 => FieldValue::Int(i64::from(r.member_id)),
                1 => text(&r.nickname, "nickname", &r.raw_texts),
                2 => text(&r.email, "email", &r.raw_texts),
                3 => int(r.gender),
                4 => match &r.birth_date {
                    Some(d) => FieldValue::Date(d),
                    None => FieldValue::Null,
                },
                5 => text(&r.city, "city", &r.raw_texts),
                6 => ts(r.registered_at),
                7 => ts(r.approved_at),
                8 => text(&r.portrait_url, "portrait_url", &r.raw_texts),
                9 => ts(r.deleted_at),
                10 => text(&r.profile_text, "profile_text", &r.raw_texts),
                11 => int(r.height_cm),
                12 => ts(r.last_login_at),
                _ => FieldValue::Null,
            },
            AnyRecord::Flirt(r) => match i {
                0 => FieldValue::Int(r.flirt_id),
                1 => int(r.sender_id),
                2 => int(r.recipient_id),
                3 => ts(r.sent_at),
                4 => int(r.kind),
                5 => text(&r.note, "note", &r.raw_texts),
                6 => text(&r.sender_ip, "sender_ip", &r.raw_texts),
                7 => ts(r.seen_at),
                _ => FieldValue::Null,
            },
            AnyRecord::Message(r) => match i {
                0 => FieldValue::Int(r.message_id),
                1 => int(r.sender_id),
                2 => int(r.recipient_id),
                3 => text(&r.body, "body", &r.raw_texts),
                4 => ts(r.sent_at),
                5 => ts(r.read_at),
                6 => text(&r.subject, "subject", &r.raw_texts),
                7 => text(&r.sender_ip, "sender_ip", &r.raw_texts),
                8 => int(r.deleted_by_sender),
                9 => int(r.deleted_by_recipient),
                _ => FieldValue::Null,
            },
            AnyRecord::Block(r) => match i {
                0 => FieldValue::Int(i64::from(r.block_id)),
                1 => int(r.blocker_id),
                2 => int(r.blocked_id),
                3 => ts(r.created_at),
                4 => ts(r.removed_at),
                _ => FieldValue::Null,
            },
            AnyRecord::Favorite(r) => match i {
                0 => FieldValue::Int(i64::from(r.favorite_id)),
                1 => int(r.member_id),
                2 => int(r.favorite_member_id),
                3 => ts(r.created_at),
                4 => ts(r.removed_at),
                _ => FieldValue::Null,
            },
            AnyRecord::ProfileVisit(r) => match i {
                0 => FieldValue::Int(r.visit_id),
                1 => int(r.visitor_id),
                2 => int(r.visited_id),
                3 => ts(r.visited_at),
                _ => FieldValue::Null,
            },
            AnyRecord::Photo(r) => match i {
                0 => FieldValue::Int(i64::from(r.photo_id)),
                1 => int(r.member_id),
                2 => text(&r.url, "url", &r.raw_texts),
                3 => ts(r.uploaded_at),
                _ => FieldValue::Null,
            },
            AnyRecord::PhotoLike(r) => match i {
                0 => FieldValue::Int(r.like_id),
                1 => int(r.photo_id),
                2 => int(r.member_id),
                3 => ts(r.liked_at),
                _ => FieldValue::Null,
            },
            AnyRecord::SearchProfile(r) => match i {
                0 => FieldValue::Int(i64::from(r.member_id)),
                1 => int(r.seeking_gender),
                2 => int(r.age_min),
                3 => int(r.age_max),
                4 => text(&r.city, "city", &r.raw_texts),
                _ => FieldValue::Null,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_match_the_proto_descriptors() {
        for table in LegacyTable::ALL {
            let descriptor = pancake_proto::descriptor_pool()
                .get_message_by_name(table.record_type())
                .unwrap();
            let names: Vec<String> = descriptor
                .fields()
                .map(|f| f.name().to_owned())
                .filter(|n| n != "raw_texts")
                .collect();
            assert_eq!(names, fields(table), "{table}");
        }
    }

    #[test]
    fn fields_read_the_record() {
        let m = Member {
            member_id: 7,
            nickname: Some("Aino".into()),
            gender: Some(2),
            raw_texts: vec![RawText {
                column: "nickname".into(),
                utf16le: vec![0x00, 0xd8],
            }],
            ..Member::default()
        };
        let r = AnyRecord::Member(m);
        assert_eq!(r.key(), 7);
        assert!(matches!(
            r.field(1),
            FieldValue::Text("Aino", Some([0x00, 0xd8]))
        ));
        assert!(matches!(r.field(2), FieldValue::Null));
        assert!(matches!(r.field(3), FieldValue::Int(2)));
    }
}

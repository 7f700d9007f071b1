//! Which dirt each table can have, and in which columns.

use pancake_proto::LegacyTable;
use pancake_proto::legacy::DirtyKind;

/// The dirty kinds each table can have, with the columns they may hit.
pub(super) fn dirty_kinds(table: LegacyTable) -> &'static [(DirtyKind, &'static [&'static str])] {
    use DirtyKind::*;
    match table {
        LegacyTable::Members => &[
            (DuplicateKey, &["member_id"]),
            (
                NullRequired,
                &["nickname", "email", "gender", "birth_date", "registered_at"],
            ),
            (BadDate, &["registered_at"]),
            (LoneSurrogate, &["nickname", "profile_text"]),
        ],
        LegacyTable::Flirts => &[
            (Orphan, &["sender_id", "recipient_id"]),
            (DuplicateKey, &["flirt_id"]),
            (NullRequired, &["sender_id", "recipient_id", "sent_at"]),
            (BadDate, &["sent_at"]),
            (SelfReference, &["recipient_id"]),
        ],
        LegacyTable::Messages => &[
            (Orphan, &["sender_id", "recipient_id"]),
            (DuplicateKey, &["message_id"]),
            (
                NullRequired,
                &["sender_id", "recipient_id", "body", "sent_at"],
            ),
            (BadDate, &["sent_at"]),
            (LoneSurrogate, &["body"]),
        ],
        LegacyTable::Blocks => &[
            (Orphan, &["blocker_id", "blocked_id"]),
            (DuplicateKey, &["block_id"]),
            (NullRequired, &["blocker_id", "blocked_id", "created_at"]),
            (BadDate, &["created_at"]),
            (SelfReference, &["blocked_id"]),
        ],
        LegacyTable::Favorites => &[
            (Orphan, &["member_id", "favorite_member_id"]),
            (DuplicateKey, &["favorite_id"]),
            (
                NullRequired,
                &["member_id", "favorite_member_id", "created_at"],
            ),
            (BadDate, &["created_at"]),
        ],
        LegacyTable::ProfileVisits => &[
            (Orphan, &["visitor_id", "visited_id"]),
            (DuplicateKey, &["visit_id"]),
            (NullRequired, &["visitor_id", "visited_id", "visited_at"]),
            (BadDate, &["visited_at"]),
        ],
        LegacyTable::Photos => &[
            (Orphan, &["member_id"]),
            (DuplicateKey, &["photo_id"]),
            (NullRequired, &["member_id", "url", "uploaded_at"]),
            (BadDate, &["uploaded_at"]),
        ],
        LegacyTable::PhotoLikes => &[
            (Orphan, &["photo_id", "member_id"]),
            (DuplicateKey, &["like_id"]),
            (NullRequired, &["photo_id", "member_id", "liked_at"]),
            (BadDate, &["liked_at"]),
        ],
        // Orphans here are the profiles purged members left behind (see
        // `rows::search_profile`): no other table keys its rows by member.
        LegacyTable::SearchProfiles => &[
            (DuplicateKey, &["member_id"]),
            (NullRequired, &["age_min", "age_max"]),
            (BadRange, &["age_min"]),
            (LoneSurrogate, &["city"]),
        ],
    }
}

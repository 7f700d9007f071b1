//! The names event kinds and reject reasons have in manifests, summaries,
//! routing keys and JSON: `member-registered`, `duplicate_key`; and the
//! lists of every kind, reason and kind of dirt.

use crate::events::{EventKind, RejectReason};
use crate::legacy::DirtyKind;
use std::collections::BTreeMap;

/// Every event kind, in the order summaries list them.
pub const EVENT_KINDS: [EventKind; 14] = [
    EventKind::MemberRegistered,
    EventKind::RegistrationApproved,
    EventKind::MemberDeleted,
    EventKind::FlirtSent,
    EventKind::MessageSent,
    EventKind::MessageRead,
    EventKind::MemberBlocked,
    EventKind::MemberUnblocked,
    EventKind::FavoriteAdded,
    EventKind::FavoriteRemoved,
    EventKind::ProfileVisited,
    EventKind::PhotoUploaded,
    EventKind::PhotoLiked,
    EventKind::SearchProfileSet,
];

/// Every reason a row can be rejected for.
pub const REJECT_REASONS: [RejectReason; 6] = [
    RejectReason::Orphan,
    RejectReason::DuplicateKey,
    RejectReason::NullRequired,
    RejectReason::BadDate,
    RejectReason::SelfReference,
    RejectReason::BadRange,
];

/// Every kind of dirt the generator marks rows with: the reject reasons,
/// and lone surrogates, which the transform repairs instead.
pub const DIRTY_KINDS: [DirtyKind; 7] = [
    DirtyKind::Orphan,
    DirtyKind::DuplicateKey,
    DirtyKind::NullRequired,
    DirtyKind::BadDate,
    DirtyKind::SelfReference,
    DirtyKind::LoneSurrogate,
    DirtyKind::BadRange,
];

/// A kind as the modules speak it: `member-registered`.
pub fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Unspecified => "unspecified",
        EventKind::MemberRegistered => "member-registered",
        EventKind::RegistrationApproved => "registration-approved",
        EventKind::MemberDeleted => "member-deleted",
        EventKind::FlirtSent => "flirt-sent",
        EventKind::MessageSent => "message-sent",
        EventKind::MessageRead => "message-read",
        EventKind::MemberBlocked => "member-blocked",
        EventKind::MemberUnblocked => "member-unblocked",
        EventKind::FavoriteAdded => "favorite-added",
        EventKind::FavoriteRemoved => "favorite-removed",
        EventKind::ProfileVisited => "profile-visited",
        EventKind::PhotoUploaded => "photo-uploaded",
        EventKind::PhotoLiked => "photo-liked",
        EventKind::SearchProfileSet => "search-profile-set",
    }
}

/// The kind a name stands for.
pub fn kind_by_name(name: &str) -> Option<EventKind> {
    EVENT_KINDS.into_iter().find(|&k| kind_name(k) == name)
}

/// A reason as summaries and the generator's marks name it: `duplicate_key`.
pub fn reason_name(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::Unspecified => "unspecified",
        RejectReason::Orphan => "orphan",
        RejectReason::DuplicateKey => "duplicate_key",
        RejectReason::NullRequired => "null_required",
        RejectReason::BadDate => "bad_date",
        RejectReason::SelfReference => "self_reference",
        RejectReason::BadRange => "bad_range",
    }
}

/// The reason a name stands for.
pub fn reason_by_name(name: &str) -> Option<RejectReason> {
    REJECT_REASONS.into_iter().find(|&r| reason_name(r) == name)
}

/// Counts by name in the order summaries list them: every known name first
/// (zero when absent), then any other name the counts have. Serializes as a
/// JSON object with its keys in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedCounts(pub Vec<(String, u64)>);

impl NamedCounts {
    /// Events per kind, in [`EVENT_KINDS`] order.
    pub fn events(counts: &BTreeMap<String, u64>) -> NamedCounts {
        NamedCounts::ordered(EVENT_KINDS.iter().map(|&k| kind_name(k)), counts)
    }

    /// Rejects per reason, in [`REJECT_REASONS`] order.
    pub fn rejects(counts: &BTreeMap<String, u64>) -> NamedCounts {
        NamedCounts::ordered(REJECT_REASONS.iter().map(|&r| reason_name(r)), counts)
    }

    fn ordered<'a>(
        known: impl Iterator<Item = &'a str> + Clone,
        counts: &BTreeMap<String, u64>,
    ) -> NamedCounts {
        let mut all: Vec<(String, u64)> = known
            .clone()
            .map(|name| (name.to_owned(), counts.get(name).copied().unwrap_or(0)))
            .collect();
        for (name, &n) in counts {
            if !known.clone().any(|k| k == name) {
                all.push((name.clone(), n));
            }
        }
        NamedCounts(all)
    }

    /// The sum of the counts (saturating).
    pub fn total(&self) -> u64 {
        self.0.iter().fold(0, |a, (_, n)| a.saturating_add(*n))
    }
}

impl serde::Serialize for NamedCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, n) in &self.0 {
            map.serialize_entry(name, n)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_counts_list_known_names_first_in_order_then_others() {
        let counts: BTreeMap<String, u64> = [("bad_date", 2), ("orphan", 1), ("zzz", 7)]
            .into_iter()
            .map(|(k, n)| (k.to_owned(), n))
            .collect();
        let named = NamedCounts::rejects(&counts);
        let names: Vec<&str> = named.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "orphan",
                "duplicate_key",
                "null_required",
                "bad_date",
                "self_reference",
                "bad_range",
                "zzz"
            ]
        );
        assert_eq!(named.total(), 10);
        assert_eq!(
            serde_json::to_string(&named).unwrap(),
            r#"{"orphan":1,"duplicate_key":0,"null_required":0,"bad_date":2,"self_reference":0,"bad_range":0,"zzz":7}"#
        );
        assert_eq!(NamedCounts::events(&BTreeMap::new()).0.len(), 14);
    }

    #[test]
    fn names_round_trip_and_are_distinct() {
        for k in EVENT_KINDS {
            assert_eq!(kind_by_name(kind_name(k)), Some(k));
        }
        for r in REJECT_REASONS {
            assert_eq!(reason_by_name(reason_name(r)), Some(r));
        }
        let mut names: Vec<_> = EVENT_KINDS.iter().map(|&k| kind_name(k)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 14);
    }

    #[test]
    fn reject_reasons_share_the_generators_numbers() {
        assert_eq!(RejectReason::Orphan as i32, DirtyKind::Orphan as i32);
        assert_eq!(
            RejectReason::DuplicateKey as i32,
            DirtyKind::DuplicateKey as i32
        );
        assert_eq!(
            RejectReason::NullRequired as i32,
            DirtyKind::NullRequired as i32
        );
        assert_eq!(RejectReason::BadDate as i32, DirtyKind::BadDate as i32);
        assert_eq!(
            RejectReason::SelfReference as i32,
            DirtyKind::SelfReference as i32
        );
        assert_eq!(RejectReason::BadRange as i32, DirtyKind::BadRange as i32);
    }
}

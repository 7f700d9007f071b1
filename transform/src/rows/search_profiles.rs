//! Search profiles: whom a member is interested in. The legacy table keeps
//! the current profile only, with no time: the event occurs in the second its
//! member registered (at its end), and sorts after the registration.

use super::{Check, Context, Row, event, gender, need, reject};
use pancake_proto::LegacyTable;
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_proto::legacy;
use prost_types::Timestamp;

/// The last microsecond of a second, in nanoseconds (PostgreSQL keeps
/// microseconds: a nanosecond later would round to the next second).
const LAST_MICROSECOND: i32 = 999_999_000;

impl Row for legacy::SearchProfile {
    const KEY_FIELD: &'static str = "member_id";
    const TABLE: LegacyTable = LegacyTable::SearchProfiles;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let min = *need(&self.age_min, "age_min")?;
        let max = *need(&self.age_max, "age_max")?;
        cx.member(self.member_id, "member_id")?;
        // A gender code is a reference too: to the legacy site's genders.
        if let Some(code) = self.seeking_gender.filter(|&c| gender(c).is_none()) {
            return Err(reject(
                RejectReason::Orphan,
                "seeking_gender",
                format!(
                    "seeking_gender {code} is not a gender (1 woman, 2 man, 3 other; NULL any)"
                ),
            ));
        }
        if min > max {
            return Err(reject(
                RejectReason::BadRange,
                "age_min",
                format!("age_min {min} is above age_max {max}"),
            ));
        }
        Ok(())
    }

    fn events(self, cx: &Context, out: &mut Vec<Event>) {
        // The members index keeps whole seconds, and a registration may
        // have a fraction (SQL Server's datetime keeps 1/300 s): the
        // profile is set at the end of the second its member registered
        // in (its last microsecond), so it never sorts before the
        // registration, whatever the fraction.
        let registered = cx
            .members
            .registered_at(self.member_id)
            .expect("checked before mapping");
        let key = i64::from(self.member_id);
        out.push(event(
            EventKind::SearchProfileSet,
            Self::TABLE,
            key,
            Timestamp {
                seconds: registered,
                nanos: LAST_MICROSECOND,
            },
            self.member_id,
            Payload::SearchProfileSet(events::SearchProfileSet {
                seeking_gender: self.seeking_gender.and_then(gender).map(|g| g as i32),
                age_min: self.age_min.unwrap_or_default(),
                age_max: self.age_max.unwrap_or_default(),
                city: self.city,
            }),
        ));
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

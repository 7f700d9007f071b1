//! Members: registered, approved, deleted.

use super::{Check, Context, Row, event, gender, has, need};
use pancake_proto::LegacyTable;
use pancake_proto::events::{self, Event, EventKind, event::Payload};
use pancake_proto::legacy;

impl Row for legacy::Member {
    const KEY_FIELD: &'static str = "member_id";
    const TABLE: LegacyTable = LegacyTable::Members;
    const MAX_EVENTS: u64 = 3;

    fn check(&self, cx: &Context) -> Check<()> {
        need(&self.nickname, "nickname")?;
        need(&self.email, "email")?;
        need(&self.gender, "gender")?;
        need(&self.birth_date, "birth_date")?;
        let registered = cx.date(need(&self.registered_at, "registered_at")?, "registered_at")?;
        cx.later(&self.approved_at, registered, "approved_at")?;
        cx.later(&self.deleted_at, registered, "deleted_at")
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        let (t, id, key) = (Self::TABLE, self.member_id, i64::from(self.member_id));
        let birth = self.birth_date.unwrap_or_default();
        out.push(event(
            EventKind::MemberRegistered,
            t,
            key,
            has(self.registered_at),
            id,
            Payload::MemberRegistered(events::MemberRegistered {
                nickname: self.nickname.unwrap_or_default(),
                email: self.email.unwrap_or_default(),
                gender: self
                    .gender
                    .and_then(gender)
                    .unwrap_or(events::Gender::Unspecified) as i32,
                birth_date: Some(events::Date {
                    year: birth.year,
                    month: birth.month,
                    day: birth.day,
                }),
                city: self.city,
                portrait_url: self.portrait_url,
                profile_text: self.profile_text,
                height_cm: self.height_cm,
                last_login_at: self.last_login_at,
            }),
        ));
        if let Some(at) = self.approved_at {
            out.push(event(
                EventKind::RegistrationApproved,
                t,
                key,
                at,
                id,
                Payload::RegistrationApproved(events::RegistrationApproved {}),
            ));
        }
        if let Some(at) = self.deleted_at {
            out.push(event(
                EventKind::MemberDeleted,
                t,
                key,
                at,
                id,
                Payload::MemberDeleted(events::MemberDeleted {}),
            ));
        }
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

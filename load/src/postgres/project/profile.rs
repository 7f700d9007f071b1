//! The profile module: a member's registration, approval and deletion
//! into `members`.

use super::{Computed, PgModule, TableSpec, birth_date, legacy_key, occurred_at, problem, uuid};
use crate::postgres::copy::Value;
use pancake_proto::events::event;
use pancake_proto::record::timestamp_micros;

pub static PROFILE: PgModule = PgModule {
    tables: &[TableSpec {
        name: "members",
        columns: &[
            "member_id",
            "legacy_id",
            "nickname",
            "email",
            "gender",
            "birth_date",
            "city",
            "portrait_url",
            "profile_text",
            "height_cm",
            "last_login_at",
            "registered_at",
            "approved_at",
            "deleted_at",
            "created_at",
            "updated_at",
        ],
        changes: &["approved_at", "deleted_at"],
    }],
    migrations: &[
        include_str!("../../../sql/profile/v1.sql"),
        include_str!("../../../sql/profile/v2.sql"),
    ],
    indexes: include_str!("../../../sql/profile/indexes.sql"),
    finish: "",
    derived: &[],
    payload_dictionary: false,
    computed: Computed::Nothing,
    project: |event, rows| {
        let at = occurred_at(event)?;
        let member = uuid(event, "member_id", &event.member_id)?;
        match &event.payload {
            Some(event::Payload::MemberRegistered(m)) => {
                let birth_date = birth_date(event, m)?;
                let gender = m.gender().as_str_name();
                let height = match m.height_cm {
                    None => Value::Null,
                    Some(h) => Value::Int(i32::try_from(h).map_err(|_| {
                        problem(event, format!("height_cm {h} is beyond an integer column"))
                    })?),
                };
                rows.insert(
                    0,
                    vec![
                        member,
                        legacy_key(event),
                        Value::Text(m.nickname.clone()),
                        Value::Text(m.email.clone()),
                        Value::Text(
                            gender
                                .strip_prefix("GENDER_")
                                .unwrap_or(gender)
                                .to_ascii_lowercase(),
                        ),
                        birth_date,
                        Value::opt_text(m.city.as_deref()),
                        Value::opt_text(m.portrait_url.as_deref()),
                        Value::opt_text(m.profile_text.as_deref()),
                        height,
                        Value::opt_timestamp(m.last_login_at.as_ref().map(timestamp_micros)),
                        Value::Timestamp(at),
                        Value::Null,
                        Value::Null,
                        Value::Timestamp(at),
                        Value::Timestamp(at),
                    ],
                );
            }
            Some(event::Payload::RegistrationApproved(_)) => {
                rows.change(0, member, "approved_at", at)
            }
            Some(event::Payload::MemberDeleted(_)) => rows.change(0, member, "deleted_at", at),
            _ => {}
        }
        Ok(())
    },
};

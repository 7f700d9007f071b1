//! The news module: every member's feed of new members and photos from the
//! people they are interested in, and of flirts and visits they received.
//!
//! The rules are in `load/sql/news/README.md`, beside the schema, and in
//! code in [`rules`]: whom a member is interested in, which items reach a
//! feed and which of them it keeps. The loading is the same as every
//! module's: events become rows of `members`, `search_profiles`, `items`
//! and `blocks` part by part (this file), and once every part is in,
//! [`feeds`] computes each member's feed from those tables in one pass
//! that grows with the data, not with its square:
//!
//! - interest items (new members, photos) are sorted once into buckets by
//!   what their sender is (gender, age on the item's day, city);
//! - a member's feed is a merge, newest first, of the few buckets their
//!   search profile names and of their own flirts and visits, stopped at
//!   the feed size: a member costs about `feed size x log(buckets)`,
//!   however many people match.

pub mod feeds;
pub mod rules;
mod tables;

use super::copy::Value;
use super::project::{
    BLOCKS, Computed, PartRows, PgModule, ProjectError, TableSpec, birth_date, occurred_at,
    project_blocks, uuid,
};
use pancake_proto::events::{Event, event};
use rules::ItemKind;

/// `members`, `search_profiles`, `items` and `blocks`, in that order.
const MEMBERS: usize = 0;
const SEARCH_PROFILES: usize = 1;
const ITEMS: usize = 2;
const BLOCKS_TABLE: usize = 3;

pub static NEWS: PgModule = PgModule {
    tables: &[
        TableSpec {
            name: "members",
            columns: &[
                "member_id",
                "gender",
                "birth_date",
                "city",
                "registered_at",
                "approved_at",
                "deleted_at",
                "created_at",
                "updated_at",
            ],
            changes: &["approved_at", "deleted_at"],
        },
        TableSpec {
            name: "search_profiles",
            columns: &[
                "search_profile_id",
                "member_id",
                "seeking_gender",
                "age_min",
                "age_max",
                "city",
                "set_at",
                "created_at",
            ],
            changes: &[],
        },
        TableSpec {
            name: "items",
            columns: &[
                "item_id",
                "kind",
                "from_member_id",
                "to_member_id",
                "subject_id",
                "occurred_at",
                "created_at",
            ],
            changes: &[],
        },
        BLOCKS,
    ],
    migrations: &[include_str!("../../../sql/news/v1.sql")],
    indexes: include_str!("../../../sql/news/indexes.sql"),
    finish: "",
    derived: &["feeds"],
    payload_dictionary: false,
    computed: Computed::NewsFeeds,
    project,
};

fn project(event: &Event, rows: &mut PartRows) -> Result<(), ProjectError> {
    use event::Payload::*;
    let at = occurred_at(event)?;
    let member = || uuid(event, "member_id", &event.member_id);
    let item = |rows: &mut PartRows, kind: ItemKind, to: Option<Value>, subject: Value| {
        let row = vec![
            uuid(event, "event_id", &event.event_id)?,
            Value::Text(kind.name().into()),
            member()?,
            to.unwrap_or(Value::Null),
            subject,
            Value::Timestamp(at),
            Value::Timestamp(at),
        ];
        rows.insert(ITEMS, row);
        Ok::<_, ProjectError>(())
    };
    match &event.payload {
        Some(MemberRegistered(m)) => rows.insert(
            MEMBERS,
            vec![
                member()?,
                Value::Int(m.gender),
                birth_date(event, m)?,
                Value::opt_text(m.city.as_deref()),
                Value::Timestamp(at),
                Value::Null,
                Value::Null,
                Value::Timestamp(at),
                Value::Timestamp(at),
            ],
        ),
        Some(RegistrationApproved(_)) => {
            rows.change(MEMBERS, member()?, "approved_at", at);
            item(rows, ItemKind::NewMember, None, member()?)?;
        }
        Some(MemberDeleted(_)) => rows.change(MEMBERS, member()?, "deleted_at", at),
        Some(SearchProfileSet(p)) => {
            let age = |field: &str, n: u32| {
                i32::try_from(n).map(Value::Int).map_err(|_| {
                    super::project::problem(event, format!("{field} {n} is not an age"))
                })
            };
            rows.insert(
                SEARCH_PROFILES,
                vec![
                    uuid(event, "event_id", &event.event_id)?,
                    member()?,
                    p.seeking_gender.map_or(Value::Null, Value::Int),
                    age("age_min", p.age_min)?,
                    age("age_max", p.age_max)?,
                    Value::opt_text(p.city.as_deref()),
                    Value::Timestamp(at),
                    Value::Timestamp(at),
                ],
            );
        }
        Some(PhotoUploaded(p)) => item(
            rows,
            ItemKind::Photo,
            None,
            uuid(event, "photo_id", &p.photo_id)?,
        )?,
        Some(FlirtSent(f)) => item(
            rows,
            ItemKind::Flirt,
            Some(uuid(event, "recipient_id", &f.recipient_id)?),
            uuid(event, "flirt_id", &f.flirt_id)?,
        )?,
        Some(ProfileVisited(v)) => item(
            rows,
            ItemKind::Visit,
            Some(uuid(event, "visited_id", &v.visited_id)?),
            uuid(event, "visit_id", &v.visit_id)?,
        )?,
        _ => project_blocks(event, rows, BLOCKS_TABLE)?,
    }
    Ok(())
}

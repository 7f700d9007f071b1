//! The alerts module: what a member is told of (flirts, visits, photo
//! likes, favorites) into `alerts`, hidden by blocks at the end.

use super::{BLOCKS, Computed, PgModule, TableSpec, occurred_at, project_blocks, uuid};
use crate::postgres::copy::Value;
use pancake_proto::events::event;

pub static ALERTS: PgModule = PgModule {
    tables: &[
        TableSpec {
            name: "alerts",
            columns: &[
                "alert_id",
                "member_id",
                "from_member_id",
                "kind",
                "subject_id",
                "photo_id",
                "flirt_kind",
                "occurred_at",
                "hidden_by_block_id",
                "created_at",
                "updated_at",
            ],
            changes: &[],
        },
        BLOCKS,
    ],
    migrations: &[
        include_str!("../../../sql/alerts/v1.sql"),
        include_str!("../../../sql/alerts/v2.sql"),
    ],
    indexes: include_str!("../../../sql/alerts/indexes.sql"),
    finish: include_str!("../../../sql/alerts/finish.sql"),
    derived: &[],
    payload_dictionary: false,
    computed: Computed::Nothing,
    project: |event, rows| {
        use event::Payload::*;
        let mut flirt_kind = None;
        let (kind, recipient, subject, photo) = match &event.payload {
            Some(FlirtSent(f)) => {
                flirt_kind = f.kind.as_deref();
                ("flirt", &f.recipient_id, &f.flirt_id, None)
            }
            Some(ProfileVisited(v)) => ("visit", &v.visited_id, &v.visit_id, None),
            Some(PhotoLiked(l)) => ("photo-like", &l.owner_id, &l.like_id, Some(&l.photo_id)),
            Some(FavoriteAdded(f)) => ("favorite", &f.favorite_member_id, &f.favorite_id, None),
            _ => return project_blocks(event, rows, 1),
        };
        let at = occurred_at(event)?;
        rows.insert(
            0,
            vec![
                uuid(event, "event_id", &event.event_id)?,
                uuid(event, "recipient", recipient)?,
                uuid(event, "member_id", &event.member_id)?,
                Value::Text(kind.into()),
                uuid(event, "subject", subject)?,
                match photo {
                    Some(p) => uuid(event, "photo_id", p)?,
                    None => Value::Null,
                },
                Value::opt_text(flirt_kind),
                Value::Timestamp(at),
                Value::Null,
                Value::Timestamp(at),
                Value::Timestamp(at),
            ],
        );
        Ok(())
    },
};

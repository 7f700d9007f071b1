//! The favorite module: favorites added and removed into `favorites`.

use super::block::made_row;
use super::{Computed, PgModule, TableSpec, occurred_at, uuid};
use pancake_proto::events::event;

pub static FAVORITE: PgModule = PgModule {
    tables: &[TableSpec {
        name: "favorites",
        columns: &[
            "favorite_id",
            "member_id",
            "favorite_member_id",
            "added_at",
            "removed_at",
            "legacy_id",
            "created_at",
            "updated_at",
        ],
        changes: &["removed_at"],
    }],
    migrations: &[include_str!("../../../sql/favorite/v1.sql")],
    indexes: include_str!("../../../sql/favorite/indexes.sql"),
    finish: "",
    derived: &[],
    payload_dictionary: false,
    computed: Computed::Nothing,
    project: |event, rows| {
        let at = occurred_at(event)?;
        match &event.payload {
            Some(event::Payload::FavoriteAdded(f)) => rows.insert(
                0,
                made_row(
                    event,
                    ("favorite_id", &f.favorite_id),
                    ("favorite_member_id", &f.favorite_member_id),
                    at,
                )?,
            ),
            Some(event::Payload::FavoriteRemoved(f)) => rows.change(
                0,
                uuid(event, "favorite_id", &f.favorite_id)?,
                "removed_at",
                at,
            ),
            _ => {}
        }
        Ok(())
    },
};

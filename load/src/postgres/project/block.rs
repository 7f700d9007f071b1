//! The block module: `member-blocked` and `member-unblocked` into
//! `blocks`, a table chat and alerts keep too (to hide what a block hides).

use super::{Computed, PartRows, PgModule, ProjectError, TableSpec, legacy_key, occurred_at, uuid};
use crate::postgres::copy::Value;
use pancake_proto::events::{Event, event};

pub(crate) const BLOCKS: TableSpec = TableSpec {
    name: "blocks",
    columns: &[
        "block_id",
        "blocker_id",
        "blocked_id",
        "blocked_at",
        "unblocked_at",
        "legacy_id",
        "created_at",
        "updated_at",
    ],
    changes: &["unblocked_at"],
};

/// The row of something a member makes towards another member at `at` and
/// may undo later (a block, a favorite): its `id`, the member, the `other`
/// member (each field named for the error of a value that is not a UUID),
/// made at, undone at (null until a change sets it), the legacy key,
/// created and updated at.
pub(super) fn made_row(
    event: &Event,
    id: (&'static str, &[u8]),
    other: (&'static str, &[u8]),
    at: i64,
) -> Result<Vec<Value>, ProjectError> {
    Ok(vec![
        uuid(event, id.0, id.1)?,
        uuid(event, "member_id", &event.member_id)?,
        uuid(event, other.0, other.1)?,
        Value::Timestamp(at),
        Value::Null,
        legacy_key(event),
        Value::Timestamp(at),
        Value::Timestamp(at),
    ])
}

/// `member-blocked` and `member-unblocked` into a `blocks` table (`table`).
pub(crate) fn project_blocks(
    event: &Event,
    rows: &mut PartRows,
    table: usize,
) -> Result<(), ProjectError> {
    let at = occurred_at(event)?;
    match &event.payload {
        Some(event::Payload::MemberBlocked(b)) => rows.insert(
            table,
            made_row(
                event,
                ("block_id", &b.block_id),
                ("blocked_id", &b.blocked_id),
                at,
            )?,
        ),
        Some(event::Payload::MemberUnblocked(b)) => rows.change(
            table,
            uuid(event, "block_id", &b.block_id)?,
            "unblocked_at",
            at,
        ),
        _ => {}
    }
    Ok(())
}

pub static BLOCK: PgModule = PgModule {
    tables: &[BLOCKS],
    migrations: &[include_str!("../../../sql/block/v1.sql")],
    indexes: include_str!("../../../sql/block/indexes.sql"),
    finish: "",
    derived: &[],
    payload_dictionary: false,
    computed: Computed::Nothing,
    project: |event, rows| project_blocks(event, rows, 0),
};

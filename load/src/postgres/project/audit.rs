//! The audit module: every event, its payload compressed with the
//! stream's dictionary, into `events`.

use super::{Computed, PgModule, TableSpec, occurred_at, uuid};
use crate::postgres::copy::Value;
use pancake_proto::names::kind_name;

pub static AUDIT: PgModule = PgModule {
    tables: &[TableSpec {
        name: "events",
        columns: &[
            "event_id",
            "kind",
            "occurred_at",
            "member_id",
            "source_table",
            "source_key",
            "payload",
            "created_at",
        ],
        changes: &[],
    }],
    migrations: &[
        include_str!("../../../sql/audit/v1.sql"),
        include_str!("../../../sql/audit/v2.sql"),
        include_str!("../../../sql/audit/v3.sql"),
        include_str!("../../../sql/audit/v4.sql"),
    ],
    indexes: include_str!("../../../sql/audit/indexes.sql"),
    finish: "",
    derived: &[],
    payload_dictionary: true,
    computed: Computed::Nothing,
    project: |event, rows| {
        let at = occurred_at(event)?;
        let source = event.source.as_ref();
        let payload = rows.compress_payload(event)?;
        rows.insert(
            0,
            vec![
                uuid(event, "event_id", &event.event_id)?,
                Value::Text(kind_name(event.kind()).into()),
                Value::Timestamp(at),
                uuid(event, "member_id", &event.member_id)?,
                Value::Text(source.map_or_else(String::new, |s| s.table.clone())),
                Value::BigInt(source.map_or(0, |s| s.key)),
                Value::Bytes(payload),
                Value::Timestamp(at),
            ],
        );
        Ok(())
    },
};

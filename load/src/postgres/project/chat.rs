//! The chat module: messages and their reads into `messages`, and the
//! blocks between members (`thread_members` derived at the end).

use super::{BLOCKS, Computed, PgModule, TableSpec, legacy_key, occurred_at, project_blocks, uuid};
use crate::postgres::copy::Value;
use pancake_proto::events::event;

pub static CHAT: PgModule = PgModule {
    tables: &[
        TableSpec {
            name: "messages",
            columns: &[
                "message_id",
                "thread_id",
                "sender_id",
                "recipient_id",
                "subject",
                "body",
                "sent_at",
                "read_at",
                "deleted_by_sender",
                "deleted_by_recipient",
                "legacy_id",
                "created_at",
                "updated_at",
            ],
            changes: &["read_at"],
        },
        BLOCKS,
    ],
    migrations: &[
        include_str!("../../../sql/chat/v1.sql"),
        include_str!("../../../sql/chat/v2.sql"),
        include_str!("../../../sql/chat/v3.sql"),
    ],
    indexes: include_str!("../../../sql/chat/indexes.sql"),
    finish: include_str!("../../../sql/chat/finish.sql"),
    derived: &["thread_members"],
    payload_dictionary: false,
    computed: Computed::Nothing,
    project: |event, rows| {
        let at = occurred_at(event)?;
        match &event.payload {
            Some(event::Payload::MessageSent(m)) => rows.insert(
                0,
                vec![
                    uuid(event, "message_id", &m.message_id)?,
                    uuid(event, "thread_id", &m.thread_id)?,
                    uuid(event, "member_id", &event.member_id)?,
                    uuid(event, "recipient_id", &m.recipient_id)?,
                    Value::opt_text(m.subject.as_deref()),
                    Value::Text(m.body.clone()),
                    Value::Timestamp(at),
                    Value::Null,
                    Value::Bool(m.deleted_by_sender),
                    Value::Bool(m.deleted_by_recipient),
                    legacy_key(event),
                    Value::Timestamp(at),
                    Value::Timestamp(at),
                ],
            ),
            Some(event::Payload::MessageRead(m)) => {
                rows.change(0, uuid(event, "message_id", &m.message_id)?, "read_at", at)
            }
            _ => project_blocks(event, rows, 1)?,
        }
        Ok(())
    },
};

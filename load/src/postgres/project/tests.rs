//! The projections' unit tests: folding, the audit enum, bad ids.

use super::*;
use crate::postgres::copy::Value;
use pancake_proto::events::event;
use pancake_proto::events::{EventKind, MessageRead, MessageSent};
use prost_types::Timestamp;

const A: &str = "00000000-0000-5000-8000-00000000000a";
const B: &str = "00000000-0000-5000-8000-00000000000b";
const M1: &str = "00000000-0000-5000-8000-000000000001";
const M2: &str = "00000000-0000-5000-8000-000000000002";

/// The 16 bytes of a UUID written as text.
fn id(text: &str) -> Vec<u8> {
    uuid::Uuid::parse_str(text).unwrap().as_bytes().to_vec()
}

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn sent(key: &str, seconds: i64) -> Event {
    Event {
        event_id: id(key),
        kind: EventKind::MessageSent as i32,
        occurred_at: at(seconds),
        member_id: id(A),
        source: None,
        payload: Some(event::Payload::MessageSent(MessageSent {
            message_id: id(key),
            thread_id: id(key),
            recipient_id: id(B),
            body: "hi".into(),
            subject: None,
            deleted_by_sender: false,
            deleted_by_recipient: false,
        })),
    }
}

fn read(key: &str, seconds: i64) -> Event {
    Event {
        event_id: id(key),
        kind: EventKind::MessageRead as i32,
        occurred_at: at(seconds),
        member_id: id(B),
        source: None,
        payload: Some(event::Payload::MessageRead(MessageRead {
            message_id: id(key),
            thread_id: id(key),
            sender_id: id(A),
        })),
    }
}

#[test]
fn a_change_in_the_same_part_is_folded_into_its_row_and_others_wait() {
    let mut rows = PartRows::new(&CHAT);
    for event in [read(M1, 20), sent(M1, 10), read(M2, 30)] {
        (CHAT.project)(&event, &mut rows).unwrap();
    }
    let pending = rows.fold(&CHAT);
    let table = &rows.tables[0].rows;
    assert_eq!(table.len(), 1);
    let column = |name| &table[0][CHAT.tables[0].column(name)];
    // read_at set, and updated_at moved to the read.
    assert_eq!(column("read_at"), &Value::Timestamp(20_000_000));
    assert_eq!(column("updated_at"), &Value::Timestamp(20_000_000));
    assert_eq!(column("created_at"), &Value::Timestamp(10_000_000));
    // M2's read found no row here: it waits in pancake.pending.
    assert_eq!(pending.rows(), 1);
    let copies = rows.into_copies(&CHAT);
    assert_eq!(copies.tables.len(), 1);
    assert_eq!(copies.tables[0].1.rows(), 1);
}

#[test]
fn the_audit_log_s_kind_enum_names_every_kind() {
    // The values of `event_kind`: those it was created with and those
    // later versions added.
    let mut named = std::collections::BTreeSet::new();
    for script in AUDIT.migrations {
        let created = script
            .split("CREATE TYPE event_kind AS ENUM (")
            .nth(1)
            .and_then(|s| s.split(')').next());
        let added = script
            .split("ADD VALUE IF NOT EXISTS ")
            .skip(1)
            .filter_map(|s| s.split(';').next());
        for list in created.into_iter().chain(added) {
            named.extend(
                list.split(',')
                    .map(|v| v.trim().trim_matches('\'').to_owned()),
            );
        }
    }
    let kinds: std::collections::BTreeSet<String> = pancake_proto::names::EVENT_KINDS
        .iter()
        .map(|&k| kind_name(k).to_owned())
        .chain(["unspecified".to_owned()])
        .collect();
    assert_eq!(named, kinds);
}

#[test]
fn a_bad_uuid_names_the_event_and_field() {
    let mut event = sent(M1, 10);
    event.member_id = "not-a-uuid".into();
    let e = (CHAT.project)(&event, &mut PartRows::new(&CHAT)).unwrap_err();
    assert!(
        e.to_string()
            .contains("member_id holds 10 bytes (0x6e6f742d612d75756964), not the 16 of a UUID"),
        "{e}"
    );
    assert!(e.to_string().contains(M1), "{e}");
}

//! How events become rows: each module's projection, and the rows of one
//! part built up before they are copied.
//!
//! A row is created by one event (a message by `message-sent`) and may be
//! changed by later ones (its `read_at` by `message-read`). Both usually sit
//! in the same part, and then the change is folded into the row before it
//! is copied: no UPDATE at all. A change whose row is in another part goes
//! to `pancake.pending` and is applied by key once every part is loaded, so
//! parts can load in any order, in parallel, and each exactly once.

use super::copy::{CopyData, Value, day_number};
use super::payload::{PayloadCodec, PayloadCompressor};
use pancake_proto::events::{Event, event, uuid_text};
use pancake_proto::names::kind_name;
use pancake_proto::record::timestamp_micros;
use std::collections::HashMap;
use std::sync::Arc;

/// One table a projection copies rows into. The first column is the key;
/// `created_at` and `updated_at`, where present, are the last two.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    /// Timestamp columns that later events set (`read_at`, ...), which
    /// also move `updated_at` forward.
    pub changes: &'static [&'static str],
}

impl TableSpec {
    pub fn key(&self) -> &'static str {
        self.columns[0]
    }

    fn column(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| *c == name)
            .expect("a change names a column of its table")
    }

    fn has_updated_at(&self) -> bool {
        self.columns.last() == Some(&"updated_at")
    }

    /// The COPY statement for this table.
    pub fn copy_statement(&self) -> String {
        format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            self.name,
            self.columns.join(", ")
        )
    }
}

/// What a module keeps in PostgreSQL: its schema and how events become rows.
#[derive(Debug)]
pub struct PgModule {
    /// The tables rows are copied into, in the order `project` names them.
    pub tables: &'static [TableSpec],
    /// The schema, one script per version (index 0 is version 1).
    pub migrations: &'static [&'static str],
    /// Keys and indexes, built after the bulk load when the tables started
    /// empty (building them once is cheaper than keeping them up to date
    /// row by row).
    pub indexes: &'static str,
    /// Set-based steps after every load that added parts: derived tables,
    /// retroactive blocks.
    pub finish: &'static str,
    /// Tables the finishing steps fill from the others.
    pub derived: &'static [&'static str],
    /// Payloads are kept compressed with a dictionary trained on the
    /// stream and stored in the module's `payload_dictionaries`
    /// (`dictionary::codec_for`); the projection gets a compressor for it.
    pub payload_dictionary: bool,
    /// Adds an event's rows and changes to a part's rows.
    pub project: fn(&Event, &mut PartRows) -> Result<(), ProjectError>,
    /// Derived tables computed by the loader itself (not in SQL) after the
    /// finishing steps.
    pub computed: Computed,
}

/// Derived tables the loader computes from a module's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Computed {
    Nothing,
    /// The news module's `feeds` (`news::feeds`).
    NewsFeeds,
}

/// An event a projection cannot turn into rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event_id} ({kind}): {problem}")]
pub struct ProjectError {
    pub event_id: String,
    pub kind: &'static str,
    pub problem: String,
}

pub(crate) fn problem(event: &Event, problem: impl Into<String>) -> ProjectError {
    ProjectError {
        event_id: uuid_text(&event.event_id),
        kind: kind_name(event.kind()),
        problem: problem.into(),
    }
}

/// An id field's UUID, checked to be 16 bytes.
pub fn uuid(event: &Event, field: &'static str, bytes: &[u8]) -> Result<Value, ProjectError> {
    pancake_proto::events::id(field, bytes)
        .map(Value::Uuid)
        .map_err(|e| problem(event, e.to_string()))
}

pub(crate) fn occurred_at(event: &Event) -> Result<i64, ProjectError> {
    event
        .occurred_at
        .as_ref()
        .map(timestamp_micros)
        .ok_or_else(|| problem(event, "has no occurred_at"))
}

pub(crate) fn legacy_key(event: &Event) -> Value {
    Value::BigInt(event.source.as_ref().map_or(0, |s| s.key))
}

/// A registration's birth date: a date column, NULL when unknown.
pub(crate) fn birth_date(
    event: &Event,
    m: &pancake_proto::events::MemberRegistered,
) -> Result<Value, ProjectError> {
    let Some(d) = &m.birth_date else {
        return Ok(Value::Null);
    };
    u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(month, day)| day_number(d.year, month, day))
        .map(Value::Date)
        .ok_or_else(|| {
            problem(
                event,
                format!("birth date {}-{}-{} does not exist", d.year, d.month, d.day),
            )
        })
}

/// The rows of one module from one part, and the changes for rows that are
/// not in it.
#[derive(Debug)]
pub struct PartRows {
    tables: Vec<TableRows>,
    changes: Vec<Change>,
    /// For a module that compresses its payloads; made without a
    /// dictionary when first needed if none was given.
    payloads: Option<PayloadCompressor>,
}

#[derive(Debug, Default)]
struct TableRows {
    rows: Vec<Vec<Value>>,
    by_key: HashMap<[u8; 16], usize>,
}

#[derive(Debug)]
struct Change {
    table: usize,
    key: [u8; 16],
    column: &'static str,
    at: i64,
}

/// One part's rows for one module, encoded for COPY.
#[derive(Debug)]
pub struct PartCopies {
    /// (table index, COPY body), for tables that got rows.
    pub tables: Vec<(usize, CopyData)>,
    /// Rows for `pancake.pending`.
    pub pending: CopyData,
}

impl PartRows {
    pub fn new(module: &PgModule) -> PartRows {
        PartRows {
            tables: module.tables.iter().map(|_| TableRows::default()).collect(),
            changes: Vec::new(),
            payloads: None,
        }
    }

    /// Rows whose payloads are compressed with `codec` (the module
    /// database's dictionary).
    pub fn with_payloads(module: &PgModule, codec: Option<&Arc<PayloadCodec>>) -> PartRows {
        PartRows {
            payloads: codec.map(|c| PayloadCompressor::new(c.clone())),
            ..PartRows::new(module)
        }
    }

    /// The event's payload as a module that compresses them keeps it.
    fn compress_payload(&mut self, event: &Event) -> Result<Vec<u8>, ProjectError> {
        self.payloads
            .get_or_insert_with(|| PayloadCompressor::new(Arc::new(PayloadCodec::plain())))
            .compress(event)
            .map_err(|e| problem(event, format!("its payload cannot be compressed: {e}")))
    }

    /// A new row of table `table`; its first value is its key.
    pub fn insert(&mut self, table: usize, row: Vec<Value>) {
        let rows = &mut self.tables[table];
        if let Value::Uuid(key) = row[0] {
            rows.by_key.insert(key, rows.rows.len());
        }
        rows.rows.push(row);
    }

    /// Sets `column` of the row `key` of `table` to `at`.
    pub fn change(&mut self, table: usize, key: Value, column: &'static str, at: i64) {
        if let Value::Uuid(key) = key {
            self.changes.push(Change {
                table,
                key,
                column,
                at,
            });
        }
    }

    /// Folds the changes into the rows they find and encodes everything.
    pub fn into_copies(mut self, module: &PgModule) -> PartCopies {
        let pending = self.fold(module);
        let tables = self
            .tables
            .into_iter()
            .enumerate()
            .filter(|(_, t)| !t.rows.is_empty())
            .map(|(i, t)| {
                let mut copy = CopyData::new();
                for row in &t.rows {
                    copy.row(row);
                }
                (i, copy)
            })
            .collect();
        PartCopies { tables, pending }
    }

    /// Applies each change to its row where the row is in this part; the
    /// rest become `pancake.pending` rows.
    fn fold(&mut self, module: &PgModule) -> CopyData {
        let mut pending = CopyData::new();
        for change in std::mem::take(&mut self.changes) {
            let spec = &module.tables[change.table];
            let rows = &mut self.tables[change.table];
            match rows.by_key.get(&change.key) {
                Some(&i) => {
                    let row = &mut rows.rows[i];
                    row[spec.column(change.column)] = Value::Timestamp(change.at);
                    if spec.has_updated_at() {
                        let last = row.len() - 1;
                        let updated = row[last].micros().unwrap_or(change.at);
                        row[last] = Value::Timestamp(updated.max(change.at));
                    }
                }
                None => pending.row(&[
                    Value::Text(spec.name.to_owned()),
                    Value::Uuid(change.key),
                    Value::Text(change.column.to_owned()),
                    Value::Timestamp(change.at),
                ]),
            }
        }
        pending
    }
}

// ---- the modules -------------------------------------------------------

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
fn made_row(
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
        include_str!("../../sql/profile/v1.sql"),
        include_str!("../../sql/profile/v2.sql"),
    ],
    indexes: include_str!("../../sql/profile/indexes.sql"),
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
        include_str!("../../sql/chat/v1.sql"),
        include_str!("../../sql/chat/v2.sql"),
        include_str!("../../sql/chat/v3.sql"),
    ],
    indexes: include_str!("../../sql/chat/indexes.sql"),
    finish: include_str!("../../sql/chat/finish.sql"),
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
        include_str!("../../sql/alerts/v1.sql"),
        include_str!("../../sql/alerts/v2.sql"),
    ],
    indexes: include_str!("../../sql/alerts/indexes.sql"),
    finish: include_str!("../../sql/alerts/finish.sql"),
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
    migrations: &[include_str!("../../sql/favorite/v1.sql")],
    indexes: include_str!("../../sql/favorite/indexes.sql"),
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

pub static BLOCK: PgModule = PgModule {
    tables: &[BLOCKS],
    migrations: &[include_str!("../../sql/block/v1.sql")],
    indexes: include_str!("../../sql/block/indexes.sql"),
    finish: "",
    derived: &[],
    payload_dictionary: false,
    computed: Computed::Nothing,
    project: |event, rows| project_blocks(event, rows, 0),
};

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
        include_str!("../../sql/audit/v1.sql"),
        include_str!("../../sql/audit/v2.sql"),
        include_str!("../../sql/audit/v3.sql"),
        include_str!("../../sql/audit/v4.sql"),
    ],
    indexes: include_str!("../../sql/audit/indexes.sql"),
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

#[cfg(test)]
mod tests {
    use super::*;
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
            e.to_string().contains(
                "member_id holds 10 bytes (0x6e6f742d612d75756964), not the 16 of a UUID"
            ),
            "{e}"
        );
        assert!(e.to_string().contains(M1), "{e}");
    }
}

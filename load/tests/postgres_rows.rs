//! The PostgreSQL loader against a real server, row by row: the rows of
//! `tiny` hold their events field by field, as predicted here from the
//! events alone (the state changes folded in, both sides of a thread, the
//! alerts a block hides, the audit log's payloads, which decode to the events' own); and the legacy
//! columns `tiny` leaves empty, from the stream made by hand.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::all_events_as_text;
use common::hand::*;
use common::pg::*;
use pancake_load::postgres::payload::decompress_payload;
use pancake_proto::events_v1::event::Payload;
use pancake_proto::events_v1::{Event, EventKind, Gender};
use pancake_proto::record::timestamp_micros;
use sqlx::Row as _;
use std::collections::{BTreeMap, HashMap};

// ---- what the events predict ---------------------------------------------

/// A kind's name, for the v1 form the expectations are computed in.
fn kind_name(kind: EventKind) -> &'static str {
    pancake_proto::names::kind_name((kind as i32).try_into().expect("a kind of both contracts"))
}

fn micros(e: &Event) -> i64 {
    timestamp_micros(e.occurred_at.as_ref().expect("an event has a time"))
}

/// Text as PostgreSQL keeps it: NUL characters become U+FFFD.
fn clean(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

fn legacy_id(e: &Event) -> i64 {
    e.source.as_ref().map_or(0, |s| s.key)
}

/// The state changes of `tiny`, by the key of the row they change.
#[derive(Default)]
struct Changes<'a> {
    approved: HashMap<&'a str, Vec<i64>>,
    deleted: HashMap<&'a str, Vec<i64>>,
    read: HashMap<&'a str, Vec<i64>>,
    unblocked: HashMap<&'a str, Vec<i64>>,
    removed: HashMap<&'a str, Vec<i64>>,
    blocks: Vec<&'a Event>,
}

impl<'a> Changes<'a> {
    fn of(events: &'a [Event]) -> Changes<'a> {
        let mut c = Changes::default();
        for e in events {
            let at = micros(e);
            match &e.payload {
                Some(Payload::RegistrationApproved(_)) => {
                    c.approved.entry(&e.member_id).or_default().push(at)
                }
                Some(Payload::MemberDeleted(_)) => {
                    c.deleted.entry(&e.member_id).or_default().push(at)
                }
                Some(Payload::MessageRead(r)) => c.read.entry(&r.message_id).or_default().push(at),
                Some(Payload::MemberUnblocked(u)) => {
                    c.unblocked.entry(&u.block_id).or_default().push(at)
                }
                Some(Payload::FavoriteRemoved(f)) => {
                    c.removed.entry(&f.favorite_id).or_default().push(at)
                }
                Some(Payload::MemberBlocked(_)) => c.blocks.push(e),
                _ => {}
            }
        }
        c
    }

    /// How many changes `map` has for `key`.
    fn n(map: &HashMap<&str, Vec<i64>>, key: &str) -> usize {
        map.get(key).map_or(0, Vec::len)
    }

    /// The one change of `key` (none is `None`; several are not expected).
    fn one(map: &HashMap<&str, Vec<i64>>, key: &str) -> Option<i64> {
        match map.get(key).map(Vec::as_slice) {
            None | Some([]) => None,
            Some([at]) => Some(*at),
            Some(more) => panic!("{key} changes {} times", more.len()),
        }
    }

    /// The block that hides what `blocked` does from `blocker`: the newest
    /// of the blocks not lifted, as the `current_blocks` views choose.
    fn current_block(&self, blocker: &str, blocked: &str) -> Option<(String, i64)> {
        self.blocks
            .iter()
            .filter_map(|e| match &e.payload {
                Some(Payload::MemberBlocked(b))
                    if e.member_id == blocker
                        && b.blocked_id == blocked
                        && Changes::n(&self.unblocked, &b.block_id) == 0 =>
                {
                    Some((b.block_id.clone(), micros(e)))
                }
                _ => None,
            })
            .min_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)))
    }
}

fn gender_text(g: Gender) -> &'static str {
    match g {
        Gender::Unspecified => "unspecified",
        Gender::Woman => "woman",
        Gender::Man => "man",
        Gender::Other => "other",
    }
}

fn member_row(e: &Event, c: &Changes) -> Row {
    let Some(Payload::MemberRegistered(m)) = &e.payload else {
        panic!("not a registration")
    };
    let at = micros(e);
    let approved = Changes::one(&c.approved, &e.member_id);
    let deleted = Changes::one(&c.deleted, &e.member_id);
    let updated = [Some(at), approved, deleted].into_iter().flatten().max();
    vec![
        ("member_id", some(&e.member_id)),
        ("legacy_id", some(legacy_id(e))),
        ("nickname", some(clean(&m.nickname))),
        ("email", some(clean(&m.email))),
        ("gender", some(gender_text(m.gender()))),
        (
            "birth_date",
            m.birth_date
                .as_ref()
                .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
        ),
        ("city", m.city.as_deref().map(clean)),
        ("portrait_url", m.portrait_url.as_deref().map(clean)),
        ("profile_text", m.profile_text.as_deref().map(clean)),
        ("height_cm", m.height_cm.map(|h| h.to_string())),
        (
            "last_login_at",
            m.last_login_at
                .as_ref()
                .map(|t| timestamp_micros(t).to_string()),
        ),
        ("registered_at", some(at)),
        ("approved_at", approved.map(|t| t.to_string())),
        ("deleted_at", deleted.map(|t| t.to_string())),
        ("created_at", some(at)),
        ("updated_at", updated.map(|t| t.to_string())),
    ]
}

fn message_row(e: &Event, c: &Changes) -> Row {
    let Some(Payload::MessageSent(m)) = &e.payload else {
        panic!("not a message")
    };
    let at = micros(e);
    let read = Changes::one(&c.read, &m.message_id);
    vec![
        ("message_id", some(&m.message_id)),
        ("thread_id", some(&m.thread_id)),
        ("sender_id", some(&e.member_id)),
        ("recipient_id", some(&m.recipient_id)),
        ("subject", m.subject.as_deref().map(clean)),
        ("body", some(clean(&m.body))),
        ("sent_at", some(at)),
        ("read_at", read.map(|t| t.to_string())),
        ("deleted_by_sender", some(m.deleted_by_sender)),
        ("deleted_by_recipient", some(m.deleted_by_recipient)),
        ("legacy_id", some(legacy_id(e))),
        ("created_at", some(at)),
        ("updated_at", some(read.map_or(at, |r| r.max(at)))),
    ]
}

/// A message on one side of a thread: sent at, read at, incoming.
type Sent = (i64, Option<i64>, bool);

/// Both sides of `thread`, as chat's finishing steps derive them.
fn thread_rows(events: &[Event], thread: &str, c: &Changes) -> Vec<(String, Row)> {
    // (member, other) -> (sent, read, incoming) of each message.
    let mut sides: BTreeMap<(String, String), Vec<Sent>> = BTreeMap::new();
    for e in events {
        let Some(Payload::MessageSent(m)) = &e.payload else {
            continue;
        };
        if m.thread_id != thread {
            continue;
        }
        let read = Changes::one(&c.read, &m.message_id);
        let (sent, from, to) = (micros(e), &e.member_id, &m.recipient_id);
        sides
            .entry((from.clone(), to.clone()))
            .or_default()
            .push((sent, read, false));
        sides
            .entry((to.clone(), from.clone()))
            .or_default()
            .push((sent, read, true));
    }
    sides
        .into_iter()
        .map(|((member, other), messages)| {
            let first = messages.iter().map(|m| m.0).min().unwrap();
            let last = messages.iter().map(|m| m.0).max().unwrap();
            let unread = messages.iter().filter(|m| m.2 && m.1.is_none()).count();
            let mut updated = messages
                .iter()
                .map(|m| m.1.map_or(m.0, |r| r.max(m.0)))
                .max()
                .unwrap();
            let block = c.current_block(&member, &other);
            if let Some((_, at)) = &block {
                updated = updated.max(*at);
            }
            let row = vec![
                ("thread_id", some(thread)),
                ("member_id", some(&member)),
                ("other_member_id", some(&other)),
                ("first_message_at", some(first)),
                ("last_message_at", some(last)),
                ("messages", some(messages.len())),
                ("unread", some(unread)),
                ("hidden_by_block_id", block.map(|b| b.0)),
                ("created_at", some(first)),
                ("updated_at", some(updated)),
            ];
            (member, row)
        })
        .collect()
}

/// What an alert-making event becomes in `alerts`: (kind, recipient,
/// subject, photo).
fn alert_of(e: &Event) -> Option<(&'static str, &str, &str, Option<&str>)> {
    match &e.payload {
        Some(Payload::FlirtSent(f)) => Some(("flirt", &f.recipient_id, &f.flirt_id, None)),
        Some(Payload::ProfileVisited(v)) => Some(("visit", &v.visited_id, &v.visit_id, None)),
        Some(Payload::PhotoLiked(l)) => {
            Some(("photo-like", &l.owner_id, &l.like_id, Some(&l.photo_id)))
        }
        Some(Payload::FavoriteAdded(f)) => {
            Some(("favorite", &f.favorite_member_id, &f.favorite_id, None))
        }
        _ => None,
    }
}

fn alert_row(e: &Event, c: &Changes) -> Row {
    let (kind, recipient, subject, photo) = alert_of(e).expect("an alert-making event");
    let at = micros(e);
    let block = c.current_block(recipient, &e.member_id);
    let updated = block.as_ref().map_or(at, |b| b.1.max(at));
    vec![
        ("alert_id", some(&e.event_id)),
        ("member_id", some(recipient)),
        ("from_member_id", some(&e.member_id)),
        ("kind", some(kind)),
        ("subject_id", some(subject)),
        ("photo_id", photo.map(str::to_owned)),
        (
            "flirt_kind",
            match &e.payload {
                Some(Payload::FlirtSent(f)) => f.kind.clone(),
                _ => None,
            },
        ),
        ("occurred_at", some(at)),
        ("hidden_by_block_id", block.map(|b| b.0)),
        ("created_at", some(at)),
        ("updated_at", some(updated)),
    ]
}

/// The row of something a member made towards another at `e` and may have
/// undone (a favorite, a block): `columns` name its id, maker, other
/// member, made and undone columns.
fn made_row(
    e: &Event,
    columns: [&'static str; 5],
    id: &str,
    other: &str,
    undone: Option<i64>,
) -> Row {
    let [id_column, maker, other_column, made, undone_column] = columns;
    let at = micros(e);
    vec![
        (id_column, some(id)),
        (maker, some(&e.member_id)),
        (other_column, some(other)),
        (made, some(at)),
        (undone_column, undone.map(|t| t.to_string())),
        ("legacy_id", some(legacy_id(e))),
        ("created_at", some(at)),
        ("updated_at", some(undone.map_or(at, |u| u.max(at)))),
    ]
}

fn favorite_row(e: &Event, c: &Changes) -> Row {
    let Some(Payload::FavoriteAdded(f)) = &e.payload else {
        panic!("not a favorite")
    };
    let columns = [
        "favorite_id",
        "member_id",
        "favorite_member_id",
        "added_at",
        "removed_at",
    ];
    let removed = Changes::one(&c.removed, &f.favorite_id);
    made_row(e, columns, &f.favorite_id, &f.favorite_member_id, removed)
}

fn block_row(e: &Event, c: &Changes) -> Row {
    let Some(Payload::MemberBlocked(b)) = &e.payload else {
        panic!("not a block")
    };
    let columns = [
        "block_id",
        "blocker_id",
        "blocked_id",
        "blocked_at",
        "unblocked_at",
    ];
    let unblocked = Changes::one(&c.unblocked, &b.block_id);
    made_row(e, columns, &b.block_id, &b.blocked_id, unblocked)
}

/// A bytea as `column_text` reads it: `\x` and hex.
fn unhex(hex: &str) -> Vec<u8> {
    let hex = hex.strip_prefix("\\x").expect("bytea shown as hex");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The audit database's payload dictionary, if the load trained one.
async fn audit_dictionary(conn: &mut sqlx::postgres::PgConnection) -> Option<Vec<u8>> {
    let sql = "SELECT (SELECT dictionary::text FROM payload_dictionaries)";
    text(conn, sql).await.map(|hex| unhex(&hex))
}

/// The audit log's payload (bytea as `column_text` reads it) read back as
/// a reader would: the zstd frame decompressed with the database's
/// dictionary, then the contract's Event holding only its payload, with
/// ids as text as in the events these tests compare with.
fn audit_payload(hex: &str, dictionary: Option<&[u8]>) -> Option<Payload> {
    use prost::Message as _;
    let frame = unhex(hex);
    let bytes = decompress_payload(&frame, dictionary).expect("a zstd frame of a payload");
    let event = pancake_proto::events::Event::decode(bytes.as_slice()).expect("an Event");
    pancake_proto::events::to_v1(&event).payload
}

// ---- the rows ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_hold_their_events_field_by_field() {
    let options = options("fields", &[]);
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    let all = all_events_as_text();
    let c = Changes::of(all);
    let of_kind = |kind: EventKind| all.iter().filter(move |e| e.kind() == kind);
    let has = |what: &str, e: Option<&'static Event>| {
        e.unwrap_or_else(|| panic!("tiny has no {what} to check"))
    };

    // profile: the first member, and members approved and deleted.
    let mut conn = module_db(&options, "profile").await;
    let plain = |e: &&Event| {
        Changes::n(&c.approved, &e.member_id) <= 1 && Changes::n(&c.deleted, &e.member_id) <= 1
    };
    let members = [
        has("member", of_kind(EventKind::MemberRegistered).find(plain)),
        has(
            "approved member",
            of_kind(EventKind::MemberRegistered)
                .filter(plain)
                .find(|e| Changes::n(&c.approved, &e.member_id) == 1),
        ),
        has(
            "deleted member",
            of_kind(EventKind::MemberRegistered)
                .filter(plain)
                .find(|e| Changes::n(&c.deleted, &e.member_id) == 1),
        ),
    ];
    for e in members {
        let filter = format!("member_id = '{}'", e.member_id);
        assert_row(&mut conn, "members", &filter, &member_row(e, &c)).await;
    }

    // chat: a message read (in a thread whose messages were each read at
    // most once), one unread, both sides of the first's thread, blocks.
    let mut conn = module_db(&options, "chat").await;
    let thread_of = |e: &Event| match &e.payload {
        Some(Payload::MessageSent(m)) => (m.thread_id.clone(), m.message_id.clone()),
        _ => unreachable!(),
    };
    let simple_thread = |thread: &str| {
        of_kind(EventKind::MessageSent).all(|e| {
            let (t, id) = thread_of(e);
            t != thread || Changes::n(&c.read, &id) <= 1
        })
    };
    let read = has(
        "message read",
        of_kind(EventKind::MessageSent).find(|e| {
            let (thread, id) = thread_of(e);
            Changes::n(&c.read, &id) == 1 && simple_thread(&thread)
        }),
    );
    let unread = has(
        "message unread",
        of_kind(EventKind::MessageSent).find(|e| Changes::n(&c.read, &thread_of(e).1) == 0),
    );
    for e in [read, unread] {
        let filter = format!("message_id = '{}'", thread_of(e).1);
        assert_row(&mut conn, "messages", &filter, &message_row(e, &c)).await;
    }
    let thread = thread_of(read).0;
    let sides = thread_rows(all, &thread, &c);
    assert_eq!(sides.len(), 2, "a thread has two sides");
    for (member, row) in &sides {
        let filter = format!("thread_id = '{thread}' AND member_id = '{member}'");
        assert_row(&mut conn, "thread_members", &filter, row).await;
    }

    let simple_block = |e: &&Event| match &e.payload {
        Some(Payload::MemberBlocked(b)) => Changes::n(&c.unblocked, &b.block_id) <= 1,
        _ => false,
    };
    let block_id = |e: &Event| match &e.payload {
        Some(Payload::MemberBlocked(b)) => b.block_id.clone(),
        _ => unreachable!(),
    };
    let blocks = [
        has(
            "block lifted",
            of_kind(EventKind::MemberBlocked)
                .filter(simple_block)
                .find(|e| Changes::n(&c.unblocked, &block_id(e)) == 1),
        ),
        has(
            "block in force",
            of_kind(EventKind::MemberBlocked).find(|e| Changes::n(&c.unblocked, &block_id(e)) == 0),
        ),
    ];
    for module in ["block", "chat", "alerts"] {
        let mut conn = module_db(&options, module).await;
        for e in blocks {
            let filter = format!("block_id = '{}'", block_id(e));
            assert_row(&mut conn, "blocks", &filter, &block_row(e, &c)).await;
        }
    }

    // alerts: the first of each kind, and one hidden by a block if tiny has
    // one (the hand-built stream of another test always has).
    let mut conn = module_db(&options, "alerts").await;
    let mut alerts: Vec<&Event> = [
        EventKind::FlirtSent,
        EventKind::ProfileVisited,
        EventKind::PhotoLiked,
        EventKind::FavoriteAdded,
    ]
    .into_iter()
    .map(|k| has(kind_name(k), of_kind(k).next()))
    .collect();
    match all.iter().find(|e| {
        alert_of(e).is_some_and(|(_, to, _, _)| c.current_block(to, &e.member_id).is_some())
    }) {
        Some(hidden) => alerts.push(hidden),
        None => eprintln!("tiny has no alert hidden by a block"),
    }
    for e in alerts {
        let filter = format!("alert_id = '{}'", e.event_id);
        assert_row(&mut conn, "alerts", &filter, &alert_row(e, &c)).await;
    }

    // favorite: one removed, one kept.
    let mut conn = module_db(&options, "favorite").await;
    let favorite_id = |e: &Event| match &e.payload {
        Some(Payload::FavoriteAdded(f)) => f.favorite_id.clone(),
        _ => unreachable!(),
    };
    let favorites = [
        has(
            "favorite removed",
            of_kind(EventKind::FavoriteAdded)
                .find(|e| Changes::n(&c.removed, &favorite_id(e)) == 1),
        ),
        has(
            "favorite kept",
            of_kind(EventKind::FavoriteAdded)
                .find(|e| Changes::n(&c.removed, &favorite_id(e)) == 0),
        ),
    ];
    for e in favorites {
        let filter = format!("favorite_id = '{}'", favorite_id(e));
        assert_row(&mut conn, "favorites", &filter, &favorite_row(e, &c)).await;
    }

    // audit: every event, every column.
    let mut conn = module_db(&options, "audit").await;
    let dictionary = audit_dictionary(&mut conn).await;
    assert!(dictionary.is_some(), "tiny is enough to train on");
    let columns = [
        "event_id",
        "kind",
        "occurred_at",
        "member_id",
        "source_table",
        "source_key",
        "payload",
        "created_at",
    ];
    let sql = format!("SELECT {} FROM events", columns.map(column_text).join(", "));
    let rows: HashMap<String, Vec<Option<String>>> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let values: Vec<Option<String>> = (0..columns.len()).map(|i| r.get(i)).collect();
            (values[0].clone().unwrap(), values)
        })
        .collect();
    assert_eq!(rows.len(), all.len());
    for e in all {
        let got = rows
            .get(&e.event_id)
            .unwrap_or_else(|| panic!("event {} is not in the audit log", e.event_id));
        // The payload's bytes decode to the event's own payload, every
        // field as it was (text is not cleaned: bytea holds NUL as is).
        let payload = audit_payload(got[6].as_deref().unwrap(), dictionary.as_deref());
        assert_eq!(payload, e.payload, "payload of {}", e.event_id);
        let source = e.source.clone().unwrap_or_default();
        let expected = [
            some(&e.event_id),
            // The raw number: v1 has no search-profile-set, so prost's
            // `kind()` would read it as unspecified.
            some(pancake_proto::names::kind_name(
                pancake_proto::events::EventKind::try_from(e.kind).unwrap_or_default(),
            )),
            some(micros(e)),
            some(&e.member_id),
            some(source.table),
            some(source.key),
            got[6].clone(),
            some(micros(e)),
        ];
        assert_eq!(
            got.as_slice(),
            expected.as_slice(),
            "audit row of {}",
            e.event_id
        );
    }
}

// ---- the legacy columns, from the stream made by hand ----------------------

/// The new legacy columns (profile text, height, last login; a flirt's kind,
/// note and when it was seen; a message's subject and deleted flags) reach
/// the module tables and the audit log; `tiny` above has them empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_columns_arrive_in_their_modules() {
    let h = hand_ids();
    let dir = tempfile::tempdir().unwrap();
    write_hand_stream(dir.path(), false);
    let mut options = options("columns", &["profile", "chat", "alerts", "audit"]);
    options.input = dir.path().to_owned();
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;

    let mut conn = module_db(&options, "profile").await;
    for (member, text, height, login) in [
        (
            &h.a,
            some(ANN_PROFILE_TEXT),
            some(ANN_HEIGHT_CM),
            at(ANN_LAST_LOGIN),
        ),
        (&h.b, None, None, None),
    ] {
        let row = vec![
            ("profile_text", text),
            ("height_cm", height),
            ("last_login_at", login),
        ];
        assert_row(
            &mut conn,
            "members",
            &format!("member_id = '{member}'"),
            &row,
        )
        .await;
    }

    let mut conn = module_db(&options, "chat").await;
    for (message, subject, by_sender, by_recipient) in [
        (&h.message_30, some(MESSAGE_30_SUBJECT), false, true),
        (&h.message_31, None, true, false),
    ] {
        let row = vec![
            ("subject", subject),
            ("deleted_by_sender", some(by_sender)),
            ("deleted_by_recipient", some(by_recipient)),
        ];
        assert_row(
            &mut conn,
            "messages",
            &format!("message_id = '{message}'"),
            &row,
        )
        .await;
    }

    let mut conn = module_db(&options, "alerts").await;
    for (alert, kind) in [
        (&h.flirt_ba, some("kiss")),
        (&h.flirt_ca, None),
        (&h.visit_ba, None),
    ] {
        let row = vec![("flirt_kind", kind)];
        assert_row(&mut conn, "alerts", &format!("alert_id = '{alert}'"), &row).await;
    }

    let mut conn = module_db(&options, "audit").await;
    let dictionary = audit_dictionary(&mut conn).await;
    let mut payload = async |id: &str| {
        let sql = format!("SELECT payload::text FROM events WHERE event_id = '{id}'");
        audit_payload(
            &text(&mut conn, &sql)
                .await
                .expect("the event is in the audit log"),
            dictionary.as_deref(),
        )
    };
    let Some(Payload::MemberRegistered(m)) = payload(&uid(1)).await else {
        panic!("ann's registration payload")
    };
    assert_eq!(m.profile_text.as_deref(), Some(ANN_PROFILE_TEXT));
    assert_eq!(m.height_cm, Some(ANN_HEIGHT_CM));
    assert_eq!(
        m.last_login_at.as_ref().map(timestamp_micros),
        Some(T0 + ANN_LAST_LOGIN * SECOND)
    );
    let Some(Payload::FlirtSent(f)) = payload(&h.flirt_ba).await else {
        panic!("the flirt's payload")
    };
    assert_eq!(f.kind.as_deref(), Some("kiss"));
    assert_eq!(f.note.as_deref(), Some(FLIRT_BA_NOTE));
    assert_eq!(
        f.seen_at.as_ref().map(timestamp_micros),
        Some(T0 + 17 * SECOND)
    );
    let Some(Payload::MessageSent(m)) = payload(&uid(30)).await else {
        panic!("message 30's payload")
    };
    assert_eq!(m.subject.as_deref(), Some(MESSAGE_30_SUBJECT));
    assert!(!m.deleted_by_sender);
    assert!(m.deleted_by_recipient);
}

/// A module database made before the legacy columns (schema version 1) is
/// brought to the newest version by the next load: the columns are added,
/// rows already there keep NULL and false in them; chat's threads become
/// one row per thread (rebuilt), and the audit log is written again with
/// protobuf payloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_schema_version_1_gets_the_new_columns() {
    let dir = tempfile::tempdir().unwrap();
    write_hand_stream(dir.path(), false);
    let mut options = options("upgrade", &["profile", "chat", "alerts", "audit"]);
    options.input = dir.path().to_owned();
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    // Back to version 1, as a load before this change left it.
    let v1 = [
        (
            "profile",
            "ALTER TABLE members DROP COLUMN profile_text, DROP COLUMN height_cm, DROP COLUMN last_login_at"
                .to_owned(),
        ),
        (
            "chat",
            "ALTER TABLE messages DROP COLUMN subject, DROP COLUMN deleted_by_sender, DROP COLUMN deleted_by_recipient;
             DROP VIEW thread_members; DROP TABLE threads;
             CREATE TABLE thread_members (thread_id uuid NOT NULL, member_id uuid NOT NULL,
                 other_member_id uuid NOT NULL, first_message_at timestamptz NOT NULL,
                 last_message_at timestamptz NOT NULL, messages bigint NOT NULL,
                 unread bigint NOT NULL, hidden_by_block_id uuid, created_at timestamptz NOT NULL,
                 updated_at timestamptz NOT NULL, PRIMARY KEY (thread_id, member_id));
             CREATE INDEX thread_members_inbox ON thread_members (member_id, last_message_at DESC)"
                .into(),
        ),
        ("alerts", "ALTER TABLE alerts DROP COLUMN flirt_kind".into()),
        (
            "audit",
            format!(
                "DROP TABLE events; DROP TYPE event_kind; {}; {}",
                include_str!("../sql/audit/v1.sql"),
                include_str!("../sql/audit/indexes.sql")
            ),
        ),
    ];
    for (module, drop) in v1 {
        let mut conn = module_db(&options, module).await;
        execute(&mut conn, &drop).await;
        execute(
            &mut conn,
            &format!("UPDATE pancake.schema_version SET version = 1 WHERE module = '{module}'"),
        )
        .await;
    }
    load_ok(&options).await;
    for (module, version, filled) in [
        (
            "profile",
            2,
            "SELECT count(*) FROM members WHERE profile_text IS NOT NULL OR height_cm IS NOT NULL OR last_login_at IS NOT NULL",
        ),
        (
            "chat",
            3,
            "SELECT count(*) FROM messages WHERE subject IS NOT NULL OR deleted_by_sender OR deleted_by_recipient",
        ),
        (
            "alerts",
            2,
            "SELECT count(*) FROM alerts WHERE flirt_kind IS NOT NULL",
        ),
        // The audit log was written again: no row lacks its payload.
        (
            "audit",
            4,
            "SELECT count(*) FROM events WHERE payload IS NULL",
        ),
    ] {
        let mut conn = module_db(&options, module).await;
        let found = "SELECT version::bigint FROM pancake.schema_version";
        assert_eq!(scalar(&mut conn, found).await, version, "{module}");
        assert_eq!(scalar(&mut conn, filled).await, 0, "{module}");
    }
    let mut conn = module_db(&options, "chat").await;
    let sides = "SELECT count(*) FROM thread_members";
    assert!(
        scalar(&mut conn, sides).await > 0,
        "the threads are rebuilt"
    );
    let mut conn = module_db(&options, "audit").await;
    let rows =
        "SELECT (SELECT count(*) FROM events) - (SELECT sum(events) FROM pancake.parts)::bigint";
    assert_eq!(scalar(&mut conn, rows).await, 0, "every event again");
    let sql = format!(
        "SELECT payload::text FROM events WHERE event_id = '{}'",
        uid(30)
    );
    let dictionary = audit_dictionary(&mut conn).await;
    let payload = audit_payload(&text(&mut conn, &sql).await.unwrap(), dictionary.as_deref());
    assert!(
        matches!(payload, Some(Payload::MessageSent(m)) if m.subject.as_deref() == Some(MESSAGE_30_SUBJECT))
    );
}

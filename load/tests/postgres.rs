//! The PostgreSQL loader against a real server: `tiny` into one database per
//! module, checked against its events count by count and row by row;
//! re-runs, resumes, retroactive blocks, a module on a second server, and
//! every way a load is refused, none of them showing a password.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::pg::{db_url, fresh, host_port, options, scalar, server};
use common::{all_events_cached, events, write_stream};
use pancake_load::postgres::{ModuleReport, PgError, PgOptions, PgReport, load};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::event::Payload;
use pancake_proto::events::{self as ev, Event, EventKind, Gender};
use pancake_proto::names::kind_name;
use pancake_proto::record::{micros_timestamp, timestamp_micros};
use pancake_proto::{Manifest, PartReader, ReadOptions};
use serde_json::json;
use sqlx::postgres::PgConnection;
use sqlx::{ConnectOptions as _, Connection as _, Row as _};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

// ---- the server ----------------------------------------------------------

/// A URL of the test server for another user.
fn url_as(user: &str, password: &str) -> String {
    format!("postgres://{user}:{password}@{}/postgres", host_port())
}

/// A connection to the database of DATABASE_URL, as its user.
async fn admin() -> PgConnection {
    server().connect().await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to PostgreSQL at {}: {e}; scripts/services.sh starts one",
            host_port()
        )
    })
}

/// A connection to the database of `module`, as DATABASE_URL's user.
async fn module_db(options: &PgOptions, module: &str) -> PgConnection {
    let database = options.database(module);
    server()
        .database(&database)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connecting to {database}: {e}"))
}

/// A password that appears nowhere else in a message.
const SECRET: &str = "pg-secret-4711";

/// DATABASE_URL with [`SECRET`] as its password where the server does not
/// check it (trust, as scripts/services.sh sets up for 127.0.0.1), so that
/// a message showing it would be caught; else DATABASE_URL as it is.
/// Returns the URL and its password.
async fn secret_url() -> (String, String) {
    let s = server();
    let url = format!(
        "postgres://{}:{SECRET}@{}/{}",
        s.get_username(),
        host_port(),
        s.get_database().unwrap_or("postgres")
    );
    if PgConnection::connect(&url).await.is_ok() {
        return (url, SECRET.to_owned());
    }
    let url = db_url();
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map_or_else(String::new, |(_, p)| p.to_owned());
    (url, password)
}

/// Neither the message nor the debug form of `e` shows `password` (where
/// the password is not also the user or host name, which are shown).
fn assert_hides(e: &PgError, password: &str) {
    let s = server();
    if password.is_empty() || s.get_username().contains(password) || s.get_host().contains(password)
    {
        eprintln!("cannot check that the password is hidden: it is also the user or host name");
        return;
    }
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(password), "the password shows: {text}");
    }
}

/// Makes `role` exist (creating it is racy between test binaries: a
/// duplicate is fine), then gives it `attributes`.
async fn ensure_role(role: &str, attributes: &str) {
    let mut conn = admin().await;
    let sql = format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
             CREATE ROLE {role};
           END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$;
         ALTER ROLE {role} {attributes};"
    );
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("setting up role {role}: {e}"));
}

// ---- each test's own databases -------------------------------------------

async fn load_ok(options: &PgOptions) -> PgReport {
    load(options, Arc::new(()))
        .await
        .unwrap_or_else(|e| panic!("loading {}: {e}", options.input.display()))
}

fn module<'a>(report: &'a PgReport, name: &str) -> &'a ModuleReport {
    report
        .modules
        .iter()
        .find(|m| m.module == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
}

async fn text(conn: &mut PgConnection, sql: &str) -> Option<String> {
    sqlx::query_scalar::<_, Option<String>>(sql)
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn database_exists(name: &str) -> bool {
    let mut conn = admin().await;
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        > 0
}

/// Every module's data tables (derived ones included).
const DATA_TABLES: &[(&str, &[&str])] = &[
    ("profile", &["members"]),
    ("chat", &["messages", "blocks", "thread_members"]),
    ("alerts", &["alerts", "blocks"]),
    ("favorite", &["favorites"]),
    ("block", &["blocks"]),
    ("audit", &["events"]),
];

// ---- what the events predict ---------------------------------------------

fn count_of(kind: EventKind) -> u64 {
    all_events_cached()
        .iter()
        .filter(|e| e.kind() == kind)
        .count() as u64
}

fn micros(e: &Event) -> i64 {
    timestamp_micros(e.occurred_at.as_ref().expect("an event has a time"))
}

fn some(value: impl ToString) -> Option<String> {
    Some(value.to_string())
}

/// Text as PostgreSQL keeps it: NUL characters become U+FFFD.
fn clean(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

fn legacy_id(e: &Event) -> i64 {
    e.source.as_ref().map_or(0, |s| s.key)
}

/// How a column is read back for comparing: timestamps (every `*_at`
/// column) as microseconds since the epoch, everything else as text.
fn column_text(column: &str) -> String {
    if column.ends_with("_at") {
        format!("((extract(epoch from {column}) * 1000000)::bigint)::text")
    } else {
        format!("{column}::text")
    }
}

type Row = Vec<(&'static str, Option<String>)>;

/// The one row of `table` that `filter` selects has exactly the `expected`
/// columns.
async fn assert_row(conn: &mut PgConnection, table: &str, filter: &str, expected: &Row) {
    let sql = format!(
        "SELECT {} FROM {table} WHERE {filter}",
        expected
            .iter()
            .map(|(c, _)| column_text(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = sqlx::query(&sql)
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(rows.len(), 1, "{table} WHERE {filter}: {} rows", rows.len());
    let got: Row = expected
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (*c, rows[0].get::<Option<String>, _>(i)))
        .collect();
    assert_eq!(&got, expected, "{table} WHERE {filter}");
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
        ("body", some(clean(&m.body))),
        ("sent_at", some(at)),
        ("read_at", read.map(|t| t.to_string())),
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
        ("occurred_at", some(at)),
        ("hidden_by_block_id", block.map(|b| b.0)),
        ("created_at", some(at)),
        ("updated_at", some(updated)),
    ]
}

fn favorite_row(e: &Event, c: &Changes) -> Row {
    let Some(Payload::FavoriteAdded(f)) = &e.payload else {
        panic!("not a favorite")
    };
    let at = micros(e);
    let removed = Changes::one(&c.removed, &f.favorite_id);
    vec![
        ("favorite_id", some(&f.favorite_id)),
        ("member_id", some(&e.member_id)),
        ("favorite_member_id", some(&f.favorite_member_id)),
        ("added_at", some(at)),
        ("removed_at", removed.map(|t| t.to_string())),
        ("legacy_id", some(legacy_id(e))),
        ("created_at", some(at)),
        ("updated_at", some(removed.map_or(at, |r| r.max(at)))),
    ]
}

fn block_row(e: &Event, c: &Changes) -> Row {
    let Some(Payload::MemberBlocked(b)) = &e.payload else {
        panic!("not a block")
    };
    let at = micros(e);
    let unblocked = Changes::one(&c.unblocked, &b.block_id);
    vec![
        ("block_id", some(&b.block_id)),
        ("blocker_id", some(&e.member_id)),
        ("blocked_id", some(&b.blocked_id)),
        ("blocked_at", some(at)),
        ("unblocked_at", unblocked.map(|t| t.to_string())),
        ("legacy_id", some(legacy_id(e))),
        ("created_at", some(at)),
        ("updated_at", some(unblocked.map_or(at, |u| u.max(at)))),
    ]
}

/// An event's payload as the audit log should keep it: the .proto field
/// names, enums by their .proto names, dates as `YYYY-MM-DD`.
fn expected_payload(e: &Event) -> serde_json::Value {
    use Payload::*;
    let c = |s: &str| json!(clean(s));
    match &e.payload {
        None | Some(RegistrationApproved(_)) | Some(MemberDeleted(_)) => json!({}),
        Some(MemberRegistered(m)) => {
            let mut o = json!({
                "nickname": c(&m.nickname),
                "email": c(&m.email),
                "gender": m.gender().as_str_name(),
            });
            if let Some(d) = &m.birth_date {
                o["birth_date"] = json!(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day));
            }
            if let Some(city) = &m.city {
                o["city"] = c(city);
            }
            if let Some(url) = &m.portrait_url {
                o["portrait_url"] = c(url);
            }
            o
        }
        Some(FlirtSent(f)) => json!({"flirt_id": f.flirt_id, "recipient_id": f.recipient_id}),
        Some(MessageSent(m)) => json!({
            "message_id": m.message_id,
            "thread_id": m.thread_id,
            "recipient_id": m.recipient_id,
            "body": c(&m.body),
        }),
        Some(MessageRead(m)) => json!({
            "message_id": m.message_id,
            "thread_id": m.thread_id,
            "sender_id": m.sender_id,
        }),
        Some(MemberBlocked(b)) => json!({"block_id": b.block_id, "blocked_id": b.blocked_id}),
        Some(MemberUnblocked(b)) => json!({"block_id": b.block_id, "blocked_id": b.blocked_id}),
        Some(FavoriteAdded(f)) => json!({
            "favorite_id": f.favorite_id,
            "favorite_member_id": f.favorite_member_id,
        }),
        Some(FavoriteRemoved(f)) => json!({
            "favorite_id": f.favorite_id,
            "favorite_member_id": f.favorite_member_id,
        }),
        Some(ProfileVisited(v)) => json!({"visit_id": v.visit_id, "visited_id": v.visited_id}),
        Some(PhotoUploaded(p)) => json!({"photo_id": p.photo_id, "url": c(&p.url)}),
        Some(PhotoLiked(l)) => json!({
            "like_id": l.like_id,
            "photo_id": l.photo_id,
            "owner_id": l.owner_id,
        }),
    }
}

/// The event ids of every part of the stream in `dir`.
fn part_ids(dir: &Path) -> BTreeMap<(String, u32), Vec<String>> {
    let manifest = Manifest::load(dir).unwrap();
    let mut out = BTreeMap::new();
    for table in &manifest.tables {
        for part in &table.parts {
            let options = ReadOptions {
                part_number: Some(part.number),
                ..ReadOptions::expect::<Event>(DumpKind::EventStream, &table.name)
            };
            let mut reader = PartReader::open(&dir.join(&part.file), &options).unwrap();
            let mut ids = Vec::new();
            while let Some(e) = reader.next_record::<Event>().unwrap() {
                ids.push(e.event_id);
            }
            out.insert((table.name.clone(), part.number), ids);
        }
    }
    out
}

fn part_count(dir: &Path) -> u64 {
    Manifest::load(dir)
        .unwrap()
        .tables
        .iter()
        .map(|t| t.parts.len() as u64)
        .sum()
}

/// Digests of every data table of `module` and of the loader's bookkeeping
/// (but the times parts were loaded at).
async fn digest(options: &PgOptions, module: &str) -> Vec<(String, String)> {
    let tables = DATA_TABLES.iter().find(|(m, _)| *m == module).unwrap().1;
    let mut conn = module_db(options, module).await;
    let present: BTreeSet<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(
        present,
        tables
            .iter()
            .map(|t| t.to_string())
            .collect::<BTreeSet<_>>(),
        "{module}: the digest covers every table"
    );
    let mut out = Vec::new();
    for table in tables {
        let sql = format!(
            "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t"
        );
        out.push((table.to_string(), text(&mut conn, &sql).await.unwrap()));
    }
    for (name, sql) in [
        (
            "pancake.parts",
            "SELECT count(*) || ' ' || coalesce(md5(string_agg(concat_ws('|', stream_table, part, events, rows::text), ',' ORDER BY stream_table, part)), '') FROM pancake.parts",
        ),
        (
            "pancake.stream",
            "SELECT concat_ws('|', fingerprint, created_at, source, finished_at, indexes_built) FROM pancake.stream",
        ),
        (
            "pancake.pending",
            "SELECT count(*)::text FROM pancake.pending",
        ),
        (
            "pancake.schema_version",
            "SELECT string_agg(concat_ws('|', module, version, applied_at), ',') FROM pancake.schema_version",
        ),
    ] {
        out.push((
            name.to_owned(),
            text(&mut conn, sql).await.unwrap_or_default(),
        ));
    }
    out
}

// ---- tiny, whole ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_counts_follow_the_event_counts() {
    use EventKind::*;
    let options = options("counts", &[]);
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;

    let all = all_events_cached();
    let n = count_of;
    for kind in [
        MemberRegistered,
        RegistrationApproved,
        MemberDeleted,
        MessageSent,
        MessageRead,
        MemberBlocked,
        MemberUnblocked,
        FlirtSent,
        ProfileVisited,
        PhotoLiked,
        FavoriteAdded,
        FavoriteRemoved,
    ] {
        assert!(
            n(kind) > 0,
            "tiny has no {}: the counts prove little",
            kind_name(kind)
        );
    }
    // Both sides of every thread.
    let sides: BTreeSet<(&str, &str)> = all
        .iter()
        .filter_map(|e| match &e.payload {
            Some(Payload::MessageSent(m)) => Some([
                (m.thread_id.as_str(), e.member_id.as_str()),
                (m.thread_id.as_str(), m.recipient_id.as_str()),
            ]),
            _ => None,
        })
        .flatten()
        .collect();

    let alerts = n(FlirtSent) + n(ProfileVisited) + n(PhotoLiked) + n(FavoriteAdded);
    let expected: &[(&str, &[(&str, u64)])] = &[
        (
            "profile",
            &[
                ("SELECT count(*) FROM members", n(MemberRegistered)),
                (
                    "SELECT count(*) FROM members WHERE approved_at IS NOT NULL",
                    n(RegistrationApproved),
                ),
                (
                    "SELECT count(*) FROM members WHERE deleted_at IS NOT NULL",
                    n(MemberDeleted),
                ),
            ],
        ),
        (
            "chat",
            &[
                ("SELECT count(*) FROM messages", n(MessageSent)),
                (
                    "SELECT count(*) FROM messages WHERE read_at IS NOT NULL",
                    n(MessageRead),
                ),
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                (
                    "SELECT count(*) FROM blocks WHERE unblocked_at IS NOT NULL",
                    n(MemberUnblocked),
                ),
                ("SELECT count(*) FROM thread_members", sides.len() as u64),
            ],
        ),
        (
            "alerts",
            &[
                ("SELECT count(*) FROM alerts", alerts),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'flirt'",
                    n(FlirtSent),
                ),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'visit'",
                    n(ProfileVisited),
                ),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'photo-like'",
                    n(PhotoLiked),
                ),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'favorite'",
                    n(FavoriteAdded),
                ),
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                (
                    "SELECT count(*) FROM blocks WHERE unblocked_at IS NOT NULL",
                    n(MemberUnblocked),
                ),
            ],
        ),
        (
            "favorite",
            &[
                ("SELECT count(*) FROM favorites", n(FavoriteAdded)),
                (
                    "SELECT count(*) FROM favorites WHERE removed_at IS NOT NULL",
                    n(FavoriteRemoved),
                ),
            ],
        ),
        (
            "block",
            &[
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                (
                    "SELECT count(*) FROM blocks WHERE unblocked_at IS NOT NULL",
                    n(MemberUnblocked),
                ),
            ],
        ),
        (
            "audit",
            &[
                ("SELECT count(*) FROM events", all.len() as u64),
                (
                    "SELECT count(DISTINCT event_id) FROM events",
                    all.len() as u64,
                ),
            ],
        ),
    ];

    let parts = part_count(events());
    assert_eq!(report.events_read, all.len() as u64);
    assert_eq!(report.modules.len(), expected.len());
    assert!(!report.up_to_date());
    for (name, checks) in expected {
        let m = module(&report, name);
        let spec = pancake_load::ModuleSpec::by_name(name).unwrap();
        let consumed = all.iter().filter(|e| spec.consumes(e.kind())).count() as u64;
        assert!(m.created, "{name}");
        assert!(!m.up_to_date, "{name}");
        assert_eq!((m.parts_loaded, m.parts_skipped), (parts, 0), "{name}");
        assert_eq!(m.events, consumed, "{name}: events");
        assert_eq!(m.finished.changes_waiting, 0, "{name}");
        assert_eq!(
            m.database,
            format!(
                "postgres://{}@{}/{}_{name}",
                server().get_username(),
                host_port(),
                options.prefix
            ),
        );

        let mut conn = module_db(&options, name).await;
        for (sql, want) in *checks {
            assert_eq!(scalar(&mut conn, sql).await as u64, *want, "{name}: {sql}");
        }
        assert_eq!(
            scalar(&mut conn, "SELECT count(*) FROM pancake.pending").await,
            0,
            "{name}"
        );
        assert_eq!(
            scalar(&mut conn, "SELECT count(*) FROM pancake.parts").await as u64,
            parts
        );
        assert_eq!(
            scalar(&mut conn, "SELECT sum(events)::bigint FROM pancake.parts").await as u64,
            consumed,
            "{name}"
        );
        assert_eq!(
            scalar(
                &mut conn,
                "SELECT count(*) FROM pancake.stream WHERE finished_at IS NOT NULL AND indexes_built"
            )
            .await,
            1,
            "{name}: finished"
        );
        // The report's counts are the database's.
        let tables = DATA_TABLES.iter().find(|(m, _)| m == name).unwrap().1;
        assert_eq!(
            m.tables
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<BTreeSet<_>>(),
            tables.iter().copied().collect::<BTreeSet<_>>(),
            "{name}: tables reported"
        );
        let mut copied = 0;
        for (table, rows) in &m.tables {
            let sql = format!("SELECT count(*) FROM {table}");
            assert_eq!(
                scalar(&mut conn, &sql).await as u64,
                *rows,
                "{name}: {table}"
            );
            if table != "thread_members" {
                copied += rows;
            }
        }
        assert_eq!(m.rows, copied, "{name}: rows copied");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_hold_their_events_field_by_field() {
    let options = options("fields", &[]);
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    let all = all_events_cached();
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
    let rows: HashMap<String, Vec<Option<String>>> = sqlx::query(&sql)
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
        let payload: serde_json::Value = serde_json::from_str(got[6].as_deref().unwrap()).unwrap();
        assert_eq!(payload, expected_payload(e), "payload of {}", e.event_id);
        let source = e.source.clone().unwrap_or_default();
        let expected = [
            some(&e.event_id),
            some(kind_name(e.kind())),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_the_same_stream_again_changes_nothing() {
    let options = options("again", &[]);
    let _cleanup = fresh(&options).await;
    let first = load_ok(&options).await;
    let mut before = Vec::new();
    for (module, _) in DATA_TABLES {
        before.push(digest(&options, module).await);
    }

    let second = load_ok(&options).await;
    assert!(second.up_to_date(), "{second:#?}");
    assert_eq!(second.events_read, 0);
    let parts = part_count(events());
    for (m, earlier) in second.modules.iter().zip(&first.modules) {
        assert!(m.up_to_date && !m.created, "{}", m.module);
        assert_eq!(
            (m.parts_loaded, m.parts_skipped),
            (0, parts),
            "{}",
            m.module
        );
        assert_eq!((m.events, m.rows), (0, 0), "{}", m.module);
        assert_eq!(m.tables, earlier.tables, "{}", m.module);
    }
    for ((module, tables), earlier) in DATA_TABLES.iter().zip(before) {
        let now = digest(&options, module).await;
        assert_eq!(now, earlier, "{module}");
        for table in *tables {
            let rows = &now.iter().find(|(t, _)| t == table).unwrap().1;
            assert!(
                !rows.starts_with("0 "),
                "{module}.{table} is empty: the digest proves little"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_indexes_first_loads_the_same_rows() {
    let mut first = options("idxfirst", &["chat", "alerts", "profile"]);
    first.indexes_first = true;
    let later = options("idxlater", &["chat", "alerts", "profile"]);
    let _cleanup = (fresh(&first).await, fresh(&later).await);
    load_ok(&first).await;
    load_ok(&later).await;
    for module in ["chat", "alerts", "profile"] {
        let tables = |d: Vec<(String, String)>| {
            d.into_iter()
                .filter(|(t, _)| !t.starts_with("pancake."))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tables(digest(&first, module).await),
            tables(digest(&later, module).await),
            "{module}"
        );
    }
}

// ---- retroactive blocks, with a stream made by hand ------------------------

/// 2020-09-13T12:26:40Z.
const T0: i64 = 1_600_000_000_000_000;
const SECOND: i64 = 1_000_000;

fn uid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn hand(id: u64, member: &str, seconds: i64, payload: Payload) -> Event {
    use Payload::*;
    let kind = match &payload {
        MemberRegistered(_) => EventKind::MemberRegistered,
        RegistrationApproved(_) => EventKind::RegistrationApproved,
        MemberDeleted(_) => EventKind::MemberDeleted,
        FlirtSent(_) => EventKind::FlirtSent,
        MessageSent(_) => EventKind::MessageSent,
        MessageRead(_) => EventKind::MessageRead,
        MemberBlocked(_) => EventKind::MemberBlocked,
        MemberUnblocked(_) => EventKind::MemberUnblocked,
        FavoriteAdded(_) => EventKind::FavoriteAdded,
        FavoriteRemoved(_) => EventKind::FavoriteRemoved,
        ProfileVisited(_) => EventKind::ProfileVisited,
        PhotoUploaded(_) => EventKind::PhotoUploaded,
        PhotoLiked(_) => EventKind::PhotoLiked,
    };
    Event {
        event_id: uid(id),
        kind: kind as i32,
        occurred_at: Some(micros_timestamp(T0 + seconds * SECOND)),
        member_id: member.to_owned(),
        source: Some(ev::LegacySource {
            table: "Hand".into(),
            key: id as i64,
        }),
        payload: Some(payload),
    }
}

struct Hand {
    a: String,
    b: String,
    c: String,
    thread_ab: String,
    thread_ac: String,
    block_ab: String,
    block_ac: String,
    flirt_ba: String,
    visit_ba: String,
    flirt_ca: String,
}

fn hand_ids() -> Hand {
    Hand {
        a: uid(0xa),
        b: uid(0xb),
        c: uid(0xc),
        thread_ab: uid(0x1ab),
        thread_ac: uid(0x1ac),
        block_ab: uid(0x2ab),
        block_ac: uid(0x2ac),
        flirt_ba: uid(10),
        visit_ba: uid(20),
        flirt_ca: uid(11),
    }
}

/// Members A, B and C; B flirts with A, visits A and writes to A, who
/// answers and reads; C writes to A and flirts with A. A blocked C briefly
/// early on, and blocks B after all that (a retroactive block); with
/// `unblock`, A unblocks B later. Unblocks sit in a part of their own, so
/// they wait for their block's row.
fn write_hand_stream(dir: &Path, unblock: bool) {
    use ev::*;
    let h = hand_ids();
    let reg = |id, member: &str, seconds, nick: &str| {
        hand(
            id,
            member,
            seconds,
            Payload::MemberRegistered(MemberRegistered {
                nickname: nick.into(),
                email: format!("{nick}@example.invalid"),
                gender: Gender::Woman as i32,
                birth_date: Some(ev::Date {
                    year: 1990,
                    month: 2,
                    day: 28,
                }),
                city: None,
                portrait_url: None,
            }),
        )
    };
    let members = vec![
        reg(1, &h.a, 0, "ann"),
        reg(2, &h.b, 1, "bob"),
        reg(3, &h.c, 2, "cy"),
    ];
    let flirt = |id, from: &str, seconds| {
        hand(
            id,
            from,
            seconds,
            Payload::FlirtSent(FlirtSent {
                flirt_id: uid(0x1000 + id),
                recipient_id: h.a.clone(),
            }),
        )
    };
    let flirts = vec![flirt(10, &h.b, 10), flirt(11, &h.c, 14)];
    let visits = vec![hand(
        20,
        &h.b,
        11,
        Payload::ProfileVisited(ProfileVisited {
            visit_id: uid(0x1020),
            visited_id: h.a.clone(),
        }),
    )];
    let message = |id, from: &str, to: &str, thread: &str, seconds| {
        hand(
            id,
            from,
            seconds,
            Payload::MessageSent(MessageSent {
                message_id: uid(0x1000 + id),
                thread_id: thread.into(),
                recipient_id: to.into(),
                body: format!("message {id}"),
            }),
        )
    };
    let messages = vec![
        message(30, &h.b, &h.a, &h.thread_ab, 12),
        message(31, &h.c, &h.a, &h.thread_ac, 13),
        message(32, &h.a, &h.b, &h.thread_ab, 15),
        hand(
            33,
            &h.a,
            16,
            Payload::MessageRead(MessageRead {
                message_id: uid(0x1000 + 30),
                thread_id: h.thread_ab.clone(),
                sender_id: h.b.clone(),
            }),
        ),
    ];
    let block = |id, blocked: &str, block_id: &str, seconds| {
        hand(
            id,
            &h.a,
            seconds,
            Payload::MemberBlocked(MemberBlocked {
                block_id: block_id.into(),
                blocked_id: blocked.into(),
            }),
        )
    };
    let unblock_event = |id, blocked: &str, block_id: &str, seconds| {
        hand(
            id,
            &h.a,
            seconds,
            Payload::MemberUnblocked(MemberUnblocked {
                block_id: block_id.into(),
                blocked_id: blocked.into(),
            }),
        )
    };
    let blocks = vec![
        block(40, &h.c, &h.block_ac, 3),
        block(41, &h.b, &h.block_ab, 20),
    ];
    let mut unblocks = vec![unblock_event(42, &h.c, &h.block_ac, 4)];
    if unblock {
        unblocks.push(unblock_event(43, &h.b, &h.block_ab, 30));
    }
    write_stream(
        dir,
        "postgres tests",
        &[
            ("members", vec![members]),
            ("flirts", vec![flirts]),
            ("profile_visits", vec![visits]),
            ("messages", vec![messages]),
            ("blocks", vec![blocks, unblocks]),
        ],
    );
}

fn at(seconds: i64) -> Option<String> {
    some(T0 + seconds * SECOND)
}

/// Loads the hand-made stream (with or without B's unblock) and checks what
/// A sees.
async fn retroactive_blocks(unblock: bool) {
    let h = hand_ids();
    let dir = tempfile::tempdir().unwrap();
    write_hand_stream(dir.path(), unblock);
    let tag = if unblock { "unblock" } else { "block" };
    let mut options = options(tag, &["chat", "alerts", "block"]);
    options.input = dir.path().to_owned();
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;
    let unblocks = 1 + u64::from(unblock);
    for m in &report.modules {
        // The unblocks waited for their blocks' rows in another part.
        assert_eq!(m.finished.changes_applied, unblocks, "{}", m.module);
        assert_eq!(m.finished.changes_waiting, 0, "{}", m.module);
    }
    let hidden_ab = if unblock { None } else { some(&h.block_ab) };
    let unblocked_ab = if unblock { at(30) } else { None };

    let mut conn = module_db(&options, "alerts").await;
    for (alert, hidden, updated) in [
        (
            &h.flirt_ba,
            &hidden_ab,
            if unblock { at(10) } else { at(20) },
        ),
        (
            &h.visit_ba,
            &hidden_ab,
            if unblock { at(11) } else { at(20) },
        ),
        (&h.flirt_ca, &None, at(14)),
    ] {
        let row = vec![
            ("member_id", some(&h.a)),
            ("hidden_by_block_id", hidden.clone()),
            ("updated_at", updated),
        ];
        assert_row(&mut conn, "alerts", &format!("alert_id = '{alert}'"), &row).await;
    }
    assert_eq!(scalar(&mut conn, "SELECT count(*) FROM alerts").await, 3);

    let mut conn = module_db(&options, "chat").await;
    for (thread, member, other, hidden, unread) in [
        (&h.thread_ab, &h.a, &h.b, &hidden_ab, 0),
        (&h.thread_ab, &h.b, &h.a, &None, 1),
        (&h.thread_ac, &h.a, &h.c, &None, 1),
        (&h.thread_ac, &h.c, &h.a, &None, 0),
    ] {
        let row = vec![
            ("other_member_id", some(other)),
            ("hidden_by_block_id", hidden.clone()),
            ("unread", some(unread)),
        ];
        let filter = format!("thread_id = '{thread}' AND member_id = '{member}'");
        assert_row(&mut conn, "thread_members", &filter, &row).await;
    }
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM thread_members").await,
        4
    );

    for module in ["block", "chat", "alerts"] {
        let mut conn = module_db(&options, module).await;
        for (block, blocked, blocked_at, unblocked_at) in [
            (&h.block_ab, &h.b, at(20), unblocked_ab.clone()),
            (&h.block_ac, &h.c, at(3), at(4)),
        ] {
            let row = vec![
                ("blocker_id", some(&h.a)),
                ("blocked_id", some(blocked)),
                ("blocked_at", blocked_at.clone()),
                ("unblocked_at", unblocked_at.clone()),
                ("updated_at", unblocked_at.or(blocked_at)),
            ];
            let filter = format!("block_id = '{block}'");
            assert_row(&mut conn, "blocks", &filter, &row).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_hides_what_came_before_from_the_blocked() {
    retroactive_blocks(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unblock_shows_it_again() {
    retroactive_blocks(true).await;
}

// ---- a module on a second server -------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_can_live_on_another_server() {
    ensure_role("pancake_second", "LOGIN CREATEDB PASSWORD 'second'").await;
    let mut options = options("second", &["profile", "chat"]);
    options.module_urls = vec![("chat".into(), url_as("pancake_second", "second"))];
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;

    let chat = options.database("chat");
    let profile = options.database("profile");
    assert_eq!(
        module(&report, "chat").database,
        format!("postgres://pancake_second@{}/{chat}", host_port())
    );
    let mut conn = admin().await;
    for (database, owner) in [
        (&chat, "pancake_second"),
        (&profile, server().get_username()),
    ] {
        let found: String = sqlx::query_scalar(
            "SELECT r.rolname::text FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1",
        )
        .bind(database)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(found, owner, "owner of {database}");
    }
    let mut conn = module_db(&options, "chat").await;
    assert_eq!(
        text(
            &mut conn,
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'messages'"
        )
        .await,
        some("pancake_second")
    );
    for (sql, kind) in [
        ("SELECT count(*) FROM messages", EventKind::MessageSent),
        (
            "SELECT count(*) FROM messages WHERE read_at IS NOT NULL",
            EventKind::MessageRead,
        ),
        ("SELECT count(*) FROM blocks", EventKind::MemberBlocked),
    ] {
        assert_eq!(scalar(&mut conn, sql).await as u64, count_of(kind), "{sql}");
    }
    let mut conn = module_db(&options, "profile").await;
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM members").await as u64,
        count_of(EventKind::MemberRegistered)
    );
}

// ---- refusals ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_url_is_refused_without_showing_its_password() {
    for (url, module_url) in [
        ("mysql://u:secretpw@h/d", None),
        ("postgres://u:secretpw@h:notaport/d", None),
        ("postgres://u:secretpw@h/d", Some("mysql://u:secretpw@h/d")),
    ] {
        let mut options = options("badurl", &["block"]);
        options.database_url = url.into();
        if let Some(m) = module_url {
            options.module_urls = vec![("block".into(), m.into())];
        }
        let e = load(&options, Arc::new(())).await.unwrap_err();
        assert!(matches!(e, PgError::Url(_)), "{url}: {e:?}");
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains("secretpw"), "{text}");
        }
    }
    let mut options = options("badurl", &["block"]);
    options.module_urls = vec![("nope".into(), db_url())];
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(&e, PgError::UnknownModule(m) if m == "nope"),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_a_refused_connection() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut options = options("refused", &["block"]);
    options.database_url = format!("postgres://postgres:secretpw@127.0.0.1:{port}/postgres");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(&e, PgError::Refused { addr } if *addr == format!("127.0.0.1:{port}")),
        "{e:?}"
    );
    assert!(e.to_string().contains(&port.to_string()), "{e}");
    assert_hides(&e, "secretpw");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_login_error() {
    let mut conn = admin().await;
    let role: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_roles WHERE rolname = 'pancake_password_check'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        role, 1,
        "role pancake_password_check is missing: run scripts/services.sh"
    );
    let mut options = options("login", &["block"]);
    let _cleanup = fresh(&options).await;
    options.database_url = url_as("pancake_password_check", "wrong-secret");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(&e, PgError::Login { user, .. } if user == "pancake_password_check"),
        "{e:?} (does pg_hba.conf check this role's password? scripts/services.sh makes it)"
    );
    assert_hides(&e, "wrong-secret");

    // The right password gets further: to the missing CREATEDB.
    options.database_url = url_as("pancake_password_check", "right-password");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(matches!(e, PgError::CannotCreate { .. }), "{e:?}");
    assert_hides(&e, "right-password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_create_databases_is_told_what_to_do() {
    ensure_role("pancake_nocreate", "LOGIN NOCREATEDB").await;
    let mut options = options("nocreate", &["block"]);
    let _cleanup = fresh(&options).await;
    options.database_url = url_as("pancake_nocreate", "nocreate-secret");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    let database = options.database("block");
    assert!(
        matches!(&e, PgError::CannotCreate { user, database: d, .. }
            if user == "pancake_nocreate" && *d == database),
        "{e:?}"
    );
    assert!(e.to_string().contains("CREATEDB"), "{e}");
    assert_hides(&e, "nocreate-secret");
    assert!(!database_exists(&database).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_version_is_refused() {
    let (url, password) = secret_url().await;
    let mut options = options("version", &["block"]);
    options.database_url = url;
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    let mut conn = module_db(&options, "block").await;
    sqlx::query("UPDATE pancake.schema_version SET version = 99 WHERE module = 'block'")
        .execute(&mut conn)
        .await
        .unwrap();
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(
            e,
            PgError::SchemaVersion {
                module: "block",
                found: 99,
                expected: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert_hides(&e, &password);
    // Nothing was touched.
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT version::bigint FROM pancake.schema_version"
        )
        .await,
        99
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_stream_is_refused() {
    let (url, password) = secret_url().await;
    let mut options = options("other", &["block"]);
    options.database_url = url;
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;

    let dir = tempfile::tempdir().unwrap();
    write_hand_stream(dir.path(), false);
    let mut other = options.clone();
    other.input = dir.path().to_owned();
    let e = load(&other, Arc::new(())).await.unwrap_err();
    assert!(matches!(e, PgError::OtherStream { .. }), "{e:?}");
    assert!(e.to_string().contains("postgres tests"), "{e}");
    assert_hides(&e, &password);
    let mut conn = module_db(&options, "block").await;
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM blocks").await as u64,
        count_of(EventKind::MemberBlocked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_foreign_tables_is_left_alone() {
    let (url, password) = secret_url().await;
    let mut options = options("foreign", &["block"]);
    options.database_url = url;
    let _cleanup = fresh(&options).await;
    let database = options.database("block");
    let mut conn = admin().await;
    sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut conn = module_db(&options, "block").await;
    sqlx::raw_sql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .execute(&mut conn)
        .await
        .unwrap();

    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(matches!(e, PgError::NotPancake { .. }), "{e:?}");
    assert!(e.to_string().contains(&database), "{e}");
    assert_hides(&e, &password);
    assert_eq!(scalar(&mut conn, "SELECT count(*) FROM t").await, 1);
    assert_eq!(
        text(&mut conn, "SELECT to_regnamespace('pancake')::text").await,
        None,
        "pancake wrote into someone else's database"
    );
}

// ---- interruptions and resumes --------------------------------------------

/// Ends the loader's sessions on `database` that run (or ran last, still
/// in their transaction) a statement like `statement`. Returns how many it
/// ended.
async fn terminate_loader(watcher: &mut PgConnection, database: &str, statement: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM (
           SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
           WHERE application_name = 'pancake' AND datname = $1
             AND state <> 'idle' AND pid <> pg_backend_pid() AND query ILIKE $2
         ) k WHERE ok",
    )
    .bind(database)
    .bind(statement)
    .fetch_one(watcher)
    .await
    .unwrap()
}

/// Parts loaded before the watcher starts ending sessions, so that some
/// parts committed before the interruption.
const ARMED_AFTER: i64 = 3;

/// Once `parts` parts of `module` are loaded, ends the loader's sessions
/// running `statement` until one was ended. Returns how many were.
async fn terminate_after(options: &PgOptions, module: &str, parts: i64, statement: &str) -> i64 {
    let database = options.database(module);
    let mut watcher = admin().await;
    let mut db: Option<PgConnection> = None;
    loop {
        if db.is_none() {
            db = server().database(&database).connect().await.ok();
        }
        let loaded = match db.as_mut() {
            Some(conn) => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pancake.parts")
                .fetch_one(conn)
                .await
                .ok(),
            None => None,
        };
        match loaded {
            Some(n) if n >= parts => {
                let ended = terminate_loader(&mut watcher, &database, statement).await;
                if ended > 0 {
                    return ended;
                }
            }
            Some(_) => {}
            None => {
                // Not created yet, or dropped by the reset under us.
                db = None;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    }
}

/// Loads `options` from scratch while ending the loader's session when it
/// runs `statement`, until an ending makes the load fail (tiny loads in
/// moments, so an ending may come too late). Returns the load's error.
async fn interrupted_load(options: &PgOptions, statement: &str) -> PgError {
    for attempt in 1..=10 {
        let mut fresh_options = options.clone();
        fresh_options.reset = true;
        // `load`'s future is not Send (tokio::spawn refuses it), so it runs
        // on this task beside the watcher.
        let loading = load(&fresh_options, Arc::new(()));
        let watching = terminate_after(options, "audit", ARMED_AFTER, statement);
        tokio::pin!(loading, watching);
        let mut terminated = 0;
        let result = loop {
            tokio::select! {
                result = &mut loading => break result,
                n = &mut watching, if terminated == 0 => terminated = n,
            }
        };
        if terminated == 0 && result.is_err() {
            // The load may have seen the ending before the watcher heard
            // back from its own query: let it finish that query.
            let heard = tokio::time::timeout(std::time::Duration::from_secs(5), &mut watching);
            terminated = heard.await.unwrap_or(0);
        }
        match (terminated, result) {
            (0, Ok(_)) => eprintln!("{statement}, attempt {attempt}: the load ended first"),
            (_, Ok(_)) => eprintln!("{statement}, attempt {attempt}: ended too late to matter"),
            (0, Err(e)) => panic!("the load failed with nothing ended: {e}"),
            (_, Err(e)) => {
                eprintln!("{statement}, attempt {attempt}: {e}");
                return e;
            }
        }
    }
    panic!(
        "ending sessions running {statement} never hit a load in 10 attempts: the test proved nothing"
    )
}

/// Interrupts loads of the audit log with `jobs` writers while they run
/// each of `statements`; each time, only whole parts are left, and a
/// re-run loads the rest once.
async fn interrupt_and_resume(tag: &str, jobs: usize, statements: &[&str]) {
    let (url, password) = secret_url().await;
    let mut options = options(tag, &["audit"]);
    options.database_url = url;
    options.jobs = jobs;
    let _cleanup = fresh(&options).await;
    let parts = part_ids(events());
    let all = all_events_cached().len() as i64;

    for &statement in statements {
        let e = interrupted_load(&options, statement).await;
        let gone = |e: &PgError| matches!(e, PgError::Gone { .. } | PgError::Server { .. });
        assert!(
            match &e {
                PgError::Part { cause, .. } => gone(cause),
                e => matches!(e, PgError::Gone { .. }),
            },
            "{statement}: {e:?}"
        );
        assert_hides(&e, &password);

        // Every part recorded as loaded has all its rows; no other part
        // has any.
        let mut conn = module_db(&options, "audit").await;
        let loaded: BTreeSet<(String, u32)> =
            sqlx::query("SELECT stream_table, part FROM pancake.parts")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.get::<String, _>(0), r.get::<i32, _>(1) as u32))
                .collect();
        assert!(
            loaded.len() as i64 >= ARMED_AFTER,
            "{statement}: {loaded:?}"
        );
        assert!(loaded.len() < parts.len(), "{statement}: every part loaded");
        let present: BTreeSet<String> =
            sqlx::query_scalar::<_, String>("SELECT event_id::text FROM events")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .collect();
        for (part, ids) in &parts {
            let there = ids.iter().filter(|id| present.contains(*id)).count();
            let recorded = loaded.contains(part);
            let want = if recorded { ids.len() } else { 0 };
            assert_eq!(
                there, want,
                "{statement}: rows of {part:?} (recorded: {recorded})"
            );
        }
        assert_eq!(
            scalar(&mut conn, "SELECT count(*) FROM events").await,
            scalar(
                &mut conn,
                "SELECT coalesce(sum(events), 0)::bigint FROM pancake.parts"
            )
            .await
        );
        assert_eq!(
            scalar(
                &mut conn,
                "SELECT count(*) FROM pancake.stream WHERE finished_at IS NULL"
            )
            .await,
            1,
            "{statement}: an interrupted load is not finished"
        );
        drop(conn);

        // Running again loads the rest, once.
        let report = load_ok(&options).await;
        let m = module(&report, "audit");
        assert_eq!(m.parts_skipped, loaded.len() as u64, "{statement}");
        assert_eq!(m.parts_loaded + m.parts_skipped, parts.len() as u64);
        let mut conn = module_db(&options, "audit").await;
        assert_eq!(scalar(&mut conn, "SELECT count(*) FROM events").await, all);
        assert_eq!(
            scalar(&mut conn, "SELECT count(DISTINCT event_id) FROM events").await,
            all
        );
        assert_eq!(
            scalar(
                &mut conn,
                "SELECT count(*) FROM pancake.stream WHERE finished_at IS NOT NULL"
            )
            .await,
            1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_ending_the_session_mid_load_leaves_only_whole_parts() {
    // While a part's rows are copied, and while the part is marked as
    // loaded (after its rows, in the same transaction).
    interrupt_and_resume("gone", 1, &["COPY%", "INSERT INTO pancake.parts%"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_losing_its_session_stops_the_others_cleanly() {
    // The other writers are stopped while they wait or copy: the load
    // returns the first error (and does not panic).
    interrupt_and_resume("gone4", 4, &["COPY%"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_resumes_with_the_parts_missing() {
    let options = options("resume", &["audit"]);
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;

    // Take part 0 of members out again, as if its transaction never
    // committed.
    let parts = part_ids(events());
    let missing = ("members".to_owned(), 0);
    let ids = parts
        .get(&missing)
        .expect("tiny has members part 0")
        .clone();
    assert!(!ids.is_empty());
    let mut conn = module_db(&options, "audit").await;
    let mut tx = conn.begin().await.unwrap();
    let gone = sqlx::query("DELETE FROM pancake.parts WHERE stream_table = $1 AND part = $2")
        .bind(&missing.0)
        .bind(missing.1 as i32)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(gone, 1);
    let gone = sqlx::query("DELETE FROM events WHERE event_id::text = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(gone, ids.len() as u64);
    sqlx::query("UPDATE pancake.stream SET finished_at = NULL")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let report = load_ok(&options).await;
    let m = module(&report, "audit");
    assert!(!m.up_to_date);
    assert_eq!(
        (m.parts_loaded, m.parts_skipped),
        (1, parts.len() as u64 - 1)
    );
    assert_eq!((m.events, m.rows), (ids.len() as u64, ids.len() as u64));
    assert_eq!(report.events_read, ids.len() as u64);

    let all = all_events_cached().len() as i64;
    assert_eq!(scalar(&mut conn, "SELECT count(*) FROM events").await, all);
    assert_eq!(
        scalar(&mut conn, "SELECT count(DISTINCT event_id) FROM events").await,
        all
    );
    let back: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_id::text = ANY($1)")
            .bind(&ids)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(back, ids.len() as i64);
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) FROM pancake.stream WHERE finished_at IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        module(&report, "audit").tables,
        vec![("events".to_owned(), all as u64)]
    );
}

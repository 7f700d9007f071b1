//! Golden mapping: a legacy dump written by hand, row by row, transformed,
//! and every event and reject compared field by field with what the design
//! says it must be.
//!
//! Ids are computed here from the documented naming scheme (UUIDv5 under
//! UUIDv5(URL, "pancake:legacy:v1")), not through `pancake_transform::ids`,
//! and a few are pinned as literals, so a change to the scheme fails here.

use pancake_proto::dump::DumpKind;
use pancake_proto::events::{self, Event, EventKind, Reject, RejectReason, event::Payload};
use pancake_proto::legacy::{self, RawText};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::record::event_order;
use pancake_proto::{
    LegacyTable, Manifest, ManifestWriter, PartEntry, PartReader, PartSpec, PartWriter,
    ReadOptions, Record, WriteOptions,
};
use pancake_transform::{TableAccount, TransformOptions, TransformReport, transform};
use prost_types::Timestamp;
use std::collections::BTreeMap;
use std::path::Path;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Ids, from the documented scheme.

fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"pancake:legacy:v1")
}

fn v5(name: &str) -> String {
    Uuid::new_v5(&namespace(), name.as_bytes()).to_string()
}

fn member_id(id: i32) -> String {
    v5(&format!("member:{id}"))
}

fn entity_id(entity: &str, key: i64) -> String {
    v5(&format!("{entity}:{key}"))
}

fn thread_id(a: i32, b: i32) -> String {
    v5(&format!("thread:{}:{}", a.min(b), a.max(b)))
}

fn event_id(kind: &str, table: &str, key: i64) -> String {
    v5(&format!("event:{kind}:{table}:{key}"))
}

#[test]
fn the_naming_scheme_is_pinned() {
    // Computed once with Python's uuid.uuid5, independently of Rust: a
    // change here breaks every idempotent load downstream.
    assert_eq!(
        namespace().to_string(),
        "0ebdabf3-2b25-508f-820d-313ee6f46862"
    );
    assert_eq!(member_id(1), "ac8e1bbd-5808-5258-856f-54636029b91e");
    assert_eq!(member_id(2), "60b49658-1da0-51a8-a79d-a709012353d0");
    assert_eq!(thread_id(2, 1), "cd8317fe-4f96-53bf-ba17-8d2bf7f96a15");
    assert_eq!(
        entity_id("message", 100),
        "697c4276-4779-5ff1-a57b-807e2cdc7df9"
    );
    assert_eq!(
        entity_id("photo", 50),
        "5c38c70e-4c1d-53c4-8852-2f82e4719108"
    );
    assert_eq!(
        entity_id("photo-like", 60),
        "595d5d5d-f23f-5e87-b9a7-4539ca822be0"
    );
    assert_eq!(
        event_id("member-registered", "members", 1),
        "6cb163d3-25d6-5af1-94c8-7402dc091bcd"
    );
    assert_eq!(
        event_id("message-sent", "messages", 100),
        "78dc23da-5328-59a0-b93b-c3932e3e743f"
    );
    assert_eq!(
        event_id("message-read", "messages", 100),
        "a188588f-1fed-5baf-8729-ecb7cb4513c6"
    );
    // And the transform's own functions agree with the scheme.
    use pancake_transform::ids;
    assert_eq!(ids::member(3), member_id(3));
    assert_eq!(ids::thread(2, 1), thread_id(1, 2));
    assert_eq!(ids::entity("photo-like", 60), entity_id("photo-like", 60));
    assert_eq!(
        ids::event("photo-liked", "photo_likes", 60),
        "c7b807b0-0cab-5d21-8103-a667b2904f15"
    );
}

// ---------------------------------------------------------------------------
// The dump.

/// 2024-01-01T00:00:00Z.
const SNAPSHOT: &str = "2024-01-01T00:00:00Z";

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    let t = chrono::NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
        .and_utc();
    Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

fn date(year: i32, month: i32, day: i32) -> Option<legacy::Date> {
    Some(legacy::Date { year, month, day })
}

fn member(
    id: i32,
    nickname: &str,
    email: Option<&str>,
    gender: u32,
    registered: Timestamp,
) -> legacy::Member {
    legacy::Member {
        member_id: id,
        nickname: Some(nickname.into()),
        email: email.map(Into::into),
        gender: Some(gender),
        birth_date: date(1985, 3, 4),
        city: None,
        registered_at: Some(registered),
        approved_at: None,
        portrait_url: None,
        deleted_at: None,
        raw_texts: vec![],
    }
}

fn members_part0() -> Vec<legacy::Member> {
    vec![
        legacy::Member {
            city: Some("Helsinki".into()),
            portrait_url: Some("https://img.example/1.jpg".into()),
            approved_at: Some(at(2010, 1, 2, 9, 0)),
            ..member(1, "anna", Some("anna@example.fi"), 1, at(2010, 1, 1, 10, 0))
        },
        legacy::Member {
            birth_date: date(1980, 12, 31),
            deleted_at: Some(at(2020, 5, 5, 5, 5)),
            ..member(
                2,
                "bertil",
                Some("bertil@example.se"),
                2,
                at(2010, 6, 1, 12, 0),
            )
        },
        legacy::Member {
            birth_date: date(1990, 7, 15),
            city: Some("Åbo".into()),
            ..member(
                3,
                "cecilia",
                Some("cecilia@example.fi"),
                3,
                at(2011, 3, 3, 3, 3),
            )
        },
    ]
}

fn members_part1() -> Vec<legacy::Member> {
    vec![
        // NULL email: null_required.
        member(4, "dan", None, 2, at(2012, 1, 1, 0, 0)),
        // Registered in 1999, before the site: bad_date.
        legacy::Member {
            registered_at: Some(Timestamp {
                seconds: at(1999, 12, 31, 23, 59).seconds + 59,
                nanos: 0,
            }),
            ..member(5, "eve", Some("eve@example.fi"), 1, at(2000, 1, 1, 0, 0))
        },
    ]
}

fn flirts() -> Vec<legacy::Flirt> {
    vec![
        legacy::Flirt {
            flirt_id: 10,
            sender_id: Some(1),
            recipient_id: Some(2),
            sent_at: Some(at(2012, 1, 10, 20, 0)),
        },
        // Flirting with oneself: self_reference.
        legacy::Flirt {
            flirt_id: 11,
            sender_id: Some(3),
            recipient_id: Some(3),
            sent_at: Some(at(2012, 1, 11, 20, 0)),
        },
    ]
}

/// "Hej Anna " and a lone high surrogate, as SQL Server stores it.
fn lone_surrogate_utf16le() -> Vec<u8> {
    let mut units: Vec<u16> = "Hej Anna ".encode_utf16().collect();
    units.push(0xD83D);
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

fn message(id: i64, from: i32, to: i32, body: &str, sent: Timestamp) -> legacy::Message {
    legacy::Message {
        message_id: id,
        sender_id: Some(from),
        recipient_id: Some(to),
        body: Some(body.into()),
        sent_at: Some(sent),
        read_at: None,
        raw_texts: vec![],
    }
}

fn messages() -> Vec<legacy::Message> {
    let sent_100 = Timestamp {
        nanos: 250_000_000,
        ..at(2012, 2, 1, 10, 0)
    };
    vec![
        legacy::Message {
            read_at: Some(at(2012, 2, 1, 12, 30)),
            ..message(100, 1, 2, "Hei Bertil! 😊", sent_100)
        },
        // A repaired lone surrogate: kept, counted as repaired.
        legacy::Message {
            raw_texts: vec![RawText {
                column: "body".into(),
                utf16le: lone_surrogate_utf16le(),
            }],
            ..message(101, 2, 1, "Hej Anna \u{FFFD}", at(2012, 2, 2, 8, 0))
        },
        // To a member who does not exist: orphan.
        message(102, 1, 99, "hello?", at(2012, 2, 3, 8, 0)),
        message(103, 3, 1, "Moi", at(2012, 3, 3, 3, 3)),
        // The same key again: duplicate_key.
        message(103, 3, 1, "Moi", at(2012, 3, 3, 3, 3)),
    ]
}

fn blocks() -> Vec<legacy::Block> {
    vec![legacy::Block {
        block_id: 20,
        blocker_id: Some(1),
        blocked_id: Some(3),
        created_at: Some(at(2013, 1, 1, 1, 1)),
        removed_at: Some(at(2014, 1, 1, 1, 1)),
    }]
}

fn favorites() -> Vec<legacy::Favorite> {
    vec![legacy::Favorite {
        favorite_id: 30,
        member_id: Some(2),
        favorite_member_id: Some(3),
        created_at: Some(at(2013, 2, 2, 2, 2)),
        removed_at: Some(at(2015, 2, 2, 2, 2)),
    }]
}

fn visits() -> Vec<legacy::ProfileVisit> {
    vec![legacy::ProfileVisit {
        visit_id: 40,
        visitor_id: Some(3),
        visited_id: Some(1),
        visited_at: Some(at(2014, 4, 4, 4, 4)),
    }]
}

fn photos() -> Vec<legacy::Photo> {
    vec![legacy::Photo {
        photo_id: 50,
        member_id: Some(3),
        url: Some("https://img.example/p/50.jpg".into()),
        uploaded_at: Some(at(2014, 5, 5, 5, 5)),
        raw_texts: vec![],
    }]
}

fn photo_likes() -> Vec<legacy::PhotoLike> {
    vec![
        legacy::PhotoLike {
            like_id: 60,
            photo_id: Some(50),
            member_id: Some(1),
            liked_at: Some(at(2015, 6, 6, 6, 6)),
        },
        // A photo that does not exist: orphan.
        legacy::PhotoLike {
            like_id: 61,
            photo_id: Some(77),
            member_id: Some(2),
            liked_at: Some(at(2015, 6, 7, 6, 6)),
        },
    ]
}

fn write_part<R: Record>(writer: &ManifestWriter, dir: &Path, table: LegacyTable, rows: &[R]) {
    let number = writer
        .snapshot()
        .table(table.name())
        .map_or(0, |t| t.parts.len() as u32);
    let spec = PartSpec::of::<R>(DumpKind::LegacyDump, table.name(), number);
    let mut part = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for row in rows {
        part.write(row).unwrap();
    }
    let entry = part.finish().unwrap();
    writer
        .commit_part(table.name(), R::TYPE_NAME, false, entry)
        .unwrap();
}

fn write_dump(dir: &Path) {
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, "golden, by hand");
    manifest.snapshot_at = Some(SNAPSHOT.into());
    let writer = ManifestWriter::create(dir, manifest).unwrap();
    for table in LegacyTable::ALL {
        writer
            .declare_table(table.name(), table.record_type(), false)
            .unwrap();
    }
    write_part(&writer, dir, LegacyTable::Members, &members_part0());
    write_part(&writer, dir, LegacyTable::Members, &members_part1());
    write_part(&writer, dir, LegacyTable::Flirts, &flirts());
    write_part(&writer, dir, LegacyTable::Messages, &messages());
    write_part(&writer, dir, LegacyTable::Blocks, &blocks());
    write_part(&writer, dir, LegacyTable::Favorites, &favorites());
    write_part(&writer, dir, LegacyTable::ProfileVisits, &visits());
    write_part(&writer, dir, LegacyTable::Photos, &photos());
    write_part(&writer, dir, LegacyTable::PhotoLikes, &photo_likes());
    writer.finish().unwrap();
}

// ---------------------------------------------------------------------------
// The expected events, in the order each output part must hold them.

fn ev(kind: EventKind, table: &str, key: i64, when: Timestamp, who: i32, p: Payload) -> Event {
    let name = pancake_proto::names::kind_name(kind);
    Event {
        event_id: event_id(name, table, key),
        kind: kind as i32,
        occurred_at: Some(when),
        member_id: member_id(who),
        source: Some(events::LegacySource {
            table: table.into(),
            key,
        }),
        payload: Some(p),
    }
}

#[allow(clippy::too_many_arguments)]
fn registered(
    id: i32,
    when: Timestamp,
    nickname: &str,
    email: &str,
    gender: events::Gender,
    birth: (i32, i32, i32),
    city: Option<&str>,
    portrait: Option<&str>,
) -> Event {
    ev(
        EventKind::MemberRegistered,
        "members",
        i64::from(id),
        when,
        id,
        Payload::MemberRegistered(events::MemberRegistered {
            nickname: nickname.into(),
            email: email.into(),
            gender: gender as i32,
            birth_date: Some(events::Date {
                year: birth.0,
                month: birth.1,
                day: birth.2,
            }),
            city: city.map(Into::into),
            portrait_url: portrait.map(Into::into),
        }),
    )
}

fn expected_events() -> BTreeMap<&'static str, Vec<Vec<Event>>> {
    use EventKind as K;
    let mut out = BTreeMap::new();
    out.insert(
        "members",
        vec![
            vec![
                registered(
                    1,
                    at(2010, 1, 1, 10, 0),
                    "anna",
                    "anna@example.fi",
                    events::Gender::Woman,
                    (1985, 3, 4),
                    Some("Helsinki"),
                    Some("https://img.example/1.jpg"),
                ),
                ev(
                    K::RegistrationApproved,
                    "members",
                    1,
                    at(2010, 1, 2, 9, 0),
                    1,
                    Payload::RegistrationApproved(events::RegistrationApproved {}),
                ),
                registered(
                    2,
                    at(2010, 6, 1, 12, 0),
                    "bertil",
                    "bertil@example.se",
                    events::Gender::Man,
                    (1980, 12, 31),
                    None,
                    None,
                ),
                registered(
                    3,
                    at(2011, 3, 3, 3, 3),
                    "cecilia",
                    "cecilia@example.fi",
                    events::Gender::Other,
                    (1990, 7, 15),
                    Some("Åbo"),
                    None,
                ),
                ev(
                    K::MemberDeleted,
                    "members",
                    2,
                    at(2020, 5, 5, 5, 5),
                    2,
                    Payload::MemberDeleted(events::MemberDeleted {}),
                ),
            ],
            // Input part 1 holds only rejected rows: an empty run.
            vec![],
        ],
    );
    out.insert(
        "flirts",
        vec![vec![ev(
            K::FlirtSent,
            "flirts",
            10,
            at(2012, 1, 10, 20, 0),
            1,
            Payload::FlirtSent(events::FlirtSent {
                flirt_id: entity_id("flirt", 10),
                recipient_id: member_id(2),
            }),
        )]],
    );
    let thread_12 = thread_id(1, 2);
    out.insert(
        "messages",
        vec![vec![
            ev(
                K::MessageSent,
                "messages",
                100,
                Timestamp {
                    nanos: 250_000_000,
                    ..at(2012, 2, 1, 10, 0)
                },
                1,
                Payload::MessageSent(events::MessageSent {
                    message_id: entity_id("message", 100),
                    thread_id: thread_12.clone(),
                    recipient_id: member_id(2),
                    body: "Hei Bertil! 😊".into(),
                }),
            ),
            // Belongs to the reader, the recipient.
            ev(
                K::MessageRead,
                "messages",
                100,
                at(2012, 2, 1, 12, 30),
                2,
                Payload::MessageRead(events::MessageRead {
                    message_id: entity_id("message", 100),
                    thread_id: thread_12.clone(),
                    sender_id: member_id(1),
                }),
            ),
            // The other direction shares the thread; the body is the repaired text.
            ev(
                K::MessageSent,
                "messages",
                101,
                at(2012, 2, 2, 8, 0),
                2,
                Payload::MessageSent(events::MessageSent {
                    message_id: entity_id("message", 101),
                    thread_id: thread_12,
                    recipient_id: member_id(1),
                    body: "Hej Anna \u{FFFD}".into(),
                }),
            ),
            ev(
                K::MessageSent,
                "messages",
                103,
                at(2012, 3, 3, 3, 3),
                3,
                Payload::MessageSent(events::MessageSent {
                    message_id: entity_id("message", 103),
                    thread_id: thread_id(3, 1),
                    recipient_id: member_id(1),
                    body: "Moi".into(),
                }),
            ),
        ]],
    );
    out.insert(
        "blocks",
        vec![vec![
            ev(
                K::MemberBlocked,
                "blocks",
                20,
                at(2013, 1, 1, 1, 1),
                1,
                Payload::MemberBlocked(events::MemberBlocked {
                    block_id: entity_id("block", 20),
                    blocked_id: member_id(3),
                }),
            ),
            ev(
                K::MemberUnblocked,
                "blocks",
                20,
                at(2014, 1, 1, 1, 1),
                1,
                Payload::MemberUnblocked(events::MemberUnblocked {
                    block_id: entity_id("block", 20),
                    blocked_id: member_id(3),
                }),
            ),
        ]],
    );
    out.insert(
        "favorites",
        vec![vec![
            ev(
                K::FavoriteAdded,
                "favorites",
                30,
                at(2013, 2, 2, 2, 2),
                2,
                Payload::FavoriteAdded(events::FavoriteAdded {
                    favorite_id: entity_id("favorite", 30),
                    favorite_member_id: member_id(3),
                }),
            ),
            ev(
                K::FavoriteRemoved,
                "favorites",
                30,
                at(2015, 2, 2, 2, 2),
                2,
                Payload::FavoriteRemoved(events::FavoriteRemoved {
                    favorite_id: entity_id("favorite", 30),
                    favorite_member_id: member_id(3),
                }),
            ),
        ]],
    );
    out.insert(
        "profile_visits",
        vec![vec![ev(
            K::ProfileVisited,
            "profile_visits",
            40,
            at(2014, 4, 4, 4, 4),
            3,
            Payload::ProfileVisited(events::ProfileVisited {
                visit_id: entity_id("visit", 40),
                visited_id: member_id(1),
            }),
        )]],
    );
    out.insert(
        "photos",
        vec![vec![ev(
            K::PhotoUploaded,
            "photos",
            50,
            at(2014, 5, 5, 5, 5),
            3,
            Payload::PhotoUploaded(events::PhotoUploaded {
                photo_id: entity_id("photo", 50),
                url: "https://img.example/p/50.jpg".into(),
            }),
        )]],
    );
    out.insert(
        "photo_likes",
        vec![vec![ev(
            K::PhotoLiked,
            "photo_likes",
            60,
            at(2015, 6, 6, 6, 6),
            1,
            Payload::PhotoLiked(events::PhotoLiked {
                like_id: entity_id("photo-like", 60),
                photo_id: entity_id("photo", 50),
                // Looked up from the photos table: Cecilia's photo.
                owner_id: member_id(3),
            }),
        )]],
    );
    out
}

/// (reason, column, part, record, row, a piece of the detail)
type ExpectedReject = (i64, RejectReason, &'static str, u32, u64, Vec<u8>, String);

fn encode(row: &impl prost::Message) -> Vec<u8> {
    row.encode_to_vec()
}

/// Per table, per input part, the rejects in row order.
fn expected_rejects() -> BTreeMap<&'static str, Vec<Vec<ExpectedReject>>> {
    use RejectReason as R;
    let mut out = BTreeMap::new();
    let m1 = members_part1();
    out.insert(
        "members",
        vec![
            vec![],
            vec![
                (
                    4,
                    R::NullRequired,
                    "email",
                    1,
                    0,
                    encode(&m1[0]),
                    "email is NULL".to_owned(),
                ),
                (
                    5,
                    R::BadDate,
                    "registered_at",
                    1,
                    1,
                    encode(&m1[1]),
                    "registered_at 1999-12-31T23:59:59Z is outside the site's life".to_owned(),
                ),
            ],
        ],
    );
    out.insert(
        "flirts",
        vec![vec![(
            11,
            R::SelfReference,
            "recipient_id",
            0,
            1,
            encode(&flirts()[1]),
            "recipient_id 3".to_owned(),
        )]],
    );
    let m = messages();
    out.insert(
        "messages",
        vec![vec![
            (
                102,
                R::Orphan,
                "recipient_id",
                0,
                2,
                encode(&m[2]),
                "recipient_id 99 is not a valid member".to_owned(),
            ),
            (
                103,
                R::DuplicateKey,
                "message_id",
                0,
                4,
                encode(&m[4]),
                "103".to_owned(),
            ),
        ]],
    );
    for table in ["blocks", "favorites", "profile_visits", "photos"] {
        out.insert(table, vec![vec![]]);
    }
    out.insert(
        "photo_likes",
        vec![vec![(
            61,
            R::Orphan,
            "photo_id",
            0,
            1,
            encode(&photo_likes()[1]),
            "photo_id 77 is not a valid photo".to_owned(),
        )]],
    );
    out
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

#[allow(clippy::too_many_arguments)]
fn account(
    input_parts: u32,
    rows: u64,
    rows_with_events: u64,
    rejected: u64,
    repaired: u64,
    events: &[(&str, u64)],
    rejects: &[(&str, u64)],
) -> TableAccount {
    TableAccount {
        input_parts: input_parts.into(),
        parts_done: input_parts.into(),
        rows,
        rows_with_events,
        rejected,
        repaired,
        events: counts(events),
        rejects: counts(rejects),
    }
}

fn expected_accounts() -> BTreeMap<String, TableAccount> {
    let mut out = BTreeMap::new();
    let mut put = |t: &str, a| {
        out.insert(t.to_owned(), a);
    };
    put(
        "members",
        account(
            2,
            5,
            3,
            2,
            0,
            &[
                ("member-registered", 3),
                ("registration-approved", 1),
                ("member-deleted", 1),
            ],
            &[("null_required", 1), ("bad_date", 1)],
        ),
    );
    put(
        "flirts",
        account(
            1,
            2,
            1,
            1,
            0,
            &[("flirt-sent", 1)],
            &[("self_reference", 1)],
        ),
    );
    put(
        "messages",
        account(
            1,
            5,
            3,
            2,
            1,
            &[("message-sent", 3), ("message-read", 1)],
            &[("orphan", 1), ("duplicate_key", 1)],
        ),
    );
    put(
        "blocks",
        account(
            1,
            1,
            1,
            0,
            0,
            &[("member-blocked", 1), ("member-unblocked", 1)],
            &[],
        ),
    );
    put(
        "favorites",
        account(
            1,
            1,
            1,
            0,
            0,
            &[("favorite-added", 1), ("favorite-removed", 1)],
            &[],
        ),
    );
    put(
        "profile_visits",
        account(1, 1, 1, 0, 0, &[("profile-visited", 1)], &[]),
    );
    put(
        "photos",
        account(1, 1, 1, 0, 0, &[("photo-uploaded", 1)], &[]),
    );
    put(
        "photo_likes",
        account(1, 2, 1, 1, 0, &[("photo-liked", 1)], &[("orphan", 1)]),
    );
    out
}

// ---------------------------------------------------------------------------
// Reading the output.

fn read_part<R: Record>(dir: &Path, table: &str, part: &PartEntry) -> Vec<R> {
    let options = ReadOptions {
        part_number: Some(part.number),
        ..ReadOptions::expect::<R>(DumpKind::EventStream, table)
    };
    PartReader::open(&dir.join(&part.file), &options)
        .unwrap()
        .records::<R>()
        .map(Result::unwrap)
        .collect()
}

/// Per table, the events of each output part.
fn output_events(dir: &Path) -> BTreeMap<String, Vec<Vec<Event>>> {
    let m = Manifest::load(dir).unwrap();
    m.tables
        .iter()
        .map(|t| {
            assert_eq!(t.record_type, Event::TYPE_NAME, "{}", t.name);
            let parts = t
                .parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    assert_eq!(p.number as usize, i, "{}", p.file);
                    read_part::<Event>(dir, &t.name, p)
                })
                .collect();
            (t.name.clone(), parts)
        })
        .collect()
}

/// Per table (without `_rejects`), the rejects of each sidecar part.
fn output_rejects(dir: &Path) -> BTreeMap<String, Vec<Vec<Reject>>> {
    let m = Manifest::load(dir).unwrap();
    m.sidecars
        .iter()
        .map(|s| {
            assert_eq!(s.record_type, Reject::TYPE_NAME, "{}", s.name);
            let table = s.name.strip_suffix("_rejects").expect("a rejects sidecar");
            let parts = s
                .parts
                .iter()
                .map(|p| read_part::<Reject>(dir, &s.name, p))
                .collect();
            (table.to_owned(), parts)
        })
        .collect()
}

fn assert_sorted(events: &[Event], what: &str) {
    for pair in events.windows(2) {
        assert!(
            event_order(&pair[0]) < event_order(&pair[1]),
            "{what}: {} is not before {}",
            pair[0].event_id,
            pair[1].event_id
        );
    }
}

fn run(input: &Path, out: &Path, part_events: u64, threads: usize) -> TransformReport {
    let mut options = TransformOptions::new(input.to_path_buf(), out.to_path_buf());
    options.part_events = part_events;
    options.threads = threads;
    transform(&options, &()).unwrap()
}

// ---------------------------------------------------------------------------

#[test]
fn a_hand_written_dump_becomes_exactly_the_designed_events_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    write_dump(&input);
    let report = run(&input, &out, 250_000, 2);
    assert!(!report.up_to_date && !report.resumed);

    // The manifest: an event stream, complete, one table and one sidecar per
    // legacy table.
    let m = Manifest::load(&out).unwrap();
    assert_eq!(m.kind, DumpKindName::EventStream);
    assert!(m.complete);
    assert_eq!(m.snapshot_at.as_deref(), Some(SNAPSHOT));
    let names: Vec<_> = m.tables.iter().map(|t| t.name.as_str()).collect();
    let legacy: Vec<_> = LegacyTable::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(names, legacy);
    let sidecars: Vec<_> = m.sidecars.iter().map(|t| t.name.clone()).collect();
    let wanted: Vec<_> = legacy.iter().map(|t| format!("{t}_rejects")).collect();
    assert_eq!(sidecars, wanted);

    // Every event, field by field, part by part, in order.
    let got = output_events(&out);
    let expected = expected_events();
    let tables: Vec<String> = expected.keys().map(|k| k.to_string()).collect();
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), tables);
    for (table, parts) in &expected {
        let got_parts = &got[*table];
        assert_eq!(got_parts.len(), parts.len(), "{table}: output parts");
        for (i, (g, e)) in got_parts.iter().zip(parts).enumerate() {
            assert_sorted(g, &format!("{table} part {i}"));
            assert_eq!(g.len(), e.len(), "{table} part {i}: {g:#?}");
            for (g, e) in g.iter().zip(e) {
                assert_eq!(g, e, "{table} part {i}");
            }
        }
    }
    // The manifest's part entries agree with the parts.
    for t in &m.tables {
        for (p, events) in t.parts.iter().zip(&got[&t.name]) {
            assert_eq!(p.records, events.len() as u64, "{}", p.file);
        }
    }

    // Every reject, with where it was and why.
    let got = output_rejects(&out);
    let expected = expected_rejects();
    assert_eq!(got.len(), expected.len());
    for (table, parts) in &expected {
        let got_parts = &got[*table];
        assert_eq!(got_parts.len(), parts.len(), "{table}_rejects: parts");
        for (i, (g, e)) in got_parts.iter().zip(parts).enumerate() {
            assert_eq!(g.len(), e.len(), "{table}_rejects part {i}: {g:#?}");
            for (g, (key, reason, column, part, record, row, detail)) in g.iter().zip(e) {
                let what = format!("{table} key {key}");
                assert_eq!(g.table, *table, "{what}");
                assert_eq!(g.key, *key, "{what}");
                assert_eq!(g.reason(), *reason, "{what}");
                assert_eq!(g.column, *column, "{what}");
                assert_eq!((g.part, g.record), (*part, *record), "{what}");
                assert_eq!(&g.row, row, "{what}: the legacy row, as it was");
                assert!(g.detail.contains(detail.as_str()), "{what}: {}", g.detail);
                if *reason != RejectReason::DuplicateKey {
                    assert!(
                        g.detail.contains(column),
                        "{what}: the detail names the column: {}",
                        g.detail
                    );
                }
            }
        }
    }
    // The sidecar part N holds the rejects of input part N.
    let members_rejects = m.any_table("members_rejects").unwrap();
    assert_eq!(members_rejects.parts.len(), 2);
    assert_eq!(members_rejects.parts[0].records, 0);
    assert_eq!(members_rejects.parts[1].records, 2);

    // The accounting.
    let s = &report.section;
    assert_eq!(s.tables, expected_accounts());
    assert_eq!(
        s.kinds,
        counts(&[
            ("member-registered", 3),
            ("registration-approved", 1),
            ("member-deleted", 1),
            ("flirt-sent", 1),
            ("message-sent", 3),
            ("message-read", 1),
            ("member-blocked", 1),
            ("member-unblocked", 1),
            ("favorite-added", 1),
            ("favorite-removed", 1),
            ("profile-visited", 1),
            ("photo-uploaded", 1),
            ("photo-liked", 1),
        ])
    );
    assert_eq!(
        s.rejects,
        counts(&[
            ("orphan", 2),
            ("duplicate_key", 1),
            ("null_required", 1),
            ("bad_date", 1),
            ("self_reference", 1),
        ])
    );
    assert_eq!(s.part_events, 250_000);
    assert_eq!(s.site_start, "2000-01-01T00:00:00Z");
    assert_eq!(report.rows_this_run, 18);
    assert_eq!(report.events_this_run, 17);
    // The manifest holds the same section the report gives.
    let stored: pancake_transform::TransformSection =
        serde_json::from_value(m.sections["transform"].clone()).unwrap();
    assert_eq!(&stored, s);

    // `pancake verify` accepts it, accounting included.
    let verified = pancake_proto::verify::verify_dump(&out, |_| {}).unwrap();
    assert!(verified.is_ok(), "{:?}", verified.problems);
    assert!(verified.warnings.is_empty(), "{:?}", verified.warnings);

    // And a second run has nothing to do.
    let again = run(&input, &out, 250_000, 1);
    assert!(again.up_to_date);
    assert_eq!(&again.section, s);
}

#[test]
fn small_runs_split_each_input_part_and_hold_the_same_events() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    write_dump(&input);
    // Members make at most 3 events a row: 7 / 3 = 2 rows per run; messages
    // and the other two-event tables 3 rows, one-event tables 7.
    run(&input, &out, 7, 1);
    let m = Manifest::load(&out).unwrap();
    let input_manifest = Manifest::load(&input).unwrap();
    let got = output_events(&out);
    let expected = expected_events();
    for (table, parts) in &got {
        let rows_per_run = match table.as_str() {
            "members" => 2,
            "messages" | "blocks" | "favorites" => 3,
            _ => 7,
        };
        let runs: u64 = input_manifest
            .table(table)
            .unwrap()
            .parts
            .iter()
            .map(|p| p.records.div_ceil(rows_per_run))
            .sum();
        assert_eq!(parts.len() as u64, runs, "{table}: output parts");
        for (i, run) in parts.iter().enumerate() {
            assert!(run.len() <= 7, "{table} part {i}");
            assert_sorted(run, &format!("{table} part {i}"));
        }
        let mut all: Vec<Event> = parts.iter().flatten().cloned().collect();
        let mut want: Vec<Event> = expected[table.as_str()].iter().flatten().cloned().collect();
        all.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
        want.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
        assert_eq!(all, want, "{table}");
    }
    // Members: rows 1-2 | row 3 of part 0, rows 4-5 of part 1 (no events).
    let members: Vec<usize> = got["members"].iter().map(Vec::len).collect();
    assert_eq!(members, vec![4, 1, 0]);
    // Messages: rows 100, 101, 102 | 103, 103.
    let messages: Vec<usize> = got["messages"].iter().map(Vec::len).collect();
    assert_eq!(messages, vec![3, 1]);
    // The rejects sidecars still have one part per input part.
    assert_eq!(m.any_table("members_rejects").unwrap().parts.len(), 2);
    let verified = pancake_proto::verify::verify_dump(&out, |_| {}).unwrap();
    assert!(verified.is_ok(), "{:?}", verified.problems);
}

#[test]
fn the_mapping_is_the_same_through_row_check_and_events() {
    // The public per-row API gives what the whole transform wrote.
    use pancake_transform::index::{MemberIndex, PhotoIndex};
    use pancake_transform::rows::{Context, Row};
    let site_start = pancake_transform::DEFAULT_SITE_START;
    let snapshot = chrono::DateTime::parse_from_rfc3339(SNAPSHOT)
        .unwrap()
        .timestamp();
    let members = MemberIndex::new(
        site_start,
        members_part0()
            .iter()
            .map(|m| (m.member_id, m.registered_at.unwrap().seconds))
            .collect(),
    );
    // Photo 50 of member 3, uploaded before any like of it.
    let photos = PhotoIndex::new(vec![(50, (3, site_start))]);
    let cx = Context {
        members: &members,
        photos: &photos,
        site_start,
        snapshot,
    };
    let mut out = Vec::new();
    for like in photo_likes() {
        if like.check(&cx).is_ok() {
            like.events(&cx, &mut out);
        }
    }
    assert_eq!(out, expected_events()["photo_likes"][0]);
    let rejected = photo_likes()[1].check(&cx).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::Orphan);
    assert_eq!(rejected.column, "photo_id");
}

/// A like must not come before the people it names exist: the loader merges
/// by time and promises that a member's registration comes before anything
/// that refers to them. Here Anna (registered 2010) likes, in 2012, a photo
/// that Bertil (registered 2015) uploads in 2016.
#[test]
fn a_like_before_the_photo_or_its_owner_existed_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, "like before owner");
    manifest.snapshot_at = Some(SNAPSHOT.into());
    let writer = ManifestWriter::create(&input, manifest).unwrap();
    let members = vec![
        member(1, "anna", Some("a@x.fi"), 1, at(2010, 1, 1, 0, 0)),
        member(2, "bertil", Some("b@x.fi"), 2, at(2015, 1, 1, 0, 0)),
    ];
    write_part(&writer, &input, LegacyTable::Members, &members);
    let photo = legacy::Photo {
        photo_id: 50,
        member_id: Some(2),
        url: Some("u".into()),
        uploaded_at: Some(at(2016, 1, 1, 0, 0)),
        raw_texts: vec![],
    };
    write_part(&writer, &input, LegacyTable::Photos, &[photo]);
    let like = legacy::PhotoLike {
        like_id: 60,
        photo_id: Some(50),
        member_id: Some(1),
        liked_at: Some(at(2012, 1, 1, 0, 0)),
    };
    write_part(&writer, &input, LegacyTable::PhotoLikes, &[like]);
    writer.finish().unwrap();
    let report = run(&input, &out, 250_000, 1);
    let likes = &report.section.tables["photo_likes"];
    assert_eq!(likes.rejects, counts(&[("bad_date", 1)]), "{likes:?}");
}

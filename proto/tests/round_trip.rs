//! Every record type written to a part and read back unchanged, with the
//! part's manifest entry and trailer checked against values computed here,
//! independently of the writer.

use pancake_proto::dump::DumpKind;
use pancake_proto::events::{self, event::Payload};
use pancake_proto::legacy::{self, RawText};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::part::FrameBuffer;
use pancake_proto::record::schema_fingerprint;
use pancake_proto::verify::verify_dump;
use pancake_proto::{
    Manifest, ManifestWriter, PartEntry, PartReader, PartSpec, PartWriter, ReadOptions, Record,
    WriteOptions,
};
use prost_types::Timestamp;
use std::fmt::Debug;
use std::path::Path;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A UTC timestamp from calendar fields.
fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> Timestamp {
    let t = chrono::NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_nano_opt(h, mi, s, nanos)
        .unwrap()
        .and_utc();
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Exactly 2000 characters (not bytes) of mixed scripts and emoji.
fn long_body() -> String {
    let pool: Vec<char> = "Grüße aus Köln 😀 Привет мир 日本語のテキスト ¿Qué tal? 👩‍❤️‍💋‍👨 ∑∞ "
        .chars()
        .collect();
    let body: String = pool.iter().cycle().take(2000).collect();
    assert_eq!(body.chars().count(), 2000);
    body
}

fn frames_of<R: Record>(records: &[R]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for r in records {
        r.encode_length_delimited(&mut bytes).unwrap();
    }
    bytes
}

/// What the manifest entry of one part must say.
struct Expect {
    key_range: Option<[i64; 2]>,
    time_range: Option<[&'static str; 2]>,
}

fn manifest_kind(kind: DumpKind) -> DumpKindName {
    match kind {
        DumpKind::LegacyDump => DumpKindName::LegacyDump,
        DumpKind::EventStream => DumpKindName::EventStream,
        DumpKind::Unspecified => unreachable!(),
    }
}

fn write_part<R: Record>(
    dir: &Path,
    kind: DumpKind,
    table: &str,
    number: u32,
    records: &[R],
) -> PartEntry {
    let spec = PartSpec::of::<R>(kind, table, number);
    let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    assert_eq!(writer.stats().records, records.len() as u64);
    writer.finish().unwrap()
}

/// Writes `parts` of `table` into a fresh dump with a manifest, checks each
/// part's entry against `expect`, reads every record back, and verifies the
/// dump.
fn round_trip<R>(kind: DumpKind, table: &str, sidecar: bool, parts: &[Vec<R>], expect: &[Expect])
where
    R: Record + PartialEq + Debug,
{
    assert_eq!(parts.len(), expect.len());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let manifest =
        ManifestWriter::create(dir, Manifest::new(manifest_kind(kind), "round-trip test")).unwrap();

    for (n, (records, expect)) in parts.iter().zip(expect).enumerate() {
        let n = n as u32;
        let entry = write_part(dir, kind, table, n, records);
        let frames = frames_of(records);

        // The manifest entry, against values computed here.
        let file = format!("{table}/part-{n:06}.pb.gz");
        let path = dir.join(&file);
        assert_eq!(entry.number, n);
        assert_eq!(entry.file, file);
        assert_eq!(entry.records, records.len() as u64);
        assert_eq!(entry.bytes, std::fs::metadata(&path).unwrap().len());
        assert_eq!(entry.record_bytes, frames.len() as u64);
        assert_eq!(
            entry.checksum,
            format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&frames))
        );
        assert_eq!(entry.key_range, expect.key_range, "key range of {file}");
        assert_eq!(
            entry.time_range,
            expect.time_range.map(|[a, b]| [a.to_owned(), b.to_owned()]),
            "time range of {file}"
        );
        let tmp_name = format!("{}.tmp", path.display());
        assert!(
            !Path::new(&tmp_name).exists(),
            "the .tmp file is renamed away"
        );

        // Read back, record by record.
        let mut options = ReadOptions::expect::<R>(kind, table);
        options.part_number = Some(n);
        let mut reader = PartReader::open(&path, &options).unwrap();
        let header = reader.header().clone();
        assert_eq!(header.format_version, pancake_proto::FORMAT_VERSION);
        assert_eq!(header.kind, kind as i32);
        assert_eq!(header.table, table);
        assert_eq!(header.record_type, R::TYPE_NAME);
        assert_eq!(header.part_number, n);
        assert_eq!(
            Some(header.schema_fingerprint),
            schema_fingerprint(R::TYPE_NAME)
        );
        let mut index = 0;
        while let Some(got) = reader.next_record::<R>().unwrap() {
            assert!(index < records.len(), "{file}: more records than written");
            assert_eq!(got, records[index], "{file}: record {index}");
            index += 1;
            assert_eq!(reader.records_read(), index as u64);
        }
        assert_eq!(index, records.len(), "{file}: fewer records than written");
        let trailer = *reader.trailer().expect("the trailer is read");
        assert_eq!(trailer.record_count, records.len() as u64);
        assert_eq!(trailer.record_bytes, frames.len() as u64);
        assert_eq!(trailer.checksum, xxhash_rust::xxh3::xxh3_64(&frames));
        // Reading past the end stays at the end.
        assert!(reader.next_record::<R>().unwrap().is_none());
        assert!(reader.next_frame().unwrap().is_none());

        // The iterator and check_to_end agree.
        let reader = PartReader::open(&path, &options).unwrap();
        let all: Vec<R> = reader.records::<R>().collect::<Result<_, _>>().unwrap();
        assert_eq!(all, *records);
        let mut reader = PartReader::open(&path, &options).unwrap();
        assert_eq!(reader.check_to_end().unwrap(), trailer);

        manifest
            .commit_part(table, R::TYPE_NAME, sidecar, entry)
            .unwrap();
    }
    let written = manifest.finish().unwrap();
    assert!(written.complete);
    assert_eq!(Manifest::load(dir).unwrap(), written);
    let listed = if sidecar {
        &written.sidecars
    } else {
        &written.tables
    };
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, table);
    assert_eq!(listed[0].record_type, R::TYPE_NAME);

    let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let report = verify_dump(dir, |n| {
        seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert!(report.is_ok(), "problems: {:#?}", report.problems);
    assert!(
        report.warnings.is_empty(),
        "warnings: {:#?}",
        report.warnings
    );
    assert_eq!(report.parts_checked, parts.len());
    assert_eq!(report.records_checked, total);
    assert_eq!(seen.into_inner(), total);
    let bytes: u64 = listed[0].parts.iter().map(|p| p.bytes).sum();
    assert_eq!(report.bytes_checked, bytes);
}

fn raw(column: &str, units: &[u16]) -> RawText {
    RawText {
        column: column.into(),
        utf16le: units.iter().flat_map(|u| u.to_le_bytes()).collect(),
    }
}

// ---------------------------------------------------------------------------
// Legacy rows
// ---------------------------------------------------------------------------

#[test]
fn members_round_trip() {
    let full = legacy::Member {
        member_id: 1,
        nickname: Some("Zoë 😀".into()),
        email: Some("zoë@exämple.de".into()),
        gender: Some(1),
        birth_date: Some(legacy::Date {
            year: 1987,
            month: 2,
            day: 28,
        }),
        city: Some("Zürich".into()),
        registered_at: Some(ts(2005, 6, 1, 12, 30, 0, 0)),
        approved_at: Some(ts(2005, 6, 2, 8, 0, 0, 500_000_000)),
        portrait_url: Some("https://img.example/p/1.jpg".into()),
        deleted_at: None,
        raw_texts: vec![],
    };
    let nulls = legacy::Member {
        member_id: 2,
        ..legacy::Member::default()
    };
    let dirty = legacy::Member {
        member_id: -7,
        nickname: Some("\u{fffd}bad".into()),
        email: Some(String::new()),
        gender: Some(0),
        birth_date: Some(legacy::Date {
            year: 1900,
            month: 1,
            day: 1,
        }),
        city: Some("北京市".into()),
        // SQL Server's favourite placeholder date.
        registered_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
        approved_at: None,
        portrait_url: None,
        deleted_at: Some(ts(1899, 12, 31, 23, 59, 59, 0)),
        raw_texts: vec![raw("nickname", &[0xd800, 0x62, 0x61, 0x64])],
    };
    let late = legacy::Member {
        member_id: i32::MAX,
        nickname: Some("Ωmega".into()),
        registered_at: Some(ts(2024, 2, 29, 23, 59, 59, 999_999_999)),
        ..legacy::Member::default()
    };
    let second_part = vec![legacy::Member {
        member_id: 40,
        nickname: Some("Ærøskøbing".into()),
        registered_at: Some(ts(1969, 12, 31, 23, 59, 59, 500_000_000)),
        ..legacy::Member::default()
    }];
    round_trip(
        DumpKind::LegacyDump,
        "members",
        false,
        &[vec![full, nulls, dirty, late], second_part],
        &[
            Expect {
                key_range: Some([-7, i32::MAX as i64]),
                // Times are kept to the microsecond in the manifest.
                time_range: Some(["1900-01-01T00:00:00Z", "2024-02-29T23:59:59.999999Z"]),
            },
            Expect {
                key_range: Some([40, 40]),
                time_range: Some(["1969-12-31T23:59:59.500Z", "1969-12-31T23:59:59.500Z"]),
            },
        ],
    );
}

#[test]
fn flirts_round_trip() {
    let flirts = vec![
        legacy::Flirt {
            flirt_id: 10_000_000_000,
            sender_id: Some(1),
            recipient_id: Some(2),
            sent_at: Some(ts(2010, 3, 14, 15, 9, 26, 535_000_000)),
        },
        legacy::Flirt {
            flirt_id: 3,
            sender_id: None,
            recipient_id: Some(1),
            sent_at: None,
        },
        legacy::Flirt {
            flirt_id: 4,
            sender_id: Some(5),
            recipient_id: Some(5),
            sent_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "flirts",
        false,
        &[flirts],
        &[Expect {
            key_range: Some([3, 10_000_000_000]),
            time_range: Some(["1900-01-01T00:00:00Z", "2010-03-14T15:09:26.535Z"]),
        }],
    );
}

#[test]
fn messages_round_trip() {
    let messages = vec![
        legacy::Message {
            message_id: 100,
            sender_id: Some(1),
            recipient_id: Some(2),
            body: Some(long_body()),
            sent_at: Some(ts(2012, 12, 21, 11, 11, 0, 0)),
            read_at: Some(ts(2012, 12, 22, 9, 0, 0, 0)),
            raw_texts: vec![],
        },
        legacy::Message {
            message_id: 101,
            sender_id: Some(2),
            recipient_id: Some(1),
            body: Some("Hallo 👋 – schön, dich zu sehen! ñ ç ø 🇩🇪".into()),
            sent_at: Some(ts(2012, 12, 22, 9, 1, 0, 0)),
            read_at: None,
            raw_texts: vec![],
        },
        legacy::Message {
            message_id: 102,
            sender_id: None,
            recipient_id: None,
            body: None,
            sent_at: None,
            read_at: None,
            raw_texts: vec![],
        },
        legacy::Message {
            message_id: 103,
            sender_id: Some(3),
            recipient_id: Some(4),
            body: Some(String::new()),
            sent_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
            read_at: Some(ts(1753, 1, 1, 0, 0, 0, 0)),
            raw_texts: vec![raw("body", &[0x68, 0xdc00, 0x69])],
        },
        legacy::Message {
            message_id: 99,
            sender_id: Some(4),
            recipient_id: Some(3),
            body: Some("\u{fffd}\u{0}\t\r\n\"'\\ <b>html</b>".into()),
            sent_at: Some(ts(2038, 1, 19, 3, 14, 8, 0)),
            read_at: None,
            raw_texts: vec![raw("body", &[0xd83d])],
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "messages",
        false,
        &[messages],
        &[Expect {
            key_range: Some([99, 103]),
            time_range: Some(["1900-01-01T00:00:00Z", "2038-01-19T03:14:08Z"]),
        }],
    );
}

#[test]
fn blocks_round_trip() {
    let blocks = vec![
        legacy::Block {
            block_id: 7,
            blocker_id: Some(1),
            blocked_id: Some(2),
            created_at: Some(ts(2008, 8, 8, 8, 8, 8, 0)),
            removed_at: Some(ts(2009, 9, 9, 9, 9, 9, 0)),
        },
        legacy::Block {
            block_id: 8,
            blocker_id: Some(3),
            blocked_id: None,
            created_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
            removed_at: None,
        },
        legacy::Block {
            block_id: 9,
            ..legacy::Block::default()
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "blocks",
        false,
        &[blocks],
        &[Expect {
            key_range: Some([7, 9]),
            time_range: Some(["1900-01-01T00:00:00Z", "2008-08-08T08:08:08Z"]),
        }],
    );
}

#[test]
fn favorites_round_trip() {
    let favorites = vec![
        legacy::Favorite {
            favorite_id: 1,
            member_id: Some(1),
            favorite_member_id: Some(2),
            created_at: Some(ts(2015, 1, 1, 0, 0, 0, 0)),
            removed_at: None,
        },
        legacy::Favorite {
            favorite_id: 2,
            member_id: Some(2),
            favorite_member_id: Some(999_999),
            created_at: Some(ts(2015, 1, 2, 0, 0, 0, 0)),
            removed_at: Some(ts(2015, 1, 3, 0, 0, 0, 0)),
        },
        legacy::Favorite {
            favorite_id: 3,
            ..legacy::Favorite::default()
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "favorites",
        false,
        &[favorites],
        &[Expect {
            key_range: Some([1, 3]),
            time_range: Some(["2015-01-01T00:00:00Z", "2015-01-02T00:00:00Z"]),
        }],
    );
}

#[test]
fn profile_visits_round_trip() {
    let visits: Vec<legacy::ProfileVisit> = (0..50)
        .map(|i| legacy::ProfileVisit {
            visit_id: 1_000 + i,
            visitor_id: if i % 7 == 0 { None } else { Some(i as i32) },
            visited_id: Some(1),
            visited_at: if i % 5 == 0 {
                None
            } else {
                Some(ts(2020, 1, 1 + (i as u32 % 28), 0, 0, 0, 0))
            },
        })
        .collect();
    round_trip(
        DumpKind::LegacyDump,
        "profile_visits",
        false,
        &[visits],
        &[Expect {
            key_range: Some([1_000, 1_049]),
            time_range: Some(["2020-01-01T00:00:00Z", "2020-01-28T00:00:00Z"]),
        }],
    );
}

#[test]
fn photos_round_trip() {
    let photos = vec![
        legacy::Photo {
            photo_id: 5,
            member_id: Some(1),
            url: Some("https://img.example/ph/5-ünïcödé-😀.jpg".into()),
            uploaded_at: Some(ts(2001, 9, 9, 1, 46, 40, 0)),
            raw_texts: vec![],
        },
        legacy::Photo {
            photo_id: 6,
            member_id: None,
            url: None,
            uploaded_at: None,
            raw_texts: vec![raw("url", &[0xdfff])],
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "photos",
        false,
        &[photos],
        &[Expect {
            key_range: Some([5, 6]),
            time_range: Some(["2001-09-09T01:46:40Z", "2001-09-09T01:46:40Z"]),
        }],
    );
}

#[test]
fn photo_likes_round_trip() {
    let likes = vec![
        legacy::PhotoLike {
            like_id: 1,
            photo_id: Some(5),
            member_id: Some(2),
            liked_at: Some(ts(1950, 6, 15, 12, 0, 0, 1_000)),
        },
        legacy::PhotoLike {
            like_id: 2,
            photo_id: None,
            member_id: None,
            liked_at: None,
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "photo_likes",
        false,
        &[likes],
        &[Expect {
            key_range: Some([1, 2]),
            time_range: Some(["1950-06-15T12:00:00.000001Z", "1950-06-15T12:00:00.000001Z"]),
        }],
    );
}

#[test]
fn dirty_rows_round_trip_as_a_sidecar() {
    use legacy::DirtyKind;
    let kinds = [
        DirtyKind::Unspecified,
        DirtyKind::Orphan,
        DirtyKind::DuplicateKey,
        DirtyKind::NullRequired,
        DirtyKind::BadDate,
        DirtyKind::SelfReference,
        DirtyKind::LoneSurrogate,
    ];
    let rows: Vec<legacy::DirtyRow> = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| legacy::DirtyRow {
            table: if i % 2 == 0 { "messages" } else { "members" }.into(),
            key: 10 * i as i64 - 5,
            kind: *kind as i32,
            column: if i == 0 {
                String::new()
            } else {
                "sender_id".into()
            },
            part: i as u32,
            record: u64::MAX - i as u64,
        })
        .collect();
    round_trip(
        DumpKind::LegacyDump,
        "dirty_rows",
        true,
        &[rows],
        &[Expect {
            key_range: Some([-5, 55]),
            time_range: None,
        }],
    );
}

#[test]
fn an_empty_part_round_trips_with_no_ranges() {
    round_trip::<legacy::Message>(
        DumpKind::LegacyDump,
        "messages",
        false,
        &[vec![]],
        &[Expect {
            key_range: None,
            time_range: None,
        }],
    );
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// One event of every payload kind. The match is exhaustive, so a new kind
/// fails to compile here until it has a case.
fn payload_kind(payload: &Payload) -> events::EventKind {
    use events::EventKind as K;
    match payload {
        Payload::MemberRegistered(_) => K::MemberRegistered,
        Payload::RegistrationApproved(_) => K::RegistrationApproved,
        Payload::MemberDeleted(_) => K::MemberDeleted,
        Payload::FlirtSent(_) => K::FlirtSent,
        Payload::MessageSent(_) => K::MessageSent,
        Payload::MessageRead(_) => K::MessageRead,
        Payload::MemberBlocked(_) => K::MemberBlocked,
        Payload::MemberUnblocked(_) => K::MemberUnblocked,
        Payload::FavoriteAdded(_) => K::FavoriteAdded,
        Payload::FavoriteRemoved(_) => K::FavoriteRemoved,
        Payload::ProfileVisited(_) => K::ProfileVisited,
        Payload::PhotoUploaded(_) => K::PhotoUploaded,
        Payload::PhotoLiked(_) => K::PhotoLiked,
    }
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-0000-5000-8000-{:012x}", u64::from(n) * 7919)
}

fn all_kinds_of_events() -> Vec<events::Event> {
    let alice = uuid(1);
    let bob = uuid(2);
    let payloads: Vec<(Payload, Timestamp, &str, i64)> = vec![
        (
            Payload::MemberRegistered(events::MemberRegistered {
                nickname: "Ålice 🦊".into(),
                email: "ålice@exämple.org".into(),
                gender: events::Gender::Woman as i32,
                birth_date: Some(events::Date {
                    year: 1900,
                    month: 1,
                    day: 1,
                }),
                city: Some("São Paulo".into()),
                portrait_url: None,
            }),
            ts(1900, 1, 1, 0, 0, 0, 0),
            "members",
            1,
        ),
        (
            Payload::RegistrationApproved(events::RegistrationApproved {}),
            ts(1900, 1, 2, 0, 0, 0, 0),
            "members",
            1,
        ),
        (
            Payload::MemberDeleted(events::MemberDeleted {}),
            ts(2030, 1, 1, 0, 0, 0, 0),
            "members",
            1,
        ),
        (
            Payload::FlirtSent(events::FlirtSent {
                flirt_id: uuid(100),
                recipient_id: bob.clone(),
            }),
            ts(2003, 4, 5, 6, 7, 8, 9_000),
            "flirts",
            100,
        ),
        (
            Payload::MessageSent(events::MessageSent {
                message_id: uuid(200),
                thread_id: uuid(300),
                recipient_id: bob.clone(),
                body: long_body(),
            }),
            ts(2003, 4, 5, 6, 7, 9, 0),
            "messages",
            200,
        ),
        (
            Payload::MessageRead(events::MessageRead {
                message_id: uuid(200),
                thread_id: uuid(300),
                sender_id: alice.clone(),
            }),
            ts(2003, 4, 5, 7, 0, 0, 0),
            "messages",
            200,
        ),
        (
            Payload::MemberBlocked(events::MemberBlocked {
                block_id: uuid(400),
                blocked_id: bob.clone(),
            }),
            ts(2004, 1, 1, 0, 0, 0, 0),
            "blocks",
            400,
        ),
        (
            Payload::MemberUnblocked(events::MemberUnblocked {
                block_id: uuid(400),
                blocked_id: bob.clone(),
            }),
            ts(2004, 2, 1, 0, 0, 0, 0),
            "blocks",
            400,
        ),
        (
            Payload::FavoriteAdded(events::FavoriteAdded {
                favorite_id: uuid(500),
                favorite_member_id: bob.clone(),
            }),
            ts(2005, 1, 1, 0, 0, 0, 0),
            "favorites",
            500,
        ),
        (
            Payload::FavoriteRemoved(events::FavoriteRemoved {
                favorite_id: uuid(500),
                favorite_member_id: bob.clone(),
            }),
            ts(2005, 1, 2, 0, 0, 0, 0),
            "favorites",
            500,
        ),
        (
            Payload::ProfileVisited(events::ProfileVisited {
                visit_id: uuid(600),
                visited_id: bob.clone(),
            }),
            ts(2006, 1, 1, 0, 0, 0, 0),
            "profile_visits",
            600,
        ),
        (
            Payload::PhotoUploaded(events::PhotoUploaded {
                photo_id: uuid(700),
                url: "https://img.example/ph/7 😀 ä.jpg".into(),
            }),
            ts(2007, 1, 1, 0, 0, 0, 0),
            "photos",
            700,
        ),
        (
            Payload::PhotoLiked(events::PhotoLiked {
                like_id: uuid(800),
                photo_id: uuid(700),
                owner_id: bob.clone(),
            }),
            ts(2008, 1, 1, 0, 0, 0, 0),
            "photo_likes",
            800,
        ),
    ];
    payloads
        .into_iter()
        .enumerate()
        .map(|(i, (payload, at, table, key))| events::Event {
            event_id: uuid(10_000 + i as u32),
            kind: payload_kind(&payload) as i32,
            occurred_at: Some(at),
            member_id: alice.clone(),
            source: Some(events::LegacySource {
                table: table.into(),
                key,
            }),
            payload: Some(payload),
        })
        .collect()
}

#[test]
fn events_of_every_kind_round_trip() {
    let all = all_kinds_of_events();
    let mut kinds: Vec<i32> = all.iter().map(|e| e.kind).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds, (1..=13).collect::<Vec<i32>>(), "one event per kind");

    // An event with nothing but an id still round-trips (the reader does not
    // judge content), and has no time.
    let bare = events::Event {
        event_id: uuid(99),
        ..events::Event::default()
    };
    let mut second = vec![bare];
    second.push(events::Event {
        occurred_at: Some(Timestamp {
            seconds: -1,
            nanos: 999_999_000,
        }),
        ..all[0].clone()
    });

    round_trip(
        DumpKind::EventStream,
        "events",
        false,
        &[all, second],
        &[
            Expect {
                key_range: None,
                time_range: Some(["1900-01-01T00:00:00Z", "2030-01-01T00:00:00Z"]),
            },
            Expect {
                key_range: None,
                time_range: Some(["1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"]),
            },
        ],
    );
}

// ---------------------------------------------------------------------------
// Byte-identical output
// ---------------------------------------------------------------------------

/// Enough varied messages for several deflate blocks.
fn many_messages(n: i64) -> Vec<legacy::Message> {
    let body = long_body();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 400) as usize;
            let text: String = body
                .chars()
                .skip((state >> 20) as usize % 1000)
                .take(len)
                .collect();
            legacy::Message {
                message_id: i,
                sender_id: Some((state % 5000) as i32),
                recipient_id: if i % 11 == 0 {
                    None
                } else {
                    Some((state >> 32) as i32 % 5000)
                },
                body: Some(format!("{i} {state:x} {text}")),
                sent_at: Some(Timestamp {
                    seconds: 1_000_000_000 + i * 37,
                    nanos: 0,
                }),
                read_at: None,
                raw_texts: vec![],
            }
        })
        .collect()
}

#[test]
fn frame_buffers_write_the_same_bytes_as_records_one_by_one() {
    let records = many_messages(3000);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 3);

    // One by one.
    let one_by_one = write_part(&a, DumpKind::LegacyDump, "messages", 3, &records);

    // One big frame buffer.
    let mut frames = FrameBuffer::new();
    assert!(frames.is_empty());
    for r in &records {
        frames.push(r);
    }
    assert_eq!(frames.stats().records, records.len() as u64);
    assert_eq!(
        frames.stats().record_bytes,
        frames_of(&records).len() as u64
    );
    let mut writer = PartWriter::create(&b, spec.clone(), &WriteOptions::default()).unwrap();
    writer.write_frames(&frames).unwrap();
    let buffered = writer.finish().unwrap();

    // Uneven frame buffers mixed with single writes, one buffer reused.
    let mut writer = PartWriter::create(&c, spec.clone(), &WriteOptions::default()).unwrap();
    let mut frames = FrameBuffer::new();
    let mut rest = records.as_slice();
    let mut size = 1;
    while !rest.is_empty() {
        let (now, later) = rest.split_at(size.min(rest.len()));
        if size % 3 == 0 {
            for r in now {
                writer.write(r).unwrap();
            }
        } else {
            frames.clear();
            for r in now {
                frames.push(r);
            }
            writer.write_frames(&frames).unwrap();
        }
        rest = later;
        size = size * 2 + 1;
    }
    let mixed = writer.finish().unwrap();

    assert_eq!(one_by_one, buffered);
    assert_eq!(one_by_one, mixed);
    let file = spec.relative_path();
    let bytes_a = std::fs::read(a.join(&file)).unwrap();
    assert!(
        bytes_a == std::fs::read(b.join(&file)).unwrap(),
        "write_frames output differs"
    );
    assert!(
        bytes_a == std::fs::read(c.join(&file)).unwrap(),
        "mixed output differs"
    );
}

#[test]
fn writing_the_same_records_twice_gives_identical_files() {
    let records = many_messages(500);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let first = write_part(&a, DumpKind::LegacyDump, "messages", 0, &records);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = write_part(&b, DumpKind::LegacyDump, "messages", 0, &records);
    assert_eq!(first, second);
    let bytes = std::fs::read(a.join(&first.file)).unwrap();
    assert!(
        bytes == std::fs::read(b.join(&second.file)).unwrap(),
        "two writes differ"
    );
    // gzip: magic, deflate, no flags, mtime 0.
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip mtime is 0");
}

#[test]
fn every_level_round_trips_and_store_is_larger() {
    let records = many_messages(200);
    let tmp = tempfile::tempdir().unwrap();
    let mut sizes = Vec::new();
    for level in [0, 1, 6, 9, 42] {
        let dir = tmp.path().join(level.to_string());
        let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 0);
        let options = WriteOptions {
            level,
            ..WriteOptions::default()
        };
        let mut writer = PartWriter::create(&dir, spec, &options).unwrap();
        for r in &records {
            writer.write(r).unwrap();
        }
        let entry = writer.finish().unwrap();
        let reader = PartReader::open(
            &dir.join(&entry.file),
            &ReadOptions::expect::<legacy::Message>(DumpKind::LegacyDump, "messages"),
        )
        .unwrap();
        let back: Vec<legacy::Message> = reader.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, records, "level {level}");
        sizes.push(entry.bytes);
    }
    assert!(
        sizes[0] > sizes[1],
        "store is larger than level 1: {sizes:?}"
    );
    assert_eq!(sizes[3], sizes[4], "levels above 9 are 9");
}

#[test]
fn a_dropped_writer_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 0);
    let path = tmp.path().join(spec.relative_path());
    let mut writer = PartWriter::create(tmp.path(), spec, &WriteOptions::default()).unwrap();
    writer.write(&many_messages(1)[0]).unwrap();
    drop(writer);
    assert!(!path.exists());
    let folder: Vec<_> = std::fs::read_dir(tmp.path().join("messages"))
        .unwrap()
        .collect();
    assert!(folder.is_empty(), "no .tmp left: {folder:?}");
}

#[test]
fn part_limits_are_reached_by_records_or_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 0);
    let options = WriteOptions {
        limits: pancake_proto::PartLimits {
            max_records: 3,
            max_bytes: u64::MAX,
        },
        ..WriteOptions::default()
    };
    let mut writer = PartWriter::create(tmp.path(), spec.clone(), &options).unwrap();
    let records = many_messages(3);
    for (i, r) in records.iter().enumerate() {
        assert!(!writer.is_full(), "full after {i}");
        writer.write(r).unwrap();
    }
    assert!(writer.is_full());
    drop(writer);

    let frame = frames_of(&records[..1]).len() as u64;
    let options = WriteOptions {
        limits: pancake_proto::PartLimits {
            max_records: u64::MAX,
            max_bytes: frame,
        },
        ..WriteOptions::default()
    };
    let mut writer = PartWriter::create(tmp.path(), spec, &options).unwrap();
    assert!(!writer.is_full());
    writer.write(&records[0]).unwrap();
    assert!(writer.is_full());
}

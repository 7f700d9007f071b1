//! Every record type written to a part and read back unchanged, with the
//! part's manifest entry and trailer checked against values computed here,
//! independently of the writer.

mod bytes;
#[path = "../common/mod.rs"]
mod common;
mod legacy;

use common::{frames, manifest_kind, write_part};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{self, event::Payload};
use pancake_proto::legacy::RawText;
use pancake_proto::record::schema_fingerprint;
use pancake_proto::verify::verify_dump;
use pancake_proto::{Manifest, ManifestWriter, PartReader, ReadOptions, Record};
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

/// What the manifest entry of one part must say.
struct Expect {
    key_range: Option<[i64; 2]>,
    time_range: Option<[&'static str; 2]>,
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
        let frames = frames(records);

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
        Payload::SearchProfileSet(_) => K::SearchProfileSet,
    }
}

fn uuid(n: u32) -> Vec<u8> {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id[6] = 0x50;
    id[8] = 0x80;
    id[10..].copy_from_slice(&(u64::from(n) * 7919).to_be_bytes()[2..]);
    id.to_vec()
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
                profile_text: Some("Hi! 👋\n\"quoted\"".into()),
                height_cm: Some(165),
                last_login_at: Some(ts(2023, 12, 31, 22, 0, 0, 0)),
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
                kind: Some("rose".into()),
                note: Some("🌹".into()),
                seen_at: Some(ts(2003, 4, 6, 0, 0, 0, 0)),
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
                subject: Some("Re: Re: hi".into()),
                deleted_by_sender: true,
                deleted_by_recipient: false,
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
        (
            Payload::SearchProfileSet(events::SearchProfileSet {
                seeking_gender: Some(events::Gender::Man as i32),
                age_min: 25,
                age_max: 40,
                city: Some("Jyväskylä".into()),
            }),
            ts(1900, 1, 1, 0, 0, 0, 0),
            "search_profiles",
            1,
        ),
        (
            Payload::SearchProfileSet(events::SearchProfileSet {
                seeking_gender: None,
                age_min: 18,
                age_max: 99,
                city: None,
            }),
            ts(1900, 1, 1, 0, 0, 0, 0),
            "search_profiles",
            2,
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
    assert_eq!(kinds, (1..=14).collect::<Vec<i32>>(), "one event per kind");

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

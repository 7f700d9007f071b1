//! The legacy dump, written by hand row by row: clean rows of every table
//! and one row of each kind of dirt.

use crate::common::write_part;
use pancake_proto::legacy::{self, RawText};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::{LegacyTable, Manifest, ManifestWriter};
use prost_types::Timestamp;
use std::path::Path;

/// 2024-01-01T00:00:00Z.
pub const SNAPSHOT: &str = "2024-01-01T00:00:00Z";

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
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

pub fn date(year: i32, month: i32, day: i32) -> Option<legacy::Date> {
    Some(legacy::Date { year, month, day })
}

pub fn member(
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
        profile_text: None,
        height_cm: None,
        last_login_at: None,
        raw_texts: vec![],
    }
}

pub fn members_part0() -> Vec<legacy::Member> {
    vec![
        legacy::Member {
            city: Some("Helsinki".into()),
            portrait_url: Some("https://img.example/1.jpg".into()),
            approved_at: Some(at(2010, 1, 2, 9, 0)),
            profile_text: Some("Tykkään saunasta.\nLikes: sauna, \"books\"".into()),
            height_cm: Some(168),
            last_login_at: Some(at(2023, 12, 24, 18, 0)),
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
        // "About me" with a lone surrogate: repaired, counted as repaired.
        legacy::Member {
            birth_date: date(1990, 7, 15),
            city: Some("Åbo".into()),
            profile_text: Some("Hej Anna \u{FFFD}".into()),
            raw_texts: vec![RawText {
                column: "profile_text".into(),
                utf16le: lone_surrogate_utf16le(),
            }],
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

pub fn members_part1() -> Vec<legacy::Member> {
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

pub fn flirt(id: i64, from: i32, to: i32, sent: Timestamp) -> legacy::Flirt {
    legacy::Flirt {
        flirt_id: id,
        sender_id: Some(from),
        recipient_id: Some(to),
        sent_at: Some(sent),
        kind: Some(1),
        note: None,
        sender_ip: None,
        seen_at: None,
        raw_texts: vec![],
    }
}

pub fn flirts() -> Vec<legacy::Flirt> {
    vec![
        // A kiss with a note whose lone surrogate was repaired, seen later;
        // the sender's IP is dropped.
        legacy::Flirt {
            kind: Some(3),
            note: Some("Hej Anna \u{FFFD}".into()),
            sender_ip: Some("192.0.2.17".into()),
            seen_at: Some(at(2012, 1, 11, 7, 30)),
            raw_texts: vec![RawText {
                column: "note".into(),
                utf16le: lone_surrogate_utf16le(),
            }],
            ..flirt(10, 1, 2, at(2012, 1, 10, 20, 0))
        },
        // Flirting with oneself: self_reference.
        flirt(11, 3, 3, at(2012, 1, 11, 20, 0)),
    ]
}

/// "Hej Anna " and a lone high surrogate, as SQL Server stores it.
pub fn lone_surrogate_utf16le() -> Vec<u8> {
    let mut units: Vec<u16> = "Hej Anna ".encode_utf16().collect();
    units.push(0xD83D);
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

pub fn message(id: i64, from: i32, to: i32, body: &str, sent: Timestamp) -> legacy::Message {
    legacy::Message {
        message_id: id,
        sender_id: Some(from),
        recipient_id: Some(to),
        body: Some(body.into()),
        sent_at: Some(sent),
        read_at: None,
        subject: None,
        sender_ip: None,
        deleted_by_sender: Some(false),
        deleted_by_recipient: Some(false),
        raw_texts: vec![],
    }
}

pub fn messages() -> Vec<legacy::Message> {
    let sent_100 = Timestamp {
        nanos: 250_000_000,
        ..at(2012, 2, 1, 10, 0)
    };
    vec![
        // A subject, deleted by its recipient; the sender's IP is dropped.
        legacy::Message {
            read_at: Some(at(2012, 2, 1, 12, 30)),
            subject: Some("Kahvi?".into()),
            sender_ip: Some("2001:db8::1".into()),
            deleted_by_recipient: Some(true),
            ..message(100, 1, 2, "Hei Bertil! 😊", sent_100)
        },
        // A repaired lone surrogate: kept, counted as repaired.
        legacy::Message {
            raw_texts: vec![RawText {
                column: "body".into(),
                utf16le: lone_surrogate_utf16le(),
            }],
            deleted_by_sender: Some(true),
            ..message(101, 2, 1, "Hej Anna \u{FFFD}", at(2012, 2, 2, 8, 0))
        },
        // To a member who does not exist: orphan.
        message(102, 1, 99, "hello?", at(2012, 2, 3, 8, 0)),
        message(103, 3, 1, "Moi", at(2012, 3, 3, 3, 3)),
        // The same key again: duplicate_key.
        message(103, 3, 1, "Moi", at(2012, 3, 3, 3, 3)),
    ]
}

pub fn blocks() -> Vec<legacy::Block> {
    vec![legacy::Block {
        block_id: 20,
        blocker_id: Some(1),
        blocked_id: Some(3),
        created_at: Some(at(2013, 1, 1, 1, 1)),
        removed_at: Some(at(2014, 1, 1, 1, 1)),
    }]
}

pub fn favorites() -> Vec<legacy::Favorite> {
    vec![legacy::Favorite {
        favorite_id: 30,
        member_id: Some(2),
        favorite_member_id: Some(3),
        created_at: Some(at(2013, 2, 2, 2, 2)),
        removed_at: Some(at(2015, 2, 2, 2, 2)),
    }]
}

pub fn visits() -> Vec<legacy::ProfileVisit> {
    vec![legacy::ProfileVisit {
        visit_id: 40,
        visitor_id: Some(3),
        visited_id: Some(1),
        visited_at: Some(at(2014, 4, 4, 4, 4)),
    }]
}

pub fn photos() -> Vec<legacy::Photo> {
    vec![legacy::Photo {
        photo_id: 50,
        member_id: Some(3),
        url: Some("https://img.example/p/50.jpg".into()),
        uploaded_at: Some(at(2014, 5, 5, 5, 5)),
        raw_texts: vec![],
    }]
}

pub fn photo_likes() -> Vec<legacy::PhotoLike> {
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

/// The dump: every legacy table, members in two parts.
pub fn write_dump(dir: &Path) {
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
    write_part(
        &writer,
        dir,
        LegacyTable::SearchProfiles,
        &crate::search_profiles::search_profiles(),
    );
    writer.finish().unwrap();
}

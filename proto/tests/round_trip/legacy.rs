//! The rows of every legacy table, clean, dirty and NULL, and the
//! generator's dirty-row marks as a sidecar.

use crate::{Expect, long_body, raw, round_trip, ts};
use pancake_proto::Record;
use pancake_proto::dump::DumpKind;
use pancake_proto::legacy;
use std::fmt::Debug;

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
        profile_text: Some("Über mich: 🎻\nund \"Käse\"".into()),
        height_cm: Some(172),
        last_login_at: Some(ts(2023, 12, 31, 23, 0, 0, 0)),
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
        profile_text: Some("\u{fffd}".into()),
        height_cm: Some(0),
        last_login_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
        raw_texts: vec![
            raw("nickname", &[0xd800, 0x62, 0x61, 0x64]),
            raw("profile_text", &[0xdc00]),
        ],
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
            kind: Some(4),
            note: Some("🌹 für dich".into()),
            sender_ip: Some("2001:db8::ff00:42:8329".into()),
            seen_at: Some(ts(2010, 3, 15, 8, 0, 0, 0)),
            raw_texts: vec![],
        },
        legacy::Flirt {
            flirt_id: 3,
            sender_id: None,
            recipient_id: Some(1),
            sent_at: None,
            ..legacy::Flirt::default()
        },
        legacy::Flirt {
            flirt_id: 4,
            sender_id: Some(5),
            recipient_id: Some(5),
            sent_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
            kind: Some(200),
            note: Some("\u{fffd}".into()),
            sender_ip: Some("999.1.1.1".into()),
            seen_at: None,
            raw_texts: vec![raw("note", &[0xd83d])],
        },
    ];
    one_part(
        "flirts",
        flirts,
        [3, 10_000_000_000],
        ["1900-01-01T00:00:00Z", "2010-03-14T15:09:26.535Z"],
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
            subject: Some("Re: Weihnachten 🎄".into()),
            sender_ip: Some("192.0.2.1".into()),
            deleted_by_sender: Some(false),
            deleted_by_recipient: Some(true),
            raw_texts: vec![],
        },
        legacy::Message {
            message_id: 101,
            sender_id: Some(2),
            recipient_id: Some(1),
            body: Some("Hallo 👋 – schön, dich zu sehen! ñ ç ø 🇩🇪".into()),
            sent_at: Some(ts(2012, 12, 22, 9, 1, 0, 0)),
            read_at: None,
            subject: None,
            sender_ip: None,
            deleted_by_sender: Some(true),
            deleted_by_recipient: Some(false),
            raw_texts: vec![],
        },
        legacy::Message {
            message_id: 102,
            sender_id: None,
            recipient_id: None,
            body: None,
            sent_at: None,
            read_at: None,
            subject: None,
            sender_ip: None,
            deleted_by_sender: Some(true),
            deleted_by_recipient: Some(false),
            raw_texts: vec![],
        },
        legacy::Message {
            message_id: 103,
            sender_id: Some(3),
            recipient_id: Some(4),
            body: Some(String::new()),
            sent_at: Some(ts(1900, 1, 1, 0, 0, 0, 0)),
            read_at: Some(ts(1753, 1, 1, 0, 0, 0, 0)),
            subject: None,
            sender_ip: None,
            deleted_by_sender: Some(true),
            deleted_by_recipient: Some(false),
            raw_texts: vec![raw("body", &[0x68, 0xdc00, 0x69])],
        },
        legacy::Message {
            message_id: 99,
            sender_id: Some(4),
            recipient_id: Some(3),
            body: Some("\u{fffd}\u{0}\t\r\n\"'\\ <b>html</b>".into()),
            sent_at: Some(ts(2038, 1, 19, 3, 14, 8, 0)),
            read_at: None,
            subject: None,
            sender_ip: None,
            deleted_by_sender: Some(true),
            deleted_by_recipient: Some(false),
            raw_texts: vec![raw("body", &[0xd83d])],
        },
    ];
    one_part(
        "messages",
        messages,
        [99, 103],
        ["1900-01-01T00:00:00Z", "2038-01-19T03:14:08Z"],
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
    one_part(
        "blocks",
        blocks,
        [7, 9],
        ["1900-01-01T00:00:00Z", "2008-08-08T08:08:08Z"],
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
    one_part(
        "favorites",
        favorites,
        [1, 3],
        ["2015-01-01T00:00:00Z", "2015-01-02T00:00:00Z"],
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
    one_part(
        "profile_visits",
        visits,
        [1_000, 1_049],
        ["2020-01-01T00:00:00Z", "2020-01-28T00:00:00Z"],
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
    one_part(
        "photos",
        photos,
        [5, 6],
        ["2001-09-09T01:46:40Z", "2001-09-09T01:46:40Z"],
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
    one_part(
        "photo_likes",
        likes,
        [1, 2],
        ["1950-06-15T12:00:00.000001Z", "1950-06-15T12:00:00.000001Z"],
    );
}

#[test]
fn search_profiles_round_trip_with_a_key_range_and_no_time_range() {
    let profiles = vec![
        legacy::SearchProfile {
            member_id: 7,
            seeking_gender: Some(2),
            age_min: Some(25),
            age_max: Some(99),
            city: Some("Jyväskylä".into()),
            raw_texts: vec![],
        },
        legacy::SearchProfile {
            member_id: 9,
            seeking_gender: None,
            age_min: None,
            age_max: Some(255),
            city: Some("Oulu\u{fffd}".into()),
            raw_texts: vec![raw("city", &[0x4f, 0x75, 0x6c, 0x75, 0xd800])],
        },
    ];
    round_trip(
        DumpKind::LegacyDump,
        "search_profiles",
        false,
        &[profiles],
        &[Expect {
            key_range: Some([7, 9]),
            time_range: None,
        }],
    );
}

#[test]
fn dirty_rows_round_trip_as_a_sidecar() {
    use pancake_proto::names::DIRTY_KINDS;
    let kinds = std::iter::once(legacy::DirtyKind::Unspecified).chain(DIRTY_KINDS);
    let rows: Vec<legacy::DirtyRow> = kinds
        .enumerate()
        .map(|(i, kind)| legacy::DirtyRow {
            table: if i % 2 == 0 { "messages" } else { "members" }.into(),
            key: 10 * i as i64 - 5,
            kind: kind as i32,
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
            key_range: Some([-5, 65]),
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

/// One part of `rows` of a legacy table, whose manifest entry must have
/// `key_range` and `time_range`.
fn one_part<R>(table: &str, rows: Vec<R>, key_range: [i64; 2], time_range: [&'static str; 2])
where
    R: Record + PartialEq + Debug,
{
    let expect = Expect {
        key_range: Some(key_range),
        time_range: Some(time_range),
    };
    round_trip(DumpKind::LegacyDump, table, false, &[rows], &[expect]);
}

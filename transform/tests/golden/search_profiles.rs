//! Search profiles in the golden dump: the rows, the events and rejects they
//! must become, and the rules of their own (gender codes, the order after
//! the registration).

use crate::common::write_part;
use crate::dump::{SNAPSHOT, at, lone_surrogate_utf16le, member, members_part0};
use crate::expected::{ExpectedReject, counts, ev};
use crate::{output_events, output_rejects, run};
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_proto::legacy::{self, RawText};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::record::event_order;
use pancake_proto::{LegacyTable, Manifest, ManifestWriter};

pub fn search_profile(
    member_id: i32,
    seeking: Option<u32>,
    ages: (Option<u32>, Option<u32>),
    city: Option<&str>,
) -> legacy::SearchProfile {
    legacy::SearchProfile {
        member_id,
        seeking_gender: seeking,
        age_min: ages.0,
        age_max: ages.1,
        city: city.map(Into::into),
        raw_texts: vec![],
    }
}

pub fn search_profiles() -> Vec<legacy::SearchProfile> {
    vec![
        search_profile(1, Some(2), (Some(25), Some(40)), Some("Helsinki")),
        // AgeMin above AgeMax: bad_range.
        search_profile(2, Some(1), (Some(45), Some(30)), None),
        // Anyone, one age only, a city with a repaired lone surrogate.
        legacy::SearchProfile {
            raw_texts: vec![RawText {
                column: "city".into(),
                utf16le: lone_surrogate_utf16le(),
            }],
            ..search_profile(3, None, (Some(30), Some(30)), Some("Hej Anna \u{FFFD}"))
        },
        // The same key again: duplicate_key.
        search_profile(3, None, (Some(30), Some(30)), None),
        // NULL AgeMin: null_required (member 4 is rejected too, but
        // required columns are checked first).
        search_profile(4, Some(1), (None, Some(30)), None),
        // Of a member who does not exist: orphan.
        search_profile(6, Some(1), (Some(20), Some(30)), None),
    ]
}

/// The events: one per valid row, at the end of its member's registration second.
pub fn expected_events() -> Vec<Event> {
    let m = members_part0();
    let set = |id: i32, seeking: Option<events::Gender>, ages: (u32, u32), city: Option<&str>| {
        ev(
            EventKind::SearchProfileSet,
            "search_profiles",
            i64::from(id),
            // The last microsecond of the registration's second.
            prost_types::Timestamp {
                nanos: 999_999_000,
                ..m[id as usize - 1].registered_at.unwrap()
            },
            id,
            Payload::SearchProfileSet(events::SearchProfileSet {
                seeking_gender: seeking.map(|g| g as i32),
                age_min: ages.0,
                age_max: ages.1,
                city: city.map(Into::into),
            }),
        )
    };
    vec![
        set(1, Some(events::Gender::Man), (25, 40), Some("Helsinki")),
        set(3, None, (30, 30), Some("Hej Anna \u{FFFD}")),
    ]
}

pub fn expected_rejects() -> Vec<ExpectedReject> {
    let p = search_profiles();
    let encode = |row: &legacy::SearchProfile| prost::Message::encode_to_vec(row);
    use RejectReason as R;
    vec![
        (
            2,
            R::BadRange,
            "age_min",
            0,
            1,
            encode(&p[1]),
            "age_min 45 is above age_max 30",
        ),
        (3, R::DuplicateKey, "member_id", 0, 3, encode(&p[3]), "3"),
        (
            4,
            R::NullRequired,
            "age_min",
            0,
            4,
            encode(&p[4]),
            "age_min is NULL",
        ),
        (
            6,
            R::Orphan,
            "member_id",
            0,
            5,
            encode(&p[5]),
            "member_id 6 is not a valid member",
        ),
    ]
}

/// A profile's gender codes travel as genders, NULL as "any"; a code that
/// stands for no gender is rejected as an orphan, naming the column and
/// the code.
#[test]
fn seeking_gender_codes_travel_as_genders_and_an_unknown_code_is_an_orphan() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, "seeking genders");
    manifest.snapshot_at = Some(SNAPSHOT.into());
    let writer = ManifestWriter::create(&input, manifest).unwrap();
    let codes = [Some(1), Some(2), Some(3), None, Some(0), Some(9)];
    let members: Vec<legacy::Member> = (1..=codes.len() as i32)
        .map(|id| member(id, "m", Some("m@x.fi"), 1, at(2010, 1, 1, id as u32, 0)))
        .collect();
    write_part(&writer, &input, LegacyTable::Members, &members);
    let profiles: Vec<legacy::SearchProfile> = codes
        .iter()
        .enumerate()
        .map(|(i, &code)| search_profile(i as i32 + 1, code, (Some(18), Some(99)), None))
        .collect();
    write_part(&writer, &input, LegacyTable::SearchProfiles, &profiles);
    writer.finish().unwrap();
    let report = run(&input, &out, 250_000, 1);

    let got: Vec<Option<i32>> = output_events(&out)["search_profiles"]
        .iter()
        .flatten()
        .map(|e| match &e.payload {
            Some(Payload::SearchProfileSet(p)) => p.seeking_gender,
            other => panic!("not a search profile: {other:?}"),
        })
        .collect();
    use events::Gender as G;
    assert_eq!(
        got,
        [
            Some(G::Woman as i32),
            Some(G::Man as i32),
            Some(G::Other as i32),
            None
        ]
    );
    let rejects = &output_rejects(&out)["search_profiles"][0];
    let seen: Vec<_> = rejects
        .iter()
        .map(|r| (r.key, r.reason(), r.column.as_str(), r.record))
        .collect();
    assert_eq!(
        seen,
        [
            (5, RejectReason::Orphan, "seeking_gender", 4),
            (6, RejectReason::Orphan, "seeking_gender", 5)
        ]
    );
    assert!(
        rejects[1]
            .detail
            .contains("seeking_gender 9 is not a gender"),
        "{}",
        rejects[1].detail
    );
    let account = &report.section.tables["search_profiles"];
    assert_eq!(account.rejects, counts(&[("orphan", 2)]), "{account:?}");
    assert_eq!(account.events, counts(&[("search-profile-set", 4)]));
}

/// A profile occurs in the second its member registered, and the stream's order puts
/// the registration first: nothing of a member comes before they exist.
#[test]
fn a_search_profile_comes_right_after_its_members_registration() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    crate::dump::write_dump(&input);
    run(&input, &out, 250_000, 1);
    let events = output_events(&out);
    let mut all: Vec<Event> = events.values().flatten().flatten().cloned().collect();
    all.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
    for profile in all
        .iter()
        .filter(|e| e.kind == EventKind::SearchProfileSet as i32)
    {
        let registration = all
            .iter()
            .position(|e| {
                e.kind == EventKind::MemberRegistered as i32 && e.member_id == profile.member_id
            })
            .expect("the member registered");
        let at = all.iter().position(|e| e == profile).unwrap();
        assert_eq!(at, registration + 1, "{profile:?}");
        // In the registration's second, at its end: after it, whatever
        // fraction of a second a legacy registration has.
        let (set, registered) = (
            profile.occurred_at.unwrap(),
            all[registration].occurred_at.unwrap(),
        );
        assert_eq!((set.seconds, set.nanos), (registered.seconds, 999_999_000));
    }
}

//! Search profiles look like a dating site's: most members have one, sorted
//! by member like a clustered key; most seek the other gender, some the
//! same, some anyone; an age range around the member's own age; a city for
//! about a third. And their dirt is each kind the table can have.

mod common;

use common::*;
use pancake_datasets::world::World;
use pancake_datasets::{Preset, rows};
use pancake_proto::legacy::{self, DirtyKind};
use std::collections::{BTreeSet, HashMap};

fn age_at(member: &legacy::Member) -> i64 {
    let born = member.birth_date.unwrap();
    let registered = chrono::DateTime::from_timestamp(member.registered_at.unwrap().seconds, 0)
        .unwrap()
        .date_naive();
    let born =
        chrono::NaiveDate::from_ymd_opt(born.year, born.month as u32, born.day as u32).unwrap();
    i64::from(registered.years_since(born).unwrap())
}

#[test]
fn search_profiles_look_like_a_dating_sites() {
    let dir = tempfile::tempdir().unwrap();
    generate_into(dir.path(), &options(Preset::TINY, 3.0, 5, 2));
    let members: HashMap<i32, legacy::Member> = read_table::<legacy::Member>(dir.path(), "members")
        .into_iter()
        .map(|(_, _, m)| (m.member_id, m))
        .collect();
    let profiles: Vec<legacy::SearchProfile> = read_table(dir.path(), "search_profiles")
        .into_iter()
        .map(|(_, _, p)| p)
        .collect();

    // Sorted by member (a duplicate repeats its key right after it).
    assert!(
        profiles
            .windows(2)
            .all(|w| w[0].member_id <= w[1].member_id)
    );
    let owners: BTreeSet<i32> = profiles.iter().map(|p| p.member_id).collect();
    let share = |n: usize, of: usize| n as f64 / of as f64;
    let with = owners.iter().filter(|id| members.contains_key(id)).count();
    let have = share(with, members.len());
    assert!(
        (0.75..0.92).contains(&have),
        "{have:.2} of members have one"
    );

    // The clean ones: of a known, clean member, in a sane range.
    let clean: Vec<(&legacy::SearchProfile, &legacy::Member)> = profiles
        .iter()
        .filter(|p| p.raw_texts.is_empty())
        .filter_map(|p| Some((p, members.get(&p.member_id)?)))
        .filter(|(p, m)| {
            matches!((p.age_min, p.age_max), (Some(a), Some(b)) if a <= b)
                && m.gender.is_some()
                && m.birth_date.is_some()
                && m.registered_at.is_some()
        })
        .collect();
    let n = clean.len();
    let any = clean
        .iter()
        .filter(|(p, _)| p.seeking_gender.is_none())
        .count();
    let opposite = clean
        .iter()
        .filter(|(p, m)| {
            matches!(
                (m.gender, p.seeking_gender),
                (Some(1), Some(2)) | (Some(2), Some(1))
            )
        })
        .count();
    let same = clean
        .iter()
        .filter(|(p, m)| m.gender != Some(3) && p.seeking_gender == m.gender)
        .count();
    assert!(
        (0.05..0.16).contains(&share(any, n)),
        "any gender {any} of {n}"
    );
    assert!(
        share(opposite, n) > 0.65,
        "opposite gender {opposite} of {n}"
    );
    assert!(
        same > 0 && share(same, n) < 0.15,
        "same gender {same} of {n}"
    );

    let mut around = 0;
    for (p, m) in &clean {
        let (min, max) = (p.age_min.unwrap(), p.age_max.unwrap());
        assert!(
            (18..=99).contains(&min) && (18..=99).contains(&max),
            "{p:?}"
        );
        let age = age_at(m);
        if i64::from(min) <= age + 1 && age - 1 <= i64::from(max) && i64::from(max) - age <= 13 {
            around += 1;
        }
    }
    assert!(share(around, n) > 0.95, "around their age: {around} of {n}");

    let own_city = clean
        .iter()
        .filter(|(p, m)| p.city.is_some() && p.city == m.city)
        .count();
    let other_city = clean
        .iter()
        .filter(|(p, m)| p.city.is_some() && p.city != m.city)
        .count();
    assert!(
        (0.22..0.40).contains(&share(own_city, n)),
        "own city {own_city} of {n}"
    );
    assert_eq!(other_city, 0, "a clean profile's city is its member's");
}

/// Every dirty kind the table can have, with the column it spoils, over
/// enough rows that each appears.
#[test]
fn search_profiles_carry_each_kind_of_dirt() {
    let world = World::new(1, Preset::FINLAND.scaled(0.05));
    let mut seen: BTreeSet<(i32, &str)> = BTreeSet::new();
    for j in 0..world.preset.search_profiles {
        let generated = rows::search_profile(&world, j);
        let (Some(row), Some(dirt)) = (generated.row, generated.dirt) else {
            continue;
        };
        seen.insert((dirt.kind as i32, dirt.column));
        match dirt.kind {
            DirtyKind::Orphan => assert!(world.is_purged(row.member_id as u64)),
            DirtyKind::NullRequired => assert!(row.age_min.is_none() || row.age_max.is_none()),
            DirtyKind::BadRange => assert!(row.age_min.unwrap() > row.age_max.unwrap()),
            DirtyKind::LoneSurrogate => assert_eq!(row.raw_texts[0].column, "city"),
            DirtyKind::DuplicateKey => {}
            other => panic!("{other:?} in a search profile"),
        }
    }
    let kinds: BTreeSet<i32> = seen.iter().map(|(k, _)| *k).collect();
    let want: BTreeSet<i32> = [
        DirtyKind::Orphan,
        DirtyKind::DuplicateKey,
        DirtyKind::NullRequired,
        DirtyKind::BadRange,
        DirtyKind::LoneSurrogate,
    ]
    .into_iter()
    .map(|k| k as i32)
    .collect();
    assert_eq!(kinds, want, "{seen:?}");
    assert!(seen.contains(&(DirtyKind::NullRequired as i32, "age_min")));
    assert!(seen.contains(&(DirtyKind::NullRequired as i32, "age_max")));
}

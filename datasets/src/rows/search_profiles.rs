//! Search profiles: whom a member is interested in. One row per member at
//! most, keyed by the member; NULL in SeekingGender or City means "any".

use super::members::member;
use super::{DAY, Generated, id32, spoil_text};
use crate::rng::Rng;
use crate::text;
use crate::world::{Dirt, World};
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{self, DirtyKind};

/// The share of profiles seeking anyone (SeekingGender NULL).
const SEEKING_ANY_SHARE: f64 = 0.10;
/// The share of the others seeking their own gender.
const SEEKING_SAME_SHARE: f64 = 0.07;
/// The share of profiles limited to the member's own city.
const OWN_CITY_SHARE: f64 = 0.33;
/// The share of purged members' profiles the purge left behind (orphans);
/// the others went with their member.
const LEFT_BEHIND_SHARE: f64 = 0.5;
/// The oldest age a profile can ask for (the site's form offered 18 to 99).
const OLDEST: u32 = 99;
const YOUNGEST: u32 = 18;

/// Who a profile belongs to, as far as the profile depends on it.
struct Seeker {
    gender: u32,
    /// Whole years at registration, when the profile was made.
    age: u32,
    city: Option<String>,
}

pub fn search_profile(world: &World, j: u64) -> Generated<legacy::SearchProfile> {
    let table = LegacyTable::SearchProfiles;
    let id = world.search_profile_member(j);
    let mut rng = world.row_rng(table, j);
    let (seeker, dirt) = if world.is_purged(id) {
        if !rng.chance(LEFT_BEHIND_SHARE) {
            return Generated {
                row: None,
                dirt: None,
            };
        }
        let orphan = Dirt {
            kind: DirtyKind::Orphan,
            column: "member_id",
        };
        (someone(&mut rng), Some(orphan))
    } else {
        // A member whose own row a later stage rejects has no profile: a
        // clean profile never points at a rejected member.
        let Some(seeker) = world
            .member_is_clean(id)
            .then(|| seeker(world, id))
            .flatten()
        else {
            return Generated {
                row: None,
                dirt: None,
            };
        };
        (seeker, world.dirt(table, j))
    };
    let (age_min, age_max) = age_range(&mut rng, seeker.age);
    let mut row = legacy::SearchProfile {
        member_id: id32(id).unwrap_or_default(),
        seeking_gender: seeking(&mut rng, seeker.gender),
        age_min: Some(age_min),
        age_max: Some(age_max),
        city: seeker.city.filter(|_| rng.chance(OWN_CITY_SHARE)),
        raw_texts: Vec::new(),
    };
    if let Some(d) = dirt {
        match (d.kind, d.column) {
            (DirtyKind::NullRequired, "age_min") => row.age_min = None,
            (DirtyKind::NullRequired, "age_max") => row.age_max = None,
            // Typed the wrong way round, in a form that did not check.
            (DirtyKind::BadRange, _) => {
                row.age_min = Some(age_max + 1 + rng.below(10) as u32);
            }
            (DirtyKind::LoneSurrogate, "city") => {
                if row.city.is_none() {
                    row.city = Some(rng.pick(text::CITIES).to_string());
                }
                spoil_text(&mut rng, "city", &mut row.city, &mut row.raw_texts);
            }
            _ => {}
        }
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

/// What the profile of clean member `id` depends on, from their own row.
fn seeker(world: &World, id: u64) -> Option<Seeker> {
    let m = member(world, id - 1).row?;
    let registered = m.registered_at?.seconds;
    let born = m.birth_date?;
    let born = chrono::NaiveDate::from_ymd_opt(born.year, born.month as u32, born.day as u32)?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp();
    let age = ((registered - born) as f64 / (365.2425 * DAY as f64)) as u32;
    Some(Seeker {
        gender: m.gender?,
        age,
        city: m.city,
    })
}

/// A purged member, of whom nothing is left but the profile.
fn someone(rng: &mut Rng) -> Seeker {
    Seeker {
        gender: 1 + rng.below(2) as u32,
        age: YOUNGEST + rng.below(40) as u32,
        city: Some(rng.pick(text::CITIES).to_string()),
    }
}

/// The gender sought: mostly the other one, some the same, some anyone.
fn seeking(rng: &mut Rng, gender: u32) -> Option<u32> {
    if rng.chance(SEEKING_ANY_SHARE) {
        return None;
    }
    let same = rng.chance(SEEKING_SAME_SHARE);
    Some(match gender {
        1 if !same => 2,
        2 if !same => 1,
        1 | 2 => gender,
        _ => 1 + rng.below(3) as u32,
    })
}

/// An age range around the member's own age: a few years younger, up to a
/// dozen older.
fn age_range(rng: &mut Rng, age: u32) -> (u32, u32) {
    let age = age.clamp(YOUNGEST, OLDEST);
    let min = age.saturating_sub(rng.below(9) as u32).max(YOUNGEST);
    let max = (age + rng.below(13) as u32).min(OLDEST);
    (min, max)
}

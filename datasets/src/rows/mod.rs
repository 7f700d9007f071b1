//! Row `j` of each legacy table: a clean row first, then its dirt, if any.
//!
//! One file per group of tables; this one holds what they share.

mod activity;
mod blocks;
mod members;
mod photos;
mod search_profiles;

pub use activity::{favorite, flirt, message, profile_visit};
pub use blocks::block;
pub use members::member;
pub use photos::{photo, photo_like};
pub use search_profiles::search_profile;

use crate::rng::Rng;
use crate::text;
use crate::world::{Dirt, SNAPSHOT, World};
use pancake_proto::legacy::{DirtyKind, RawText};
use prost_types::Timestamp;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// The share of flirts sent with a line of text: the flirt form offered a
/// line ready-made, and most members kept it and added to it.
const FLIRT_NOTE_SHARE: f64 = 0.85;

/// Row `j` as generated: `None` when the row does not exist (a purged
/// member), and the dirt it carries.
pub struct Generated<R> {
    pub row: Option<R>,
    pub dirt: Option<Dirt>,
}

fn ts(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn id32(id: u64) -> Option<i32> {
    Some(i32::try_from(id).unwrap_or(i32::MAX))
}

/// Bigint tables start their keys above the int range, as a busy site's do,
/// so every stage meets 64-bit keys.
const BIGINT_KEY_BASE: i64 = 5_000_000_000;

fn bigint_key(j: u64) -> i64 {
    BIGINT_KEY_BASE + j as i64 + 1
}

/// Two members of an interaction: the active one (power users most) and the
/// one it goes to (long-time members receive most).
fn pair(world: &World, rng: &mut Rng, t: i64) -> (u64, u64) {
    let actor = world.pick_actor(rng, t, 0);
    let target = world.pick_member(rng, t, actor, 4.0, false);
    (actor, target)
}

/// Applies dirt to the member-reference, time and self-reference columns that
/// every activity table has.
fn spoil_ids(
    world: &World,
    rng: &mut Rng,
    dirt: Dirt,
    column: &str,
    slot: &mut Option<i32>,
    other: Option<i32>,
) {
    if dirt.column != column {
        return;
    }
    match dirt.kind {
        DirtyKind::Orphan => *slot = id32(world.missing_member(rng)),
        DirtyKind::NullRequired => *slot = None,
        DirtyKind::SelfReference => *slot = other,
        _ => {}
    }
}

fn spoil_time(rng: &mut Rng, dirt: Dirt, column: &str, slot: &mut Option<Timestamp>) {
    if dirt.column != column {
        return;
    }
    match dirt.kind {
        DirtyKind::NullRequired => *slot = None,
        DirtyKind::BadDate => *slot = ts(World::bad_time(rng)),
        _ => {}
    }
}

/// Puts a lone surrogate into a text column, keeping the raw units.
fn spoil_text(
    rng: &mut Rng,
    column: &str,
    slot: &mut Option<String>,
    raw_texts: &mut Vec<RawText>,
) {
    let (repaired, raw) = text::with_lone_surrogate(rng, slot.as_deref().unwrap_or(""));
    *slot = Some(repaired);
    raw_texts.push(RawText {
        column: column.into(),
        utf16le: raw,
    });
}

/// The share of blocks and favorites later undone.
fn removed_at(rng: &mut Rng, created: i64, p: f64) -> Option<Timestamp> {
    let removed = rng.between(created + HOUR, SNAPSHOT - 1);
    (rng.chance(p) && removed < SNAPSHOT).then_some(Timestamp {
        seconds: removed,
        nanos: 0,
    })
}

//! Blocks: a member hiding another, often someone who flirted, wrote or
//! visited first; some lifted later.

use super::activity::contact;
use super::{Generated, id32, removed_at, spoil_ids, spoil_time, ts};
use crate::rng::Rng;
use crate::world::World;
use pancake_proto::LegacyTable;
use pancake_proto::legacy;

/// The share of blocks of someone who flirted with, wrote to or visited the
/// blocker shortly before: what a block usually answers on a dating site.
const AFTER_CONTACT_SHARE: f64 = 0.5;
/// The share of blocks lifted later.
const UNBLOCKED_SHARE: f64 = 0.25;
/// How far back a contact that leads to a block is looked for: the last
/// this fraction of the contact table's rows before the block.
const RECENT_CONTACTS: u64 = 50;
/// Contacts tried before a block falls back to two members who never met.
const CONTACT_TRIES: usize = 4;

/// The tables where one member contacts another, from the one who makes the
/// contact to the one who receives it.
const CONTACT_TABLES: [LegacyTable; 3] = [
    LegacyTable::Flirts,
    LegacyTable::Messages,
    LegacyTable::ProfileVisits,
];

pub fn block(world: &World, j: u64) -> Generated<legacy::Block> {
    let table = LegacyTable::Blocks;
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.blocks);
    let after_contact = rng
        .chance(AFTER_CONTACT_SHARE)
        .then(|| contact_before(world, &mut rng, t))
        .flatten();
    let (blocker, blocked) = after_contact.unwrap_or_else(|| {
        let blocker = world.pick_member(&mut rng, t, 0, 1.0, true);
        (blocker, world.pick_member(&mut rng, t, blocker, 2.0, false))
    });
    let mut row = legacy::Block {
        block_id: id32(j + 1).unwrap_or_default(),
        blocker_id: id32(blocker),
        blocked_id: id32(blocked),
        created_at: ts(t),
        removed_at: removed_at(&mut rng, t, UNBLOCKED_SHARE),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        let blocker = row.blocker_id;
        spoil_ids(world, &mut rng, d, "blocker_id", &mut row.blocker_id, None);
        spoil_ids(
            world,
            &mut rng,
            d,
            "blocked_id",
            &mut row.blocked_id,
            blocker,
        );
        spoil_time(&mut rng, d, "created_at", &mut row.created_at);
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

/// A clean flirt, message or visit shortly before `t` whose two members can
/// still act at `t`, as (blocker, blocked): the one who received it blocks
/// the one who made it.
fn contact_before(world: &World, rng: &mut Rng, t: i64) -> Option<(u64, u64)> {
    for _ in 0..CONTACT_TRIES {
        let table = *rng.pick(&CONTACT_TABLES);
        let before = rows_before(world, table, t);
        if before == 0 {
            continue;
        }
        let window = (world.preset.rows(table) / RECENT_CONTACTS).max(1);
        let k = before - 1 - rng.below(before.min(window));
        if world.dirt(table, k).is_some() {
            continue;
        }
        let (_, at, from, to) = contact(world, table, k);
        if at < t && from != to && world.member_usable(from, t) && world.member_usable(to, t) {
            return Some((to, from));
        }
    }
    None
}

/// How many rows of `table` happened before `t` (row times never decrease).
fn rows_before(world: &World, table: LegacyTable, t: i64) -> u64 {
    let n = world.preset.rows(table);
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if world.activity_time(table, mid, n) < t {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

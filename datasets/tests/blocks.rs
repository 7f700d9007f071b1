//! Blocks answer contact: many are by a member who earlier received a
//! flirt, a message or a visit from the one they block, and some are lifted
//! later. And members who deleted their account had been active before.

mod common;

use common::*;
use pancake_datasets::{DIRTY_ROWS, Preset};
use pancake_proto::Record;
use pancake_proto::legacy::{self, DirtyRow};
use prost_types::Timestamp;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The (table, key) of every dirty row.
fn dirty(dir: &Path) -> HashSet<(String, i64)> {
    read_table::<DirtyRow>(dir, DIRTY_ROWS)
        .into_iter()
        .map(|(_, _, m)| (m.table, m.key))
        .collect()
}

/// The clean rows of a table.
fn clean<R: Record>(dir: &Path, table: &str, dirty: &HashSet<(String, i64)>) -> Vec<R> {
    read_table::<R>(dir, table)
        .into_iter()
        .filter(|(_, _, r)| !dirty.contains(&(table.to_owned(), r.key().unwrap())))
        .map(|(_, _, r)| r)
        .collect()
}

fn seconds(t: Option<Timestamp>) -> i64 {
    t.unwrap().seconds
}

#[test]
fn many_blocks_follow_a_contact_from_the_blocked_member() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate_into(dir, &options(Preset::TINY, 2.0, 1, 2));
    let dirty = dirty(dir);
    // The first contact from one member to another.
    let mut first: HashMap<(i32, i32), i64> = HashMap::new();
    let mut contact = |from: Option<i32>, to: Option<i32>, at: Option<Timestamp>| {
        let at = seconds(at);
        let slot = first.entry((from.unwrap(), to.unwrap())).or_insert(at);
        *slot = (*slot).min(at);
    };
    for f in clean::<legacy::Flirt>(dir, "flirts", &dirty) {
        contact(f.sender_id, f.recipient_id, f.sent_at);
    }
    for m in clean::<legacy::Message>(dir, "messages", &dirty) {
        contact(m.sender_id, m.recipient_id, m.sent_at);
    }
    for v in clean::<legacy::ProfileVisit>(dir, "profile_visits", &dirty) {
        contact(v.visitor_id, v.visited_id, v.visited_at);
    }
    let blocks = clean::<legacy::Block>(dir, "blocks", &dirty);
    let after_contact = blocks
        .iter()
        .filter(|b| {
            first
                .get(&(b.blocked_id.unwrap(), b.blocker_id.unwrap()))
                .is_some_and(|&at| at < seconds(b.created_at))
        })
        .count();
    let lifted = blocks.iter().filter(|b| b.removed_at.is_some()).count();
    let n = blocks.len() as f64;
    let share = after_contact as f64 / n;
    assert!(
        (0.35..0.75).contains(&share),
        "{after_contact} of {n} blocks follow a contact from the blocked member"
    );
    let lifted = lifted as f64 / n;
    assert!((0.1..0.4).contains(&lifted), "{lifted:.2} of blocks lifted");
}

#[test]
fn deleted_members_had_flirted_visited_and_uploaded_photos() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate_into(dir, &options(Preset::TINY, 1.0, 1, 2));
    let dirty = dirty(dir);
    let deleted: HashMap<i32, i64> = clean::<legacy::Member>(dir, "members", &dirty)
        .into_iter()
        .filter_map(|m| Some((m.member_id, m.deleted_at?.seconds)))
        .collect();
    let before_deletion = |id: Option<i32>, at: Option<Timestamp>| {
        deleted
            .get(&id.unwrap())
            .is_some_and(|&gone| seconds(at) < gone)
    };
    let flirted: HashSet<i32> = clean::<legacy::Flirt>(dir, "flirts", &dirty)
        .into_iter()
        .filter(|f| before_deletion(f.sender_id, f.sent_at))
        .map(|f| f.sender_id.unwrap())
        .collect();
    let visited: HashSet<i32> = clean::<legacy::ProfileVisit>(dir, "profile_visits", &dirty)
        .into_iter()
        .filter(|v| before_deletion(v.visitor_id, v.visited_at))
        .map(|v| v.visitor_id.unwrap())
        .collect();
    let uploaded: HashSet<i32> = clean::<legacy::Photo>(dir, "photos", &dirty)
        .into_iter()
        .filter(|p| before_deletion(p.member_id, p.uploaded_at))
        .map(|p| p.member_id.unwrap())
        .collect();
    assert!(
        flirted.len() >= 2 && visited.len() >= 2 && uploaded.len() >= 2,
        "of {} deleted members, {} flirted, {} visited, {} uploaded photos",
        deleted.len(),
        flirted.len(),
        visited.len(),
        uploaded.len()
    );
}

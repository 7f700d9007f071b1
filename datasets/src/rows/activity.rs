//! What members do to each other: flirts, messages, favorites and visits.

use super::{
    DAY, FLIRT_NOTE_SHARE, Generated, HOUR, bigint_key, id32, pair, removed_at, spoil_ids,
    spoil_text, spoil_time, ts,
};
use crate::rng::Rng;
use crate::text;
use crate::world::{CHAT_FROM, READ_RECEIPTS_FROM, SNAPSHOT, World};
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{self, DirtyKind};

/// Row `j` of a table where one member contacts another (flirts, messages,
/// visits): its random stream, its time and the two members, drawn first, so
/// that a block can find who contacted whom without making the whole row.
pub(super) fn contact(world: &World, table: LegacyTable, j: u64) -> (Rng, i64, u64, u64) {
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.rows(table));
    let (from, to) = pair(world, &mut rng, t);
    (rng, t, from, to)
}

/// When a flirt's recipient saw it, if they did: hours later, typically.
fn seen_at(rng: &mut Rng, sent: i64) -> Option<i64> {
    let seen = sent + 30 + rng.lognormal(5.0 * HOUR as f64, 1.5) as i64;
    (rng.chance(0.8) && seen < SNAPSHOT).then_some(seen)
}

pub fn flirt(world: &World, j: u64) -> Generated<legacy::Flirt> {
    let table = LegacyTable::Flirts;
    let (mut rng, t, sender, recipient) = contact(world, table, j);
    let kind = match rng.below(100) {
        0..=44 => 1,  // wink
        45..=69 => 2, // smile
        70..=87 => 3, // kiss
        _ => 4,       // rose
    };
    let note = rng
        .chance(FLIRT_NOTE_SHARE)
        .then(|| text::flirt_note(&mut rng));
    let mut row = legacy::Flirt {
        flirt_id: bigint_key(j),
        sender_id: id32(sender),
        recipient_id: id32(recipient),
        sent_at: ts(t),
        kind: Some(kind),
        note,
        sender_ip: world.sender_ip(sender, t),
        seen_at: seen_at(&mut rng, t).and_then(ts),
        raw_texts: Vec::new(),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        let sender = row.sender_id;
        spoil_ids(world, &mut rng, d, "sender_id", &mut row.sender_id, None);
        spoil_ids(
            world,
            &mut rng,
            d,
            "recipient_id",
            &mut row.recipient_id,
            sender,
        );
        spoil_time(&mut rng, d, "sent_at", &mut row.sent_at);
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

pub fn message(world: &World, j: u64) -> Generated<legacy::Message> {
    let table = LegacyTable::Messages;
    let (mut rng, t, sender, recipient) = contact(world, table, j);
    let body = text::body(&mut rng);
    // Read receipts exist only since READ_RECEIPTS_FROM; half are read.
    let read = rng.between(t + 30, t + 2 * DAY);
    let read_at = (t >= READ_RECEIPTS_FROM && rng.chance(0.5) && read < SNAPSHOT).then_some(read);
    let subject_share = if t < CHAT_FROM { 0.45 } else { 0.06 };
    let subject = rng.chance(subject_share).then(|| text::subject(&mut rng));
    let mut row = legacy::Message {
        message_id: bigint_key(j),
        sender_id: id32(sender),
        recipient_id: id32(recipient),
        body: Some(body),
        sent_at: ts(t),
        read_at: read_at.and_then(ts),
        subject,
        sender_ip: world.sender_ip(sender, t),
        deleted_by_sender: Some(rng.chance(0.04)),
        deleted_by_recipient: Some(rng.chance(0.07)),
        raw_texts: Vec::new(),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        spoil_ids(world, &mut rng, d, "sender_id", &mut row.sender_id, None);
        spoil_ids(
            world,
            &mut rng,
            d,
            "recipient_id",
            &mut row.recipient_id,
            None,
        );
        spoil_time(&mut rng, d, "sent_at", &mut row.sent_at);
        match (d.kind, d.column) {
            (DirtyKind::NullRequired, "body") => row.body = None,
            (DirtyKind::LoneSurrogate, "body") => {
                spoil_text(&mut rng, "body", &mut row.body, &mut row.raw_texts);
            }
            _ => {}
        }
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

pub fn favorite(world: &World, j: u64) -> Generated<legacy::Favorite> {
    let table = LegacyTable::Favorites;
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.favorites);
    let (member, favorite) = pair(world, &mut rng, t);
    let mut row = legacy::Favorite {
        favorite_id: id32(j + 1).unwrap_or_default(),
        member_id: id32(member),
        favorite_member_id: id32(favorite),
        created_at: ts(t),
        removed_at: removed_at(&mut rng, t, 0.2),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        spoil_ids(world, &mut rng, d, "member_id", &mut row.member_id, None);
        spoil_ids(
            world,
            &mut rng,
            d,
            "favorite_member_id",
            &mut row.favorite_member_id,
            None,
        );
        spoil_time(&mut rng, d, "created_at", &mut row.created_at);
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

pub fn profile_visit(world: &World, j: u64) -> Generated<legacy::ProfileVisit> {
    let table = LegacyTable::ProfileVisits;
    let (mut rng, t, visitor, visited) = contact(world, table, j);
    let mut row = legacy::ProfileVisit {
        visit_id: bigint_key(j),
        visitor_id: id32(visitor),
        visited_id: id32(visited),
        visited_at: ts(t),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        spoil_ids(world, &mut rng, d, "visitor_id", &mut row.visitor_id, None);
        spoil_ids(world, &mut rng, d, "visited_id", &mut row.visited_id, None);
        spoil_time(&mut rng, d, "visited_at", &mut row.visited_at);
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

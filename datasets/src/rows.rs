//! Row `j` of each legacy table: a clean row first, then its dirt, if any.

use crate::rng::Rng;
use crate::text;
use crate::world::{CHAT_FROM, Dirt, READ_RECEIPTS_FROM, SNAPSHOT, World};
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{self, DirtyKind, RawText};
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

/// A height as members enter it: by gender, and often rounded to 5 cm.
fn height_cm(rng: &mut Rng, gender: u32) -> u32 {
    let (mean, sd) = match gender {
        1 => (165.0, 6.5),
        2 => (179.0, 7.0),
        _ => (172.0, 9.0),
    };
    let cm = (mean + sd * rng.normal()).round().clamp(140.0, 215.0) as u32;
    if rng.chance(0.2) {
        (cm + 2) / 5 * 5
    } else {
        cm
    }
}

/// The member's last login: recent for the many still active, any time
/// since registration for the rest; before deletion for the deleted.
fn last_login(rng: &mut Rng, registered: i64, deleted: Option<i64>) -> i64 {
    let end = deleted.unwrap_or(SNAPSHOT - 1);
    let from = if rng.chance(0.4) {
        (end - 30 * DAY).max(registered)
    } else {
        registered
    };
    rng.between(from, end)
}

/// When a flirt's recipient saw it, if they did: hours later, typically.
fn seen_at(rng: &mut Rng, sent: i64) -> Option<i64> {
    let seen = sent + 30 + rng.lognormal(5.0 * HOUR as f64, 1.5) as i64;
    (rng.chance(0.8) && seen < SNAPSHOT).then_some(seen)
}

fn date_of(seconds: i64) -> legacy::Date {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .date_naive();
    legacy::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

pub fn member(world: &World, j: u64) -> Generated<legacy::Member> {
    let id = j + 1;
    let dirt = world.dirt(LegacyTable::Members, j);
    if world.is_purged(id) {
        return Generated {
            row: None,
            dirt: None,
        };
    }
    let mut rng = world.row_rng(LegacyTable::Members, j);
    let registered = world.registered_at(id);
    let nickname = text::nickname(&mut rng);
    let email = text::email(&mut rng, &nickname, id as i64);
    let gender = match rng.below(100) {
        0..=44 => 1,
        45..=97 => 2,
        _ => 3,
    };
    let age_days = rng.between(18 * 365 + 5, 70 * 365);
    let city = (!rng.chance(0.1)).then(|| rng.pick(text::CITIES).to_string());
    let approved = rng.between(registered + 10 * 60, registered + 3 * DAY);
    let approved_at = (rng.chance(0.85) && approved < SNAPSHOT).then_some(approved);
    let portrait_url = rng
        .chance(0.7)
        .then(|| format!("https://photos.example.com/{id}/portrait.jpg"));
    let profile_text = rng.chance(0.8).then(|| text::profile_text(&mut rng));
    let height_cm = rng.chance(0.75).then(|| height_cm(&mut rng, gender));
    let deleted_at = world.deleted_at(id);
    let last_login_at = rng
        .chance(0.9)
        .then(|| last_login(&mut rng, registered, deleted_at));
    let mut row = legacy::Member {
        member_id: id32(id).unwrap_or_default(),
        nickname: Some(nickname),
        email: Some(email),
        gender: Some(gender),
        birth_date: Some(date_of(registered - age_days * DAY)),
        city,
        registered_at: ts(registered),
        approved_at: approved_at.and_then(ts),
        portrait_url,
        deleted_at: deleted_at.and_then(ts),
        profile_text,
        height_cm,
        last_login_at: last_login_at.and_then(ts),
        raw_texts: Vec::new(),
    };
    if let Some(dirt) = dirt {
        match (dirt.kind, dirt.column) {
            (DirtyKind::NullRequired, "nickname") => row.nickname = None,
            (DirtyKind::NullRequired, "email") => row.email = None,
            (DirtyKind::NullRequired, "gender") => row.gender = None,
            (DirtyKind::NullRequired, "birth_date") => row.birth_date = None,
            (DirtyKind::LoneSurrogate, "nickname") => {
                spoil_text(&mut rng, "nickname", &mut row.nickname, &mut row.raw_texts);
            }
            (DirtyKind::LoneSurrogate, "profile_text") => {
                // Broken clients wrote "about me" texts too; this one has one.
                if row.profile_text.is_none() {
                    row.profile_text = Some(text::profile_text(&mut rng));
                }
                spoil_text(
                    &mut rng,
                    "profile_text",
                    &mut row.profile_text,
                    &mut row.raw_texts,
                );
            }
            _ => spoil_time(&mut rng, dirt, "registered_at", &mut row.registered_at),
        }
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

pub fn flirt(world: &World, j: u64) -> Generated<legacy::Flirt> {
    let table = LegacyTable::Flirts;
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.flirts);
    let (sender, recipient) = pair(world, &mut rng, t);
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
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.messages);
    let (sender, recipient) = pair(world, &mut rng, t);
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

/// The share of blocks and favorites later undone.
fn removed_at(rng: &mut Rng, created: i64, p: f64) -> Option<Timestamp> {
    let removed = rng.between(created + HOUR, SNAPSHOT - 1);
    (rng.chance(p) && removed < SNAPSHOT).then_some(Timestamp {
        seconds: removed,
        nanos: 0,
    })
}

pub fn block(world: &World, j: u64) -> Generated<legacy::Block> {
    let table = LegacyTable::Blocks;
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.blocks);
    let blocker = world.pick_member(&mut rng, t, 0, 1.0, true);
    let blocked = world.pick_member(&mut rng, t, blocker, 2.0, false);
    let mut row = legacy::Block {
        block_id: id32(j + 1).unwrap_or_default(),
        blocker_id: id32(blocker),
        blocked_id: id32(blocked),
        created_at: ts(t),
        removed_at: removed_at(&mut rng, t, 0.25),
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
    let mut rng = world.row_rng(table, j);
    let t = world.activity_time(table, j, world.preset.profile_visits);
    let (visitor, visited) = pair(world, &mut rng, t);
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

pub fn photo(world: &World, j: u64) -> Generated<legacy::Photo> {
    let table = LegacyTable::Photos;
    let mut rng = world.row_rng(table, j);
    let id = j + 1;
    let owner = world.photo_owner(id);
    let mut row = legacy::Photo {
        photo_id: id32(id).unwrap_or_default(),
        member_id: id32(owner),
        url: Some(format!("https://photos.example.com/{owner}/{id}.jpg")),
        uploaded_at: ts(world.uploaded_at(id)),
        raw_texts: Vec::new(),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        spoil_ids(world, &mut rng, d, "member_id", &mut row.member_id, None);
        spoil_time(&mut rng, d, "uploaded_at", &mut row.uploaded_at);
        if (d.kind, d.column) == (DirtyKind::NullRequired, "url") {
            row.url = None;
        }
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

pub fn photo_like(world: &World, j: u64) -> Generated<legacy::PhotoLike> {
    let table = LegacyTable::PhotoLikes;
    let mut rng = world.row_rng(table, j);
    let t = world
        .activity_time(table, j, world.preset.photo_likes)
        .max(world.uploaded_at(1) + 60);
    let photo = world.pick_photo(&mut rng, t);
    let liker = world.pick_member(&mut rng, t, world.photo_owner(photo), 2.0, true);
    let mut row = legacy::PhotoLike {
        like_id: bigint_key(j),
        photo_id: id32(photo),
        member_id: id32(liker),
        liked_at: ts(t.min(SNAPSHOT - 1)),
    };
    let dirt = world.dirt(table, j);
    if let Some(d) = dirt {
        if d.column == "photo_id" {
            match d.kind {
                DirtyKind::Orphan => row.photo_id = id32(world.missing_photo(&mut rng)),
                DirtyKind::NullRequired => row.photo_id = None,
                _ => {}
            }
        }
        spoil_ids(world, &mut rng, d, "member_id", &mut row.member_id, None);
        spoil_time(&mut rng, d, "liked_at", &mut row.liked_at);
    }
    Generated {
        row: Some(row),
        dirt,
    }
}

//! Members: who registered, with their profile.

use super::{DAY, Generated, id32, spoil_text, spoil_time, ts};
use crate::rng::Rng;
use crate::text;
use crate::world::{SNAPSHOT, World};
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{self, DirtyKind};

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

//! Photos and the likes they get.

use super::{Generated, bigint_key, id32, spoil_ids, spoil_time, ts};
use crate::world::{SNAPSHOT, World};
use pancake_proto::LegacyTable;
use pancake_proto::legacy::{self, DirtyKind};

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

//! Photos and their likes.

use super::{Check, Context, Row, event, has, need, reject, show};
use crate::ids;
use pancake_proto::LegacyTable;
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_proto::legacy;

impl Row for legacy::Photo {
    const KEY_FIELD: &'static str = "photo_id";
    const TABLE: LegacyTable = LegacyTable::Photos;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let owner = *need(&self.member_id, "member_id")?;
        need(&self.url, "url")?;
        let at = cx.date(need(&self.uploaded_at, "uploaded_at")?, "uploaded_at")?;
        let registered = cx.member(owner, "member_id")?;
        cx.registered_by(registered, at, owner, "member_id")
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        let key = i64::from(self.photo_id);
        out.push(event(
            EventKind::PhotoUploaded,
            Self::TABLE,
            key,
            has(self.uploaded_at),
            has(self.member_id),
            Payload::PhotoUploaded(events::PhotoUploaded {
                photo_id: ids::entity("photo", key).to_vec(),
                url: self.url.unwrap_or_default(),
            }),
        ));
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

impl Row for legacy::PhotoLike {
    const KEY_FIELD: &'static str = "like_id";
    const TABLE: LegacyTable = LegacyTable::PhotoLikes;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let photo = *need(&self.photo_id, "photo_id")?;
        let liker = *need(&self.member_id, "member_id")?;
        let at = cx.date(need(&self.liked_at, "liked_at")?, "liked_at")?;
        let Some(uploaded) = cx.photos.uploaded_at(photo) else {
            return Err(reject(
                RejectReason::Orphan,
                "photo_id",
                format!("photo_id {photo} is not a valid photo"),
            ));
        };
        let registered = cx.member(liker, "member_id")?;
        cx.registered_by(registered, at, liker, "member_id")?;
        // The photo's owner registered before the upload (a valid photo's
        // check), so a like after the upload comes after both.
        if at < uploaded {
            return Err(reject(
                RejectReason::BadDate,
                "liked_at",
                format!(
                    "liked_at {} is before photo {photo} was uploaded at {}",
                    show(at),
                    show(uploaded)
                ),
            ));
        }
        Ok(())
    }

    fn events(self, cx: &Context, out: &mut Vec<Event>) {
        let photo = has(self.photo_id);
        let owner = cx.photos.owner(photo).expect("checked before mapping");
        out.push(event(
            EventKind::PhotoLiked,
            Self::TABLE,
            self.like_id,
            has(self.liked_at),
            has(self.member_id),
            Payload::PhotoLiked(events::PhotoLiked {
                like_id: ids::entity("photo-like", self.like_id).to_vec(),
                photo_id: ids::entity("photo", i64::from(photo)).to_vec(),
                owner_id: ids::member(owner).to_vec(),
            }),
        ));
    }
}

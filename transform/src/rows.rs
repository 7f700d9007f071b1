//! Each legacy table's rules (when a row is rejected, and why) and its
//! mapping (the events a valid row becomes).
//!
//! Checks run in one order for every table: the duplicate key first (a
//! duplicate is otherwise a perfect copy), then required columns, dates,
//! references, self-references, and last that nobody acts before they
//! registered, which is what lets the loader promise that a member's
//! registration comes before anything else of theirs.

use crate::ids;
use crate::index::{MemberIndex, PhotoIndex};
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_proto::legacy;
use pancake_proto::names::kind_name;
use pancake_proto::{LegacyTable, Record};
use prost_types::Timestamp;

/// What every check may consult.
pub struct Context<'a> {
    pub members: &'a MemberIndex,
    pub photos: &'a PhotoIndex,
    /// The first second a valid date may have (Unix seconds).
    pub site_start: i64,
    /// The last: the dump's snapshot time.
    pub snapshot: i64,
}

/// Why a row was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: RejectReason,
    pub column: &'static str,
    pub detail: String,
}

type Check<T> = Result<T, Rejection>;

fn reject(reason: RejectReason, column: &'static str, detail: String) -> Rejection {
    Rejection {
        reason,
        column,
        detail,
    }
}

fn need<'v, T>(value: &'v Option<T>, column: &'static str) -> Check<&'v T> {
    value.as_ref().ok_or_else(|| {
        reject(
            RejectReason::NullRequired,
            column,
            format!("{column} is NULL"),
        )
    })
}

impl Context<'_> {
    fn date(&self, t: &Timestamp, column: &'static str) -> Check<i64> {
        let s = t.seconds;
        if s < self.site_start || s > self.snapshot {
            return Err(reject(
                RejectReason::BadDate,
                column,
                format!(
                    "{column} {} is outside the site's life ({} to the snapshot {})",
                    show(s),
                    show(self.site_start),
                    show(self.snapshot)
                ),
            ));
        }
        Ok(s)
    }

    /// A later time of the same row (approved, read, removed): in the
    /// site's life and not before the row's own time.
    fn later(&self, t: &Option<Timestamp>, first: i64, column: &'static str) -> Check<()> {
        if let Some(t) = t {
            let s = self.date(t, column)?;
            if s < first {
                return Err(reject(
                    RejectReason::BadDate,
                    column,
                    format!(
                        "{column} {} is before the row's own time {}",
                        show(s),
                        show(first)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn member(&self, id: i32, column: &'static str) -> Check<i64> {
        self.members.registered_at(id).ok_or_else(|| {
            reject(
                RejectReason::Orphan,
                column,
                format!("{column} {id} is not a valid member"),
            )
        })
    }

    fn registered_by(&self, registered: i64, t: i64, id: i32, column: &'static str) -> Check<()> {
        if t < registered {
            return Err(reject(
                RejectReason::BadDate,
                column,
                format!(
                    "{} is before member {id} ({column}) registered at {}",
                    show(t),
                    show(registered)
                ),
            ));
        }
        Ok(())
    }

    /// Both members exist and were registered at `t`.
    fn pair(&self, a: (i32, &'static str), b: (i32, &'static str), t: i64) -> Check<()> {
        let ra = self.member(a.0, a.1)?;
        let rb = self.member(b.0, b.1)?;
        self.registered_by(ra, t, a.0, a.1)?;
        self.registered_by(rb, t, b.0, b.1)
    }
}

fn show(seconds: i64) -> String {
    pancake_proto::record::format_micros(seconds.saturating_mul(1_000_000))
}

fn not_self(a: i32, b: i32, column: &'static str) -> Check<()> {
    if a == b {
        return Err(reject(
            RejectReason::SelfReference,
            column,
            format!("{column} {b} is the member themselves"),
        ));
    }
    Ok(())
}

/// A legacy record the transform knows how to check and map.
pub trait Row: Record + Send + 'static {
    const TABLE: LegacyTable;
    /// The key's field name, for duplicate-key rejects.
    const KEY_FIELD: &'static str;
    /// Most events one row becomes.
    const MAX_EVENTS: u64;
    /// The checks, in order; `Ok` means the row becomes events.
    fn check(&self, cx: &Context) -> Check<()>;
    /// The events of a row that passed [`Row::check`]. Takes the row: its
    /// texts move into the events rather than being copied.
    fn events(self, cx: &Context, out: &mut Vec<Event>);
    /// Whether text of the row had lone surrogates, repaired as U+FFFD.
    fn repaired(&self) -> bool {
        false
    }
}

fn event(
    kind: EventKind,
    table: LegacyTable,
    key: i64,
    at: Timestamp,
    member: i32,
    payload: Payload,
) -> Event {
    Event {
        event_id: ids::event(kind_name(kind), table.name(), key).to_vec(),
        kind: kind as i32,
        occurred_at: Some(at),
        member_id: ids::member(member).to_vec(),
        source: Some(events::LegacySource {
            table: table.name().into(),
            key,
        }),
        payload: Some(payload),
    }
}

/// Fields a valid row is known to have; `check` made sure.
fn has<T: Copy>(v: Option<T>) -> T {
    v.expect("checked before mapping")
}

impl Row for legacy::Member {
    const KEY_FIELD: &'static str = "member_id";
    const TABLE: LegacyTable = LegacyTable::Members;
    const MAX_EVENTS: u64 = 3;

    fn check(&self, cx: &Context) -> Check<()> {
        need(&self.nickname, "nickname")?;
        need(&self.email, "email")?;
        need(&self.gender, "gender")?;
        need(&self.birth_date, "birth_date")?;
        let registered = cx.date(need(&self.registered_at, "registered_at")?, "registered_at")?;
        cx.later(&self.approved_at, registered, "approved_at")?;
        cx.later(&self.deleted_at, registered, "deleted_at")
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        let (t, id, key) = (Self::TABLE, self.member_id, i64::from(self.member_id));
        let birth = self.birth_date.unwrap_or_default();
        out.push(event(
            EventKind::MemberRegistered,
            t,
            key,
            has(self.registered_at),
            id,
            Payload::MemberRegistered(events::MemberRegistered {
                nickname: self.nickname.unwrap_or_default(),
                email: self.email.unwrap_or_default(),
                gender: match self.gender {
                    Some(1) => events::Gender::Woman,
                    Some(2) => events::Gender::Man,
                    Some(3) => events::Gender::Other,
                    _ => events::Gender::Unspecified,
                } as i32,
                birth_date: Some(events::Date {
                    year: birth.year,
                    month: birth.month,
                    day: birth.day,
                }),
                city: self.city,
                portrait_url: self.portrait_url,
                profile_text: self.profile_text,
                height_cm: self.height_cm,
                last_login_at: self.last_login_at,
            }),
        ));
        if let Some(at) = self.approved_at {
            out.push(event(
                EventKind::RegistrationApproved,
                t,
                key,
                at,
                id,
                Payload::RegistrationApproved(events::RegistrationApproved {}),
            ));
        }
        if let Some(at) = self.deleted_at {
            out.push(event(
                EventKind::MemberDeleted,
                t,
                key,
                at,
                id,
                Payload::MemberDeleted(events::MemberDeleted {}),
            ));
        }
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

impl Row for legacy::Flirt {
    const KEY_FIELD: &'static str = "flirt_id";
    const TABLE: LegacyTable = LegacyTable::Flirts;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let sender = *need(&self.sender_id, "sender_id")?;
        let recipient = *need(&self.recipient_id, "recipient_id")?;
        let at = cx.date(need(&self.sent_at, "sent_at")?, "sent_at")?;
        cx.member(sender, "sender_id")?;
        cx.member(recipient, "recipient_id")?;
        // A kind code is a reference too: to the legacy site's list of kinds.
        if let Some(code) = self.kind.filter(|&c| flirt_kind(c).is_none()) {
            return Err(reject(
                RejectReason::Orphan,
                "kind",
                format!("kind {code} is not a flirt kind (1 wink, 2 smile, 3 kiss, 4 rose)"),
            ));
        }
        not_self(sender, recipient, "recipient_id")?;
        cx.pair((sender, "sender_id"), (recipient, "recipient_id"), at)
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        out.push(event(
            EventKind::FlirtSent,
            Self::TABLE,
            self.flirt_id,
            has(self.sent_at),
            has(self.sender_id),
            Payload::FlirtSent(events::FlirtSent {
                flirt_id: ids::entity("flirt", self.flirt_id).to_vec(),
                recipient_id: ids::member(has(self.recipient_id)).to_vec(),
                kind: self.kind.and_then(flirt_kind).map(str::to_owned),
                note: self.note,
                seen_at: self.seen_at,
            }),
        ));
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

/// A flirt's legacy kind code by name, as the events carry it; `None` for a
/// code that stands for nothing.
fn flirt_kind(code: u32) -> Option<&'static str> {
    match code {
        1 => Some("wink"),
        2 => Some("smile"),
        3 => Some("kiss"),
        4 => Some("rose"),
        _ => None,
    }
}

impl Row for legacy::Message {
    const KEY_FIELD: &'static str = "message_id";
    const TABLE: LegacyTable = LegacyTable::Messages;
    const MAX_EVENTS: u64 = 2;

    fn check(&self, cx: &Context) -> Check<()> {
        let sender = *need(&self.sender_id, "sender_id")?;
        let recipient = *need(&self.recipient_id, "recipient_id")?;
        need(&self.body, "body")?;
        let at = cx.date(need(&self.sent_at, "sent_at")?, "sent_at")?;
        cx.later(&self.read_at, at, "read_at")?;
        cx.pair((sender, "sender_id"), (recipient, "recipient_id"), at)
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        let (sender, recipient) = (has(self.sender_id), has(self.recipient_id));
        let message_id = ids::entity("message", self.message_id);
        let thread_id = ids::thread(sender, recipient);
        if let Some(read_at) = self.read_at {
            out.push(event(
                EventKind::MessageRead,
                Self::TABLE,
                self.message_id,
                read_at,
                recipient,
                Payload::MessageRead(events::MessageRead {
                    message_id: message_id.to_vec(),
                    thread_id: thread_id.to_vec(),
                    sender_id: ids::member(sender).to_vec(),
                }),
            ));
        }
        out.push(event(
            EventKind::MessageSent,
            Self::TABLE,
            self.message_id,
            has(self.sent_at),
            sender,
            Payload::MessageSent(events::MessageSent {
                message_id: message_id.to_vec(),
                thread_id: thread_id.to_vec(),
                recipient_id: ids::member(recipient).to_vec(),
                body: self.body.unwrap_or_default(),
                subject: self.subject,
                deleted_by_sender: self.deleted_by_sender.unwrap_or_default(),
                deleted_by_recipient: self.deleted_by_recipient.unwrap_or_default(),
            }),
        ));
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

/// Blocks and favorites: a relation between two members that is made and
/// may be removed.
macro_rules! relation_row {
    ($ty:ident, $table:ident, $key:ident, $from:ident, $to:ident, $self_check:expr,
     $added:ident, $removed:ident, $payload_added:ident, $payload_removed:ident,
     $entity:literal, $id_field:ident, $to_field:ident) => {
        impl Row for legacy::$ty {
            const KEY_FIELD: &'static str = stringify!($key);
            const TABLE: LegacyTable = LegacyTable::$table;
            const MAX_EVENTS: u64 = 2;

            fn check(&self, cx: &Context) -> Check<()> {
                let from = *need(&self.$from, stringify!($from))?;
                let to = *need(&self.$to, stringify!($to))?;
                let at = cx.date(need(&self.created_at, "created_at")?, "created_at")?;
                cx.later(&self.removed_at, at, "removed_at")?;
                cx.member(from, stringify!($from))?;
                cx.member(to, stringify!($to))?;
                if $self_check {
                    not_self(from, to, stringify!($to))?;
                }
                cx.pair((from, stringify!($from)), (to, stringify!($to)), at)
            }

            fn events(self, _cx: &Context, out: &mut Vec<Event>) {
                let key = i64::from(self.$key);
                let id = ids::entity($entity, key);
                let to = ids::member(has(self.$to));
                let from = has(self.$from);
                out.push(event(
                    EventKind::$added,
                    Self::TABLE,
                    key,
                    has(self.created_at),
                    from,
                    Payload::$added(events::$payload_added {
                        $id_field: id.to_vec(),
                        $to_field: to.to_vec(),
                    }),
                ));
                if let Some(at) = self.removed_at {
                    out.push(event(
                        EventKind::$removed,
                        Self::TABLE,
                        key,
                        at,
                        from,
                        Payload::$removed(events::$payload_removed {
                            $id_field: id.to_vec(),
                            $to_field: to.to_vec(),
                        }),
                    ));
                }
            }
        }
    };
}

relation_row!(
    Block,
    Blocks,
    block_id,
    blocker_id,
    blocked_id,
    true,
    MemberBlocked,
    MemberUnblocked,
    MemberBlocked,
    MemberUnblocked,
    "block",
    block_id,
    blocked_id
);
relation_row!(
    Favorite,
    Favorites,
    favorite_id,
    member_id,
    favorite_member_id,
    false,
    FavoriteAdded,
    FavoriteRemoved,
    FavoriteAdded,
    FavoriteRemoved,
    "favorite",
    favorite_id,
    favorite_member_id
);

impl Row for legacy::ProfileVisit {
    const KEY_FIELD: &'static str = "visit_id";
    const TABLE: LegacyTable = LegacyTable::ProfileVisits;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let visitor = *need(&self.visitor_id, "visitor_id")?;
        let visited = *need(&self.visited_id, "visited_id")?;
        let at = cx.date(need(&self.visited_at, "visited_at")?, "visited_at")?;
        cx.pair((visitor, "visitor_id"), (visited, "visited_id"), at)
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        out.push(event(
            EventKind::ProfileVisited,
            Self::TABLE,
            self.visit_id,
            has(self.visited_at),
            has(self.visitor_id),
            Payload::ProfileVisited(events::ProfileVisited {
                visit_id: ids::entity("visit", self.visit_id).to_vec(),
                visited_id: ids::member(has(self.visited_id)).to_vec(),
            }),
        ));
    }
}

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

//! A stream made by hand for the PostgreSQL tests: three members, their
//! flirts, visits and messages, and blocks that come after what they hide.
//! Ann has a profile text, height and last login; B's flirt is a kiss with a
//! note, seen by A; B's first message has a subject and A deleted it, C's
//! message C deleted.

use super::pg::some;
use super::write_stream;
use pancake_proto::events::event::Payload;
use pancake_proto::events::{self as ev, Event, EventKind};
use pancake_proto::record::micros_timestamp;
use std::path::Path;

/// 2020-09-13T12:26:40Z.
pub const T0: i64 = 1_600_000_000_000_000;
pub const SECOND: i64 = 1_000_000;

/// The UUID numbered `n`, for every id of the stream.
pub fn uid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// The 16 bytes an event carries for the UUID `text`.
pub fn bin(text: &str) -> Vec<u8> {
    uuid::Uuid::parse_str(text)
        .expect("a UUID")
        .as_bytes()
        .to_vec()
}

/// Event `id` of `member`, `seconds` after [`T0`].
pub fn hand(id: u64, member: &str, seconds: i64, payload: Payload) -> Event {
    use Payload::*;
    let kind = match &payload {
        MemberRegistered(_) => EventKind::MemberRegistered,
        RegistrationApproved(_) => EventKind::RegistrationApproved,
        MemberDeleted(_) => EventKind::MemberDeleted,
        FlirtSent(_) => EventKind::FlirtSent,
        MessageSent(_) => EventKind::MessageSent,
        MessageRead(_) => EventKind::MessageRead,
        MemberBlocked(_) => EventKind::MemberBlocked,
        MemberUnblocked(_) => EventKind::MemberUnblocked,
        FavoriteAdded(_) => EventKind::FavoriteAdded,
        FavoriteRemoved(_) => EventKind::FavoriteRemoved,
        ProfileVisited(_) => EventKind::ProfileVisited,
        PhotoUploaded(_) => EventKind::PhotoUploaded,
        PhotoLiked(_) => EventKind::PhotoLiked,
        SearchProfileSet(_) => EventKind::SearchProfileSet,
    };
    Event {
        event_id: bin(&uid(id)),
        kind: kind as i32,
        occurred_at: Some(micros_timestamp(T0 + seconds * SECOND)),
        member_id: bin(member),
        source: Some(ev::LegacySource {
            table: "Hand".into(),
            key: id as i64,
        }),
        payload: Some(payload),
    }
}

/// Ann's profile: "about me", height, and last login (seconds after [`T0`]).
pub const ANN_PROFILE_TEXT: &str = "Tykkään saunasta.\n\"Books\" \\ 🥞";
pub const ANN_HEIGHT_CM: u32 = 168;
pub const ANN_LAST_LOGIN: i64 = 100;
/// B's flirt with A: a kiss with this note, seen (seconds after [`T0`]).
pub const FLIRT_BA_NOTE: &str = "Hej \u{FFFD}";
pub const FLIRT_BA_SEEN: i64 = 17;
/// The subject of B's message 30 to A, which A deleted.
pub const MESSAGE_30_SUBJECT: &str = "Kahvi?";

/// The ids of the stream: members A, B and C, the threads and blocks
/// between A and the others, and the alerts B and C make for A.
pub struct Hand {
    pub a: String,
    pub b: String,
    pub c: String,
    pub thread_ab: String,
    pub thread_ac: String,
    pub block_ab: String,
    pub block_ac: String,
    pub flirt_ba: String,
    pub visit_ba: String,
    pub flirt_ca: String,
    /// Messages 30 (B to A) and 31 (C to A).
    pub message_30: String,
    pub message_31: String,
}

pub fn hand_ids() -> Hand {
    Hand {
        a: uid(0xa),
        b: uid(0xb),
        c: uid(0xc),
        thread_ab: uid(0x1ab),
        thread_ac: uid(0x1ac),
        block_ab: uid(0x2ab),
        block_ac: uid(0x2ac),
        flirt_ba: uid(10),
        visit_ba: uid(20),
        flirt_ca: uid(11),
        message_30: uid(0x1000 + 30),
        message_31: uid(0x1000 + 31),
    }
}

/// Members A, B and C; B flirts with A, visits A and writes to A, who
/// answers and reads; C writes to A and flirts with A. A blocked C briefly
/// early on, and blocks B after all that (a retroactive block); with
/// `unblock`, A unblocks B later. Unblocks sit in a part of their own, so
/// they wait for their block's row.
pub fn write_hand_stream(dir: &Path, unblock: bool) {
    use ev::*;
    let h = hand_ids();
    let reg = |id, member: &str, seconds, nick: &str| {
        hand(
            id,
            member,
            seconds,
            Payload::MemberRegistered(MemberRegistered {
                nickname: nick.into(),
                email: format!("{nick}@example.invalid"),
                gender: Gender::Woman as i32,
                birth_date: Some(ev::Date {
                    year: 1990,
                    month: 2,
                    day: 28,
                }),
                city: None,
                portrait_url: None,
                profile_text: None,
                height_cm: None,
                last_login_at: None,
            }),
        )
    };
    let mut ann = reg(1, &h.a, 0, "ann");
    if let Some(Payload::MemberRegistered(m)) = &mut ann.payload {
        m.profile_text = Some(ANN_PROFILE_TEXT.into());
        m.height_cm = Some(ANN_HEIGHT_CM);
        m.last_login_at = Some(micros_timestamp(T0 + ANN_LAST_LOGIN * SECOND));
    }
    let members = vec![ann, reg(2, &h.b, 1, "bob"), reg(3, &h.c, 2, "cy")];
    let flirt = |id, from: &str, seconds, kind: Option<&str>, note: Option<&str>| {
        hand(
            id,
            from,
            seconds,
            Payload::FlirtSent(FlirtSent {
                flirt_id: bin(&uid(0x1000 + id)),
                recipient_id: bin(&h.a),
                kind: kind.map(Into::into),
                note: note.map(Into::into),
                seen_at: note.map(|_| micros_timestamp(T0 + FLIRT_BA_SEEN * SECOND)),
            }),
        )
    };
    let flirts = vec![
        flirt(10, &h.b, 10, Some("kiss"), Some(FLIRT_BA_NOTE)),
        flirt(11, &h.c, 14, None, None),
    ];
    let visits = vec![hand(
        20,
        &h.b,
        11,
        Payload::ProfileVisited(ProfileVisited {
            visit_id: bin(&uid(0x1020)),
            visited_id: bin(&h.a),
        }),
    )];
    let message = |id, from: &str, to: &str, thread: &str, seconds| {
        hand(
            id,
            from,
            seconds,
            Payload::MessageSent(MessageSent {
                message_id: bin(&uid(0x1000 + id)),
                thread_id: bin(thread),
                recipient_id: bin(to),
                body: format!("message {id}"),
                subject: (id == 30).then(|| MESSAGE_30_SUBJECT.into()),
                deleted_by_sender: id == 31,
                deleted_by_recipient: id == 30,
            }),
        )
    };
    let messages = vec![
        message(30, &h.b, &h.a, &h.thread_ab, 12),
        message(31, &h.c, &h.a, &h.thread_ac, 13),
        message(32, &h.a, &h.b, &h.thread_ab, 15),
        hand(
            33,
            &h.a,
            16,
            Payload::MessageRead(MessageRead {
                message_id: bin(&uid(0x1000 + 30)),
                thread_id: bin(&h.thread_ab),
                sender_id: bin(&h.b),
            }),
        ),
    ];
    let block = |id, blocked: &str, block_id: &str, seconds| {
        hand(
            id,
            &h.a,
            seconds,
            Payload::MemberBlocked(MemberBlocked {
                block_id: bin(block_id),
                blocked_id: bin(blocked),
            }),
        )
    };
    let unblock_event = |id, blocked: &str, block_id: &str, seconds| {
        hand(
            id,
            &h.a,
            seconds,
            Payload::MemberUnblocked(MemberUnblocked {
                block_id: bin(block_id),
                blocked_id: bin(blocked),
            }),
        )
    };
    let blocks = vec![
        block(40, &h.c, &h.block_ac, 3),
        block(41, &h.b, &h.block_ab, 20),
    ];
    let mut unblocks = vec![unblock_event(42, &h.c, &h.block_ac, 4)];
    if unblock {
        unblocks.push(unblock_event(43, &h.b, &h.block_ab, 30));
    }
    write_stream(
        dir,
        "postgres tests",
        &[
            ("members", vec![members]),
            ("flirts", vec![flirts]),
            ("profile_visits", vec![visits]),
            ("messages", vec![messages]),
            ("blocks", vec![blocks, unblocks]),
        ],
    );
}

/// [`T0`] and `seconds`, as [`super::pg::column_text`] reads a time.
pub fn at(seconds: i64) -> Option<String> {
    some(T0 + seconds * SECOND)
}

//! What the dump must become, written from the design: the events of each
//! output part in order, the rejects of each input part, and the accounting.

use crate::dump::{at, flirts, members_part1, messages, photo_likes};
use crate::{entity_id, event_id, member_id, thread_id};
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_transform::TableAccount;
use prost_types::Timestamp;
use std::collections::BTreeMap;

use EventKind as K;

// ---------------------------------------------------------------------------
// The events, in the order each output part must hold them.

/// An event of the row `key` of `table`, belonging to member `who`.
pub fn ev(kind: EventKind, table: &str, key: i64, when: Timestamp, who: i32, p: Payload) -> Event {
    let name = pancake_proto::names::kind_name(kind);
    Event {
        event_id: event_id(name, table, key),
        kind: kind as i32,
        occurred_at: Some(when),
        member_id: member_id(who),
        source: Some(events::LegacySource {
            table: table.into(),
            key,
        }),
        payload: Some(p),
    }
}

#[allow(clippy::too_many_arguments)]
fn registered(
    id: i32,
    when: Timestamp,
    nickname: &str,
    email: &str,
    gender: events::Gender,
    birth: (i32, i32, i32),
    city: Option<&str>,
    portrait: Option<&str>,
) -> Event {
    ev(
        EventKind::MemberRegistered,
        "members",
        i64::from(id),
        when,
        id,
        Payload::MemberRegistered(events::MemberRegistered {
            nickname: nickname.into(),
            email: email.into(),
            gender: gender as i32,
            birth_date: Some(events::Date {
                year: birth.0,
                month: birth.1,
                day: birth.2,
            }),
            city: city.map(Into::into),
            portrait_url: portrait.map(Into::into),
            profile_text: None,
            height_cm: None,
            last_login_at: None,
        }),
    )
}

/// A registration with the profile's "about me", height and last login.
fn with_profile(
    mut event: Event,
    text: Option<&str>,
    height: Option<u32>,
    login: Option<Timestamp>,
) -> Event {
    let Some(Payload::MemberRegistered(m)) = &mut event.payload else {
        unreachable!("a registration")
    };
    m.profile_text = text.map(Into::into);
    m.height_cm = height;
    m.last_login_at = login;
    event
}

/// Message `key` from `from` to `to`: sent, and read at `read` if it was.
/// The read belongs to the reader, the recipient; both name the message and
/// the thread of the two members, whichever way the message went.
fn message(
    key: i64,
    (from, to): (i32, i32),
    body: &str,
    sent: Timestamp,
    read: Option<Timestamp>,
) -> Vec<Event> {
    let (message_id, thread_id) = (entity_id("message", key), thread_id(from, to));
    let mut out = vec![ev(
        K::MessageSent,
        "messages",
        key,
        sent,
        from,
        Payload::MessageSent(events::MessageSent {
            message_id: message_id.clone(),
            thread_id: thread_id.clone(),
            recipient_id: member_id(to),
            body: body.into(),
            subject: None,
            deleted_by_sender: false,
            deleted_by_recipient: false,
        }),
    )];
    if let Some(read) = read {
        let sender_id = member_id(from);
        let payload = events::MessageRead {
            message_id,
            thread_id,
            sender_id,
        };
        out.push(ev(
            K::MessageRead,
            "messages",
            key,
            read,
            to,
            Payload::MessageRead(payload),
        ));
    }
    out
}

/// A payload of a relation: its id and the other member's.
type RelationPayload = fn(Vec<u8>, Vec<u8>) -> Payload;

/// A relation row (a block, a favorite) that `from` made about `to` and
/// later removed: two events, both naming the relation and the other member.
fn made_and_removed(
    (table, entity, key): (&str, &str, i64),
    (from, to): (i32, i32),
    made: (EventKind, Timestamp, RelationPayload),
    removed: (EventKind, Timestamp, RelationPayload),
) -> Vec<Event> {
    let (id, other) = (entity_id(entity, key), member_id(to));
    [made, removed]
        .into_iter()
        .map(|(kind, when, payload)| {
            ev(
                kind,
                table,
                key,
                when,
                from,
                payload(id.clone(), other.clone()),
            )
        })
        .collect()
}

fn blocked(block_id: Vec<u8>, blocked_id: Vec<u8>) -> Payload {
    Payload::MemberBlocked(events::MemberBlocked {
        block_id,
        blocked_id,
    })
}

fn unblocked(block_id: Vec<u8>, blocked_id: Vec<u8>) -> Payload {
    Payload::MemberUnblocked(events::MemberUnblocked {
        block_id,
        blocked_id,
    })
}

fn favorite_added(favorite_id: Vec<u8>, favorite_member_id: Vec<u8>) -> Payload {
    Payload::FavoriteAdded(events::FavoriteAdded {
        favorite_id,
        favorite_member_id,
    })
}

fn favorite_removed(favorite_id: Vec<u8>, favorite_member_id: Vec<u8>) -> Payload {
    Payload::FavoriteRemoved(events::FavoriteRemoved {
        favorite_id,
        favorite_member_id,
    })
}

pub fn expected_events() -> BTreeMap<&'static str, Vec<Vec<Event>>> {
    let mut out = BTreeMap::new();
    out.insert(
        "members",
        vec![
            vec![
                with_profile(
                    registered(
                        1,
                        at(2010, 1, 1, 10, 0),
                        "anna",
                        "anna@example.fi",
                        events::Gender::Woman,
                        (1985, 3, 4),
                        Some("Helsinki"),
                        Some("https://img.example/1.jpg"),
                    ),
                    Some("Tykkään saunasta.\nLikes: sauna, \"books\""),
                    Some(168),
                    Some(at(2023, 12, 24, 18, 0)),
                ),
                ev(
                    K::RegistrationApproved,
                    "members",
                    1,
                    at(2010, 1, 2, 9, 0),
                    1,
                    Payload::RegistrationApproved(events::RegistrationApproved {}),
                ),
                registered(
                    2,
                    at(2010, 6, 1, 12, 0),
                    "bertil",
                    "bertil@example.se",
                    events::Gender::Man,
                    (1980, 12, 31),
                    None,
                    None,
                ),
                // The repaired text, as for every text column.
                with_profile(
                    registered(
                        3,
                        at(2011, 3, 3, 3, 3),
                        "cecilia",
                        "cecilia@example.fi",
                        events::Gender::Other,
                        (1990, 7, 15),
                        Some("Åbo"),
                        None,
                    ),
                    Some("Hej Anna \u{FFFD}"),
                    None,
                    None,
                ),
                ev(
                    K::MemberDeleted,
                    "members",
                    2,
                    at(2020, 5, 5, 5, 5),
                    2,
                    Payload::MemberDeleted(events::MemberDeleted {}),
                ),
            ],
            // Input part 1 holds only rejected rows: an empty run.
            vec![],
        ],
    );
    // The kind by name, the repaired note, when it was seen; no IP.
    let flirt = events::FlirtSent {
        flirt_id: entity_id("flirt", 10),
        recipient_id: member_id(2),
        kind: Some("kiss".into()),
        note: Some("Hej Anna \u{FFFD}".into()),
        seen_at: Some(at(2012, 1, 11, 7, 30)),
    };
    let flirt = ev(
        K::FlirtSent,
        "flirts",
        10,
        at(2012, 1, 10, 20, 0),
        1,
        Payload::FlirtSent(flirt),
    );
    out.insert("flirts", vec![vec![flirt]]);
    let sent_100 = Timestamp {
        nanos: 250_000_000,
        ..at(2012, 2, 1, 10, 0)
    };
    let mut first = message(
        100,
        (1, 2),
        "Hei Bertil! 😊",
        sent_100,
        Some(at(2012, 2, 1, 12, 30)),
    );
    // The subject and the deleted flags; no IP.
    if let Some(Payload::MessageSent(m)) = &mut first[0].payload {
        m.subject = Some("Kahvi?".into());
        m.deleted_by_recipient = true;
    }
    // The other direction shares the thread; the body is the repaired text.
    let mut second = message(101, (2, 1), "Hej Anna \u{FFFD}", at(2012, 2, 2, 8, 0), None);
    if let Some(Payload::MessageSent(m)) = &mut second[0].payload {
        m.deleted_by_sender = true;
    }
    let messages = [
        first,
        second,
        message(103, (3, 1), "Moi", at(2012, 3, 3, 3, 3), None),
    ];
    out.insert("messages", vec![messages.concat()]);
    let blocks = made_and_removed(
        ("blocks", "block", 20),
        (1, 3),
        (K::MemberBlocked, at(2013, 1, 1, 1, 1), blocked),
        (K::MemberUnblocked, at(2014, 1, 1, 1, 1), unblocked),
    );
    out.insert("blocks", vec![blocks]);
    let favorites = made_and_removed(
        ("favorites", "favorite", 30),
        (2, 3),
        (K::FavoriteAdded, at(2013, 2, 2, 2, 2), favorite_added),
        (K::FavoriteRemoved, at(2015, 2, 2, 2, 2), favorite_removed),
    );
    out.insert("favorites", vec![favorites]);
    let visit = events::ProfileVisited {
        visit_id: entity_id("visit", 40),
        visited_id: member_id(1),
    };
    let when = at(2014, 4, 4, 4, 4);
    let visit = ev(
        K::ProfileVisited,
        "profile_visits",
        40,
        when,
        3,
        Payload::ProfileVisited(visit),
    );
    out.insert("profile_visits", vec![vec![visit]]);
    let photo = events::PhotoUploaded {
        photo_id: entity_id("photo", 50),
        url: "https://img.example/p/50.jpg".into(),
    };
    let photo = ev(
        K::PhotoUploaded,
        "photos",
        50,
        at(2014, 5, 5, 5, 5),
        3,
        Payload::PhotoUploaded(photo),
    );
    out.insert("photos", vec![vec![photo]]);
    let like = events::PhotoLiked {
        like_id: entity_id("photo-like", 60),
        photo_id: entity_id("photo", 50),
        // Looked up from the photos table: Cecilia's photo.
        owner_id: member_id(3),
    };
    let like = ev(
        K::PhotoLiked,
        "photo_likes",
        60,
        at(2015, 6, 6, 6, 6),
        1,
        Payload::PhotoLiked(like),
    );
    out.insert("photo_likes", vec![vec![like]]);
    out.insert(
        "search_profiles",
        vec![crate::search_profiles::expected_events()],
    );
    out
}

// ---------------------------------------------------------------------------
// The rejects.

/// (key, reason, column, part, record, row, a piece of the detail)
pub type ExpectedReject = (
    i64,
    RejectReason,
    &'static str,
    u32,
    u64,
    Vec<u8>,
    &'static str,
);

fn encode(row: &impl prost::Message) -> Vec<u8> {
    row.encode_to_vec()
}

/// Per table, per input part, the rejects in row order.
pub fn expected_rejects() -> BTreeMap<&'static str, Vec<Vec<ExpectedReject>>> {
    use RejectReason as R;
    let mut out = BTreeMap::new();
    let (m1, m) = (members_part1(), messages());
    let outside = "registered_at 1999-12-31T23:59:59Z is outside the site's life";
    out.insert(
        "members",
        vec![
            vec![],
            vec![
                (
                    4,
                    R::NullRequired,
                    "email",
                    1,
                    0,
                    encode(&m1[0]),
                    "email is NULL",
                ),
                (
                    5,
                    R::BadDate,
                    "registered_at",
                    1,
                    1,
                    encode(&m1[1]),
                    outside,
                ),
            ],
        ],
    );
    let self_flirt = encode(&flirts()[1]);
    out.insert(
        "flirts",
        vec![vec![(
            11,
            R::SelfReference,
            "recipient_id",
            0,
            1,
            self_flirt,
            "recipient_id 3",
        )]],
    );
    let orphan = "recipient_id 99 is not a valid member";
    out.insert(
        "messages",
        vec![vec![
            (102, R::Orphan, "recipient_id", 0, 2, encode(&m[2]), orphan),
            (
                103,
                R::DuplicateKey,
                "message_id",
                0,
                4,
                encode(&m[4]),
                "103",
            ),
        ]],
    );
    for table in ["blocks", "favorites", "profile_visits", "photos"] {
        out.insert(table, vec![vec![]]);
    }
    let like = encode(&photo_likes()[1]);
    let orphan = "photo_id 77 is not a valid photo";
    out.insert(
        "photo_likes",
        vec![vec![(61, R::Orphan, "photo_id", 0, 1, like, orphan)]],
    );
    out.insert(
        "search_profiles",
        vec![crate::search_profiles::expected_rejects()],
    );
    out
}

// ---------------------------------------------------------------------------
// The accounting.

pub fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

/// A table's account: input parts (all done), then rows read, with events,
/// rejected and repaired, then events per kind and rejects per reason.
fn account(
    input_parts: u64,
    [rows, rows_with_events, rejected, repaired]: [u64; 4],
    events: &[(&str, u64)],
    rejects: &[(&str, u64)],
) -> TableAccount {
    TableAccount {
        input_parts,
        parts_done: input_parts,
        rows,
        rows_with_events,
        rejected,
        repaired,
        events: counts(events),
        rejects: counts(rejects),
    }
}

pub fn expected_accounts() -> BTreeMap<String, TableAccount> {
    let member_events = [
        ("member-registered", 3),
        ("registration-approved", 1),
        ("member-deleted", 1),
    ];
    let member_rejects = [("null_required", 1), ("bad_date", 1)];
    let message_events = [("message-sent", 3), ("message-read", 1)];
    let message_rejects = [("orphan", 1), ("duplicate_key", 1)];
    [
        (
            "members",
            account(2, [5, 3, 2, 1], &member_events, &member_rejects),
        ),
        (
            "flirts",
            account(
                1,
                [2, 1, 1, 1],
                &[("flirt-sent", 1)],
                &[("self_reference", 1)],
            ),
        ),
        (
            "messages",
            account(1, [5, 3, 2, 1], &message_events, &message_rejects),
        ),
        (
            "blocks",
            account(
                1,
                [1, 1, 0, 0],
                &[("member-blocked", 1), ("member-unblocked", 1)],
                &[],
            ),
        ),
        (
            "favorites",
            account(
                1,
                [1, 1, 0, 0],
                &[("favorite-added", 1), ("favorite-removed", 1)],
                &[],
            ),
        ),
        (
            "profile_visits",
            account(1, [1, 1, 0, 0], &[("profile-visited", 1)], &[]),
        ),
        (
            "photos",
            account(1, [1, 1, 0, 0], &[("photo-uploaded", 1)], &[]),
        ),
        (
            "photo_likes",
            account(1, [2, 1, 1, 0], &[("photo-liked", 1)], &[("orphan", 1)]),
        ),
        (
            "search_profiles",
            account(
                1,
                [6, 2, 4, 1],
                &[("search-profile-set", 2)],
                &[
                    ("bad_range", 1),
                    ("duplicate_key", 1),
                    ("null_required", 1),
                    ("orphan", 1),
                ],
            ),
        ),
    ]
    .into_iter()
    .map(|(table, account)| (table.to_owned(), account))
    .collect()
}

//! The news module against a real server, on a stream made by hand where
//! every rule of load/sql/news/README.md decides one item: who is
//! interested (gender, age on the item's day, city), flirts and visits from
//! anyone, a block that holds (earlier items hidden, later ones never
//! arrive), a block that was lifted (what came meanwhile never arrives),
//! a deleted sender, the cut at the feed size, and ties in time. Then: a
//! load with another feed size builds the feeds again, a load of the same
//! stream changes nothing, and a table changed by hand is refused.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL.

mod common;

use common::hand::{bin, hand, uid};
use common::pg::*;
use common::write_stream;
use pancake_proto::events::event::Payload;
use pancake_proto::events::{self as ev, Gender};
use std::path::Path;

const M: u64 = 1; // the member whose feed is checked: seeks men 25-35 in Turku
const X: u64 = 2; // a man of 30 in Turku: interesting
const Y: u64 = 3; // a man of 30 in Helsinki: wrong city
const Z: u64 = 4; // a man of 40 in Turku: too old
const D: u64 = 5; // interesting, deleted later
const B: u64 = 6; // interesting, blocked by M at 500 for good
const U: u64 = 7; // interesting, blocked by M from 300 to 400
const W: u64 = 8; // a woman of 30 in Turku: wrong gender
const K: u64 = 9; // turns 25 on day 2 (a birthday inside the range's edge)

fn member(n: u64) -> String {
    uid(0x100 + n)
}

/// The stream: registrations at 0..9 s, M's profile, approvals, photos,
/// flirts and visits, blocks; times in seconds after T0 (2020-09-13).
fn write(dir: &Path) {
    let reg = |n: u64, gender: Gender, born: i32, city: &str| {
        hand(
            n,
            &member(n),
            n as i64,
            Payload::MemberRegistered(ev::MemberRegistered {
                nickname: format!("m{n}"),
                email: format!("m{n}@example.invalid"),
                gender: gender as i32,
                birth_date: Some(ev::Date {
                    year: born,
                    month: 1,
                    day: 1,
                }),
                city: Some(city.into()),
                ..Default::default()
            }),
        )
    };
    let mut k = reg(K, Gender::Man, 1995, "Turku");
    if let Some(Payload::MemberRegistered(r)) = &mut k.payload {
        // 2020-09-15 is day 2 after T0's day: K is 24 until then.
        r.birth_date = Some(ev::Date {
            year: 1995,
            month: 9,
            day: 15,
        });
    }
    let members = vec![
        reg(M, Gender::Woman, 1990, "Turku"),
        reg(X, Gender::Man, 1990, "Turku"),
        reg(Y, Gender::Man, 1990, "Helsinki"),
        reg(Z, Gender::Man, 1980, "Turku"),
        reg(D, Gender::Man, 1990, "Turku"),
        reg(B, Gender::Man, 1990, "Turku"),
        reg(U, Gender::Man, 1990, "Turku"),
        reg(W, Gender::Woman, 1990, "Turku"),
        k,
        hand(
            20,
            &member(M),
            M as i64,
            Payload::SearchProfileSet(ev::SearchProfileSet {
                seeking_gender: Some(Gender::Man as i32),
                age_min: 25,
                age_max: 35,
                city: Some("Turku".into()),
            }),
        ),
    ];
    let approve = |n: u64, at: i64| {
        hand(
            0x200 + n,
            &member(n),
            at,
            Payload::RegistrationApproved(ev::RegistrationApproved {}),
        )
    };
    let photo = |id: u64, n: u64, at: i64| {
        hand(
            id,
            &member(n),
            at,
            Payload::PhotoUploaded(ev::PhotoUploaded {
                photo_id: bin(&uid(0x5000 + id)),
                url: format!("https://example.invalid/{id}.jpg"),
            }),
        )
    };
    let flirt = |id: u64, n: u64, at: i64| {
        hand(
            id,
            &member(n),
            at,
            Payload::FlirtSent(ev::FlirtSent {
                flirt_id: bin(&uid(0x6000 + id)),
                recipient_id: bin(&member(M)),
                ..Default::default()
            }),
        )
    };
    let visit = |id: u64, n: u64, at: i64| {
        hand(
            id,
            &member(n),
            at,
            Payload::ProfileVisited(ev::ProfileVisited {
                visit_id: bin(&uid(0x7000 + id)),
                visited_id: bin(&member(M)),
            }),
        )
    };
    let day = 86_400;
    let activity = vec![
        approve(X, 100),
        approve(Y, 101),         // wrong city
        approve(Z, 102),         // too old
        approve(W, 103),         // wrong gender
        approve(D, 104),         // deleted later
        photo(1001, K, 105),     // K is 24
        photo(1002, K, 2 * day), // K turned 25 that day
        flirt(1003, Y, 200),     // flirts come from anyone
        visit(1004, Z, 201),
        photo(1005, B, 250), // before B's block: hidden
        photo(1006, U, 299), // before U's block: shown after the unblock
        photo(1007, U, 350), // while U was blocked: never arrives
        photo(1008, U, 400), // at the unblock: shown
        photo(1009, B, 600), // while B is blocked: never arrives
        flirt(1010, B, 601), // the same for a flirt
        photo(1011, X, 700),
        photo(1012, X, 700), // the same time: ids decide
        photo(1013, M, 701), // M's own photo is not in M's feed
        hand(
            0x300 + D,
            &member(D),
            800,
            Payload::MemberDeleted(ev::MemberDeleted {}),
        ),
    ];
    let block = |id: u64, n: u64, at: i64| {
        hand(
            id,
            &member(M),
            at,
            Payload::MemberBlocked(ev::MemberBlocked {
                block_id: bin(&uid(0x8000 + id)),
                blocked_id: bin(&member(n)),
            }),
        )
    };
    let blocks = vec![
        block(0x901, B, 500),
        block(0x902, U, 300),
        hand(
            0x903,
            &member(M),
            400,
            Payload::MemberUnblocked(ev::MemberUnblocked {
                block_id: bin(&uid(0x8000 + 0x902)),
                blocked_id: bin(&member(U)),
            }),
        ),
    ];
    write_stream(
        dir,
        "news tests",
        &[
            ("members", vec![members]),
            ("activity", vec![activity]),
            ("blocks", vec![blocks]),
        ],
    );
}

/// The event id of item `id` (photos, flirts, visits) or of member `n`'s
/// approval (`0x200 + n`).
fn item(id: u64) -> String {
    uid(id)
}

/// M's feed: (item id, hidden by a block) newest first.
async fn feed(options: &pancake_load::postgres::PgOptions) -> Vec<(String, bool)> {
    let mut conn = module_db(options, "news").await;
    sqlx::query_as::<_, (String, bool)>(
        "SELECT item_id::text, hidden_by_block_id IS NOT NULL FROM feed_items WHERE member_id = $1::uuid ORDER BY position",
    )
    .bind(member(M))
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

fn expected(ids: &[(u64, bool)]) -> Vec<(String, bool)> {
    ids.iter().map(|&(id, hidden)| (item(id), hidden)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_decides_an_item_and_the_feed_size_cuts_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path());
    let mut options = options("news", &["news"]);
    options.input = dir.path().to_owned();
    options.news_feed_size = 100;
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;
    let built = module(&report, "news").finished.feeds.expect("feeds built");
    // Every member but the deleted D has a feed.
    assert_eq!(built.feeds, 8);

    let all = [
        (1002, false),      // K at 25, on the day he turned 25
        (1008, false),      // U after the unblock
        (0x200 + X, false), // X approved
        (1011, false),      // X's two photos at 700: the smaller id first
        (1012, false),
        (1004, false), // Z's visit
        (1003, false), // Y's flirt
        (1006, false), // U before the block
        (1005, true),  // B before the block that holds: hidden
    ];
    let mut all = all.to_vec();
    // Newest first: order by the times written above.
    let time = |id: u64| match id {
        1002 => 2 * 86_400,
        1008 => 400,
        1011 | 1012 => 700,
        1004 => 201,
        1003 => 200,
        1006 => 299,
        1005 => 250,
        _ => 100,
    };
    all.sort_by_key(|&(id, _)| (std::cmp::Reverse(time(id)), item(id)));
    assert_eq!(feed(&options).await, expected(&all));
    let mut conn = module_db(&options, "news").await;
    let block_b = scalar(
        &mut conn,
        &format!(
            "SELECT count(*) FROM feed_items WHERE hidden_by_block_id = '{}'",
            uid(0x8000 + 0x901)
        ),
    )
    .await;
    assert_eq!(block_b, 1, "hidden by B's block, named");
    assert_eq!(
        scalar(
            &mut conn,
            &format!(
                "SELECT count(*) FROM feeds WHERE member_id = '{}'",
                member(D)
            )
        )
        .await,
        0,
        "a deleted member has no feed"
    );

    // Another size: the feeds are built again, cut at 3 shown items.
    options.news_feed_size = 3;
    let report = load_ok(&options).await;
    let again = module(&report, "news");
    assert_eq!(again.parts_loaded, 0);
    assert_eq!(again.finished.feeds.map(|f| f.size), Some(3));
    let three: Vec<(u64, bool)> = all.iter().copied().take(3).collect();
    assert_eq!(feed(&options).await, expected(&three));

    // The same size again: nothing to do, nothing changes.
    let report = load_ok(&options).await;
    assert!(report.up_to_date(), "{report:#?}");
    assert_eq!(feed(&options).await, expected(&three));

    // An items table changed by hand is refused, naming it, before the
    // feeds are touched.
    options.news_feed_size = 4;
    sqlx::query("UPDATE items SET kind = 'poke' WHERE item_id = $1::uuid")
        .bind(item(1011))
        .execute(&mut conn)
        .await
        .unwrap();
    let e = pancake_load::postgres::load(&options, std::sync::Arc::new(()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("table items") && e.contains("poke") && e.contains("--reset"),
        "{e}"
    );
    assert_eq!(feed(&options).await, expected(&three));
}

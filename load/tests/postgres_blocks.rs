//! The PostgreSQL loader against a real server, on a stream made by hand:
//! a block hides from the blocker what the blocked did before it (alerts,
//! threads), and an unblock shows it again.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::hand::{at, hand_ids, write_hand_stream};
use common::pg::*;

/// Loads the hand-made stream (with or without B's unblock) and checks what
/// A sees.
async fn retroactive_blocks(unblock: bool) {
    let h = hand_ids();
    let dir = tempfile::tempdir().unwrap();
    write_hand_stream(dir.path(), unblock);
    let tag = if unblock { "unblock" } else { "block" };
    let mut options = options(tag, &["chat", "alerts", "block"]);
    options.input = dir.path().to_owned();
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;
    let unblocks = 1 + u64::from(unblock);
    for m in &report.modules {
        // The unblocks waited for their blocks' rows in another part.
        assert_eq!(m.finished.changes_applied, unblocks, "{}", m.module);
        assert_eq!(m.finished.changes_waiting, 0, "{}", m.module);
    }
    let hidden_ab = if unblock { None } else { some(&h.block_ab) };
    let unblocked_ab = if unblock { at(30) } else { None };

    let mut conn = module_db(&options, "alerts").await;
    for (alert, hidden, updated) in [
        (
            &h.flirt_ba,
            &hidden_ab,
            if unblock { at(10) } else { at(20) },
        ),
        (
            &h.visit_ba,
            &hidden_ab,
            if unblock { at(11) } else { at(20) },
        ),
        (&h.flirt_ca, &None, at(14)),
    ] {
        let row = vec![
            ("member_id", some(&h.a)),
            ("hidden_by_block_id", hidden.clone()),
            ("updated_at", updated),
        ];
        assert_row(&mut conn, "alerts", &format!("alert_id = '{alert}'"), &row).await;
    }
    assert_eq!(scalar(&mut conn, "SELECT count(*) FROM alerts").await, 3);

    let mut conn = module_db(&options, "chat").await;
    for (thread, member, other, hidden, unread) in [
        (&h.thread_ab, &h.a, &h.b, &hidden_ab, 0),
        (&h.thread_ab, &h.b, &h.a, &None, 1),
        (&h.thread_ac, &h.a, &h.c, &None, 1),
        (&h.thread_ac, &h.c, &h.a, &None, 0),
    ] {
        let row = vec![
            ("other_member_id", some(other)),
            ("hidden_by_block_id", hidden.clone()),
            ("unread", some(unread)),
        ];
        let filter = format!("thread_id = '{thread}' AND member_id = '{member}'");
        assert_row(&mut conn, "thread_members", &filter, &row).await;
    }
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM thread_members").await,
        4
    );

    for module in ["block", "chat", "alerts"] {
        let mut conn = module_db(&options, module).await;
        for (block, blocked, blocked_at, unblocked_at) in [
            (&h.block_ab, &h.b, at(20), unblocked_ab.clone()),
            (&h.block_ac, &h.c, at(3), at(4)),
        ] {
            let row = vec![
                ("blocker_id", some(&h.a)),
                ("blocked_id", some(blocked)),
                ("blocked_at", blocked_at.clone()),
                ("unblocked_at", unblocked_at.clone()),
                ("updated_at", unblocked_at.or(blocked_at)),
            ];
            let filter = format!("block_id = '{block}'");
            assert_row(&mut conn, "blocks", &filter, &row).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_hides_what_came_before_from_the_blocked() {
    retroactive_blocks(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unblock_shows_it_again() {
    retroactive_blocks(true).await;
}

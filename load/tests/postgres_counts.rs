//! The PostgreSQL loader against a real server, counted: `tiny` into one
//! database per module, each table's rows as many as the events predict,
//! and the load's report agreeing with the databases.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::pg::*;
use common::{all_events_as_text, count_of, events};
use pancake_proto::events::EventKind;
use pancake_proto::events_v1::event::Payload;
use pancake_proto::names::kind_name;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_counts_follow_the_event_counts() {
    use EventKind::*;
    let options = options("counts", &[]);
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;

    let all = all_events_as_text();
    let n = count_of;
    for kind in [
        MemberRegistered,
        RegistrationApproved,
        MemberDeleted,
        MessageSent,
        MessageRead,
        MemberBlocked,
        MemberUnblocked,
        FlirtSent,
        ProfileVisited,
        PhotoLiked,
        FavoriteAdded,
        FavoriteRemoved,
        PhotoUploaded,
        SearchProfileSet,
    ] {
        assert!(
            n(kind) > 0,
            "tiny has no {}: the counts prove little",
            kind_name(kind)
        );
    }
    // Both sides of every thread.
    let sides: BTreeSet<(&str, &str)> = all
        .iter()
        .filter_map(|e| match &e.payload {
            Some(Payload::MessageSent(m)) => Some([
                (m.thread_id.as_str(), e.member_id.as_str()),
                (m.thread_id.as_str(), m.recipient_id.as_str()),
            ]),
            _ => None,
        })
        .flatten()
        .collect();

    let alerts = n(FlirtSent) + n(ProfileVisited) + n(PhotoLiked) + n(FavoriteAdded);
    let items = n(RegistrationApproved) + n(PhotoUploaded) + n(FlirtSent) + n(ProfileVisited);
    // Every registered member who was not deleted has a feed.
    let feeds = n(MemberRegistered) - n(MemberDeleted);
    let expected: &[(&str, &[(&str, u64)])] = &[
        (
            "profile",
            &[
                ("SELECT count(*) FROM members", n(MemberRegistered)),
                (
                    "SELECT count(*) FROM members WHERE approved_at IS NOT NULL",
                    n(RegistrationApproved),
                ),
                (
                    "SELECT count(*) FROM members WHERE deleted_at IS NOT NULL",
                    n(MemberDeleted),
                ),
            ],
        ),
        (
            "chat",
            &[
                ("SELECT count(*) FROM messages", n(MessageSent)),
                (
                    "SELECT count(*) FROM messages WHERE read_at IS NOT NULL",
                    n(MessageRead),
                ),
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                (
                    "SELECT count(*) FROM blocks WHERE unblocked_at IS NOT NULL",
                    n(MemberUnblocked),
                ),
                ("SELECT count(*) FROM thread_members", sides.len() as u64),
            ],
        ),
        (
            "alerts",
            &[
                ("SELECT count(*) FROM alerts", alerts),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'flirt'",
                    n(FlirtSent),
                ),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'visit'",
                    n(ProfileVisited),
                ),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'photo-like'",
                    n(PhotoLiked),
                ),
                (
                    "SELECT count(*) FROM alerts WHERE kind = 'favorite'",
                    n(FavoriteAdded),
                ),
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                (
                    "SELECT count(*) FROM blocks WHERE unblocked_at IS NOT NULL",
                    n(MemberUnblocked),
                ),
            ],
        ),
        (
            "favorite",
            &[
                ("SELECT count(*) FROM favorites", n(FavoriteAdded)),
                (
                    "SELECT count(*) FROM favorites WHERE removed_at IS NOT NULL",
                    n(FavoriteRemoved),
                ),
            ],
        ),
        (
            "block",
            &[
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                (
                    "SELECT count(*) FROM blocks WHERE unblocked_at IS NOT NULL",
                    n(MemberUnblocked),
                ),
            ],
        ),
        (
            "news",
            &[
                ("SELECT count(*) FROM members", n(MemberRegistered)),
                (
                    "SELECT count(*) FROM members WHERE deleted_at IS NOT NULL",
                    n(MemberDeleted),
                ),
                ("SELECT count(*) FROM search_profiles", n(SearchProfileSet)),
                ("SELECT count(*) FROM items", items),
                ("SELECT count(*) FROM blocks", n(MemberBlocked)),
                ("SELECT count(*) FROM feeds", feeds),
            ],
        ),
        (
            "audit",
            &[
                ("SELECT count(*) FROM events", all.len() as u64),
                (
                    "SELECT count(DISTINCT event_id) FROM events",
                    all.len() as u64,
                ),
            ],
        ),
    ];

    let parts = part_count(events());
    assert_eq!(report.events_read, all.len() as u64);
    assert_eq!(report.modules.len(), expected.len());
    assert!(!report.up_to_date());
    for (name, checks) in expected {
        let m = module(&report, name);
        let spec = pancake_load::ModuleSpec::by_name(name).unwrap();
        let consumed = all
            .iter()
            .filter(|e| spec.consumes(EventKind::try_from(e.kind).unwrap()))
            .count() as u64;
        assert!(m.created, "{name}");
        assert!(!m.up_to_date, "{name}");
        assert_eq!((m.parts_loaded, m.parts_skipped), (parts, 0), "{name}");
        assert_eq!(m.events, consumed, "{name}: events");
        assert_eq!(m.finished.changes_waiting, 0, "{name}");
        assert_eq!(
            m.database,
            format!(
                "postgres://{}@{}/{}_{name}",
                server().get_username(),
                host_port(),
                options.prefix
            ),
        );

        let mut conn = module_db(&options, name).await;
        for (sql, want) in *checks {
            assert_eq!(scalar(&mut conn, sql).await as u64, *want, "{name}: {sql}");
        }
        assert_eq!(
            scalar(&mut conn, "SELECT count(*) FROM pancake.pending").await,
            0,
            "{name}"
        );
        assert_eq!(
            scalar(&mut conn, "SELECT count(*) FROM pancake.parts").await as u64,
            parts
        );
        assert_eq!(
            scalar(&mut conn, "SELECT sum(events)::bigint FROM pancake.parts").await as u64,
            consumed,
            "{name}"
        );
        assert_eq!(
            scalar(
                &mut conn,
                "SELECT count(*) FROM pancake.stream WHERE finished_at IS NOT NULL AND indexes_built"
            )
            .await,
            1,
            "{name}: finished"
        );
        // The report's counts are the database's.
        let tables = DATA_TABLES.iter().find(|(m, _)| m == name).unwrap().1;
        assert_eq!(
            m.tables
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<BTreeSet<_>>(),
            tables.iter().copied().collect::<BTreeSet<_>>(),
            "{name}: tables reported"
        );
        let mut copied = 0;
        for (table, rows) in &m.tables {
            let sql = format!("SELECT count(*) FROM {table}");
            assert_eq!(
                scalar(&mut conn, &sql).await as u64,
                *rows,
                "{name}: {table}"
            );
            // Derived tables (chat's threads, news's feeds) are not copied
            // by parts.
            if !spec.postgres.derived.contains(&table.as_str()) {
                copied += rows;
            }
        }
        assert_eq!(m.rows, copied, "{name}: rows copied");
    }
}

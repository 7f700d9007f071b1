//! The PostgreSQL loader against a real server, interrupted: the server
//! ending the loader's session mid-part leaves only whole parts, the other
//! writers stop cleanly, and a re-run loads the parts missing, once.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::pg::*;
use common::{all_events_cached, events};
use pancake_load::postgres::{PgError, PgOptions, load};
use sqlx::postgres::PgConnection;
use sqlx::{ConnectOptions as _, Connection as _, Row as _};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Ends the loader's sessions on `database` that run (or ran last, still
/// in their transaction) a statement like `statement`. Returns how many it
/// ended.
async fn terminate_loader(watcher: &mut PgConnection, database: &str, statement: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM (
           SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
           WHERE application_name = 'pancake' AND datname = $1
             AND state <> 'idle' AND pid <> pg_backend_pid() AND query ILIKE $2
         ) k WHERE ok",
    )
    .bind(database)
    .bind(statement)
    .fetch_one(watcher)
    .await
    .unwrap()
}

/// Parts loaded before the watcher starts ending sessions, so that some
/// parts committed before the interruption.
const ARMED_AFTER: i64 = 3;

/// Once `parts` parts of `module` are loaded, ends the loader's sessions
/// running `statement` until one was ended. Returns how many were.
async fn terminate_after(options: &PgOptions, module: &str, parts: i64, statement: &str) -> i64 {
    let database = options.database(module);
    let mut watcher = admin().await;
    let mut db: Option<PgConnection> = None;
    loop {
        if db.is_none() {
            db = server().database(&database).connect().await.ok();
        }
        let loaded = match db.as_mut() {
            Some(conn) => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pancake.parts")
                .fetch_one(conn)
                .await
                .ok(),
            None => None,
        };
        match loaded {
            Some(n) if n >= parts => {
                let ended = terminate_loader(&mut watcher, &database, statement).await;
                if ended > 0 {
                    return ended;
                }
            }
            Some(_) => {}
            None => {
                // Not created yet, or dropped by the reset under us.
                db = None;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    }
}

/// Loads `options` from scratch while ending the loader's session when it
/// runs `statement`, until an ending makes the load fail (tiny loads in
/// moments, so an ending may come too late). Returns the load's error.
async fn interrupted_load(options: &PgOptions, statement: &str) -> PgError {
    for attempt in 1..=10 {
        let mut fresh_options = options.clone();
        fresh_options.reset = true;
        // `load`'s future is not Send (tokio::spawn refuses it), so it runs
        // on this task beside the watcher.
        let loading = load(&fresh_options, Arc::new(()));
        let watching = terminate_after(options, "audit", ARMED_AFTER, statement);
        tokio::pin!(loading, watching);
        let mut terminated = 0;
        let result = loop {
            tokio::select! {
                result = &mut loading => break result,
                n = &mut watching, if terminated == 0 => terminated = n,
            }
        };
        if terminated == 0 && result.is_err() {
            // The load may have seen the ending before the watcher heard
            // back from its own query: let it finish that query.
            let heard = tokio::time::timeout(std::time::Duration::from_secs(5), &mut watching);
            terminated = heard.await.unwrap_or(0);
        }
        match (terminated, result) {
            (0, Ok(_)) => eprintln!("{statement}, attempt {attempt}: the load ended first"),
            (_, Ok(_)) => eprintln!("{statement}, attempt {attempt}: ended too late to matter"),
            (0, Err(e)) => panic!("the load failed with nothing ended: {e}"),
            (_, Err(e)) => {
                eprintln!("{statement}, attempt {attempt}: {e}");
                return e;
            }
        }
    }
    panic!(
        "ending sessions running {statement} never hit a load in 10 attempts: the test proved nothing"
    )
}

/// Interrupts loads of the audit log with `jobs` writers while they run
/// each of `statements`; each time, only whole parts are left, and a
/// re-run loads the rest once.
async fn interrupt_and_resume(tag: &str, jobs: usize, statements: &[&str]) {
    let (mut options, password) = secret_options(tag, &["audit"]).await;
    options.jobs = jobs;
    let _cleanup = fresh(&options).await;
    let parts = part_ids(events());

    for &statement in statements {
        let e = interrupted_load(&options, statement).await;
        let gone = |e: &PgError| matches!(e, PgError::Gone { .. } | PgError::Server { .. });
        assert!(
            match &e {
                PgError::Part { cause, .. } => gone(cause),
                e => matches!(e, PgError::Gone { .. }),
            },
            "{statement}: {e:?}"
        );
        assert_hides(&e, &password);

        // Every part recorded as loaded has all its rows; no other part
        // has any.
        let mut conn = module_db(&options, "audit").await;
        let loaded: BTreeSet<(String, u32)> =
            sqlx::query("SELECT stream_table, part FROM pancake.parts")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.get::<String, _>(0), r.get::<i32, _>(1) as u32))
                .collect();
        assert!(
            loaded.len() as i64 >= ARMED_AFTER,
            "{statement}: {loaded:?}"
        );
        assert!(loaded.len() < parts.len(), "{statement}: every part loaded");
        let present: BTreeSet<String> =
            sqlx::query_scalar::<_, String>("SELECT event_id::text FROM events")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .collect();
        for (part, ids) in &parts {
            let there = ids.iter().filter(|id| present.contains(*id)).count();
            let recorded = loaded.contains(part);
            let want = if recorded { ids.len() } else { 0 };
            assert_eq!(
                there, want,
                "{statement}: rows of {part:?} (recorded: {recorded})"
            );
        }
        assert_eq!(
            scalar(&mut conn, "SELECT count(*) FROM events").await,
            scalar(
                &mut conn,
                "SELECT coalesce(sum(events), 0)::bigint FROM pancake.parts"
            )
            .await
        );
        assert_eq!(
            scalar(
                &mut conn,
                "SELECT count(*) FROM pancake.stream WHERE finished_at IS NULL"
            )
            .await,
            1,
            "{statement}: an interrupted load is not finished"
        );
        drop(conn);

        // Running again loads the rest, once.
        let report = load_ok(&options).await;
        let m = module(&report, "audit");
        assert_eq!(m.parts_skipped, loaded.len() as u64, "{statement}");
        assert_eq!(m.parts_loaded + m.parts_skipped, parts.len() as u64);
        assert_complete_audit(&options).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_ending_the_session_mid_load_leaves_only_whole_parts() {
    // While a part's rows are copied, and while the part is marked as
    // loaded (after its rows, in the same transaction).
    interrupt_and_resume("gone", 1, &["COPY%", "INSERT INTO pancake.parts%"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_losing_its_session_stops_the_others_cleanly() {
    // The other writers are stopped while they wait or copy: the load
    // returns the first error (and does not panic).
    interrupt_and_resume("gone4", 4, &["COPY%"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_resumes_with_the_parts_missing() {
    let options = options("resume", &["audit"]);
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;

    // Take part 0 of members out again, as if its transaction never
    // committed.
    let parts = part_ids(events());
    let missing = ("members".to_owned(), 0);
    let ids = parts
        .get(&missing)
        .expect("tiny has members part 0")
        .clone();
    assert!(!ids.is_empty());
    let mut conn = module_db(&options, "audit").await;
    let mut tx = conn.begin().await.unwrap();
    let gone = sqlx::query("DELETE FROM pancake.parts WHERE stream_table = $1 AND part = $2")
        .bind(&missing.0)
        .bind(missing.1 as i32)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(gone, 1);
    let gone = sqlx::query("DELETE FROM events WHERE event_id::text = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(gone, ids.len() as u64);
    sqlx::query("UPDATE pancake.stream SET finished_at = NULL")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let report = load_ok(&options).await;
    let m = module(&report, "audit");
    assert!(!m.up_to_date);
    assert_eq!(
        (m.parts_loaded, m.parts_skipped),
        (1, parts.len() as u64 - 1)
    );
    assert_eq!((m.events, m.rows), (ids.len() as u64, ids.len() as u64));
    assert_eq!(report.events_read, ids.len() as u64);

    assert_complete_audit(&options).await;
    assert_eq!(events_present(&mut conn, &ids).await, ids.len() as i64);
    let all = all_events_cached().len() as i64;
    assert_eq!(
        module(&report, "audit").tables,
        vec![("events".to_owned(), all as u64)]
    );
}

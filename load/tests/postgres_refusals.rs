//! The PostgreSQL loader against a real server, refusing to write: a
//! database of a newer schema version, one that holds another stream, and
//! one with tables pancake did not make are each left as they are.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::count_of;
use common::hand::write_hand_stream;
use common::pg::*;
use pancake_load::postgres::{PgError, load};
use pancake_proto::events::EventKind;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_version_is_refused() {
    let (options, password) = secret_options("version", &["block"]).await;
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    let mut conn = module_db(&options, "block").await;
    execute(
        &mut conn,
        "UPDATE pancake.schema_version SET version = 99 WHERE module = 'block'",
    )
    .await;
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(
            e,
            PgError::SchemaVersion {
                module: "block",
                found: 99,
                expected: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert_hides(&e, &password);
    // Nothing was touched.
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT version::bigint FROM pancake.schema_version"
        )
        .await,
        99
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_stream_is_refused() {
    let (options, password) = secret_options("other", &["block"]).await;
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;

    let dir = tempfile::tempdir().unwrap();
    write_hand_stream(dir.path(), false);
    let mut other = options.clone();
    other.input = dir.path().to_owned();
    let e = load(&other, Arc::new(())).await.unwrap_err();
    assert!(matches!(e, PgError::OtherStream { .. }), "{e:?}");
    assert!(e.to_string().contains("postgres tests"), "{e}");
    assert_hides(&e, &password);
    let mut conn = module_db(&options, "block").await;
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM blocks").await as u64,
        count_of(EventKind::MemberBlocked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_foreign_tables_is_left_alone() {
    let (options, password) = secret_options("foreign", &["block"]).await;
    let _cleanup = fresh(&options).await;
    let database = options.database("block");
    create_database(&database).await;
    let mut conn = module_db(&options, "block").await;
    execute(
        &mut conn,
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1)",
    )
    .await;

    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(matches!(e, PgError::NotPancake { .. }), "{e:?}");
    assert!(e.to_string().contains(&database), "{e}");
    assert_hides(&e, &password);
    assert_eq!(scalar(&mut conn, "SELECT count(*) FROM t").await, 1);
    assert_eq!(
        text(&mut conn, "SELECT to_regnamespace('pancake')::text").await,
        None,
        "pancake wrote into someone else's database"
    );
}

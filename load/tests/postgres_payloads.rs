//! The audit log's compressed payloads against a real server: the
//! dictionary is trained once per database and kept beside the rows it
//! compressed, a later load of the same database uses the kept one (never
//! one of its own that the rows already written do not match), and a kept
//! dictionary changed by hand stops the load with the way out.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::all_events_cached;
use common::pg::*;
use pancake_load::postgres::PgError;
use pancake_load::postgres::payload::{
    PayloadCodec, PayloadError, decompress_payload, payload_bytes,
};
use pancake_proto::events::EventKind;
use sqlx::postgres::PgConnection;
use std::sync::Arc;

/// Every payload of the audit log, as stored.
async fn frames(conn: &mut PgConnection) -> Vec<Vec<u8>> {
    sqlx::query_scalar("SELECT payload FROM events")
        .fetch_all(conn)
        .await
        .unwrap()
}

/// The kept dictionaries: (id, bytes).
async fn dictionaries(conn: &mut PgConnection) -> Vec<(i64, Vec<u8>)> {
    sqlx::query_as("SELECT dictionary_id, dictionary FROM payload_dictionaries")
        .fetch_all(conn)
        .await
        .unwrap()
}

/// The audit log emptied and its parts forgotten, as if no part had been
/// loaded yet; its dictionary stays.
async fn forget_parts(conn: &mut PgConnection) {
    execute(
        conn,
        "TRUNCATE events; DELETE FROM pancake.parts; UPDATE pancake.stream SET finished_at = NULL",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dictionary_is_trained_once_and_a_later_load_uses_the_kept_one() {
    let options = options("dictionary", &["audit"]);
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    let mut conn = module_db(&options, "audit").await;
    let kept = dictionaries(&mut conn).await;
    assert_eq!(kept.len(), 1, "one dictionary, trained on tiny");
    let (id, dictionary) = kept[0].clone();
    let stored = frames(&mut conn).await;
    assert_eq!(stored.len(), all_events_cached().len());
    let (mut raw, mut compressed) = (0, 0);
    for frame in &stored {
        let payload = decompress_payload(frame, Some(&dictionary)).unwrap();
        assert_eq!(
            decompress_payload(frame, None),
            Err(PayloadError::NoDictionary(id as u32)),
            "every frame names the kept dictionary"
        );
        raw += payload.len();
        compressed += frame.len();
    }
    assert!(compressed < raw, "{compressed} bytes stored for {raw}");

    // Another dictionary in its place (trained on part of the stream
    // only), and the rows to write again: the load must use it, not train
    // its own, or the kept one would not read the rows.
    let members: Vec<Vec<u8>> = all_events_cached()
        .iter()
        .filter(|e| e.kind() != EventKind::MessageSent)
        .map(payload_bytes)
        .collect();
    let other = PayloadCodec::train(&members);
    let (other_id, other_bytes) = other.dictionary().expect("enough to train on");
    assert_ne!(i64::from(other_id), id);
    sqlx::query("UPDATE payload_dictionaries SET dictionary_id = $1, dictionary = $2")
        .bind(i64::from(other_id))
        .bind(other_bytes)
        .execute(&mut conn)
        .await
        .unwrap();
    forget_parts(&mut conn).await;
    load_ok(&options).await;
    assert_eq!(
        dictionaries(&mut conn).await.len(),
        1,
        "nothing trained again"
    );
    let again = frames(&mut conn).await;
    assert_eq!(again.len(), stored.len());
    for frame in &again {
        decompress_payload(frame, Some(other_bytes)).unwrap();
        assert_eq!(
            decompress_payload(frame, None),
            Err(PayloadError::NoDictionary(other_id))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_changed_by_hand_stops_the_load_with_the_way_out() {
    let options = options("bad_dictionary", &["audit"]);
    let _cleanup = fresh(&options).await;
    load_ok(&options).await;
    let mut conn = module_db(&options, "audit").await;
    execute(
        &mut conn,
        "UPDATE payload_dictionaries SET dictionary = '\\x0102'",
    )
    .await;
    forget_parts(&mut conn).await;
    let e = pancake_load::postgres::load(&options, Arc::new(()))
        .await
        .expect_err("a dictionary that is not one");
    assert!(matches!(e, PgError::BadDictionary { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("payload_dictionaries"), "{message}");
    assert!(message.contains("--reset"), "{message}");
    assert!(message.contains(&options.database("audit")), "{message}");
    // Nothing was written with a dictionary the table does not hold.
    assert!(frames(&mut conn).await.is_empty());
}

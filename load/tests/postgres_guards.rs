//! What keeps a PostgreSQL load from doing harm or hanging: one loader per
//! database, a timeout on every connection, no URL without a host, no part
//! loaded whose manifest entry disagrees with it, and a plain word when
//! the port is not PostgreSQL's.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (or DATABASE_URL) and RabbitMQ on
//! 127.0.0.1:5672 (or AMQP_URL). Every test has its own database prefix
//! (`t<pid>_<tag>`) and drops its databases when it ends.

mod common;

use common::pg::*;
use common::{amqp_url, copy_stream, forward};
use pancake_load::postgres::lock::LOAD_LOCK;
use pancake_load::postgres::{PgError, PgOptions, PgReport, drop_databases, load};
use pancake_proto::Manifest;
use sqlx::Connection as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long a load that must fail may take before the test calls it hung.
const GUARD: Duration = Duration::from_secs(30);

/// A load that must end (either way) well within [`GUARD`].
async fn guarded(options: &PgOptions) -> Result<PgReport, PgError> {
    tokio::time::timeout(GUARD, load(options, Arc::new(())))
        .await
        .unwrap_or_else(|_| panic!("the load hung for {GUARD:?}"))
}

// ---- one loader per database ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_into_a_database_another_load_holds_is_refused_at_once() {
    let options = options("held", &["block", "audit"]);
    let _cleanup = fresh(&options).await;
    let audit = options.database("audit");
    // An empty database, held as a running load holds it.
    create_database(&audit).await;
    let mut holder = connect(&audit).await;
    let pid = scalar(&mut holder, "SELECT pg_backend_pid()::bigint").await as i32;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOAD_LOCK)
        .execute(&mut holder)
        .await
        .unwrap();

    for reset in [false, true] {
        let mut options = options.clone();
        options.reset = reset;
        let e = guarded(&options).await.unwrap_err();
        assert!(
            matches!(&e, PgError::Locked { database, pid: Some(p) } if database.ends_with(&audit) && *p == pid),
            "reset {reset}: {e:?}"
        );
        let text = e.to_string();
        assert!(
            text.contains(&format!(
                "another pancake load is writing database postgres://{}@{}/{audit} (pid {pid} on the server); wait for it to finish or stop it",
                server().get_username(),
                host_port()
            )),
            "{text}"
        );
        // Nothing written, nothing dropped: the holder's session lives on
        // in a database without a table.
        assert_eq!(
            scalar(
                &mut holder,
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            .await,
            0,
            "reset {reset}: the refused load wrote into {audit}"
        );
    }

    // Once the holder lets go, the load goes through.
    holder.close().await.unwrap();
    guarded(&options).await.unwrap();
    assert_complete_audit(&options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_loads_into_one_prefix_one_is_refused_and_the_other_completes() {
    let options = options("race", &["block", "audit"]);
    let _cleanup = fresh(&options).await;
    // `load`'s future is not Send: both run on this task, interleaved at
    // every wait for the server.
    let (a, b) = tokio::join!(guarded(&options), guarded(&options));
    match (&a, &b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
            assert!(matches!(e, PgError::Locked { .. }), "{e:?}");
            assert!(
                e.to_string()
                    .contains("another pancake load is writing database"),
                "{e}"
            );
        }
        (Ok(_), Ok(_)) => eprintln!("the two loads ran one after the other"),
        (Err(a), Err(b)) => panic!("both loads failed: {a}; {b}"),
    }
    assert_complete_audit(&options).await;
}

// ---- --reset drops only pancake's own databases ---------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_refuses_a_database_with_tables_pancake_did_not_create_and_drops_nothing() {
    let options = options("resetforeign", &["block", "audit"]);
    let _cleanup = fresh(&options).await;
    // block: a database a load made; audit: someone else's, under the name
    // audit would have.
    let mut block_only = options.clone();
    block_only.modules = vec!["block".into()];
    guarded(&block_only).await.unwrap();
    let block = options.database("block");
    let audit = options.database("audit");
    create_database(&audit).await;
    let mut theirs = connect(&audit).await;
    execute(
        &mut theirs,
        "CREATE TABLE notes (x int); INSERT INTO notes VALUES (1)",
    )
    .await;
    theirs.close().await.unwrap();

    let mut reset = options.clone();
    reset.reset = true;
    let e = guarded(&reset).await.unwrap_err();
    assert!(
        matches!(&e, PgError::NotPancake { database } if database.ends_with(&audit)),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("pancake neither loads into it nor drops it (--reset)"),
        "{e}"
    );
    // Nothing was dropped: neither their table nor the module loaded before.
    let mut theirs = connect(&audit).await;
    assert_eq!(scalar(&mut theirs, "SELECT count(*) FROM notes").await, 1);
    assert_eq!(
        scalar(
            &mut theirs,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'pancake'"
        )
        .await,
        0,
        "pancake wrote into someone else's database"
    );
    let mut conn = connect(&block).await;
    assert!(scalar(&mut conn, "SELECT count(*) FROM pancake.parts").await > 0);
    conn.close().await.unwrap();

    // Its own database a reset drops and loads again.
    block_only.reset = true;
    let report = guarded(&block_only).await.unwrap();
    assert!(
        report.modules[0].created,
        "block was dropped and made again"
    );
}

// ---- timeouts ---------------------------------------------------------------

/// A listener on 127.0.0.1 that forwards its first `forwarded` connections
/// to the PostgreSQL server and accepts every later one without ever
/// answering. Returns its port and the count of connections it accepted.
async fn stalling_proxy(forwarded: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let upstream = host_port();
    tokio::spawn(async move {
        let mut silent = Vec::new();
        while let Ok((client, _)) = listener.accept().await {
            if count.fetch_add(1, Ordering::SeqCst) < forwarded {
                tokio::spawn(forward(client, upstream.clone()));
            } else {
                silent.push(client);
            }
        }
    });
    (port, accepted)
}

fn via_port(port: u16) -> String {
    let s = server();
    format!(
        "postgres://{}:pg-secret-4711@127.0.0.1:{port}/{}",
        s.get_username(),
        s.get_database().unwrap_or("postgres")
    )
}

/// `e` is a connect timeout of 1 s at `addr`, or a part's that is.
fn assert_timed_out(e: &PgError, addr: &str) {
    let inner = match e {
        PgError::Part { cause, .. } => cause.as_ref(),
        e => e,
    };
    assert!(
        matches!(inner, PgError::ConnectTimeout { addr: a, timeout, .. } if a == addr && timeout == "1 s"),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(addr) && text.contains("within 1 s (--connect-timeout)"),
        "{text}"
    );
    assert!(!text.contains("pg-secret-4711"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_naming_host_port_and_timeout() {
    let (port, _) = stalling_proxy(0).await;
    let mut options = options("silent", &["block"]);
    options.database_url = via_port(port);
    options.connect_timeout = Duration::from_secs(1);
    let e = guarded(&options).await.unwrap_err();
    assert_timed_out(&e, &format!("127.0.0.1:{port}"));
}

/// Every connection a load makes (the server's, the lock's, the schema's,
/// each writer's, the finishing one) gives up after the timeout: a server
/// that stops answering after the Nth connection fails the load, whatever
/// N is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_a_load_makes_has_the_timeout() {
    let mut options = options("stall", &["block"]);
    options.connect_timeout = Duration::from_secs(1);
    options.jobs = 1;
    let _cleanup = fresh(&options).await;

    // How many connections a whole load makes.
    let (port, accepted) = stalling_proxy(usize::MAX).await;
    options.database_url = via_port(port);
    guarded(&options).await.unwrap();
    let total = accepted.load(Ordering::SeqCst);
    assert!(total >= 5, "a load made only {total} connections");

    for forwarded in 0..total {
        drop_databases(&options).await.unwrap();
        let (port, _) = stalling_proxy(forwarded).await;
        let mut options = options.clone();
        options.database_url = via_port(port);
        let e = guarded(&options).await.unwrap_err();
        eprintln!("stalled at connection {}: {e}", forwarded + 1);
        assert_timed_out(&e, &format!("127.0.0.1:{port}"));
    }
}

// ---- URLs and ports ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_without_a_host_is_refused_saying_so() {
    let mut options = options("nohost", &["block"]);
    let _cleanup = fresh(&options).await;
    for url in ["postgres://", "postgres://postgres:secretpw@/postgres"] {
        options.database_url = url.into();
        let e = guarded(&options).await.unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, PgError::Url(_)), "{url}: {e:?}");
        assert!(
            text.starts_with("--database-url") && text.contains("names no host"),
            "{text}"
        );
        assert!(!text.contains("secretpw"), "{text}");
    }
    options.database_url = db_url();
    options.module_urls = vec![("block".into(), "postgresql://u:secretpw@/x".into())];
    let e = guarded(&options).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("--module-url block=") && text.contains("names no host"),
        "{text}"
    );
    assert!(!text.contains("secretpw"), "{text}");
    let mut admin = connect("postgres").await;
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE $1")
        .bind(format!("{}%", options.prefix))
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(made, 0, "a database was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_amqp_port_is_not_taken_for_a_postgres_server() {
    let amqp = amqp_url();
    let authority = amqp
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or("");
    let addr = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let addr = if addr.contains(':') {
        addr.to_owned()
    } else {
        format!("{addr}:5672")
    };
    let mut options = options("amqpport", &["block"]);
    let _cleanup = fresh(&options).await;
    options.database_url = format!("postgres://postgres:secretpw@{addr}/postgres");
    let e = guarded(&options).await.unwrap_err();
    assert!(
        matches!(&e, PgError::NotPostgres { addr: a, .. } if *a == addr),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("{addr} did not answer as a PostgreSQL server"))
            && text.contains("check the port in --database-url"),
        "{text}"
    );
    assert!(
        !text.contains("went away") && !text.contains("rolled back"),
        "{text}"
    );
    assert!(!text.contains("secretpw"), "{text}");
}

// ---- parts checked against the manifest --------------------------------------

/// Loads a copy of the stream whose manifest `edit` changed for one part
/// (the second of the first table with two): the load fails naming that
/// part, and nothing of the part is in the database.
async fn a_part_the_manifest_misstates(tag: &str, edit: fn(&mut serde_json::Value)) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_stream(tmp.path());
    let manifest = Manifest::load(&dir).unwrap();
    let (t, table) = manifest
        .tables
        .iter()
        .enumerate()
        .find(|(_, t)| t.parts.len() >= 2)
        .expect("tiny has a table of two parts");
    let part = &table.parts[1];
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    edit(&mut json["tables"][t]["parts"][1]);
    std::fs::write(dir.join("manifest.json"), json.to_string()).unwrap();

    let mut options = options(tag, &["audit"]);
    options.input = dir.clone();
    options.jobs = 1;
    let _cleanup = fresh(&options).await;
    let e = guarded(&options).await.unwrap_err();
    assert!(
        matches!(&e, PgError::PartMismatch { table: tb, part: p, .. } if *tb == table.name && *p == 1),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&part.file)
            && text.contains(&format!("Part 1 of table {}", table.name))
            && text.contains("pancake verify")
            && text.contains("pancake transform"),
        "{text}"
    );

    let mut conn = connect(&options.database("audit")).await;
    let listed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pancake.parts WHERE stream_table = $1 AND part = 1",
    )
    .bind(&table.name)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(listed, 0, "{tag}: the misstated part is recorded as loaded");
    let ids = part_event_ids(&dir, &table.name, 1, &part.file);
    assert!(!ids.is_empty());
    assert_eq!(
        events_present(&mut conn, &ids).await,
        0,
        "{tag}: rows of the misstated part are in the database"
    );
}

fn add_to_records(part: &mut serde_json::Value, delta: i64) {
    let n = part["records"].as_i64().unwrap();
    part["records"] = (n + delta).into();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_counting_one_record_more_than_the_part_fails_that_part() {
    a_part_the_manifest_misstates("plus1", |p| add_to_records(p, 1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_counting_one_record_fewer_than_the_part_fails_that_part() {
    a_part_the_manifest_misstates("minus1", |p| add_to_records(p, -1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_with_another_checksum_for_a_part_fails_that_part() {
    a_part_the_manifest_misstates("checksum", |p| {
        let c = p["checksum"].as_str().unwrap().to_owned();
        let flipped = if c.starts_with('0') { "1" } else { "0" };
        p["checksum"] = format!("{flipped}{}", &c[1..]).into();
    })
    .await;
}

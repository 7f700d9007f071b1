//! The PostgreSQL loader against a real server, connecting: a module on a
//! server of its own, and each way a connection is refused (a bad URL, a
//! closed port, a wrong password, a user who may not create databases),
//! none of them showing a password.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::count_of;
use common::pg::*;
use pancake_load::postgres::{PgError, load};
use pancake_proto::events::EventKind;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_can_live_on_another_server() {
    ensure_role("pancake_second", "LOGIN CREATEDB PASSWORD 'second'").await;
    let mut options = options("second", &["profile", "chat"]);
    options.module_urls = vec![("chat".into(), url_as("pancake_second", "second"))];
    let _cleanup = fresh(&options).await;
    let report = load_ok(&options).await;

    let chat = options.database("chat");
    let profile = options.database("profile");
    assert_eq!(
        module(&report, "chat").database,
        format!("postgres://pancake_second@{}/{chat}", host_port())
    );
    let mut conn = admin().await;
    for (database, owner) in [
        (&chat, "pancake_second"),
        (&profile, server().get_username()),
    ] {
        let found: String = sqlx::query_scalar(
            "SELECT r.rolname::text FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1",
        )
        .bind(database)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(found, owner, "owner of {database}");
    }
    let mut conn = module_db(&options, "chat").await;
    assert_eq!(
        text(
            &mut conn,
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'messages'"
        )
        .await,
        some("pancake_second")
    );
    for (sql, kind) in [
        ("SELECT count(*) FROM messages", EventKind::MessageSent),
        (
            "SELECT count(*) FROM messages WHERE read_at IS NOT NULL",
            EventKind::MessageRead,
        ),
        ("SELECT count(*) FROM blocks", EventKind::MemberBlocked),
    ] {
        assert_eq!(scalar(&mut conn, sql).await as u64, count_of(kind), "{sql}");
    }
    let mut conn = module_db(&options, "profile").await;
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM members").await as u64,
        count_of(EventKind::MemberRegistered)
    );
}

// ---- refused connections ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_url_is_refused_without_showing_its_password() {
    for (url, module_url) in [
        ("mysql://u:secretpw@h/d", None),
        ("postgres://u:secretpw@h:notaport/d", None),
        ("postgres://u:secretpw@h/d", Some("mysql://u:secretpw@h/d")),
    ] {
        let mut options = options("badurl", &["block"]);
        options.database_url = url.into();
        if let Some(m) = module_url {
            options.module_urls = vec![("block".into(), m.into())];
        }
        let e = load(&options, Arc::new(())).await.unwrap_err();
        assert!(matches!(e, PgError::Url(_)), "{url}: {e:?}");
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains("secretpw"), "{text}");
        }
    }
    let mut options = options("badurl", &["block"]);
    options.module_urls = vec![("nope".into(), db_url())];
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(&e, PgError::UnknownModule(m) if m == "nope"),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_a_refused_connection() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut options = options("refused", &["block"]);
    options.database_url = format!("postgres://postgres:secretpw@127.0.0.1:{port}/postgres");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(&e, PgError::Refused { addr } if *addr == format!("127.0.0.1:{port}")),
        "{e:?}"
    );
    assert!(e.to_string().contains(&port.to_string()), "{e}");
    assert_hides(&e, "secretpw");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_login_error() {
    let mut conn = admin().await;
    let role: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_roles WHERE rolname = 'pancake_password_check'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        role, 1,
        "role pancake_password_check is missing: run scripts/services.sh"
    );
    let mut options = options("login", &["block"]);
    let _cleanup = fresh(&options).await;
    options.database_url = url_as("pancake_password_check", "wrong-secret");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(
        matches!(&e, PgError::Login { user, .. } if user == "pancake_password_check"),
        "{e:?} (does pg_hba.conf check this role's password? scripts/services.sh makes it)"
    );
    assert_hides(&e, "wrong-secret");

    // The right password gets further: to the missing CREATEDB.
    options.database_url = url_as("pancake_password_check", "right-password");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    assert!(matches!(e, PgError::CannotCreate { .. }), "{e:?}");
    assert_hides(&e, "right-password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_create_databases_is_told_what_to_do() {
    ensure_role("pancake_nocreate", "LOGIN NOCREATEDB").await;
    let mut options = options("nocreate", &["block"]);
    let _cleanup = fresh(&options).await;
    options.database_url = url_as("pancake_nocreate", "nocreate-secret");
    let e = load(&options, Arc::new(())).await.unwrap_err();
    let database = options.database("block");
    assert!(
        matches!(&e, PgError::CannotCreate { user, database: d, .. }
            if user == "pancake_nocreate" && *d == database),
        "{e:?}"
    );
    assert!(e.to_string().contains("CREATEDB"), "{e}");
    assert_hides(&e, "nocreate-secret");
    assert!(!database_exists(&database).await);
}

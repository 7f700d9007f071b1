//! `pancake load postgres` and `pancake seed` as a person runs them, against
//! the local PostgreSQL: killed with SIGKILL mid-load and run again, the
//! databases equal an uninterrupted load's; seeding twice with --reset gives
//! the same databases.

mod common;

use common::{
    command, database_url, drop_module_databases, kill_when, psql, succeeded, text, tiny_stream,
    wait_until, wait_within,
};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// The module databases' names after their prefix.
fn modules() -> impl Iterator<Item = &'static str> {
    pancake_load::MODULES.iter().map(|m| m.name)
}

/// `pancake load postgres` of `events` into the databases of `prefix`, one
/// part at a time, with `extra` arguments.
fn load_command(events: &Path, prefix: &str, extra: &[&str]) -> Command {
    let mut c = command(&["load", "postgres", "--in", events.to_str().unwrap()]);
    c.args(["--db-prefix", prefix, "--jobs", "1"])
        .args(extra)
        .env("DATABASE_URL", database_url());
    c
}

/// How many parts the audit database `audit` holds (0 before it exists).
fn parts_loaded(audit: &str) -> u64 {
    psql(audit, "SELECT count(*) FROM pancake.parts")
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0)
}

/// Every row of every table of each module database, digested.
fn digest(prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for module in modules() {
        let db = format!("{prefix}{module}");
        let tables = psql(
            &db,
            "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'",
        )
        .unwrap_or_else(|| panic!("{db} exists"));
        for table in tables.split(' ') {
            let d = psql(
                &db,
                &format!("SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"),
            )
            .unwrap();
            out.push((format!("{db}.{table}"), d));
        }
    }
    out
}

#[test]
fn killed_mid_load_then_run_again_the_databases_equal_an_uninterrupted_load() {
    let tmp = tempfile::tempdir().unwrap();
    // Many small parts, loaded one at a time, so that the kill lands
    // between commits with parts on both sides.
    let events = tiny_stream(tmp.path(), "3", &["--part-records", "300"]);
    let pid = std::process::id();
    let (killed, whole) = (format!("k{pid}_"), format!("w{pid}_"));
    drop_module_databases(&killed);
    drop_module_databases(&whole);

    let load = |prefix: &str| load_command(&events, prefix, &[]);
    let audit = format!("{killed}audit");
    kill_when(
        &mut load(&killed),
        "the load never got going",
        "the load finished before it could be killed: make the stream bigger",
        || parts_loaded(&audit) >= 5,
    );

    // No half-loaded part: the rows present are exactly those of the parts
    // recorded as loaded.
    let recorded = psql(&audit, "SELECT coalesce(sum(events), 0) FROM pancake.parts").unwrap();
    let present = psql(&audit, "SELECT count(*) FROM events").unwrap();
    assert_eq!(recorded, present);
    let finished = psql(&audit, "SELECT finished_at IS NULL FROM pancake.stream").unwrap();
    assert_eq!(finished, "t", "a killed load is not marked finished");

    let said = succeeded(&load(&killed).output().unwrap());
    assert!(said.contains("skipped (loaded before)"), "{said}");

    succeeded(&load(&whole).output().unwrap());

    let a = digest(&killed);
    let b = digest(&whole);
    assert_eq!(a.len(), b.len());
    for ((ta, da), (tb, db)) in a.iter().zip(&b) {
        assert_eq!(
            ta.trim_start_matches(&killed),
            tb.trim_start_matches(&whole)
        );
        assert_eq!(da, db, "{ta} differs from an uninterrupted load");
    }
    assert_eq!(
        psql(
            &audit,
            "SELECT count(*) = count(DISTINCT event_id) FROM events"
        )
        .unwrap(),
        "t"
    );
    drop_module_databases(&killed);
    drop_module_databases(&whole);
}

#[test]
fn seeding_tiny_twice_with_reset_gives_the_same_databases() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = format!("s{}_", std::process::id());
    let seed = || {
        let mut seed = command(&[
            "seed",
            "--preset",
            "tiny",
            "--reset",
            "--db-prefix",
            &prefix,
            "--work-dir",
            tmp.path().to_str().unwrap(),
        ]);
        succeeded(&seed.env("DATABASE_URL", database_url()).output().unwrap())
    };
    let said = seed();
    let first = digest(&prefix);
    // Every module database, its rows, and how to connect.
    for module in modules() {
        assert!(said.contains(&format!("/{prefix}{module}")), "{said}");
    }
    assert!(said.contains("psql -h"), "{said}");
    assert!(!said.contains(":postgres@"), "no password: {said}");
    let members = first
        .iter()
        .find(|(t, _)| t.ends_with("profile.members"))
        .unwrap();
    assert!(!members.1.starts_with("0:"), "members were loaded");

    let said = seed();
    assert!(
        said.contains("already there"),
        "the second seed reuses the dump: {said}"
    );
    assert_eq!(digest(&prefix), first);
    drop_module_databases(&prefix);
}

/// Waits for `child` up to a generous bound, so that a hang fails the test
/// instead of the suite; kills it if it hangs. Its pipes are read as it
/// runs: a log line per committed part fills a pipe nobody drains.
#[track_caller]
fn wait_bounded(child: std::process::Child) -> Output {
    wait_within(child, Duration::from_secs(60))
}

#[test]
fn a_second_load_into_the_same_prefix_is_refused_while_the_first_runs() {
    let tmp = tempfile::tempdir().unwrap();
    // Many small parts loaded one at a time: the first load lasts.
    let events = tiny_stream(tmp.path(), "3", &["--part-records", "300"]);
    let prefix = format!("l{}_", std::process::id());
    drop_module_databases(&prefix);
    let load = |extra: &[&str]| load_command(&events, &prefix, extra);
    let mut first = load(&[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the first is writing parts.
    let audit = format!("{prefix}audit");
    wait_until("the first load never got going", || {
        parts_loaded(&audit) >= 1
    });
    for extra in [&[][..], &["--reset"][..]] {
        let out = load(extra).output().unwrap();
        let said = text(&out.stderr);
        if out.status.success() && first.try_wait().unwrap().is_some() {
            panic!("the first load ended before the second began: make the stream bigger");
        }
        assert!(!out.status.success(), "{extra:?}: the second load ran");
        assert!(
            said.contains("another pancake load is writing database postgres://")
                && said.contains("on the server); wait for it to finish or stop it"),
            "{extra:?}: {said}"
        );
        assert!(!said.contains("duplicate key"), "{said}");
    }
    succeeded(&wait_bounded(first));
    // The first load's result is whole: loading again has nothing to do.
    let said = succeeded(&load(&[]).output().unwrap());
    assert!(
        said.contains("every module already holds this stream: nothing to do"),
        "{said}"
    );
    assert_eq!(
        psql(
            &audit,
            "SELECT count(*) = count(DISTINCT event_id) AND count(*) = (SELECT sum(events) FROM pancake.parts) FROM events"
        )
        .as_deref(),
        Some("t")
    );
    drop_module_databases(&prefix);
}

#[test]
fn seed_and_load_give_up_on_a_silent_server_after_the_connect_timeout() {
    // Accepts connections (the kernel completes them) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let url = format!("postgres://postgres:pg-secret-4711@{addr}/postgres");
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().to_str().unwrap();
    let seed = command(&["seed", "--preset", "tiny", "--scale", "0.1"])
        .args(["--work-dir", work, "--connect-timeout", "1"])
        .env("DATABASE_URL", &url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let events = tmp.path().join("events").join("tiny-x0.1");
    let mut load = command(&["load", "postgres", "--in", events.to_str().unwrap()]);
    load.args(["--database-url", &url, "--connect-timeout", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (what, out) in [
        ("seed", wait_bounded(seed)),
        ("load", wait_bounded(load.spawn().unwrap())),
    ] {
        let said = text(&out.stderr);
        assert!(!out.status.success(), "{what}: {said}");
        assert!(
            said.contains(&format!(
                "cannot reach PostgreSQL at {addr}: no answer within 1 s (--connect-timeout)"
            )),
            "{what}: {said}"
        );
        assert!(!said.contains("pg-secret-4711"), "{said}");
    }
}

#[test]
fn a_url_without_a_host_is_refused() {
    for (flag, url, named) in [
        ("--database-url", "postgres://", "--database-url"),
        (
            "--module-url",
            "chat=postgres://u:pw-4711@/db",
            "--module-url chat=",
        ),
    ] {
        let out = command(&["load", "postgres", "--in", "no-such-stream", flag, url])
            .env("DATABASE_URL", database_url())
            .output()
            .unwrap();
        let said = text(&out.stderr);
        assert!(!out.status.success(), "{url}: {said}");
        assert!(
            said.contains(&format!("{named} is not a valid PostgreSQL URL"))
                && said.contains("names no host"),
            "{url}: {said}"
        );
        assert!(!said.contains("pw-4711"), "{said}");
    }
}

//! Shared set-up for the PostgreSQL tests: the server of DATABASE_URL, each
//! test's own databases (`t<pid>_<tag>_<module>`), dropped when it ends;
//! connections, loads, what the databases hold, and the checks that no
//! message shows a password.

use super::{all_events_cached, events};
use pancake_load::postgres::{
    DEFAULT_DATABASE_URL, ModuleReport, PgError, PgOptions, PgReport, drop_databases, load,
};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::{Manifest, PartReader, ReadOptions};
use sqlx::postgres::{PgConnectOptions, PgConnection};
// Test statements are the tests' own, never input.
use sqlx::AssertSqlSafe;
use sqlx::{ConnectOptions as _, Connection as _, Row as _};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;

// ---- the server ----------------------------------------------------------

pub fn db_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

pub fn server() -> PgConnectOptions {
    PgConnectOptions::from_str(&db_url()).expect("DATABASE_URL is a postgres:// URL")
}

pub fn host_port() -> String {
    let s = server();
    format!("{}:{}", s.get_host(), s.get_port())
}

/// A URL of the test server for another user.
pub fn url_as(user: &str, password: &str) -> String {
    format!("postgres://{user}:{password}@{}/postgres", host_port())
}

/// A connection to the database of DATABASE_URL, as its user.
pub async fn admin() -> PgConnection {
    server().connect().await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to PostgreSQL at {}: {e}; scripts/services.sh starts one",
            host_port()
        )
    })
}

/// A connection to `database`, as DATABASE_URL's user.
pub async fn connect(database: &str) -> PgConnection {
    server()
        .database(database)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connecting to {database}: {e}"))
}

/// A connection to the database of `module`, as DATABASE_URL's user.
pub async fn module_db(options: &PgOptions, module: &str) -> PgConnection {
    connect(&options.database(module)).await
}

/// Runs `sql` (statements without parameters), which must succeed.
pub async fn execute(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Creates the empty database `name`, as DATABASE_URL's user.
pub async fn create_database(name: &str) {
    execute(&mut admin().await, &format!("CREATE DATABASE \"{name}\"")).await;
}

pub async fn database_exists(name: &str) -> bool {
    let mut conn = admin().await;
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        > 0
}

/// Makes `role` exist (creating it is racy between test binaries: a
/// duplicate is fine), then gives it `attributes`.
pub async fn ensure_role(role: &str, attributes: &str) {
    let mut conn = admin().await;
    let sql = format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
             CREATE ROLE {role};
           END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$;
         ALTER ROLE {role} {attributes};"
    );
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("setting up role {role}: {e}"));
}

// ---- passwords never shown -------------------------------------------------

/// A password that appears nowhere else in a message.
pub const SECRET: &str = "pg-secret-4711";

/// DATABASE_URL with [`SECRET`] as its password where the server does not
/// check it (trust, as scripts/services.sh sets up for 127.0.0.1), so that
/// a message showing it would be caught; else DATABASE_URL as it is.
/// Returns the URL and its password.
async fn secret_url() -> (String, String) {
    let s = server();
    let url = format!(
        "postgres://{}:{SECRET}@{}/{}",
        s.get_username(),
        host_port(),
        s.get_database().unwrap_or("postgres")
    );
    if PgConnection::connect(&url).await.is_ok() {
        return (url, SECRET.to_owned());
    }
    let url = db_url();
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map_or_else(String::new, |(_, p)| p.to_owned());
    (url, password)
}

/// Neither the message nor the debug form of `e` shows `password` (where
/// the password is not also the user or host name, which are shown).
pub fn assert_hides(e: &PgError, password: &str) {
    let s = server();
    if password.is_empty() || s.get_username().contains(password) || s.get_host().contains(password)
    {
        eprintln!("cannot check that the password is hidden: it is also the user or host name");
        return;
    }
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(password), "the password shows: {text}");
    }
}

// ---- each test's own databases -------------------------------------------

/// Options for `tiny` into the test's own databases, `t<pid>_<tag>_<module>`.
pub fn options(tag: &str, modules: &[&str]) -> PgOptions {
    let mut options = PgOptions::new(events().to_path_buf(), db_url());
    options.prefix = format!("t{}_{tag}", std::process::id());
    options.modules = modules.iter().map(|m| (*m).to_owned()).collect();
    options
}

/// [`options`] at [`secret_url`], and the password a message must not show.
pub async fn secret_options(tag: &str, modules: &[&str]) -> (PgOptions, String) {
    let (url, password) = secret_url().await;
    let mut options = options(tag, modules);
    options.database_url = url;
    (options, password)
}

/// Drops the databases of `options` when the test ends, passed or not.
pub struct Cleanup(PgOptions);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let options = self.0.clone();
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(drop_databases(&options))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("dropping the test databases: {e}"),
            Err(_) => eprintln!("dropping the test databases panicked"),
        }
    }
}

/// Drops what an earlier run with the same pid may have left, and the
/// databases again at the end.
pub async fn fresh(options: &PgOptions) -> Cleanup {
    drop_databases(options)
        .await
        .unwrap_or_else(|e| panic!("dropping old test databases: {e}"));
    Cleanup(options.clone())
}

/// A load that must succeed.
pub async fn load_ok(options: &PgOptions) -> PgReport {
    load(options, Arc::new(()))
        .await
        .unwrap_or_else(|e| panic!("loading {}: {e}", options.input.display()))
}

/// The report of module `name`.
pub fn module<'a>(report: &'a PgReport, name: &str) -> &'a ModuleReport {
    report
        .modules
        .iter()
        .find(|m| m.module == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
}

/// Every module's data tables (derived ones included).
pub const DATA_TABLES: &[(&str, &[&str])] = &[
    ("profile", &["members"]),
    ("chat", &["messages", "blocks", "thread_members"]),
    ("alerts", &["alerts", "blocks"]),
    ("favorite", &["favorites"]),
    ("block", &["blocks"]),
    (
        "news",
        &["members", "search_profiles", "items", "blocks", "feeds"],
    ),
    ("audit", &["events"]),
];

// ---- what the databases hold ----------------------------------------------

pub async fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn text(conn: &mut PgConnection, sql: &str) -> Option<String> {
    sqlx::query_scalar::<_, Option<String>>(AssertSqlSafe(sql))
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// How many of the events `ids` the audit log of `conn` holds.
pub async fn events_present(conn: &mut PgConnection, ids: &[String]) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_id::text = ANY($1)")
        .bind(ids)
        .fetch_one(conn)
        .await
        .unwrap()
}

/// The audit database of `options` holds every event of the stream, once,
/// and its load finished.
pub async fn assert_complete_audit(options: &PgOptions) {
    let mut conn = module_db(options, "audit").await;
    let all = all_events_cached().len() as i64;
    assert_eq!(scalar(&mut conn, "SELECT count(*) FROM events").await, all);
    assert_eq!(
        scalar(&mut conn, "SELECT count(DISTINCT event_id) FROM events").await,
        all
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) FROM pancake.stream WHERE finished_at IS NOT NULL"
        )
        .await,
        1
    );
}

pub fn some(value: impl ToString) -> Option<String> {
    Some(value.to_string())
}

/// How a column is read back for comparing: timestamps (every `*_at`
/// column) as microseconds since the epoch, everything else as text.
pub fn column_text(column: &str) -> String {
    if column.ends_with("_at") {
        format!("((extract(epoch from {column}) * 1000000)::bigint)::text")
    } else {
        format!("{column}::text")
    }
}

/// Columns and the values they should hold, as [`column_text`] reads them.
pub type Row = Vec<(&'static str, Option<String>)>;

/// The one row of `table` that `filter` selects has exactly the `expected`
/// columns.
pub async fn assert_row(conn: &mut PgConnection, table: &str, filter: &str, expected: &Row) {
    let sql = format!(
        "SELECT {} FROM {table} WHERE {filter}",
        expected
            .iter()
            .map(|(c, _)| column_text(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(rows.len(), 1, "{table} WHERE {filter}: {} rows", rows.len());
    let got: Row = expected
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (*c, rows[0].get::<Option<String>, _>(i)))
        .collect();
    assert_eq!(&got, expected, "{table} WHERE {filter}");
}

// ---- the stream's parts ------------------------------------------------------

/// The event ids of part `part` of `table` (in `file`) of the stream in
/// `dir`.
pub fn part_event_ids(dir: &Path, table: &str, part: u32, file: &str) -> Vec<String> {
    let options = ReadOptions {
        part_number: Some(part),
        ..ReadOptions::expect::<Event>(DumpKind::EventStream, table)
    };
    let mut reader = PartReader::open(&dir.join(file), &options).unwrap();
    let mut ids = Vec::new();
    while let Some(e) = reader.next_record::<Event>().unwrap() {
        ids.push(pancake_proto::events::uuid_text(&e.event_id));
    }
    ids
}

/// The event ids of every part of the stream in `dir`.
pub fn part_ids(dir: &Path) -> BTreeMap<(String, u32), Vec<String>> {
    let manifest = Manifest::load(dir).unwrap();
    let mut out = BTreeMap::new();
    for table in &manifest.tables {
        for part in &table.parts {
            let ids = part_event_ids(dir, &table.name, part.number, &part.file);
            out.insert((table.name.clone(), part.number), ids);
        }
    }
    out
}

/// How many parts the stream in `dir` has.
pub fn part_count(dir: &Path) -> u64 {
    Manifest::load(dir)
        .unwrap()
        .tables
        .iter()
        .map(|t| t.parts.len() as u64)
        .sum()
}
